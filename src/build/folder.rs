//! The output folder as a session holds it: its lock, the files it lists as
//! dangan's, and a run's writes waiting in the staging folder until all of
//! them are there (`output::Staging`), so that a failed run changes nothing.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::warm;
use crate::manifest;
use crate::output::{self, OutputError, Staging, WriteStats};

pub(super) struct OutputFolder {
    out: PathBuf,
    /// Site paths in the output folder as last written (pages and search index).
    outputs: BTreeSet<String>,
    /// The output folder, held while this session writes it.
    lock: Option<output::Lock>,
    /// This run's writes, not yet in place.
    pending: Option<Pending>,
    /// The folder was made by this session and nothing is in place in it
    /// yet: a run that fails takes it away again, as it found no folder.
    made: bool,
    /// Of files in `outputs`, what each was when this session wrote it or
    /// found it as an earlier one left it (`warm::file_stamp`); saved in
    /// the build cache, so that the next process notices what changed since.
    stamps: HashMap<String, u64>,
    /// Files of the pages found changed by hand since dangan wrote them:
    /// made and written again by the next run that writes.
    pub damaged: BTreeSet<String>,
}

/// A run's writes, waiting in the staging folder to be renamed into place.
struct Pending {
    staging: Staging,
    /// Files the run makes stale, removed after the renames.
    stale: Vec<String>,
    /// Those of them that the search index no longer has.
    search_removed: Vec<String>,
    /// The run's outputs, and what the manifest says of each, when they changed.
    list: Option<(BTreeSet<String>, Vec<manifest::Output>)>,
}

/// What a run's writes came to.
pub(super) struct Flushed {
    pub stats: WriteStats,
    /// Site paths written or removed.
    pub changed: Vec<String>,
    /// Those removed because the search index no longer has them.
    pub search_removed: Vec<String>,
    /// The manifest was written again.
    pub listed: bool,
}

impl OutputFolder {
    /// The folder at `out`, which must be missing, empty or dangan's when
    /// the session writes (`write`).
    pub(super) fn open(out: PathBuf, write: bool) -> Result<OutputFolder, OutputError> {
        let outputs = if write {
            output::previous_files(&out)?
        } else {
            BTreeSet::new()
        };
        Ok(OutputFolder {
            out,
            outputs,
            lock: None,
            pending: None,
            made: false,
            stamps: HashMap::new(),
            damaged: BTreeSet::new(),
        })
    }

    /// What the manifest and every file in `outputs` are now, as saved in
    /// the build cache: the manifest's stamp, a hash of the list, and each
    /// file's stamp in the list's order. Stamps are taken now only of files
    /// this session neither wrote nor checked.
    pub(super) fn stamps(&mut self) -> (u64, u64, Vec<u64>) {
        let unknown: Vec<&String> = (self.outputs.iter())
            .filter(|p| !self.stamps.contains_key(*p))
            .collect();
        let taken = warm::file_stamps(&self.out, &unknown);
        let taken: Vec<(String, u64)> = unknown.into_iter().cloned().zip(taken).collect();
        self.stamps.extend(taken);
        let list = self.outputs.iter().map(|p| self.stamps[p]).collect();
        let manifest = warm::file_stamp(&self.out.join(output::MANIFEST));
        (manifest, warm::list_hash(&self.outputs), list)
    }

    /// Compares the folder with the `stamps` a session saved; `None` when
    /// the manifest or the list of files is not as it left them. Else the
    /// files changed since: those of `pages` are made again by the next
    /// run (`damaged`); whether one of the search index's is; and a line
    /// naming them.
    pub(super) fn check_stamps(
        &mut self,
        (manifest, list, stamps): (u64, u64, Vec<u64>),
        pages: &BTreeSet<String>,
    ) -> Option<(bool, Option<String>)> {
        if manifest != warm::file_stamp(&self.out.join(output::MANIFEST))
            || list != warm::list_hash(&self.outputs)
            || stamps.len() != self.outputs.len()
        {
            return None;
        }
        let paths: Vec<&String> = self.outputs.iter().collect();
        let now = warm::file_stamps(&self.out, &paths);
        let mut changed = Vec::new();
        for ((path, now), then) in paths.into_iter().zip(now).zip(stamps) {
            if now == then {
                self.stamps.insert(path.clone(), now);
            } else {
                changed.push(path.clone());
            }
        }
        if changed.is_empty() {
            return Some((false, None));
        }
        let named: Vec<String> = (changed.iter().take(5))
            .map(|p| self.out.join(p).display().to_string())
            .collect();
        let note = format!(
            "{} file(s) that dangan wrote in the output folder were changed or deleted since ({}{}); they are made again",
            changed.len(),
            named.join(", "),
            if changed.len() > 5 { ", …" } else { "" },
        );
        let index_changed = changed.iter().any(|p| !pages.contains(p));
        self.damaged
            .extend(changed.into_iter().filter(|p| pages.contains(p)));
        Some((index_changed, Some(note)))
    }

    pub(super) fn path(&self) -> &Path {
        &self.out
    }

    /// The files the folder holds as dangan's, after the last run.
    pub(super) fn outputs(&self) -> &BTreeSet<String> {
        &self.outputs
    }

    /// The folder was deleted or emptied since (it has no manifest).
    pub(super) fn emptied(&self) -> bool {
        !self.out.join(output::MANIFEST).is_file()
    }

    /// Begins this run's staging, taking the output folder on first use.
    pub(super) fn begin(&mut self) -> Result<(), OutputError> {
        if self.pending.is_some() {
            return Ok(());
        }
        if !self.lock.as_ref().is_some_and(|l| l.holds(&self.out)) {
            self.lock = None;
            let existed = self.out.exists();
            self.lock = Some(output::Lock::acquire(&self.out)?);
            self.made = !existed;
            // Another process may have written the folder since this session looked.
            let outputs = output::previous_files(&self.out)?;
            if outputs != self.outputs {
                self.stamps.clear();
            }
            self.outputs = outputs;
            output::remove_leftovers(&self.out)?;
        }
        self.pending = Some(Pending {
            staging: Staging::begin(&self.out)?,
            stale: Vec::new(),
            search_removed: Vec::new(),
            list: None,
        });
        Ok(())
    }

    /// This run's staging, once begun.
    pub(super) fn staging(&self) -> Option<&Staging> {
        self.pending.as_ref().map(|p| &p.staging)
    }

    /// Files this run makes stale: removed once its files are in place.
    pub(super) fn make_stale(&mut self, paths: impl IntoIterator<Item = String>) {
        self.pending
            .as_mut()
            .expect("staging begun")
            .stale
            .extend(paths);
    }

    /// Files of the search index it no longer has: stale, and noted as its.
    pub(super) fn search_removed(&mut self, paths: Vec<String>) {
        let pending = self.pending.as_mut().expect("staging begun");
        pending.stale.extend(paths.iter().cloned());
        pending.search_removed.extend(paths);
    }

    /// Every output of this run (`all`), with what the manifest says of each;
    /// what the last run wrote and this one does not becomes stale.
    pub(super) fn reconcile(&mut self, all: BTreeSet<String>, listed: Vec<manifest::Output>) {
        let pending = self.pending.as_mut().expect("staging begun");
        pending.stale.extend(self.outputs.difference(&all).cloned());
        pending.list = Some((all, listed));
    }

    /// Whether a run's writes are staged.
    pub(super) fn staged(&self) -> bool {
        self.pending.is_some()
    }

    /// Renames what this run staged into place, removes what it made stale
    /// and writes the manifest (also when `relinked`: a page's links changed).
    pub(super) fn flush(&mut self, relinked: bool) -> Result<Flushed, OutputError> {
        let Some(p) = self.pending.take() else {
            return Ok(Flushed {
                stats: WriteStats::default(),
                changed: Vec::new(),
                search_removed: Vec::new(),
                listed: false,
            });
        };
        let known = self.outputs.len();
        let (stats, changed) = p.staging.commit(p.stale, &mut self.outputs)?;
        self.made = false;
        self.damaged.clear();
        let paths: Vec<&String> = changed.iter().collect();
        let restamped = warm::file_stamps(&self.out, &paths);
        for (path, stamp) in paths.into_iter().zip(restamped) {
            match stamp {
                0 => self.stamps.remove(path),
                s => self.stamps.insert(path.clone(), s),
            };
        }
        // The commit lists new paths (without kinds) before renaming them in.
        let provisional = self.outputs.len() != known;
        let mut listed = false;
        if let Some((list, outputs)) = p.list {
            if list != self.outputs || provisional || relinked || self.emptied() {
                output::write_manifest(&self.out, &outputs)?;
                listed = true;
            }
            self.outputs = list;
        }
        Ok(Flushed {
            stats,
            changed,
            search_removed: p.search_removed,
            listed,
        })
    }

    /// Forgets this run's writes: its temporaries go, nothing is renamed,
    /// and a folder this session made for them goes too (if still empty).
    pub(super) fn abandon(&mut self) {
        self.pending = None;
        if std::mem::take(&mut self.made) {
            self.lock = None;
            let _ = std::fs::remove_dir(&self.out);
        }
    }
}
