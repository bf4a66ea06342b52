//! Fingerprints: a hash of everything an output depends on, so that an
//! incremental rebuild renders only the outputs whose inputs changed.
//! Config and theme changes are not covered: they restart from nothing.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::{Job, Renderer};
use crate::model::{Report, Site};

impl Renderer<'_> {
    /// Equal fingerprints (within one process) mean equal bytes.
    pub fn fingerprint(&self, job: &Job) -> u64 {
        let site = self.site;
        let mut h = DefaultHasher::new();
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
            Job::Report(id) => {
                let r = &site.reports[id];
                self.markdown[id].stamp.hash(&mut h);
                self.card(r, &mut h);
                for u in site.unit_path(&r.unit) {
                    (&u.name, &u.page).hash(&mut h);
                }
                let (older, newer) = site.neighbours(id);
                for n in [older, newer] {
                    n.map(|x| (&x.title, &x.page)).hash(&mut h);
                }
                for f in self.attachment_files(id) {
                    (&f.rel, &f.site_path, f.size).hash(&mut h);
                }
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
            }
            Job::UnitIndex => self.hash_unit_tree(&mut h),
            Job::Year(y) => self.cards(&site.years[y], &mut h),
            Job::YearIndex => self.hash_years(&mut h),
            Job::Type(t) => {
                site.type_pages[t].hash(&mut h);
                self.cards(&site.types[t], &mut h);
            }
            Job::TypeIndex => self.hash_types(&mut h),
            Job::Search | Job::NotFound | Job::Asset(_) => {}
            Job::Attachment(rel) => {
                let f = &site.files[rel];
                (&f.source, f.size, f.modified).hash(&mut h);
            }
        }
        h.finish()
    }

    fn card(&self, r: &Report, h: &mut DefaultHasher) {
        let site = self.site;
        (&r.id, &r.title, &r.page, &r.unit, &site.units[&r.unit].page).hash(h);
        (
            r.date,
            &r.kind,
            &site.type_pages[&r.kind],
            &r.tags,
            &r.summary,
        )
            .hash(h);
    }

    fn cards(&self, ids: &[String], h: &mut DefaultHasher) {
        ids.len().hash(h);
        for id in ids {
            self.card(&self.site.reports[id], h);
        }
    }

    fn hash_unit_tree(&self, h: &mut DefaultHasher) {
        for (u, depth) in self.site.unit_tree() {
            (&u.name, &u.page, u.total, u.reports.len(), depth).hash(h);
        }
    }

    fn hash_years(&self, h: &mut DefaultHasher) {
        for (y, ids) in &self.site.years {
            (y, ids.len(), Site::year_page(*y)).hash(h);
        }
    }

    fn hash_types(&self, h: &mut DefaultHasher) {
        for (t, ids) in &self.site.types {
            (t, ids.len(), &self.site.type_pages[t]).hash(h);
        }
    }
}
