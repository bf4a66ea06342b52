//! The output folder as a session holds it: its lock, the files it lists as
//! dangan's, and a run's writes waiting in the staging folder until all of
//! them are there (`output::Staging`), so that a failed run changes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
        })
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
            self.outputs = output::previous_files(&self.out)?;
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
