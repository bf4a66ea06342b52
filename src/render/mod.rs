//! Rendering: the list of every output the site writes, and how each is made.
//! The only module that knows Tera (through `theme`).

mod chart;
mod compilation;
mod feed;
mod fingerprint;
mod page;
mod stats;
mod theme;
mod views;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use page::Bodies;

pub use compilation::{Compilations, Scope};
pub use fingerprint::Redo;
pub use theme::Theme;
use views::*;

use crate::diag::{Diagnostic, line_col};
use crate::manifest::Kind;
use crate::markdown::{self, LinkContext, LinkProblemKind, Rendered, Target};
use crate::model::{Beside, ContentFile, Report, Site, SourceStamp};
use crate::output::{Content, OutFile};
use crate::paths::root_prefix;

/// One file the site writes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    Home,
    Report(String),
    Unit(String),
    UnitIndex,
    Year(i32),
    YearIndex,
    Type(String),
    TypeIndex,
    Search,
    NotFound,
    /// The Atom feed of the whole archive.
    Feed,
    /// The Atom feed of one unit.
    UnitFeed(String),
    Sitemap,
    Asset(String),
    Attachment(String),
    /// 汇编: a unit's reports of one year on one page that prints as one document.
    Compilation(String, i32, Scope),
    /// A page at an old address (`Site::redirects`) that leads to the report now.
    Redirect(String),
}

impl Job {
    /// What kind of output it makes, as the output folder's manifest records it.
    pub fn kind(&self) -> Kind {
        match self {
            Job::Home => Kind::Home,
            Job::Report(_) => Kind::Report,
            Job::Unit(_)
            | Job::UnitIndex
            | Job::Year(_)
            | Job::YearIndex
            | Job::Type(_)
            | Job::TypeIndex
            | Job::Compilation(..) => Kind::Index,
            Job::Search | Job::NotFound => Kind::Page,
            Job::Redirect(_) => Kind::Redirect,
            Job::Feed | Job::UnitFeed(_) | Job::Sitemap => Kind::Feed,
            Job::Asset(_) => Kind::Asset,
            Job::Attachment(_) => Kind::Attachment,
        }
    }
}

/// Every output of the site, in a stable order; `compilations`: the
/// site's, made once for this and the renderer ([`Renderer::new`]).
pub fn jobs(site: &Site, theme: &Theme, compilations: &Compilations<'_>) -> Vec<Job> {
    let mut jobs = vec![
        Job::Home,
        Job::UnitIndex,
        Job::YearIndex,
        Job::TypeIndex,
        Job::Search,
        Job::NotFound,
        Job::Feed,
        Job::Sitemap,
    ];
    jobs.extend(site.reports.keys().cloned().map(Job::Report));
    jobs.extend(site.units.keys().cloned().map(Job::Unit));
    jobs.extend(site.units.keys().cloned().map(Job::UnitFeed));
    jobs.extend(site.years.keys().copied().map(Job::Year));
    jobs.extend(site.types.keys().cloned().map(Job::Type));
    jobs.extend(theme.assets.keys().cloned().map(Job::Asset));
    jobs.extend(site.files.keys().cloned().map(Job::Attachment));
    jobs.extend(
        compilations
            .list()
            .into_iter()
            .map(|(unit, year, scope)| Job::Compilation(unit.to_string(), year, scope)),
    );
    jobs.extend(site.redirects.keys().cloned().map(Job::Redirect));
    jobs
}

/// The site path a job writes.
pub fn job_path(site: &Site, job: &Job) -> String {
    match job {
        Job::Home => "index.html".into(),
        Job::Report(id) => site.reports[id].page.clone(),
        Job::Unit(name) => site.units[name].page.clone(),
        Job::UnitIndex => "unit/index.html".into(),
        Job::Year(y) => Site::year_page(*y),
        Job::YearIndex => "year/index.html".into(),
        Job::Type(t) => site.type_pages[t].clone(),
        Job::TypeIndex => "type/index.html".into(),
        Job::Search => "search.html".into(),
        Job::NotFound => "404.html".into(),
        Job::Feed => "feed.xml".into(),
        Job::UnitFeed(name) => feed::unit_feed_path(&site.units[name].page),
        Job::Sitemap => "sitemap.xml".into(),
        Job::Asset(a) => format!("_assets/{a}"),
        Job::Attachment(rel) => site.files[rel].site_path.clone(),
        Job::Compilation(unit, year, scope) => compilation::path(site, unit, *year, *scope),
        Job::Redirect(address) => address.clone(),
    }
}

/// Forgets the Markdown of reports that are gone, and lists the reports whose
/// Markdown must be rendered again: new, changed, or whose links now resolve
/// differently.
pub fn stale_markdown<'s>(
    site: &'s Site,
    facts: &mut BTreeMap<String, MdFacts>,
) -> Vec<&'s Arc<Report>> {
    // Both sorted by id: walked side by side rather than looked up, report
    // by report, on every save in `watch`.
    let mut reports = site.reports.keys().peekable();
    let gone: Vec<String> = facts
        .keys()
        .filter(|id| {
            while reports.next_if(|r| r < id).is_some() {}
            reports.peek() != Some(id)
        })
        .cloned()
        .collect();
    for id in &gone {
        facts.remove(id);
    }
    let mut known = facts.iter().peekable();
    site.reports
        .iter()
        .filter(|(id, r)| {
            while known.next_if(|(k, _)| k < id).is_some() {}
            let facts = known.next_if(|(k, _)| k == id).map(|(_, f)| f);
            !facts.is_some_and(|f| f.is_current(site, r))
        })
        .map(|(_, r)| r)
        .collect()
}

/// The files only drafts use ([`Site::drafts_only`]) that no published
/// report links to either (`markdown`: what the published reports' Markdown
/// links to, all of it rendered): they are neither copied nor listed nor
/// searched, as the drafts themselves.
pub fn withheld<'s>(site: &'s Site, markdown: &BTreeMap<String, MdFacts>) -> BTreeSet<&'s str> {
    if site.drafts_only.is_empty() {
        return BTreeSet::new();
    }
    let linked: HashSet<&str> = markdown
        .values()
        .flat_map(|f| &f.linked_files)
        .map(String::as_str)
        .collect();
    site.drafts_only
        .iter()
        .filter(|rel| !linked.contains(site.files[rel.as_str()].site_path.as_str()))
        .map(String::as_str)
        .collect()
}

/// What a path under `content/` is in this site.
pub fn resolve(site: &Site, path: &str) -> Target {
    if let Some(r) = site.reports.get(path) {
        Target::Page(r.page.clone())
    } else if site.drafts.contains(path) {
        Target::Draft
    } else if let Some(f) = site.files.get(path) {
        Target::File(f.site_path.clone())
    } else {
        Target::Missing
    }
}

/// Whether `path` resolves to `target` ([`resolve`], without making the target).
fn resolves_to(site: &Site, path: &str, target: &Target) -> bool {
    if let Some(r) = site.reports.get(path) {
        return matches!(target, Target::Page(p) if *p == r.page);
    }
    if site.drafts.contains(path) {
        return *target == Target::Draft;
    }
    match site.files.get(path) {
        Some(f) => matches!(target, Target::File(p) if *p == f.site_path),
        None => *target == Target::Missing,
    }
}

/// What later runs need to know of a report's rendered Markdown. The
/// rendering itself (HTML, text) is not kept: it is made again from the
/// report's file when its page is.
#[derive(Debug, Clone, PartialEq)]
pub struct MdFacts {
    /// The bytes of the file it was rendered from.
    pub source: SourceStamp,
    /// Every relative link target (path under `content/`) and what it
    /// resolved to: the rendering stays valid while these resolve the same.
    pub resolved: Vec<(String, Target)>,
    /// Site paths of the files the report links to (attachments).
    pub linked_files: Vec<String>,
    pub diags: Vec<Diagnostic>,
    /// Different for every rendering: pages that show it depend on it.
    pub stamp: u64,
}

impl MdFacts {
    pub fn new(report: &Report, rendered: &Rendered, diags: Vec<Diagnostic>, stamp: u64) -> Self {
        MdFacts {
            source: report.stamp,
            resolved: rendered.resolved.clone(),
            linked_files: rendered.linked_files.clone(),
            diags,
            stamp,
        }
    }

    /// Still valid for `report` in `site`: same file, links resolve the same.
    pub fn is_current(&self, site: &Site, report: &Report) -> bool {
        self.source == report.stamp
            && self
                .resolved
                .iter()
                .all(|(path, target)| resolves_to(site, path, target))
    }
}

/// Renders the Markdown `body` of `report`, with a diagnostic for each link problem.
pub fn markdown_one(site: &Site, report: &Report, body: &str) -> (Rendered, Vec<Diagnostic>) {
    let resolve = |path: &str| resolve(site, path);
    let ctx = LinkContext {
        dir: report.dir(),
        page: &report.page,
        resolve: &resolve,
    };
    let rendered = markdown::render(body, &ctx, site.config.allow_html);
    let shown = format!("content/{}", report.id);
    let diags = rendered
        .problems
        .iter()
        .map(|p| {
            let (line, col) = line_col(body, p.offset);
            let line = report.body_line + line - 1;
            let target = &p.target;
            let d = match p.kind {
                LinkProblemKind::Missing => Diagnostic::error(&shown, format!("links to \"{target}\", which does not exist"))
                    .hint("correct the link, or add the missing report or file; links are relative to this report's folder"),
                LinkProblemKind::OutsideContent => Diagnostic::error(&shown, format!("links to \"{target}\", which is outside the content folder"))
                    .hint("link only to reports and files under content/"),
                LinkProblemKind::Draft => Diagnostic::warning(&shown, format!("links to \"{target}\", a draft that is not published; the link is left out"))
                    .hint("publish that report (remove `draft: true`) or remove the link"),
                LinkProblemKind::UnsafeScheme => Diagnostic::warning(&shown, format!("the link \"{target}\" could run code in the reader's browser and is left out"))
                    .hint("link to web pages with http:// or https://"),
                LinkProblemKind::HeadingAttribute => Diagnostic::warning(&shown, format!("the heading attribute `{target}` is left out: a heading may have only an #id and plain .classes"))
                    .hint("remove it from the `{…}` after the heading; how a page looks is the theme's to decide"),
            };
            d.at(line, col)
        })
        .collect();
    (rendered, diags)
}

/// A report's rendered body as a compilation binds it.
pub struct Compiled<'b> {
    /// The body's HTML as made for the report's own page.
    pub html: String,
    /// Site paths of the files the report links to.
    pub linked_files: &'b [String],
}

/// Everything a job needs to run.
pub struct Renderer<'a> {
    pub site: &'a Site,
    pub theme: &'a Theme,
    beside: Beside<'a>,
    card_hashes: fingerprint::CardHashes<'a>,
    compilations: Compilations<'a>,
}

impl<'a> Renderer<'a> {
    /// `compilations`: the site's ([`Compilations::new`]).
    pub fn new(site: &'a Site, theme: &'a Theme, compilations: Compilations<'a>) -> Self {
        Renderer {
            site,
            theme,
            beside: Beside::new(site),
            card_hashes: fingerprint::CardHashes::new(site),
            compilations,
        }
    }

    pub fn path(&self, job: &Job) -> String {
        job_path(self.site, job)
    }

    /// Makes the output of any job but a report page ([`Renderer::report_page`])
    /// and a compilation ([`Renderer::compilation`]).
    pub fn run(&self, job: &Job) -> Result<OutFile, Diagnostic> {
        let path = self.path(job);
        let content = match job {
            Job::Asset(a) => Content::Bytes(self.theme.assets[a].to_vec()),
            Job::Attachment(rel) => Content::Copy(self.site.files[rel].source.clone()),
            Job::Feed => {
                let site = self.site;
                let xml = feed::atom(site, &path, &site.config.title, "index.html", &site.newest);
                Content::Bytes(xml.into_bytes())
            }
            Job::UnitFeed(name) => {
                let u = &self.site.units[name];
                let title = format!("{} · {}", u.name, self.site.config.title);
                let xml = feed::atom(self.site, &path, &title, &u.page, &u.reports);
                Content::Bytes(xml.into_bytes())
            }
            Job::Sitemap => Content::Bytes(feed::sitemap(self.site, &path).into_bytes()),
            _ => Content::Bytes(self.page(job, &path, Bodies::None)?),
        };
        Ok(OutFile { path, content })
    }

    /// The page of report `id`, from its rendered Markdown.
    pub fn report_page(&self, id: &str, md: &Rendered) -> Result<OutFile, Diagnostic> {
        let body = Body {
            html: Html::Shown(md.html.as_str().into()),
            toc: &md.toc,
            linked_files: &md.linked_files,
        };
        self.page_file(&Job::Report(id.to_string()), Bodies::Own(body))
    }

    /// The reports a compilation binds, in its order.
    pub fn compiled(&self, job: &Job) -> Vec<&'a str> {
        match job {
            Job::Compilation(unit, year, scope) => {
                self.compilations.reports(self.site, unit, *year, *scope)
            }
            _ => Vec::new(),
        }
    }

    /// A compilation, from the rendered bodies of the reports it binds
    /// ([`Renderer::compiled`]), each with the files it links to.
    pub fn compilation(&self, job: &Job, bodies: &[Compiled<'_>]) -> Result<OutFile, Diagnostic> {
        let bodies = bodies
            .iter()
            .map(|c| Body {
                html: Html::Shown(c.html.as_str().into()),
                toc: &[],
                linked_files: c.linked_files,
            })
            .collect();
        self.page_file(job, Bodies::Compiled(bodies))
    }

    fn page_file(&self, job: &Job, bodies: Bodies<'_>) -> Result<OutFile, Diagnostic> {
        let path = self.path(job);
        let html = self.page(job, &path, bodies)?;
        Ok(OutFile {
            path,
            content: Content::Bytes(html),
        })
    }

    fn page(&self, job: &Job, path: &str, bodies: Bodies<'_>) -> Result<Vec<u8>, Diagnostic> {
        let root = root_prefix(path);
        let page = self.context(job, path, &root, bodies);
        let ctx = tera::Context::from_serialize(&page).map_err(|e| {
            Diagnostic::error(path, format!("the page's context cannot be made: {e}"))
        })?;
        self.theme.render(page::template(job), &ctx)
    }

    /// The report's attachments ([`Beside::files`]); `linked`: the site
    /// paths of the files its Markdown links to.
    pub(crate) fn attachment_files(&self, id: &str, linked: &[String]) -> Vec<&'a ContentFile> {
        // Most reports have none: spare them the look-up.
        if linked.is_empty() && !self.beside.has_files(self.site.reports[id].dir()) {
            return Vec::new();
        }
        self.beside.files(id, linked)
    }

    /// The report's attachments, linked from the page at `page`; `linked`:
    /// the files its Markdown links to.
    fn attachments(&self, id: &str, page: &str, linked: &[String]) -> Vec<Attachment> {
        self.attachment_files(id, linked)
            .into_iter()
            .map(|f| Attachment {
                // Without invisible characters, as published: a right-to-left
                // override would show another name than the file's.
                name: (crate::text::clean_line(f.name()).chars())
                    .filter(|c| !crate::paths::is_invisible(*c))
                    .collect(),
                url: crate::paths::relative_href(page, &f.site_path),
                size: crate::human::byte_size(f.size),
                as_text: f.risk().is_some_and(|r| r.renamed()),
            })
            .collect()
    }
}
