//! Comparing the site with DEST: what is new, changed, unchanged, stale, or in the way.
//!
//! DEST is known from its manifest (what dangan wrote there, with each file's hash) and from
//! the names in its folders' listings: a file listed and recorded with the site file's hash is
//! unchanged, without asking the share about it. Only a file about to be replaced or removed
//! is looked at, and when its size and time are no longer the ones recorded, read back: if
//! someone changed it on the share since, it is theirs now, and reported like a foreign file.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::content::{self, Hash};
use super::error::PublishError;
use super::manifest::{Entry, Manifest};
use super::order::{self, Rank};
use super::scan::{self, DestIndex, DestStat, SiteFile};
use super::tmp_rel;
use crate::manifest::Kind;

/// One file to put in place.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub rel: String,
    pub kind: Kind,
    pub is_new: bool,
    /// DEST already holds these bytes: the file is sent only because its folder is replaced
    /// whole (the search index's, see `Plan::replace`).
    pub same: bool,
    pub size: u64,
    /// The folder this file arrives in, whole, with everything else in it: one DEST lacks,
    /// or the folder `Plan::replace` names.
    pub root: Option<String>,
    /// Where the copy is made: beside the file's place (`dir/.name.dangan-tmp`), or inside the
    /// temporary folder of its folder (`.folder.dangan-tmp/…/name`).
    pub tmp: String,
    /// A temporary copy that an interrupted run finished and the manifest vouches for: if the
    /// site file still hashes the same, the copy is used as it is.
    pub staged: Option<Entry>,
    /// Written straight to its place, without a temporary copy to rename: a search file DEST
    /// lacks, named by its content, which nothing names before the search entry that does is
    /// switched (after every copy is made). A rename is a round trip or three on a share,
    /// and one edit brings a hundred such files. It is recorded as dangan's first.
    pub direct: bool,
    /// The site file's hash, when planning read it.
    pub hash: Option<Hash>,
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// In the site's order; they are switched into place in the order `order` gives.
    pub writes: Vec<Write>,
    /// How many site files DEST already holds.
    pub unchanged: usize,
    /// What the manifest should now say about files that were in doubt and turned out right.
    pub refresh: Vec<(String, Entry)>,
    /// dangan's files that the site no longer has, in the order to remove them.
    pub stale: Vec<String>,
    /// The rank of each file of `stale`: files of one rank go together, in parallel.
    pub stale_ranks: Vec<Rank>,
    /// dangan's files that the site no longer has but someone changed on the share since:
    /// left where they are, and no longer dangan's.
    pub kept: Vec<String>,
    /// Manifest entries whose files are gone from DEST already.
    pub forget: Vec<String>,
    /// Folders to create for the copies (temporary folders and folders in them), parents first.
    pub tmp_dirs: Vec<String>,
    /// Every folder that DEST lacks and the writes bring, under its final name.
    pub new_dirs: Vec<String>,
    /// Temporary files and folders of interrupted runs that are of no more use.
    pub junk: Vec<String>,
    pub junk_dirs: Vec<String>,
    /// The search index's folder, when it is replaced whole: its files change in place, so
    /// only a new copy of the whole folder, renamed into place, switches them all at once.
    pub replace: Option<String>,
    /// Files of DEST looked at one by one (size and time asked, or read back): only those to
    /// replace or remove, and those no record vouches for. On a share each is a round trip.
    pub checked: usize,
    /// The folder to replace holds folders taken from the manifest rather than listed: what
    /// else is in them must be known before the old folder goes, so plan again with DEST
    /// listed in full.
    pub relist: bool,
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

/// What planning needs to look at.
struct Cx<'a> {
    site: &'a Path,
    dest: &'a Path,
    index: &'a DestIndex,
    owners: &'a Owners<'a>,
    /// Files of DEST looked at one by one.
    checked: AtomicUsize,
}

impl Cx<'_> {
    /// DEST's size and time of one file: a round trip to the share, counted.
    fn stat(&self, rel: &str) -> Result<Option<DestStat>, PublishError> {
        self.checked.fetch_add(1, Ordering::Relaxed);
        scan::stat(self.dest, rel)
    }
}

pub(crate) fn make(
    site: &Path,
    dest: &Path,
    files: &[SiteFile],
    index: &DestIndex,
    owners: &Owners,
) -> Result<Plan, PublishError> {
    let cx = Cx {
        site,
        dest,
        index,
        owners,
        checked: AtomicUsize::new(0),
    };
    let mut collisions = in_the_way(files, index, owners);
    let looked: Vec<Looked> = files
        .par_iter()
        .map(|f| look(&cx, f))
        .collect::<Result<_, _>>()?;
    let mut plan = Plan::default();
    for (f, l) in files.iter().zip(looked) {
        match l {
            Looked::Unchanged { refresh, size } => {
                plan.unchanged += 1;
                if let Some(e) = refresh {
                    plan.refresh.push((f.rel.clone(), e));
                }
                plan.writes.push(write(f, false, true, size)); // dropped below unless replaced
            }
            Looked::Write { is_new, size, hash } => {
                let mut w = write(f, is_new, false, size);
                w.hash = Some(hash);
                plan.writes.push(w);
            }
            Looked::Edited => {
                collisions.insert(format!(
                    "{} (changed on the share since dangan published it)",
                    f.rel
                ));
            }
        }
    }
    plan.replace = folder_to_replace(files, &plan.writes, index);
    if plan.replace.is_some() && !index.trusted.is_empty() {
        plan.relist = true;
        return Ok(plan);
    }
    if let Some(dir) = &plan.replace {
        collisions.extend(foreign_inside(dir, files, index, owners));
    }
    if !collisions.is_empty() {
        return Err(PublishError::Collision {
            dest: dest.to_path_buf(),
            paths: collisions.into_iter().collect(),
        });
    }
    let replace = plan.replace.clone();
    // Unchanged files stay where they are, unless their folder is replaced whole (they are
    // still counted as unchanged).
    plan.writes
        .retain(|w| !w.same || in_folder(&w.rel, replace.as_deref()));
    for w in &mut plan.writes {
        w.root = match in_folder(&w.rel, replace.as_deref()) {
            true => replace.clone(),
            false => new_root(&w.rel, index).map(String::from),
        };
        w.direct = w.is_new && w.root.is_none() && w.kind == Kind::SearchShard;
        if w.direct {
            w.tmp = w.rel.clone();
            continue;
        }
        w.tmp = tmp_path(&w.rel, w.root.as_deref());
        w.staged = vouched_staged(owners.manifest, &w.rel, &w.tmp, index);
    }
    folders(&mut plan);
    (plan.junk, plan.junk_dirs) = junk(&plan, index);
    let (stale, kept, forget) = stale(&cx, files)?;
    (plan.stale, plan.stale_ranks) = stale.into_iter().unzip();
    (plan.kept, plan.forget) = (kept, forget);
    plan.checked = cx.checked.into_inner();
    Ok(plan)
}

/// The folders of DEST that need not be listed, each with the files it holds: a folder of
/// the search index's files named by their content (`Kind::SearchShard`), which holds no
/// folder the site or the manifest uses, whose files are exactly those the manifest records
/// there, each put in place by a publish that finished it. What such a folder holds is known:
/// a file of a name the manifest records holds the bytes recorded unless someone changed it,
/// and then it is theirs, but the site still has that file, so this run neither replaces nor
/// removes it (whatever it replaces or removes is looked at first, as anywhere). A folder
/// gone whole is still noticed, its parent being listed; what the index has thousands of
/// folders of, each a round trip to list on a share, is the check that a file someone
/// deleted there is back, which is left to the next change of that folder.
pub(crate) fn trusted_folders(
    files: &[SiteFile],
    manifest: &Manifest,
) -> std::collections::HashMap<String, Vec<String>> {
    use std::collections::HashMap;
    let parent = |rel: &str| rel.rsplit_once('/').map(|(dir, _)| dir.to_string());
    let mut site: HashMap<String, Vec<String>> = HashMap::new();
    let mut refused: HashSet<String> = HashSet::new();
    for f in files {
        let Some(dir) = parent(&f.rel) else { continue };
        let vouched = manifest
            .files
            .get(&f.rel)
            .is_some_and(|e| e.mtime.is_some());
        if f.kind != Kind::SearchShard || !vouched {
            refused.insert(dir.clone());
        }
        site.entry(dir).or_default().push(f.rel.clone());
    }
    // Folders where the manifest records more than the site has, or a copy not yet in place.
    let in_site: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let recorded = (manifest.files.keys()).filter(|rel| !in_site.contains(rel.as_str()));
    refused.extend(
        recorded
            .chain(manifest.staged.keys())
            .filter_map(|r| parent(r)),
    );
    // Folders that hold folders.
    let dirs = files.iter().filter_map(|f| parent(&f.rel));
    let dirs = dirs.chain(manifest.files.keys().filter_map(|r| parent(r)));
    for dir in dirs.chain(manifest.dirs.iter().cloned()) {
        refused.extend(
            dir.match_indices('/')
                .map(|(end, _)| dir[..end].to_string()),
        );
    }
    site.retain(|dir, _| !refused.contains(dir));
    site
}

fn write(f: &SiteFile, is_new: bool, same: bool, size: u64) -> Write {
    Write {
        rel: f.rel.clone(),
        kind: f.kind,
        is_new,
        same,
        size,
        root: None,
        tmp: String::new(),
        staged: None,
        direct: false,
        hash: None,
    }
}

/// Names in DEST where the site needs them that are not dangan's, all of them.
fn in_the_way(files: &[SiteFile], index: &DestIndex, owners: &Owners) -> BTreeSet<String> {
    let mut collisions = BTreeSet::new();
    for f in files {
        let rel = f.rel.as_str();
        for (end, _) in rel.match_indices('/') {
            let dir = &rel[..end];
            if index.is_dir(dir) == Some(false) {
                collisions.insert(format!("{dir} (a file where the site needs a folder)"));
            }
        }
        match index.is_dir(rel) {
            Some(true) => {
                collisions.insert(format!("{rel} (a folder where the site has a file)"));
            }
            Some(false) if !owners.owns(rel, true) => {
                collisions.insert(rel.to_string());
            }
            Some(false) => {}
            None => {
                if let Some(twin) = index.case_twin(rel).filter(|t| !owners.owns(t, false)) {
                    collisions.insert(format!("{twin} (differs only in letter case from {rel})"));
                }
            }
        }
    }
    collisions
}

enum Looked {
    /// DEST holds the site's bytes; `refresh` is what the manifest should now say, when it
    /// did not vouch for the file.
    Unchanged {
        refresh: Option<Entry>,
        size: u64,
    },
    Write {
        is_new: bool,
        size: u64,
        hash: Hash,
    },
    /// dangan's file, but someone changed it on the share since.
    Edited,
}

/// Settle one site file's status: its hash against what the manifest recorded, and DEST's
/// copy looked at only when it is to be replaced or the manifest cannot vouch for it.
fn look(cx: &Cx, f: &SiteFile) -> Result<Looked, PublishError> {
    let rel = f.rel.as_str();
    if cx.index.is_trusted(rel) {
        // Named by the hash of its bytes, and recorded under that name: those bytes are there.
        let size = cx.owners.manifest.files.get(rel).map_or(0, |e| e.size);
        return Ok(Looked::Unchanged {
            refresh: None,
            size,
        });
    }
    let (ours, size) = hash_site_file(cx.site, rel)?;
    if cx.index.is_dir(rel) != Some(false) {
        return Ok(Looked::Write {
            is_new: true,
            size,
            hash: ours,
        });
    }
    let entry = cx.owners.manifest.files.get(rel);
    let vouched = entry.filter(|e| e.mtime.is_some());
    if let Some(e) = vouched {
        if e.hash == content::hex(ours) {
            return Ok(Looked::Unchanged {
                refresh: None,
                size,
            });
        }
        if !cx.owners.adopt && edited_since(cx, rel, e)? {
            return Ok(Looked::Edited);
        }
        return Ok(Looked::Write {
            is_new: false,
            size,
            hash: ours,
        });
    }
    // No record to trust: a file being switched when a run was killed, or one to adopt.
    let Some(stat) = cx.stat(rel)? else {
        return Ok(Looked::Write {
            is_new: true,
            size,
            hash: ours,
        });
    };
    let (theirs, _) = content::hash_file(&cx.dest.join(rel))?;
    if theirs != ours {
        // A search file written straight to its place by a run killed while writing it: the
        // record names the bytes it was to get, and nothing names it yet. It is still new.
        let unfinished = f.kind == Kind::SearchShard
            && entry.is_some_and(|e| e.mtime.is_none() && e.hash == content::hex(ours));
        return Ok(Looked::Write {
            is_new: unfinished,
            size,
            hash: ours,
        });
    }
    let refresh = Entry {
        size,
        mtime: stat.mtime,
        hash: content::hex(ours),
        kind: Some(f.kind),
    };
    Ok(Looked::Unchanged {
        refresh: Some(refresh),
        size,
    })
}

fn hash_site_file(site: &Path, rel: &str) -> Result<(Hash, u64), PublishError> {
    match content::hash_file(&site.join(rel)) {
        Err(PublishError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Err(PublishError::SiteIncomplete {
                site: site.to_path_buf(),
                missing: rel.to_string(),
            })
        }
        other => other,
    }
}

/// Whether DEST's file at `rel` is no longer what dangan recorded: its size or time differ,
/// and so do its bytes (a file merely touched, or copied back unchanged, is still dangan's).
fn edited_since(cx: &Cx, rel: &str, recorded: &Entry) -> Result<bool, PublishError> {
    let Some(stat) = cx.stat(rel)? else {
        return Ok(false); // gone meanwhile: nothing of anyone's to lose
    };
    if stat.size == recorded.size && stat.mtime == recorded.mtime {
        return Ok(false);
    }
    Ok(content::hex(content::hash_file(&cx.dest.join(rel))?.0) != recorded.hash)
}

/// The search index's folder, if its files change in place: then it is copied whole and
/// renamed into place at once, so that no reader sees old and new files of it together. (An
/// index whose files are named by their content never changes one in place: its new files
/// arrive beside the old ones and its entry file switches them.)
fn folder_to_replace(files: &[SiteFile], writes: &[Write], index: &DestIndex) -> Option<String> {
    let entry = files.iter().find(|f| f.kind == Kind::SearchEntry)?;
    let (dir, _) = entry.rel.rsplit_once('/')?;
    let in_place = writes
        .iter()
        .any(|w| w.kind == Kind::SearchShard && !w.is_new && !w.same);
    let all_inside = files
        .iter()
        .filter(|f| f.kind.is_search())
        .all(|f| in_folder(&f.rel, Some(dir)));
    (in_place && all_inside && index.is_dir(dir) == Some(true)).then(|| dir.to_string())
}

fn in_folder(rel: &str, dir: Option<&str>) -> bool {
    dir.is_some_and(|d| {
        rel.len() > d.len() && rel.starts_with(d) && rel.as_bytes()[d.len()] == b'/'
    })
}

/// What in the folder to replace is neither the site's nor dangan's: it would be lost.
fn foreign_inside(
    dir: &str,
    files: &[SiteFile],
    index: &DestIndex,
    owners: &Owners,
) -> Vec<String> {
    let site: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let owned_files = owners
        .manifest
        .files
        .keys()
        .chain(owners.legacy.iter().filter(|_| owners.adopt));
    let folders_of = |rel: &str| -> Vec<String> {
        rel.match_indices('/')
            .map(|(end, _)| rel[..end].to_string())
            .collect()
    };
    let ours_dirs: HashSet<String> = files
        .iter()
        .map(|f| f.rel.as_str())
        .chain(owned_files.map(String::as_str))
        .flat_map(folders_of)
        .chain(owners.manifest.dirs.iter().cloned())
        .collect();
    let ours = |rel: &str, is_dir: bool| match is_dir {
        true => ours_dirs.contains(rel),
        false => site.contains(rel) || owners.owns(rel, false),
    };
    index
        .entries
        .iter()
        .filter(|(rel, is_dir)| in_folder(rel, Some(dir)) && !ours(rel, **is_dir))
        .map(|(rel, _)| format!("{rel} (in {dir}/, which dangan replaces whole)"))
        .collect()
}

/// The record of a temporary copy left by an interrupted run, if it vouches for the copy: a
/// copy is created empty and written in full before it is recorded, so one of the recorded
/// size is whole. (Its time is of no use: a share sets it when the copy is closed.)
fn vouched_staged(manifest: &Manifest, rel: &str, tmp: &str, index: &DestIndex) -> Option<Entry> {
    let stat: &DestStat = index.leftovers.get(tmp)?;
    let entry = manifest.staged.get(rel)?;
    (entry.size == stat.size).then(|| entry.clone())
}

/// The shallowest folder on the way to `rel` that DEST lacks (in any letter case).
fn new_root<'a>(rel: &'a str, index: &DestIndex) -> Option<&'a str> {
    let mut dirs = rel.match_indices('/').map(|(end, _)| &rel[..end]);
    dirs.find(|d| !index.contains(d) && index.case_twin(d).is_none())
}

/// Where the copy of `rel` is made, given the folder it arrives in.
fn tmp_path(rel: &str, root: Option<&str>) -> String {
    match root {
        None => tmp_rel(rel),
        Some(root) => format!("{}{}", tmp_rel(root), &rel[root.len()..]),
    }
}

/// The temporary twins of the folders that arrive whole (to create), and every folder they
/// bring.
fn folders(plan: &mut Plan) {
    let (mut tmp_dirs, mut new_dirs) = (BTreeSet::new(), BTreeSet::new());
    for w in &plan.writes {
        let Some(root) = &w.root else { continue };
        tmp_dirs.insert(tmp_rel(root));
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

/// dangan's files that the site no longer has: those to remove (in order), those someone
/// changed since (to keep), and records of files already gone.
#[allow(clippy::type_complexity)]
fn stale(
    cx: &Cx,
    files: &[SiteFile],
) -> Result<(Vec<(String, Rank)>, Vec<String>, Vec<String>), PublishError> {
    let in_site: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let owners = cx.owners;
    let candidates = owners
        .manifest
        .files
        .keys()
        .chain(owners.legacy.iter().filter(|_| owners.adopt));
    let candidates: BTreeSet<&String> = candidates
        .filter(|rel| !in_site.contains(rel.as_str()))
        .collect();
    let mut forget = Vec::new();
    let present: Vec<&String> = candidates
        .into_iter()
        .filter(|rel| match cx.index.is_dir(rel) {
            Some(false) => true,
            _ => {
                if owners.manifest.files.contains_key(*rel) {
                    forget.push((*rel).clone());
                }
                false
            }
        })
        .collect();
    let edited: Vec<bool> = present
        .par_iter()
        .map(|rel| match owners.manifest.files.get(*rel) {
            Some(e) if !owners.adopt && e.mtime.is_some() => edited_since(cx, rel, e),
            _ => Ok(false),
        })
        .collect::<Result<_, _>>()?;
    let mut remove: Vec<(String, Rank)> = Vec::new();
    let mut kept = Vec::new();
    for (rel, edited) in present.into_iter().zip(edited) {
        if edited {
            kept.push(rel.clone());
            continue;
        }
        let kind = owners.manifest.files.get(rel).and_then(|e| e.kind);
        remove.push((rel.clone(), kind.map_or(Rank::Report, order::rank)));
    }
    order::removal_order(&mut remove);
    Ok((remove, kept, forget))
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

    fn kind_of(rel: &str) -> Kind {
        match rel {
            "_search/meta.js" => Kind::SearchEntry,
            r if r.starts_with("_search/") => Kind::SearchShard,
            r if r.ends_with(".html") => Kind::Report,
            _ => Kind::Attachment,
        }
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

    fn site_files(fx: &Fixture) -> Vec<SiteFile> {
        let mut files: Vec<SiteFile> = walkdir::WalkDir::new(&fx.site)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = scan::rel_string(e.path().strip_prefix(&fx.site).unwrap()).unwrap();
                SiteFile {
                    kind: kind_of(&rel),
                    rel,
                }
            })
            .collect();
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        files
    }

    fn plan_for(fx: &Fixture, manifest: &Manifest, adopt: bool) -> Result<Plan, PublishError> {
        plan_trusting(fx, manifest, adopt, false).map(|(plan, _)| plan)
    }

    /// The plan, and the folders that were listed; with `trust`, as a publish plans when the
    /// last one finished.
    fn plan_trusting(
        fx: &Fixture,
        manifest: &Manifest,
        adopt: bool,
        trust: bool,
    ) -> Result<(Plan, usize), PublishError> {
        let files = site_files(fx);
        let wanted = files
            .iter()
            .map(|f| f.rel.as_str())
            .chain(manifest.files.keys().map(String::as_str));
        let trusted = match trust {
            true => trusted_folders(&files, manifest),
            false => std::collections::HashMap::new(),
        };
        let index = scan::dest_index(&fx.dest, wanted, &trusted).unwrap();
        let legacy = HashSet::new();
        let owners = Owners {
            manifest,
            adopt,
            legacy: &legacy,
        };
        make(&fx.site, &fx.dest, &files, &index, &owners).map(|plan| (plan, index.listed))
    }

    /// A manifest recording `rels` as DEST holds them now.
    fn owned(fx: &Fixture, rels: &[&str]) -> Manifest {
        let mut m = Manifest::new();
        for rel in rels {
            let p = fx.dest.join(rel);
            let meta = fs::metadata(&p).unwrap();
            let entry = Entry {
                size: meta.len(),
                mtime: scan::mtime_ns(&meta),
                hash: content::hex(content::hash_file(&p).unwrap().0),
                kind: Some(kind_of(rel)),
            };
            m.set(rel, entry);
        }
        m
    }

    fn writes(plan: &Plan) -> Vec<(&str, bool)> {
        plan.writes
            .iter()
            .map(|w| (w.rel.as_str(), w.is_new))
            .collect()
    }

    #[test]
    fn statuses_follow_the_recorded_hashes() {
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
        let m = owned(&fx, &["a.html", "b.html", "c.html", "gone.html"]);
        let plan = plan_for(&fx, &m, false).unwrap();
        assert_eq!(
            writes(&plan),
            [("b.html", false), ("c.html", false), ("d/e.html", true)]
        );
        assert_eq!(plan.unchanged, 1);
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
    fn a_recorded_hash_is_trusted_without_asking_dest_and_a_doubtful_one_is_checked() {
        let fx = fixture(&[("a.html", "new!")], &[("a.html", "old!")]);
        let mut m = owned(&fx, &["a.html"]);
        // The manifest claims DEST already holds the new content: trusted, so "unchanged".
        let mut entry = m.files["a.html"].clone();
        entry.hash = content::hex(content::hash_bytes(b"new!"));
        m.set("a.html", entry.clone());
        assert_eq!(plan_for(&fx, &m, false).unwrap().unchanged, 1);
        // A record made while the file was being switched is doubted: DEST is read back.
        entry.mtime = None;
        m.set("a.html", entry);
        assert_eq!(
            writes(&plan_for(&fx, &m, false).unwrap()),
            [("a.html", false)]
        );
    }

    #[test]
    fn a_file_changed_on_the_share_since_is_neither_replaced_nor_removed() {
        let fx = fixture(
            &[("a.html", "new a"), ("b.html", "b")],
            &[("a.html", "old a"), ("b.html", "b"), ("gone.html", "old")],
        );
        let m = owned(&fx, &["a.html", "b.html", "gone.html"]);
        fs::write(fx.dest.join("a.html"), "a colleague's edit").unwrap();
        fs::write(fx.dest.join("gone.html"), "a colleague's edit").unwrap();
        let err = plan_for(&fx, &m, false).unwrap_err();
        let PublishError::Collision { paths, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(
            paths,
            ["a.html (changed on the share since dangan published it)"]
        );
        // Only a stale one: kept, and reported.
        fs::write(fx.dest.join("a.html"), "old a").unwrap();
        let m = owned(&fx, &["a.html", "b.html"])
            .files
            .into_iter()
            .fold(m, |mut m, (r, e)| {
                m.set(&r, e);
                m
            });
        let plan = plan_for(&fx, &m, false).unwrap();
        assert_eq!(plan.kept, ["gone.html"]);
        assert!(plan.stale.is_empty());
        // Touched but not changed: still dangan's.
        fs::write(fx.dest.join("gone.html"), "old").unwrap();
        let plan = plan_for(&fx, &m, false).unwrap();
        assert_eq!(plan.stale, ["gone.html"]);
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
        let fx = fixture(&[("a.html", "a")], &[("old.html", "o")]);
        let m = owned(&fx, &["old.html"]);
        fs::remove_file(fx.dest.join("old.html")).unwrap();
        let plan = plan_for(&fx, &m, false).unwrap();
        assert!(plan.stale.is_empty());
        assert_eq!(plan.forget, ["old.html"]);
    }

    #[test]
    fn a_search_folder_whose_files_change_in_place_is_replaced_whole() {
        let old = [
            ("_search/meta.js", "m1"),
            ("_search/p/0.js", "p0"),
            ("_search/p/1.js", "p1"),
            ("_search/p/9.js", "stale"),
            ("r.html", "r"),
        ];
        let fx = fixture(
            &[
                ("_search/meta.js", "m2"),
                ("_search/p/0.js", "p0"),
                ("_search/p/1.js", "p1 changed"),
                ("_search/p/2.js", "p2"),
                ("r.html", "r"),
            ],
            &old,
        );
        let rels: Vec<&str> = old.iter().map(|(r, _)| *r).collect();
        let m = owned(&fx, &rels);
        let plan = plan_for(&fx, &m, false).unwrap();
        assert_eq!(plan.replace.as_deref(), Some("_search"));
        let all: Vec<(&str, Option<&str>, &str, bool)> = plan
            .writes
            .iter()
            .map(|w| (w.rel.as_str(), w.root.as_deref(), w.tmp.as_str(), w.same))
            .collect();
        assert_eq!(
            all,
            [
                (
                    "_search/meta.js",
                    Some("_search"),
                    "._search.dangan-tmp/meta.js",
                    false
                ),
                (
                    "_search/p/0.js",
                    Some("_search"),
                    "._search.dangan-tmp/p/0.js",
                    true
                ),
                (
                    "_search/p/1.js",
                    Some("_search"),
                    "._search.dangan-tmp/p/1.js",
                    false
                ),
                (
                    "_search/p/2.js",
                    Some("_search"),
                    "._search.dangan-tmp/p/2.js",
                    false
                ),
            ]
        );
        assert_eq!(
            plan.unchanged, 2,
            "r.html, and p/0.js sent again with its folder"
        );
        assert_eq!(plan.stale, ["_search/p/9.js"]);
        // A file someone put there would be lost with the old folder: refused.
        fs::write(fx.dest.join("_search/p/notes.txt"), "mine").unwrap();
        let err = plan_for(&fx, &m, false).unwrap_err().to_string();
        assert!(err.contains("_search/p/notes.txt (in _search/"), "{err}");
        // New search files alone (an index named by content) need no folder switch.
        fs::remove_file(fx.dest.join("_search/p/notes.txt")).unwrap();
        fs::write(fx.site.join("_search/p/1.js"), "p1").unwrap();
        let plan = plan_for(&fx, &m, false).unwrap();
        assert_eq!(plan.replace, None);
        assert_eq!(
            writes(&plan),
            [("_search/meta.js", false), ("_search/p/2.js", true)]
        );
    }

    #[test]
    fn search_folders_the_manifest_vouches_for_in_full_are_taken_from_it_not_listed() {
        let shards = [
            "_search/d/7.js",
            "_search/t/a/1.js",
            "_search/t/a/2.js",
            "_search/t/b/3.js",
            "_search/t/c/4.js",
            "_search/t/d/5.js",
            "_search/t/e/6.js",
        ];
        let mut site: Vec<(&str, &str)> = shards.iter().map(|r| (*r, *r)).collect();
        site.extend([
            ("_search/meta.js", "m"),
            ("r/a.html", "a"),
            ("index.html", "i"),
        ]);
        let mut dest = site.clone();
        dest.retain(|(r, _)| *r != "_search/t/b/3.js"); // new: its folder gets a file
        dest.push(("_search/t/c/old.js", "old")); // stale: its folder loses one
        let fx = fixture(&site, &dest);
        let rels: Vec<&str> = dest.iter().map(|(r, _)| *r).collect();
        let mut m = owned(&fx, &rels);
        let mut doubtful = m.files["_search/t/d/5.js"].clone();
        doubtful.mtime = None; // being switched when a run was killed
        m.set("_search/t/d/5.js", doubtful.clone());
        m.set_staged("_search/t/e/x.js", doubtful); // a copy not yet in place
        let files = site_files(&fx);
        let trusted = trusted_folders(&files, &m);
        let mut dirs: Vec<&str> = trusted.keys().map(String::as_str).collect();
        dirs.sort();
        assert_eq!(dirs, ["_search/d", "_search/t/a"]);
        assert_eq!(
            trusted["_search/t/a"],
            ["_search/t/a/1.js", "_search/t/a/2.js"]
        );

        let (plan, listed) = plan_trusting(&fx, &m, false, true).unwrap();
        let (all, listed_all) = plan_trusting(&fx, &m, false, false).unwrap();
        // DEST has no _search/t/b yet.
        assert_eq!(
            (listed, listed_all),
            (7, 9),
            "all but _search/d and _search/t/a"
        );
        for p in [&plan, &all] {
            assert_eq!(writes(p), [("_search/t/b/3.js", true)]);
            assert_eq!(p.stale, ["_search/t/c/old.js"]);
            assert_eq!(p.unchanged, site.len() - 1);
        }
        // A file of a vouched folder gone from DEST: the record is trusted (the cost).
        fs::remove_file(fx.dest.join("_search/t/a/1.js")).unwrap();
        let (plan, _) = plan_trusting(&fx, &m, false, true).unwrap();
        assert_eq!(writes(&plan), [("_search/t/b/3.js", true)]);
        // The whole folder gone: its parent's listing tells, and it is sent again.
        fs::remove_dir_all(fx.dest.join("_search/t/a")).unwrap();
        let (plan, _) = plan_trusting(&fx, &m, false, true).unwrap();
        assert_eq!(
            writes(&plan),
            [
                ("_search/t/a/1.js", true),
                ("_search/t/a/2.js", true),
                ("_search/t/b/3.js", true)
            ]
        );
    }

    #[test]
    fn a_search_folder_to_replace_whole_is_planned_again_from_a_full_listing() {
        let old = [
            ("_search/meta.js", "m1"),
            ("_search/p/1.js", "p1"),
            ("_search/q/2.js", "q2"),
        ];
        let fx = fixture(
            &[
                ("_search/meta.js", "m2"),
                ("_search/p/1.js", "p1 changed"),
                ("_search/p/3.js", "p3"),
                ("_search/q/2.js", "q2"),
            ],
            &old,
        );
        let rels: Vec<&str> = old.iter().map(|(r, _)| *r).collect();
        let m = owned(&fx, &rels);
        // _search/q is vouched for, but what else it holds must be known before the old
        // _search goes.
        fs::write(fx.dest.join("_search/q/notes.txt"), "mine").unwrap();
        let (plan, _) = plan_trusting(&fx, &m, false, true).unwrap();
        assert!(plan.relist);
        let err = plan_for(&fx, &m, false).unwrap_err().to_string();
        assert!(err.contains("_search/q/notes.txt (in _search/"), "{err}");
    }
}
