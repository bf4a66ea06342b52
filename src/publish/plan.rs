//! Comparing the site with DEST: what is new, changed, unchanged, stale, or in the way.
//!
//! Sizes decide first. Same-size files are compared by content hash: the site's is computed,
//! DEST's is taken from the manifest when the file's size and time stamp are still the ones
//! recorded there, and otherwise read back from DEST ("when in doubt, re-read"). New files are
//! not even looked at here, and files whose size changed are not read: copying reads them.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use rayon::prelude::*;

use super::content;
use super::error::{IoContext, PublishError};
use super::manifest::{Entry, Manifest};
use super::order::{self, Item};
use super::scan::{DestIndex, DestStat};
use super::tmp_rel;

/// One file to put in place.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub rel: String,
    pub is_new: bool,
    /// The folder DEST lacks that this file arrives in, whole, with everything else in it.
    pub root: Option<String>,
    /// Where the copy is made: beside the file's place (`dir/.name.dangan-tmp`), or inside the
    /// temporary folder of its new folder (`.folder.dangan-tmp/…/name`).
    pub tmp: String,
    /// A temporary copy that an interrupted run finished and the manifest vouches for: if the
    /// site file still hashes the same, the copy is used as it is.
    pub staged: Option<Entry>,
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// In the site's order; they are switched into place in the order `order` gives.
    pub writes: Vec<Write>,
    /// Files already right in DEST, with what the manifest should now say about them.
    pub unchanged: Vec<(String, Entry)>,
    /// dangan's files that the site no longer has, in the order to remove them.
    pub stale: Vec<String>,
    /// Manifest entries whose files are gone from DEST already.
    pub forget: Vec<String>,
    /// Folders to create for the copies (temporary folders and folders in them), parents first.
    pub tmp_dirs: Vec<String>,
    /// Every folder that DEST lacks and the writes bring, under its final name.
    pub new_dirs: Vec<String>,
    /// Temporary files and folders of interrupted runs that are of no more use.
    pub junk: Vec<String>,
    pub junk_dirs: Vec<String>,
}

/// Whose the files in DEST are.
pub(crate) struct Owners<'a> {
    pub manifest: &'a Manifest,
    /// `--adopt`: files at the site's paths are taken over.
    pub adopt: bool,
    /// Paths an adopted build manifest (`.dangan-manifest` copied by hand) lists.
    pub legacy: &'a HashSet<String>,
}

impl Owners<'_> {
    fn owns(&self, rel: &str, in_site: bool) -> bool {
        self.manifest.files.contains_key(rel)
            || (self.adopt && (in_site || self.legacy.contains(rel)))
    }
}

pub(crate) fn make(
    site: &Path,
    dest: &Path,
    files: &[String],
    index: &DestIndex,
    owners: &Owners,
) -> Result<Plan, PublishError> {
    let in_dest = first_look(files, index, owners, dest)?;
    let cx = LookCx {
        site,
        dest,
        index,
        manifest: owners.manifest,
    };
    let looked: Vec<Looked> = files
        .par_iter()
        .zip(in_dest)
        .map(|(rel, in_dest)| look(&cx, rel, in_dest))
        .collect::<Result<_, _>>()?;
    let mut plan = Plan::default();
    for (rel, l) in files.iter().zip(looked) {
        match l {
            Looked::Unchanged(entry) => plan.unchanged.push((rel.clone(), entry)),
            Looked::Write { is_new } => {
                let root = new_root(rel, index).map(String::from);
                let tmp = tmp_path(rel, root.as_deref());
                let staged = vouched_staged(owners.manifest, rel, &tmp, index);
                plan.writes.push(Write {
                    rel: rel.clone(),
                    is_new,
                    root,
                    tmp,
                    staged,
                });
            }
        }
    }
    folders(&mut plan);
    (plan.junk, plan.junk_dirs) = junk(&plan, index);
    (plan.stale, plan.forget) = stale(dest, files, index, owners);
    Ok(plan)
}

/// Which site files have a file of dangan's at their path in DEST; every collision with a file
/// that is not dangan's is gathered before failing.
fn first_look(
    files: &[String],
    index: &DestIndex,
    owners: &Owners,
    dest: &Path,
) -> Result<Vec<bool>, PublishError> {
    let mut collisions = BTreeSet::new();
    let mut in_dest = Vec::with_capacity(files.len());
    for rel in files {
        for (end, _) in rel.match_indices('/') {
            let dir = &rel[..end];
            if index.get(dir).is_some_and(|s| !s.is_dir) {
                collisions.insert(format!("{dir} (a file where the site needs a folder)"));
            }
        }
        match index.get(rel) {
            Some(s) if s.is_dir => {
                collisions.insert(format!("{rel} (a folder where the site has a file)"));
            }
            Some(_) if !owners.owns(rel, true) => {
                collisions.insert(rel.clone());
            }
            Some(_) => {}
            None => {
                if let Some(twin) = index.case_twin(rel).filter(|t| !owners.owns(t, false)) {
                    collisions.insert(format!("{twin} (differs only in letter case from {rel})"));
                }
            }
        }
        in_dest.push(index.get(rel).is_some());
    }
    if collisions.is_empty() {
        Ok(in_dest)
    } else {
        Err(PublishError::Collision {
            dest: dest.to_path_buf(),
            paths: collisions.into_iter().collect(),
        })
    }
}

/// The manifest's hash for a DEST file, if the file still has the recorded size and time.
fn vouched_hash(entry: Option<&Entry>, stat: &DestStat) -> Option<String> {
    let e = entry?;
    (e.size == stat.size && e.mtime.is_some() && e.mtime == stat.mtime).then(|| e.hash.clone())
}

/// The record of a temporary copy left by an interrupted run, if it vouches for the copy.
fn vouched_staged(manifest: &Manifest, rel: &str, tmp: &str, index: &DestIndex) -> Option<Entry> {
    let stat = index.leftovers.get(tmp)?;
    let entry = manifest.staged.get(rel)?;
    vouched_hash(Some(entry), stat).map(|_| entry.clone())
}

enum Looked {
    Unchanged(Entry),
    Write { is_new: bool },
}

struct LookCx<'a> {
    site: &'a Path,
    dest: &'a Path,
    index: &'a DestIndex,
    manifest: &'a Manifest,
}

/// Settle one site file's status, reading it (and DEST's copy, when in doubt) only when the
/// sizes are equal.
fn look(cx: &LookCx, rel: &str, in_dest: bool) -> Result<Looked, PublishError> {
    let Some(stat) = cx.index.get(rel).filter(|_| in_dest) else {
        return Ok(Looked::Write { is_new: true });
    };
    let src = cx.site.join(rel);
    let size = fs::metadata(&src).ctx("read", &src)?.len();
    if stat.size != size {
        return Ok(Looked::Write { is_new: false });
    }
    let ours = content::hex(content::hash_file(&src)?.0);
    let theirs = match vouched_hash(cx.manifest.files.get(rel), stat) {
        Some(h) => h,
        None => content::hex(content::hash_file(&cx.dest.join(rel))?.0),
    };
    Ok(if theirs == ours {
        Looked::Unchanged(Entry {
            size,
            mtime: stat.mtime,
            hash: ours,
        })
    } else {
        Looked::Write { is_new: false }
    })
}

/// The shallowest folder on the way to `rel` that DEST lacks (in any letter case).
fn new_root<'a>(rel: &'a str, index: &DestIndex) -> Option<&'a str> {
    let mut dirs = rel.match_indices('/').map(|(end, _)| &rel[..end]);
    dirs.find(|d| index.get(d).is_none() && index.case_twin(d).is_none())
}

/// Where the copy of `rel` is made, given the new folder it arrives in.
fn tmp_path(rel: &str, root: Option<&str>) -> String {
    match root {
        None => tmp_rel(rel),
        Some(root) => format!("{}{}", tmp_rel(root), &rel[root.len()..]),
    }
}

/// The temporary twins of the new folders (to create), and every folder they bring.
fn folders(plan: &mut Plan) {
    let (mut tmp_dirs, mut new_dirs) = (BTreeSet::new(), BTreeSet::new());
    for w in &plan.writes {
        let Some(root) = &w.root else { continue };
        let dirs = w.rel.match_indices('/').map(|(end, _)| &w.rel[..end]);
        for dir in dirs.filter(|d| d.len() >= root.len()) {
            tmp_dirs.insert(tmp_path(dir, Some(root)));
            new_dirs.insert(dir.to_string());
        }
    }
    let by_depth = |set: BTreeSet<String>| {
        let mut v: Vec<String> = set.into_iter().collect();
        v.sort_by_key(|d| d.matches('/').count());
        v
    };
    plan.tmp_dirs = by_depth(tmp_dirs);
    plan.new_dirs = by_depth(new_dirs);
}

/// Leftovers of interrupted runs that this run will not use: files, and whole folders.
fn junk(plan: &Plan, index: &DestIndex) -> (Vec<String>, Vec<String>) {
    let used_dirs: HashSet<&str> = plan.tmp_dirs.iter().map(String::as_str).collect();
    let mut dirs: Vec<String> = Vec::new();
    for d in &index.leftover_dirs {
        let inside_junk = dirs.iter().any(|j| d.starts_with(&format!("{j}/")));
        if !used_dirs.contains(d.as_str()) && !inside_junk {
            dirs.push(d.clone()); // sorted, so parents come before what they hold
        }
    }
    let used: HashSet<&str> = plan.writes.iter().map(|w| w.tmp.as_str()).collect();
    let files = index.leftovers.keys().filter(|t| {
        !used.contains(t.as_str()) && !dirs.iter().any(|j| t.starts_with(&format!("{j}/")))
    });
    (files.cloned().collect(), dirs)
}

/// dangan's files that the site no longer has (to remove), and records of files already gone.
fn stale(
    dest: &Path,
    files: &[String],
    index: &DestIndex,
    owners: &Owners,
) -> (Vec<String>, Vec<String>) {
    let in_site: HashSet<&str> = files.iter().map(String::as_str).collect();
    let mut stale = Vec::new();
    let mut forget = Vec::new();
    let candidates = owners
        .manifest
        .files
        .keys()
        .chain(owners.legacy.iter().filter(|_| owners.adopt));
    let candidates: BTreeSet<&String> = candidates.collect();
    for rel in candidates {
        if in_site.contains(rel.as_str()) {
            continue;
        }
        match index.get(rel) {
            Some(s) if !s.is_dir => stale.push(rel.clone()),
            _ if owners.manifest.files.contains_key(rel) => forget.push(rel.clone()),
            _ => {}
        }
    }
    (in_removal_order(dest, stale), forget)
}

/// Stale pages are read back from DEST for their links; one that cannot be read just has none
/// (the order is a courtesy to readers of pages nobody links to any more).
fn in_removal_order(dest: &Path, stale: Vec<String>) -> Vec<String> {
    let links: Vec<Vec<String>> = stale
        .iter()
        .map(|rel| match content::is_html(rel) {
            true => std::fs::read(dest.join(rel))
                .map(|b| content::links(rel, &b))
                .unwrap_or_default(),
            false => Vec::new(),
        })
        .collect();
    let items: Vec<Item> = stale
        .iter()
        .zip(&links)
        .map(|(rel, links)| Item {
            rel,
            rank: order::rank(rel),
            is_new: false,
            links,
        })
        .collect();
    order::removal_order(&items)
        .into_iter()
        .map(|i| stale[i].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::scan;
    use std::fs;

    struct Fixture {
        _dir: tempfile::TempDir,
        site: std::path::PathBuf,
        dest: std::path::PathBuf,
    }

    fn fixture(site: &[(&str, &str)], dest: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (s, d) = (dir.path().join("site"), dir.path().join("dest"));
        for (root, files) in [(&s, site), (&d, dest)] {
            fs::create_dir_all(root).unwrap();
            for (rel, body) in files {
                let p = root.join(rel);
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(p, body).unwrap();
            }
        }
        Fixture {
            _dir: dir,
            site: s,
            dest: d,
        }
    }

    fn plan_for(fx: &Fixture, manifest: &Manifest, adopt: bool) -> Result<Plan, PublishError> {
        let (files, _) = scan::site_files(&fx.site).unwrap();
        let wanted = files
            .iter()
            .chain(manifest.files.keys())
            .map(String::as_str);
        let index = scan::dest_index(&fx.dest, wanted).unwrap();
        let legacy = HashSet::new();
        let owners = Owners {
            manifest,
            adopt,
            legacy: &legacy,
        };
        make(&fx.site, &fx.dest, &files, &index, &owners)
    }

    fn owned(rels: &[(&str, &str)]) -> Manifest {
        let mut m = Manifest::new();
        for (rel, body) in rels {
            let hash = content::hex(content::hash_bytes(body.as_bytes()));
            m.set(
                rel,
                Entry {
                    size: body.len() as u64,
                    mtime: None,
                    hash,
                },
            );
        }
        m
    }

    #[test]
    fn statuses_follow_sizes_and_contents() {
        let old = [
            ("a.html", "same"),
            ("b.html", "old!"),
            ("c.html", "short"),
            ("gone.html", "x"),
        ];
        let fx = fixture(
            &[
                ("a.html", "same"),
                ("b.html", "new!"),
                ("c.html", "longer"),
                ("d/e.html", "e"),
            ],
            &old,
        );
        let plan = plan_for(&fx, &owned(&old), false).unwrap();
        let writes: Vec<_> = plan
            .writes
            .iter()
            .map(|w| (w.rel.as_str(), w.is_new))
            .collect();
        assert_eq!(
            writes,
            [("b.html", false), ("c.html", false), ("d/e.html", true)]
        );
        assert_eq!(plan.unchanged.len(), 1);
        assert_eq!(plan.stale, ["gone.html"]);
        assert_eq!(plan.tmp_dirs, [".d.dangan-tmp"]);
        let e = plan.writes.iter().find(|w| w.rel == "d/e.html").unwrap();
        assert_eq!(
            (e.root.as_deref(), e.tmp.as_str()),
            (Some("d"), ".d.dangan-tmp/e.html")
        );
        assert_eq!(plan.new_dirs, ["d"]);
    }

    #[test]
    fn a_trusted_manifest_hash_is_used_without_reading_dest() {
        let fx = fixture(&[("a.html", "new!")], &[("a.html", "old!")]);
        let mtime = scan::mtime_ns(&fs::metadata(fx.dest.join("a.html")).unwrap());
        let mut m = Manifest::new();
        // The manifest claims DEST already holds the new content: trusted, so "unchanged".
        let hash = content::hex(content::hash_bytes(b"new!"));
        m.set(
            "a.html",
            Entry {
                size: 4,
                mtime,
                hash: hash.clone(),
            },
        );
        assert_eq!(plan_for(&fx, &m, false).unwrap().unchanged.len(), 1);
        // With a different time stamp the manifest is doubted and DEST re-read: "changed".
        m.set(
            "a.html",
            Entry {
                size: 4,
                mtime: Some(1),
                hash,
            },
        );
        assert_eq!(plan_for(&fx, &m, false).unwrap().writes.len(), 1);
    }

    #[test]
    fn foreign_files_in_the_way_are_all_named() {
        let fx = fixture(
            &[
                ("a.html", "a"),
                ("Logo.png", "l"),
                ("x/y.html", "y"),
                ("d.html", "d"),
            ],
            &[
                ("a.html", "mine"),
                ("logo.png", "theirs"),
                ("x", "a file"),
                ("d.html/z", "dir"),
            ],
        );
        let err = plan_for(&fx, &Manifest::new(), false).unwrap_err();
        let PublishError::Collision { paths, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(
            paths,
            [
                "a.html",
                "d.html (a folder where the site has a file)",
                "logo.png (differs only in letter case from Logo.png)",
                "x (a file where the site needs a folder)",
            ]
        );
        let plan = plan_for(&fx, &Manifest::new(), true);
        assert!(matches!(plan, Err(PublishError::Collision { paths, .. }) if paths.len() == 3));
    }

    #[test]
    fn files_gone_from_dest_are_forgotten_not_removed() {
        let fx = fixture(&[("a.html", "a")], &[]);
        let plan = plan_for(&fx, &owned(&[("old.html", "o")]), false).unwrap();
        assert!(plan.stale.is_empty());
        assert_eq!(plan.forget, ["old.html"]);
    }
}
