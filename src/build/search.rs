//! The search follower: the search index kept between runs, brought up to
//! the pages after they are on disk (in watch mode, once no further save is
//! waiting), with what it still owes the output folder. The reports' texts
//! come from the spill the pages were made into ([`Spill`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::folder::OutputFolder;
use super::spill::{Spill, temp_error};
use crate::attach::AttachmentTexts;
use crate::diag::Diagnostic;
use crate::model::{Report, Site};
use crate::output::{OutputError, Staging};
use crate::render::MdFacts;
use crate::search::{SearchIndex, SearchMeta, SearchText};
use crate::timing::lap_timer;

pub(super) struct SearchFollower {
    index: Option<SearchIndex>,
    /// The search text of every report whose Markdown was rendered; none
    /// when nothing is written (`check`).
    texts: Option<Spill>,
    /// The site whose pages were written and whose search index is to follow.
    pending: Option<Site>,
    /// What the next update must also do (carried over failed runs): remove
    /// stale files and write the manifest; write every file again.
    reconcile: bool,
    rewrite_all: bool,
    /// What the index has of each report: its Markdown stamp and the hash
    /// of what its part of the index is made from ([`signature`]).
    indexed: Indexed,
    /// The text of the reports' attachments, read again only when they change.
    attachments: AttachmentTexts,
    /// The index in the output folder as the build cache knows it (its
    /// signature and files), while this session has no index of its own:
    /// a new process whose reports' search texts did not change stages nothing.
    settled: Option<(u128, Vec<String>)>,
    /// The signature of the index last staged.
    signature: Option<u128>,
    /// The archive root and key of the build cache the settled index's
    /// state is read from when it is to be updated (#15).
    cache: Option<(PathBuf, Vec<u8>)>,
    /// Lines about the build cache's search part, for the next outcome.
    notes: Vec<String>,
}

/// Per report id, its Markdown stamp and the hash of what its part of the
/// index is made from.
type Indexed = HashMap<String, (u64, u128)>;

/// The build cache's part with the search index's state.
const SEARCH_PART: &str = "search";

impl SearchFollower {
    /// `cache`: the archive root whose build cache has the attachments'
    /// texts; also gives the line to print when that cache was not usable.
    pub(super) fn new(
        write: bool,
        cache: Option<&Path>,
    ) -> Result<(SearchFollower, Option<String>), OutputError> {
        let (attachments, note) = match cache {
            Some(root) => AttachmentTexts::open(root).map_err(temp_error)?,
            None => (AttachmentTexts::new().map_err(temp_error)?, None),
        };
        let follower = SearchFollower {
            index: None,
            texts: write.then(Spill::new).transpose()?,
            pending: None,
            reconcile: false,
            rewrite_all: false,
            indexed: HashMap::new(),
            attachments,
            settled: None,
            signature: None,
            cache: None,
            notes: Vec::new(),
        };
        Ok((follower, note))
    }

    /// Writes the attachments' texts to the build cache of `root` if they changed.
    pub(super) fn save_attachments(&mut self, root: &Path) -> std::io::Result<()> {
        self.attachments.save(root).map(drop)
    }

    /// Drops the index: the next update builds it from nothing (unit names
    /// and parents may have changed). Every report's text is kept again.
    pub(super) fn reset(&mut self) {
        self.index = None;
        self.settled = None;
    }

    /// The index in the output folder, as the build cache has it: made
    /// from what has `signature`, in the files `paths`.
    pub(super) fn settle(&mut self, signature: u128, paths: Vec<String>) {
        self.settled = Some((signature, paths));
    }

    /// The build cache (of archive `root`, made for `key`) has the state of
    /// the settled index: an update reads it instead of building all again.
    pub(super) fn use_cache(&mut self, root: &Path, key: Vec<u8>) {
        self.cache = Some((root.to_path_buf(), key));
    }

    /// Lines about the build cache's search part since last asked.
    pub(super) fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The settled index's state from the build cache, if it is there,
    /// whole, and of the index with `signature`; the line to print when
    /// the part is there and not usable.
    fn load_settled(&mut self, signature: u128) -> Option<(SearchIndex, Indexed)> {
        let (root, key) = self.cache.clone()?;
        let payload = match crate::cache::read(&root, SEARCH_PART, &key) {
            Ok(p) => p?,
            Err(ignored) => {
                self.notes.push(ignored.line());
                return None;
            }
        };
        let mut r = crate::cache::Reader::new(&payload);
        if r.u128()? != signature {
            return None; // another index's (a process that ran at once)
        }
        let mut indexed = HashMap::new();
        for _ in 0..r.u64()? {
            let id = r.str()?.to_string();
            indexed.insert(id, (r.u64()?, r.u128()?));
        }
        let index = SearchIndex::load(r.bytes()?)?;
        Some((index, indexed))
    }

    /// Writes the state of the index staged last to the build cache of
    /// `root` (made for `key`). Nothing when this session has no index of
    /// its own (the one in the cache is still the settled one).
    pub(super) fn save_index(&mut self, root: &Path, key: &[u8]) -> std::io::Result<()> {
        let (Some(index), Some(signature)) = (self.index.as_mut(), self.signature) else {
            return Ok(());
        };
        if self.pending.is_some() {
            return Ok(());
        }
        let state = index.save().map_err(|e| e.0)?;
        let mut w = crate::cache::Writer::default();
        w.u128(signature);
        w.u64(self.indexed.len() as u64);
        for (id, (stamp, hash)) in &self.indexed {
            w.str(id);
            w.u64(*stamp);
            w.u128(*hash);
        }
        w.bytes(&state);
        drop(state);
        crate::cache::write(root, SEARCH_PART, key, &w.0)?;
        self.cache = Some((root.to_path_buf(), key.to_vec()));
        Ok(())
    }

    /// What the build cache keeps of the index staged last: its signature
    /// and its files; `None` when no index is staged.
    pub(super) fn settled(&self) -> Option<(u128, Vec<String>)> {
        let sig = self.signature.filter(|_| self.pending.is_none())?;
        Some((sig, self.paths().map(String::from).collect()))
    }

    /// Keeps the search text of a report whose Markdown was just rendered
    /// (from any thread), unless nothing is written.
    pub(super) fn keep_text(&self, report: &Report, body_text: &str) -> Result<(), OutputError> {
        match &self.texts {
            Some(t) => t.put(&report.id, &search_text(report, body_text)),
            None => Ok(()),
        }
    }

    /// Brings the attachments' texts up to `site` (`markdown`: what each
    /// report links to), reading only those new or changed; a warning for
    /// each that cannot be read. A report whose page failed to render has
    /// no Markdown facts (the run has errors and writes nothing): only the
    /// files beside it are read.
    pub(super) fn read_attachments(
        &mut self,
        site: &Site,
        markdown: &BTreeMap<String, MdFacts>,
    ) -> Result<Vec<Diagnostic>, OutputError> {
        self.attachments
            .update(site, |id| markdown.get(id).map_or(&[], |f| &f.linked_files))
            .map_err(temp_error)
    }

    /// Whether pages were written whose search index is still to follow.
    pub(super) fn pending(&self) -> bool {
        self.pending.is_some()
    }

    /// A search update still pending belongs to a site the Markdown cache has
    /// moved past; the next good run brings the index up to date instead.
    /// Returns that site.
    pub(super) fn drop_pending(&mut self) -> Option<Site> {
        self.pending.take()
    }

    /// The pages of `site` are on disk; the index is to follow.
    pub(super) fn follow(&mut self, site: Site, pages_moved: bool, rewrite_all: bool) {
        self.reconcile |= pages_moved;
        self.rewrite_all |= rewrite_all;
        self.pending = Some(site);
    }

    /// Paths of the index's files, sorted.
    pub(super) fn paths(&self) -> impl Iterator<Item = &str> {
        let settled = self.settled.iter().filter(|_| self.index.is_none());
        let settled = settled.flat_map(|(_, p)| p.iter().map(String::as_str));
        self.index.iter().flat_map(|s| s.paths()).chain(settled)
    }

    /// Stages the index of the pages last staged (all of it the first time,
    /// then the blocks of the reports whose Markdown was rendered again) and
    /// makes stale what it no longer has. Returns the site it follows, and
    /// whether the output folder's list of files must be made again; `None`
    /// if nothing was pending.
    pub(super) fn stage(
        &mut self,
        folder: &mut OutputFolder,
        markdown: &BTreeMap<String, MdFacts>,
    ) -> Result<Option<(Site, bool)>, OutputError> {
        let lap = lap_timer(std::time::Instant::now());
        let Some(site) = self.pending.take() else {
            return Ok(None);
        };
        folder.begin()?;
        let rewrite_all = std::mem::take(&mut self.rewrite_all);
        self.signature = None;
        let (signature, hashes) = signature(&site, markdown, &self.attachments)?;
        lap("search signature");
        let settled = self.settled.as_ref().map(|(s, _)| *s);
        // A new process whose reports' search texts changed since the index
        // in the output folder was made updates that index's state, kept in
        // the build cache, as watch mode would.
        if self.index.is_none()
            && !rewrite_all
            && let Some(settled) = settled.filter(|s| *s != signature)
            && let Some((index, indexed)) = self.load_settled(settled)
        {
            self.index = Some(index);
            self.indexed = indexed;
            self.settled = None;
            lap("search index state read");
        }
        let (new_paths, removed) = {
            let staging = folder.staging().expect("staging begun");
            let meta = |id: &String| search_meta(&site, &site.reports[id]);
            // The texts are read back from the spill, block by block.
            let attachments = &self.attachments;
            let text = texts(&site, self.texts.as_ref(), attachments);
            let indexed_now =
                |id: &String, stamp: u64| (stamp, hashes.get(id).copied().unwrap_or_default());
            let stamps = || {
                markdown
                    .iter()
                    .map(|(id, e)| (id.clone(), indexed_now(id, e.stamp)))
                    .collect()
            };
            let mut new_paths = rewrite_all;
            let mut removed = Vec::new();
            let mut updated = false;
            if rewrite_all {
                // Every file is made again: as fast from nothing, and an
                // index read from the build cache needs the files gone.
                self.index = None;
            }
            if let Some(index) = self.index.as_mut() {
                let upserts: Vec<SearchMeta> = markdown
                    .iter()
                    .filter(|(id, e)| self.indexed.get(*id) != Some(&indexed_now(id, e.stamp)))
                    .filter(|(id, _)| site.reports.contains_key(*id))
                    .map(|(id, _)| meta(id))
                    .collect();
                let removals: Vec<String> = self
                    .indexed
                    .keys()
                    .filter(|id| !site.reports.contains_key(*id))
                    .cloned()
                    .collect();
                if !upserts.is_empty() || !removals.is_empty() {
                    let out = folder.path();
                    let old_file = |path: &str| std::fs::read(out.join(path)).ok();
                    let changes = index.apply_from(upserts, &removals, &text, old_file)?;
                    lap("search index updated");
                    if index.lost() {
                        // A list file it needed was missing from the output
                        // folder or changed (by hand: any run of dangan that
                        // writes there makes the pages part ignored).
                        let path = format!("{}/{SEARCH_PART}", crate::cache::CACHE_DIR);
                        let why = "does not match the search index in the output folder";
                        self.notes.push(crate::cache::Ignored { path, why }.line());
                        self.index = None;
                    } else {
                        updated = true;
                        self.indexed = stamps();
                        let written = &changes.written;
                        new_paths |= written.iter().any(|(p, _)| !folder.outputs().contains(p));
                        stage_all(staging, written)?;
                        new_paths |= !changes.removed.is_empty();
                        removed = changes.removed;
                    }
                } else {
                    updated = true;
                }
            }
            let in_place = self.index.is_none() && !rewrite_all && settled == Some(signature);
            // The index in the output folder is this one (the build cache
            // says so), else it is built from nothing.
            if !updated && !in_place {
                self.settled = None;
                let metas: Vec<SearchMeta> = site.reports.keys().map(meta).collect();
                lap("search documents");
                // Each block's files are staged as soon as they are ready.
                let index = SearchIndex::build(metas, text, |files| stage_all(staging, files))?;
                self.index = Some(index);
                self.indexed = stamps();
                new_paths = true;
            }
            (new_paths, removed)
        };
        folder.search_removed(removed);
        self.signature = Some(signature);
        if let Some(t) = self.texts.as_mut() {
            t.retain(|id| site.reports.contains_key(id))?;
        }
        lap("search index staged");
        // The benchmarks read this lap: the time the search index adds.
        lap("search half done");
        let reconcile = std::mem::take(&mut self.reconcile) || new_paths;
        Ok(Some((site, reconcile)))
    }

    /// After a failed run: the next update builds the index from nothing
    /// and writes all of it, removing whatever is stale.
    pub(super) fn abandon(&mut self) {
        self.pending = None;
        self.index = None;
        self.settled = None;
        self.signature = None;
        self.indexed.clear();
        self.reconcile = true;
        self.rewrite_all = true;
    }
}

/// What the index of `site` is made from, as far as it can be told without
/// the reports' texts: each report's meta, the bytes of its file and what
/// its links resolved to (`markdown`), and its attachments' texts. Equal
/// signatures (for one config: the build cache's key) mean equal indexes.
fn signature(
    site: &Site,
    markdown: &BTreeMap<String, MdFacts>,
    attachments: &AttachmentTexts,
) -> Result<(u128, HashMap<String, u128>), OutputError> {
    // Each report's part (from several threads at once: it reads the
    // attachments' texts), then all of them in id order.
    let parts: Vec<(&String, u128)> = site
        .reports
        .par_iter()
        .map(|(id, r)| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            let mut field = |b: &[u8]| {
                h.update(&(b.len() as u64).to_le_bytes());
                h.update(b);
            };
            let m = search_meta(site, r);
            for f in [&m.id, &m.url, &m.title, &m.unit, &m.date, &m.kind] {
                field(f.as_bytes());
            }
            field(&m.year.to_le_bytes());
            for u in &m.unit_path {
                field(u.as_bytes());
            }
            match markdown.get(id) {
                Some(f) => {
                    field(&f.source.len.to_le_bytes());
                    field(&f.source.hash.to_le_bytes());
                    field(format!("{:?}", f.resolved).as_bytes());
                }
                None => field(b"-"),
            }
            for part in attachments.parts(id).map_err(temp_error)? {
                field(part.name.as_bytes());
                field(part.text.as_bytes());
            }
            Ok((id, h.digest128()))
        })
        .collect::<Result<_, OutputError>>()?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (id, p) in &parts {
        h.update(&(id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
        h.update(&p.to_le_bytes());
    }
    let hashes = parts.into_iter().map(|(id, p)| (id.clone(), p)).collect();
    Ok((h.digest128(), hashes))
}

/// Stages the search index's files (from several threads at once).
fn stage_all(staging: &Staging, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    files
        .par_iter()
        .try_for_each(|(path, bytes)| staging.stage_bytes(path, bytes).map(drop))
}

/// The search texts as the index asks for them: the report's read back
/// from the spill (none when nothing is written, and then nothing is
/// indexed either), or, when this process did not render its Markdown (its
/// facts came from the build cache), made again from its file; then its
/// attachments' texts.
fn texts<'a>(
    site: &'a Site,
    spill: Option<&'a Spill>,
    attachments: &'a AttachmentTexts,
) -> impl Fn(&str) -> Result<SearchText, OutputError> + Sync + 'a {
    move |id| {
        let Some(spill) = spill else {
            return Ok(SearchText::default());
        };
        let body = match spill.get(id)? {
            Some(text) => text,
            None => {
                let r = &site.reports[id];
                let Some(body) = crate::load::read_body(r) else {
                    return Err(OutputError::Io(std::io::Error::other(format!(
                        "{}: the file changed while the search index was being made; build again",
                        r.source.display()
                    ))));
                };
                let (md, _) = crate::render::markdown_one(site, r, body.as_str());
                let text = search_text(r, &md.text);
                spill.put(id, &text)?;
                text
            }
        };
        let mut t = SearchText::body(body);
        t.parts.extend(attachments.parts(id).map_err(temp_error)?);
        Ok(t)
    }
}

/// What the search index finds a report by besides its title: the text of its
/// body, then its summary, author and tags.
fn search_text(r: &Report, body_text: &str) -> String {
    let mut text = body_text.to_string();
    for extra in [r.summary.as_deref(), r.author.as_deref()]
        .into_iter()
        .flatten()
    {
        text.push('\n');
        text.push_str(extra);
    }
    if !r.tags.is_empty() {
        text.push('\n');
        text.push_str(&r.tags.join(" "));
    }
    text
}

/// What the search index keeps of a report.
fn search_meta(site: &Site, r: &Report) -> SearchMeta {
    SearchMeta {
        id: r.id.clone(),
        url: crate::paths::encode_path(&r.page),
        title: r.title.clone(),
        unit: r.unit.clone(),
        unit_path: site
            .unit_path(&r.unit)
            .iter()
            .map(|u| u.name.clone())
            .collect(),
        date: r.date.to_string(),
        year: r.date.year,
        kind: r.kind.clone(),
    }
}
