//! View structs: what templates see. Built from the model, never the model itself.

use serde::Serialize;

use crate::markdown::Rendered;
use crate::model::{Report, Site, Unit};
use crate::paths::{encode_fragment, encode_path, relative_href};

/// Common to every page.
#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// `../` prefix from the page to the site root.
    pub root: String,
    pub home_url: String,
    pub units_url: String,
    pub years_url: String,
    pub types_url: String,
    pub search_url: String,
    pub css_url: String,
    pub feed_url: String,
    pub total: usize,
    pub generator: &'static str,
}

impl<'a> SiteView<'a> {
    pub fn new(site: &'a Site, root: String) -> Self {
        let href = |p: &str| format!("{root}{}", encode_path(p));
        SiteView {
            title: &site.config.title,
            description: &site.config.description,
            home_url: href("index.html"),
            units_url: href("unit/index.html"),
            years_url: href("year/index.html"),
            types_url: href("type/index.html"),
            search_url: href("search.html"),
            css_url: href("_assets/style.css"),
            feed_url: href("feed.xml"),
            total: site.reports.len(),
            generator: concat!("dangan ", env!("CARGO_PKG_VERSION")),
            root,
        }
    }

    pub fn href(&self, site_path: &str) -> String {
        format!("{}{}", self.root, encode_path(site_path))
    }
}

#[derive(Serialize, Clone)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// A report in a list.
#[derive(Serialize)]
pub struct Card<'a> {
    pub title: &'a str,
    pub url: String,
    pub unit: &'a str,
    pub unit_url: String,
    pub date: String,
    pub date_cn: String,
    pub kind: &'a str,
    pub kind_url: String,
    pub tags: &'a [String],
    pub summary: Option<&'a str>,
}

impl<'a> Card<'a> {
    pub fn new(site: &'a Site, sv: &SiteView<'_>, r: &'a Report) -> Self {
        Card {
            title: &r.title,
            url: sv.href(&r.page),
            unit: &r.unit,
            unit_url: sv.href(&site.units[&r.unit].page),
            date: r.date.to_string(),
            date_cn: r.date.chinese(),
            kind: &r.kind,
            kind_url: sv.href(&site.type_pages[&r.kind]),
            tags: &r.tags,
            summary: r.summary.as_deref(),
        }
    }
}

pub fn cards<'a>(site: &'a Site, sv: &SiteView<'_>, ids: &'a [String]) -> Vec<Card<'a>> {
    ids.iter()
        .map(|id| Card::new(site, sv, &site.reports[id]))
        .collect()
}

/// A titled group of reports (a year, a month).
#[derive(Serialize)]
pub struct Group<'a> {
    pub label: String,
    pub anchor: String,
    pub count: usize,
    /// Shown unfolded: all groups of a short list, only the first of a long one.
    pub open: bool,
    pub reports: Vec<Card<'a>>,
    /// Pages about the group as a whole (a unit's compilation of that year).
    pub links: Vec<Link>,
}

/// Lists longer than this fold all their groups but the first.
pub const LONG_LIST: usize = 60;

/// Groups `ids` (newest first) by a key, keeping the order.
pub fn group_by<'a, K: PartialEq + Copy>(
    site: &'a Site,
    sv: &SiteView<'_>,
    ids: &'a [String],
    key: impl Fn(&Report) -> K,
    label: impl Fn(K) -> (String, String),
    links: impl Fn(K) -> Vec<Link>,
) -> Vec<Group<'a>> {
    let mut groups: Vec<(K, Vec<Card<'a>>)> = Vec::new();
    for id in ids {
        let r = &site.reports[id];
        let k = key(r);
        match groups.last_mut() {
            Some((last, cards)) if *last == k => cards.push(Card::new(site, sv, r)),
            _ => groups.push((k, vec![Card::new(site, sv, r)])),
        }
    }
    let long = ids.len() > LONG_LIST;
    groups
        .into_iter()
        .enumerate()
        .map(|(i, (k, reports))| {
            let (label, anchor) = label(k);
            Group {
                label,
                anchor,
                count: reports.len(),
                open: !long || i == 0,
                reports,
                links: links(k),
            }
        })
        .collect()
}

#[derive(Serialize)]
pub struct TocItem {
    pub level: u8,
    pub href: String,
    pub text: String,
}

#[derive(Serialize)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    pub size: String,
    /// Published under a name that opens as text (a web page, SVG or server
    /// script would run as a page of the site): the link asks the browser
    /// to save it under its own name, where the browser allows that.
    pub as_text: bool,
}

#[derive(Serialize)]
pub struct ReportView<'a> {
    #[serde(flatten)]
    pub card: Card<'a>,
    pub author: Option<&'a str>,
    pub html: &'a str,
    pub toc: Vec<TocItem>,
    pub attachments: Vec<Attachment>,
    pub prev: Option<Link>,
    pub next: Option<Link>,
    pub year_url: String,
}

impl<'a> ReportView<'a> {
    pub fn new(
        site: &'a Site,
        sv: &SiteView<'_>,
        r: &'a Report,
        rendered: &'a Rendered,
        attachments: Vec<Attachment>,
    ) -> Self {
        let (older, newer) = site.neighbours(&r.id);
        let link = |x: &Report| Link {
            title: x.title.clone(),
            url: sv.href(&x.page),
        };
        ReportView {
            card: Card::new(site, sv, r),
            author: r.author.as_deref(),
            html: &rendered.html,
            toc: rendered
                .toc
                .iter()
                .map(|t| TocItem {
                    level: t.level,
                    href: format!("#{}", encode_fragment(&t.id)),
                    text: t.text.clone(),
                })
                .collect(),
            attachments,
            prev: older.map(link),
            next: newer.map(link),
            year_url: format!("{}#y{}", sv.href(&site.units[&r.unit].page), r.date.year),
        }
    }
}

/// A page at an old address: the report it leads to.
#[derive(Serialize)]
pub struct MovedView<'a> {
    #[serde(flatten)]
    pub card: Card<'a>,
    /// The report's address as a reader sees it in the address bar.
    pub address: &'a str,
    /// Relative to the old address, for the link and the refresh.
    pub href: String,
}

impl<'a> MovedView<'a> {
    pub fn new(site: &'a Site, sv: &SiteView<'_>, path: &str, r: &'a Report) -> Self {
        MovedView {
            card: Card::new(site, sv, r),
            address: &r.page,
            href: relative_href(path, &r.page),
        }
    }
}

/// A unit in a list or tree, with its count (sub-units included).
#[derive(Serialize)]
pub struct UnitItem<'a> {
    pub name: &'a str,
    pub url: String,
    pub count: usize,
    pub own: usize,
    pub depth: usize,
    /// Has sub-units: shown as the head of its branch.
    pub parent: bool,
}

impl<'a> UnitItem<'a> {
    pub fn new(sv: &SiteView<'_>, u: &'a Unit, depth: usize) -> Self {
        UnitItem {
            name: &u.name,
            url: sv.href(&u.page),
            count: u.total,
            own: u.reports.len(),
            depth,
            parent: !u.children.is_empty(),
        }
    }
}

/// A year or a type with its count.
#[derive(Serialize)]
pub struct Count {
    pub label: String,
    pub url: String,
    pub count: usize,
}

/// Breadcrumbs: home, then the given links.
pub fn crumbs(sv: &SiteView<'_>, rest: Vec<Link>) -> Vec<Link> {
    let mut out = vec![Link {
        title: "首页".to_string(),
        url: sv.home_url.clone(),
    }];
    out.extend(rest);
    out
}
