//! Listing both sides: the built site's files as its manifest lists them, and what DEST holds
//! where the site goes, by one directory listing per folder (a share answers each file's
//! `stat` with a round trip, a listing with one for the whole folder).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{self, Metadata};
use std::path::Path;
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use super::error::{IoContext, PublishError};
use super::{JOURNAL_NAME, LOCK_NAME, MANIFEST_NAME, is_tmp_name, lock};
use crate::manifest::{self, Kind, ReadError};

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteFile {
    /// Path inside the site, `/`-separated.
    pub rel: String,
    pub kind: Kind,
}

/// The site's files, sorted by path, as the build's `.dangan-manifest` lists them: exactly
/// what the build wrote, not files someone dropped into the output folder or a killed
/// build's leftovers.
pub(crate) fn site_files(site: &Path) -> Result<Vec<SiteFile>, PublishError> {
    let not_built = |why: &'static str| PublishError::NotBuilt {
        site: site.to_path_buf(),
        why,
    };
    let listed = match manifest::read(site) {
        Ok(Some(m)) => m,
        Ok(None) => return Err(not_built("it has no .dangan-manifest")),
        Err(ReadError::Damaged(e)) => return Err(PublishError::BadBuildManifest(e)),
        Err(ReadError::Io(e)) => return Err(PublishError::File(e)),
    };
    let mut files = Vec::with_capacity(listed.outputs.len());
    for o in listed.outputs {
        let Some(kind) = o.kind else {
            return Err(not_built(
                "its last build did not finish, or an earlier version of dangan made it",
            ));
        };
        files.push(SiteFile { rel: o.path, kind });
    }
    Ok(files)
}

/// What DEST holds at one path, when it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DestStat {
    pub is_dir: bool,
    pub size: u64,
    pub mtime: Option<i64>,
}

impl DestStat {
    pub(crate) fn of(meta: &Metadata) -> DestStat {
        DestStat {
            is_dir: meta.is_dir(),
            size: meta.len(),
            mtime: mtime_ns(meta),
        }
    }
}

/// The size and time of one file in DEST as the share has it now; `None` if it is not there.
pub(crate) fn stat(dest: &Path, rel: &str) -> Result<Option<DestStat>, PublishError> {
    let path = dest.join(rel);
    match stat_now(&path) {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).ctx("check", path),
    }
}

/// Asked of the server, not of the client's cache: a share's client keeps a file's size and
/// time for a while (smbnetfs through FUSE for 1 s, the Linux cifs client for 1 s, Windows
/// for 10 s), so a page a colleague had just changed from another PC looked unchanged and was
/// overwritten (the SMB test met it). `AT_STATX_FORCE_SYNC` makes FUSE, cifs and NFS ask the
/// server. (On Windows, std opens the file to ask, which the server answers.)
#[cfg(target_os = "linux")]
fn stat_now(path: &Path) -> std::io::Result<DestStat> {
    use rustix::fs::{AtFlags, CWD, FileType, StatxFlags, statx};
    let mask = StatxFlags::TYPE | StatxFlags::SIZE | StatxFlags::MTIME;
    match statx(CWD, path, AtFlags::STATX_FORCE_SYNC, mask) {
        Ok(s) => Ok(DestStat {
            is_dir: FileType::from_raw_mode(s.stx_mode.into()) == FileType::Directory,
            size: s.stx_size,
            mtime: s
                .stx_mtime
                .tv_sec
                .checked_mul(1_000_000_000)
                .and_then(|ns| ns.checked_add(i64::from(s.stx_mtime.tv_nsec))),
        }),
        // A kernel older than statx (4.11): what the client knows is all there is.
        Err(rustix::io::Errno::NOSYS) => fs::metadata(path).map(|m| DestStat::of(&m)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn stat_now(path: &Path) -> std::io::Result<DestStat> {
    fs::metadata(path).map(|m| DestStat::of(&m))
}

/// DEST as far as publishing cares: the names inside the folders the site or the manifest
/// uses (other folders, such as another tool's, are never entered), leftovers of killed runs,
/// and whether the root holds anything besides dangan's own dot-files.
#[derive(Debug, Default)]
pub(crate) struct DestIndex {
    /// Every name found, with whether it is a folder.
    pub entries: BTreeMap<String, bool>,
    /// Lower-cased path -> actual path, to spot names that clash on a case-blind share.
    pub folded: HashMap<String, String>,
    /// Files of earlier runs' temporary copies (`.name.dangan-tmp`, or anything inside a
    /// temporary folder `.folder.dangan-tmp/`), to reuse or remove. Few, so each is stat'ed.
    pub leftovers: BTreeMap<String, DestStat>,
    /// Temporary folders of earlier runs and the folders inside them.
    pub leftover_dirs: BTreeSet<String>,
    /// One entry of the root that is not dangan's bookkeeping (for the "not empty" message).
    pub root_example: Option<String>,
    /// How many folders were listed.
    pub listed: usize,
    /// Folders taken from the manifest instead of listed (see `plan::trusted_folders`).
    pub trusted: BTreeSet<String>,
}

impl DestIndex {
    pub(crate) fn contains(&self, rel: &str) -> bool {
        self.entries.contains_key(rel)
    }

    pub(crate) fn is_dir(&self, rel: &str) -> Option<bool> {
        self.entries.get(rel).copied()
    }

    /// Whether `rel` is in a folder taken from the manifest rather than listed.
    pub(crate) fn is_trusted(&self, rel: &str) -> bool {
        rel.rsplit_once('/')
            .is_some_and(|(dir, _)| self.trusted.contains(dir))
    }

    /// The entry whose name equals `rel` but for letter case, if there is one.
    pub(crate) fn case_twin(&self, rel: &str) -> Option<&str> {
        self.folded
            .get(&rel.to_lowercase())
            .map(String::as_str)
            .filter(|t| *t != rel)
    }
}

/// One folder's listing.
struct Listing {
    entries: Vec<(String, bool)>,
    leftovers: Vec<(String, DestStat)>,
    leftover_dirs: Vec<String>,
}

/// List DEST, folder by folder (each level's folders in parallel, as a share answers them
/// one round trip each), entering only folders that hold (or will hold) paths in `wanted`,
/// in any letter case. A folder in `trusted` that its parent's listing shows is not listed:
/// it is taken to hold the files `trusted` names, and nothing else.
pub(crate) fn dest_index<'a>(
    dest: &Path,
    wanted: impl Iterator<Item = &'a str>,
    trusted: &HashMap<String, Vec<String>>,
) -> Result<DestIndex, PublishError> {
    let mut dirs: HashSet<String> = HashSet::new();
    for rel in wanted {
        let folded = rel.to_lowercase();
        for (end, _) in folded.match_indices('/') {
            dirs.insert(folded[..end].to_string());
        }
    }
    let mut index = DestIndex::default();
    let mut level = vec![String::new()];
    while !level.is_empty() {
        let listings: Vec<Listing> = level
            .par_iter()
            .map(|dir| list(dest, dir))
            .collect::<Result<_, _>>()?;
        index.listed += level.len();
        let mut next = Vec::new();
        for (dir, listing) in level.iter().zip(listings) {
            for (rel, is_dir) in listing.entries {
                if dir.is_empty() && index.root_example.as_ref().is_none_or(|e| rel < *e) {
                    index.root_example = Some(rel.clone());
                }
                if let Some(files) = trusted.get(&rel).filter(|_| is_dir) {
                    index.trusted.insert(rel.clone());
                    for file in files {
                        index.folded.insert(file.to_lowercase(), file.clone());
                        index.entries.insert(file.clone(), false);
                    }
                } else if is_dir && dirs.contains(&rel.to_lowercase()) {
                    next.push(rel.clone());
                }
                index.folded.insert(rel.to_lowercase(), rel.clone());
                index.entries.insert(rel, is_dir);
            }
            index.leftovers.extend(listing.leftovers);
            index.leftover_dirs.extend(listing.leftover_dirs);
        }
        level = next;
    }
    Ok(index)
}

/// The names in one folder of DEST; temporary folders are walked whole (they are dangan's,
/// and small: only a killed run leaves them).
fn list(dest: &Path, dir: &str) -> Result<Listing, PublishError> {
    let path = if dir.is_empty() {
        dest.to_path_buf()
    } else {
        dest.join(dir)
    };
    let mut out = Listing {
        entries: Vec::new(),
        leftovers: Vec::new(),
        leftover_dirs: Vec::new(),
    };
    for entry in fs::read_dir(&path).ctx("list", &path)? {
        let entry = entry.ctx("list", &path)?;
        let Some(name) = entry.file_name().to_str().map(String::from) else {
            continue; // a foreign name we could not write anyway
        };
        if dir.is_empty() && [MANIFEST_NAME, JOURNAL_NAME, LOCK_NAME].contains(&name.as_str()) {
            continue;
        }
        if dir.is_empty() && lock::is_recent_temporary(&name, &entry) {
            continue; // another PC's lock, being made or taken over right now
        }
        let rel = join(dir, &name);
        let file_type = entry.file_type().ctx("list", entry.path())?;
        let is_dir = match file_type.is_symlink() {
            true => fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
            false => file_type.is_dir(),
        };
        match (is_tmp_name(&name), is_dir) {
            (true, true) => walk_leftovers(dest, rel, &mut out)?,
            // Another publish's probe of the share's clock comes and goes: one gone since
            // the listing is no leftover.
            (true, false) => match entry.metadata() {
                Ok(meta) => out.leftovers.push((rel, DestStat::of(&meta))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).ctx("check", entry.path()),
            },
            (false, _) => out.entries.push((rel, is_dir)),
        }
    }
    Ok(out)
}

fn walk_leftovers(dest: &Path, top: String, out: &mut Listing) -> Result<(), PublishError> {
    for entry in walkdir::WalkDir::new(dest.join(&top)) {
        let entry = match entry {
            // Gone meanwhile: another publish removed it (a leftover is nobody's to keep).
            Err(e)
                if e.io_error()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
            {
                continue;
            }
            entry => entry.map_err(|e| walk_error(e, dest))?,
        };
        let rel_path = entry.path().strip_prefix(dest).expect("inside");
        let Some(rel) = rel_string(rel_path) else {
            continue;
        };
        if entry.file_type().is_dir() {
            out.leftover_dirs.push(rel);
        } else {
            match entry.metadata() {
                Ok(meta) => out.leftovers.push((rel, DestStat::of(&meta))),
                Err(e)
                    if e.io_error()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) => {}
                Err(e) => return Err(walk_error(e, dest)),
            }
        }
    }
    Ok(())
}

fn join(dir: &str, name: &str) -> String {
    match dir.is_empty() {
        true => name.to_string(),
        false => format!("{dir}/{name}"),
    }
}

/// `a/b/c` from a relative path; `None` when a component is not Unicode.
pub(crate) fn rel_string(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/"))
}

pub(crate) fn mtime_ns(meta: &Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    Some(match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok()?,
        Err(e) => -i64::try_from(e.duration().as_nanos()).ok()?,
    })
}

fn walk_error(e: walkdir::Error, root: &Path) -> PublishError {
    let path = e.path().unwrap_or(root).to_path_buf();
    let source = e
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("a folder link loops back on itself"));
    PublishError::Io {
        action: "read",
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, rel).unwrap();
    }

    #[test]
    fn site_files_are_what_the_build_manifest_lists() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "index.html",
            "unit/b.html",
            "notes.txt",
            "unit/.c.html.dangan-tmp",
        ] {
            touch(dir.path(), rel);
        }
        let out = |path: &str, kind| manifest::Output {
            path: path.into(),
            kind,
            links: Vec::new(),
        };
        manifest::write(
            dir.path(),
            &[
                out("index.html", Kind::Home),
                out("unit/b.html", Kind::Index),
            ],
        )
        .unwrap();
        let files = site_files(dir.path()).unwrap();
        let rels: Vec<(&str, Kind)> = files.iter().map(|f| (f.rel.as_str(), f.kind)).collect();
        assert_eq!(
            rels,
            [("index.html", Kind::Home), ("unit/b.html", Kind::Index)]
        );
    }

    #[test]
    fn a_folder_without_a_current_build_manifest_is_not_a_built_site() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "index.html");
        let msg = site_files(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("no .dangan-manifest") && msg.contains("dangan build"),
            "{msg}"
        );
        fs::write(
            dir.path().join(manifest::MANIFEST),
            "# files written by dangan; dangan deletes only files listed here\nindex.html\n",
        )
        .unwrap();
        let msg = site_files(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("did not finish"), "{msg}");
    }

    #[test]
    fn dest_index_enters_only_the_site_folders_and_finds_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for rel in [
            "unit/a.html",
            "unit/.b.html.dangan-tmp",
            "Other/tool.db",
            "notice.txt",
            "unit/.new.dangan-tmp/sub/c.html",
        ] {
            touch(d, rel);
        }
        touch(d, MANIFEST_NAME);
        let index = dest_index(
            d,
            ["unit/a.html", "index.html"].into_iter(),
            &HashMap::new(),
        )
        .unwrap();
        let rels: Vec<_> = index.entries.keys().map(String::as_str).collect();
        assert_eq!(rels, ["Other", "notice.txt", "unit", "unit/a.html"]); // not Other/tool.db
        assert_eq!(index.is_dir("unit"), Some(true));
        assert_eq!(index.is_dir("unit/a.html"), Some(false));
        assert_eq!(
            index.leftovers.keys().collect::<Vec<_>>(),
            ["unit/.b.html.dangan-tmp", "unit/.new.dangan-tmp/sub/c.html"]
        );
        assert_eq!(
            index.leftover_dirs.iter().collect::<Vec<_>>(),
            ["unit/.new.dangan-tmp", "unit/.new.dangan-tmp/sub"]
        );
        assert_eq!(index.root_example.as_deref(), Some("Other"));
        assert_eq!(index.case_twin("UNIT/A.html"), Some("unit/a.html"));
        assert_eq!(index.case_twin("unit/a.html"), None);
        assert_eq!(index.listed, 2, "the root and unit/");
    }

    #[test]
    fn a_stat_asked_of_the_server_reads_as_the_listing_does() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "unit/a.html");
        let old = std::time::SystemTime::UNIX_EPOCH - std::time::Duration::new(5, 250);
        for when in [std::time::SystemTime::now(), old] {
            let file = fs::File::options()
                .write(true)
                .open(dir.path().join("unit/a.html"))
                .unwrap();
            file.set_modified(when).unwrap();
            let meta = fs::metadata(dir.path().join("unit/a.html")).unwrap();
            // The manifest records one and the next run compares the other with it.
            assert_eq!(
                stat(dir.path(), "unit/a.html").unwrap(),
                Some(DestStat::of(&meta))
            );
        }
        assert_eq!(
            stat(dir.path(), "unit").unwrap().map(|s| s.is_dir),
            Some(true)
        );
        assert_eq!(stat(dir.path(), "unit/gone.html").unwrap(), None);
    }

    #[test]
    fn a_root_with_only_bookkeeping_counts_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), LOCK_NAME);
        touch(dir.path(), ".x.html.dangan-tmp");
        let index = dest_index(dir.path(), std::iter::empty(), &HashMap::new()).unwrap();
        assert_eq!(index.root_example, None);
        assert_eq!(
            index.leftovers.keys().collect::<Vec<_>>(),
            [".x.html.dangan-tmp"]
        );
    }
}
