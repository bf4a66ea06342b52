//! 汇编: a unit's reports of one year bound into one page that prints as one
//! document. Which compilations the site has, which reports each binds, and
//! how a report's rendered body is moved into it: its relative links
//! re-pointed from the report's folder to the compilation's, its ids kept
//! apart from those of the other reports on the page.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use rayon::prelude::*;

use super::Renderer;
use super::views::{Attachment, Body, CardOf, CardsAt, Count, Html, Link, SiteView};
use crate::model::{Report, Site, Unit};
use crate::paths::encode_path;

/// Whose reports a compilation binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The unit's own reports: every unit-year has one.
    Own,
    /// A parent unit's reports with all its sub-units' (as its page lists them).
    WithSubUnits,
}

/// A compilation with sub-units is made up to this many reports. It repeats
/// what the sub-units' own compilations hold, once more for every level of
/// the unit tree, so without a bound a city's top unit would copy the whole
/// year of the archive into one page. 100 reports print as roughly 300 to
/// 500 pages, about what one binding holds; above that the unit page says so
/// and each sub-unit's compilation is the one to print.
pub const WITH_SUB_UNITS_LIMIT: usize = 100;

/// The compilations of a site: for each unit, the years of its own reports;
/// for each parent unit, how many reports each year has with its sub-units.
pub struct Compilations<'a> {
    /// Unit → (year, range of that year in `unit.reports`), newest year first.
    own: BTreeMap<&'a str, Vec<(i32, Range<usize>)>>,
    /// Parent unit → (year, reports of the unit and its sub-units), newest year first.
    with_sub_units: BTreeMap<&'a str, Vec<(i32, usize)>>,
}

impl<'a> Compilations<'a> {
    pub fn new(site: &'a Site) -> Self {
        if !site.config.compilations {
            return Compilations {
                own: BTreeMap::new(),
                with_sub_units: BTreeMap::new(),
            };
        }
        let own: BTreeMap<&str, Vec<(i32, Range<usize>)>> = site
            .units
            .values()
            .map(|u| (u.name.as_str(), year_ranges(site, u)))
            .collect();
        let mut with_sub_units = BTreeMap::new();
        for u in site.units.values().filter(|u| !u.children.is_empty()) {
            let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
            for name in subtree_units(site, &u.name) {
                for (y, range) in &own[name] {
                    *per_year.entry(*y).or_default() += range.len();
                }
            }
            with_sub_units.insert(u.name.as_str(), per_year.into_iter().rev().collect());
        }
        Compilations {
            own,
            with_sub_units,
        }
    }

    /// Every compilation, in a stable order: (unit, year, scope).
    pub fn list(&self) -> Vec<(&'a str, i32, Scope)> {
        let own = self
            .own
            .iter()
            .flat_map(|(u, years)| years.iter().map(|(y, _)| (*u, *y, Scope::Own)));
        let all = self.with_sub_units.iter().flat_map(|(u, years)| {
            years
                .iter()
                .filter(|(_, n)| *n <= WITH_SUB_UNITS_LIMIT)
                .map(|(y, _)| (*u, *y, Scope::WithSubUnits))
        });
        own.chain(all).collect()
    }

    /// How many reports the compilation would bind (0: none for that year).
    pub fn count(&self, unit: &str, year: i32, scope: Scope) -> usize {
        match scope {
            Scope::Own => self.own.get(unit).map_or(0, |years| {
                years
                    .iter()
                    .find(|(y, _)| *y == year)
                    .map_or(0, |(_, r)| r.len())
            }),
            Scope::WithSubUnits => self.with_sub_units.get(unit).map_or(0, |years| {
                years
                    .iter()
                    .find(|(y, _)| *y == year)
                    .map_or(0, |(_, n)| *n)
            }),
        }
    }

    /// Whether the site has this compilation.
    pub fn exists(&self, unit: &str, year: i32, scope: Scope) -> bool {
        let n = self.count(unit, year, scope);
        n > 0 && (scope == Scope::Own || n <= WITH_SUB_UNITS_LIMIT)
    }

    /// The ids of the reports it binds, oldest first, one day's by file path.
    pub fn reports(&self, site: &'a Site, unit: &str, year: i32, scope: Scope) -> Vec<&'a str> {
        let units = match scope {
            Scope::Own => vec![site.units[unit].name.as_str()],
            Scope::WithSubUnits => subtree_units(site, unit),
        };
        let mut ids: Vec<&Report> = Vec::new();
        for name in units {
            let u = &site.units[name];
            if let Some((_, range)) = self.own[name].iter().find(|(y, _)| *y == year) {
                ids.extend(u.reports[range.clone()].iter().map(|id| &*site.reports[id]));
            }
        }
        // Reports of one day in the order of their files, which offices number
        // (01-…, 02-…); titles would put （三） before （二）.
        ids.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        ids.into_iter().map(|r| r.id.as_str()).collect()
    }
}

/// The years of a unit's own reports, newest first, each with its range in
/// `unit.reports` (newest first, so each year is one run of it).
fn year_ranges(site: &Site, u: &Unit) -> Vec<(i32, Range<usize>)> {
    let year = |i: usize| site.reports[&u.reports[i]].date.year;
    let mut out = Vec::new();
    let mut start = 0;
    while start < u.reports.len() {
        let y = year(start);
        let end = start + u.reports[start..].partition_point(|id| site.reports[id].date.year == y);
        out.push((y, start..end));
        start = end;
    }
    out
}

/// The unit and all units under it.
fn subtree_units<'a>(site: &'a Site, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut todo = vec![site.units[name].name.as_str()];
    while let Some(n) = todo.pop() {
        out.push(n);
        todo.extend(site.units[n].children.iter().map(String::as_str));
    }
    out
}

/// Site path of a compilation: beside its year's page, named after the unit's
/// page (`year/2020/jiangbei.html`), so it is unique wherever unit pages are.
pub fn path(site: &Site, unit: &str, year: i32, scope: Scope) -> String {
    let page = &site.units[unit].page;
    let stem = page
        .strip_prefix("unit/")
        .and_then(|p| p.strip_suffix(".html"))
        .unwrap_or(page);
    match scope {
        Scope::Own => format!("year/{year}/{stem}.html"),
        Scope::WithSubUnits => format!("year/{year}/含下级单位/{stem}.html"),
    }
}

/// The title of a compilation, also the text of the links to it.
pub fn title(unit: &str, year: i32, scope: Scope) -> String {
    match scope {
        Scope::Own => format!("{unit}{year}年报告汇编"),
        Scope::WithSubUnits => format!("{unit}{year}年报告汇编（含下级单位）"),
    }
}

/// What the compilation template sees.
#[derive(Serialize, Hash)]
pub struct CompilationView<'a> {
    pub title: String,
    pub unit: &'a str,
    pub unit_url: String,
    pub year: i32,
    pub year_url: String,
    pub with_sub_units: bool,
    pub count: usize,
    /// `2020年1月5日至12月20日`, or one date.
    pub span: String,
    pub reports: Vec<CompiledReport<'a>>,
}

/// One report in a compilation, whole.
#[derive(Serialize, Hash)]
pub struct CompiledReport<'a> {
    #[serde(flatten)]
    pub card: CardOf<'a>,
    pub number: usize,
    /// The id of the report's article in the page (`r3`); its own ids start with `r3-`.
    pub anchor: String,
    pub author: Option<&'a str>,
    pub html: Html<'a>,
    pub attachments: Vec<Attachment>,
}

/// `2020年1月5日至12月20日`: the first and last dates, the year said once.
pub fn span(first: &Report, last: &Report) -> String {
    let (a, b) = (first.date.chinese(), last.date.chinese());
    if a == b {
        return a;
    }
    let same_year = first.date.year == last.date.year;
    let b_short = if same_year {
        b.split_once('年')
            .map_or(b.clone(), |(_, rest)| rest.to_string())
    } else {
        b
    };
    format!("{a}至{b_short}")
}

/// The id of the `number`th report's article; its body's ids get `r3-` before them.
pub fn anchor(number: usize) -> String {
    format!("r{number}")
}

/// A unit's compilations of one year, as the year page lists them.
#[derive(Serialize, Hash)]
pub struct UnitCompilations<'a> {
    pub name: &'a str,
    pub url: String,
    pub depth: usize,
    pub own: Option<Count>,
    pub with_sub_units: Option<Count>,
    /// Reports with the sub-units when too many for one compilation, else 0.
    pub too_many: usize,
}

/// A unit in a year: (unit, depth in the unit tree, own reports, with sub-units).
pub type YearEntry<'a> = (&'a Unit, usize, usize, usize);

impl<'a> Renderer<'a> {
    /// Links from a unit page's year group to the compilations of that year;
    /// a link without a URL says why there is none.
    pub(super) fn compilation_links(&self, sv: &SiteView<'_>, unit: &str, year: i32) -> Vec<Link> {
        let c = &self.compilations;
        let mut links = Vec::new();
        for scope in [Scope::Own, Scope::WithSubUnits] {
            if c.exists(unit, year, scope) {
                links.push(Link {
                    title: match scope {
                        Scope::Own => format!("{year}年报告汇编"),
                        Scope::WithSubUnits => format!("{year}年报告汇编（含下级单位）"),
                    },
                    url: sv.href(&path(self.site, unit, year, scope)),
                });
            }
        }
        let all = c.count(unit, year, Scope::WithSubUnits);
        if all > WITH_SUB_UNITS_LIMIT {
            links.push(Link {
                title: format!("含下级单位共 {all} 篇，超过 {WITH_SUB_UNITS_LIMIT} 篇不合订，请打印各下级单位的汇编"),
                url: String::new(),
            });
        }
        links
    }

    /// Every unit with reports in `year`, in unit-tree order.
    pub(super) fn year_entries(&self, year: i32) -> Vec<YearEntry<'a>> {
        let c = &self.compilations;
        self.site
            .unit_tree()
            .into_iter()
            .map(|(u, depth)| {
                let own = c.count(&u.name, year, Scope::Own);
                (u, depth, own, c.count(&u.name, year, Scope::WithSubUnits))
            })
            .filter(|(_, _, own, all)| *own > 0 || *all > 0)
            .collect()
    }

    /// The year page's list of compilations.
    pub(super) fn year_compilations(
        &self,
        sv: &SiteView<'_>,
        year: i32,
    ) -> Vec<UnitCompilations<'a>> {
        let link = |u: &Unit, scope, count| Count {
            label: title(&u.name, year, scope),
            url: sv.href(&path(self.site, &u.name, year, scope)),
            count,
        };
        self.year_entries(year)
            .into_iter()
            .map(|(u, depth, own, all)| UnitCompilations {
                name: &u.name,
                url: sv.href(&u.page),
                depth,
                own: (own > 0).then(|| link(u, Scope::Own, own)),
                with_sub_units: (all > 0 && all <= WITH_SUB_UNITS_LIMIT)
                    .then(|| link(u, Scope::WithSubUnits, all)),
                too_many: if all > WITH_SUB_UNITS_LIMIT { all } else { 0 },
            })
            .collect()
    }

    /// The compilation at `page`, from the rendered `bodies` of the reports
    /// it binds ([`Renderer::compiled`]): its breadcrumb trail, title and view.
    pub(super) fn compilation_view<'p>(
        &'p self,
        at: CardsAt<'p>,
        sv: &SiteView<'_>,
        page: &str,
        (unit, year, scope): (&'p str, i32, Scope),
        bodies: Vec<Body<'p>>,
    ) -> (Vec<Link>, String, CompilationView<'p>) {
        let site = self.site;
        let u = &site.units[unit];
        let ids = self.compilations.reports(site, unit, year, scope);
        assert_eq!(ids.len(), bodies.len(), "a body for every compiled report");
        let reports: Vec<CompiledReport> = ids
            .par_iter()
            .zip(bodies)
            .enumerate()
            .map(|(i, (id, body))| {
                let r = &*site.reports[*id];
                let number = i + 1;
                let html = match body.html {
                    Html::Shown(html) => {
                        let prefix = format!("{}-", anchor(number));
                        Html::Shown(relocate(&html, &r.page, page, &prefix).into())
                    }
                    stamp @ Html::Stamp(_) => stamp,
                };
                CompiledReport {
                    card: at.one(&r.id),
                    number,
                    anchor: anchor(number),
                    author: r.author.as_deref(),
                    html,
                    attachments: self.attachments(id, page, body.linked_files),
                }
            })
            .collect();
        let title = title(unit, year, scope);
        let mut trail = vec![Link {
            title: "单位".into(),
            url: sv.units_url.clone(),
        }];
        trail.extend(site.unit_path(unit).iter().map(|x| Link {
            title: x.name.clone(),
            url: sv.href(&x.page),
        }));
        trail.push(Link {
            title: title.clone(),
            url: sv.href(page),
        });
        let (first, last) = (&site.reports[ids[0]], &site.reports[ids[ids.len() - 1]]);
        let view = CompilationView {
            title: title.clone(),
            unit,
            unit_url: sv.href(&u.page),
            year,
            year_url: sv.href(&Site::year_page(year)),
            with_sub_units: scope == Scope::WithSubUnits,
            count: reports.len(),
            span: span(first, last),
            reports,
        };
        (trail, title, view)
    }
}

/// A report body rendered for the report's page at `from`, made fit for the
/// page at `to` among other reports: every relative URL re-pointed so that it
/// names the same file, every id (and every reference to one, `#id` links
/// included) prefixed with `prefix`. The rest of the HTML is left byte for
/// byte. lol_html does the parsing: report bodies may hold any HTML a
/// sanitizer lets through or `allow_html` lets in, which a hand-written
/// scanner would sooner or later misread.
pub fn relocate(html: &str, from: &str, to: &str, prefix: &str) -> String {
    let moved = Move::new(from, to, prefix);
    let settings = lol_html::RewriteStrSettings::new()
        .append_element_content_handler(lol_html::element!("*", |el| {
            // Most elements of a body (paragraphs, cells) have no attribute.
            if el.attributes().is_empty() {
                return Ok(());
            }
            let tag = el.tag_name();
            let changes: Vec<(String, String)> = el
                .attributes()
                .iter()
                .filter_map(|a| {
                    let name = a.name();
                    let new = moved.attribute(&tag, &name, &a.value())?;
                    Some((name, new))
                })
                .collect();
            for (name, value) in changes {
                el.set_attribute(&name, &value)?;
            }
            Ok(())
        }))
        .with_strict(false);
    // As `lol_html::rewrite_str` sets it up, but writing bytes that are
    // checked as UTF-8 once at the end rather than chunk by chunk.
    let settings = lol_html::Settings::from(settings)
        .with_adjust_charset_on_meta_tag(false)
        .with_encoding(lol_html::AsciiCompatibleEncoding::utf_8());
    let mut out = Vec::with_capacity(html.len() + html.len() / 8);
    let mut rewriter =
        lol_html::HtmlRewriter::new(settings, |chunk: &[u8]| out.extend_from_slice(chunk));
    // Without strict mode lol_html parses what it meets as a browser would and
    // fails only when out of memory, which a rendered report body never is.
    let done = rewriter
        .write(html.as_bytes())
        .and_then(|()| rewriter.end());
    match done {
        Ok(()) => crate::text::utf8_string(out).unwrap_or_else(|_| html.to_string()),
        Err(_) => html.to_string(),
    }
}

/// Re-points URLs from one page's folder to another's, and prefixes ids.
struct Move<'p> {
    /// Encoded folders of the page the body was made for.
    from_dir: Vec<String>,
    /// Its file name, encoded: a link to the page itself (`?x`).
    from_file: String,
    to_dir: Vec<String>,
    prefix: &'p str,
}

impl<'p> Move<'p> {
    fn new(from: &str, to: &str, prefix: &'p str) -> Self {
        let dirs = |page: &str| -> Vec<String> {
            let mut parts: Vec<String> = encode_path(page).split('/').map(String::from).collect();
            parts.pop();
            parts
        };
        Move {
            from_dir: dirs(from),
            from_file: encode_path(from.rsplit('/').next().unwrap_or(from)),
            to_dir: dirs(to),
            prefix,
        }
    }

    /// The new value of the attribute, if it changes.
    fn attribute(&self, tag: &str, name: &str, value: &str) -> Option<String> {
        match name {
            "id" => Some(format!("{}{value}", self.prefix)),
            "name" if tag == "a" => Some(format!("{}{value}", self.prefix)),
            "href" | "src" | "poster" | "cite" | "action" | "formaction" | "data"
            | "background" | "longdesc" | "xlink:href" => self.url(value),
            "srcset" => Some(
                value
                    .split(',')
                    .map(|candidate| {
                        let c = candidate.trim_start();
                        let end = c.find(char::is_whitespace).unwrap_or(c.len());
                        let url = self.url(&c[..end]).unwrap_or_else(|| c[..end].to_string());
                        format!("{url}{}", &c[end..])
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            // Attributes that name other elements by id, one or a list.
            "for"
            | "headers"
            | "form"
            | "list"
            | "aria-labelledby"
            | "aria-describedby"
            | "aria-controls"
            | "aria-owns"
            | "aria-flowto"
            | "aria-details"
            | "aria-errormessage"
            | "aria-activedescendant" => Some(
                value
                    .split_ascii_whitespace()
                    .map(|id| format!("{}{id}", self.prefix))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "usemap" => value
                .trim()
                .strip_prefix('#')
                .map(|m| format!("#{}{m}", self.prefix)),
            _ => None,
        }
    }

    /// A relative URL of the old page as a URL of the new one naming the same
    /// file; a fragment of the old page as the prefixed fragment. Absolute
    /// URLs and ones with a scheme stay as they are.
    fn url(&self, value: &str) -> Option<String> {
        let url = value.trim();
        if let Some(fragment) = url.strip_prefix('#') {
            return (!fragment.is_empty()).then(|| format!("#{}{fragment}", self.prefix));
        }
        if url.is_empty()
            || url.starts_with(['/', '\\'])
            || crate::markdown::has_scheme(url).is_some()
        {
            return None;
        }
        let split = url.find(['?', '#']).unwrap_or(url.len());
        let (path, rest) = url.split_at(split);
        // Browsers read `\` as `/` in these URLs.
        let path = path.replace('\\', "/");
        let mut target: Vec<&str> = self.from_dir.iter().map(String::as_str).collect();
        if path.is_empty() {
            target.push(&self.from_file);
        } else {
            let segments: Vec<&str> = path.split('/').collect();
            let last = segments.len() - 1;
            for (i, seg) in segments.into_iter().enumerate() {
                match seg {
                    "." => {}
                    ".." => {
                        // Above the site's root: not a file the site has; leave it.
                        target.pop()?;
                    }
                    "" if i != last => {}
                    s => target.push(s),
                }
            }
        }
        let (dirs, file) = target.split_at(target.len().saturating_sub(1));
        let common = self
            .to_dir
            .iter()
            .zip(dirs)
            .take_while(|(a, b)| a.as_str() == **b)
            .count();
        let mut out = "../".repeat(self.to_dir.len() - common);
        for d in &dirs[common..] {
            out.push_str(d);
            out.push('/');
        }
        out.extend(file.iter().copied());
        out.push_str(rest);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(html: &str) -> String {
        relocate(html, "2020/报告/a.html", "year/2020/sw.html", "r2-")
    }

    #[test]
    fn relative_links_name_the_same_files_from_the_compilation() {
        let out = moved(
            "<p><a href=\"b.html#x\">b</a> <a href=\"../2019/c.html\">c</a> \
             <img src=\"%E9%99%84%E4%BB%B6.png\" alt=\"\"> <a href=\"./d.pdf?v=1\">d</a></p>",
        );
        assert_eq!(
            out,
            "<p><a href=\"../../2020/%E6%8A%A5%E5%91%8A/b.html#x\">b</a> \
             <a href=\"../../2020/2019/c.html\">c</a> \
             <img src=\"../../2020/%E6%8A%A5%E5%91%8A/%E9%99%84%E4%BB%B6.png\" alt=\"\"> \
             <a href=\"../../2020/%E6%8A%A5%E5%91%8A/d.pdf?v=1\">d</a></p>"
        );
    }

    #[test]
    fn ids_and_the_links_to_them_get_the_prefix() {
        let out = moved(
            "<h2 id=\"一基本情况\">一</h2><p><a href=\"#一基本情况\">上</a>\
             <sup class=\"footnote-reference\"><a href=\"#1\">1</a></sup></p>\
             <div class=\"footnote-definition\" id=\"1\"></div><label for=\"x y\"></label>",
        );
        assert_eq!(
            out,
            "<h2 id=\"r2-一基本情况\">一</h2><p><a href=\"#r2-一基本情况\">上</a>\
             <sup class=\"footnote-reference\"><a href=\"#r2-1\">1</a></sup></p>\
             <div class=\"footnote-definition\" id=\"r2-1\"></div><label for=\"r2-x r2-y\"></label>"
        );
    }

    #[test]
    fn absolute_urls_and_schemes_stay() {
        let html = "<a href=\"https://example.org/a\">a</a><a href=\"mailto:x@y\">m</a>\
                    <a href=\"/top.html\">t</a><a href=\"../../../../x.html\">x</a><a href=\"\">e</a>";
        assert_eq!(moved(html), html);
    }

    #[test]
    fn a_page_in_the_same_folder_and_srcset() {
        let out = relocate(
            "<img srcset=\"a.png 1x, sub/b.png 2x\"><a href=\"?q=1\">q</a>",
            "year/2020/x.html",
            "year/2020/y.html",
            "p-",
        );
        assert_eq!(
            out,
            "<img srcset=\"a.png 1x, sub/b.png 2x\"><a href=\"x.html?q=1\">q</a>"
        );
    }

    #[test]
    fn from_the_top_folder() {
        let out = relocate(
            "<a href=\"b/c.html\">c</a>",
            "a.html",
            "year/2020/x.html",
            "p-",
        );
        assert_eq!(out, "<a href=\"../../b/c.html\">c</a>");
    }
}
