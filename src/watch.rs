//! Watching the archive for changes (the only module that knows notify), with
//! a debounce that waits for a moment of quiet rather than a fixed window.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::build::{Outcome, Session};
use crate::diag::{Diagnostic, display_path};
use crate::load::CONTENT_DIR;
use crate::output::OutputError;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Poll the file system instead of waiting for its events (network shares).
    pub poll: bool,
    pub poll_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: false,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// An editor's save (temporary file, rename) arrives within a millisecond or
/// two, so a short quiet gap ends a single change. Once a burst is under way
/// (copying hundreds of reports in), wait for a longer gap, up to a limit.
const QUIET_SHORT: Duration = Duration::from_millis(5);
const QUIET_BURST: Duration = Duration::from_millis(150);
const BURST_EVENTS: usize = 16;
const MAX_BATCH: Duration = Duration::from_secs(3);

type EventSender = std::sync::mpsc::Sender<notify::Result<notify::Event>>;

/// A native or polling watcher over the archive's content, themes and root.
/// Create it before the first build, so that no change falls between the two.
pub struct ArchiveWatcher {
    /// `None` when polling.
    watcher: Option<RecommendedWatcher>,
    events: Receiver<notify::Result<notify::Event>>,
    root: PathBuf,
    watched: Vec<PathBuf>,
    pub polling: bool,
}

impl ArchiveWatcher {
    pub fn new(root: &Path, out: &Path, opts: &WatchOptions) -> Result<ArchiveWatcher> {
        let (tx, events) = channel();
        let native = if opts.poll {
            None
        } else {
            match RecommendedWatcher::new(tx.clone(), notify::Config::default()) {
                Ok(w) => Some(w),
                Err(e) => {
                    eprintln!(
                        "note: file change events are not available ({e}); checking for changes every {} ms instead",
                        opts.poll_interval.as_millis()
                    );
                    None
                }
            }
        };
        let polling = native.is_none();
        if polling {
            poll::spawn(root, out, opts.poll_interval, tx);
        }
        let mut w = ArchiveWatcher {
            watcher: native,
            events,
            root: root.to_path_buf(),
            watched: Vec::new(),
            polling,
        };
        w.watch_root()?;
        Ok(w)
    }

    /// The root itself (dangan.toml, the output folder's removal) and, as
    /// soon as they exist, content/ and themes/ with everything below them.
    fn watch_root(&mut self) -> Result<()> {
        let Some(watcher) = self.watcher.as_mut() else {
            return Ok(());
        };
        if self.watched.is_empty() {
            watcher
                .watch(&self.root, RecursiveMode::NonRecursive)
                .with_context(|| format!("cannot watch {}", self.root.display()))?;
            self.watched.push(self.root.clone());
        }
        for dir in [CONTENT_DIR, "themes"] {
            let path = self.root.join(dir);
            if path.is_dir() && !self.watched.contains(&path) {
                watcher
                    .watch(&path, RecursiveMode::Recursive)
                    .with_context(|| format!("cannot watch {}", path.display()))?;
                self.watched.push(path);
            }
        }
        self.watched.retain(|p| p.exists());
        Ok(())
    }

    /// Blocks until something changed and things are quiet again; returns the paths.
    pub fn next_batch(&mut self) -> Result<Vec<PathBuf>> {
        loop {
            let first = self.events.recv().context("the file watcher stopped")?;
            if let Some(first) = change(first) {
                return self.batch_from(first);
            }
        }
    }

    /// Like `next_batch`, but gives up (`None`) if nothing changes within `wait`.
    pub fn next_batch_within(&mut self, wait: Duration) -> Result<Option<Vec<PathBuf>>> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(ev) => {
                    if let Some(first) = change(ev) {
                        return self.batch_from(first).map(Some);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
        }
    }

    /// Collects the paths of `first` and of every change that follows until
    /// things are quiet. Only changes count towards a burst: reads (of
    /// reports by the rebuild) are no events.
    fn batch_from(&mut self, first: notify::Event) -> Result<Vec<PathBuf>> {
        let mut paths = first.paths;
        let mut count = 1;
        let started = Instant::now();
        loop {
            let quiet = if count > BURST_EVENTS {
                QUIET_BURST
            } else {
                QUIET_SHORT
            };
            match self.events.recv_timeout(quiet) {
                Ok(ev) => {
                    if let Some(ev) = change(ev) {
                        count += 1;
                        paths.extend(ev.paths);
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
            if started.elapsed() > MAX_BATCH {
                break;
            }
        }
        paths.sort();
        paths.dedup();
        self.watch_root()?;
        Ok(paths)
    }
}

/// The event if it is a change: reading a file or a folder is none.
fn change(ev: notify::Result<notify::Event>) -> Option<notify::Event> {
    match ev {
        Ok(ev) if matches!(ev.kind, notify::EventKind::Access(_)) => None,
        Ok(ev) => Some(ev),
        Err(e) => {
            eprintln!("note: file watcher: {e}");
            None
        }
    }
}

/// Rebuilds after every change, for ever; `after` sees every outcome. Only
/// the watcher failing ends it: problems of the archive, and of writing the
/// site, are outcomes to show.
/// Pages come first; the search index is updated when no further change is
/// waiting, so that a second save is never held up behind the first one's index.
pub fn run(
    mut session: Session,
    mut watcher: ArchiveWatcher,
    mut after: impl FnMut(&Outcome),
) -> Result<()> {
    loop {
        let paths = if session.search_pending() {
            match watcher.next_batch_within(SEARCH_AFTER)? {
                Some(paths) => paths,
                None => {
                    let result = session.run_search();
                    after(&told(&session, result));
                    continue;
                }
            }
        } else {
            watcher.next_batch()?
        };
        if session.update(&paths) {
            let result = session.run_pages();
            after(&told(&session, result));
        }
    }
}

/// A run that could not write (a full disk, a folder in the way) is told
/// like a problem of the archive, and watching goes on: the session dropped
/// what it had half written, the output keeps the last good build, and the
/// next change tries again.
fn told(session: &Session, result: Result<Outcome, OutputError>) -> Outcome {
    let out = session.out();
    match result {
        Ok(outcome) => outcome,
        Err(e) => Outcome {
            diagnostics: vec![
                Diagnostic::error(
                    display_path(session.root(), out),
                    format!("could not write the site: {e}"),
                )
                .hint("dangan keeps watching and writes the site again at the next change"),
            ],
            ..Outcome::nothing(out.to_path_buf())
        },
    }
}

/// How long the pages of a save stand before their search index is brought up to date.
const SEARCH_AFTER: Duration = Duration::from_millis(20);

/// Polling for file systems whose change events do not arrive (network
/// shares). notify's PollWatcher compares modification times in whole
/// seconds and would miss a second save within the same second; this one
/// compares full-precision times and sizes, reading no file contents.
mod poll {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use super::EventSender;
    use crate::load::CONTENT_DIR;

    type Snapshot = HashMap<PathBuf, (Option<SystemTime>, u64, bool)>;

    fn scan(root: &Path, out: &Path) -> Snapshot {
        let mut snap = Snapshot::new();
        let mut add = |p: &Path, m: &std::fs::Metadata| {
            snap.insert(p.to_path_buf(), (m.modified().ok(), m.len(), m.is_dir()));
        };
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if let Ok(m) = e.metadata() {
                    add(&e.path(), &m);
                }
            }
        }
        if let Ok(m) = std::fs::metadata(out.join(crate::output::MANIFEST)) {
            add(&out.join(crate::output::MANIFEST), &m);
        }
        for dir in [CONTENT_DIR, "themes"] {
            for e in walkdir::WalkDir::new(root.join(dir))
                .min_depth(1)
                .into_iter()
                .flatten()
            {
                if let Ok(m) = e.metadata() {
                    add(e.path(), &m);
                }
            }
        }
        snap
    }

    /// Takes the first snapshot now, then compares every `interval` on a thread.
    pub(super) fn spawn(root: &Path, out: &Path, interval: Duration, tx: EventSender) {
        let (root, out) = (root.to_path_buf(), out.to_path_buf());
        let mut before = scan(&root, &out);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(interval);
                let now = scan(&root, &out);
                let mut changed: Vec<PathBuf> = now
                    .iter()
                    .filter(|(p, v)| before.get(*p) != Some(v))
                    .map(|(p, _)| p.clone())
                    .collect();
                changed.extend(before.keys().filter(|p| !now.contains_key(*p)).cloned());
                changed.retain(|p| !p.starts_with(&out) || p.ends_with(crate::output::MANIFEST));
                if !changed.is_empty() {
                    let mut ev = notify::Event::new(notify::EventKind::Any);
                    ev.paths = changed;
                    if tx.send(Ok(ev)).is_err() {
                        return;
                    }
                }
                before = now;
            }
        });
    }
}
