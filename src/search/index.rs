//! The index as kept state: full builds, and incremental updates for watch mode
//! that recompute only the block (postings, dictionary, texts) and meta a report touches.
//!
//! Every output file is a pure function of the current set of reports (the layout
//! and the text-file names are derived from the set, never from the order of
//! updates), so after any sequence of updates `files()` equals a fresh build.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::SearchDoc;
use super::layout::{Layout, META_PATH, dict_name, id_hash, path_of, text_name};
use super::meta::build_meta;
use super::postings::build_block;
use super::prepare::{Prepared, prepare};
use super::text::Dict;

/// What an update changed in the output folder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Files to (re)write: (path relative to the output folder, bytes), sorted by path.
    pub written: Vec<(String, Vec<u8>)>,
    /// Files to delete, sorted.
    pub removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.removed.is_empty()
    }
}

/// The search index of a set of reports, kept for incremental updates.
pub struct SearchIndex {
    docs: BTreeMap<String, Prepared>,
    names: BTreeMap<String, u32>,
    layout: Layout,
    files: BTreeMap<String, Vec<u8>>,
}

/// Text-file names: the id's hash, bumped past collisions in id order.
fn assign_names(docs: &BTreeMap<String, Prepared>) -> BTreeMap<String, u32> {
    let mut used = BTreeSet::new();
    docs.iter()
        .map(|(id, p)| {
            let mut h = p.id_hash.rotate_left(16);
            while !used.insert(h) {
                h = h.wrapping_add(1);
            }
            (id.clone(), h)
        })
        .collect()
}

/// Paths of a report's text files currently in `files`.
fn text_paths(files: &BTreeMap<String, Vec<u8>>, name: u32) -> Vec<String> {
    let first = path_of(&text_name(name, 0));
    let prefix = first.trim_end_matches(".js");
    files
        .range(prefix.to_string()..)
        .take_while(|(p, _)| p.starts_with(prefix))
        .map(|(p, _)| p.clone())
        .collect()
}

impl SearchIndex {
    pub fn new(docs: &[SearchDoc]) -> Self {
        let mut prepared: Vec<Prepared> = docs.par_iter().map(prepare).collect();
        // Duplicate ids: keep one, chosen by content so that input order never matters.
        prepared.sort_by(|a, b| {
            (&a.id, &a.url, &a.title, &a.chunks).cmp(&(&b.id, &b.url, &b.title, &b.chunks))
        });
        prepared.dedup_by(|later, first| later.id == first.id);
        let docs: BTreeMap<String, Prepared> =
            prepared.into_iter().map(|p| (p.id.clone(), p)).collect();
        let mut index = SearchIndex {
            names: assign_names(&docs),
            layout: Layout::for_count(docs.len()),
            docs,
            files: BTreeMap::new(),
        };
        index.files = index.all_files();
        index
    }

    /// All index files, sorted by path: the same as [`super::build_index`].
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.files
            .iter()
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    }

    pub(crate) fn into_files(self) -> Vec<(String, Vec<u8>)> {
        self.files.into_iter().collect()
    }

    /// All index files, borrowed, sorted by path.
    pub fn file_refs(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// Paths of all index files, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Adds or replaces a report; returns the files whose bytes changed.
    pub fn upsert(&mut self, doc: SearchDoc) -> Changes {
        self.apply(vec![doc], &[])
    }

    /// Removes a report; returns the files whose bytes changed or disappeared.
    pub fn remove(&mut self, id: &str) -> Changes {
        self.apply(Vec::new(), &[id.to_string()])
    }

    /// Adds or replaces `upserts` and removes `removals` together, recomputing
    /// each touched block once (a copy of hundreds of reports is one update).
    pub fn apply(&mut self, upserts: Vec<SearchDoc>, removals: &[String]) -> Changes {
        let prepared: Vec<Prepared> = upserts.par_iter().map(prepare).collect();
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for p in prepared {
            if self.docs.get(&p.id) != Some(&p) {
                changed.insert(p.id.clone());
                self.docs.insert(p.id.clone(), p);
            }
        }
        for id in removals {
            if self.docs.remove(id).is_some() {
                changed.insert(id.clone());
            }
        }
        if changed.is_empty() {
            return Changes::default();
        }
        self.refresh(&changed)
    }

    fn blocks(&self) -> Vec<Vec<(&Prepared, u32)>> {
        let mut blocks = vec![Vec::new(); self.layout.blocks as usize];
        for (id, p) in &self.docs {
            blocks[self.layout.block_of(p.id_hash) as usize].push((p, self.names[id]));
        }
        blocks
    }

    /// Everything a block owns: its postings, its text dictionary and its reports' text files.
    fn block_files(&self, blocks: &[Vec<(&Prepared, u32)>], b: u32) -> Vec<(String, Vec<u8>)> {
        let docs: Vec<&Prepared> = blocks[b as usize].iter().map(|(p, _)| *p).collect();
        let mut out: Vec<(String, Vec<u8>)> = build_block(&docs, self.layout, b)
            .into_iter()
            .map(|(n, bytes)| (path_of(&n), bytes))
            .collect();
        let dict = Dict::new(&docs);
        let name = dict_name(b);
        out.push((path_of(&name), dict.file(&name)));
        for (p, h) in &blocks[b as usize] {
            for k in 0..p.chunks.len() {
                let n = text_name(*h, k);
                out.push((path_of(&n), dict.text_file(p, &n, k)));
            }
        }
        out
    }

    fn all_files(&self) -> BTreeMap<String, Vec<u8>> {
        let blocks = self.blocks();
        let mut files: BTreeMap<String, Vec<u8>> = (0..self.layout.blocks)
            .into_par_iter()
            .flat_map_iter(|b| self.block_files(&blocks, b))
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        files.insert(META_PATH.to_string(), build_meta(self.layout, &blocks));
        files
    }

    /// Recomputes what changes to reports `ids` (already applied to `docs`) touch:
    /// their blocks, the blocks of reports whose text-file name moved, and meta.
    fn refresh(&mut self, ids: &BTreeSet<String>) -> Changes {
        let layout = Layout::for_count(self.docs.len());
        let old_names = std::mem::replace(&mut self.names, assign_names(&self.docs));
        let mut fresh: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut stale: BTreeSet<String> = BTreeSet::new();
        if layout != self.layout {
            self.layout = layout;
            fresh = self.all_files();
            stale.extend(self.files.keys().cloned());
        } else {
            let block_of = |i: &str| self.layout.block_of(id_hash(i));
            let mut touched: BTreeSet<u32> = ids.iter().map(|id| block_of(id)).collect();
            for (i, n) in &self.names {
                if old_names.get(i) != Some(n) {
                    touched.insert(block_of(i));
                }
            }
            for (i, n) in &old_names {
                if touched.contains(&block_of(i)) {
                    stale.extend(text_paths(&self.files, *n));
                }
            }
            let blocks = self.blocks();
            let per_block: Vec<Vec<(String, Vec<u8>)>> = touched
                .par_iter()
                .map(|&b| self.block_files(&blocks, b))
                .collect();
            fresh.extend(per_block.into_iter().flatten());
            fresh.insert(META_PATH.to_string(), build_meta(self.layout, &blocks));
        }
        let mut changes = Changes::default();
        for path in stale {
            if !fresh.contains_key(&path) {
                self.files.remove(&path);
                changes.removed.push(path);
            }
        }
        for (path, bytes) in fresh {
            if self.files.get(&path) != Some(&bytes) {
                self.files.insert(path.clone(), bytes.clone());
                changes.written.push((path, bytes));
            }
        }
        changes
    }
}
