//! Listing both sides: the built site's files, and what DEST holds where the site will go.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{self, Metadata};
use std::path::Path;
use std::time::UNIX_EPOCH;

use walkdir::WalkDir;

use super::error::{BadName, IoContext, PublishError};
use super::{BUILD_MANIFEST, LOCK_NAME, MANIFEST_NAME, is_tmp_name};

/// List the site's files (paths inside it, `/`-separated, sorted), without the build's own
/// `.dangan-manifest`. Names that are not Unicode come back as bad names (a share could not
/// hold them either). Sizes are left to the pass that reads the files anyway.
pub(crate) fn site_files(site: &Path) -> Result<(Vec<String>, Vec<BadName>), PublishError> {
    let mut files = Vec::new();
    let mut bad = Vec::new();
    for entry in WalkDir::new(site).min_depth(1).follow_links(true) {
        let entry = entry.map_err(|e| walk_error(e, site))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel_path = entry.path().strip_prefix(site).expect("walk stays inside");
        match rel_string(rel_path) {
            Some(rel) if rel == BUILD_MANIFEST => {}
            Some(rel) => files.push(rel),
            None => bad.push(BadName {
                path: rel_path.to_string_lossy().into_owned(),
                problem: "is not valid Unicode".to_string(),
            }),
        }
    }
    files.sort();
    // A built output lists what the build wrote: publish exactly that, not
    // files someone dropped into the output folder or a killed build's leftovers.
    if let Ok(text) = std::fs::read_to_string(site.join(BUILD_MANIFEST)) {
        let listed: std::collections::BTreeSet<String> = super::manifest::parse_build_list(&text)
            .into_iter()
            .collect();
        if let Some(missing) = listed.iter().find(|p| files.binary_search(p).is_err()) {
            return Err(PublishError::SiteIncomplete {
                site: site.to_path_buf(),
                missing: missing.clone(),
            });
        }
        files.retain(|f| listed.contains(f));
    }
    Ok((files, bad))
}

/// What DEST holds at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DestStat {
    pub is_dir: bool,
    pub size: u64,
    pub mtime: Option<i64>,
}

impl DestStat {
    pub fn of(meta: &Metadata) -> DestStat {
        DestStat {
            is_dir: meta.is_dir(),
            size: meta.len(),
            mtime: mtime_ns(meta),
        }
    }
}

/// DEST as far as publishing cares: every entry inside the folders the site or the manifest
/// uses (other folders, such as another tool's, are never entered), leftovers of killed runs,
/// and whether the root holds anything besides dangan's own dot-files.
#[derive(Debug, Default)]
pub(crate) struct DestIndex {
    pub entries: BTreeMap<String, DestStat>,
    /// Lower-cased path -> actual path, to spot names that clash on a case-blind share.
    pub folded: HashMap<String, String>,
    /// Files of earlier runs' temporary copies (`.name.dangan-tmp`, or anything inside a
    /// temporary folder `.folder.dangan-tmp/`), to reuse or remove.
    pub leftovers: BTreeMap<String, DestStat>,
    /// Temporary folders of earlier runs and the folders inside them.
    pub leftover_dirs: BTreeSet<String>,
    /// One entry of the root that is not dangan's bookkeeping (for the "not empty" message).
    pub root_example: Option<String>,
}

impl DestIndex {
    pub fn get(&self, rel: &str) -> Option<&DestStat> {
        self.entries.get(rel)
    }

    /// The entry whose name equals `rel` but for letter case, if there is one.
    pub fn case_twin(&self, rel: &str) -> Option<&str> {
        self.folded
            .get(&rel.to_lowercase())
            .map(String::as_str)
            .filter(|t| *t != rel)
    }
}

/// Walk DEST, entering only folders that hold (or will hold) paths in `wanted` (any case).
pub(crate) fn dest_index<'a>(
    dest: &Path,
    wanted: impl Iterator<Item = &'a str>,
) -> Result<DestIndex, PublishError> {
    let mut dirs: HashSet<String> = HashSet::new();
    for rel in wanted {
        let folded = rel.to_lowercase();
        for (end, _) in folded.match_indices('/') {
            dirs.insert(folded[..end].to_string());
        }
    }
    let mut index = DestIndex::default();
    let mut walk = WalkDir::new(dest).min_depth(1).into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| walk_error(e, dest))?;
        let Some(rel) = rel_string(entry.path().strip_prefix(dest).expect("inside")) else {
            continue; // a foreign name we could not write anyway
        };
        let temporary = rel.split('/').any(is_tmp_name);
        let is_dir = entry.file_type().is_dir();
        if is_dir && !temporary && !dirs.contains(&rel.to_lowercase()) {
            walk.skip_current_dir(); // note the folder, but never enter what is not ours
        }
        if entry.depth() == 1 && (rel == MANIFEST_NAME || rel == LOCK_NAME) {
            continue;
        }
        let stat = DestStat::of(&entry.metadata().map_err(|e| walk_error(e, dest))?);
        match (temporary, is_dir) {
            (true, true) => {
                index.leftover_dirs.insert(rel);
            }
            (true, false) => {
                index.leftovers.insert(rel, stat);
            }
            (false, _) => {
                index.folded.insert(rel.to_lowercase(), rel.clone());
                index.entries.insert(rel, stat);
            }
        }
    }
    index.root_example = root_example(dest)?;
    Ok(index)
}

/// Any entry of DEST's root other than dangan's bookkeeping files.
fn root_example(dest: &Path) -> Result<Option<String>, PublishError> {
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(dest).ctx("list", dest)? {
        let name = entry
            .ctx("list", dest)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != MANIFEST_NAME && name != LOCK_NAME && !is_tmp_name(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names.into_iter().next())
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
    fn site_files_are_sorted_and_skip_the_build_manifest() {
        let dir = tempfile::tempdir().unwrap();
        for rel in ["unit/b.html", "index.html", "a/.dangan-manifest"] {
            touch(dir.path(), rel);
        }
        std::fs::write(
            dir.path().join(".dangan-manifest"),
            "a/.dangan-manifest\nindex.html\nunit/b.html\n",
        )
        .unwrap();
        let (files, bad) = site_files(dir.path()).unwrap();
        assert_eq!(files, ["a/.dangan-manifest", "index.html", "unit/b.html"]);
        assert!(bad.is_empty());
    }

    #[test]
    fn a_built_site_publishes_only_what_its_build_manifest_lists() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "index.html",
            "unit/b.html",
            "notes.txt",
            "unit/.c.html.dangan-tmp",
        ] {
            touch(dir.path(), rel);
        }
        std::fs::write(
            dir.path().join(".dangan-manifest"),
            "# files written by dangan\nindex.html\nunit/b.html\n",
        )
        .unwrap();
        let (files, _) = site_files(dir.path()).unwrap();
        assert_eq!(files, ["index.html", "unit/b.html"]);
        std::fs::write(
            dir.path().join(".dangan-manifest"),
            "index.html\nunit/gone.html\n",
        )
        .unwrap();
        assert!(matches!(
            site_files(dir.path()),
            Err(PublishError::SiteIncomplete { .. })
        ));
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
        let index = dest_index(d, ["unit/a.html", "index.html"].into_iter()).unwrap();
        let rels: Vec<_> = index.entries.keys().map(String::as_str).collect();
        assert_eq!(rels, ["Other", "notice.txt", "unit", "unit/a.html"]); // not Other/tool.db
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
    }

    #[test]
    fn a_root_with_only_bookkeeping_counts_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), LOCK_NAME);
        touch(dir.path(), ".x.html.dangan-tmp");
        let index = dest_index(dir.path(), std::iter::empty()).unwrap();
        assert_eq!(index.root_example, None);
        assert_eq!(
            index.leftovers.keys().collect::<Vec<_>>(),
            [".x.html.dangan-tmp"]
        );
    }
}
