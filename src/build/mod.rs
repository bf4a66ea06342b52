//! The pipeline: config -> load -> site model -> render -> write, kept as a
//! `Session` so that `watch` re-reads only changed files and re-renders only
//! outputs whose inputs changed; `build` is a session's first run.
//!
//! Reports stream through a run: the session keeps every report's front
//! matter and what its rendered Markdown links to (`content`), never its
//! body; a page is made from its file read again, and what later steps need
//! of the body (a compilation's HTML, the search index's text) is spilled to
//! a temporary file (`spill`), so that memory holds one report per thread
//! whatever the archive's size. Between runs the session keeps the content
//! cache, the page state (`pages`), the search index (`search`) and the
//! output folder's (`folder`).

mod content;
mod folder;
mod pages;
mod search;
mod spill;
mod warm;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::CONTENT_DIR;
use crate::manifest::{self, Kind};
use crate::output::{self, OutputError, WriteStats};
use crate::output_names;
use crate::render::{self, Job, Renderer};
use crate::search::ENTRY_PATH as SEARCH_ENTRY;
use crate::timing::lap_timer;
use content::ContentCache;
use folder::OutputFolder;
use pages::{Batch, PageState, Pass};
use search::SearchFollower;

/// Runs that start over because a report's file changed while they read it,
/// before such a file is reported as an error.
const MAX_ATTEMPTS: usize = 3;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Overrides `output` of dangan.toml.
    pub out: Option<PathBuf>,
    /// `false` for `check`: everything is validated and rendered, nothing written.
    pub write: bool,
    /// Read and write the build cache in `.dangan-cache/` (`--no-cache`: `false`).
    pub cache: bool,
}

#[derive(Debug)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub out: PathBuf,
    pub reports: usize,
    /// The drafts left out, as `content/…` paths.
    pub drafts: Vec<String>,
    /// How many files under `content/` are left out with them (only drafts use them).
    pub draft_files: usize,
    pub files: usize,
    /// `None` when nothing was written (errors, or `check`).
    pub written: Option<WriteStats>,
    /// Site paths written or removed by this run.
    pub changed: Vec<String>,
    /// How many of them are files of the search index (no page shows them).
    pub search_changed: usize,
    /// When the pages were on disk (the search index follows).
    pub pages_elapsed: Option<Duration>,
    pub elapsed: Duration,
    /// Lines about the build cache: why it was ignored, how big it is when first written.
    pub notes: Vec<String>,
}

impl Outcome {
    pub(crate) fn nothing(out: PathBuf) -> Outcome {
        Outcome {
            diagnostics: Vec::new(),
            out,
            reports: 0,
            drafts: Vec::new(),
            draft_files: 0,
            files: 0,
            written: None,
            changed: Vec::new(),
            search_changed: 0,
            pages_elapsed: None,
            elapsed: Duration::ZERO,
            notes: Vec::new(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The output folder: `--out` (relative to the current folder), else `output` of the config (relative to the root).
pub(crate) fn out_dir(root: &Path, config: &Config, out: Option<&Path>) -> PathBuf {
    match out {
        Some(o) => o.to_path_buf(),
        None => root.join(&config.output),
    }
}

/// Runs the whole build once.
pub fn build(opts: &BuildOptions) -> Result<Outcome, OutputError> {
    Session::open(opts.clone())?.run()
}

/// What a session knows between runs, kept by what it is about.
pub struct Session {
    opts: BuildOptions,
    content: ContentCache,
    pages: PageState,
    search: SearchFollower,
    folder: OutputFolder,
    /// `run`: pages and search index are renamed into place together.
    hold: bool,
    /// Lines about the build cache for the next outcome.
    notes: Vec<String>,
    /// The build cache's folder was there (its size is said when it is first written).
    cache_existed: bool,
    /// `output_names::inputs_hash` of the last run whose outputs' names had no problem.
    names_clean: Option<u64>,
}

/// What a flush renamed into place or removed.
#[derive(Default)]
struct Flushed {
    stats: WriteStats,
    /// Site paths written or removed.
    changed: Vec<String>,
    /// Files of the search index it removed.
    search_removed: Vec<String>,
}

/// How a try at the pages ended.
enum Attempt {
    Done(Outcome),
    /// These reports' files changed since they were read.
    Moved(Vec<String>),
}

impl Session {
    /// Reads config, theme and every report. Fails only for an unusable output folder.
    pub fn open(mut opts: BuildOptions) -> Result<Session, OutputError> {
        opts.root = fs_err::canonicalize(&opts.root)?;
        let config = Config::load(&opts.root);
        let out = out_dir(
            &opts.root,
            config.as_ref().unwrap_or(&Config::default()),
            opts.out.as_deref(),
        );
        let out = output::resolve(&out);
        let set_in_config = match (&opts.out, &config) {
            (None, Ok(c)) => c.lines.output,
            _ => None,
        };
        output::check_out_dir(&opts.root, &opts.root.join(CONTENT_DIR), &out)
            .map_err(|e| e.set_in_config(set_in_config))?;
        output::check_out_usable(&out)?;
        let cache = opts.cache.then_some(opts.root.as_path());
        let cache_existed = opts.root.join(crate::cache::CACHE_DIR).is_dir();
        let (search, note) = SearchFollower::new(opts.write, cache)?;
        let mut notes: Vec<String> = note.into_iter().collect();
        let mut content = ContentCache::open(&opts.root, config)?;
        let mut folder = OutputFolder::open(out, opts.write)?;
        let mut pages = PageState::default();
        let mut search = search;
        if opts.cache {
            notes.extend(content.restore());
            if opts.write {
                let (restored, note) = restore_pages(&opts.root, &content, &mut folder);
                if let Some((restored, settled)) = restored {
                    pages = restored;
                    if let Some((signature, paths)) = settled {
                        search.settle(signature, paths);
                        if let Some(key) = content.pages_key() {
                            search.use_cache(&opts.root, key);
                        }
                    }
                }
                notes.extend(note);
            }
        }
        Ok(Session {
            folder,
            search,
            content,
            pages,
            opts,
            hold: false,
            notes,
            cache_existed,
            names_clean: None,
        })
    }

    /// Writes what changed to the build cache (unless `--no-cache`): the
    /// reports and their Markdown, and when this session writes and its
    /// pages are all on disk with their manifest, their fingerprints and
    /// what the output folder is now. Lines to print: the cache's size
    /// when it is first written, or why it could not be.
    fn save_cache(&mut self) -> Vec<String> {
        if !self.opts.cache {
            return Vec::new();
        }
        let root = self.opts.root.clone();
        let mut result = self.content.save();
        let settled = !self.pages.relinked && !self.search.pending();
        if result.is_ok()
            && self.opts.write
            && settled
            && let (Some(key), Some(token)) = (
                self.content.pages_key(),
                warm::folder_token(self.folder.path()),
            )
        {
            let mut w = crate::cache::Writer::default();
            w.bytes(self.folder.path().as_os_str().as_encoded_bytes());
            w.bytes(&token);
            self.pages.save(&mut w);
            w.opt(self.search.settled(), |w, (signature, paths)| {
                w.u128(signature);
                w.strs(&paths);
            });
            let (manifest, list, stamps) = self.folder.stamps();
            w.u64(manifest);
            w.u64(list);
            w.u64(stamps.len() as u64);
            stamps.into_iter().for_each(|s| w.u64(s));
            result = crate::cache::write(&root, warm::PAGES_PART, &key, &w.0).map(drop);
            if result.is_ok() {
                result = self.search.save_index(&root, &key);
            }
        }
        let dir = root.join(crate::cache::CACHE_DIR);
        match result {
            Err(e) => vec![format!(
                "the build cache {}/ could not be written ({e}); the next build does this one's work again",
                crate::cache::CACHE_DIR
            )],
            Ok(()) if !self.cache_existed && dir.is_dir() => {
                self.cache_existed = true;
                let size: u64 = std::fs::read_dir(&dir)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum();
                vec![format!(
                    "build cache written: {}/ ({}); `--no-cache` builds without it",
                    crate::cache::CACHE_DIR,
                    crate::human::byte_size(size)
                )]
            }
            Ok(()) => Vec::new(),
        }
    }

    pub(crate) fn out(&self) -> &Path {
        self.folder.path()
    }

    pub(crate) fn root(&self) -> &Path {
        &self.opts.root
    }

    /// Takes note of changed paths (files or folders, created, changed,
    /// moved or deleted). Returns `false` if none of them matters.
    pub fn update(&mut self, paths: &[PathBuf]) -> bool {
        let mut relevant = false;
        for path in paths {
            if path.starts_with(self.folder.path()) {
                // Our own writes are not changes; a deleted output folder is.
                relevant |= self.opts.write && self.folder.emptied();
                continue;
            }
            let changed = self.content.update(path);
            if changed.theme {
                self.pages.forget();
            }
            if changed.config {
                self.search.reset(); // unit names and parents may have changed
                return true;
            }
            relevant |= changed.relevant;
        }
        relevant
    }

    /// Validates, renders and writes what changed (pages and the search
    /// index), unless there are errors. Nothing is renamed into place until
    /// every page and every file of the search index is written: a run that
    /// fails leaves the previous site exactly as it was.
    pub fn run(&mut self) -> Result<Outcome, OutputError> {
        self.hold = true;
        let result = self.run_held();
        self.hold = false;
        if result.is_err() {
            self.abandon();
        }
        let mut outcome = result?;
        // A build with errors leaves the archive as it found it: no cache
        // appears beside a report that does not build (and no line about one
        // comes before its error).
        if !outcome.diagnostics.iter().any(Diagnostic::is_error) {
            let lap = lap_timer(Instant::now());
            release_free_memory();
            outcome.notes.extend(self.save_cache());
            lap("build cache saved");
        }
        Ok(outcome)
    }

    fn run_held(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        let mut outcome = self.pages_step()?;
        if outcome.written.is_none() {
            return Ok(outcome);
        }
        if self.search_pending() {
            self.search_step()?;
            outcome.notes.extend(self.search.take_notes());
            release_free_memory();
        }
        let (stats, changed, search_changed) = self.flush_counting_search()?;
        lap_timer(start)("written");
        outcome.files = self.folder.outputs().len();
        outcome.written = Some(WriteStats {
            unchanged: outcome.files.saturating_sub(stats.written),
            ..stats
        });
        outcome.changed = changed;
        outcome.search_changed = search_changed;
        outcome.elapsed = start.elapsed();
        outcome.pages_elapsed = Some(outcome.elapsed);
        Ok(outcome)
    }

    /// Whether pages were written whose search index is still to follow.
    pub(crate) fn search_pending(&self) -> bool {
        self.search.pending()
    }

    /// The first half of `run` (for `watch`, where a person waits for the
    /// pages): validates, renders and writes the pages that changed; the
    /// search index is left to `run_search`.
    pub fn run_pages(&mut self) -> Result<Outcome, OutputError> {
        let result = self.pages_step();
        if result.is_err() {
            self.abandon();
        }
        result
    }

    fn pages_step(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        for attempt in 1.. {
            match self.try_pages(start, attempt == MAX_ATTEMPTS)? {
                Attempt::Done(mut outcome) => {
                    outcome.notes = std::mem::take(&mut self.notes);
                    return Ok(outcome);
                }
                Attempt::Moved(ids) => self.content.reread(&ids),
            }
        }
        unreachable!("the last attempt is done whatever moves")
    }

    /// One try at the pages; it starts over if a report's file changed
    /// between its reading and its page (unless this is the `last` try).
    fn try_pages(&mut self, start: Instant, last: bool) -> Result<Attempt, OutputError> {
        let lap = lap_timer(start);
        let (site, mut diags, drafts) = self.content.model(self.opts.write, &lap);
        let theme = self.content.theme();
        // Made once for the list of outputs and the renderer.
        let compilations = render::Compilations::new(&site);
        let mut jobs = match &theme {
            Some(theme) => render::jobs(&site, theme, &compilations),
            None => Vec::new(),
        };
        // The files only drafts use are published only if a published report
        // links to them: their names are checked below, once that is known.
        let named = output_names::decided(&site, &jobs);
        let names = output_names::inputs_hash(&site, &named, self.folder.path());
        if self.names_clean != Some(names) {
            let found = output_names::check(&site, &named, self.folder.path());
            self.names_clean = found.is_empty().then_some(names);
            diags.extend(found);
        }
        drop(named);
        // A search update still pending belongs to a site the Markdown cache has
        // moved past; the next good run brings the index up to date instead.
        if let Some(site) = self.search.drop_pending() {
            self.pages.keep_site(site);
        }
        let stale = self.content.stale_markdown(&site)?;
        let out = self.folder.path().to_path_buf();
        let reports = site.reports.len();
        // Known once the published reports' Markdown is.
        let draft_files = std::cell::Cell::new(0);
        let finish = |diags: Diagnostics, files, written, changed| Outcome {
            diagnostics: diags.sorted(),
            out: out.clone(),
            reports,
            drafts: drafts.clone(),
            draft_files: draft_files.get(),
            files,
            written,
            changed,
            search_changed: 0,
            pages_elapsed: None,
            elapsed: start.elapsed(),
            notes: Vec::new(),
        };
        let theme = theme.filter(|_| !diags.has_errors());
        if self.opts.write && theme.is_some() {
            self.folder.begin()?;
        }
        let mut renderer = theme
            .as_deref()
            .map(|t| Renderer::new(&site, t, compilations));
        // The reports whose Markdown is new or stale: Markdown and page from
        // one reading of each file (Markdown only when the site has errors,
        // for the problems in it).
        let mut done = Pass {
            site: &site,
            renderer: renderer.as_ref(),
            staging: self.folder.staging(),
            content: &self.content,
            search: &self.search,
        }
        .stale_reports(&stale);
        lap("markdown and report pages");
        if let Some(redo) = self.failed(&mut done, &mut diags, last)? {
            return Ok(redo);
        }
        self.content.rendered(std::mem::take(&mut done.facts));
        diags.extend(self.content.markdown_diags().cloned());
        // Now that every published report's links are known: the files only
        // drafts use are left out.
        let withheld = render::withheld(&site, self.content.markdown());
        jobs.retain(|j| !matches!(j, Job::Attachment(rel) if withheld.contains(rel.as_str())));
        draft_files.set(withheld.len());
        if site.drafts_only.len() > withheld.len() {
            // Some are published after all: all names again (repeats go).
            diags.extend(output_names::check(&site, &jobs, self.folder.path()));
        }
        diags.extend(crate::model::risky_attachments(
            site.files
                .values()
                .filter(|f| !withheld.contains(f.rel.as_str())),
        ));
        let read = self
            .search
            .read_attachments(&site, self.content.markdown())?;
        diags.extend(read);
        if self.opts.cache
            && let Err(e) = self.search.save_attachments(&self.opts.root)
        {
            self.notes.push(format!(
                "the build cache {}/ could not be written ({e}); the next build reads the attachments again",
                crate::cache::CACHE_DIR
            ));
        }
        lap("attachments read");
        let Some(renderer) = renderer.as_mut().filter(|_| !diags.has_errors()) else {
            self.folder.abandon();
            return Ok(Attempt::Done(finish(diags, 0, None, Vec::new())));
        };

        // Then every other output whose inputs changed.
        // The output folder was deleted or emptied: write everything again.
        let rewrite_all = self.opts.write && self.folder.emptied();
        if rewrite_all {
            self.pages.forget();
        }
        let same_jobs = self.pages.same_jobs(&jobs);
        let markdown = self.content.markdown();
        let since = self.pages.since(&site, same_jobs, markdown);
        // The same jobs of a site that differs only in some reports' own
        // fields (`Site::changed_reports`: the same pages, units, types,
        // files and redirects) write the same pages as last time.
        let pages_kept = since.is_some();
        let fingerprints = match since {
            Some((before, redo)) => renderer.fingerprints_since(&jobs, markdown, before, &redo),
            None => renderer.fingerprints(&jobs, markdown),
        };
        lap("fingerprints");
        let fresh: HashSet<&str> = stale.iter().map(|r| r.id.as_str()).collect();
        let todo: Vec<&Job> = self
            .pages
            .outdated(&jobs, &fingerprints, same_jobs)
            .into_iter()
            .filter(|j| !matches!(j, Job::Report(id) if fresh.contains(id.as_str())))
            .collect();
        let todo = self.with_damaged(todo, &jobs, &site, &fresh);
        done.add(
            Pass {
                site: &site,
                renderer: Some(renderer),
                staging: self.folder.staging(),
                content: &self.content,
                search: &self.search,
            }
            .jobs(&todo),
        );
        if let Some(redo) = self.failed(&mut done, &mut diags, last)? {
            return Ok(redo);
        }
        if diags.has_errors() {
            self.folder.abandon();
            return Ok(Attempt::Done(finish(diags, 0, None, Vec::new())));
        }
        lap("rendered");
        if !self.opts.write {
            return Ok(Attempt::Done(finish(diags, done.made, None, Vec::new())));
        }

        // The same jobs can still write elsewhere: a report's new `slug:` moves its page.
        // `None`: the pages last written (making and comparing the set of
        // every page is most of a small save's own work at 100,000 reports).
        let pages: Option<BTreeSet<String>> = match pages_kept {
            true => None,
            false => Some(jobs.iter().map(|j| render::job_path(&site, j)).collect())
                .filter(|pages| !same_jobs || *pages != self.pages.pages),
        };
        let same_pages = pages.is_none();
        if let Some(pages) = &pages {
            self.folder
                .make_stale(self.pages.pages.difference(pages).cloned());
        }
        let links = std::mem::take(&mut done.links);
        let before = self.pages.written(
            &site,
            (jobs, fingerprints),
            pages,
            links,
            self.content.markdown(),
        );
        let relist = !same_pages || self.pages.relinked;
        self.search.follow(site, relist, rewrite_all);
        let total = self.folder.outputs().len();
        if self.hold {
            lap("pages staged");
            let stats = Some(WriteStats::default());
            return Ok(Attempt::Done(finish(diags, total, stats, Vec::new())));
        }
        // Only the pages: the search index's files are counted when it follows.
        let Flushed { stats, changed, .. } = self.flush()?;
        lap("pages written");
        let stats = WriteStats {
            unchanged: total.saturating_sub(stats.written),
            ..stats
        };
        let mut outcome = finish(diags, total, Some(stats), changed);
        outcome.pages_elapsed = Some(start.elapsed());
        drop(before);
        Ok(Attempt::Done(outcome))
    }

    /// `todo`, and the jobs of pages changed by hand in the output folder
    /// since dangan wrote them, unless made already (`fresh` reports).
    fn with_damaged<'j>(
        &self,
        mut todo: Vec<&'j Job>,
        jobs: &'j [Job],
        site: &crate::model::Site,
        fresh: &HashSet<&str>,
    ) -> Vec<&'j Job> {
        let damaged = &self.folder.damaged;
        if damaged.is_empty() {
            return todo;
        }
        let planned: HashSet<&Job> = todo.iter().copied().collect();
        todo.extend(jobs.iter().filter(|j| {
            !planned.contains(j)
                && !matches!(j, Job::Report(id) if fresh.contains(id.as_str()))
                && damaged.contains(&render::job_path(site, j))
        }));
        todo
    }

    /// What to do about the outputs of `done` that failed: a machine error
    /// ends the run, a report's file that changed meanwhile starts it over
    /// (or, on the `last` try, is an error), template errors join `diags`.
    /// What this run staged is dropped unless all went well.
    fn failed(
        &mut self,
        done: &mut Batch,
        diags: &mut Diagnostics,
        last: bool,
    ) -> Result<Option<Attempt>, OutputError> {
        if done.errors.is_empty() && done.moved.is_empty() && done.templates.is_empty() {
            return Ok(None);
        }
        self.folder.abandon();
        if let Some(e) = done.errors.drain(..).next() {
            return Err(e);
        }
        if !done.moved.is_empty() && !last {
            return Ok(Some(Attempt::Moved(std::mem::take(&mut done.moved))));
        }
        for id in done.moved.drain(..) {
            diags.push(
                Diagnostic::error(
                    format!("content/{id}"),
                    "changed again and again while the site was being built",
                )
                .hint("build again once the file is saved"),
            );
        }
        diags.extend(done.templates.drain(..));
        Ok(None)
    }

    /// The second half of `run`: brings the search index up to the pages last
    /// written, removes what is stale and updates the manifest.
    pub(crate) fn run_search(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        let result = self.search_step().and_then(|reports| {
            let (stats, changed, search_changed) = self.flush_counting_search()?;
            let total = self.folder.outputs().len();
            Ok(Outcome {
                reports,
                files: total,
                written: Some(WriteStats {
                    unchanged: total.saturating_sub(stats.written),
                    ..stats
                }),
                changed,
                search_changed,
                elapsed: start.elapsed(),
                ..Outcome::nothing(self.folder.path().to_path_buf())
            })
        });
        if result.is_err() {
            self.abandon();
        }
        let mut outcome = result?;
        outcome.notes.extend(self.search.take_notes());
        outcome.notes.extend(self.save_cache());
        if let Some(site) = self.pages.site() {
            self.content.resolve_ahead(site, self.opts.write);
        }
        Ok(outcome)
    }

    /// Stages the search index of the pages last staged, and what its
    /// update makes stale; returns the number of reports.
    fn search_step(&mut self) -> Result<usize, OutputError> {
        let Some((site, reconcile)) = self
            .search
            .stage(&mut self.folder, self.content.markdown())?
        else {
            return Ok(0);
        };
        if reconcile || self.folder.emptied() {
            // Every output of this run, for the manifest.
            let search_paths = self.search.paths().map(String::from);
            let all = self
                .pages
                .pages
                .iter()
                .cloned()
                .chain(search_paths)
                .collect();
            let listed = self.manifest_outputs(&all);
            self.folder.reconcile(all, listed);
        }
        let reports = site.reports.len();
        self.pages.keep_site(site);
        Ok(reports)
    }

    /// Renames what this run staged into place, removes what it made stale,
    /// and writes the manifest and the address record.
    fn flush(&mut self) -> Result<Flushed, OutputError> {
        if !self.folder.staged() {
            return Ok(Flushed::default());
        }
        // Staged first: a record that cannot be written stops the run before
        // any page goes into place; it follows the pages it records.
        let record = self.content.stage_addresses()?;
        let done = self.folder.flush(self.pages.relinked)?;
        self.pages.relinked &= !done.listed;
        if let Some(record) = record {
            self.content.commit_addresses(record)?;
        }
        let flushed = Flushed {
            stats: done.stats,
            changed: done.changed,
            search_removed: done.search_removed,
        };
        Ok(flushed)
    }

    /// `flush`, and how many of the files it changed are the search index's
    /// (a run that wrote only pages does not count them).
    fn flush_counting_search(&mut self) -> Result<(WriteStats, Vec<String>, usize), OutputError> {
        let flushed = self.flush()?;
        let search: HashSet<&str> = self
            .search
            .paths()
            .chain(flushed.search_removed.iter().map(String::as_str))
            .collect();
        let changed = flushed.changed.iter();
        let n = changed.filter(|c| search.contains(c.as_str())).count();
        Ok((flushed.stats, flushed.changed, n))
    }

    /// Every output with its kind and links, for the manifest. The search
    /// index's entry names every other file of the index and every report
    /// page it can lead to.
    fn manifest_outputs(&self, all: &BTreeSet<String>) -> Vec<manifest::Output> {
        let mut outputs: Vec<manifest::Output> = Vec::with_capacity(all.len());
        let mut shards = Vec::new();
        let mut reports = Vec::new();
        for path in all {
            let (kind, links) = match self.pages.recorded.get(path) {
                Some((kind, links)) => (*kind, links.clone()),
                None if path == SEARCH_ENTRY => (Kind::SearchEntry, Vec::new()),
                None => (Kind::SearchShard, Vec::new()),
            };
            match kind {
                Kind::SearchShard => shards.push(path.clone()),
                Kind::Report => reports.push(path.clone()),
                _ => {}
            }
            outputs.push(manifest::Output {
                path: path.clone(),
                kind,
                links,
            });
        }
        if let Some(entry) = outputs.iter_mut().find(|o| o.kind == Kind::SearchEntry) {
            entry.links = shards.into_iter().chain(reports).collect();
        }
        outputs
    }

    /// After a failed run: its temporaries go, and the next run writes
    /// whatever differs from the disk, whatever this one had done.
    fn abandon(&mut self) {
        self.folder.abandon();
        self.pages.forget_all();
        self.search.abandon();
    }
}

/// What the search index in the output folder is made from, and its files.
type Settled = Option<(u128, Vec<String>)>;

/// The page state in the build cache, if it is this theme's and config's,
/// for the output folder `out` as this session finds it: as the session
/// that saved it left it, with a manifest listing every page; with what
/// the search index there is made from. The line to print when the part is
/// there but not usable.
fn restore_pages(
    root: &Path,
    content: &ContentCache,
    folder: &mut OutputFolder,
) -> (Option<(PageState, Settled)>, Option<String>) {
    let out = folder.path().to_path_buf();
    let out = out.as_path();
    let Some(key) = content.pages_key() else {
        return (None, None);
    };
    let payload = match crate::cache::read(root, warm::PAGES_PART, &key) {
        Ok(Some(p)) => p,
        Ok(None) => return (None, None),
        Err(ignored) => return (None, Some(ignored.line())),
    };
    let mut r = crate::cache::Reader::new(&payload);
    let same_folder = r.bytes() == Some(out.as_os_str().as_encoded_bytes());
    let token = r.bytes().map(<[u8]>::to_vec);
    // Another output folder's, or this one written since by another run.
    if !same_folder || token.is_none() || token != warm::folder_token(out) {
        return (None, None);
    }
    let Ok(Some(manifest)) = manifest::read(out) else {
        return (None, None);
    };
    let restored = (|| {
        let pages = PageState::restore(&mut r, &manifest)?;
        // Kept only if the output folder lists its files as the index's.
        let listed = |p: &String| {
            manifest
                .get(p)
                .is_some_and(|l| l.kind.is_some_and(|k| k.is_search()))
        };
        let settled = r
            .opt(|r| Some((r.u128()?, r.strs()?)))?
            .filter(|(_, paths)| paths.iter().all(listed));
        let (manifest, list) = (r.u64()?, r.u64()?);
        let n = r.u64()?;
        let stamps = (0..n).map(|_| r.u64()).collect::<Option<Vec<u64>>>()?;
        r.is_empty()
            .then_some((pages, settled, (manifest, list, stamps)))
    })();
    let Some((pages, mut settled, stamps)) = restored else {
        return (None, None);
    };
    // Every file dangan left there, at any depth, as it left it: one
    // changed by hand since is made again (the search index's, with the
    // whole index), as a build without the cache would.
    let Some((index_changed, note)) = folder.check_stamps(stamps, &pages.pages) else {
        return (None, None);
    };
    if index_changed {
        settled = None;
    }
    (Some((pages, settled)), note)
}

/// Gives the memory freed since to the system. The search index's build
/// frees hundreds of MB of blocks' temporaries on several threads; glibc's
/// allocator keeps such memory in its per-thread arenas, where the files
/// written next and the build cache saved last cannot use it, so that it
/// would count twice towards the build's peak (at 100,000 reports the peak
/// is reached after the search index, writing and saving).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own
    // heaps to the system; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
