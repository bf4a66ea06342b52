//! Switching the copies into place: each file renamed over its final name, and each folder
//! that DEST lacked renamed into place whole, in the order `order` gives.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::time::Duration;

use rayon::prelude::*;

use super::apply::Run;
use super::content;
use super::error::{IoContext, PublishError};
use super::manifest::{Entry, Manifest};
use super::order::{self, Item, Rank};
use super::plan::Plan;
use super::stage::Staged;
use super::tmp_rel;

/// A shared folder may refuse to rename a folder while a virus scanner still reads a file in
/// it: try again after these pauses before giving up.
const FOLDER_RETRIES: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];

/// One rename: a file, or a new folder with every file inside it.
#[derive(Debug)]
struct Unit {
    from: String,
    to: String,
    rank: Rank,
    is_new: bool,
    /// What the unit's pages link to, with targets inside new folders named by the folder.
    links: Vec<String>,
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
        manifest.set(&w.rel, entry(s, None));
    }
    for dir in &plan.new_dirs {
        manifest.add_dir(dir);
    }
    run.hook.step()?;
    manifest.save(run.dest)?; // the files are dangan's before they appear
    let units = units(plan, staged);
    for wave in waves(&units) {
        wave.par_iter().try_for_each(|&u| rename(run, &units[u]))?;
    }
    manifest.retain_staged(|_| false);
    for (w, s) in plan.writes.iter().zip(staged) {
        manifest.set(&w.rel, entry(s, s.mtime));
    }
    Ok(())
}

fn entry(s: &Staged, mtime: Option<i64>) -> Entry {
    Entry {
        size: s.size,
        mtime,
        hash: content::hex(s.hash),
    }
}

/// The renames: a unit per file outside new folders, and one per new folder.
fn units(plan: &Plan, staged: &[Staged]) -> Vec<Unit> {
    let root_of: HashMap<&str, &str> = plan
        .writes
        .iter()
        .filter_map(|w| Some((w.rel.as_str(), w.root.as_deref()?)))
        .collect();
    let named = |links: &[String]| -> Vec<String> {
        let to_unit = |l: &String| root_of.get(l.as_str()).map_or(l.clone(), |r| r.to_string());
        links.iter().map(to_unit).collect()
    };
    let mut units = Vec::new();
    let mut folders: BTreeMap<&str, Unit> = BTreeMap::new();
    for (w, s) in plan.writes.iter().zip(staged) {
        let Some(root) = w.root.as_deref() else {
            let (from, to) = (w.tmp.clone(), w.rel.clone());
            let (rank, is_new) = (order::rank(&w.rel), w.is_new);
            units.push(Unit {
                from,
                to,
                rank,
                is_new,
                links: named(&s.links),
            });
            continue;
        };
        let folder = folders.entry(root).or_insert_with(|| Unit {
            from: tmp_rel(root),
            to: root.to_string(),
            rank: Rank::Asset,
            is_new: true,
            links: Vec::new(),
        });
        // A folder goes when its latest file may go.
        folder.rank = folder.rank.max(order::rank(&w.rel));
        folder.links.extend(named(&s.links));
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
            links: &u.links,
        })
        .collect();
    order::switch_waves(&items)
}

fn rename(run: &Run, unit: &Unit) -> Result<(), PublishError> {
    run.hook.step()?;
    let (from, to) = (run.dest.join(&unit.from), run.dest.join(&unit.to));
    let mut pauses = FOLDER_RETRIES.iter();
    loop {
        let result = fs::rename(&from, &to);
        if result.is_err()
            && from.is_dir()
            && let Some(pause) = pauses.next()
        {
            std::thread::sleep(*pause);
            continue;
        }
        return result.ctx("put in place", &to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::plan::Write;

    fn write(rel: &str, root: Option<&str>) -> Write {
        let tmp = match root {
            Some(r) => format!("{}{}", tmp_rel(r), &rel[r.len()..]),
            None => tmp_rel(rel),
        };
        Write {
            rel: rel.into(),
            is_new: true,
            root: root.map(String::from),
            tmp,
            staged: None,
        }
    }

    fn staged(links: &[&str]) -> Staged {
        let links = links.iter().map(|l| l.to_string()).collect();
        Staged {
            hash: 0,
            size: 0,
            links,
            mtime: None,
            sent: 0,
        }
    }

    #[test]
    fn a_new_folder_is_one_unit_that_links_stand_for() {
        let plan = Plan {
            writes: vec![
                write("r/2031/a.html", Some("r/2031")),
                write("r/2031/a.pdf", Some("r/2031")),
                write("year/2031.html", None),
            ],
            ..Plan::default()
        };
        let staged = [
            staged(&["year/2031.html", "r/2031/a.pdf"]),
            staged(&[]),
            staged(&["r/2031/a.html"]),
        ];
        let units = units(&plan, &staged);
        let summary: Vec<(&str, &str, Rank, Vec<&str>)> = units
            .iter()
            .map(|u| {
                (
                    u.from.as_str(),
                    u.to.as_str(),
                    u.rank,
                    u.links.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "year/.2031.html.dangan-tmp",
                    "year/2031.html",
                    Rank::Index,
                    vec!["r/2031"]
                ),
                (
                    "r/.2031.dangan-tmp",
                    "r/2031",
                    Rank::Report,
                    vec!["year/2031.html", "r/2031"]
                ),
            ]
        );
    }
}
