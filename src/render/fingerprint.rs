//! Fingerprints: a hash of everything an output depends on, so that an
//! incremental rebuild renders only the outputs whose inputs changed.
//! Config and theme changes are not covered: they restart from nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::{FixedState, FoldHasher};

use rayon::prelude::*;

use super::page::Bodies;
use super::views::{Body, Card, Html};
use super::{Job, MdFacts, Renderer};
use crate::model::{Report, Site};
use crate::paths::root_prefix;

/// A fast hasher with a fixed seed: fingerprints compare within one process only.
fn hasher() -> FoldHasher<'static> {
    FixedState::with_seed(0x6461_6e67_616e).build_hasher()
}

/// The hash of each report's card at the site's root: lists hash these
/// instead of making every card of every page (`views::CardOf`). Made for
/// every report once per run before every page's fingerprint is made
/// ([`Renderer::fingerprints`]); a save in `watch` hashes only the cards
/// of the pages it makes again (a report page's neighbours, the lists of a
/// report given a new title: a few thousand at most), not every report's.
pub(crate) struct CardHashes<'a> {
    site: &'a Site,
    all: Option<HashMap<&'a str, u64, FixedState>>,
}

impl<'a> CardHashes<'a> {
    pub(crate) fn new(site: &'a Site) -> Self {
        CardHashes { site, all: None }
    }

    /// Hashes every report's card (on all threads), unless done already.
    fn make_all(&mut self) {
        let site = self.site;
        self.all.get_or_insert_with(|| {
            site.reports
                .par_iter()
                .map(|(id, r)| (id.as_str(), card_hash(site, r)))
                .collect()
        });
    }

    /// The hash of the card of the report `id`.
    pub(crate) fn of(&self, id: &str) -> u64 {
        match &self.all {
            Some(all) => all[id],
            None => card_hash(self.site, &self.site.reports[id]),
        }
    }
}

fn card_hash(site: &Site, r: &Report) -> u64 {
    let mut h = hasher();
    Card::new(site, "", r).hash(&mut h);
    h.finish()
}

/// A report's rendered Markdown as its fingerprint covers it: by the stamp of the rendering.
fn stamped(md: &MdFacts) -> Body<'_> {
    Body {
        html: Html::Stamp(md.stamp),
        toc: &[],
        linked_files: &md.linked_files,
    }
}

/// What may have changed since fingerprints were last made, of a site
/// whose outputs are the same (`Renderer::fingerprints_since`).
#[derive(Default)]
pub struct Redo<'s> {
    /// The reports whose own page may differ: their bodies were rendered
    /// again or their fields changed, or a neighbour's fields did (a report
    /// page links to its neighbours by title). A report page shows no other
    /// report.
    pub reports: HashSet<&'s str>,
    /// The reports whose compilations may differ: bodies rendered again or
    /// fields changed. A compilation shows its own reports alone.
    pub compiled: HashSet<&'s str>,
    /// The reports whose own fields changed, each keeping its unit, year
    /// and type: the pages that list them (or lead to them) may show them,
    /// and the pages made from the whole site (home, indexes, feeds).
    pub listed: Vec<&'s str>,
}

impl Renderer<'_> {
    /// The fingerprints of `jobs` (as listed by `jobs()`), in order, given
    /// the Markdown of every report. A page's fingerprint is the hash of the
    /// context it is rendered from (`page`), its Markdown by stamp.
    pub fn fingerprints(&mut self, jobs: &[Job], markdown: &BTreeMap<String, MdFacts>) -> Vec<u64> {
        self.card_hashes.make_all();
        jobs.par_iter()
            .map(|job| self.fingerprint_with(job, markdown))
            .collect()
    }

    /// The fingerprints of `jobs` made from a site that is the one `before`
    /// was made from but for what `redo` says (`Site::changed_reports` and
    /// the bodies rendered since): a page that shows none of it has the same
    /// context, so its fingerprint is `before`'s.
    pub fn fingerprints_since(
        &self,
        jobs: &[Job],
        markdown: &BTreeMap<String, MdFacts>,
        before: &[u64],
        redo: &Redo<'_>,
    ) -> Vec<u64> {
        jobs.par_iter()
            .zip(before)
            .map(|(job, &fp)| {
                let shows = match job {
                    Job::Report(id) => redo.reports.contains(id.as_str()),
                    Job::Compilation(..) => self
                        .compiled(job)
                        .iter()
                        .any(|id| redo.compiled.contains(id)),
                    _ => self.may_show(job, &redo.listed),
                };
                match shows {
                    true => self.fingerprint_with(job, markdown),
                    false => fp,
                }
            })
            .collect()
    }

    /// Whether `job`, neither a report page nor a compilation, may show
    /// the fields of one of the reports `listed` (`Redo::listed`): the
    /// pages of their units and their units' parents (a unit with no
    /// reports of its own lists its sub-units'), their years and types,
    /// the old addresses that lead to them, and every page made from the
    /// whole site. A list shows a report by its card, in the order of the
    /// reports' dates and titles; the lists stay the same but for those
    /// reports' places among the reports of their date.
    fn may_show(&self, job: &Job, listed: &[&str]) -> bool {
        let site = self.site;
        let mut reports = listed.iter().map(|id| &site.reports[*id]);
        match job {
            Job::Unit(name) | Job::UnitFeed(name) => reports.any(|r| {
                let path = site.unit_path(&r.unit);
                path.iter().any(|u| u.name == *name)
            }),
            Job::Year(y) => reports.any(|r| r.date.year == *y),
            Job::Type(t) => reports.any(|r| r.kind == *t),
            Job::Redirect(address) => listed.contains(&site.redirects[address].as_str()),
            Job::Asset(_) | Job::Attachment(_) => false,
            _ => !listed.is_empty(),
        }
    }

    /// The bodies a page shows are those of `Job::Report` and
    /// `Job::Compilation` alone (`fingerprints_since` counts on it).
    fn fingerprint_with(&self, job: &Job, markdown: &BTreeMap<String, MdFacts>) -> u64 {
        let md = |id: &str| stamped(&markdown[id]);
        let bodies = match job {
            Job::Report(id) => Bodies::Own(md(id)),
            Job::Compilation(..) => {
                Bodies::Compiled(self.compiled(job).into_iter().map(md).collect())
            }
            _ => Bodies::None,
        };
        self.fingerprint(job, bodies)
    }

    /// Equal fingerprints (within one process) mean equal bytes.
    fn fingerprint(&self, job: &Job, bodies: Bodies<'_>) -> u64 {
        let site = self.site;
        let mut h = hasher();
        job.hash(&mut h);
        match job {
            // Not pages: made by code of their own, from the reports' cards.
            Job::Feed => {
                let n = site.newest.len().min(super::feed::FEED_LEN);
                self.cards(&site.newest[..n], &mut h);
            }
            Job::UnitFeed(name) => {
                let u = &site.units[name];
                let n = u.reports.len().min(super::feed::FEED_LEN);
                (&u.name, &u.page).hash(&mut h);
                self.cards(&u.reports[..n], &mut h);
            }
            Job::Sitemap => {
                // Addresses and dates only: a new title leaves the sitemap
                // as it is. In the sitemap's order, the reports' files'
                // (`feed::sitemap`): a renamed file can change it alone.
                for r in site.reports.values() {
                    (&r.page, r.date).hash(&mut h);
                }
                for u in site.units.values() {
                    u.page.hash(&mut h);
                }
                for (y, ids) in &site.years {
                    (y, ids.len(), Site::year_page(*y)).hash(&mut h);
                }
                for (t, ids) in &site.types {
                    (t, ids.len(), &site.type_pages[t]).hash(&mut h);
                }
            }
            Job::Asset(_) => {}
            Job::Attachment(rel) => {
                let f = &site.files[rel];
                (&f.source, f.size, f.modified).hash(&mut h);
            }
            _ => {
                let path = self.path(job);
                let root = root_prefix(&path);
                path.hash(&mut h);
                self.context(job, &path, &root, bodies).hash(&mut h);
            }
        }
        h.finish()
    }

    fn cards(&self, ids: &[String], h: &mut FoldHasher<'static>) {
        ids.len().hash(h);
        for id in ids {
            self.card_hashes.of(id).hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::model::{Report, ReportDate};
    use crate::output::Content;
    use crate::render::{Compilations, Compiled, Theme, jobs, markdown_one};

    fn report(id: &str, title: &str, day: u8) -> Report {
        Report {
            title: title.into(),
            unit: "市委办公室".into(),
            date: ReportDate {
                year: 2020,
                month: 3,
                day: Some(day),
            },
            tags: vec!["调研".into()],
            summary: Some("摘要".into()),
            author: Some("张三".into()),
            ..Report::sample(id)
        }
    }

    /// Every output of a three-report site, with its fingerprint; the report
    /// `2020/乙.md` changed by `change` (in the model only: its Markdown,
    /// and so its stamp, stay the same).
    fn outputs(change: impl Fn(&mut Report)) -> BTreeMap<Job, (u64, Vec<u8>)> {
        let mut reports = vec![
            report("2020/甲.md", "甲报告", 1),
            report("2020/乙.md", "乙报告", 2),
            report("2020/丙.md", "丙报告", 3),
        ];
        change(&mut reports[1]);
        let site = Site::new(Config::default(), reports.into_iter().map(Arc::new), []);
        let theme = Theme::load(Path::new("/nonexistent"), None).expect("the built-in theme");
        let jobs = jobs(&site, &theme, &Compilations::new(&site));
        let mut renderer = Renderer::new(&site, &theme, Compilations::new(&site));
        let mut rendered = BTreeMap::new();
        let mut facts = BTreeMap::new();
        for (i, r) in site.reports.values().enumerate() {
            let (md, diags) = markdown_one(&site, r, "## 一、基本情况\n\n正文。\n");
            facts.insert(r.id.clone(), MdFacts::new(r, &md, diags, i as u64));
            rendered.insert(r.id.clone(), md);
        }
        let fingerprints = renderer.fingerprints(&jobs, &facts);
        jobs.iter()
            .zip(fingerprints)
            .map(|(job, fp)| {
                let out = match job {
                    Job::Report(id) => renderer.report_page(id, &rendered[id]),
                    Job::Compilation(..) => {
                        let bodies: Vec<Compiled> = renderer
                            .compiled(job)
                            .into_iter()
                            .map(|id| Compiled {
                                html: rendered[id].html.clone(),
                                linked_files: &rendered[id].linked_files,
                            })
                            .collect();
                        renderer.compilation(job, &bodies)
                    }
                    _ => renderer.run(job),
                };
                let Content::Bytes(bytes) = out.expect("renders").content else {
                    panic!("no attachments here")
                };
                (job.clone(), (fp, bytes))
            })
            .collect()
    }

    type Change = dyn Fn(&mut Report);

    /// Whatever field of a report a page shows, changing it changes the
    /// page's fingerprint. The author is one the hand-written fingerprints
    /// left to the report's stamp: changed in the model alone, the report
    /// page and its compilation showed the new name under the old
    /// fingerprints, so an incremental build would have kept the old pages.
    #[test]
    fn a_page_whose_bytes_change_gets_a_new_fingerprint() {
        let before = outputs(|_| {});
        let changes: [(&str, &Change); 5] = [
            ("author", &|r| r.author = Some("李四".into())),
            ("title", &|r| r.title = "乙报告（修订）".into()),
            ("summary", &|r| r.summary = None),
            ("tags", &|r| r.tags.push("安全".into())),
            ("type", &|r| r.kind = "计划".into()),
        ];
        for (what, change) in changes {
            let after = outputs(change);
            let mut shown = 0;
            for (job, (fp, bytes)) in &after {
                let Some((old_fp, old_bytes)) = before.get(job) else {
                    continue;
                };
                if bytes != old_bytes {
                    shown += 1;
                    assert_ne!(
                        fp, old_fp,
                        "{job:?} shows the new {what} under its old fingerprint"
                    );
                }
            }
            assert!(shown > 0, "some page shows the {what}");
        }
    }
}
