//! Atom feeds (the whole archive, and one per unit) and the sitemap.
//! Links are absolute when `base_url` is configured (feed readers need that),
//! relative to the feed file otherwise. Dates come from the reports, never
//! from the clock, so a rebuild writes the same bytes.

use std::fmt::Write;

use super::chart::esc;
use crate::model::{Report, ReportDate, Site};
use crate::paths::{encode_path, relative_href};

/// How many reports a feed lists.
pub const FEED_LEN: usize = 50;

/// Site path of a unit's feed: beside its page, `.xml` for `.html`.
pub fn unit_feed_path(unit_page: &str) -> String {
    let stem = unit_page.strip_suffix(".html").unwrap_or(unit_page);
    format!("{stem}.xml")
}

/// The URL of `target` as written in the file `from`.
fn url(site: &Site, from: &str, target: &str) -> String {
    match &site.config.base_url {
        Some(base) => format!("{}/{}", base.trim_end_matches('/'), encode_path(target)),
        None => relative_href(from, target),
    }
}

fn stamp(d: ReportDate) -> String {
    format!(
        "{:04}-{:02}-{:02}T00:00:00Z",
        d.year,
        d.month,
        d.day.unwrap_or(1)
    )
}

/// An Atom feed of the newest reports among `ids` (newest first).
pub fn atom(site: &Site, path: &str, title: &str, page: &str, ids: &[String]) -> String {
    let shown = &ids[..ids.len().min(FEED_LEN)];
    let updated = shown.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |id| stamp(site.reports[id].date),
    );
    let self_url = url(site, path, path);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n");
    let _ = writeln!(s, "  <title>{}</title>", esc(title));
    let _ = writeln!(s, "  <id>{}</id>", esc(&id_for(site, path, path)));
    let _ = writeln!(s, "  <link rel=\"self\" href=\"{}\"/>", esc(&self_url));
    let _ = writeln!(
        s,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        esc(&url(site, path, page))
    );
    let _ = writeln!(s, "  <updated>{updated}</updated>");
    let _ = writeln!(
        s,
        "  <author><name>{}</name></author>",
        esc(&site.config.title)
    );
    let _ = writeln!(s, "  <generator>dangan</generator>");
    for id in shown {
        entry(&mut s, site, path, &site.reports[id]);
    }
    s.push_str("</feed>\n");
    s
}

/// A stable id: the absolute URL when there is one, else a URN of the site path.
fn id_for(site: &Site, from: &str, target: &str) -> String {
    match &site.config.base_url {
        Some(_) => url(site, from, target),
        None => format!("urn:dangan:{}", encode_path(target)),
    }
}

fn entry(s: &mut String, site: &Site, path: &str, r: &Report) {
    s.push_str("  <entry>\n");
    let _ = writeln!(s, "    <title>{}</title>", esc(&r.title));
    let _ = writeln!(s, "    <id>{}</id>", esc(&id_for(site, path, &r.page)));
    let _ = writeln!(
        s,
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        esc(&url(site, path, &r.page))
    );
    let _ = writeln!(s, "    <updated>{}</updated>", stamp(r.date));
    let _ = writeln!(s, "    <author><name>{}</name></author>", esc(&r.unit));
    let _ = writeln!(s, "    <category term=\"{}\"/>", esc(&r.kind));
    let summary = match &r.summary {
        Some(x) => format!("{}｜{}｜{}", r.unit, r.kind, x),
        None => format!("{}｜{}｜{}", r.unit, r.kind, r.date.chinese()),
    };
    let _ = writeln!(s, "    <summary>{}</summary>", esc(&summary));
    s.push_str("  </entry>\n");
}

/// The sitemap: every page, reports with their dates.
pub fn sitemap(site: &Site, path: &str) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let plain = |s: &mut String, target: &str| {
        let _ = writeln!(
            s,
            "  <url><loc>{}</loc></url>",
            esc(&url(site, path, target))
        );
    };
    for p in [
        "index.html",
        "unit/index.html",
        "year/index.html",
        "type/index.html",
    ] {
        plain(&mut s, p);
    }
    for u in site.units.values() {
        plain(&mut s, &u.page);
    }
    for y in site.years.keys() {
        plain(&mut s, &Site::year_page(*y));
    }
    for p in site.type_pages.values() {
        plain(&mut s, p);
    }
    for r in site.reports.values() {
        let _ = writeln!(
            s,
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>",
            esc(&url(site, path, &r.page)),
            &stamp(r.date)[..10]
        );
    }
    s.push_str("</urlset>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_feeds_sit_beside_unit_pages() {
        assert_eq!(unit_feed_path("unit/liwan.html"), "unit/liwan.xml");
    }
}
