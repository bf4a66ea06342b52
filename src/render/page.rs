//! What each template sees: one typed context per page, built here and
//! nowhere else. A page is rendered from its context, and its fingerprint is
//! the hash of the same value, so what a page shows and what its fingerprint
//! covers cannot drift apart.

use serde::Serialize;

use super::compilation::{CompilationView, UnitCompilations};
use super::views::*;
use super::{Job, Renderer, feed, stats};
use crate::model::Site;
use crate::paths::relative_href;

/// The context of one page: what every template sees, and the page's own.
#[derive(Serialize, Hash)]
pub(super) struct Page<'p> {
    pub site: SiteView<'p>,
    pub page_title: String,
    #[serde(flatten)]
    pub view: View<'p>,
}

/// What each kind of page shows besides the site and its title.
#[derive(Serialize, Hash)]
#[serde(untagged)]
pub(super) enum View<'p> {
    Home {
        newest: Cards<'p>,
        units: Vec<UnitItem<'p>>,
        years: Vec<Count>,
        types: Vec<Count>,
        unit_count: usize,
        year_chart: Option<String>,
        units_chart: Option<String>,
    },
    Report {
        crumbs: Vec<Link>,
        report: ReportView<'p>,
    },
    Unit {
        crumbs: Vec<Link>,
        unit: UnitItem<'p>,
        children: Vec<UnitItem<'p>>,
        groups: Vec<Group<'p>>,
        from_sub_units: bool,
        year_chart: Option<String>,
        type_chart: Option<String>,
        feed_url: String,
    },
    Units {
        crumbs: Vec<Link>,
        units: Vec<UnitItem<'p>>,
    },
    Year {
        crumbs: Vec<Link>,
        year: i32,
        count: usize,
        groups: Vec<Group<'p>>,
        month_chart: String,
        compilations: Vec<UnitCompilations<'p>>,
    },
    Years {
        crumbs: Vec<Link>,
        years: Vec<Count>,
        year_chart: Option<String>,
    },
    Type {
        crumbs: Vec<Link>,
        kind: &'p str,
        count: usize,
        groups: Vec<Group<'p>>,
    },
    Types {
        crumbs: Vec<Link>,
        types: Vec<Count>,
    },
    /// The search page and the page for a missing address.
    Plain { crumbs: Vec<Link> },
    Compilation {
        crumbs: Vec<Link>,
        compilation: CompilationView<'p>,
    },
    Moved {
        crumbs: Vec<Link>,
        moved: MovedView<'p>,
    },
}

/// The rendered bodies a page shows.
pub(super) enum Bodies<'b> {
    None,
    /// A report page's own.
    Own(Body<'b>),
    /// A compilation's reports', in its order.
    Compiled(Vec<Body<'b>>),
}

/// The template of a page.
pub(super) fn template(job: &Job) -> &'static str {
    match job {
        Job::Home => "home.html",
        Job::Report(_) => "report.html",
        Job::Unit(_) => "unit.html",
        Job::UnitIndex => "units.html",
        Job::Year(_) => "year.html",
        Job::YearIndex => "years.html",
        Job::Type(_) => "type.html",
        Job::TypeIndex => "types.html",
        Job::Search => "search.html",
        Job::NotFound => "404.html",
        Job::Compilation(..) => "compilation.html",
        Job::Redirect(_) => "moved.html",
        Job::Asset(_) | Job::Attachment(_) | Job::Feed | Job::UnitFeed(_) | Job::Sitemap => {
            unreachable!("not a page")
        }
    }
}

impl<'a> Renderer<'a> {
    /// The context of the page `job` writes at `path`, whose root (`../`
    /// prefix) is `root`.
    pub(super) fn context<'p>(
        &'p self,
        job: &'p Job,
        path: &str,
        root: &'p str,
        bodies: Bodies<'p>,
    ) -> Page<'p> {
        let site: &'p Site = self.site;
        let mut sv = SiteView::new(site, root);
        if matches!(job, Job::Home | Job::YearIndex) {
            sv.total = Some(site.reports.len());
        }
        let at = CardsAt {
            site,
            hashes: &self.card_hashes,
            root,
        };
        let crumbs = |rest: Vec<Link>| crumbs(&sv, rest);
        let link = |title: String, url: String| Link { title, url };
        let (page_title, view) = match job {
            Job::Home => {
                let n = site.config.newest.min(site.newest.len());
                let view = View::Home {
                    newest: at.list(&site.newest[..n]),
                    units: self.unit_tree(&sv),
                    years: self.year_counts(&sv),
                    types: self.type_counts(&sv),
                    unit_count: site.units.len(),
                    year_chart: stats::years_chart(site, &sv, "years-chart", &site.newest),
                    units_chart: stats::active_units_chart(site, &sv),
                };
                (site.config.title.clone(), view)
            }
            Job::Report(id) => {
                let r = &site.reports[id];
                let Bodies::Own(body) = bodies else {
                    unreachable!("a report page is made from its Markdown")
                };
                let attachments = self.attachments(id, path, body.linked_files);
                let report = ReportView::new(at, r, body, attachments);
                let mut trail: Vec<Link> = site
                    .unit_path(&r.unit)
                    .iter()
                    .map(|u| link(u.name.clone(), sv.href(&u.page)))
                    .collect();
                trail.push(link(format!("{}年", r.date.year), report.year_url.clone()));
                let view = View::Report {
                    crumbs: crumbs(trail),
                    report,
                };
                (r.title.clone(), view)
            }
            Job::Unit(name) => {
                let u = &site.units[name];
                let mut trail = vec![link("单位".into(), sv.units_url.clone())];
                trail.extend(
                    site.unit_path(name)
                        .iter()
                        .map(|x| link(x.name.clone(), sv.href(&x.page))),
                );
                // Charts count the sub-units' reports too, as the unit's total does.
                let mut all = stats::subtree(site, name);
                let year_chart = stats::years_chart(site, &sv, "years-chart", &all);
                let type_chart = stats::types_chart(site, &sv, "types-chart", &all);
                // A unit with no reports of its own lists its sub-units' reports instead.
                let groups = if u.reports.is_empty() {
                    all.sort_by(|a, b| {
                        let (a, b) = (&site.reports[a], &site.reports[b]);
                        a.newest_first_key().cmp(&b.newest_first_key())
                    });
                    // The same reports in `site.reports`' own strings, which live as long as the page.
                    let all: Vec<&'p String> = all.iter().map(|id| &site.reports[id].id).collect();
                    self.unit_groups(at, &sv, name, all)
                } else {
                    self.unit_groups(at, &sv, name, u.reports.iter().collect())
                };
                let view = View::Unit {
                    crumbs: crumbs(trail),
                    unit: UnitItem::new(&sv, u, 0),
                    children: u
                        .children
                        .iter()
                        .map(|c| UnitItem::new(&sv, &site.units[c], 1))
                        .collect(),
                    groups,
                    from_sub_units: u.reports.is_empty(),
                    year_chart,
                    type_chart,
                    feed_url: relative_href(path, &feed::unit_feed_path(&u.page)),
                };
                (u.name.clone(), view)
            }
            Job::UnitIndex => {
                let view = View::Units {
                    crumbs: crumbs(vec![link("单位".into(), sv.units_url.clone())]),
                    units: self.unit_tree(&sv),
                };
                ("全部单位".into(), view)
            }
            Job::Year(y) => {
                let ids = &site.years[y];
                let view = View::Year {
                    crumbs: crumbs(vec![
                        link("年份".into(), sv.years_url.clone()),
                        link(format!("{y}年"), sv.href(path)),
                    ]),
                    year: *y,
                    count: ids.len(),
                    groups: group_by(
                        at,
                        ids.iter(),
                        |r| r.date.month,
                        |m| (format!("{m}月"), format!("m{m:02}")),
                        |_| Vec::new(),
                    ),
                    month_chart: stats::months_chart(site, *y, ids),
                    compilations: self.year_compilations(&sv, *y),
                };
                (format!("{y}年"), view)
            }
            Job::YearIndex => {
                let view = View::Years {
                    crumbs: crumbs(vec![link("年份".into(), sv.years_url.clone())]),
                    years: self.year_counts(&sv),
                    year_chart: stats::years_chart(site, &sv, "years-chart", &site.newest),
                };
                ("全部年份".into(), view)
            }
            Job::Type(t) => {
                let ids = &site.types[t];
                let view = View::Type {
                    crumbs: crumbs(vec![
                        link("类型".into(), sv.types_url.clone()),
                        link(t.clone(), sv.href(path)),
                    ]),
                    kind: t,
                    count: ids.len(),
                    groups: group_by(
                        at,
                        ids.iter(),
                        |r| r.date.year,
                        |y| (format!("{y}年"), format!("y{y}")),
                        |_| Vec::new(),
                    ),
                };
                (t.clone(), view)
            }
            Job::TypeIndex => {
                let view = View::Types {
                    crumbs: crumbs(vec![link("类型".into(), sv.types_url.clone())]),
                    types: self.type_counts(&sv),
                };
                ("全部类型".into(), view)
            }
            Job::Search => {
                let view = View::Plain {
                    crumbs: crumbs(vec![link("搜索".into(), sv.search_url.clone())]),
                };
                ("搜索".into(), view)
            }
            Job::NotFound => (
                "找不到页面".into(),
                View::Plain {
                    crumbs: crumbs(vec![]),
                },
            ),
            Job::Compilation(unit, year, scope) => {
                let Bodies::Compiled(bodies) = bodies else {
                    unreachable!("a compilation is made from its reports' bodies")
                };
                let (trail, title, compilation) =
                    self.compilation_view(at, &sv, path, (unit, *year, *scope), bodies);
                let view = View::Compilation {
                    crumbs: crumbs(trail),
                    compilation,
                };
                (title, view)
            }
            Job::Redirect(address) => {
                let r = &site.reports[&site.redirects[address]];
                let view = View::Moved {
                    crumbs: crumbs(vec![]),
                    moved: MovedView::new(at, path, r),
                };
                (r.title.clone(), view)
            }
            Job::Asset(_) | Job::Attachment(_) | Job::Feed | Job::UnitFeed(_) | Job::Sitemap => {
                unreachable!("not a page")
            }
        };
        Page {
            site: sv,
            page_title,
            view,
        }
    }

    /// A unit page's reports, `ids` (newest first), by year, each year with
    /// links to its compilations.
    fn unit_groups<'p>(
        &'p self,
        at: CardsAt<'p>,
        sv: &SiteView<'_>,
        name: &str,
        ids: Vec<&'p String>,
    ) -> Vec<Group<'p>> {
        group_by(
            at,
            ids,
            |r| r.date.year,
            |y| (format!("{y}年"), format!("y{y}")),
            |y| self.compilation_links(sv, name, y),
        )
    }

    fn unit_tree<'p>(&'p self, sv: &SiteView<'_>) -> Vec<UnitItem<'p>> {
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
}
