//! Switching the copies into place: each file renamed over its final name, each folder that
//! DEST lacked renamed into place whole, and a folder replaced whole (the search index's)
//! moved aside for its copy, in the order `order` gives.

use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rayon::prelude::*;

use super::apply::Run;
use super::content;
use super::error::{IoContext, PublishError};
use super::manifest::{Entry, Manifest};
use super::order::{self, Item, Rank};
use super::plan::Plan;
use super::scan;
use super::stage::Staged;
use super::tmp_rel;

/// A share refuses to rename over a file that a reader (or a virus scanner) has open, and may
/// refuse to rename a folder while one of its files is: try again after these pauses before
/// giving up. The first ones are short: a client that renames over a file by deleting it first
/// (smbnetfs) may have deleted it when the rename failed (a reader that had just looked at
/// the page kept it a moment longer), and the page is then missing until the next try; a
/// publish killed meanwhile leaves it missing until the next publish. (Pauses of 20 and 100 ms
/// there let a publish killed at random leave a page missing in 1 of 10 runs of the SMB test
/// on a loaded machine.) The same goes for removing a file a reader has open.
const RETRIES: [Duration; 10] = [
    Duration::ZERO,
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(20),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// One rename: a file, or a folder with every file inside it.
#[derive(Debug)]
struct Unit {
    from: String,
    to: String,
    rank: Rank,
    is_new: bool,
    /// `to` exists and is moved aside first (to `old_name(to)`).
    replace: bool,
}

/// Where a folder replaced whole waits to be removed.
pub(crate) fn old_name(folder: &str) -> String {
    tmp_rel(&format!("{folder}~old"))
}

/// Record the copies as dangan's files, then rename them into place wave after wave; the
/// time stamps they keep there go into the manifest for the next run to trust.
pub(crate) fn switch(
    run: &Run,
    plan: &Plan,
    staged: &[Staged],
    manifest: &mut Manifest,
) -> Result<(), PublishError> {
    for (w, s) in plan.writes.iter().zip(staged) {
        // A file written straight to its place is there, whole, with the time it keeps.
        let mtime = if w.direct { s.mtime } else { None };
        manifest.set(&w.rel, entry(s, mtime, w.kind));
    }
    for dir in &plan.new_dirs {
        manifest.add_dir(dir);
    }
    run.step()?;
    manifest.save(run.dest)?; // the files are dangan's before they appear
    run.hook.switching()?;
    run.switching.store(true, Ordering::SeqCst);
    let units = units(plan);
    for wave in waves(&units) {
        wave.par_iter().try_for_each(|&u| rename(run, &units[u]))?;
    }
    manifest.retain_staged(|_| false);
    // The times the files have now, for the next run to trust: a share sets a file's time
    // when its copy is closed, and tells it right only once it is in place.
    let now: Vec<Option<i64>> = plan
        .writes
        .par_iter()
        .zip(staged)
        .map(|(w, s)| match w.direct {
            true => Ok(s.mtime), // asked once it was written
            false => Ok(scan::stat(run.dest, &w.rel)?.and_then(|st| st.mtime)),
        })
        .collect::<Result<_, PublishError>>()?;
    for ((w, s), mtime) in plan.writes.iter().zip(staged).zip(now) {
        manifest.set(&w.rel, entry(s, mtime, w.kind));
    }
    Ok(())
}

fn entry(s: &Staged, mtime: Option<i64>, kind: crate::manifest::Kind) -> Entry {
    Entry {
        size: s.size,
        mtime,
        hash: content::hex(s.hash),
        kind: Some(kind),
    }
}

/// The renames: a unit per file outside folders that arrive whole, and one per such folder,
/// which goes when its latest file may go.
fn units(plan: &Plan) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut folders: BTreeMap<&str, Unit> = BTreeMap::new();
    for w in plan.writes.iter().filter(|w| !w.direct) {
        let rank = order::rank(w.kind);
        let Some(root) = w.root.as_deref() else {
            units.push(Unit {
                from: w.tmp.clone(),
                to: w.rel.clone(),
                rank,
                is_new: w.is_new,
                replace: false,
            });
            continue;
        };
        let replace = plan.replace.as_deref() == Some(root);
        let folder = folders.entry(root).or_insert_with(|| Unit {
            from: tmp_rel(root),
            to: root.to_string(),
            rank,
            is_new: !replace,
            replace,
        });
        folder.rank = folder.rank.max(rank);
    }
    units.extend(folders.into_values());
    units
}

fn waves(units: &[Unit]) -> Vec<Vec<usize>> {
    let items: Vec<Item> = units
        .iter()
        .map(|u| Item {
            rel: &u.to,
            rank: u.rank,
            is_new: u.is_new,
        })
        .collect();
    order::switch_waves(&items)
}

fn rename(run: &Run, unit: &Unit) -> Result<(), PublishError> {
    run.step()?;
    let (from, to) = (run.dest.join(&unit.from), run.dest.join(&unit.to));
    if !unit.replace {
        return with_retries(|| fs::rename(&from, &to)).ctx("put in place", &to);
    }
    // Neither POSIX nor SMB renames a folder over another that holds files: move the old one
    // aside, then the new one in. Readers meanwhile find no index for a moment, never a mix.
    let old = run.dest.join(old_name(&unit.to));
    with_retries(|| fs::rename(&to, &old)).ctx("move aside", &to)?;
    run.step()?;
    if let Err(e) = with_retries(|| fs::rename(&from, &to)) {
        let _ = fs::rename(&old, &to); // put the old one back rather than leave none
        return Err(e).ctx("put in place", &to);
    }
    Ok(())
}

pub(crate) fn with_retries(mut op: impl FnMut() -> std::io::Result<()>) -> std::io::Result<()> {
    let mut pauses = RETRIES.iter();
    loop {
        let result = op();
        match (&result, pauses.next()) {
            (Err(_), Some(pause)) => std::thread::sleep(*pause),
            _ => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Kind;
    use crate::publish::plan::Write;

    fn write(rel: &str, kind: Kind, root: Option<&str>) -> Write {
        let tmp = match root {
            Some(r) => format!("{}{}", tmp_rel(r), &rel[r.len()..]),
            None => tmp_rel(rel),
        };
        Write {
            rel: rel.into(),
            kind,
            is_new: true,
            same: false,
            size: 0,
            root: root.map(String::from),
            tmp,
            staged: None,
            direct: false,
            hash: None,
        }
    }

    #[test]
    fn a_folder_is_one_unit_ranked_by_its_latest_file() {
        let plan = Plan {
            writes: vec![
                write("r/2031/a.html", Kind::Report, Some("r/2031")),
                write("r/2031/a.pdf", Kind::Attachment, Some("r/2031")),
                write("year/2031.html", Kind::Index, None),
                write("_search/meta.js", Kind::SearchEntry, Some("_search")),
                write("_search/p/1.js", Kind::SearchShard, Some("_search")),
            ],
            replace: Some("_search".into()),
            ..Plan::default()
        };
        let units = units(&plan);
        let summary: Vec<(&str, &str, Rank, bool, bool)> = units
            .iter()
            .map(|u| (u.from.as_str(), u.to.as_str(), u.rank, u.is_new, u.replace))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "year/.2031.html.dangan-tmp",
                    "year/2031.html",
                    Rank::Index,
                    true,
                    false
                ),
                ("._search.dangan-tmp", "_search", Rank::Search, false, true),
                ("r/.2031.dangan-tmp", "r/2031", Rank::Report, true, false),
            ]
        );
        assert_eq!(old_name("_search"), "._search~old.dangan-tmp");
    }
}
