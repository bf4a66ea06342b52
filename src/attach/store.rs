//! What was read of each attachment during a session, so that a rebuild
//! reads again only the attachments that changed. The texts are kept in a
//! temporary file, not in memory (at 100,000 reports their attachments say
//! gigabytes); the file has no name, so the system removes it however dangan
//! exits, and it is never in the output folder that is published.
//!
//! An attachment counts as changed when its size or modification time
//! differs from when it was read, or, when it was read within a few seconds
//! of its last change (a second change in the same tick of a coarse clock,
//! as on FAT and SMB shares, would not show), when its bytes differ.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

use super::{Cut, Kind, Limits, Unreadable, extract};
use crate::cache::{Reader, Writer};
use crate::diag::Diagnostic;
use crate::model::ContentFile;

/// Changes this close to a reading may share its clock tick (FAT and SMB
/// keep times to 2 seconds).
const RACY: Duration = Duration::from_secs(3);

/// Old texts are copied away only when they take more room than the live
/// ones, and at least this much.
const COMPACT_AFTER: u64 = 64 << 20;

/// The texts of a session's attachments.
pub struct Store {
    file: Mutex<File>,
    end: u64,
    /// Bytes of texts replaced or forgotten since the file was last compacted.
    garbage: u64,
    entries: BTreeMap<String, Entry>,
    limits: Limits,
    /// Held while a large file is read: one at a time.
    large: Mutex<()>,
    /// Something was read or forgotten since the store was last saved.
    dirty: bool,
}

#[derive(Clone, Debug)]
struct Entry {
    kind: Kind,
    size: u64,
    modified: Option<SystemTime>,
    hash: Option<u128>,
    /// Read so soon after its last change that its bytes are compared next time.
    racy: bool,
    /// Where its text is in the file (none when it had none).
    slot: Option<(u64, u32)>,
    cut: Option<Cut>,
    problem: Option<Unreadable>,
}

impl Store {
    pub fn new(limits: Limits) -> io::Result<Store> {
        Ok(Store {
            file: Mutex::new(tempfile::tempfile()?),
            end: 0,
            garbage: 0,
            entries: BTreeMap::new(),
            limits,
            large: Mutex::new(()),
            dirty: true,
        })
    }

    /// What a later process needs to read only what changed since:
    /// each entry with its text. Texts cut for time are left out (another
    /// try, on a less busy machine, may read more).
    pub fn save(&mut self) -> io::Result<Vec<u8>> {
        let mut w = Writer::default();
        let kept: Vec<(&String, &Entry)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.cut != Some(Cut::Time))
            .collect();
        w.u64(kept.len() as u64);
        for (rel, e) in kept {
            w.str(rel);
            w.u8(e.kind as u8);
            w.u64(e.size);
            match e.modified.map(|m| m.duration_since(SystemTime::UNIX_EPOCH)) {
                Some(Ok(d)) => {
                    w.u8(1);
                    w.u64(d.as_secs());
                    w.u32(d.subsec_nanos());
                }
                // Before 1970, or unknown: never the same, so read again.
                _ => w.u8(0),
            }
            match e.hash {
                Some(h) => {
                    w.u8(1);
                    w.u128(h);
                }
                None => w.u8(0),
            }
            w.u8(u8::from(e.racy));
            w.u8(match e.cut {
                None => 0,
                Some(Cut::Text) => 1,
                Some(Cut::Time) => 2,
            });
            match &e.problem {
                Some(u) => {
                    w.u8(1);
                    w.str(&u.message);
                    w.str(&u.hint);
                }
                None => w.u8(0),
            }
            match self.text(rel)? {
                Some(t) => {
                    w.u8(1);
                    w.str(&t);
                }
                None => w.u8(0),
            }
        }
        self.dirty = false;
        Ok(w.0)
    }

    /// A store with what [`save`](Self::save) gave; `None` if `payload` is
    /// not that (it passed the cache's checksum, so this is dangan's own
    /// mistake, and the store starts empty).
    pub fn restore(payload: &[u8], limits: Limits) -> io::Result<Option<Store>> {
        let mut store = Store::new(limits)?;
        let mut r = Reader::new(payload);
        let Some(n) = r.u64() else {
            return Ok(None);
        };
        for _ in 0..n {
            let Some((rel, mut entry, text)) = read_entry(&mut r) else {
                return Ok(None);
            };
            if let Some(text) = text {
                let len = u32::try_from(text.len()).ok();
                let Some(len) = len else { return Ok(None) };
                write_at(&store.file, text.as_bytes(), store.end)?;
                entry.slot = Some((store.end, len));
                store.end += u64::from(len);
            }
            store.entries.insert(rel.to_string(), entry);
        }
        if !r.is_empty() {
            return Ok(None);
        }
        store.dirty = false;
        Ok(Some(store))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether something was read or forgotten since the store was saved or restored.
    pub fn dirty(&self) -> bool {
        self.dirty
    }

    /// Brings the store to `files` (the attachments of the published
    /// reports): reads those new or changed, several at once, and forgets
    /// the others. Returns how many were read.
    pub fn update(&mut self, files: &[&ContentFile]) -> io::Result<usize> {
        let mut wanted: BTreeMap<&str, (&ContentFile, Kind)> = BTreeMap::new();
        for f in files {
            if let Some(kind) = Kind::of(f.name()) {
                wanted.insert(f.rel.as_str(), (f, kind));
            }
        }
        let forgotten: Vec<String> = self
            .entries
            .keys()
            .filter(|k| !wanted.contains_key(k.as_str()))
            .cloned()
            .collect();
        for k in forgotten {
            self.forget(&k);
        }
        let now = SystemTime::now();
        let mut todo: Vec<(&ContentFile, Kind)> = Vec::new();
        for (f, kind) in wanted.into_values() {
            if !self.still_current(f, kind) {
                todo.push((f, kind));
            } else if let Some(e) = self.entries.get_mut(&f.rel) {
                // Its bytes were just found the same, and a change from now
                // on falls in a later tick: its time will tell.
                e.racy &= is_racy(e.modified, now);
            }
        }
        let file = &self.file;
        let end = Mutex::new(self.end);
        let (limits, large) = (&self.limits, &self.large);
        // Each text goes to the file as soon as it is read: the texts of
        // all attachments are never in memory together.
        let read: Vec<(String, Entry)> = todo
            .par_iter()
            .map(|&(f, kind)| {
                let started = SystemTime::now();
                let r = extract(&f.source, kind, limits, large);
                let (slot, cut, problem) = match r.result {
                    Ok(e) => {
                        let len = e.text.len() as u32;
                        let offset = {
                            let mut end = end.lock().expect("not poisoned");
                            let at = *end;
                            *end += u64::from(len);
                            at
                        };
                        write_at(file, e.text.as_bytes(), offset)?;
                        (Some((offset, len)), e.cut, None)
                    }
                    Err(u) => (None, None, Some(u)),
                };
                let entry = Entry {
                    kind,
                    size: r.size,
                    modified: r.modified,
                    hash: r.hash,
                    racy: is_racy(r.modified, started),
                    slot,
                    cut,
                    problem,
                };
                Ok((f.rel.clone(), entry))
            })
            .collect::<io::Result<_>>()?;
        self.end = end.into_inner().expect("not poisoned");
        let n = read.len();
        self.dirty |= n > 0;
        for (rel, entry) in read {
            self.forget(&rel);
            self.entries.insert(rel, entry);
        }
        self.compact()?;
        Ok(n)
    }

    /// Whether what was read of `f` still holds; brings the racy mark up to date.
    fn still_current(&self, f: &ContentFile, kind: Kind) -> bool {
        let Some(e) = self.entries.get(&f.rel) else {
            return false;
        };
        if e.kind != kind || e.size != f.size || e.modified != f.modified {
            return false;
        }
        if !e.racy {
            return true;
        }
        // Compared by its bytes, as `extract` hashed them.
        let cap = match kind {
            Kind::Text => (self.limits.text as u64).saturating_mul(4),
            _ => self.limits.file,
        };
        let mut bytes = Vec::new();
        crate::load::discover::open_regular(&f.source)
            .and_then(|file| file.take(cap).read_to_end(&mut bytes))
            .is_ok()
            && Some(xxhash_rust::xxh3::xxh3_128(&bytes)) == e.hash
    }

    fn forget(&mut self, rel: &str) {
        if let Some(e) = self.entries.remove(rel) {
            self.dirty = true;
            self.garbage += e.slot.map_or(0, |(_, len)| u64::from(len));
        }
    }

    /// The text of attachment `rel` (path under content/), if it has one.
    pub fn text(&self, rel: &str) -> io::Result<Option<String>> {
        let Some((offset, len)) = self.entries.get(rel).and_then(|e| e.slot) else {
            return Ok(None);
        };
        let mut buf = vec![0; len as usize];
        let mut file = self.file.lock().expect("not poisoned");
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut buf)?;
        String::from_utf8(buf)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// A warning for each attachment that could not be read, or only in part.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let limits = &self.limits;
        self.entries
            .iter()
            .filter_map(|(rel, e)| {
                let path = format!("{}/{rel}", crate::load::CONTENT_DIR);
                let d = match (&e.problem, e.cut) {
                    (Some(u), _) => Diagnostic::warning(path, &u.message).hint(&u.hint),
                    (None, Some(Cut::Text)) => Diagnostic::warning(
                        path,
                        format!(
                            "holds more text than is read of one attachment ({}); only its beginning is searched",
                            crate::human::byte_size(limits.text as u64)
                        ),
                    )
                    .hint("split it into smaller files if all of it should be found"),
                    (None, Some(Cut::Time)) => Diagnostic::warning(
                        path,
                        format!(
                            "took more than {} s to read; only the text read by then is searched",
                            limits.time.as_secs()
                        ),
                    )
                    .hint("save it again (a PDF without images, or the .docx itself) if all of it should be found"),
                    (None, None) => return None,
                };
                Some(d)
            })
            .collect()
    }

    /// Copies the live texts to a new file once the old ones take too much room.
    fn compact(&mut self) -> io::Result<()> {
        let live = self.end - self.garbage;
        if self.garbage < COMPACT_AFTER || self.garbage < live {
            return Ok(());
        }
        let new = tempfile::tempfile()?;
        let mut end = 0;
        for e in self.entries.values_mut() {
            let Some((offset, len)) = e.slot else {
                continue;
            };
            let mut buf = vec![0; len as usize];
            {
                let mut old = self.file.lock().expect("not poisoned");
                old.seek(SeekFrom::Start(offset))?;
                old.read_exact(&mut buf)?;
            }
            write_at(&Mutex::new(&new), &buf, end)?;
            e.slot = Some((end, len));
            end += u64::from(len);
        }
        (self.end, self.garbage) = (end, 0);
        self.file = Mutex::new(new);
        Ok(())
    }
}

/// One entry as [`Store::save`] wrote it, with its text.
fn read_entry<'a>(r: &mut Reader<'a>) -> Option<(&'a str, Entry, Option<&'a str>)> {
    let rel = r.str()?;
    let kind = match r.u8()? {
        k if k == Kind::Docx as u8 => Kind::Docx,
        k if k == Kind::Xlsx as u8 => Kind::Xlsx,
        k if k == Kind::Pdf as u8 => Kind::Pdf,
        k if k == Kind::Text as u8 => Kind::Text,
        _ => return None,
    };
    let size = r.u64()?;
    let modified = match r.u8()? {
        0 => None,
        _ => Some(SystemTime::UNIX_EPOCH + Duration::new(r.u64()?, r.u32()?)),
    };
    let hash = match r.u8()? {
        0 => None,
        _ => Some(r.u128()?),
    };
    let racy = r.u8()? != 0;
    let cut = match r.u8()? {
        0 => None,
        1 => Some(Cut::Text),
        2 => Some(Cut::Time),
        _ => return None,
    };
    let problem = match r.u8()? {
        0 => None,
        _ => Some(Unreadable {
            message: r.str()?.to_string(),
            hint: r.str()?.to_string(),
        }),
    };
    let text = match r.u8()? {
        0 => None,
        _ => Some(r.str()?),
    };
    let entry = Entry {
        kind,
        size,
        modified,
        hash,
        racy,
        slot: None,
        cut,
        problem,
    };
    Some((rel, entry, text))
}

fn is_racy(modified: Option<SystemTime>, read: SystemTime) -> bool {
    match modified {
        Some(m) => m + RACY > read,
        None => true,
    }
}

fn write_at<F: Write + Seek>(file: &Mutex<F>, bytes: &[u8], offset: u64) -> io::Result<()> {
    let mut f = file.lock().expect("not poisoned");
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attach::LIMITS;

    fn file(dir: &std::path::Path, name: &str) -> ContentFile {
        let source = dir.join(name);
        let meta = std::fs::metadata(&source).unwrap();
        crate::load::content_file(dir, source, &meta)
    }

    #[test]
    fn only_new_and_changed_attachments_are_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.txt"), "甲的名单").unwrap();
        std::fs::write(d.join("b.txt"), "乙的名单").unwrap();
        std::fs::write(d.join("c.jpg"), "not read").unwrap();
        let mut store = Store::new(LIMITS).unwrap();
        let files = [file(d, "a.txt"), file(d, "b.txt"), file(d, "c.jpg")];
        let all: Vec<&ContentFile> = files.iter().collect();
        assert_eq!(store.update(&all).unwrap(), 2);
        // Written just now: compared by their bytes, which are the same.
        assert_eq!(store.update(&all).unwrap(), 0);
        std::fs::write(d.join("a.txt"), "甲的新名单，更长").unwrap();
        let files = [file(d, "a.txt"), file(d, "b.txt")];
        let all: Vec<&ContentFile> = files.iter().collect();
        assert_eq!(store.update(&all).unwrap(), 1);
        assert_eq!(
            store.text("a.txt").unwrap().as_deref(),
            Some("甲的新名单，更长")
        );
        // What a later process restores reads nothing again, and then
        // exactly what changed since.
        let payload = store.save().unwrap();
        let mut restored = Store::restore(&payload, LIMITS).unwrap().unwrap();
        assert!(!restored.dirty());
        assert_eq!(restored.update(&all).unwrap(), 0);
        assert_eq!(restored.text("b.txt").unwrap().as_deref(), Some("乙的名单"));
        std::fs::write(d.join("b.txt"), "乙的名册").unwrap(); // same size
        assert_eq!(restored.update(&all).unwrap(), 1);
        assert_eq!(restored.text("b.txt").unwrap().as_deref(), Some("乙的名册"));
        assert!(
            Store::restore(&payload[..payload.len() - 1], LIMITS)
                .unwrap()
                .is_none()
        );
        // Gone from the reports: forgotten.
        assert_eq!(store.update(&all[..1]).unwrap(), 0);
        assert_eq!(store.text("b.txt").unwrap(), None);
        assert!(store.diagnostics().is_empty());
    }
}
