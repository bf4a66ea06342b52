//! Carrying out a plan in DEST: the copies (`stage`), the switch of every copy into place
//! (`switch`), then the removal of stale files; the manifest is kept true enough at every
//! moment for the next run to resume.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::content;
use super::error::{IoContext, PublishError};
use super::lock::Lock;
use super::manifest::{Entry, Manifest};
use super::plan::Plan;
use super::scan::SiteFile;
use super::{stage, switch, tmp_rel};

/// Fewer copies than this finish too fast for a progress bar to help.
const BAR_MIN_FILES: u64 = 200;

/// Counts the changes made to DEST and, in tests, stops the run after a given number of them,
/// as if the process had been killed there (or fails it, as if the share had refused).
#[derive(Debug, Default)]
pub(crate) struct Hook {
    left: Option<AtomicUsize>,
    fail: bool,
    before_switch: bool,
}

impl Hook {
    pub(crate) fn stop_after(steps: usize) -> Hook {
        Hook {
            left: Some(AtomicUsize::new(steps)),
            ..Hook::default()
        }
    }

    pub(crate) fn fail_after(steps: usize) -> Hook {
        Hook {
            fail: true,
            ..Hook::stop_after(steps)
        }
    }

    pub(crate) fn stop_before_switch() -> Hook {
        Hook {
            before_switch: true,
            ..Hook::default()
        }
    }

    pub(crate) fn step(&self) -> Result<(), PublishError> {
        let Some(left) = &self.left else {
            return Ok(());
        };
        match left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)) {
            Ok(_) => Ok(()),
            Err(_) if self.fail => Err(PublishError::Io {
                action: "write",
                path: "(test)".into(),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            }),
            Err(_) => Err(PublishError::Interrupted),
        }
    }

    /// Called once every copy is made and recorded, right before the first rename.
    pub(crate) fn switching(&self) -> Result<(), PublishError> {
        match self.before_switch {
            true => Err(PublishError::Interrupted),
            false => Ok(()),
        }
    }
}

pub(crate) struct Run<'a> {
    pub site: &'a Path,
    pub dest: &'a Path,
    pub hook: &'a Hook,
    pub quiet: bool,
    /// DEST's lock (none for a dry run).
    pub lock: Option<&'a Lock>,
    /// Set once the first copy may have been switched into place.
    pub switching: AtomicBool,
}

impl Run<'_> {
    /// Before each change to DEST: stop if another publish broke the lock (or, in tests, if
    /// the hook says so).
    pub(crate) fn step(&self) -> Result<(), PublishError> {
        if let Some(lock) = self.lock {
            lock.check()?;
        }
        self.hook.step()
    }
}

/// Remove what killed runs left, copy everything under temporary names, then switch it all
/// into place: readers see the old site while the copies travel, and the switch takes moments.
/// Returns the bytes sent.
pub(crate) fn write_all(
    run: &Run,
    plan: &Plan,
    manifest: &mut Manifest,
) -> Result<u64, PublishError> {
    remove_junk(run, plan)?;
    if plan.writes.is_empty() {
        return Ok(0);
    }
    for dir in &plan.tmp_dirs {
        run.step()?;
        let path = run.dest.join(dir);
        match fs::create_dir(&path) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(e).ctx("create the folder", path);
            }
            _ => {}
        }
    }
    record_direct(run, plan, manifest)?;
    let bar = progress_bar(run.quiet, plan.writes.len() as u64);
    let staged = stage::stage_all(run, &plan.writes, manifest, &bar)?;
    bar.finish_and_clear();
    switch::switch(run, plan, &staged, manifest)?;
    Ok(staged.iter().map(|s| s.sent).sum())
}

/// The files written straight to their place are dangan's before they exist: a run killed
/// while writing one leaves a file the next run knows as its own (to finish, or remove).
fn record_direct(run: &Run, plan: &Plan, manifest: &mut Manifest) -> Result<(), PublishError> {
    let mut any = false;
    for w in plan.writes.iter().filter(|w| w.direct) {
        // No time: the next run reads the file back before it trusts it.
        let entry = Entry {
            size: w.size,
            mtime: None,
            hash: w.hash.map(content::hex).unwrap_or_default(),
            kind: Some(w.kind),
        };
        manifest.set(&w.rel, entry);
        any = true;
    }
    if any {
        run.step()?;
        manifest.save(run.dest)?;
    }
    Ok(())
}

/// Temporary folders and files of interrupted runs that this run does not use.
fn remove_junk(run: &Run, plan: &Plan) -> Result<(), PublishError> {
    for dir in &plan.junk_dirs {
        run.step()?;
        remove_dir_if_present(&run.dest.join(dir))?;
    }
    for rel in &plan.junk {
        run.step()?;
        remove_if_present(&run.dest.join(rel))?;
    }
    Ok(())
}

/// Remove stale files (top pages first), the old copy of a folder replaced whole, then the
/// folders dangan made that are left empty. Returns the files removed.
pub(crate) fn remove_stale(
    run: &Run,
    plan: &Plan,
    files: &[SiteFile],
    manifest: &mut Manifest,
) -> Result<Vec<String>, PublishError> {
    let site_folded: HashMap<String, &str> = files
        .iter()
        .map(|f| (f.rel.to_lowercase(), f.rel.as_str()))
        .collect();
    let mut removed = Vec::new();
    // Each removal is a round trip on a share: the files of one rank go in parallel, the
    // ranks one after the other (a page before what it links to).
    let mut start = 0;
    while start < plan.stale.len() {
        let rank = plan.stale_ranks.get(start);
        let len = (start..plan.stale.len())
            .take_while(|&i| plan.stale_ranks.get(i) == rank)
            .count()
            .max(1);
        let group = &plan.stale[start..start + len];
        start += len;
        let gone: Vec<Result<bool, PublishError>> = group
            .par_iter()
            .map(|rel| {
                // On a case-blind share, `Report.html` may be the very file just written as
                // `report.html`.
                let twin = site_folded.get(&rel.to_lowercase());
                if twin.is_some_and(|t| same_file(&run.dest.join(rel), &run.dest.join(t))) {
                    return Ok(false);
                }
                run.step()?;
                remove_if_present(&run.dest.join(rel))?;
                Ok(true)
            })
            .collect();
        let mut first_error = None;
        for (rel, result) in group.iter().zip(gone) {
            match result {
                Ok(was_removed) => {
                    manifest.remove(rel);
                    if was_removed {
                        removed.push(rel.clone());
                    }
                }
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    if let Some(folder) = &plan.replace {
        run.step()?;
        remove_dir_if_present(&run.dest.join(switch::old_name(folder)))?;
    }
    remove_empty_dirs(run, files, manifest)?;
    Ok(removed)
}

/// After a failure: remove the temporary copies this run made (and its records of them), so
/// that the share holds no more than before. What cannot be removed now (the share is gone)
/// a later run removes: the manifest asks it to list every folder.
pub(crate) fn clean_up(run: &Run, plan: &Plan, manifest: &mut Manifest) {
    let mut all_gone = true;
    // Files written straight to their place go too, unless the switch began: the search
    // entry that names them may be in place.
    let switching = run.switching.load(Ordering::SeqCst);
    for w in plan.writes.iter().filter(|w| w.root.is_none()) {
        if w.direct && switching {
            continue;
        }
        let gone = remove_if_present(&run.dest.join(&w.tmp)).is_ok();
        if w.direct && gone {
            manifest.remove(&w.rel);
        }
        all_gone &= gone;
    }
    for root in plan.writes.iter().filter_map(|w| w.root.as_deref()) {
        all_gone &= remove_dir_if_present(&run.dest.join(tmp_rel(root))).is_ok();
    }
    manifest.retain_staged(|_| false);
    if !all_gone {
        manifest.set_check_all(true);
    }
    if manifest.is_dirty() {
        let _ = manifest.save(run.dest);
    }
}

fn remove_empty_dirs(
    run: &Run,
    files: &[SiteFile],
    manifest: &mut Manifest,
) -> Result<(), PublishError> {
    let needed: std::collections::HashSet<&str> = files
        .iter()
        .flat_map(|f| f.rel.match_indices('/').map(|(end, _)| &f.rel[..end]))
        .collect();
    let mut candidates: Vec<String> = manifest
        .dirs
        .iter()
        .filter(|d| !needed.contains(d.as_str()))
        .cloned()
        .collect();
    candidates.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
    for dir in candidates {
        let path = run.dest.join(&dir);
        let empty = match fs::read_dir(&path) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                manifest.remove_dir(&dir);
                continue;
            }
            Err(e) => return Err(e).ctx("list", path),
        };
        if empty {
            run.step()?;
            fs::remove_dir(&path).ctx("remove the empty folder", &path)?;
            manifest.remove_dir(&dir);
        }
    }
    Ok(())
}

fn remove_dir_if_present(path: &Path) -> Result<(), PublishError> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e).ctx("remove", path),
        _ => Ok(()),
    }
}

/// A share will not remove a file a reader has open (EBUSY): tried again as a rename is.
fn remove_if_present(path: &Path) -> Result<(), PublishError> {
    let remove = || match fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    };
    let result = match remove() {
        Err(e) if e.kind() == io::ErrorKind::ResourceBusy => switch::with_retries(remove),
        other => other,
    };
    result.ctx("remove", path)
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    a.exists() && b.exists() // a case-blind file system is the only way both names resolve
}

fn progress_bar(quiet: bool, files: u64) -> ProgressBar {
    if quiet || files < BAR_MIN_FILES {
        return ProgressBar::hidden();
    }
    // stderr() draws nothing when stderr is not a terminal.
    let bar = ProgressBar::with_draw_target(Some(files), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("publishing {bar:30} {pos}/{len} files {msg} {eta} left")
            .expect("the template is valid");
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_stops_after_the_given_number_of_steps() {
        let hook = Hook::stop_after(2);
        assert!(hook.step().is_ok() && hook.step().is_ok());
        assert!(matches!(hook.step(), Err(PublishError::Interrupted)));
        assert!(Hook::default().step().is_ok());
        let failing = Hook::fail_after(0);
        assert!(matches!(failing.step(), Err(PublishError::Io { .. })));
    }
}
