//! The index as kept state: full builds, and incremental updates for watch mode
//! that recompute only the block (postings, dictionary, texts) and meta a report touches.
//!
//! Every output file is a pure function of the current set of reports (the layout
//! and the text-file names are derived from the set, never from the order of
//! updates), so after any sequence of updates `files()` equals a fresh build.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use rayon::prelude::*;

use super::layout::{
    Key, Layout, META_PATH, dict_name, heavy_prefix, id_hash, path_of, path_prefix, text_name,
};
use super::meta::build_meta;
use super::postings::{Doc, build_block};
use super::prepare::{Body, Prepared, prepare};
use super::text::Dict;
use super::{SearchDoc, SearchMeta, SearchText, texts_of};

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

/// The search index of a set of reports, kept for incremental updates. It keeps
/// what it needs of each report but its text (asked for again when the
/// report's block is built again) and a fingerprint of each file, never the
/// files' bytes.
pub struct SearchIndex {
    docs: BTreeMap<String, Prepared>,
    names: BTreeMap<String, u32>,
    layout: Layout,
    /// Per block, the keys with a postings file of their own.
    heavy: Vec<Vec<Key>>,
    files: BTreeMap<String, Fingerprint>,
}

/// Length and 128-bit hash of a file's bytes (xxh3, as publish compares files):
/// equal bytes give equal fingerprints, different bytes the same one with odds
/// of about 2^-128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint(u64, u128);

fn fingerprint(bytes: &[u8]) -> Fingerprint {
    Fingerprint(bytes.len() as u64, xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Text-file names: the id's hash, bumped past collisions in id order.
fn assign_names<'a>(ids: impl Iterator<Item = (&'a String, u32)>) -> BTreeMap<String, u32> {
    let mut used = BTreeSet::new();
    ids.map(|(id, hash)| {
        let mut h = hash.rotate_left(16);
        while !used.insert(h) {
            h = h.wrapping_add(1);
        }
        (id.clone(), h)
    })
    .collect()
}

fn names_of(docs: &BTreeMap<String, Prepared>) -> BTreeMap<String, u32> {
    assign_names(docs.iter().map(|(id, p)| (id, p.id_hash)))
}

/// Paths in `files` that start with `prefix`.
fn paths_under<V>(files: &BTreeMap<String, V>, prefix: &str) -> Vec<String> {
    files
        .range(prefix.to_string()..)
        .take_while(|(p, _)| p.starts_with(prefix))
        .map(|(p, _)| p.clone())
        .collect()
}

/// Paths of a report's text files currently in `files`.
fn text_paths<V>(files: &BTreeMap<String, V>, name: u32) -> Vec<String> {
    paths_under(files, &path_prefix(&text_name(name, 0)))
}

/// Paths of a block's heavy-key postings files currently in `files`.
fn heavy_paths<V>(files: &BTreeMap<String, V>, block: u32) -> Vec<String> {
    paths_under(files, &path_prefix(&heavy_prefix(block)))
}

/// A block's files and the keys that have a postings file of their own.
type BlockOut = (Vec<(String, Vec<u8>)>, Vec<Key>);

/// One report of a block while the block is built: what the index keeps of it,
/// its text-file name, its display text and its normalized stream.
type Pulled = (Prepared, u32, Body, Vec<char>);

/// Everything a block owns: its postings, its text dictionary and its reports'
/// text files, and the keys that have a postings file of their own. `docs`
/// lists the block's reports in id order.
fn block_files(layout: Layout, docs: &[Pulled], b: u32) -> BlockOut {
    let streams: Vec<Doc> = docs
        .iter()
        .map(|(p, _, _, s)| Doc {
            stream: s,
            title_len: p.title_len,
        })
        .collect();
    // Postings and texts side by side: a watch-mode update rebuilds one block.
    let (postings, texts) = rayon::join(
        || build_block(&streams, layout, b),
        || {
            let bodies: Vec<&Body> = docs.iter().map(|(_, _, body, _)| body).collect();
            let dict = Dict::new(&bodies);
            let name = dict_name(b);
            let mut out = vec![(path_of(&name), dict.file(&name))];
            let dict = &dict;
            out.par_extend(docs.par_iter().flat_map_iter(|(p, h, body, _)| {
                (0..body.chunks.len()).map(move |k| {
                    let n = text_name(*h, k);
                    (path_of(&n), dict.text_file(p, body, &n, k))
                })
            }));
            out
        },
    );
    let mut out: Vec<(String, Vec<u8>)> = postings
        .files
        .into_iter()
        .map(|(n, bytes)| (path_of(&n), bytes))
        .collect();
    out.extend(texts);
    (out, postings.heavy)
}

/// Asks for the texts of a block's reports (several at once) and prepares them.
fn pull<E: Send>(
    block: &[(&SearchMeta, u32)],
    text: &(impl Fn(&str) -> Result<SearchText, E> + Sync),
) -> Result<Vec<Pulled>, E> {
    block
        .par_iter()
        .map(|&(m, name)| {
            let t = text(&m.id)?;
            let (p, body, stream) = prepare(m, &t);
            Ok((p, name, body, stream))
        })
        .collect()
}

impl SearchIndex {
    /// A full build whose files are not kept (tests): [`SearchIndex::build`]
    /// with a sink that drops them.
    pub fn new(docs: &[SearchDoc]) -> Self {
        let metas = docs.iter().map(SearchDoc::meta).collect();
        let Ok(index) = Self::build(metas, texts_of(docs), |_| Ok::<(), Infallible>(()));
        index
    }

    /// A full build of the index of `metas`. Each report's text is asked of
    /// `text` (by id) only while its block is built, and dropped after; each
    /// block's files are handed to `sink` as soon as they are ready (from
    /// several threads at once). So neither the texts nor the bytes of the
    /// whole index are ever in memory together.
    pub fn build<E: Send>(
        metas: Vec<SearchMeta>,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
        sink: impl Fn(&[(String, Vec<u8>)]) -> Result<(), E> + Sync,
    ) -> Result<Self, E> {
        let metas = unique_by_id(metas);
        let layout = Layout::for_count(metas.len());
        let hashes: Vec<u32> = metas.iter().map(|d| id_hash(&d.id)).collect();
        let names = assign_names(metas.iter().map(|d| &d.id).zip(hashes.iter().copied()));
        let mut blocks: Vec<Vec<(&SearchMeta, u32)>> =
            (0..layout.blocks).map(|_| Vec::new()).collect();
        for (d, h) in metas.iter().zip(hashes) {
            blocks[layout.block_of(h) as usize].push((d, names[&d.id]));
        }
        // One block at a time, the threads working inside it (its texts, its
        // postings' buckets, its files): a block's texts, streams and postings
        // are the working memory, whatever the number of threads (a block per
        // thread took 700 MB each at 100,000 reports, #13).
        type Done = (Vec<Prepared>, Vec<(String, Fingerprint)>, Vec<Key>);
        let done: Vec<Result<Done, E>> = blocks
            .into_iter()
            .enumerate()
            .map(|(b, block)| {
                let docs = pull(&block, &text)?;
                let (files, heavy) = block_files(layout, &docs, b as u32);
                let prepared = docs.into_iter().map(|(p, ..)| p).collect();
                sink(&files)?;
                let prints = files
                    .iter()
                    .map(|(p, bytes)| (p.clone(), fingerprint(bytes)))
                    .collect();
                Ok((prepared, prints, heavy))
            })
            .collect();
        super::postings::release_scratch();
        let mut index = SearchIndex {
            docs: BTreeMap::new(),
            names,
            layout,
            heavy: Vec::new(),
            files: BTreeMap::new(),
        };
        for r in done {
            let (prepared, prints, heavy) = r?;
            index.heavy.push(heavy);
            index
                .docs
                .extend(prepared.into_iter().map(|p| (p.meta.id.clone(), p)));
            index.files.extend(prints);
        }
        let meta = build_meta(layout, &index.blocks(), &index.heavy);
        sink(&[(META_PATH.to_string(), meta.clone())])?;
        index
            .files
            .insert(META_PATH.to_string(), fingerprint(&meta));
        Ok(index)
    }

    /// All index files, sorted by path: the same as [`super::build_index`].
    /// Computed again from the reports' texts (the index keeps no file bytes).
    pub fn files<E: Send>(
        &self,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
    ) -> Result<Vec<(String, Vec<u8>)>, E> {
        Ok(self.all_files(&text)?.0.into_iter().collect())
    }

    /// Every file computed again and handed to `sink` block by block, as
    /// [`SearchIndex::build`] does (the output folder was emptied in watch mode):
    /// the texts and the bytes of the whole index are never in memory together.
    pub fn write_all<E: Send>(
        &self,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
        sink: impl Fn(&[(String, Vec<u8>)]) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        let blocks = self.blocks();
        // One block at a time, as `build` does.
        (0..self.layout.blocks).try_for_each(|b| {
            let (files, _) = self.rebuild_block(&blocks[b as usize], b, &text)?;
            sink(&files)
        })?;
        let meta = build_meta(self.layout, &blocks, &self.heavy);
        sink(&[(META_PATH.to_string(), meta)])
    }

    /// Paths of all index files, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Adds or replaces the reports `upserts` (whose text may have changed) and
    /// removes `removals` together, recomputing each touched block once (a copy
    /// of hundreds of reports is one update); the texts of the touched blocks'
    /// reports are asked of `text` again. Returns the files whose bytes changed
    /// or disappeared.
    pub fn apply<E: Send>(
        &mut self,
        upserts: Vec<SearchMeta>,
        removals: &[String],
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
    ) -> Result<Changes, E> {
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for m in unique_by_id(upserts) {
            changed.insert(m.id.clone());
            self.docs.insert(m.id.clone(), Prepared::of_meta(m));
        }
        for id in removals {
            if self.docs.remove(id).is_some() {
                changed.insert(id.clone());
            }
        }
        if changed.is_empty() {
            return Ok(Changes::default());
        }
        self.refresh(&changed, &text)
    }

    fn blocks(&self) -> Vec<Vec<(&Prepared, u32)>> {
        let mut blocks = vec![Vec::new(); self.layout.blocks as usize];
        for (id, p) in &self.docs {
            blocks[self.layout.block_of(p.id_hash) as usize].push((p, self.names[id]));
        }
        blocks
    }

    /// A block's files and heavy keys, from its reports' texts asked for again.
    fn rebuild_block<E: Send>(
        &self,
        block: &[(&Prepared, u32)],
        b: u32,
        text: &(impl Fn(&str) -> Result<SearchText, E> + Sync),
    ) -> Result<BlockOut, E> {
        let metas: Vec<(&SearchMeta, u32)> = block.iter().map(|(p, n)| (&p.meta, *n)).collect();
        let docs = pull(&metas, text)?;
        Ok(block_files(self.layout, &docs, b))
    }

    /// Every file, computed again, and each block's heavy keys; the prepared
    /// reports brought up to date with their texts.
    #[allow(clippy::type_complexity)]
    fn all_files<E: Send>(
        &self,
        text: &(impl Fn(&str) -> Result<SearchText, E> + Sync),
    ) -> Result<(BTreeMap<String, Vec<u8>>, Vec<Vec<Key>>), E> {
        let blocks = self.blocks();
        let per_block: Vec<BlockOut> = (0..self.layout.blocks)
            .into_par_iter()
            .map(|b| self.rebuild_block(&blocks[b as usize], b, text))
            .collect::<Result<_, E>>()?;
        let mut files = BTreeMap::new();
        let mut heavy = Vec::with_capacity(per_block.len());
        for (f, h) in per_block {
            files.extend(f);
            heavy.push(h);
        }
        files.insert(
            META_PATH.to_string(),
            build_meta(self.layout, &blocks, &heavy),
        );
        Ok((files, heavy))
    }

    /// Lengths recorded for the reports of `touched` blocks, from their texts
    /// (meta holds them): the texts are asked for once more, in parallel.
    fn measure<E: Send>(
        &mut self,
        touched: &BTreeSet<u32>,
        text: &(impl Fn(&str) -> Result<SearchText, E> + Sync),
    ) -> Result<(), E> {
        let layout = self.layout;
        let fresh: Vec<Prepared> = self
            .docs
            .values()
            .filter(|p| touched.contains(&layout.block_of(p.id_hash)))
            .collect::<Vec<_>>()
            .par_iter()
            .map(|p| Ok(prepare(&p.meta, &text(&p.meta.id)?).0))
            .collect::<Result<_, E>>()?;
        for p in fresh {
            self.docs.insert(p.meta.id.clone(), p);
        }
        Ok(())
    }

    /// Recomputes what changes to reports `ids` (already applied to `docs`) touch:
    /// their blocks, the blocks of reports whose text-file name moved, and meta.
    fn refresh<E: Send>(
        &mut self,
        ids: &BTreeSet<String>,
        text: &(impl Fn(&str) -> Result<SearchText, E> + Sync),
    ) -> Result<Changes, E> {
        let layout = Layout::for_count(self.docs.len());
        let old_names = std::mem::replace(&mut self.names, names_of(&self.docs));
        let mut fresh: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut stale: BTreeSet<String> = BTreeSet::new();
        if layout != self.layout {
            self.layout = layout;
            self.measure(&(0..layout.blocks).collect(), text)?;
            (fresh, self.heavy) = self.all_files(text)?;
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
            for &b in &touched {
                stale.extend(heavy_paths(&self.files, b));
            }
            self.measure(&touched, text)?;
            let blocks = self.blocks();
            let per_block: Vec<(u32, BlockOut)> = touched
                .par_iter()
                .map(|&b| Ok((b, self.rebuild_block(&blocks[b as usize], b, text)?)))
                .collect::<Result<_, E>>()?;
            let mut heavy = self.heavy.clone();
            for (b, (files, keys)) in per_block {
                fresh.extend(files);
                heavy[b as usize] = keys;
            }
            fresh.insert(
                META_PATH.to_string(),
                build_meta(self.layout, &blocks, &heavy),
            );
            self.heavy = heavy;
        }
        let mut changes = Changes::default();
        for path in stale {
            if !fresh.contains_key(&path) {
                self.files.remove(&path);
                changes.removed.push(path);
            }
        }
        for (path, bytes) in fresh {
            let print = fingerprint(&bytes);
            if self.files.get(&path) != Some(&print) {
                self.files.insert(path.clone(), print);
                changes.written.push((path, bytes));
            }
        }
        Ok(changes)
    }
}

/// One report per id: of reports sharing an id, the first in [`SearchMeta`]
/// order, so that input order never matters. Sorted by id.
fn unique_by_id(mut metas: Vec<SearchMeta>) -> Vec<SearchMeta> {
    metas.par_sort_unstable();
    metas.dedup_by(|a, b| a.id == b.id);
    metas
}
