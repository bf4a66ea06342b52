//! `dangan publish DEST`: bring a shared folder to exactly the built output, sending only what
//! changed, in an order that never shows readers a broken site, never touching foreign files.
//!
//! The steps, one submodule each: `scan` both sides, check `names` for Windows shares, take the
//! `lock`, read the `manifest`, `plan` (compare by `content`), `apply` (`stage` the copies,
//! `switch` them into place in `order`, remove stale files).

mod apply;
mod content;
mod error;
mod lock;
mod manifest;
mod names;
mod order;
mod plan;
mod scan;
mod stage;
mod switch;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use error::{BadName, PublishError};

use apply::{Hook, Run};
use error::IoContext;
use lock::Lock;
use manifest::Manifest;
use plan::{Owners, Plan};
use scan::SiteFile;

/// DEST's record of the files dangan put there.
pub const MANIFEST_NAME: &str = ".dangan-publish.json";
/// Beside it: what changed since it was last written whole (see `manifest`).
pub(crate) const JOURNAL_NAME: &str = ".dangan-publish.journal";
/// Present while a publish runs in DEST.
pub(crate) const LOCK_NAME: &str = ".dangan-publish.lock";
/// The build's own list of outputs, which is not published.
pub(crate) const BUILD_MANIFEST: &str = crate::manifest::MANIFEST;
/// Ending of temporary names, shared with the build's own writer.
pub(crate) use crate::output::TMP_SUFFIX;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// The archive the site was built from: DEST may not overlap it.
    pub archive: Option<PathBuf>,
    /// Compare and list, change nothing in DEST.
    pub dry_run: bool,
    /// Take over a DEST that holds files but no manifest (or files at the site's paths).
    pub adopt: bool,
    /// Take the lock of DEST even from a publish that may still be running.
    pub break_lock: bool,
    /// No progress bar.
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishSummary {
    /// Site paths (`/`-separated), sorted.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// dangan's files that the site no longer has, left on the share because someone changed
    /// them there since: they are no longer dangan's.
    pub kept: Vec<String>,
    pub unchanged: usize,
    pub bytes_sent: u64,
    pub elapsed: Duration,
    /// The lock of an earlier publish that this one took over, and why it could.
    pub lock_note: Option<String>,
    /// What DEST was asked, each a round trip on a share: folders listed, and files looked
    /// at one by one (only those to replace or remove, and those no record vouches for).
    pub folders_listed: usize,
    pub files_checked: usize,
}

/// Bring `dest` to exactly the files the built output folder `site` lists in its
/// `.dangan-manifest`, leaving files that dangan did not write (or that someone changed on
/// the share since dangan did) where they are.
pub fn publish(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
) -> Result<PublishSummary, PublishError> {
    run(site, dest, opts, &Hook::default())
}

/// DEST's publish record as JSON, its journal applied (`None` if DEST has none). For tests.
#[doc(hidden)]
pub fn record_json(dest: &Path) -> Result<Option<serde_json::Value>, PublishError> {
    let record = Manifest::load(dest)?;
    Ok(record.map(|m| serde_json::to_value(&m).expect("a manifest always serializes")))
}

/// `publish`, stopped after `steps` changes to DEST as if the process had been killed there
/// (the lock file and temporary files stay behind). For tests of interrupted publishes.
#[doc(hidden)]
pub fn publish_killed_after(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
    steps: usize,
) -> Result<PublishSummary, PublishError> {
    run(site, dest, opts, &Hook::stop_after(steps))
}

/// `publish`, stopped once every copy is made and recorded, right before the first file is
/// switched into place, as if the process had been killed there. For tests.
#[doc(hidden)]
pub fn publish_killed_before_switch(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
) -> Result<PublishSummary, PublishError> {
    run(site, dest, opts, &Hook::stop_before_switch())
}

/// `publish`, failing after `steps` changes to DEST as if the share had refused the next one.
/// For tests of what a failure leaves behind.
#[doc(hidden)]
pub fn publish_failing_after(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
    steps: usize,
) -> Result<PublishSummary, PublishError> {
    run(site, dest, opts, &Hook::fail_after(steps))
}

/// Requests to DEST in flight at once. A share answers each with a round trip, which threads
/// waiting side by side overlap: with 8 in flight instead of 2, 200 copies to Samba through
/// smbnetfs took 0.5 s instead of 1.1 s, and 200 stats 0.08 s instead of 0.25 s.
const IO_THREADS: usize = 8;

fn run(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
    hook: &Hook,
) -> Result<PublishSummary, PublishError> {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(IO_THREADS)
        .build()
    {
        Ok(pool) => pool.install(|| run_in_pool(site, dest, opts, hook)),
        Err(_) => run_in_pool(site, dest, opts, hook), // no threads to spare: the global pool
    }
}

fn run_in_pool(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
    hook: &Hook,
) -> Result<PublishSummary, PublishError> {
    let start = Instant::now();
    let lap = crate::timing::lap_timer(start);
    check_folders(site, dest, opts.archive.as_deref())?;
    let files = checked_site_files(site)?;
    lap("publish: site files read");
    let lock = match opts.dry_run {
        true => None,
        false => Some(Lock::acquire(dest, opts.break_lock)?),
    };
    lap("publish: lock taken");
    let result = with_lock(site, dest, opts, hook, &files, lock.as_ref(), start);
    lap("publish: done");
    match (result, lock) {
        (Err(PublishError::Interrupted), Some(lock)) => {
            lock.abandon(); // as a killed process leaves it
            Err(PublishError::Interrupted)
        }
        (Ok(mut summary), Some(lock)) => {
            summary.lock_note = lock.took_over.clone();
            lock.release()?;
            Ok(summary)
        }
        (result, lock) => {
            if let Some(lock) = lock {
                let _ = lock.release(); // the first error is the one to tell
            }
            result
        }
    }
}

/// The publish proper, once DEST is locked (unless it is a dry run).
fn with_lock(
    site: &Path,
    dest: &Path,
    opts: &PublishOptions,
    hook: &Hook,
    files: &[SiteFile],
    lock: Option<&Lock>,
    start: Instant,
) -> Result<PublishSummary, PublishError> {
    let lap = crate::timing::lap_timer(start);
    // Every folder is listed after a publish that failed or was killed (it may have left
    // temporary copies anywhere), and when adopting (no record to go by).
    let full = opts.adopt || lock.is_some_and(|l| l.took_over.is_some());
    let (mut manifest, legacy, mut index) = survey(dest, files, opts, full, &lap)?;
    lap("publish: share surveyed");
    let owners = Owners {
        manifest: &manifest,
        adopt: opts.adopt,
        legacy: &legacy,
    };
    let mut plan = plan::make(site, dest, files, &index, &owners)?;
    if plan.relist {
        index = list_dest(dest, files, Some(&manifest), &legacy, &HashMap::new())?;
        plan = plan::make(site, dest, files, &index, &owners)?;
    }
    lap("publish: planned");
    let listed = index.listed;
    if opts.dry_run {
        let to_send = plan.writes.iter().map(|w| w.size).sum();
        let stale = plan.stale.clone();
        return Ok(summary(&plan, listed, stale, to_send, start));
    }
    let run = Run {
        site,
        dest,
        hook,
        quiet: opts.quiet,
        lock,
        switching: Default::default(),
    };
    let listed_all = index.trusted.is_empty();
    match carry_out(&run, &plan, files, &mut manifest, listed_all, &lap) {
        Ok((removed, sent)) => Ok(summary(&plan, listed, removed, sent, start)),
        Err(PublishError::Interrupted) => Err(PublishError::Interrupted),
        Err(e) => {
            apply::clean_up(&run, &plan, &mut manifest);
            Err(e)
        }
    }
}

/// The site's files, once every name is known to suit a Windows share.
fn checked_site_files(site: &Path) -> Result<Vec<SiteFile>, PublishError> {
    let files = scan::site_files(site)?;
    let rels: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    let bad = names::check(&rels);
    if bad.is_empty() {
        return Ok(files);
    }
    Err(PublishError::BadNames(bad))
}

/// What DEST holds and what dangan knows of it: the manifest (new if there is none, which only
/// an empty DEST or `--adopt` allows), adopted build lists, and the listing; with `full`,
/// every folder listed, else the folders the manifest vouches for taken from it (see
/// `plan::trusted_folders`).
fn survey(
    dest: &Path,
    files: &[SiteFile],
    opts: &PublishOptions,
    full: bool,
    lap: &dyn Fn(&str),
) -> Result<(Manifest, HashSet<String>, scan::DestIndex), PublishError> {
    let loaded = Manifest::load(dest)?;
    lap("publish: manifest read");
    let legacy = match opts.adopt {
        true => build_list(dest)?,
        false => HashSet::new(),
    };
    let trusted = match loaded.as_ref() {
        Some(m) if !full && !m.check_all => plan::trusted_folders(files, m),
        _ => HashMap::new(),
    };
    let index = list_dest(dest, files, loaded.as_ref(), &legacy, &trusted)?;
    match (loaded, &index.root_example) {
        (Some(manifest), _) => Ok((manifest, legacy, index)),
        (None, Some(example)) if !opts.adopt => Err(PublishError::NotEmpty {
            dest: dest.to_path_buf(),
            example: example.clone(),
        }),
        (None, _) => Ok((Manifest::new(), legacy, index)),
    }
}

/// The folders of DEST that the site, the manifest or an adopted build list use, listed but
/// for those in `trusted`.
fn list_dest(
    dest: &Path,
    files: &[SiteFile],
    manifest: Option<&Manifest>,
    legacy: &HashSet<String>,
    trusted: &HashMap<String, Vec<String>>,
) -> Result<scan::DestIndex, PublishError> {
    let known = manifest.iter().flat_map(|m| m.files.keys().chain(&m.dirs));
    let site = files.iter().map(|f| &f.rel);
    let wanted = site.chain(known).chain(legacy).map(String::as_str);
    scan::dest_index(dest, wanted, trusted)
}

fn carry_out(
    run: &Run,
    plan: &Plan,
    files: &[SiteFile],
    manifest: &mut Manifest,
    listed_all: bool,
    lap: &dyn Fn(&str),
) -> Result<(Vec<String>, u64), PublishError> {
    for (rel, entry) in &plan.refresh {
        manifest.set(rel, entry.clone());
    }
    for rel in plan.forget.iter().chain(&plan.kept) {
        manifest.remove(rel);
    }
    let reusable: HashSet<&str> = plan
        .writes
        .iter()
        .filter(|w| w.staged.is_some())
        .map(|w| w.rel.as_str())
        .collect();
    manifest.retain_staged(|rel| reusable.contains(rel));
    let sent = apply::write_all(run, plan, manifest)?;
    lap("publish: copied and switched");
    if listed_all {
        manifest.set_check_all(false); // every leftover was found, and is gone
    }
    // The times of the new files, before removing anything, unless writing the record costs
    // more than what it saves a resumed run: reading back the files it has no time for.
    if manifest.is_dirty() && sent > manifest.saved_size() {
        manifest.save(run.dest)?;
    }
    lap("publish: manifest written");
    let removed = apply::remove_stale(run, plan, files, manifest)?;
    lap("publish: stale files removed");
    if manifest.is_dirty() {
        manifest.save(run.dest)?;
    }
    Ok((removed, sent))
}

/// DEST may not overlap the built site, the archive or its content: publishing into any of
/// them would nest copies of the site in it, or mix it with the reports.
fn check_folders(site: &Path, dest: &Path, archive: Option<&Path>) -> Result<(), PublishError> {
    if !site.is_dir() {
        return Err(PublishError::SiteMissing(site.to_path_buf()));
    }
    if !dest.is_dir() {
        return Err(PublishError::DestMissing(dest.to_path_buf()));
    }
    let d = fs::canonicalize(dest).ctx("find", dest)?;
    let mut others = vec![("the output folder", site.to_path_buf())];
    // The folder publish runs in is an archive only if it has one's content or config.
    let is_archive = |r: &&Path| {
        r.join(crate::load::CONTENT_DIR).is_dir() || r.join(crate::config::CONFIG_FILE).is_file()
    };
    if let Some(root) = archive.filter(is_archive) {
        others.push(("the content folder", root.join(crate::load::CONTENT_DIR)));
        others.push(("the archive folder", root.to_path_buf()));
    }
    let resolved: Vec<(&str, PathBuf, PathBuf)> = others
        .into_iter()
        .filter_map(|(what, p)| Some((what, fs::canonicalize(&p).ok()?, p)))
        .collect();
    // The most telling relation: the same folder; inside the innermost; holding the outermost.
    let found = [
        ("is", resolved.iter().find(|(_, o, _)| *o == d)),
        (
            "is inside",
            resolved.iter().find(|(_, o, _)| d.starts_with(o)),
        ),
        (
            "contains",
            resolved.iter().rev().find(|(_, o, _)| o.starts_with(&d)),
        ),
    ];
    if let Some((relation, Some((what, _, other)))) = found.into_iter().find(|(_, f)| f.is_some()) {
        return Err(PublishError::Overlap {
            dest: dest.to_path_buf(),
            relation: format!("{relation} {what}"),
            other: other.clone(),
        });
    }
    Ok(())
}

/// With `--adopt`: the files a build's own `.dangan-manifest` lists, when an earlier hand copy
/// of the output left it in DEST. They were written by dangan, so stale ones may go.
fn build_list(dest: &Path) -> Result<HashSet<String>, PublishError> {
    let path = dest.join(BUILD_MANIFEST);
    match fs::read(&path) {
        Ok(bytes) => {
            // Unreadable: adopt nothing from it (only its own name).
            let listed = crate::manifest::parse(&String::from_utf8_lossy(&bytes));
            let mut list: HashSet<String> = listed
                .map(|m| m.paths().map(String::from).collect())
                .unwrap_or_default();
            list.insert(BUILD_MANIFEST.to_string());
            Ok(list)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(e) => Err(e).ctx("read", path),
    }
}

fn summary(
    plan: &Plan,
    listed: usize,
    mut removed: Vec<String>,
    sent: u64,
    start: Instant,
) -> PublishSummary {
    let pick = |new: bool| {
        let mut v: Vec<String> = plan
            .writes
            .iter()
            .filter(|w| w.is_new == new && !w.same)
            .map(|w| w.rel.clone())
            .collect();
        v.sort();
        v
    };
    removed.sort();
    PublishSummary {
        added: pick(true),
        changed: pick(false),
        removed,
        kept: plan.kept.clone(),
        unchanged: plan.unchanged,
        bytes_sent: sent,
        elapsed: start.elapsed(),
        lock_note: None,
        folders_listed: listed,
        files_checked: plan.checked,
    }
}

impl PublishSummary {
    /// What to tell the user: one line, and with `list` (for `--dry-run`) every file by name.
    pub fn report(&self, dest: &Path, dry_run: bool) -> String {
        let mut out = String::new();
        if dry_run {
            for (word, paths) in [
                ("add", &self.added),
                ("change", &self.changed),
                ("remove", &self.removed),
            ] {
                for p in paths {
                    let _ = writeln!(out, "  {word:<6} {p}");
                }
            }
        }
        let verb = if dry_run {
            "would publish"
        } else {
            "published"
        };
        let _ = write!(
            out,
            "{verb} to {}: {} added, {} changed, {} removed, {} unchanged; {} {} in {:.2} s",
            dest.display(),
            self.added.len(),
            self.changed.len(),
            self.removed.len(),
            self.unchanged,
            crate::human::byte_size(self.bytes_sent),
            if dry_run { "to send" } else { "sent" },
            self.elapsed.as_secs_f64(),
        );
        out
    }

    /// What the user must hear even with `--quiet`: files left on the share on purpose.
    pub fn warning(&self, dry_run: bool) -> Option<String> {
        if self.kept.is_empty() {
            return None;
        }
        let list: Vec<String> = self.kept.iter().map(|k| format!("  - {k}")).collect();
        Some(format!(
            "warning: {} {} on the share although the site no longer has {}: someone changed \
             {} there since dangan published {}, so {} now theirs. Delete {} by hand if {} not \
             needed:\n{}",
            if dry_run { "would keep" } else { "kept" },
            plural(self.kept.len(), "this file", "these files"),
            plural(self.kept.len(), "it", "them"),
            plural(self.kept.len(), "it", "them"),
            plural(self.kept.len(), "it", "them"),
            plural(self.kept.len(), "it is", "they are"),
            plural(self.kept.len(), "it", "them"),
            plural(self.kept.len(), "it is", "they are"),
            list.join("\n")
        ))
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `dir/.name.dangan-tmp`: the temporary name of a site file while it is being copied. The
/// leading dot and the ending keep it out of listings and tell later runs it is a leftover.
pub(crate) fn tmp_rel(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{}", tmp_name(name)),
        None => tmp_name(rel),
    }
}

pub(crate) fn tmp_name(name: &str) -> String {
    crate::output::temp_name(name)
}

pub(crate) fn is_tmp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TMP_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_sit_beside_their_file_and_are_recognised() {
        assert_eq!(tmp_rel("unit/市委.html"), "unit/.市委.html.dangan-tmp");
        assert_eq!(tmp_rel("index.html"), ".index.html.dangan-tmp");
        let long = "报".repeat(84); // 252 bytes: too long with the dot and the ending
        let t = tmp_name(&long);
        assert!(t.len() < 40 && is_tmp_name(&t), "{t}");
        assert!(!is_tmp_name("index.html") && !is_tmp_name("a.dangan-tmp"));
    }

    #[test]
    fn the_summary_reads_as_a_sentence_and_lists_for_a_dry_run() {
        let s = PublishSummary {
            added: vec!["a.html".into()],
            changed: vec![],
            removed: vec!["old.html".into()],
            kept: vec![],
            unchanged: 7,
            bytes_sent: 3 * 1024 * 1024 / 2,
            elapsed: Duration::from_millis(250),
            lock_note: None,
            folders_listed: 2,
            files_checked: 1,
        };
        let line = s.report(Path::new("/share"), false);
        assert_eq!(
            line,
            "published to /share: 1 added, 0 changed, 1 removed, 7 unchanged; 1.5 MB sent in 0.25 s"
        );
        let dry = s.report(Path::new("/share"), true);
        assert!(
            dry.starts_with("  add    a.html\n  remove old.html\nwould publish"),
            "{dry}"
        );
        assert_eq!(s.warning(false), None);
        let kept = PublishSummary {
            kept: vec!["reports/a.html".into()],
            ..s
        };
        let w = kept.warning(false).unwrap();
        assert!(
            w.starts_with("warning: kept this file on the share")
                && w.contains("someone changed it there")
                && w.ends_with("\n  - reports/a.html"),
            "{w}"
        );
    }
}
