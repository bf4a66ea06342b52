//! The pipeline: config -> load -> site model -> render -> write, kept as a
//! `Session` so that `watch` re-reads only changed files and re-renders only
//! outputs whose inputs changed; `build` is a session's first run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::addresses::{self, RECORD_FILE, Record, StagedRecord};
use crate::attach::AttachmentTexts;
use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, CONTENT_DIR, discover};
use crate::manifest::{self, Kind};
use crate::model::{ContentFile, Report, Site};
use crate::output::{self, OutputError, WriteStats};
use crate::output_names;
use crate::render::{self, Job, MdEntry, Renderer, Theme};
use crate::search::{self, SearchIndex, SearchMeta, SearchText};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Overrides `output` of dangan.toml.
    pub out: Option<PathBuf>,
    /// `false` for `check`: everything is validated and rendered, nothing written.
    pub write: bool,
}

#[derive(Debug)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub out: PathBuf,
    pub reports: usize,
    /// The drafts left out, as `content/…` paths.
    pub drafts: Vec<String>,
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
}

impl Outcome {
    pub(crate) fn nothing(out: PathBuf) -> Outcome {
        Outcome {
            diagnostics: Vec::new(),
            out,
            reports: 0,
            drafts: Vec::new(),
            files: 0,
            written: None,
            changed: Vec::new(),
            search_changed: 0,
            pages_elapsed: None,
            elapsed: Duration::ZERO,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The output folder: `--out` (relative to the current folder), else `output` of the config (relative to the root).
pub fn out_dir(root: &Path, config: &Config, out: Option<&Path>) -> PathBuf {
    match out {
        Some(o) => o.to_path_buf(),
        None => root.join(&config.output),
    }
}

/// Runs the whole build once.
pub fn build(opts: &BuildOptions) -> Result<Outcome, OutputError> {
    Session::open(opts.clone())?.run()
}

/// One report file as last read.
struct Loaded {
    report: Option<Arc<Report>>,
    diags: Vec<Diagnostic>,
}

/// What a session knows between runs.
pub struct Session {
    opts: BuildOptions,
    out: PathBuf,
    config: Result<Config, Vec<Diagnostic>>,
    theme: Result<Theme, Vec<Diagnostic>>,
    /// Every `.md` file under content/, by id.
    reports: BTreeMap<String, Loaded>,
    files: BTreeMap<String, ContentFile>,
    /// Problems of the walk, by path under content/ (`""`: the folder is missing).
    walk_diags: Vec<(String, Diagnostic)>,
    markdown: BTreeMap<String, Arc<MdEntry>>,
    next_stamp: u64,
    /// The outputs as last written, with their fingerprints.
    written_jobs: Vec<Job>,
    written: Vec<u64>,
    /// Site paths in the output folder as last written (pages and search index).
    outputs: BTreeSet<String>,
    /// The pages among them.
    pages: BTreeSet<String>,
    /// Each page's kind and the outputs it links to, for the manifest.
    recorded: HashMap<String, (Kind, Vec<String>)>,
    /// A page's links changed since the manifest was last written.
    relinked: bool,
    search: Option<SearchIndex>,
    /// The site whose pages were written and whose search index is to follow.
    pending_search: Option<Site>,
    /// What the next search update must also do (carried over failed runs).
    search_reconcile: bool,
    search_rewrite_all: bool,
    /// What the search index has of each report: its Markdown stamp and
    /// its attachments' key.
    indexed: HashMap<String, (u64, u64)>,
    /// The text of the reports' attachments, read again only when they change.
    attachments: AttachmentTexts,
    /// The output folder, held while this session writes it.
    lock: Option<output::Lock>,
    /// This run's writes, not yet in place.
    pending: Option<Pending>,
    /// `run`: pages and search index are renamed into place together.
    hold: bool,
    /// The address record as in its file, with the problems of reading it.
    addresses: Record,
    addresses_diags: Vec<Diagnostic>,
    /// The record as the run being made leaves it, once it has no errors.
    addresses_next: Option<Record>,
}

impl Session {
    /// Reads config, theme and every report. Fails only for an unusable output folder.
    pub fn open(mut opts: BuildOptions) -> Result<Session, OutputError> {
        opts.root = opts.root.canonicalize().map_err(|source| OutputError::Io {
            path: opts.root.clone(),
            source,
        })?;
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
        let outputs = if opts.write {
            output::previous_files(&out)?
        } else {
            BTreeSet::new()
        };
        let mut s = Session {
            theme: Err(Vec::new()),
            opts,
            out,
            config,
            reports: BTreeMap::new(),
            files: BTreeMap::new(),
            walk_diags: Vec::new(),
            markdown: BTreeMap::new(),
            next_stamp: 0,
            written_jobs: Vec::new(),
            written: Vec::new(),
            outputs,
            pages: BTreeSet::new(),
            recorded: HashMap::new(),
            relinked: false,
            search: None,
            pending_search: None,
            search_reconcile: false,
            search_rewrite_all: false,
            indexed: HashMap::new(),
            attachments: AttachmentTexts::new().map_err(temp_error)?,
            lock: None,
            pending: None,
            hold: false,
            addresses: Record::default(),
            addresses_diags: Vec::new(),
            addresses_next: None,
        };
        s.reload_addresses();
        s.reload_theme();
        s.reload_content();
        Ok(s)
    }

    pub fn out(&self) -> &Path {
        &self.out
    }

    pub fn root(&self) -> &Path {
        &self.opts.root
    }

    fn config(&self) -> Config {
        self.config.clone().unwrap_or_default()
    }

    /// Reads the address record again; `true` if it says something new.
    fn reload_addresses(&mut self) -> bool {
        let (record, diags) = Record::read(&self.opts.root);
        let changed = !record.same(&self.addresses) || diags != self.addresses_diags;
        self.addresses = record;
        self.addresses_diags = diags;
        changed
    }

    /// The address record as this run leaves it, under its temporary name,
    /// if it differs from its file (see `flush`).
    fn stage_addresses(&mut self) -> Result<Option<(StagedRecord, Record)>, OutputError> {
        let Some(next) = self.addresses_next.take() else {
            return Ok(None);
        };
        if next.same(&self.addresses) && !self.addresses.untidy {
            return Ok(None);
        }
        let staged = next
            .stage(&self.opts.root)
            .map_err(|source| OutputError::Io {
                path: self.opts.root.join(RECORD_FILE),
                source,
            })?;
        Ok(Some((staged, next)))
    }

    fn reload_theme(&mut self) {
        let name = self.config.as_ref().ok().and_then(|c| c.theme.clone());
        self.theme = Theme::load(&self.opts.root, name.as_deref());
        // A theme that is not there: the `theme` line of dangan.toml says so.
        let line = self.config.as_ref().ok().and_then(|c| c.lines.theme);
        if let (Err(diags), Some(line)) = (&mut self.theme, line) {
            for d in diags
                .iter_mut()
                .filter(|d| d.field.as_deref() == Some("theme"))
            {
                d.line = Some(line);
            }
        }
        self.written.clear();
    }

    fn reload_content(&mut self) {
        let root = self.opts.root.clone();
        let content = root.join(CONTENT_DIR);
        let found = discover::discover(&root, &content);
        let config = self.config();
        let loaded: Vec<(String, Loaded)> = found
            .reports
            .par_iter()
            .map(|p| {
                (
                    load::rel_id(&content, p),
                    read_report(&root, &content, p, &config),
                )
            })
            .collect();
        self.reports = loaded.into_iter().collect();
        self.files = found
            .files
            .into_iter()
            .map(|(p, meta)| load::content_file(&content, p, &meta))
            .map(|f| (f.rel.clone(), f))
            .collect();
        self.walk_diags = found.diags;
        if !content.is_dir() {
            // Under the id "": no path under content/ replaces it.
            self.walk_diags.push((
                String::new(),
                Diagnostic::error(CONTENT_DIR, "there is no content folder")
                    .hint("put the reports (.md files) in a folder named `content` next to dangan.toml, or run `dangan init`"),
            ));
        }
    }

    /// Takes note of changed paths (files or folders, created, changed,
    /// moved or deleted). Returns `false` if none of them matters.
    pub fn update(&mut self, paths: &[PathBuf]) -> bool {
        let root = self.opts.root.clone();
        let content = root.join(CONTENT_DIR);
        let mut relevant = false;
        for path in paths {
            if path.starts_with(&self.out) {
                // Our own writes are not changes; a deleted output folder is.
                relevant |= self.opts.write && !self.out.join(output::MANIFEST).is_file();
                continue;
            }
            if path == &root.join(RECORD_FILE) {
                // Our own writes read back the same; a hand edit or a merge does not.
                relevant |= self.reload_addresses();
                continue;
            }
            if path == &root.join(CONFIG_FILE) {
                self.config = Config::load(&root);
                self.search = None; // unit names and parents may have changed
                self.reload_theme();
                self.reload_content();
                return true;
            }
            if path.starts_with(root.join("themes")) {
                self.reload_theme();
                relevant = true;
            } else if path == &content || !content.is_dir() {
                self.reload_content();
                relevant = true;
            } else if path.starts_with(&content) {
                relevant |= self.update_content_path(&content, path);
            }
        }
        relevant
    }

    fn update_content_path(&mut self, content: &Path, path: &Path) -> bool {
        let ignored = path
            .strip_prefix(content)
            .map(|rel| {
                rel.components()
                    .any(|c| discover::is_ignored(&c.as_os_str().to_string_lossy()))
            })
            .unwrap_or(true);
        if ignored {
            return false;
        }
        let id = load::rel_id(content, path);
        let prefix = format!("{id}/");
        // Whatever was at this path (a file, or a folder's contents) is gone or replaced.
        let gone = |k: &String| k == &id || k.starts_with(&prefix);
        self.reports.retain(|k, _| !gone(k));
        self.files.retain(|k, _| !gone(k));
        self.walk_diags.retain(|(k, _)| !gone(k));
        let config = self.config();
        let root = self.opts.root.clone();
        let found = discover::entry(&root, content, path);
        for p in found.reports {
            let loaded = read_report(&root, content, &p, &config);
            self.reports.insert(load::rel_id(content, &p), loaded);
        }
        for (p, meta) in found.files {
            let f = load::content_file(content, p, &meta);
            self.files.insert(f.rel.clone(), f);
        }
        for (k, d) in found.diags {
            // A link on the way may have been named by an earlier event.
            self.walk_diags.retain(|(k2, _)| k2 != &k);
            self.walk_diags.push((k, d));
        }
        true
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
        result
    }

    fn run_held(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        let mut outcome = self.pages_step()?;
        if outcome.written.is_none() {
            return Ok(outcome);
        }
        if self.search_pending() {
            self.search_step()?;
        }
        let (stats, changed, search_changed) = self.flush()?;
        outcome.files = self.outputs.len();
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
    pub fn search_pending(&self) -> bool {
        self.pending_search.is_some()
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
        let lap = lap_timer(start);
        let (site, jobs, mut diags, drafts) = self.check(&lap)?;
        // A search update still pending belongs to a site the Markdown cache has
        // moved past; the next good run brings the index up to date instead.
        self.pending_search = None;
        lap("markdown");
        let out = self.out.clone();
        let reports = site.reports.len();
        let finish = |diags: Diagnostics, files, written, changed| Outcome {
            diagnostics: diags.sorted(),
            out: out.clone(),
            reports,
            drafts: drafts.clone(),
            files,
            written,
            changed,
            search_changed: 0,
            pages_elapsed: None,
            elapsed: start.elapsed(),
        };
        if self.theme.is_err() || diags.has_errors() {
            return Ok(finish(diags, 0, None, Vec::new()));
        }
        if self.opts.write {
            self.begin_staging()?;
        }
        let theme = self.theme.as_ref().expect("checked above");
        let renderer = Renderer::new(&site, theme, &self.markdown);
        // The output folder was deleted or emptied: write everything again.
        let rewrite_all = self.opts.write && !self.out.join(output::MANIFEST).is_file();
        if rewrite_all {
            self.written.clear();
        }
        let fingerprints = renderer.fingerprints(&jobs);
        lap("fingerprints");
        let same_jobs = jobs == self.written_jobs;
        let todo = self.outdated(&jobs, &fingerprints, same_jobs);
        // Each page goes to the staging folder as soon as it is rendered; all
        // are renamed into place only if every one rendered.
        let staging = self.pending.as_ref().map(|p| &p.staging);
        let (links, templates, failed) = renderer.run_each(&todo, |f| match staging {
            Some(s) => {
                s.stage(&f)?;
                Ok((f.path.clone(), links_of(&f)))
            }
            None => Ok((String::new(), Vec::new())),
        });
        drop(renderer);
        if !templates.is_empty() || !failed.is_empty() {
            self.pending = None;
            if let Some(e) = failed.into_iter().next() {
                return Err(e);
            }
            diags.extend(templates);
            return Ok(finish(diags, 0, None, Vec::new()));
        }
        lap("rendered");
        if !self.opts.write {
            return Ok(finish(diags, todo.len(), None, Vec::new()));
        }

        // The same jobs can still write elsewhere: a report's new `slug:` moves its page.
        let pages: BTreeSet<String> = jobs.iter().map(|j| render::job_path(&site, j)).collect();
        let same_pages = same_jobs && pages == self.pages;
        if !same_pages {
            let stale = self.pages.difference(&pages).cloned();
            self.pending
                .as_mut()
                .expect("begun above")
                .stale
                .extend(stale);
        }
        let links: HashMap<String, Vec<String>> = links.into_iter().collect();
        self.relinked |= record(&mut self.recorded, &site, &jobs, &pages, links);
        self.search_reconcile |= !same_pages || self.relinked;
        self.search_rewrite_all |= rewrite_all;
        self.pending_search = Some(site);
        self.written_jobs = jobs;
        self.written = fingerprints;
        self.pages = pages;
        let total = self.outputs.len();
        if self.hold {
            return Ok(finish(
                diags,
                total,
                Some(WriteStats::default()),
                Vec::new(),
            ));
        }
        let (stats, changed, _) = self.flush()?;
        lap("pages written");
        let stats = WriteStats {
            unchanged: total.saturating_sub(stats.written),
            ..stats
        };
        let mut outcome = finish(diags, total, Some(stats), changed);
        outcome.pages_elapsed = Some(start.elapsed());
        Ok(outcome)
    }

    /// The second half of `run`: brings the search index up to the pages last
    /// written, removes what is stale and updates the manifest.
    pub fn run_search(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        let result = self.search_step().and_then(|reports| {
            let (stats, changed, search_changed) = self.flush()?;
            let total = self.outputs.len();
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
                ..Outcome::nothing(self.out.clone())
            })
        });
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Stages the search index of the pages last staged, and what its
    /// update makes stale; returns the number of reports.
    fn search_step(&mut self) -> Result<usize, OutputError> {
        let lap = lap_timer(Instant::now());
        let Some(site) = self.pending_search.take() else {
            return Ok(0);
        };
        self.begin_staging()?;
        let rewrite_all = std::mem::take(&mut self.search_rewrite_all);
        let new_search_paths = self.stage_search(&site, rewrite_all)?;
        lap("search index staged");
        if std::mem::take(&mut self.search_reconcile)
            || new_search_paths
            || !self.out.join(output::MANIFEST).is_file()
        {
            self.reconcile();
        }
        Ok(site.reports.len())
    }

    /// Every problem known now, the site model with its outputs (none
    /// without a theme), the drafts, and the Markdown brought up to date.
    fn check(
        &mut self,
        lap: &dyn Fn(&str),
    ) -> Result<(Site, Vec<Job>, Diagnostics, Vec<String>), OutputError> {
        let mut diags = Diagnostics::default();
        for ds in [self.config.as_ref().err(), self.theme.as_ref().err()]
            .into_iter()
            .flatten()
        {
            diags.extend(ds.iter().cloned());
        }
        diags.extend(self.walk_diags.iter().map(|(_, d)| d.clone()));
        let mut published = Vec::with_capacity(self.reports.len());
        for l in self.reports.values() {
            diags.extend(l.diags.iter().cloned());
            published.extend(l.report.clone());
        }
        let drafts = published
            .iter()
            .filter(|r| r.draft)
            .map(|r| format!("{CONTENT_DIR}/{}", r.id))
            .collect();
        let mut site = Site::new(self.config(), published, self.files.values().cloned());
        lap("site model");
        let resolved = addresses::resolve(
            &self.addresses,
            &site,
            |id| self.reports.contains_key(id),
            self.opts.write,
        );
        site.redirects = resolved.redirects;
        diags.extend(self.addresses_diags.iter().cloned());
        diags.extend(resolved.diags);
        self.addresses_next = resolved.record;
        lap("old addresses");
        // Redirect pages are outputs like any other: listed, and checked, with them.
        let jobs = match &self.theme {
            Ok(theme) => render::jobs(&site, theme),
            Err(_) => Vec::new(),
        };
        diags.extend(output_names::check(&site, &jobs, &self.out));
        diags.extend(crate::model::risky_attachments(&site.files));
        render::update_markdown(&site, &mut self.markdown, &mut self.next_stamp);
        for entry in self.markdown.values() {
            diags.extend(entry.diags.iter().cloned());
        }
        let markdown = &self.markdown;
        let read = self
            .attachments
            .update(&site, |id| &markdown[id].rendered.linked_files)
            .map_err(temp_error)?;
        diags.extend(read);
        lap("attachments read");
        Ok((site, jobs, diags, drafts))
    }

    /// The jobs whose fingerprint differs from what was last written.
    fn outdated<'j>(&self, jobs: &'j [Job], fingerprints: &[u64], same_jobs: bool) -> Vec<&'j Job> {
        if same_jobs {
            // Usually the same outputs as last time: compare in place, no hashing.
            return jobs
                .iter()
                .zip(fingerprints)
                .enumerate()
                .filter(|(i, (_, fp))| self.written.get(*i) != Some(fp))
                .map(|(_, (j, _))| j)
                .collect();
        }
        let before: HashMap<&Job, u64> = self
            .written_jobs
            .iter()
            .zip(self.written.iter().copied())
            .collect();
        jobs.iter()
            .zip(fingerprints)
            .filter(|(j, fp)| before.get(j) != Some(fp))
            .map(|(j, _)| j)
            .collect()
    }

    /// Updates the search index and stages what changed; `true` if it has new file names.
    fn stage_search(&mut self, site: &Site, rewrite_all: bool) -> Result<bool, OutputError> {
        let mut search = self.update_search(site)?;
        let staging = &self.pending.as_ref().expect("staging begun").staging;
        if !search.done {
            match &self.search {
                Some(index) if rewrite_all => {
                    let text = |id: &str| search_text(&self.markdown[id], &self.attachments);
                    index.write_all(text, |files| stage_all(staging, files))?;
                }
                _ => {
                    let files = &search.written;
                    search.all |= files.iter().any(|(p, _)| !self.outputs.contains(p));
                    stage_all(staging, files)?;
                }
            }
        }
        search.all |= rewrite_all;
        let pending = self.pending.as_mut().expect("staging begun");
        pending.stale.extend(search.removed.iter().cloned());
        pending
            .search_removed
            .extend(search.removed.iter().cloned());
        Ok(search.all || !search.removed.is_empty())
    }

    /// Lists every output of this run for the manifest, with its kind and links, and makes
    /// stale what the last run wrote and this one does not.
    fn reconcile(&mut self) {
        let search_paths = self.search.iter().flat_map(|s| s.paths()).map(String::from);
        let all: BTreeSet<String> = self.pages.iter().cloned().chain(search_paths).collect();
        let outputs = self.manifest_outputs(&all);
        let pending = self.pending.as_mut().expect("staging begun");
        pending.stale.extend(self.outputs.difference(&all).cloned());
        pending.list = Some((all, outputs));
    }

    /// Every output with its kind and links. The search index's entry names every other file
    /// of the index and every report page it can lead to.
    fn manifest_outputs(&self, all: &BTreeSet<String>) -> Vec<manifest::Output> {
        let mut outputs: Vec<manifest::Output> = Vec::with_capacity(all.len());
        let mut shards = Vec::new();
        let mut reports = Vec::new();
        for path in all {
            let (kind, links) = match self.recorded.get(path) {
                Some((kind, links)) => (*kind, links.clone()),
                None if path == search::ENTRY_PATH => (Kind::SearchEntry, Vec::new()),
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

    /// Begins this run's staging, taking the output folder on first use.
    fn begin_staging(&mut self) -> Result<(), OutputError> {
        if self.pending.is_some() {
            return Ok(());
        }
        if !self.lock.as_ref().is_some_and(|l| l.holds(&self.out)) {
            self.lock = None;
            self.lock = Some(output::Lock::acquire(&self.out)?);
            // Another process may have written the folder since this session looked.
            self.outputs = output::previous_files(&self.out)?;
            output::remove_leftovers(&self.out)?;
        }
        self.pending = Some(Pending {
            staging: output::Staging::begin(&self.out)?,
            stale: Vec::new(),
            search_removed: Vec::new(),
            list: None,
        });
        Ok(())
    }

    /// Renames what this run staged into place, removes what it made stale
    /// and writes the manifest. Also says how many of the changed files are
    /// the search index's.
    fn flush(&mut self) -> Result<(WriteStats, Vec<String>, usize), OutputError> {
        let Some(p) = self.pending.take() else {
            return Ok((WriteStats::default(), Vec::new(), 0));
        };
        let listed = self.outputs.len();
        // Staged first: a record that cannot be written stops the run before
        // any page goes into place; it follows the pages it records.
        let record = self.stage_addresses()?;
        let (stats, changed) = p.staging.commit(p.stale, &mut self.outputs)?;
        if let Some((staged, next)) = record {
            staged.commit().map_err(|source| OutputError::Io {
                path: self.opts.root.join(RECORD_FILE),
                source,
            })?;
            // With the lines the file now has, for later messages.
            self.addresses = Record::parse(&next.to_text()).0;
        }
        // The commit lists new paths (without kinds) before renaming them in.
        let provisional = self.outputs.len() != listed;
        if let Some((list, outputs)) = p.list {
            if list != self.outputs
                || provisional
                || self.relinked
                || !self.out.join(output::MANIFEST).is_file()
            {
                output::write_manifest(&self.out, &outputs)?;
                self.relinked = false;
            }
            self.outputs = list;
        }
        let search: std::collections::HashSet<&str> = self
            .search
            .iter()
            .flat_map(|s| s.paths())
            .chain(p.search_removed.iter().map(String::as_str))
            .collect();
        let search_changed = changed
            .iter()
            .filter(|c| search.contains(c.as_str()))
            .count();
        Ok((stats, changed, search_changed))
    }

    /// After a failed run: its temporaries go, and the next run writes
    /// whatever differs from the disk, whatever this one had done.
    fn abandon(&mut self) {
        self.pending = None;
        self.pending_search = None;
        self.written.clear();
        self.written_jobs.clear();
        self.search = None;
        self.indexed.clear();
        self.search_reconcile = true;
        self.search_rewrite_all = true;
    }

    /// Brings the search index up to date with `site`: all of it the first
    /// time, then only the reports whose Markdown was rendered again.
    fn update_search(&mut self, site: &Site) -> Result<SearchUpdate, OutputError> {
        let lap = lap_timer(Instant::now());
        let meta = |id: &String| search_meta(site, &self.markdown[id].report);
        // The texts come from the Markdown cache, block by block.
        let (markdown, attachments) = (&self.markdown, &self.attachments);
        let text = |id: &str| search_text(&markdown[id], attachments);
        let indexed_now = || -> HashMap<String, (u64, u64)> {
            markdown
                .iter()
                .map(|(id, e)| (id.clone(), (e.stamp, attachments.key(id))))
                .collect()
        };
        let Some(index) = self.search.as_mut() else {
            let metas: Vec<SearchMeta> = site.reports.keys().map(meta).collect();
            lap("search documents");
            // Each block's files are staged as soon as they are ready.
            let staging = &self.pending.as_ref().expect("staging begun").staging;
            let index = SearchIndex::build(metas, text, |files| stage_all(staging, files))?;
            self.indexed = indexed_now();
            self.search = Some(index);
            return Ok(SearchUpdate {
                all: true,
                done: true,
                ..SearchUpdate::default()
            });
        };
        let upserts: Vec<SearchMeta> = self
            .markdown
            .iter()
            .filter(|(id, e)| self.indexed.get(*id) != Some(&(e.stamp, attachments.key(id))))
            .map(|(id, _)| meta(id))
            .collect();
        let removals: Vec<String> = self
            .indexed
            .keys()
            .filter(|id| !site.reports.contains_key(*id))
            .cloned()
            .collect();
        if upserts.is_empty() && removals.is_empty() {
            return Ok(SearchUpdate::default());
        }
        let changes = index.apply(upserts, &removals, text)?;
        self.indexed = indexed_now();
        Ok(SearchUpdate {
            all: false,
            done: false,
            written: changes.written,
            removed: changes.removed,
        })
    }
}

/// A run's writes, waiting in the staging folder to be renamed into place.
struct Pending {
    staging: output::Staging,
    /// Files the run makes stale, removed after the renames.
    stale: Vec<String>,
    /// Those of them that the search index no longer has.
    search_removed: Vec<String>,
    /// The run's outputs, and what the manifest says of each, when they changed.
    list: Option<(BTreeSet<String>, Vec<manifest::Output>)>,
}

/// Notes the kind and links of every page; `true` if any changed. `links` holds the pages
/// rendered this time.
fn record(
    recorded: &mut HashMap<String, (Kind, Vec<String>)>,
    site: &Site,
    jobs: &[Job],
    pages: &BTreeSet<String>,
    mut links: HashMap<String, Vec<String>>,
) -> bool {
    let before = recorded.len();
    recorded.retain(|p, _| pages.contains(p));
    let mut changed = recorded.len() != before;
    for job in jobs {
        let path = render::job_path(site, job);
        let fresh = links.remove(&path);
        let kind = job.kind();
        match recorded.get_mut(&path) {
            Some((k, old)) => {
                if let Some(new) = fresh.filter(|l| l != old) {
                    *old = new;
                    changed = true;
                }
                if *k != kind {
                    *k = kind;
                    changed = true;
                }
            }
            None => {
                recorded.insert(path, (kind, fresh.unwrap_or_default()));
                changed = true;
            }
        }
    }
    changed
}

/// The outputs a page or feed links to (none for other files).
fn links_of(f: &output::OutFile) -> Vec<String> {
    let is_page = f.path.ends_with(".html") || f.path.ends_with(".xml");
    match &f.content {
        output::Content::Bytes(b) if is_page => manifest::page_links(&f.path, b),
        _ => Vec::new(),
    }
}

/// Stages the search index's files (from several threads at once).
fn stage_all(staging: &output::Staging, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    files
        .par_iter()
        .try_for_each(|(path, bytes)| staging.stage_bytes(path, bytes).map(drop))
}

/// With DANGAN_TIMING set, prints the time since `start` at each step.
fn lap_timer(start: Instant) -> impl Fn(&str) {
    let timing = std::env::var_os("DANGAN_TIMING").is_some();
    move |what| {
        if timing {
            eprintln!(
                "  {:>7.1} ms  {:>7} ms cpu  {what}",
                start.elapsed().as_secs_f64() * 1000.0,
                cpu_ms().map_or("?".into(), |ms| ms.to_string())
            );
        }
    }
}

#[derive(Default)]
struct SearchUpdate {
    /// Every file of the index is new: write them all from the index.
    all: bool,
    /// Already staged (the first build stages block by block).
    done: bool,
    written: Vec<(String, Vec<u8>)>,
    removed: Vec<String>,
}

/// CPU time of the process so far (user and system, all threads), where /proc says it.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10) // USER_HZ is 100 on Linux
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

/// What the search index reads of a report: its text, with summary, tags
/// and author, then its attachments' texts.
fn search_text(md: &MdEntry, attachments: &AttachmentTexts) -> Result<SearchText, OutputError> {
    let r = &md.report;
    let mut text = md.rendered.text.clone();
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
    let mut t = SearchText::body(text);
    t.parts
        .extend(attachments.parts(&r.id).map_err(temp_error)?);
    Ok(t)
}

/// The temporary file of the attachments' texts cannot be written or read:
/// the machine's problem, like an output folder that cannot be; it names the folder.
fn temp_error(source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: std::env::temp_dir(),
        source,
    }
}

fn read_report(root: &Path, content: &Path, path: &Path, config: &Config) -> Loaded {
    let (report, diags) = load::load_report(root, content, path, config);
    Loaded {
        report: report.map(Arc::new),
        diags,
    }
}
