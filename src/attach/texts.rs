//! The attachments of each published report, their texts as the search
//! index asks for them: a part per attachment that has text, named after it.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use super::LIMITS;
use super::store::Store;
use crate::cache;
use crate::diag::Diagnostic;
use crate::model::{Beside, ContentFile, Site};
use crate::search::TextPart;

pub struct AttachmentTexts {
    store: Store,
    /// Per report id, its attachments (path under content/, file name).
    of: HashMap<String, Vec<(String, String)>>,
    /// Every report's attachments (paths under content/), sorted, and the
    /// hash of what `of` and they were made from ([`lists_key`]).
    rels: Vec<String>,
    key: Option<u64>,
}

/// The part of the build cache that holds the texts read.
const CACHE_PART: &str = "attachments";

/// What the texts depend on besides the files: how much is read of each.
fn cache_key() -> Vec<u8> {
    format!("{LIMITS:?}").into_bytes()
}

impl AttachmentTexts {
    pub fn new() -> io::Result<AttachmentTexts> {
        Ok(AttachmentTexts {
            store: Store::new(LIMITS)?,
            of: HashMap::new(),
            rels: Vec::new(),
            key: None,
        })
    }

    /// The texts as the build cache of `root` has them (empty when there is
    /// none), with the line to print when it could not be used.
    pub fn open(root: &Path) -> io::Result<(AttachmentTexts, Option<String>)> {
        let mut note = None;
        let store = match cache::read(root, CACHE_PART, &cache_key()) {
            Ok(Some(payload)) => Store::restore(&payload, LIMITS)?,
            Ok(None) => None,
            Err(ignored) => {
                note = Some(ignored.line());
                None
            }
        };
        let store = match store {
            Some(s) => s,
            None => Store::new(LIMITS)?,
        };
        Ok((
            AttachmentTexts {
                store,
                of: HashMap::new(),
                rels: Vec::new(),
                key: None,
            },
            note,
        ))
    }

    /// Writes the texts to the build cache of `root` if they changed since
    /// it was read; the size of the part written when there was none before.
    pub fn save(&mut self, root: &Path) -> io::Result<Option<u64>> {
        if !self.store.dirty() {
            return Ok(None);
        }
        let existed = cache::part_path(root, CACHE_PART).exists();
        if !existed && self.store.is_empty() {
            return Ok(None); // no attachments: nothing worth a cache
        }
        let payload = self.store.save()?;
        let size = cache::write(root, CACHE_PART, &cache_key(), &payload)?;
        Ok((!existed).then_some(size))
    }

    /// Brings the texts up to the attachments of `site`'s reports (`linked`:
    /// the site paths of the files a report links to), reading only those
    /// new or changed. Returns a warning for each that cannot be read.
    pub fn update<'a>(
        &mut self,
        site: &Site,
        linked: impl Fn(&str) -> &'a [String],
    ) -> io::Result<Vec<Diagnostic>> {
        // Which files are whose follows from the lists alone (`lists_key`):
        // a save in `watch` that changes no name and no link (a report's
        // text, its fields) keeps them, and only the files are looked at.
        let key = Self::lists_key(site, &linked);
        if self.key == Some(key) {
            let files: Vec<&ContentFile> = self
                .rels
                .iter()
                .filter_map(|rel| site.files.get(rel))
                .collect();
            self.store.update(&files)?;
            return Ok(self.store.diagnostics());
        }
        self.key = None;
        let beside = Beside::new(site);
        self.of.clear();
        let mut files: Vec<&ContentFile> = Vec::new();
        for id in site.reports.keys() {
            let mine = beside.files(id, linked(id));
            let readable: Vec<(String, String)> = mine
                .iter()
                .filter(|f| super::Kind::of(f.name()).is_some())
                .map(|f| {
                    (
                        f.rel.clone(),
                        crate::text::clean_line(f.name()).into_owned(),
                    )
                })
                .collect();
            if !readable.is_empty() {
                self.of.insert(id.clone(), readable);
            }
            files.extend(mine);
        }
        files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        files.dedup_by(|a, b| a.rel == b.rel);
        self.store.update(&files)?;
        self.rels = files.iter().map(|f| f.rel.clone()).collect();
        self.key = Some(key);
        Ok(self.store.diagnostics())
    }

    /// What [`Beside`] makes the reports' attachments from, hashed: the
    /// drafts, the published reports, the files' paths and the files each
    /// report links to.
    fn lists_key<'a>(site: &Site, linked: &impl Fn(&str) -> &'a [String]) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = foldhash::fast::FixedState::with_seed(0x6174_7461_6368).build_hasher();
        site.drafts.hash(&mut h);
        site.reports.len().hash(&mut h);
        for id in site.reports.keys() {
            (id, linked(id)).hash(&mut h);
        }
        site.files.len().hash(&mut h);
        for f in site.files.values() {
            (&f.rel, &f.site_path).hash(&mut h);
        }
        h.finish()
    }

    /// The texts of report `id`'s attachments, a part each, in name order.
    pub fn parts(&self, id: &str) -> io::Result<Vec<TextPart>> {
        let mut parts = Vec::new();
        for (rel, name) in self.of.get(id).into_iter().flatten() {
            if let Some(text) = self.store.text(rel)? {
                parts.push(TextPart {
                    name: name.clone(),
                    text,
                });
            }
        }
        Ok(parts)
    }
}
