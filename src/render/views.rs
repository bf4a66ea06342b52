//! View structs: what templates see. Built from the model, never the model itself.
//! Each is `Serialize` (templates are rendered from it) and `Hash` (the
//! page's fingerprint is the hash of the same value, see `fingerprint`).

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use serde::{Serialize, Serializer, ser::SerializeSeq};

use super::fingerprint::CardHashes;
use crate::markdown::TocEntry;
use crate::model::{Report, Site, Unit};
use crate::paths::{encode_fragment, push_encoded, relative_href};

/// Common to every page.
#[derive(Serialize, Hash)]
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
    /// How many reports the site has: on the pages that show it (the home
    /// page, the list of years) and no other, so that a report added leaves
    /// the other pages' fingerprints as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    pub generator: &'static str,
}

impl<'a> SiteView<'a> {
    pub fn new(site: &'a Site, root: &str) -> Self {
        let href = |p: &str| href(root, p);
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
            total: None,
            generator: concat!("dangan ", env!("CARGO_PKG_VERSION")),
            root: root.to_string(),
        }
    }

    pub fn href(&self, site_path: &str) -> String {
        href(&self.root, site_path)
    }
}

/// The URL of `site_path` from a page whose root is `root` (`../` prefix).
fn href(root: &str, site_path: &str) -> String {
    let mut href = String::with_capacity(root.len() + site_path.len());
    href.push_str(root);
    push_encoded(&mut href, site_path);
    href
}

#[derive(Serialize, Clone, Hash)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// A report in a list.
#[derive(Serialize, Hash)]
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
    /// The card of `r` on a page whose root is `root` (`../` prefix).
    pub fn new(site: &'a Site, root: &str, r: &'a Report) -> Self {
        Card {
            title: &r.title,
            url: href(root, &r.page),
            unit: &r.unit,
            unit_url: href(root, &site.units[&r.unit].page),
            date: r.date.to_string(),
            date_cn: r.date.chinese(),
            kind: &r.kind,
            kind_url: href(root, &site.type_pages[&r.kind]),
            tags: &r.tags,
            summary: r.summary.as_deref(),
        }
    }
}

/// What the cards of one page are made from: the site, the page's root, and
/// the hash of every report's card at the site's root (made once per run).
#[derive(Clone, Copy)]
pub struct CardsAt<'a> {
    pub site: &'a Site,
    pub hashes: &'a CardHashes<'a>,
    pub root: &'a str,
}

impl<'a> CardsAt<'a> {
    pub fn one(self, id: &'a str) -> CardOf<'a> {
        CardOf { at: self, id }
    }

    pub fn list(self, ids: impl IntoIterator<Item = &'a String>) -> Cards<'a> {
        Cards {
            at: self,
            ids: ids.into_iter().map(String::as_str).collect(),
        }
    }
}

/// A report's card on a page, made when the page is rendered. Its hash is
/// that of the card made at the site's root, and the root: a card's URLs
/// are its site paths behind the root, so equal hashes mean equal cards
/// without making every card of every list at each run.
#[derive(Clone, Copy)]
pub struct CardOf<'a> {
    at: CardsAt<'a>,
    id: &'a str,
}

impl Serialize for CardOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let site = self.at.site;
        Card::new(site, self.at.root, &site.reports[self.id]).serialize(s)
    }
}

impl Hash for CardOf<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.at.root, self.at.hashes.of(self.id)).hash(h);
    }
}

/// Reports in a list: their cards ([`CardOf`]).
pub struct Cards<'a> {
    at: CardsAt<'a>,
    ids: Vec<&'a str>,
}

impl Cards<'_> {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

impl Serialize for Cards<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.ids.len()))?;
        for id in &self.ids {
            seq.serialize_element(&self.at.one(id))?;
        }
        seq.end()
    }
}

impl Hash for Cards<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.at.root.hash(h);
        self.ids.len().hash(h);
        for id in &self.ids {
            self.at.hashes.of(id).hash(h);
        }
    }
}

/// A titled group of reports (a year, a month).
#[derive(Serialize, Hash)]
pub struct Group<'a> {
    pub label: String,
    pub anchor: String,
    pub count: usize,
    /// Shown unfolded: all groups of a short list, only the first of a long one.
    pub open: bool,
    pub reports: Cards<'a>,
    /// Pages about the group as a whole (a unit's compilation of that year).
    pub links: Vec<Link>,
}

/// Lists longer than this fold all their groups but the first.
pub const LONG_LIST: usize = 60;

/// Groups `ids` (newest first) by a key, keeping the order.
pub fn group_by<'a, K: PartialEq + Copy>(
    at: CardsAt<'a>,
    ids: impl IntoIterator<Item = &'a String>,
    key: impl Fn(&Report) -> K,
    label: impl Fn(K) -> (String, String),
    links: impl Fn(K) -> Vec<Link>,
) -> Vec<Group<'a>> {
    let mut groups: Vec<(K, Cards<'a>)> = Vec::new();
    let mut total = 0;
    for id in ids {
        total += 1;
        let k = key(&at.site.reports[id]);
        match groups.last_mut() {
            Some((last, cards)) if *last == k => cards.ids.push(id),
            _ => groups.push((k, at.list([id]))),
        }
    }
    let long = total > LONG_LIST;
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

#[derive(Serialize, Hash)]
pub struct TocItem {
    pub level: u8,
    pub href: String,
    pub text: String,
}

#[derive(Serialize, Hash)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    pub size: String,
    /// Published under a name that opens as text (a web page, SVG or server
    /// script would run as a page of the site): the link asks the browser
    /// to save it under its own name, where the browser allows that.
    pub as_text: bool,
}

/// A report's rendered Markdown as a page holds it: to render, its HTML; to
/// fingerprint, the stamp of the rendering, which is new whenever the HTML
/// or the table of contents could differ (the rendering itself is not kept
/// between runs).
#[derive(Hash)]
pub enum Html<'b> {
    Shown(Cow<'b, str>),
    Stamp(u64),
}

impl Serialize for Html<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Html::Shown(html) => s.serialize_str(html),
            Html::Stamp(_) => Err(serde::ser::Error::custom(
                "a stamp stands for a body in fingerprints only",
            )),
        }
    }
}

/// A report's rendered Markdown as a page is made from it.
pub struct Body<'b> {
    pub html: Html<'b>,
    /// Empty with a stamp: the stamp stands for it.
    pub toc: &'b [TocEntry],
    /// Site paths of the files the report links to.
    pub linked_files: &'b [String],
}

#[derive(Serialize, Hash)]
pub struct ReportView<'a> {
    #[serde(flatten)]
    pub card: CardOf<'a>,
    pub author: Option<&'a str>,
    pub html: Html<'a>,
    pub toc: Vec<TocItem>,
    pub attachments: Vec<Attachment>,
    pub prev: Option<Link>,
    pub next: Option<Link>,
    pub year_url: String,
}

impl<'a> ReportView<'a> {
    pub fn new(
        at: CardsAt<'a>,
        r: &'a Report,
        body: Body<'a>,
        attachments: Vec<Attachment>,
    ) -> Self {
        let site = at.site;
        let (older, newer) = site.neighbours(&r.id);
        let link = |x: &Report| Link {
            title: x.title.clone(),
            url: href(at.root, &x.page),
        };
        ReportView {
            card: at.one(&r.id),
            author: r.author.as_deref(),
            html: body.html,
            toc: body
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
            year_url: format!(
                "{}#y{}",
                href(at.root, &site.units[&r.unit].page),
                r.date.year
            ),
        }
    }
}

/// A page at an old address: the report it leads to.
#[derive(Serialize, Hash)]
pub struct MovedView<'a> {
    #[serde(flatten)]
    pub card: CardOf<'a>,
    /// The report's address as a reader sees it in the address bar.
    pub address: &'a str,
    /// Relative to the old address, for the link and the refresh.
    pub href: String,
}

impl<'a> MovedView<'a> {
    pub fn new(at: CardsAt<'a>, path: &str, r: &'a Report) -> Self {
        MovedView {
            card: at.one(&r.id),
            address: &r.page,
            href: relative_href(path, &r.page),
        }
    }
}

/// A unit in a list or tree, with its count (sub-units included).
#[derive(Serialize, Hash)]
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
#[derive(Serialize, Hash)]
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
