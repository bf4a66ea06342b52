//! Fingerprints: a hash of everything an output depends on, so that an
//! incremental rebuild renders only the outputs whose inputs changed.
//! Config and theme changes are not covered: they restart from nothing.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::{FixedState, FoldHasher};

use rayon::prelude::*;

use super::{Job, MdFacts, Renderer};
use crate::model::{Report, Site};

/// Hashes of what a report shows in every list, computed once per run.
/// A fast hasher with a fixed seed: fingerprints compare within one process only.
fn hasher() -> FoldHasher<'static> {
    FixedState::with_seed(0x6461_6e67_616e).build_hasher()
}

pub(crate) type CardHashes<'a> = HashMap<&'a str, u64, FixedState>;

pub(crate) fn card_hashes(site: &Site) -> CardHashes<'_> {
    site.reports
        .par_iter()
        .map(|(id, r)| (id.as_str(), card_hash(site, r)))
        .collect()
}

fn card_hash(site: &Site, r: &Report) -> u64 {
    let mut h = hasher();
    (&r.id, &r.title, &r.page, &r.unit, &site.units[&r.unit].page).hash(&mut h);
    (
        r.date,
        &r.kind,
        &site.type_pages[&r.kind],
        &r.tags,
        &r.summary,
    )
        .hash(&mut h);
    h.finish()
}

impl Renderer<'_> {
    /// The fingerprints of `jobs` (as listed by `jobs()`), in order, given
    /// the Markdown of every report. Report pages, the bulk of them, are done
    /// in one pass over the ordered maps.
    pub fn fingerprints(&self, jobs: &[Job], markdown: &BTreeMap<String, MdFacts>) -> Vec<u64> {
        let site = self.site;
        let unit_paths: HashMap<&str, u64, FixedState> = site
            .units
            .keys()
            .map(|name| {
                let mut h = hasher();
                for u in site.unit_path(name) {
                    (&u.name, &u.page).hash(&mut h);
                }
                (name.as_str(), h.finish())
            })
            .collect();
        let pairs: Vec<_> = site.reports.iter().zip(markdown).collect();
        // What a report shows wherever it is shown whole (its page, its compilation).
        let whole: Vec<(&str, u64)> = pairs
            .par_iter()
            .map(|((id, r), (md_id, md))| {
                assert_eq!(id, md_id, "every report's Markdown is known");
                let mut h = hasher();
                md.stamp.hash(&mut h);
                card_hash(site, r).hash(&mut h);
                if self.beside.has_files(r.dir()) || !md.linked_files.is_empty() {
                    for f in self.attachment_files(id, &md.linked_files) {
                        (&f.rel, &f.site_path, f.size).hash(&mut h);
                    }
                }
                (id.as_str(), h.finish())
            })
            .collect();
        let mut reports = whole
            .par_iter()
            .map(|&(id, whole)| {
                let mut h = hasher();
                whole.hash(&mut h);
                unit_paths[site.reports[id].unit.as_str()].hash(&mut h);
                let (older, newer) = site.neighbours(id);
                for n in [older, newer] {
                    n.map(|x| self.card_hashes[x.id.as_str()]).hash(&mut h);
                }
                (id, h.finish())
            })
            .collect::<Vec<_>>()
            .into_iter();
        let whole = |id: &str| {
            let i = whole
                .binary_search_by(|(x, _)| (*x).cmp(id))
                .expect("a compiled report is a report");
            whole[i].1
        };
        let others: Vec<u64> = jobs
            .par_iter()
            .map(|j| match j {
                Job::Report(_) => 0,
                Job::Compilation(unit, year, scope) => {
                    let mut h = hasher();
                    (j, self.path(j)).hash(&mut h);
                    unit_paths[unit.as_str()].hash(&mut h);
                    for id in self.compilations.reports(site, unit, *year, *scope) {
                        whole(id).hash(&mut h);
                    }
                    h.finish()
                }
                _ => self.fingerprint(j),
            })
            .collect();
        jobs.iter()
            .zip(others)
            .map(|(j, fp)| match j {
                Job::Report(id) => {
                    let (rid, fp) = reports.next().expect("one report job per report");
                    assert_eq!(rid, id, "report jobs are listed in report order");
                    fp
                }
                _ => fp,
            })
            .collect()
    }

    /// Equal fingerprints (within one process) mean equal bytes.
    fn fingerprint(&self, job: &Job) -> u64 {
        let site = self.site;
        let mut h = hasher();
        job.hash(&mut h);
        match job {
            Job::Home => {
                let n = site.config.newest.min(site.newest.len());
                self.cards(&site.newest[..n], &mut h);
                self.hash_unit_tree(&mut h);
                self.hash_years(&mut h);
                self.hash_types(&mut h);
                site.units.len().hash(&mut h);
            }
            Job::Report(_) | Job::Compilation(..) => {
                unreachable!("report pages and compilations are fingerprinted with the reports")
            }
            Job::Unit(name) => {
                let u = &site.units[name];
                (&u.page, u.reports.len(), u.total).hash(&mut h);
                for c in &u.children {
                    let c = &site.units[c];
                    (&c.name, &c.page, c.total, c.reports.len()).hash(&mut h);
                }
                for p in site.unit_path(name) {
                    (&p.name, &p.page).hash(&mut h);
                }
                self.cards(&u.reports, &mut h);
                if !u.children.is_empty() {
                    // The charts count the sub-units' reports: their dates and types.
                    let mut all = super::stats::subtree(site, name);
                    all.sort_unstable();
                    self.cards(&all, &mut h);
                }
            }
            Job::UnitIndex => self.hash_unit_tree(&mut h),
            Job::Year(y) => {
                self.cards(&site.years[y], &mut h);
                // Its list of compilations: the units' places in the tree and their counts.
                for (u, depth, own, all) in self.year_entries(*y) {
                    (&u.name, &u.page, depth, own, all).hash(&mut h);
                }
            }
            Job::YearIndex => self.hash_years(&mut h),
            Job::Type(t) => {
                site.type_pages[t].hash(&mut h);
                self.cards(&site.types[t], &mut h);
            }
            Job::TypeIndex => self.hash_types(&mut h),
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
                // Addresses and dates only: a new title leaves the sitemap as it is.
                for id in &site.newest {
                    let r = &site.reports[id];
                    (&r.page, r.date).hash(&mut h);
                }
                for u in site.units.values() {
                    u.page.hash(&mut h);
                }
                self.hash_years(&mut h);
                self.hash_types(&mut h);
            }
            Job::Search | Job::NotFound | Job::Asset(_) => {}
            Job::Attachment(rel) => {
                let f = &site.files[rel];
                (&f.source, f.size, f.modified).hash(&mut h);
            }
            Job::Redirect(address) => {
                let id = &site.redirects[address];
                (id, self.card_hashes[id.as_str()]).hash(&mut h);
            }
        }
        h.finish()
    }

    fn cards(&self, ids: &[String], h: &mut FoldHasher<'static>) {
        ids.len().hash(h);
        for id in ids {
            self.card_hashes[id.as_str()].hash(h);
        }
    }

    fn hash_unit_tree(&self, h: &mut FoldHasher<'static>) {
        for (u, depth) in self.site.unit_tree() {
            let parent = !u.children.is_empty();
            (&u.name, &u.page, u.total, u.reports.len(), depth, parent).hash(h);
        }
    }

    fn hash_years(&self, h: &mut FoldHasher<'static>) {
        for (y, ids) in &self.site.years {
            (y, ids.len(), Site::year_page(*y)).hash(h);
        }
    }

    fn hash_types(&self, h: &mut FoldHasher<'static>) {
        for (t, ids) in &self.site.types {
            (t, ids.len(), &self.site.type_pages[t]).hash(h);
        }
    }
}
