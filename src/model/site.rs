//! The whole site: published reports keyed by id, and the unit/year/type indexes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::{AttachmentRisk, Beside, ContentFile, Report};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::paths::safe_component;

/// Folders and files at the top of the output that dangan writes itself.
pub const RESERVED_TOP: &[&str] = &[
    "unit",
    "year",
    "type",
    "_assets",
    "_search",
    "index.html",
    "search.html",
    "404.html",
    "feed.xml",
    "sitemap.xml",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    /// Site path of the unit's page.
    pub page: String,
    pub parent: Option<String>,
    /// Sub-units, in display order.
    pub children: Vec<String>,
    /// The unit's own reports, newest first.
    pub reports: Vec<String>,
    /// Reports of the unit and all its sub-units.
    pub total: usize,
    pub order: i64,
}

#[derive(Default)]
struct Indexes {
    newest: Vec<String>,
    units: BTreeMap<String, Unit>,
    root_units: Vec<String>,
    years: BTreeMap<i32, Vec<String>>,
    types: BTreeMap<String, Vec<String>>,
    type_pages: BTreeMap<String, String>,
    unit_position: Positions,
}

type Positions = HashMap<String, usize, foldhash::fast::FixedState>;

#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    /// Published reports (no drafts) by id.
    pub reports: BTreeMap<String, Arc<Report>>,
    /// Ids of drafts, so that links to them are recognised.
    pub drafts: BTreeSet<String>,
    /// Attachments by path under `content/`.
    pub files: BTreeMap<String, ContentFile>,
    /// The files only drafts use, by path under `content/` ([`Beside::drafts_only`]):
    /// not published unless a published report links to one (`render::withheld`).
    pub drafts_only: BTreeSet<String>,
    pub units: BTreeMap<String, Unit>,
    /// Top-level units in display order.
    pub root_units: Vec<String>,
    /// Report ids per year and per type, newest first.
    pub years: BTreeMap<i32, Vec<String>>,
    pub types: BTreeMap<String, Vec<String>>,
    /// Site path of each type's page.
    pub type_pages: BTreeMap<String, String>,
    /// All reports, newest first.
    pub newest: Vec<String>,
    /// Old addresses (site paths) and the id of the report each leads to;
    /// filled in by `addresses::resolve`.
    pub redirects: BTreeMap<String, String>,
    /// Where each report stands in its unit's list.
    unit_position: Positions,
}

impl Site {
    /// Builds the indexes. (Whether the outputs fit together is `output_names`' to check.)
    pub fn new(
        config: Config,
        reports: impl IntoIterator<Item = Arc<Report>>,
        files: impl IntoIterator<Item = ContentFile>,
    ) -> Site {
        let mut drafts = BTreeSet::new();
        let mut draft_reports = Vec::new();
        let mut published = BTreeMap::new();
        for r in reports {
            if r.draft {
                drafts.insert(r.id.clone());
                draft_reports.push(r);
            } else {
                published.insert(r.id.clone(), r);
            }
        }
        let files: BTreeMap<String, ContentFile> =
            files.into_iter().map(|f| (f.rel.clone(), f)).collect();
        let mut site = Site {
            config,
            reports: published,
            drafts,
            files,
            drafts_only: BTreeSet::new(),
            units: BTreeMap::new(),
            root_units: Vec::new(),
            years: BTreeMap::new(),
            types: BTreeMap::new(),
            type_pages: BTreeMap::new(),
            newest: Vec::new(),
            redirects: BTreeMap::new(),
            unit_position: HashMap::default(),
        };
        let ix = site.index();
        site.newest = ix.newest;
        site.units = ix.units;
        site.root_units = ix.root_units;
        site.years = ix.years;
        site.types = ix.types;
        site.type_pages = ix.type_pages;
        site.unit_position = ix.unit_position;
        if !draft_reports.is_empty() {
            let drafts: Vec<&Report> = draft_reports.iter().map(|r| &**r).collect();
            site.drafts_only = Beside::new(&site).drafts_only(&drafts);
        }
        site
    }

    /// The indexes of `self.reports`; reads only `config` and `reports`.
    fn index(&self) -> Indexes {
        let mut ix = Indexes::default();
        // Sort compact keys: comparing through each report's Arc costs a cache miss per step.
        let mut keys: Vec<_> = self
            .reports
            .values()
            .map(|r| (r.newest_first_key(), &**r))
            .collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let newest: Vec<&Report> = keys.into_iter().map(|(_, r)| r).collect();
        ix.newest = newest.iter().map(|r| r.id.clone()).collect();

        let mut units: BTreeMap<String, Unit> = BTreeMap::new();
        let new_unit = |name: &str, config: &Config| {
            let decl = config.unit_decl(name);
            Unit {
                name: name.to_string(),
                page: String::new(),
                parent: decl.and_then(|d| d.parent.clone()),
                children: Vec::new(),
                reports: Vec::new(),
                total: 0,
                order: decl.map_or(0, |d| d.order),
            }
        };
        for d in &self.config.units {
            units.insert(d.name.clone(), new_unit(&d.name, &self.config));
        }
        for r in &newest {
            if !units.contains_key(&r.unit) {
                units.insert(r.unit.clone(), new_unit(&r.unit, &self.config));
            }
            units
                .get_mut(&r.unit)
                .expect("inserted above")
                .reports
                .push(r.id.clone());
            ix.years.entry(r.date.year).or_default().push(r.id.clone());
            match ix.types.get_mut(&r.kind) {
                Some(list) => list.push(r.id.clone()),
                None => {
                    ix.types.insert(r.kind.clone(), vec![r.id.clone()]);
                }
            }
        }
        // Children and display order: by `order`, then name.
        let mut sorted: Vec<(i64, String)> =
            units.values().map(|u| (u.order, u.name.clone())).collect();
        sorted.sort();
        for (_, name) in &sorted {
            match units[name].parent.clone() {
                Some(p) => units
                    .get_mut(&p)
                    .expect("parents are declared")
                    .children
                    .push(name.clone()),
                None => ix.root_units.push(name.clone()),
            }
        }
        for u in units.values() {
            for (i, id) in u.reports.iter().enumerate() {
                ix.unit_position.insert(id.clone(), i);
            }
        }
        for name in ix.root_units.clone() {
            total(&mut units, &name);
        }
        // Page names: the declared slug or the name, unique even on case-insensitive shares.
        let mut taken = HashMap::new();
        for (_, name) in &sorted {
            let base = self
                .config
                .unit_decl(name)
                .and_then(|d| d.slug.clone())
                .unwrap_or_else(|| safe_component(name));
            let page = unique_page("unit", &base, &mut taken);
            units.get_mut(name).expect("unit exists").page = page;
        }
        let mut taken = HashMap::new();
        for t in ix.types.keys() {
            ix.type_pages.insert(
                t.clone(),
                unique_page("type", &safe_component(t), &mut taken),
            );
        }
        ix.units = units;
        ix
    }

    /// The reports of this site that differ from `other`'s in more than
    /// their bodies ([`Report::same_but_body`]), when the two sites are the
    /// same but for those reports' own fields: the same reports by id, each
    /// at the same page with the same aliases, and the same indexes, units,
    /// files and redirects (but for the order of the indexes' lists where
    /// those reports keep their unit, date and type: a new title moves a
    /// report among those of its date). Such a change (a title, tags, an
    /// author) shows on the report's page, on its neighbours' before and
    /// after (their links to it), in its compilations and on the lists, on
    /// no other report's page. `None` when the sites differ otherwise.
    pub fn changed_reports<'s>(&'s self, other: &Site) -> Option<Vec<&'s str>> {
        let Site {
            config,
            reports,
            drafts,
            files,
            drafts_only,
            units,
            root_units,
            years,
            types,
            type_pages,
            newest,
            redirects,
            unit_position,
        } = self;
        if reports.len() != other.reports.len() {
            return None;
        }
        let mut changed = Vec::new();
        for ((a, ra), (b, rb)) in reports.iter().zip(&other.reports) {
            if a != b {
                return None;
            }
            if Arc::ptr_eq(ra, rb) || ra.same_but_body(rb) {
                continue;
            }
            if ra.page != rb.page || ra.aliases != rb.aliases {
                return None;
            }
            changed.push(a.as_str());
        }
        let same = *config == other.config
            && *drafts == other.drafts
            && *files == other.files
            && *drafts_only == other.drafts_only
            && *root_units == other.root_units
            && *type_pages == other.type_pages
            && *redirects == other.redirects;
        // The indexes are made from the config and the reports alone
        // (`index`): reports that keep their unit, date and type stay in the
        // same lists, a new title moving them only among the reports of
        // their date.
        let same_lists = || {
            changed.iter().all(|id| {
                let (a, b) = (&reports[*id], &other.reports[*id]);
                a.unit == b.unit && a.date == b.date && a.kind == b.kind
            })
        };
        let same_indexes = || {
            *units == other.units
                && *years == other.years
                && *types == other.types
                && *newest == other.newest
                && *unit_position == other.unit_position
        };
        (same && (same_lists() || same_indexes())).then_some(changed)
    }

    /// The unit and its ancestors, root first.
    pub fn unit_path(&self, name: &str) -> Vec<&Unit> {
        let mut path = Vec::new();
        let mut current = self.units.get(name);
        while let Some(u) = current {
            path.push(u);
            current = u.parent.as_ref().and_then(|p| self.units.get(p));
        }
        path.reverse();
        path
    }

    /// Units in tree order (each followed by its sub-units) with their depth.
    pub fn unit_tree(&self) -> Vec<(&Unit, usize)> {
        fn walk<'a>(site: &'a Site, name: &str, depth: usize, out: &mut Vec<(&'a Unit, usize)>) {
            let u = &site.units[name];
            out.push((u, depth));
            for c in &u.children {
                walk(site, c, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        for r in &self.root_units {
            walk(self, r, 0, &mut out);
        }
        out
    }

    /// The reports before and after `id` in its unit, oldest to newest.
    pub fn neighbours(&self, id: &str) -> (Option<&Report>, Option<&Report>) {
        let Some(r) = self.reports.get(id) else {
            return (None, None);
        };
        let list = &self.units[&r.unit].reports; // newest first
        let Some(&i) = self.unit_position.get(id) else {
            return (None, None);
        };
        let older = list.get(i + 1).map(|x| &*self.reports[x]);
        let newer = i.checked_sub(1).map(|j| &*self.reports[&list[j]]);
        (older, newer)
    }

    pub fn year_page(year: i32) -> String {
        format!("year/{year}.html")
    }
}

fn total(units: &mut BTreeMap<String, Unit>, name: &str) -> usize {
    let children = units[name].children.clone();
    let sum: usize = children.iter().map(|c| total(units, c)).sum();
    let u = units.get_mut(name).expect("unit exists");
    u.total = u.reports.len() + sum;
    u.total
}

fn unique_page(dir: &str, base: &str, taken: &mut HashMap<String, usize>) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while taken.contains_key(&name.to_lowercase()) || name.eq_ignore_ascii_case("index") {
        n += 1;
        name = format!("{base}-{n}");
    }
    taken.insert(name.to_lowercase(), n);
    format!("{dir}/{name}.html")
}

/// Attachments that would run something when a reader opens them: a
/// warning for each, naming the file and what to do instead.
pub fn risky_attachments<'a>(files: impl IntoIterator<Item = &'a ContentFile>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for f in files {
        let Some(risk) = f.risk() else { continue };
        let shown = format!("content/{}", f.rel);
        let published = f.site_path.rsplit('/').next().unwrap_or(&f.site_path);
        let d = match risk {
            AttachmentRisk::Page if AttachmentRisk::of(&f.rel).is_none() => Diagnostic::warning(
                shown,
                format!(
                    "this attachment holds a web page (its text begins with HTML or XML markup), which Firefox runs as a page \
                     whatever the file's ending; it is published as \"{published}\", which opens as text"
                ),
            )
            .hint("attach the document as PDF instead, or give it the ending .txt if it is meant to be read as text"),
            AttachmentRisk::Page => Diagnostic::warning(
                shown,
                format!(
                    "this attachment is a web page or image that can hold scripts, which would run in the reader's browser; \
                     it is published as \"{published}\", which opens as text, not as a page"
                ),
            )
            .hint("attach the document as PDF instead (open it, Print, Save as PDF; a picture as PNG), or remove it if it is not needed"),
            AttachmentRisk::Server => Diagnostic::warning(
                shown,
                format!(
                    "this attachment is a script or settings file that a web server may run; \
                     it is published as \"{published}\", which opens as text"
                ),
            )
            .hint("remove it from content/ unless it is part of a report; a web server's files do not belong in the archive"),
            AttachmentRisk::Program => Diagnostic::warning(
                shown,
                "this attachment is a program or script, which runs with the reader's rights when opened",
            )
            .hint("remove it from content/ unless the archive must hold it; send programs another way"),
        };
        diags.push(d);
    }
    diags
}
