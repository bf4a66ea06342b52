//! DEST's manifest (`.dangan-publish.json`): which files and folders dangan put there, with the
//! size, time stamp and content hash it saw, written atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{IoContext, PublishError};
use super::{MANIFEST_NAME, tmp_name};
use crate::manifest::Kind;

const FORMAT: &str = "dangan-publish 1";

/// What dangan knows about one file it wrote to DEST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub size: u64,
    /// Modification time (ns since 1970) seen right after the file was put in place; `None`
    /// while the file is being switched, so a resumed run re-reads it instead of trusting it.
    pub mtime: Option<i64>,
    /// xxh3-128 of the content, 32 hex digits.
    pub hash: String,
    /// What the build said the file is (for the order of removal); absent in records of
    /// earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    format: String,
    pub files: BTreeMap<String, Entry>,
    /// Folders dangan created, so it may remove them once they are empty.
    #[serde(default)]
    pub dirs: BTreeSet<String>,
    /// Finished temporary copies (`.name.dangan-tmp`) not yet switched into place, keyed by the
    /// file they are for: a run interrupted before the switch leaves them for the next to use.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub staged: BTreeMap<String, Entry>,
    /// Set when a failed publish could not remove all its temporary copies: the next lists
    /// every folder (it otherwise takes some from this record, and would not find them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_all: bool,
    #[serde(skip)]
    dirty: bool,
    /// Bytes of the record as last read or written.
    #[serde(skip)]
    saved_size: u64,
}

impl Manifest {
    pub(crate) fn path(dest: &Path) -> PathBuf {
        dest.join(MANIFEST_NAME)
    }

    /// The manifest of `dest`, or `None` when dangan has never published there.
    pub(crate) fn load(dest: &Path) -> Result<Option<Manifest>, PublishError> {
        let path = Self::path(dest);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).ctx("read", path),
        };
        let bad = |reason: String| PublishError::BadManifest {
            path: path.clone(),
            reason,
        };
        let mut m: Manifest = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        m.saved_size = bytes.len() as u64;
        if m.format != FORMAT {
            return Err(bad(format!("unknown format \"{}\"", m.format)));
        }
        // Whoever may write on the share may write this record: a name in it that leaves DEST
        // (`../x`, `/x`, or on Windows `C:x`, `..\\x`) would make publish remove what is there
        // (an empty folder outside the share was) (#12 item 11).
        let names = m.files.keys().chain(m.staged.keys()).chain(&m.dirs);
        if let Some(name) = names
            .into_iter()
            .find(|n| crate::manifest::check_path(n).is_err() || n.contains(['\\', ':']))
        {
            return Err(bad(format!("\"{name}\" is not a place inside the share")));
        }
        Ok(Some(m))
    }

    pub(crate) fn new() -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            dirty: true,
            ..Manifest::default()
        }
    }

    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Bytes of the record as last read or written (none for a new one).
    pub(crate) fn saved_size(&self) -> u64 {
        self.saved_size
    }

    pub(crate) fn set(&mut self, rel: &str, entry: Entry) {
        if self.files.get(rel) != Some(&entry) {
            self.files.insert(rel.to_string(), entry);
            self.dirty = true;
        }
    }

    pub(crate) fn remove(&mut self, rel: &str) {
        self.dirty |= self.files.remove(rel).is_some();
    }

    pub(crate) fn set_staged(&mut self, rel: &str, entry: Entry) {
        self.staged.insert(rel.to_string(), entry);
        self.dirty = true;
    }

    /// Keep only the staged records `keep` approves of.
    pub(crate) fn retain_staged(&mut self, keep: impl Fn(&str) -> bool) {
        let before = self.staged.len();
        self.staged.retain(|rel, _| keep(rel));
        self.dirty |= self.staged.len() != before;
    }

    pub(crate) fn set_check_all(&mut self, check_all: bool) {
        self.dirty |= self.check_all != check_all;
        self.check_all = check_all;
    }

    pub(crate) fn add_dir(&mut self, rel: &str) {
        self.dirty |= self.dirs.insert(rel.to_string());
    }

    pub(crate) fn remove_dir(&mut self, rel: &str) {
        self.dirty |= self.dirs.remove(rel);
    }

    /// Write to a temporary name, flush to the server, then rename over the old manifest: a
    /// reader (or a killed run) sees the old manifest or the new one, never half of one.
    pub(crate) fn save(&mut self, dest: &Path) -> Result<(), PublishError> {
        let path = Self::path(dest);
        let tmp = dest.join(tmp_name(MANIFEST_NAME));
        let json = serde_json::to_vec(self).expect("a manifest always serializes");
        let mut file = fs::File::create(&tmp).ctx("write", &tmp)?;
        file.write_all(&json).ctx("write", &tmp)?;
        file.sync_all().ctx("write", &tmp)?;
        drop(file);
        fs::rename(&tmp, &path).ctx("replace", &path)?;
        self.dirty = false;
        self.saved_size = json.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::new();
        let entry = Entry {
            size: 3,
            mtime: Some(-5),
            hash: "ab".repeat(16),
            kind: Some(Kind::Report),
        };
        m.set("unit/市委.html", entry.clone());
        m.add_dir("unit");
        m.save(dir.path()).unwrap();
        assert!(!m.is_dirty());
        let back = Manifest::load(dir.path()).unwrap().unwrap();
        assert_eq!(back.files["unit/市委.html"], entry);
        assert!(back.dirs.contains("unit"));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [MANIFEST_NAME]);
    }

    #[test]
    fn missing_manifest_is_none_and_garbage_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Manifest::load(dir.path()).unwrap().is_none());
        fs::write(dir.path().join(MANIFEST_NAME), "{not json").unwrap();
        let msg = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("is damaged") && msg.contains("--adopt"),
            "{msg}"
        );
    }

    #[test]
    fn setting_the_same_entry_does_not_dirty() {
        let mut m = Manifest::new();
        let e = Entry {
            size: 1,
            mtime: None,
            hash: String::new(),
            kind: None,
        };
        m.set("a", e.clone());
        m.dirty = false;
        m.set("a", e);
        assert!(!m.is_dirty());
        m.remove("b");
        assert!(!m.is_dirty());
    }

    #[test]
    fn a_request_to_list_every_folder_is_kept_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::new();
        m.save(dir.path()).unwrap();
        let json = fs::read_to_string(Manifest::path(dir.path())).unwrap();
        assert!(!json.contains("check_all"), "{json}"); // as earlier versions wrote it
        m.set_check_all(true);
        assert!(m.is_dirty());
        m.save(dir.path()).unwrap();
        let mut back = Manifest::load(dir.path()).unwrap().unwrap();
        assert!(back.check_all);
        back.set_check_all(false);
        back.save(dir.path()).unwrap();
        assert!(!Manifest::load(dir.path()).unwrap().unwrap().check_all);
    }
}
