//! Carrying out a plan in DEST: the copies (`stage`), the switch of every copy into place
//! (`switch`), then the removal of stale files; the manifest is kept true enough at every
//! moment for the next run to resume.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::{IoContext, PublishError};
use super::manifest::Manifest;
use super::plan::Plan;
use super::{stage, switch};

/// Fewer copies than this finish too fast for a progress bar to help.
const BAR_MIN_FILES: u64 = 200;

/// Counts the changes made to DEST and, in tests, stops the run after a given number of them,
/// as if the process had been killed there.
#[derive(Debug, Default)]
pub(crate) struct Hook {
    left: Option<AtomicUsize>,
}

impl Hook {
    pub fn stop_after(steps: usize) -> Hook {
        Hook {
            left: Some(AtomicUsize::new(steps)),
        }
    }

    pub fn step(&self) -> Result<(), PublishError> {
        match &self.left {
            None => Ok(()),
            Some(left) => left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .map(|_| ())
                .map_err(|_| PublishError::Interrupted),
        }
    }
}

pub(crate) struct Run<'a> {
    pub site: &'a Path,
    pub dest: &'a Path,
    pub hook: &'a Hook,
    pub quiet: bool,
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
        run.hook.step()?;
        let path = run.dest.join(dir);
        match fs::create_dir(&path) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(e).ctx("create the folder", path);
            }
            _ => {}
        }
    }
    let bar = progress_bar(run.quiet, plan.writes.len() as u64);
    // Only a page of the site already in DEST can lead a reader to a new file before its turn;
    // with none there (a first publish), nothing is reachable before the home page, switched
    // last, and reading every page for its links would be wasted.
    let want_links = !plan.unchanged.is_empty() || plan.writes.iter().any(|w| !w.is_new);
    let staged = stage::stage_all(run, &plan.writes, want_links, manifest, &bar)?;
    bar.finish_and_clear();
    switch::switch(run, plan, &staged, manifest)?;
    Ok(staged.iter().map(|s| s.sent).sum())
}

/// Temporary folders and files of interrupted runs that this run does not use.
fn remove_junk(run: &Run, plan: &Plan) -> Result<(), PublishError> {
    for dir in &plan.junk_dirs {
        run.hook.step()?;
        let path = run.dest.join(dir);
        match fs::remove_dir_all(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e).ctx("remove", path),
            _ => {}
        }
    }
    for rel in &plan.junk {
        run.hook.step()?;
        remove_if_present(&run.dest.join(rel))?;
    }
    Ok(())
}

/// Remove stale files (top pages first), then the folders dangan made that are left empty.
/// Returns the files removed.
pub(crate) fn remove_stale(
    run: &Run,
    plan: &Plan,
    files: &[String],
    manifest: &mut Manifest,
) -> Result<Vec<String>, PublishError> {
    let site_folded: HashMap<String, &str> = files
        .iter()
        .map(|f| (f.to_lowercase(), f.as_str()))
        .collect();
    let mut removed = Vec::new();
    for rel in &plan.stale {
        // On a case-blind share, `Report.html` may be the very file just written as `report.html`.
        let twin = site_folded.get(&rel.to_lowercase());
        if twin.is_some_and(|t| same_file(&run.dest.join(rel), &run.dest.join(t))) {
            manifest.remove(rel);
            continue;
        }
        run.hook.step()?;
        remove_if_present(&run.dest.join(rel))?;
        manifest.remove(rel);
        removed.push(rel.clone());
    }
    remove_empty_dirs(run, files, manifest)?;
    Ok(removed)
}

fn remove_empty_dirs(
    run: &Run,
    files: &[String],
    manifest: &mut Manifest,
) -> Result<(), PublishError> {
    let needed: std::collections::HashSet<&str> = files
        .iter()
        .flat_map(|f| f.match_indices('/').map(|(end, _)| &f[..end]))
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
            run.hook.step()?;
            fs::remove_dir(&path).ctx("remove the empty folder", &path)?;
            manifest.remove_dir(&dir);
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), PublishError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e).ctx("remove", path),
        _ => Ok(()),
    }
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
    }
}
