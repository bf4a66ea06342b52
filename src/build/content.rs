//! The content cache: what a session knows of the archive's files between
//! runs (config, theme, every report's front matter, the attachments, and
//! what later runs need of each report's rendered Markdown), re-read only
//! where something changed. No report's body is kept: pages are made from
//! the files, read again.

use std::collections::{BTreeMap, HashMap};
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::addresses::{self, RECORD_FILE, Record, Resolution, StagedRecord};
use crate::config::{CONFIG_FILE, Config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, CONTENT_DIR, discover};
use crate::model::{ContentFile, Report, Site, SourceStamp};
use crate::output::OutputError;
use crate::render::{self, MdFacts, Theme};

use super::spill::Spill;
use super::warm::{self, Seen};
use crate::cache::{self, Reader, Writer};

/// One report file as last read.
#[derive(Clone)]
struct Loaded {
    report: Option<Arc<Report>>,
    diags: Vec<Diagnostic>,
    /// What its file was when it was read, for the build cache.
    seen: Option<Seen>,
}

/// What changed paths did to the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Changed {
    /// Something that shows in the site changed.
    pub relevant: bool,
    /// dangan.toml changed: everything was read again.
    pub config: bool,
    /// The theme was read again: every page may look different.
    pub theme: bool,
}

pub(super) struct ContentCache {
    root: PathBuf,
    config: Result<Config, Vec<Diagnostic>>,
    /// Shared with the run that renders with it, while this cache takes note
    /// of the Markdown that run renders.
    theme: Result<Arc<Theme>, Vec<Diagnostic>>,
    /// Every `.md` file under content/, by id.
    reports: BTreeMap<String, Loaded>,
    files: BTreeMap<String, ContentFile>,
    /// Problems of the walk, by path under content/ (`""`: the folder is missing).
    walk_diags: Vec<(String, Diagnostic)>,
    /// The address record as in its file, with the problems of reading it.
    addresses: Record,
    addresses_diags: Vec<Diagnostic>,
    /// The record as the run being made leaves it, once it has no errors;
    /// `None` when that is the record as it is.
    addresses_next: Option<Record>,
    /// Of each report whose Markdown was rendered, what later runs need.
    markdown: BTreeMap<String, MdFacts>,
    /// And the HTML it rendered to, for the compilations that bind it.
    html: Spill,
    next_stamp: u64,
    /// The reports and files under content/ were read (the first run reads
    /// them: `serve` answers from the last build meanwhile).
    loaded: bool,
    /// The reports as the build cache had them, for that first reading.
    restored: HashMap<String, Loaded>,
    /// Something changed since the build cache was read or written.
    dirty: bool,
    /// Changes whenever `addresses` does.
    addresses_version: u64,
    /// The last resolution of old addresses that left the record as it is,
    /// with what it was made from (`resolve_inputs`).
    resolved: Option<(ResolveInputs, Resolution)>,
    /// The address record's file as this session last wrote it.
    addresses_written: Option<SourceStamp>,
}

impl ContentCache {
    /// Reads the theme under `root`, given its config; the reports are read
    /// by the first run.
    pub(super) fn open(
        root: &Path,
        config: Result<Config, Vec<Diagnostic>>,
    ) -> Result<ContentCache, OutputError> {
        let mut c = ContentCache {
            root: root.to_path_buf(),
            config,
            theme: Err(Vec::new()),
            reports: BTreeMap::new(),
            files: BTreeMap::new(),
            walk_diags: Vec::new(),
            addresses: Record::default(),
            addresses_diags: Vec::new(),
            addresses_next: None,
            markdown: BTreeMap::new(),
            html: Spill::new()?,
            next_stamp: warm::stamp_base(0),
            loaded: false,
            restored: HashMap::new(),
            dirty: true,
            addresses_version: 0,
            resolved: None,
            addresses_written: None,
        };
        c.reload_addresses();
        c.reload_theme();
        Ok(c)
    }

    /// What the cache's `reports` part depends on: this dangan, the archive's folder, the config.
    fn cache_key(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(warm::build_id());
        w.bytes(self.root.as_os_str().as_encoded_bytes());
        w.str(&format!("{:?}", self.config));
        w.0
    }

    /// Takes the reports and their Markdown facts from the build cache;
    /// the line to print when it is there but not usable.
    pub(super) fn restore(&mut self) -> Option<String> {
        let payload = match cache::read(&self.root, warm::REPORTS_PART, &self.cache_key()) {
            Ok(Some(p)) => p,
            Ok(None) => return None,
            Err(ignored) => return Some(ignored.line()),
        };
        let parsed = (|| {
            let mut r = Reader::new(&payload);
            let next_stamp = r.u64()?;
            let mut reports = HashMap::new();
            for _ in 0..r.u64()? {
                let id = r.str()?.to_string();
                let seen = warm::read_seen(&mut r)?;
                let report = match r.u8()? {
                    0 => None,
                    _ => Some(Arc::new(warm::read_report(&mut r)?)),
                };
                let diags = warm::read_diagnostics(&mut r)?;
                let seen = Some(seen);
                reports.insert(
                    id,
                    Loaded {
                        report,
                        diags,
                        seen,
                    },
                );
            }
            let mut markdown = BTreeMap::new();
            for _ in 0..r.u64()? {
                let id = r.str()?.to_string();
                markdown.insert(id, warm::read_md_facts(&mut r)?);
            }
            r.is_empty().then_some((next_stamp, reports, markdown))
        })();
        let Some((next_stamp, reports, markdown)) = parsed else {
            // It passed the checksum: dangan's own mistake; start from nothing.
            return None;
        };
        self.next_stamp = warm::stamp_base(next_stamp);
        self.restored = reports;
        self.markdown = markdown;
        self.dirty = false;
        None
    }

    /// Writes the reports and their Markdown facts to the build cache if
    /// they changed since it was read.
    pub(super) fn save(&mut self) -> io::Result<()> {
        if !self.dirty || !self.loaded {
            return Ok(());
        }
        let mut w = Writer::default();
        w.u64(self.next_stamp);
        let mut kept = Writer::default();
        let mut n = 0u64;
        for (id, l) in &self.reports {
            let Some(seen) = &l.seen else { continue };
            let mut one = Writer::default();
            one.str(id);
            warm::seen(&mut one, seen);
            match &l.report {
                Some(r) => {
                    one.u8(1);
                    if !warm::report(&mut one, r) {
                        continue;
                    }
                }
                None => one.u8(0),
            }
            warm::diagnostics(&mut one, &l.diags);
            kept.raw(&one.0);
            n += 1;
        }
        w.u64(n);
        w.raw(&kept.0);
        w.u64(self.markdown.len() as u64);
        for (id, f) in &self.markdown {
            w.str(id);
            warm::md_facts(&mut w, f);
        }
        cache::write(&self.root, warm::REPORTS_PART, &self.cache_key(), &w.0)?;
        self.dirty = false;
        Ok(())
    }

    /// What the cache's `pages` part depends on besides the reports':
    /// the theme (`None`: it has errors, and no page is made).
    pub(super) fn pages_key(&self) -> Option<Vec<u8>> {
        let theme = self.theme.as_ref().ok()?;
        let mut w = Writer(self.cache_key());
        w.u128(theme.key);
        Some(w.0)
    }

    /// Reads every report and file under content/, unless done already.
    fn load(&mut self) {
        if !self.loaded {
            self.reload_content();
        }
    }

    /// Reads the address record again; `true` if it says something new.
    fn reload_addresses(&mut self) -> bool {
        let (record, diags) = Record::read(&self.root);
        let changed = !record.same(&self.addresses) || diags != self.addresses_diags;
        self.addresses_version += 1;
        self.addresses = record;
        self.addresses_diags = diags;
        self.addresses_written = None;
        changed
    }

    /// The address record as the last run left it, under its temporary
    /// name, if it differs from its file; [`commit_addresses`](Self::commit_addresses)
    /// puts it in place.
    pub(super) fn stage_addresses(
        &mut self,
    ) -> Result<Option<(StagedRecord, Record)>, OutputError> {
        let Some(next) = self.addresses_next.take() else {
            return Ok(None);
        };
        if next.same(&self.addresses) && !self.addresses.untidy {
            return Ok(None);
        }
        let staged = next.stage(&self.root)?;
        Ok(Some((staged, next)))
    }

    /// Renames the staged address record into place.
    pub(super) fn commit_addresses(
        &mut self,
        (staged, next): (StagedRecord, Record),
    ) -> Result<(), OutputError> {
        let stamp = staged.stamp;
        staged.commit()?;
        // With the lines the file now has, for later messages.
        self.addresses = next.read_back();
        self.addresses_version += 1;
        self.addresses_written = Some(stamp);
        Ok(())
    }

    /// The config, or the defaults when it has errors (they are reported).
    pub(super) fn config(&self) -> Config {
        self.config.clone().unwrap_or_default()
    }

    /// The theme, unless it has errors.
    pub(super) fn theme(&self) -> Option<Arc<Theme>> {
        self.theme.as_ref().ok().cloned()
    }

    pub(super) fn markdown(&self) -> &BTreeMap<String, MdFacts> {
        &self.markdown
    }

    /// The reports whose Markdown must be rendered (again) for `site`; the
    /// Markdown of reports no longer in it is forgotten.
    pub(super) fn stale_markdown(&mut self, site: &Site) -> Result<Vec<Arc<Report>>, OutputError> {
        let known = self.markdown.len();
        let stale = render::stale_markdown(site, &mut self.markdown);
        self.dirty |= !stale.is_empty() || self.markdown.len() < known;
        if self.markdown.len() < known {
            self.html.retain(|id| site.reports.contains_key(id))?;
        }
        Ok(stale.into_iter().cloned().collect())
    }

    /// Keeps the HTML a report's Markdown was just rendered to (from any thread).
    pub(super) fn keep_html(&self, id: &str, html: &str) -> Result<(), OutputError> {
        self.html.put(id, html)
    }

    /// The HTML of a report's Markdown as last rendered in this process, if
    /// it was (from any thread).
    pub(super) fn html(&self, id: &str) -> Result<Option<String>, OutputError> {
        self.html.get(id)
    }

    /// Takes note of Markdown just rendered, each rendering with a new stamp
    /// (in id order, so that stamps never depend on the threads).
    pub(super) fn rendered(&mut self, mut fresh: Vec<(String, MdFacts)>) {
        fresh.sort_by(|a, b| a.0.cmp(&b.0));
        self.dirty |= !fresh.is_empty();
        for (id, mut facts) in fresh {
            self.next_stamp += 1;
            facts.stamp = self.next_stamp;
            self.markdown.insert(id, facts);
        }
    }

    /// The problems found in the reports' Markdown (links).
    pub(super) fn markdown_diags(&self) -> impl Iterator<Item = &Diagnostic> {
        self.markdown.values().flat_map(|f| &f.diags)
    }

    /// Reads again reports whose file changed while a run read it.
    pub(super) fn reread(&mut self, ids: &[String]) {
        self.load();
        let content = self.root.join(CONTENT_DIR);
        for id in ids {
            let path = self
                .reports
                .get(id)
                .and_then(|l| l.report.as_ref())
                .map_or_else(|| content.join(id), |r| r.source.clone());
            self.update_content_path(&content, &path);
        }
    }

    fn reload_theme(&mut self) {
        let name = self.config.as_ref().ok().and_then(|c| c.theme.clone());
        self.theme = Theme::load(&self.root, name.as_deref()).map(Arc::new);
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
    }

    fn reload_content(&mut self) {
        let root = self.root.clone();
        let content = root.join(CONTENT_DIR);
        let found = discover::discover(&root, &content);
        let config = self.config();
        // What the build cache has of a report is taken while its file is
        // as it was when read; any other is read.
        let restored = std::mem::take(&mut self.restored);
        let loaded: Vec<(String, Loaded, bool)> = found
            .reports
            .par_iter()
            .map(|(p, meta)| {
                let id = load::rel_id(&content, p);
                match restored.get(&id) {
                    Some(l) if l.seen.is_some_and(|s| s.still(meta)) => (id, l.clone(), false),
                    _ => {
                        let l = read_report(&root, &content, p, meta, &config);
                        (id, l, true)
                    }
                }
            })
            .collect();
        self.dirty |= loaded.len() != restored.len() || loaded.iter().any(|(_, _, read)| *read);
        self.reports = loaded.into_iter().map(|(id, l, _)| (id, l)).collect();
        // In parallel: an attachment of an unknown ending has its first bytes read.
        self.files = found
            .files
            .into_par_iter()
            .map(|(p, meta)| load::content_file(&content, p, &meta))
            .map(|f| (f.rel.clone(), f))
            .collect();
        self.walk_diags = found.diags;
        self.loaded = true;
        if !content.is_dir() {
            // Under the id "": no path under content/ replaces it.
            self.walk_diags.push((
                String::new(),
                Diagnostic::error(CONTENT_DIR, "there is no content folder")
                    .hint("put the reports (.md files) in a folder named `content` next to dangan.toml, or run `dangan init`"),
            ));
        }
    }

    /// Takes note of a changed path of the archive (not of the output folder).
    pub(super) fn update(&mut self, path: &Path) -> Changed {
        self.load();
        let root = self.root.clone();
        let content = root.join(CONTENT_DIR);
        if path == root.join(RECORD_FILE) {
            // Our own writes read back the same; a hand edit or a merge does
            // not. The file as this session wrote it last is not even read
            // again (its change event follows every save that moves an
            // address, and a new version would resolve them all again).
            if self.addresses_written.is_some()
                && std::fs::read(path).ok().map(|b| SourceStamp::of(&b)) == self.addresses_written
            {
                return Changed::default();
            }
            return Changed {
                relevant: self.reload_addresses(),
                ..Changed::default()
            };
        }
        if path == root.join(CONFIG_FILE) {
            self.config = Config::load(&root);
            // `allow_html` changes what Markdown renders to.
            self.markdown.clear();
            self.reload_theme();
            self.reload_content();
            return Changed {
                relevant: true,
                config: true,
                theme: true,
            };
        }
        if path.starts_with(root.join("themes")) {
            self.reload_theme();
            return Changed {
                relevant: true,
                config: false,
                theme: true,
            };
        }
        let relevant = if path == content || !content.is_dir() {
            self.reload_content();
            true
        } else if path.starts_with(&content) {
            self.update_content_path(&content, path)
        } else {
            false
        };
        Changed {
            relevant,
            ..Changed::default()
        }
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
        let root = self.root.clone();
        let found = discover::entry(&root, content, path);
        self.dirty = true;
        for (p, meta) in found.reports {
            let loaded = read_report(&root, content, &p, &meta, &config);
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

    /// The site model, with every problem known before any Markdown is
    /// rendered (but for the outputs' names, which the session checks), and
    /// the drafts left out (as `content/…` paths).
    /// `write`: the run writes, and with it the address record.
    pub(super) fn model(
        &mut self,
        write: bool,
        lap: &dyn Fn(&str),
    ) -> (Site, Diagnostics, Vec<String>) {
        self.load();
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
        let resolved = self.resolution(&site, write);
        site.redirects = resolved.redirects;
        diags.extend(self.addresses_diags.iter().cloned());
        diags.extend(resolved.diags);
        self.addresses_next = resolved.record;
        lap("old addresses");
        (site, diags, drafts)
    }
}

impl ContentCache {
    /// The old addresses resolved against `site`: the last resolution if it
    /// was made from the same inputs (`resolve_inputs`), or from the same
    /// but for one report's key where that is sure to resolve alike (a new
    /// title: `addresses::rekeyed`), else a new one.
    fn resolution(&mut self, site: &Site, write: bool) -> Resolution {
        let inputs = self.resolve_inputs(site, write);
        let resolved = match &self.resolved {
            Some((last, resolved)) if last.key == inputs.key => return resolved.clone(),
            Some((last, resolved)) if last.shape == inputs.shape => {
                self.rekeyed(last, resolved, &inputs, site)
            }
            _ => None,
        };
        let resolved = resolved.unwrap_or_else(|| {
            addresses::resolve(
                &self.addresses,
                site,
                |id| self.reports.contains_key(id),
                write,
            )
        });
        // Kept only while it leaves the record as it is (`watch`'s saves
        // that move no report): a new record is written, and changes
        // `addresses_version`, anyway.
        self.resolved = resolved
            .record
            .is_none()
            .then(|| (inputs, resolved.clone()));
        resolved
    }

    /// `resolved`, made from `last`, brought to a site whose only change
    /// is one published report's key (`addresses::rekeyed`), if that is sure.
    fn rekeyed(
        &self,
        last: &ResolveInputs,
        resolved: &Resolution,
        now: &ResolveInputs,
        site: &Site,
    ) -> Option<Resolution> {
        let mut changed =
            (self.reports.keys().zip(&last.keys).zip(&now.keys)).filter(|((_, was), is)| was != is);
        let ((id, was), _) = changed.next()?;
        if changed.next().is_some() {
            return None;
        }
        let report = site.reports.get(id)?;
        addresses::rekeyed(resolved, &self.addresses, site, report, (*was)?)
    }

    /// After a run of `watch` that wrote the address record (a report
    /// moved or retitled): resolves the old addresses against the record as
    /// written, for `site`, the site of that run, while no one waits (with
    /// the search index). The next save that moves no report (a body after
    /// a title) then finds the resolution made, instead of making it again
    /// before its pages. It is the resolution that run would make, from the
    /// same record and reports, with the same warnings.
    pub(super) fn resolve_ahead(&mut self, site: &Site, write: bool) {
        if self.addresses_written.is_some() {
            self.resolution(site, write);
        }
    }

    /// What `addresses::resolve` makes its result from: the record (by
    /// version), which report files there are, the published reports'
    /// pages, keys and aliases, the drafts, the attachments' addresses.
    /// Hashing them is a fraction of resolving them again, which a save in
    /// `watch` that changes none of them (a body, a tag) need not do.
    fn resolve_inputs(&self, site: &Site, write: bool) -> ResolveInputs {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = foldhash::fast::FixedState::with_seed(0x6164_6472).build_hasher();
        (self.addresses_version, write).hash(&mut h);
        self.reports.len().hash(&mut h);
        let mut keys = Vec::with_capacity(self.reports.len());
        for (id, l) in &self.reports {
            id.hash(&mut h);
            match &l.report {
                Some(r) => (1u8, r.draft, &r.page, &r.aliases).hash(&mut h),
                None => 0u8.hash(&mut h),
            }
            keys.push(l.report.as_ref().map(|r| r.key));
        }
        site.files.len().hash(&mut h);
        for f in site.files.values() {
            (&f.rel, &f.site_path).hash(&mut h);
        }
        let shape = h.finish();
        keys.hash(&mut h);
        ResolveInputs {
            key: h.finish(),
            shape,
            keys,
        }
    }
}

/// What a resolution of old addresses was made from ([`ContentCache::resolve_inputs`]).
struct ResolveInputs {
    /// All of it, hashed.
    key: u64,
    /// All but the reports' keys, hashed; and those keys, in id order.
    shape: u64,
    keys: Vec<Option<u64>>,
}

/// Reads a report file; `meta`: what the walk saw of it, before reading.
fn read_report(
    root: &Path,
    content: &Path,
    path: &Path,
    meta: &Metadata,
    config: &Config,
) -> Loaded {
    let seen = Seen::before_reading(meta);
    let (report, diags) = load::load_report(root, content, path, config);
    Loaded {
        report: report.map(Arc::new),
        diags,
        seen,
    }
}
