//! The pipeline: config -> load -> site model -> render -> write, kept as a
//! `Session` so that `watch` re-reads only changed files and re-renders only
//! outputs whose inputs changed; `build` is a session's first run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, CONTENT_DIR, discover};
use crate::model::{ContentFile, Report, Site};
use crate::output::{self, Content, OutFile, OutputError, WriteStats};
use crate::render::{self, Job, MdEntry, Renderer, Theme};
use crate::search::{SearchDoc, SearchIndex};

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
    pub drafts: usize,
    pub files: usize,
    /// `None` when nothing was written (errors, or `check`).
    pub written: Option<WriteStats>,
    /// Site paths written or removed by this run.
    pub changed: Vec<String>,
    pub elapsed: Duration,
}

impl Outcome {
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
    walk_diags: Vec<Diagnostic>,
    markdown: BTreeMap<String, Arc<MdEntry>>,
    next_stamp: u64,
    /// The outputs as last written, with their fingerprints.
    written_jobs: Vec<Job>,
    written: Vec<u64>,
    /// Site paths in the output folder as last written (pages and search index).
    outputs: BTreeSet<String>,
    /// The pages among them.
    pages: BTreeSet<String>,
    search: Option<SearchIndex>,
    /// The Markdown stamp of each report as the search index has it.
    indexed: HashMap<String, u64>,
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
        output::check_out_dir(&opts.root, &opts.root.join(CONTENT_DIR), &out)?;
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
            search: None,
            indexed: HashMap::new(),
        };
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

    fn reload_theme(&mut self) {
        let name = self.config.as_ref().ok().and_then(|c| c.theme.clone());
        self.theme = Theme::load(&self.opts.root, name.as_deref());
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
            self.walk_diags.push(
                Diagnostic::error(CONTENT_DIR, "there is no content folder")
                    .hint("put the reports (.md files) in a folder named `content` next to dangan.toml, or run `dangan init`"),
            );
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
        self.reports
            .retain(|k, _| k != &id && !k.starts_with(&prefix));
        self.files
            .retain(|k, _| k != &id && !k.starts_with(&prefix));
        let config = self.config();
        let root = self.opts.root.clone();
        if path.is_dir() {
            let found = discover::discover_under(&root, content, path);
            for p in found.reports {
                let loaded = read_report(&root, content, &p, &config);
                self.reports.insert(load::rel_id(content, &p), loaded);
            }
            for (p, meta) in found.files {
                let f = load::content_file(content, p, &meta);
                self.files.insert(f.rel.clone(), f);
            }
        } else if let Ok(meta) = std::fs::metadata(path) {
            if discover::is_report(path) {
                self.reports
                    .insert(id, read_report(&root, content, path, &config));
            } else {
                let f = load::content_file(content, path.to_path_buf(), &meta);
                self.files.insert(f.rel.clone(), f);
            }
        }
        true
    }

    /// Validates and renders; writes the outputs that changed unless there are errors.
    pub fn run(&mut self) -> Result<Outcome, OutputError> {
        let start = Instant::now();
        let timing = std::env::var_os("DANGAN_TIMING").is_some();
        let lap = |what: &str| {
            if timing {
                eprintln!(
                    "  {:>7.1} ms  {:>7} ms cpu  {what}",
                    start.elapsed().as_secs_f64() * 1000.0,
                    cpu_ms().map_or("?".into(), |ms| ms.to_string())
                );
            }
        };
        let mut diags = Diagnostics::default();
        if let Err(ds) = &self.config {
            diags.extend(ds.iter().cloned());
        }
        if let Err(ds) = &self.theme {
            diags.extend(ds.iter().cloned());
        }
        diags.extend(self.walk_diags.iter().cloned());
        let mut published = Vec::with_capacity(self.reports.len());
        for l in self.reports.values() {
            diags.extend(l.diags.iter().cloned());
            published.extend(l.report.clone());
        }
        let drafts = published.iter().filter(|r| r.draft).count();
        lap("diagnostics collected");
        lap("published");
        let (site, site_diags) = Site::new(self.config(), published, self.files.values().cloned());
        diags.extend(site_diags);
        lap("site model");
        render::update_markdown(&site, &mut self.markdown, &mut self.next_stamp);
        lap("markdown");
        for entry in self.markdown.values() {
            diags.extend(entry.diags.iter().cloned());
        }
        let out_dir = self.out.clone();
        let finish = |diags: Diagnostics, files, written, changed| Outcome {
            diagnostics: diags.sorted(),
            out: out_dir.clone(),
            reports: site.reports.len(),
            drafts,
            files,
            written,
            changed,
            elapsed: start.elapsed(),
        };
        let theme = match &self.theme {
            Ok(t) if !diags.has_errors() => t,
            _ => return Ok(finish(diags, 0, None, Vec::new())),
        };

        let renderer = Renderer::new(&site, theme, &self.markdown);
        let jobs = render::jobs(&site, theme);
        // The output folder was deleted or emptied: write everything again.
        let rewrite_all = self.opts.write && !self.out.join(output::MANIFEST).is_file();
        if rewrite_all {
            self.written.clear();
        }
        lap("renderer and jobs");
        let fingerprints = renderer.fingerprints(&jobs);
        lap("fingerprints");
        // Usually the same outputs as last time: compare in place, no hashing.
        let same_jobs = jobs == self.written_jobs;
        let before: HashMap<&Job, u64> = if same_jobs {
            HashMap::new()
        } else {
            self.written_jobs
                .iter()
                .zip(self.written.iter().copied())
                .collect()
        };
        let todo: Vec<&Job> = jobs
            .iter()
            .zip(&fingerprints)
            .enumerate()
            .filter(|(i, (j, fp))| match same_jobs {
                true => self.written.get(*i) != Some(fp),
                false => before.get(j) != Some(fp),
            })
            .map(|(_, (j, _))| j)
            .collect();
        drop(before);
        let files = match renderer.run_all(&todo) {
            Ok(f) => f,
            Err(ds) => {
                diags.extend(ds);
                return Ok(finish(diags, 0, None, Vec::new()));
            }
        };
        if !self.opts.write {
            return Ok(finish(diags, files.len(), None, Vec::new()));
        }

        lap("rendered");
        let pages: BTreeSet<String> = if same_jobs && !self.pages.is_empty() {
            std::mem::take(&mut self.pages)
        } else {
            jobs.iter().map(|j| renderer.path(j)).collect()
        };
        // Pages first: they are what a person waits for; the search index follows.
        let (mut stats, mut changed) = output::write_files(&self.out, &files)?;
        if !same_jobs {
            for stale in self.pages.difference(&pages) {
                if output::remove_stale(&self.out, stale)? {
                    stats.removed += 1;
                    changed.push(stale.clone());
                }
            }
        }
        lap("pages written");
        // The pages' bytes are on disk: free them before the search index needs memory.
        drop(files);
        let mut search = self.update_search(&site)?;
        lap("search index built");
        let (search_stats, search_changed) = match (&self.search, search.done.take()) {
            (_, Some(done)) => done,
            (Some(index), None) if rewrite_all => {
                let files = index.files();
                let refs: Vec<(&str, &[u8])> = files
                    .iter()
                    .map(|(p, b)| (p.as_str(), b.as_slice()))
                    .collect();
                output::write_all_bytes(&self.out, &refs)?
            }
            _ => output::write_files(&self.out, &search.written)?,
        };
        search.all |= rewrite_all;
        stats.written += search_stats.written;
        changed.extend(search_changed);
        for path in &search.removed {
            if output::remove_stale(&self.out, path)? {
                stats.removed += 1;
                changed.push(path.clone());
            }
        }
        let new_paths = search.all
            || search
                .written
                .iter()
                .any(|f| !self.outputs.contains(&f.path));
        lap("search index written");
        if !same_jobs
            || new_paths
            || !search.removed.is_empty()
            || !self.out.join(output::MANIFEST).is_file()
        {
            let search_paths = self.search.iter().flat_map(|s| s.paths()).map(String::from);
            let all: BTreeSet<String> = pages.iter().cloned().chain(search_paths).collect();
            for stale in self.outputs.difference(&all) {
                if output::remove_stale(&self.out, stale)? {
                    stats.removed += 1;
                    changed.push(stale.clone());
                }
            }
            output::write_manifest(&self.out, all.iter().map(String::as_str))?;
            self.outputs = all;
        }
        self.written_jobs = jobs;
        self.written = fingerprints;
        self.pages = pages;
        let total = self.outputs.len();
        let stats = WriteStats {
            unchanged: total - stats.written,
            ..stats
        };
        Ok(finish(diags, total, Some(stats), changed))
    }

    /// Brings the search index up to date with `site`: all of it the first
    /// time, then only the reports whose Markdown was rendered again.
    fn update_search(&mut self, site: &Site) -> Result<SearchUpdate, OutputError> {
        let doc = |id: &String| search_doc(site, &self.markdown[id]);
        let Some(index) = self.search.as_mut() else {
            let docs: Vec<SearchDoc> = site
                .reports
                .keys()
                .collect::<Vec<_>>()
                .par_iter()
                .map(|id| doc(id))
                .collect();
            // Each block's files are written as soon as they are ready.
            let done = std::sync::Mutex::new((WriteStats::default(), Vec::new()));
            let out = &self.out;
            let index = SearchIndex::build(docs, |files| {
                let refs: Vec<(&str, &[u8])> = files
                    .iter()
                    .map(|(p, b)| (p.as_str(), b.as_slice()))
                    .collect();
                let (stats, changed) = output::write_all_bytes(out, &refs)?;
                let mut d = done.lock().expect("not poisoned");
                d.0.written += stats.written;
                d.0.unchanged += stats.unchanged;
                d.1.extend(changed);
                Ok::<(), OutputError>(())
            })?;
            self.search = Some(index);
            self.indexed = self
                .markdown
                .iter()
                .map(|(id, e)| (id.clone(), e.stamp))
                .collect();
            let (stats, mut changed) = done.into_inner().expect("not poisoned");
            changed.sort_unstable();
            return Ok(SearchUpdate {
                all: true,
                done: Some((stats, changed)),
                ..SearchUpdate::default()
            });
        };
        let upserts: Vec<SearchDoc> = self
            .markdown
            .iter()
            .filter(|(id, e)| self.indexed.get(*id) != Some(&e.stamp))
            .map(|(id, _)| doc(id))
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
        let changes = index.apply(upserts, &removals);
        self.indexed = self
            .markdown
            .iter()
            .map(|(id, e)| (id.clone(), e.stamp))
            .collect();
        Ok(SearchUpdate {
            all: false,
            done: None,
            written: changes
                .written
                .into_iter()
                .map(|(path, bytes)| OutFile {
                    path,
                    content: Content::Bytes(bytes),
                })
                .collect(),
            removed: changes.removed,
        })
    }
}

#[derive(Default)]
struct SearchUpdate {
    /// Every file of the index is new: write them all from the index.
    all: bool,
    /// Already written (the first build writes block by block): what it wrote.
    done: Option<(WriteStats, Vec<String>)>,
    written: Vec<OutFile>,
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

/// What the search index knows of a report: its text, with summary, tags and author.
fn search_doc(site: &Site, md: &MdEntry) -> SearchDoc {
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
    SearchDoc {
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
        text,
    }
}

fn read_report(root: &Path, content: &Path, path: &Path, config: &Config) -> Loaded {
    let (report, diags) = load::load_report(root, content, path, config);
    Loaded {
        report: report.map(Arc::new),
        diags,
    }
}
