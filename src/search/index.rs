//! The index as kept state: full builds, block by block from texts asked for
//! and dropped, and incremental updates for watch mode that rebuild only the
//! blocks a change touches and put together again only the lists whose
//! segments changed.
//!
//! Every output file is a pure function of the current set of reports (the
//! numbering, the layout and every name are derived from the set, never from
//! the order of updates), so after any sequence of updates the files equal a
//! fresh build's.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::json;

use crate::cache::{Reader, Writer};

use super::codec::{BitWriter, JsFile, Named, UNIT_BASE, content_hash, hash_name, path_of};
use super::layout::{ENTRY_PATH, Key, LEAF_SPAN, Layout, META_SPAN, NAME_SPAN};
use super::lists::{Partial, assemble, disassemble};
use super::manifest::{Slot, entry, heavy_name, leaf_lists, leaf_meta};
use super::ngrams::{Doc, build_block};
use super::prepare::{Prepared, prepare};
use super::shards::{facet_shard, length_shard, name_shard};
use super::spill::{ListSpill, MERGE_BUCKETS, SpillError, Spilled};
use super::text::text_files;
use super::{SearchDoc, SearchMeta, SearchText, texts_of};

pub(crate) const INDEX_VERSION: u32 = 3;

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

/// A report as the index keeps it: everything but its text, and the hashes
/// naming its text pieces.
#[derive(Clone)]
struct Kept {
    p: Prepared,
    pieces: Vec<u64>,
}

/// A block as last built.
#[derive(Clone)]
struct Block {
    /// Its reports' ids, in number order: a block whose list changes is built again.
    ids: Vec<String>,
    /// Its segments of the document lists; `None` when they are in the
    /// index's spill, or in an index read from the build cache, which takes
    /// those of a list it puts together again from the list's files in the
    /// output folder.
    lists: Option<Partial>,
    /// Where its segments are in the index's spill.
    spilled: Option<Spilled>,
    /// Per list bucket, a hash of its segments for it ([`Partial::bucket_hashes`]),
    /// once computed.
    hashes: Option<Vec<u64>>,
}

/// A list bucket as last put together: its file, and its keys with files of their own.
#[derive(Clone, Default, PartialEq, Eq)]
struct ListFiles {
    bucket: Slot,
    heavy: Vec<(Key, u64)>,
}

/// The search index of a set of reports, kept for incremental updates. It
/// keeps what it needs of each report but its text (asked for again when the
/// report's block is built again), each block's segments of the document
/// lists (so that a list is put together again without reading any report;
/// those of a full build in a temporary file, [`super::spill`]), and the
/// names of the files, never their bytes.
pub struct SearchIndex {
    layout: Layout,
    /// In number order.
    docs: Vec<Kept>,
    blocks: Vec<Block>,
    lists: Vec<ListFiles>,
    /// Every file's path.
    files: BTreeSet<String>,
    /// The hash of the entry's bytes: it is written again only when it changes.
    entry: u64,
    /// A list file the last update needed was not in the output folder as
    /// the index made it: this index is not to be trusted.
    lost: bool,
    /// The blocks' segments of the last full build.
    spill: Option<ListSpill>,
}

/// A text loader, as every entry point takes it.
trait Texts<E>: Fn(&str) -> Result<SearchText, E> + Sync {}
impl<E, F: Fn(&str) -> Result<SearchText, E> + Sync> Texts<E> for F {}

/// What building a block gives: its state, its reports brought up to date
/// (lengths and text names), and its files (texts).
struct Built {
    block: Block,
    docs: Vec<Kept>,
    files: Vec<Named>,
}

/// Builds block `b` of `docs` (all reports, in number order), asking `text`
/// for its reports' texts.
fn build_one<E: Send>(
    layout: Layout,
    docs: &[Kept],
    b: u32,
    text: &impl Texts<E>,
) -> Result<Built, E> {
    let start = layout.block_start(b) as usize;
    let end = (start + layout.block as usize).min(docs.len());
    let mine = &docs[start..end];
    let pulled: Vec<_> = mine
        .par_iter()
        .map(|k| {
            let t = text(&k.p.meta.id)?;
            Ok(prepare(&k.p.meta, &t))
        })
        .collect::<Result<_, E>>()?;
    let streams: Vec<Doc> = pulled
        .iter()
        .map(|(p, _, s)| Doc {
            stream: s,
            title_len: p.title_len,
            own_end: p.stream_len - p.attach_len,
        })
        .collect();
    let (lists, texts) = rayon::join(
        || build_block(&streams, layout),
        || {
            pulled
                .par_iter()
                .map(|(p, body, _)| text_files(p, body))
                .collect::<Vec<_>>()
        },
    );
    let mut files = Vec::new();
    let mut kept = Vec::with_capacity(mine.len());
    for ((p, _, _), t) in pulled.into_iter().zip(texts) {
        kept.push(Kept {
            p,
            pieces: t.iter().map(|f| f.hash).collect(),
        });
        files.extend(t);
    }
    Ok(Built {
        block: Block {
            ids: mine.iter().map(|k| k.p.meta.id.clone()).collect(),
            lists: Some(lists),
            spilled: None,
            hashes: None,
        },
        docs: kept,
        files,
    })
}

/// The files of list bucket `d`, put together from every block's segments.
fn list_files(layout: Layout, partials: &[&Partial], d: u32) -> (ListFiles, Vec<Named>) {
    let a = assemble(partials, d, layout.heavy_bits);
    let mut files = Vec::new();
    let bucket = a.bucket.map(|w| {
        let f = Named::bits(&format!("d/{d}"), &w);
        let h = f.hash;
        files.push(f);
        h
    });
    let heavy = a
        .heavy
        .into_iter()
        .map(|(key, w)| {
            let mut args = super::codec::JsFile::args();
            args.bits(&w);
            let f = Named::new(|h| heavy_name(key, h), args);
            let h = f.hash;
            files.push(f);
            (key, h)
        })
        .collect();
    (ListFiles { bucket, heavy }, files)
}

/// Numbers the reports: by date (year, month, day; 0 for an unknown part),
/// then id.
fn number(docs: &mut [Kept]) {
    docs.par_sort_unstable_by(|a, b| {
        let key = |k: &Kept| (k.p.meta.year, k.p.month, k.p.day);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.p.meta.id.cmp(&b.p.meta.id))
    });
}

impl SearchIndex {
    /// A full build whose files are not kept (tests): [`SearchIndex::build`]
    /// with a sink that drops them.
    pub fn new(docs: &[SearchDoc]) -> Self {
        let metas = docs.iter().map(SearchDoc::meta).collect();
        Self::build(metas, texts_of(docs), |_| Ok(())).expect("the temporary file read back")
    }

    /// A full build of the index of `metas`. Each report's text is asked of
    /// `text` (by id) only while its block is built, and dropped after; each
    /// block's files are handed to `sink` as soon as they are ready, the
    /// lists (from several threads at once) once every block is built, the
    /// entry last. So neither the texts nor the bytes of the whole index are
    /// ever in memory together, and of the blocks' working memory only one
    /// block's at a time.
    pub fn build<E: Send + From<SpillError>>(
        metas: Vec<SearchMeta>,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
        sink: impl Fn(&[(String, Vec<u8>)]) -> Result<(), E> + Sync,
    ) -> Result<Self, E> {
        let mut docs: Vec<Kept> = unique_by_id(metas)
            .into_iter()
            .map(|m| Kept {
                p: Prepared::of_meta(m),
                pieces: Vec::new(),
            })
            .collect();
        number(&mut docs);
        let mut index = SearchIndex {
            layout: Layout::for_count(docs.len()),
            docs,
            blocks: Vec::new(),
            lists: Vec::new(),
            files: BTreeSet::new(),
            entry: 0,
            lost: false,
            spill: None,
        };
        index.rebuild_all(&text, &|files| sink(&pairs(files)))?;
        Ok(index)
    }

    /// Builds every block, then every list and the small files, handing each
    /// batch of files to `sink` (the entry last, as the file named "index").
    fn rebuild_all<E: Send + From<SpillError>>(
        &mut self,
        text: &impl Texts<E>,
        sink: &(impl Fn(Vec<Named>) -> Result<(), E> + Sync),
    ) -> Result<(), E> {
        let lap = crate::timing::lap_timer(std::time::Instant::now());
        let layout = self.layout;
        let docs = &self.docs;
        let mut spill = ListSpill::new();
        // One block at a time, the threads working inside it (its texts, its
        // n-grams, its list buckets): a block's texts, streams and entries
        // are the working memory, whatever the number of threads (a block
        // per thread took 700 MB each at 100,000 reports, #13). Its segments
        // go to the spill.
        let built: Vec<(Block, Vec<Kept>, Vec<String>)> = (0..layout.blocks(docs.len()))
            .map(|b| {
                let Built {
                    mut block,
                    docs,
                    files,
                } = build_one(layout, docs, b, text)?;
                let paths = files.iter().map(Named::path).collect();
                sink(files)?;
                if let (Some(s), Some(p)) = (spill.as_mut(), block.lists.take()) {
                    match s.put(p) {
                        Ok(at) => block.spilled = Some(at),
                        Err(p) => block.lists = Some(p),
                    }
                }
                Ok((block, docs, paths))
            })
            .collect::<Result<_, E>>()?;
        lap("search: blocks built and written");
        let mut paths = BTreeSet::new();
        self.blocks = Vec::with_capacity(built.len());
        self.docs.clear();
        for (block, docs, p) in built {
            self.blocks.push(block);
            self.docs.extend(docs);
            paths.extend(p);
        }
        self.spill = spill;
        let (none, no_files) = (Partial::empty(layout.d_buckets), BTreeMap::new());
        // A range of list buckets at a time: only its segments are read back.
        self.lists = Vec::with_capacity(layout.d_buckets as usize);
        for first in (0..layout.d_buckets).step_by(MERGE_BUCKETS as usize) {
            let ds = first..(first + MERGE_BUCKETS).min(layout.d_buckets);
            let read = self.read_back(ds.clone())?;
            let partials = self.partials(&read, &no_files, &none);
            let lists: Vec<(ListFiles, Vec<String>)> = ds
                .into_par_iter()
                .map(|d| {
                    let (l, files) = list_files(layout, &partials, d);
                    let p = files.iter().map(Named::path).collect();
                    sink(files)?;
                    Ok((l, p))
                })
                .collect::<Result<_, E>>()?;
            for (l, p) in lists {
                self.lists.push(l);
                paths.extend(p);
            }
        }
        lap("search: lists put together and written");
        let (small, entry) = self.small_files();
        paths.extend(small.iter().map(Named::path));
        sink(small)?;
        paths.insert(ENTRY_PATH.to_string());
        self.entry = entry.hash;
        sink(vec![entry])?;
        self.files = paths;
        Ok(())
    }

    /// The length, facet and text-name shards, the leaves, and the entry
    /// (named "index"), from what the index keeps.
    fn small_files(&self) -> (Vec<Named>, Named) {
        let l = self.layout;
        let ps: Vec<&Prepared> = self.docs.iter().map(|k| &k.p).collect();
        // Units with their ancestors, and types: the entry lists them, the
        // facet shards point into the lists.
        let unit_paths: BTreeSet<&[String]> = ps
            .iter()
            .flat_map(|p| (1..=p.unit_path.len()).map(move |n| &p.unit_path[..n]))
            .collect();
        let unit_index: BTreeMap<&[String], usize> = unit_paths
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i))
            .collect();
        let units: Vec<serde_json::Value> = unit_paths
            .iter()
            .map(|p| {
                let parent = match p.len() {
                    1 => -1,
                    n => unit_index[&p[..n - 1]] as i64,
                };
                json!([p[p.len() - 1], parent])
            })
            .collect();
        let kinds: BTreeSet<&str> = ps.iter().map(|p| p.meta.kind.as_str()).collect();
        let kind_index: BTreeMap<&str, usize> =
            kinds.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let width = |n: usize| usize::BITS - n.saturating_sub(1).leading_zeros();
        let (wu, wk) = (width(units.len()), width(kinds.len()));

        let mut out = Vec::new();
        let mut names = Vec::new();
        for (i, chunk) in self.docs.chunks(NAME_SPAN as usize).enumerate() {
            let pieces: Vec<&[u64]> = chunk.iter().map(|k| &k.pieces[..]).collect();
            let n = name_shard(i, &pieces);
            names.push(n.hash);
            out.push(n);
        }
        let (mut lengths, mut facets) = (Vec::new(), Vec::new());
        let names_per = (META_SPAN / NAME_SPAN) as usize;
        for ((i, chunk), names) in ps
            .chunks(META_SPAN as usize)
            .enumerate()
            .zip(names.chunks(names_per))
        {
            let m = length_shard(i, chunk, names);
            lengths.push(m.hash);
            out.push(m);
            let fs: Vec<(u32, u32)> = chunk
                .iter()
                .map(|p| {
                    (
                        unit_index[&p.unit_path[..]] as u32,
                        kind_index[p.meta.kind.as_str()] as u32,
                    )
                })
                .collect();
            let f = facet_shard(i, &fs, wu, wk);
            facets.push(f.hash);
            out.push(f);
        }
        let mut leaves = Vec::new();
        let mut push_leaf = |f: Named, out: &mut Vec<Named>| {
            leaves.push(f.hash);
            out.push(f);
        };
        push_leaf(leaf_meta(&lengths, &facets), &mut out);
        let span = LEAF_SPAN as usize;
        let d_leaves = self.lists.len().div_ceil(span);
        for (i, chunk) in self.lists.chunks(span).enumerate() {
            let buckets: Vec<Slot> = chunk.iter().map(|l| l.bucket).collect();
            let mut heavy: Vec<(Key, u64)> =
                chunk.iter().flat_map(|l| l.heavy.iter().copied()).collect();
            heavy.sort_unstable();
            push_leaf(leaf_lists(i, &buckets, &heavy), &mut out);
        }

        // Where each year starts: a year filter is a range of numbers.
        let mut years: Vec<(i32, usize)> = Vec::new();
        for (n, p) in ps.iter().enumerate() {
            if years.last().is_none_or(|y| y.0 != p.meta.year) {
                years.push((p.meta.year, n));
            }
        }
        let total: u64 = ps.iter().map(|p| u64::from(p.stream_len)).sum();
        let header = json!({
            "version": INDEX_VERSION,
            "n": ps.len(),
            "block": l.block,
            "blocks": self.blocks.len(),
            "dBuckets": l.d_buckets,
            "metaSpan": META_SPAN,
            "nameSpan": NAME_SPAN,
            "leafSpan": LEAF_SPAN,
            "chunk": super::layout::CHUNK_CHARS,
            "overlap": super::layout::CHUNK_OVERLAP,
            "avgLen": total / (ps.len().max(1) as u64),
            "years": years,
            "units": units,
            "kinds": kinds,
            "wu": wu,
            "wk": wk,
            "leaves": [1, d_leaves],
        });
        let (_, bytes) = entry(&header, &leaves);
        let entry = Named {
            name: "index".into(),
            hash: super::codec::content_hash(&bytes),
            bytes,
        };
        (out, entry)
    }

    /// All index files, sorted by path: the same as [`super::build_index`].
    /// Computed again from the reports' texts (the index keeps no file bytes).
    pub fn files<E: Send + From<SpillError>>(
        &self,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
    ) -> Result<Vec<(String, Vec<u8>)>, E> {
        let all = std::sync::Mutex::new(Vec::new());
        self.write_all(text, |files| {
            all.lock().expect("not poisoned").extend_from_slice(files);
            Ok(())
        })?;
        let mut files = all.into_inner().expect("not poisoned");
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// Every file computed again and handed to `sink` block by block, as
    /// [`SearchIndex::build`] does (the output folder was emptied in watch mode):
    /// the texts and the bytes of the whole index are never in memory together.
    pub fn write_all<E: Send + From<SpillError>>(
        &self,
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
        sink: impl Fn(&[(String, Vec<u8>)]) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        let mut copy = SearchIndex {
            layout: self.layout,
            docs: self.docs.clone(),
            blocks: Vec::new(),
            lists: Vec::new(),
            files: BTreeSet::new(),
            entry: 0,
            lost: false,
            spill: None,
        };
        copy.rebuild_all(&text, &|files| sink(&pairs(files)))?;
        Ok(())
    }

    /// Paths of all index files, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    /// Adds or replaces the reports `upserts` (whose text may have changed) and
    /// removes `removals` together: the blocks whose reports changed are built
    /// again (their reports' texts asked of `text`), and the lists whose
    /// segments changed are put together again. Returns the files that are
    /// new and those no longer part of the index.
    pub fn apply<E: Send + From<SpillError>>(
        &mut self,
        upserts: Vec<SearchMeta>,
        removals: &[String],
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
    ) -> Result<Changes, E> {
        self.apply_from(upserts, removals, text, |_| None)
    }

    /// [`SearchIndex::apply`] to an index read from the build cache, which
    /// asks `old_file` for the bytes of a file of the index as it is (by
    /// path in the output folder) when it puts that file's lists together
    /// again. A file missing, or not as the index made it, leaves the index
    /// [`lost`](SearchIndex::lost).
    pub fn apply_from<E: Send + From<SpillError>>(
        &mut self,
        upserts: Vec<SearchMeta>,
        removals: &[String],
        text: impl Fn(&str) -> Result<SearchText, E> + Sync,
        old_file: impl Fn(&str) -> Option<Vec<u8>> + Sync,
    ) -> Result<Changes, E> {
        let upserts = unique_by_id(upserts);
        let gone: BTreeSet<&str> = removals
            .iter()
            .map(String::as_str)
            .chain(upserts.iter().map(|m| m.id.as_str()))
            .collect();
        let before = self.docs.len();
        let mut docs: Vec<Kept> = self
            .docs
            .iter()
            .filter(|k| !gone.contains(k.p.meta.id.as_str()))
            .cloned()
            .collect();
        if upserts.is_empty() && docs.len() == before {
            return Ok(Changes::default());
        }
        let changed: BTreeSet<String> = upserts.iter().map(|m| m.id.clone()).collect();
        docs.extend(upserts.into_iter().map(|m| Kept {
            p: Prepared::of_meta(m),
            pieces: Vec::new(),
        }));
        number(&mut docs);
        let old_files = std::mem::take(&mut self.files);
        let old_entry = self.entry;
        let layout = Layout::for_count(docs.len());
        self.docs = docs;
        let collected = std::sync::Mutex::new(Vec::new());
        let collect = |files: Vec<Named>| {
            collected.lock().expect("not poisoned").extend(files);
            Ok(())
        };
        if layout != self.layout {
            self.layout = layout;
            self.rebuild_all(&text, &collect)?;
        } else {
            self.refresh(&changed, &text, &collect, &old_file)?;
        }
        let mut changes = Changes::default();
        for path in old_files.difference(&self.files) {
            changes.removed.push(path.clone());
        }
        let fresh: BTreeMap<String, Vec<u8>> = collected
            .into_inner()
            .expect("not poisoned")
            .into_iter()
            .filter(|f| match f.name.as_str() {
                "index" => f.hash != old_entry,
                _ => !old_files.contains(&f.path()),
            })
            .map(|f| (f.path(), f.bytes))
            .collect();
        changes.written = fresh.into_iter().collect();
        Ok(changes)
    }

    /// Builds again the blocks whose reports changed (`changed`, or a
    /// different list of ids), then the lists whose segments changed, then
    /// the small files. Returns the files of all of these (by path).
    fn refresh<E: Send + From<SpillError>>(
        &mut self,
        changed: &BTreeSet<String>,
        text: &impl Texts<E>,
        sink: &impl Fn(Vec<Named>) -> Result<(), E>,
        old_file: &(impl Fn(&str) -> Option<Vec<u8>> + Sync),
    ) -> Result<(), E> {
        let l = self.layout;
        let nblocks = l.blocks(self.docs.len());
        let touched: Vec<u32> = (0..nblocks)
            .filter(|&b| {
                let start = l.block_start(b) as usize;
                let end = (start + l.block as usize).min(self.docs.len());
                let mine = &self.docs[start..end];
                match self.blocks.get(b as usize) {
                    Some(old) => {
                        old.ids.len() != mine.len()
                            || mine
                                .iter()
                                .zip(&old.ids)
                                .any(|(k, id)| &k.p.meta.id != id || changed.contains(id))
                    }
                    None => true,
                }
            })
            .collect();
        // Reports of untouched blocks keep their lengths and text names.
        // One block at a time, as a full build does.
        let mut old_blocks: BTreeMap<u32, Block> = BTreeMap::new();
        for &b in &touched {
            let built = build_one(l, &self.docs, b, text)?;
            let start = l.block_start(b) as usize;
            for (i, k) in built.docs.into_iter().enumerate() {
                self.docs[start + i] = k;
            }
            sink(built.files)?;
            if (b as usize) < self.blocks.len() {
                let mut old = std::mem::replace(&mut self.blocks[b as usize], built.block);
                // Its segments from the spill, to tell which lists it changed.
                if let (Some(at), Some(spill)) = (&old.spilled, &self.spill) {
                    old.lists = Some(spill.read(at, 0..l.d_buckets)?);
                }
                old_blocks.insert(b, old);
            } else {
                self.blocks.push(built.block);
            }
        }
        // Blocks past the last report are gone: the lists they had keys in change.
        let gone: Vec<Block> = self
            .blocks
            .drain((nblocks as usize).min(self.blocks.len())..)
            .collect();
        // The new blocks' hashes, where the old ones' segments are known only by theirs.
        let new_hashes: BTreeMap<u32, Vec<u64>> = old_blocks
            .iter()
            .filter(|(_, old)| old.lists.is_none())
            .filter_map(|(&b, _)| {
                Some((b, self.blocks[b as usize].lists.as_ref()?.bucket_hashes()))
            })
            .collect();
        // A list bucket is put together again when a touched block's segments
        // for it changed (a block that is new or gone changes every bucket it has keys in).
        let blocks = &self.blocks;
        let redo: Vec<u32> = (0..l.d_buckets)
            .into_par_iter()
            .filter(|&d| {
                let du = d as usize;
                touched.iter().any(|&b| {
                    let new = blocks[b as usize].lists.as_ref();
                    match old_blocks.get(&b) {
                        Some(Block {
                            lists: Some(old), ..
                        }) => new.is_none_or(|n| !old.same_bucket(n, d)),
                        Some(Block {
                            hashes: Some(old), ..
                        }) => new_hashes.get(&b).is_none_or(|n| n[du] != old[du]),
                        _ => true,
                    }
                }) || gone
                    .iter()
                    .any(|g| match (&g.lists, &g.spilled, &g.hashes) {
                        (Some(p), ..) => p.has_keys(d),
                        (None, Some(s), _) => s.has_keys(d),
                        (None, None, Some(h)) => h[du] != 0,
                        (None, None, None) => true,
                    })
                    || self.lists.len() != l.d_buckets as usize
            })
            .collect();
        // The segments of the blocks neither in memory nor in the spill (an
        // index read from the build cache), for these lists: from their
        // files as they are.
        let stored = blocks
            .iter()
            .any(|b| b.lists.is_none() && b.spilled.is_none())
            && !redo.is_empty();
        let from_files = match stored {
            true => self.segments_from_files(&redo, old_file),
            false => Some(BTreeMap::new()),
        };
        let lost = from_files.is_none();
        let from_files = from_files.unwrap_or_default();
        let none = Partial::empty(l.d_buckets);
        // Buckets near each other are read back from the spill together (a
        // read per block and run of buckets, not per block and bucket).
        let runs: Vec<&[u32]> = redo
            .chunk_by(|a, b| a / MERGE_BUCKETS == b / MERGE_BUCKETS && b - a <= 4)
            .collect();
        let lists: Vec<Vec<(u32, ListFiles, Vec<Named>)>> = runs
            .par_iter()
            .map(|run| {
                let read = self.read_back(run[0]..run[run.len() - 1] + 1)?;
                let partials = self.partials(&read, &from_files, &none);
                let lists = run.par_iter().map(|&d| {
                    let (lf, files) = list_files(l, &partials, d);
                    (d, lf, files)
                });
                Ok(lists.collect())
            })
            .collect::<Result<_, SpillError>>()?;
        self.lists
            .resize(l.d_buckets as usize, ListFiles::default());
        for (d, lf, files) in lists.into_iter().flatten() {
            self.lists[d as usize] = lf;
            sink(files)?;
        }
        self.lost |= lost;
        let (small, entry) = self.small_files();
        self.files = self.current_paths(&small);
        self.entry = entry.hash;
        sink(small)?;
        sink(vec![entry])
    }

    /// The segments of the blocks in the spill for list buckets `ds`, read
    /// back, by block (none when no block is there).
    fn read_back(&self, ds: std::ops::Range<u32>) -> Result<Vec<Option<Partial>>, SpillError> {
        let Some(spill) = &self.spill else {
            return Ok(Vec::new());
        };
        self.blocks
            .par_iter()
            .map(|b| {
                b.spilled
                    .as_ref()
                    .map(|at| spill.read(at, ds.clone()))
                    .transpose()
            })
            .collect()
    }

    /// Every block's segments: in memory, else read back from the spill
    /// (`read`, by block), else from the list files (`from_files`, by
    /// block), else `none`.
    fn partials<'a>(
        &'a self,
        read: &'a [Option<Partial>],
        from_files: &'a BTreeMap<u32, Partial>,
        none: &'a Partial,
    ) -> Vec<&'a Partial> {
        let read = |i: usize| read.get(i).and_then(Option::as_ref);
        let stored = |i: usize| from_files.get(&(i as u32)).unwrap_or(none);
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| b.lists.as_ref().or(read(i)).unwrap_or_else(|| stored(i)))
            .collect()
    }

    /// The paths of every file the index's state names (`small`: its small files).
    fn current_paths(&self, small: &[Named]) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        let path = |name: String| super::codec::path_of(&name);
        let hn = super::codec::hash_name;
        for k in &self.docs {
            for &h in &k.pieces {
                let n = hn(h);
                paths.insert(path(format!("t/{}/{}", &n[..2], &n[2..])));
            }
        }
        for (d, l) in self.lists.iter().enumerate() {
            if let Some(h) = l.bucket {
                paths.insert(path(format!("d/{d}.{}", hn(h))));
            }
            for &(k, h) in &l.heavy {
                paths.insert(path(heavy_name(k, h)));
            }
        }
        paths.extend(small.iter().map(Named::path));
        paths.insert(ENTRY_PATH.to_string());
        paths
    }
}

/// What the build cache keeps of an index (#15), and how it reads it back:
/// the reports as the index keeps them, the list buckets' and the files'
/// names, and per block a hash of its segments of each list bucket (not the
/// segments: they are larger than the reports' Markdown). An update of an
/// index read from there takes the segments of a list it puts together
/// again from that list's files in the output folder, checked against the
/// hash that names them.
impl SearchIndex {
    /// The segments, by block, of the blocks not in memory, for the list
    /// buckets `redo`, from their files as they are; `None` if one is
    /// missing or not as this index made it.
    fn segments_from_files(
        &self,
        redo: &[u32],
        old_file: &(impl Fn(&str) -> Option<Vec<u8>> + Sync),
    ) -> Option<BTreeMap<u32, Partial>> {
        let per_bucket: Vec<Vec<(Key, u32, BitWriter)>> = redo
            .par_iter()
            .map(|&d| {
                let lf = self.lists.get(d as usize)?;
                let bucket = lf.bucket.map(|h| (format!("d/{d}.{}", hash_name(h)), h));
                let heavy = lf.heavy.iter().map(|&(k, h)| (heavy_name(k, h), h));
                let mut segs = Vec::new();
                for (name, h) in bucket.into_iter().chain(heavy) {
                    let bytes = old_file(&path_of(&name))?;
                    let (words, nbits) = list_bits(&name, h, &bytes)?;
                    segs.extend(disassemble(&words, nbits)?);
                }
                Some(segs)
            })
            .collect::<Option<_>>()?;
        type Segs = BTreeMap<u32, Vec<(Key, BitWriter)>>;
        let mut by_block: BTreeMap<u32, Segs> = BTreeMap::new();
        for (&d, segs) in redo.iter().zip(per_bucket) {
            for (key, b, seg) in segs {
                if self
                    .blocks
                    .get(b as usize)
                    .is_some_and(|k| k.lists.is_none() && k.spilled.is_none())
                {
                    let keys = by_block.entry(b).or_default().entry(d).or_default();
                    keys.push((key, seg));
                }
            }
        }
        let d_buckets = self.layout.d_buckets;
        let partials = by_block.into_iter().map(|(b, mut segs)| {
            for keys in segs.values_mut() {
                keys.sort_unstable_by_key(|(k, _)| *k);
            }
            (b, Partial::of_segments(d_buckets, &segs))
        });
        Some(partials.collect())
    }

    /// Whether a list file the last update needed was missing from the
    /// output folder or not as this index made it: its files are not to be
    /// trusted, and the index is to be built again from nothing.
    pub fn lost(&self) -> bool {
        self.lost
    }

    /// The index's state as the build cache keeps it.
    pub fn save(&mut self) -> Result<Vec<u8>, SpillError> {
        let (spill, all) = (&self.spill, 0..self.layout.d_buckets);
        self.blocks.par_iter_mut().try_for_each(|b| {
            match (&b.hashes, &b.lists, &b.spilled, spill) {
                (Some(_), ..) => {}
                (None, Some(p), ..) => b.hashes = Some(p.bucket_hashes()),
                (None, None, Some(at), Some(spill)) => {
                    b.hashes = Some(spill.read(at, all.clone())?.bucket_hashes());
                }
                (None, None, ..) => {}
            }
            Ok(())
        })?;
        let mut w = Writer::default();
        w.u32(self.layout.block);
        w.u32(self.layout.d_buckets);
        w.u64(self.layout.heavy_bits);
        w.u64(self.docs.len() as u64);
        for k in &self.docs {
            let (p, m) = (&k.p, &k.p.meta);
            for f in [&m.id, &m.url, &m.title, &m.unit, &m.date, &m.kind] {
                w.str(f);
            }
            w.strs(&m.unit_path);
            w.u32(m.year as u32);
            for n in [p.stream_len, p.title_len, p.attach_len] {
                w.u32(n);
            }
            w.u64(k.pieces.len() as u64);
            for &h in &k.pieces {
                w.u64(h);
            }
        }
        w.u64(self.blocks.len() as u64);
        for b in &self.blocks {
            let hashes = b.hashes.as_deref().unwrap_or_default();
            w.u64(hashes.len() as u64);
            for &h in hashes {
                w.u64(h);
            }
        }
        w.u64(self.lists.len() as u64);
        for l in &self.lists {
            w.opt(l.bucket, Writer::u64);
            w.u64(l.heavy.len() as u64);
            for &(k, h) in &l.heavy {
                w.u128(k.0);
                w.u64(h);
            }
        }
        w.u64(self.files.len() as u64);
        for f in &self.files {
            w.str(f);
        }
        w.u64(self.entry);
        Ok(w.0)
    }

    /// The index [`SearchIndex::save`] gave `payload` of; `None` if it is not one.
    pub fn load(payload: &[u8]) -> Option<SearchIndex> {
        let mut r = Reader::new(payload);
        let (block, d_buckets, heavy_bits) = (r.u32()?, r.u32()?, r.u64()?);
        let n = usize::try_from(r.u64()?).ok()?;
        let layout = Layout::for_count(n);
        if (layout.block, layout.d_buckets, layout.heavy_bits) != (block, d_buckets, heavy_bits) {
            return None;
        }
        let mut docs = Vec::with_capacity(n.min(payload.len()));
        for _ in 0..n {
            let mut s = || r.str().map(str::to_string);
            let (id, url, title, unit, date, kind) = (s()?, s()?, s()?, s()?, s()?, s()?);
            let meta = SearchMeta {
                id,
                url,
                title,
                unit,
                unit_path: r.strs()?,
                date,
                year: r.u32()? as i32,
                kind,
            };
            let mut p = Prepared::of_meta(meta);
            (p.stream_len, p.title_len, p.attach_len) = (r.u32()?, r.u32()?, r.u32()?);
            let pieces = (0..r.u64()?).map(|_| r.u64()).collect::<Option<_>>()?;
            docs.push(Kept { p, pieces });
        }
        if r.u64()? != u64::from(layout.blocks(n)) {
            return None;
        }
        let mut blocks = Vec::new();
        for b in 0..layout.blocks(n) {
            let start = layout.block_start(b) as usize;
            let end = (start + layout.block as usize).min(n);
            if r.u64()? != u64::from(layout.d_buckets) {
                return None;
            }
            let hashes = (0..layout.d_buckets)
                .map(|_| r.u64())
                .collect::<Option<_>>()?;
            blocks.push(Block {
                ids: docs[start..end]
                    .iter()
                    .map(|k| k.p.meta.id.clone())
                    .collect(),
                lists: None,
                spilled: None,
                hashes: Some(hashes),
            });
        }
        if r.u64()? != u64::from(layout.d_buckets) {
            return None;
        }
        let mut lists = Vec::new();
        for _ in 0..layout.d_buckets {
            let bucket = r.opt(Reader::u64)?;
            let heavy = (0..r.u64()?)
                .map(|_| Some((Key(r.u128()?), r.u64()?)))
                .collect::<Option<_>>()?;
            lists.push(ListFiles { bucket, heavy });
        }
        let files = (0..r.u64()?)
            .map(|_| r.str().map(str::to_string))
            .collect::<Option<_>>()?;
        let entry = r.u64()?;
        r.is_empty().then_some(SearchIndex {
            layout,
            docs,
            blocks,
            lists,
            files,
            entry,
            lost: false,
            spill: None,
        })
    }
}

/// The bits of list file `name` (`bytes`, as [`Named`] wrote them) and how
/// many, if its arguments hash to `hash`, the hash that names it.
fn list_bits(name: &str, hash: u64, bytes: &[u8]) -> Option<(Vec<u64>, u64)> {
    let mut head = JsFile::new();
    head.raw("DANGAN_SEARCH_SHARD(").string(name).raw(",");
    let mut tail = JsFile::args();
    tail.raw(");\n");
    let (head, tail) = (head.into_bytes(), tail.into_bytes());
    let args = bytes.strip_prefix(&head[..])?.strip_suffix(&tail[..])?;
    if content_hash(args) != hash {
        return None;
    }
    let quote = [b'"', 0];
    let units = args.strip_prefix(&quote)?.strip_suffix(&quote)?;
    let mut w = BitWriter::default();
    for u in units.chunks_exact(2) {
        let u = u16::from_le_bytes([u[0], u[1]]);
        w.bits(u64::from(u.checked_sub(UNIT_BASE)?), 15);
    }
    let n = w.bit_len();
    Some((w.into_words(), n))
}

/// Files as (path, bytes) pairs (the entry is the file named "index").
fn pairs(files: Vec<Named>) -> Vec<(String, Vec<u8>)> {
    files.into_iter().map(|f| (f.path(), f.bytes)).collect()
}

/// One report per id: of reports sharing an id, the first in [`SearchMeta`]
/// order, so that input order never matters. Sorted by id.
fn unique_by_id(mut metas: Vec<SearchMeta>) -> Vec<SearchMeta> {
    metas.par_sort_unstable();
    metas.dedup_by(|a, b| a.id == b.id);
    metas
}
