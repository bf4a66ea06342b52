//! Rendering: the list of every output the site writes, and how each is made.
//! The only module that knows Tera (through `theme`).

mod chart;
mod compilation;
mod feed;
mod fingerprint;
mod stats;
mod theme;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use compilation::Compilations;
pub use compilation::Scope;
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

/// Every output of the site, in a stable order.
pub fn jobs(site: &Site, theme: &Theme) -> Vec<Job> {
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
    let compilations = Compilations::new(site);
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
    facts.retain(|id, _| site.reports.contains_key(id));
    site.reports
        .values()
        .filter(|r| !facts.get(&r.id).is_some_and(|f| f.is_current(site, r)))
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
                .all(|(path, target)| resolve(site, path) == *target)
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

/// The rendered bodies a page shows.
#[derive(Clone, Copy)]
enum Bodies<'b> {
    None,
    /// A report page's own.
    Own(&'b Rendered),
    /// A compilation's reports', in its order.
    Compiled(&'b [Compiled<'b>]),
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
    pub fn new(site: &'a Site, theme: &'a Theme) -> Self {
        Renderer {
            site,
            theme,
            beside: Beside::new(site),
            card_hashes: fingerprint::card_hashes(site),
            compilations: Compilations::new(site),
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
            _ => Content::Bytes(self.page(job, &path, Bodies::None)?.into_bytes()),
        };
        Ok(OutFile { path, content })
    }

    /// The page of report `id`, from its rendered Markdown.
    pub fn report_page(&self, id: &str, md: &Rendered) -> Result<OutFile, Diagnostic> {
        self.page_file(&Job::Report(id.to_string()), Bodies::Own(md))
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
        self.page_file(job, Bodies::Compiled(bodies))
    }

    fn page_file(&self, job: &Job, bodies: Bodies<'_>) -> Result<OutFile, Diagnostic> {
        let path = self.path(job);
        let html = self.page(job, &path, bodies)?;
        Ok(OutFile {
            path,
            content: Content::Bytes(html.into_bytes()),
        })
    }

    fn page(&self, job: &Job, path: &str, bodies: Bodies<'_>) -> Result<String, Diagnostic> {
        let site = self.site;
        let sv = SiteView::new(site, root_prefix(path));
        let mut ctx = tera::Context::new();
        let template = match job {
            Job::Home => {
                ctx.insert("page_title", &site.config.title);
                let n = site.config.newest.min(site.newest.len());
                ctx.insert("newest", &cards(site, &sv, &site.newest[..n]));
                ctx.insert("units", &self.unit_tree(&sv));
                ctx.insert("years", &self.year_counts(&sv));
                ctx.insert("types", &self.type_counts(&sv));
                ctx.insert("unit_count", &site.units.len());
                ctx.insert(
                    "year_chart",
                    &stats::years_chart(site, &sv, "years-chart", &site.newest),
                );
                ctx.insert("units_chart", &stats::active_units_chart(site, &sv));
                "home.html"
            }
            Job::Report(id) => {
                let r = &site.reports[id];
                let Bodies::Own(md) = bodies else {
                    unreachable!("a report page is made from its Markdown")
                };
                let attachments = self.attachments(id, path, &md.linked_files);
                let view = ReportView::new(site, &sv, r, md, attachments);
                let mut trail: Vec<Link> = site
                    .unit_path(&r.unit)
                    .iter()
                    .map(|u| Link {
                        title: u.name.clone(),
                        url: sv.href(&u.page),
                    })
                    .collect();
                trail.push(Link {
                    title: format!("{}年", r.date.year),
                    url: view.year_url.clone(),
                });
                ctx.insert("crumbs", &crumbs(&sv, trail));
                ctx.insert("page_title", &r.title);
                ctx.insert("report", &view);
                "report.html"
            }
            Job::Unit(name) => {
                let u = &site.units[name];
                let mut trail: Vec<Link> = vec![Link {
                    title: "单位".into(),
                    url: sv.units_url.clone(),
                }];
                trail.extend(site.unit_path(name).iter().map(|x| Link {
                    title: x.name.clone(),
                    url: sv.href(&x.page),
                }));
                ctx.insert("crumbs", &crumbs(&sv, trail));
                ctx.insert("page_title", &u.name);
                ctx.insert("unit", &UnitItem::new(&sv, u, 0));
                let children: Vec<UnitItem> = u
                    .children
                    .iter()
                    .map(|c| UnitItem::new(&sv, &site.units[c], 1))
                    .collect();
                ctx.insert("children", &children);
                // Charts count the sub-units' reports too, as the unit's total does.
                let mut all = stats::subtree(site, name);
                // A unit with no reports of its own lists its sub-units' reports instead.
                let listed = if u.reports.is_empty() {
                    all.sort_by(|a, b| {
                        let (a, b) = (&site.reports[a], &site.reports[b]);
                        a.newest_first_key().cmp(&b.newest_first_key())
                    });
                    &all
                } else {
                    &u.reports
                };
                let groups = group_by(
                    site,
                    &sv,
                    listed,
                    |r| r.date.year,
                    |y| (format!("{y}年"), format!("y{y}")),
                    |y| self.compilation_links(&sv, name, y),
                );
                ctx.insert("groups", &groups);
                ctx.insert("from_sub_units", &u.reports.is_empty());
                ctx.insert(
                    "year_chart",
                    &stats::years_chart(site, &sv, "years-chart", &all),
                );
                ctx.insert(
                    "type_chart",
                    &stats::types_chart(site, &sv, "types-chart", &all),
                );
                ctx.insert(
                    "feed_url",
                    &crate::paths::relative_href(path, &feed::unit_feed_path(&u.page)),
                );
                "unit.html"
            }
            Job::UnitIndex => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![Link {
                            title: "单位".into(),
                            url: sv.units_url.clone(),
                        }],
                    ),
                );
                ctx.insert("page_title", "全部单位");
                ctx.insert("units", &self.unit_tree(&sv));
                "units.html"
            }
            Job::Year(y) => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![
                            Link {
                                title: "年份".into(),
                                url: sv.years_url.clone(),
                            },
                            Link {
                                title: format!("{y}年"),
                                url: sv.href(path),
                            },
                        ],
                    ),
                );
                ctx.insert("page_title", &format!("{y}年"));
                ctx.insert("year", y);
                let ids = &site.years[y];
                ctx.insert("count", &ids.len());
                let groups = group_by(
                    site,
                    &sv,
                    ids,
                    |r| r.date.month,
                    |m| (format!("{m}月"), format!("m{m:02}")),
                    |_| Vec::new(),
                );
                ctx.insert("groups", &groups);
                ctx.insert("month_chart", &stats::months_chart(site, *y, ids));
                ctx.insert("compilations", &self.year_compilations(&sv, *y));
                "year.html"
            }
            Job::YearIndex => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![Link {
                            title: "年份".into(),
                            url: sv.years_url.clone(),
                        }],
                    ),
                );
                ctx.insert("page_title", "全部年份");
                ctx.insert("years", &self.year_counts(&sv));
                ctx.insert(
                    "year_chart",
                    &stats::years_chart(site, &sv, "years-chart", &site.newest),
                );
                "years.html"
            }
            Job::Type(t) => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![
                            Link {
                                title: "类型".into(),
                                url: sv.types_url.clone(),
                            },
                            Link {
                                title: t.clone(),
                                url: sv.href(path),
                            },
                        ],
                    ),
                );
                ctx.insert("page_title", t);
                ctx.insert("kind", t);
                let ids = &site.types[t];
                ctx.insert("count", &ids.len());
                let groups = group_by(
                    site,
                    &sv,
                    ids,
                    |r| r.date.year,
                    |y| (format!("{y}年"), format!("y{y}")),
                    |_| Vec::new(),
                );
                ctx.insert("groups", &groups);
                "type.html"
            }
            Job::TypeIndex => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![Link {
                            title: "类型".into(),
                            url: sv.types_url.clone(),
                        }],
                    ),
                );
                ctx.insert("page_title", "全部类型");
                ctx.insert("types", &self.type_counts(&sv));
                "types.html"
            }
            Job::Search => {
                ctx.insert(
                    "crumbs",
                    &crumbs(
                        &sv,
                        vec![Link {
                            title: "搜索".into(),
                            url: sv.search_url.clone(),
                        }],
                    ),
                );
                ctx.insert("page_title", "搜索");
                "search.html"
            }
            Job::NotFound => {
                ctx.insert("crumbs", &crumbs(&sv, vec![]));
                ctx.insert("page_title", "找不到页面");
                "404.html"
            }
            Job::Compilation(unit, year, scope) => {
                let Bodies::Compiled(bodies) = bodies else {
                    unreachable!("a compilation is made from its reports' bodies")
                };
                self.compilation_page(&mut ctx, &sv, path, (unit, *year, *scope), bodies);
                "compilation.html"
            }
            Job::Redirect(address) => {
                let r = &site.reports[&site.redirects[address]];
                ctx.insert("crumbs", &crumbs(&sv, vec![]));
                ctx.insert("page_title", &r.title);
                ctx.insert("moved", &MovedView::new(site, &sv, path, r));
                "moved.html"
            }
            Job::Asset(_) | Job::Attachment(_) | Job::Feed | Job::UnitFeed(_) | Job::Sitemap => {
                unreachable!("not a page")
            }
        };
        ctx.insert("site", &sv);
        self.theme.render(template, &ctx)
    }

    fn unit_tree(&self, sv: &SiteView<'_>) -> Vec<UnitItem<'a>> {
        self.site
            .unit_tree()
            .into_iter()
            .map(|(u, depth)| UnitItem::new(sv, u, depth))
            .collect()
    }

    fn year_counts(&self, sv: &SiteView<'_>) -> Vec<Count> {
        self.site
            .years
            .iter()
            .rev()
            .map(|(y, ids)| Count {
                label: format!("{y}年"),
                url: sv.href(&Site::year_page(*y)),
                count: ids.len(),
            })
            .collect()
    }

    fn type_counts(&self, sv: &SiteView<'_>) -> Vec<Count> {
        self.site
            .types
            .iter()
            .map(|(t, ids)| Count {
                label: t.clone(),
                url: sv.href(&self.site.type_pages[t]),
                count: ids.len(),
            })
            .collect()
    }

    /// The report's attachments ([`Beside::files`]); `linked`: the site
    /// paths of the files its Markdown links to.
    pub(crate) fn attachment_files(&self, id: &str, linked: &[String]) -> Vec<&'a ContentFile> {
        self.beside.files(id, linked)
    }

    /// The report's attachments, linked from the page at `page`; `linked`:
    /// the files its Markdown links to.
    fn attachments(&self, id: &str, page: &str, linked: &[String]) -> Vec<Attachment> {
        self.attachment_files(id, linked)
            .into_iter()
            .map(|f| Attachment {
                name: crate::text::clean_line(f.name()).into_owned(),
                url: crate::paths::relative_href(page, &f.site_path),
                size: crate::human::byte_size(f.size),
                as_text: f.risk().is_some_and(|r| r.renamed()),
            })
            .collect()
    }
}
