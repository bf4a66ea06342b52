//! DEST's manifest (`.dangan-publish.json`): which files and folders dangan put there, with the
//! size, time stamp and content hash it saw, written atomically.
//!
//! At 3,000 reports the record is 1.8 MB, written twice by a publish: most saves write only
//! what changed since it was last written whole, to a small journal beside it
//! (`.dangan-publish.journal`, also replaced atomically), which names the record it goes with.
//! Once the journal grows past a quarter of the record, the record is written whole again
//! and the journal, naming an older record, no longer counts (and is removed).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{IoContext, PublishError};
use super::{JOURNAL_NAME, MANIFEST_NAME, tmp_name};
use crate::manifest::Kind;

const FORMAT: &str = "dangan-publish 1";
const JOURNAL_FORMAT: &str = "dangan-publish journal 1";
/// The journal is written instead of the whole record while it is at most this part of it.
const JOURNAL_SHARE: u64 = 4;

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
    /// Which writing of the whole record this is: a journal names it. 0 in records of earlier
    /// versions (which know no journal, and drop it when they write the record).
    #[serde(default, skip_serializing_if = "is_zero")]
    generation: u64,
    #[serde(skip)]
    dirty: bool,
    /// Bytes of the record as last read or written.
    #[serde(skip)]
    saved_size: u64,
    /// Bytes of the whole record as last read or written (0: none is).
    #[serde(skip)]
    base_size: u64,
    /// Files and folders set or removed since the whole record was written: the journal's.
    #[serde(skip)]
    touched: BTreeSet<String>,
    #[serde(skip)]
    touched_dirs: BTreeSet<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What changed since the whole record named `base` was written (`None`: removed).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    format: String,
    base: u64,
    #[serde(default)]
    files: BTreeMap<String, Option<Entry>>,
    /// Folders: true if dangan's, false if no longer.
    #[serde(default)]
    dirs: BTreeMap<String, bool>,
    /// `staged` and `check_all` as they are now, in full.
    #[serde(default)]
    staged: BTreeMap<String, Entry>,
    #[serde(default)]
    check_all: bool,
}

impl Manifest {
    pub(crate) fn path(dest: &Path) -> PathBuf {
        dest.join(MANIFEST_NAME)
    }

    fn journal_path(dest: &Path) -> PathBuf {
        dest.join(JOURNAL_NAME)
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
        m.base_size = bytes.len() as u64;
        if m.format != FORMAT {
            return Err(bad(format!("unknown format \"{}\"", m.format)));
        }
        if m.generation != 0 {
            m.read_journal(dest)?;
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

    /// Apply the journal beside the record, if it goes with this one.
    fn read_journal(&mut self, dest: &Path) -> Result<(), PublishError> {
        let path = Self::journal_path(dest);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).ctx("read", path),
        };
        let bad = |reason: String| PublishError::BadManifest {
            path: path.clone(),
            reason,
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if journal.format != JOURNAL_FORMAT {
            return Err(bad(format!("unknown format \"{}\"", journal.format)));
        }
        if journal.base != self.generation {
            return Ok(()); // left by a save of an earlier record: all in this one
        }
        for (rel, entry) in journal.files {
            match entry {
                Some(e) => self.files.insert(rel.clone(), e),
                None => self.files.remove(&rel),
            };
            self.touched.insert(rel);
        }
        for (rel, present) in journal.dirs {
            match present {
                true => self.dirs.insert(rel.clone()),
                false => self.dirs.remove(&rel),
            };
            self.touched_dirs.insert(rel);
        }
        self.staged = journal.staged;
        self.check_all = journal.check_all;
        self.saved_size = bytes.len() as u64;
        Ok(())
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
            self.touched.insert(rel.to_string());
            self.dirty = true;
        }
    }

    pub(crate) fn remove(&mut self, rel: &str) {
        if self.files.remove(rel).is_some() {
            self.touched.insert(rel.to_string());
            self.dirty = true;
        }
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
        if self.dirs.insert(rel.to_string()) {
            self.touched_dirs.insert(rel.to_string());
            self.dirty = true;
        }
    }

    pub(crate) fn remove_dir(&mut self, rel: &str) {
        if self.dirs.remove(rel) {
            self.touched_dirs.insert(rel.to_string());
            self.dirty = true;
        }
    }

    /// Save what changed: to the journal while it stays small, else the whole record. Either
    /// is written to a temporary name, flushed to the server, then renamed over the old one: a
    /// reader (or a killed run) sees the old one or the new one, never half of one.
    pub(crate) fn save(&mut self, dest: &Path) -> Result<(), PublishError> {
        if self.generation != 0 && self.base_size > 0 {
            let journal = Journal {
                format: JOURNAL_FORMAT.to_string(),
                base: self.generation,
                files: (self.touched.iter())
                    .map(|rel| (rel.clone(), self.files.get(rel).cloned()))
                    .collect(),
                dirs: (self.touched_dirs.iter())
                    .map(|rel| (rel.clone(), self.dirs.contains(rel)))
                    .collect(),
                staged: self.staged.clone(),
                check_all: self.check_all,
            };
            let json = serde_json::to_vec(&journal).expect("a journal always serializes");
            if json.len() as u64 * JOURNAL_SHARE <= self.base_size {
                write_atomically(dest, JOURNAL_NAME, &json)?;
                self.dirty = false;
                self.saved_size = json.len() as u64;
                return Ok(());
            }
        }
        self.generation = new_generation(self.generation);
        let json = serde_json::to_vec(self).expect("a manifest always serializes");
        write_atomically(dest, MANIFEST_NAME, &json)?;
        // The journal names the record before: it no longer counts either way.
        let _ = fs::remove_file(Self::journal_path(dest));
        self.touched.clear();
        self.touched_dirs.clear();
        self.dirty = false;
        self.saved_size = json.len() as u64;
        self.base_size = json.len() as u64;
        Ok(())
    }
}

fn write_atomically(dest: &Path, name: &str, bytes: &[u8]) -> Result<(), PublishError> {
    let (path, tmp) = (dest.join(name), dest.join(tmp_name(name)));
    let mut file = fs::File::create(&tmp).ctx("write", &tmp)?;
    file.write_all(bytes).ctx("write", &tmp)?;
    file.sync_all().ctx("write", &tmp)?;
    drop(file);
    fs::rename(&tmp, &path).ctx("replace", &path)
}

/// A number no other writing of a record is likely to have had: two PCs never write at once
/// (the lock), so the time, this process and the one before suffice.
fn new_generation(before: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos} {} {before}", std::process::id());
    xxhash_rust::xxh3::xxh3_64(seed.as_bytes()).max(1)
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

    /// A save after a few changes writes them to the journal, not the whole record; loading
    /// reads both; many changes write the record whole again, and a journal naming another
    /// record does not count.
    #[test]
    fn small_changes_go_to_the_journal_and_large_ones_rewrite_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |n: u64| Entry {
            size: n,
            mtime: Some(7),
            hash: "cd".repeat(16),
            kind: Some(Kind::SearchShard),
        };
        let mut m = Manifest::new();
        for n in 0..100 {
            m.set(&format!("_search/d/{n}.js"), entry(n));
        }
        m.add_dir("_search");
        m.save(dir.path()).unwrap();
        let record = fs::read(Manifest::path(dir.path())).unwrap();
        m.set("_search/d/new.js", entry(5));
        m.remove("_search/d/3.js");
        m.add_dir("unit");
        m.save(dir.path()).unwrap();
        assert_eq!(fs::read(Manifest::path(dir.path())).unwrap(), record);
        let journal = fs::read_to_string(Manifest::journal_path(dir.path())).unwrap();
        assert!(journal.len() < record.len() / 4, "{journal}");
        m.remove("_search/d/4.js");
        m.save(dir.path()).unwrap(); // the journal still has the changes before
        let back = Manifest::load(dir.path()).unwrap().unwrap();
        assert_eq!(back.files, m.files);
        assert_eq!(back.dirs, m.dirs);
        assert!(
            back.files.contains_key("_search/d/new.js")
                && !back.files.contains_key("_search/d/3.js")
        );
        let mut back = back;
        for n in 10..90 {
            back.set(&format!("_search/d/{n}.js"), entry(n + 1));
        }
        back.save(dir.path()).unwrap();
        assert!(
            !Manifest::journal_path(dir.path()).exists(),
            "written whole"
        );
        assert_eq!(
            Manifest::load(dir.path()).unwrap().unwrap().files,
            back.files
        );
        // A journal of another record (left by a run killed before removing it) is ignored.
        fs::write(Manifest::journal_path(dir.path()), &journal).unwrap();
        assert_eq!(
            Manifest::load(dir.path()).unwrap().unwrap().files,
            back.files
        );
        // A damaged one is reported, naming it.
        fs::write(Manifest::journal_path(dir.path()), "{").unwrap();
        let msg = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains(JOURNAL_NAME) && msg.contains("is damaged"),
            "{msg}"
        );
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
