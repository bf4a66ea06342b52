//! What a run makes of each report and a later step reads again (its body's
//! HTML for the compilations that bind it, its text for the search index),
//! spilled to a temporary file as the report's page is made: the bodies of
//! the whole archive (gigabytes at 100,000 reports) are never in memory.
//!
//! The file has no name (`tempfile::tempfile`: the system removes it when
//! dangan exits, however it exits) and lives in the system's temporary
//! folder, never in the output folder that is published.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::sync::Mutex;

use crate::output::OutputError;

/// Where a report's text is in the file.
#[derive(Clone, Copy)]
struct Slot {
    offset: u64,
    len: u32,
}

#[derive(Default)]
struct Index {
    slots: HashMap<String, Slot>,
    /// End of the file: where the next text goes.
    end: u64,
    /// Bytes of texts replaced or removed since.
    garbage: u64,
}

pub(super) struct Spill {
    file: File,
    index: Mutex<Index>,
}

/// Old texts are written over only when they take more room than the live
/// ones, and at least this much: a session of edits rarely copies anything.
const COMPACT_AFTER: u64 = 64 << 20;

impl Spill {
    pub(super) fn new() -> Result<Spill, OutputError> {
        Ok(Spill {
            file: tempfile::tempfile().map_err(temp_error)?,
            index: Mutex::default(),
        })
    }

    /// Keeps `text` for report `id`, in place of what it had (from any thread).
    pub(super) fn put(&self, id: &str, text: &str) -> Result<(), OutputError> {
        self.try_put(id, text).map_err(temp_error)
    }

    fn try_put(&self, id: &str, text: &str) -> io::Result<()> {
        let len = u32::try_from(text.len()).map_err(|_| io::Error::other("text over 4 GB"))?;
        let offset = {
            let mut ix = self.index.lock().expect("not poisoned");
            let offset = ix.end;
            ix.end += u64::from(len);
            offset
        };
        write_at(&self.file, text.as_bytes(), offset)?;
        let mut ix = self.index.lock().expect("not poisoned");
        if let Some(old) = ix.slots.insert(id.to_string(), Slot { offset, len }) {
            ix.garbage += u64::from(old.len);
        }
        Ok(())
    }

    /// What was kept for report `id`, if anything (from any thread).
    pub(super) fn get(&self, id: &str) -> Result<Option<String>, OutputError> {
        self.try_get(id).map_err(temp_error)
    }

    fn try_get(&self, id: &str) -> io::Result<Option<String>> {
        let slot = self
            .index
            .lock()
            .expect("not poisoned")
            .slots
            .get(id)
            .copied();
        let Some(slot) = slot else { return Ok(None) };
        let mut buf = vec![0; slot.len as usize];
        read_at(&self.file, &mut buf, slot.offset)?;
        crate::text::utf8_string(buf)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Forgets the texts of reports for which `keep` is false, and copies
    /// the live texts to a new file once the old ones take too much room.
    /// Returns quickly when there is nothing to forget and little to copy.
    pub(super) fn retain(&mut self, keep: impl Fn(&str) -> bool) -> Result<(), OutputError> {
        self.try_retain(keep).map_err(temp_error)
    }

    fn try_retain(&mut self, keep: impl Fn(&str) -> bool) -> io::Result<()> {
        let ix = self.index.get_mut().expect("not poisoned");
        let mut gone = 0;
        ix.slots.retain(|id, s| {
            let k = keep(id);
            if !k {
                gone += u64::from(s.len);
            }
            k
        });
        ix.garbage += gone;
        let live = ix.end - ix.garbage;
        if ix.garbage < COMPACT_AFTER || ix.garbage < live {
            return Ok(());
        }
        let file = tempfile::tempfile()?;
        let mut end = 0;
        let mut buf = Vec::new();
        for slot in ix.slots.values_mut() {
            buf.resize(slot.len as usize, 0);
            read_at(&self.file, &mut buf, slot.offset)?;
            write_at(&file, &buf, end)?;
            slot.offset = end;
            end += u64::from(slot.len);
        }
        (ix.end, ix.garbage) = (end, 0);
        self.file = file;
        Ok(())
    }

    /// Bytes the file holds, live texts and old ones.
    #[cfg(test)]
    fn size(&self) -> u64 {
        self.index.lock().expect("not poisoned").end
    }
}

impl From<crate::search::SpillError> for OutputError {
    fn from(e: crate::search::SpillError) -> OutputError {
        temp_error(e.0)
    }
}

/// A temporary file (a spill, the attachments' texts) that cannot be
/// written or read is the machine's problem, like an output folder that
/// cannot be: it names the folder.
pub(super) fn temp_error(source: io::Error) -> OutputError {
    OutputError::Temp {
        dir: std::env::temp_dir(),
        source,
    }
}

// Positional reads and writes, so that threads share the file without a lock
// around each read; std offers them per platform only.
#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => (buf, offset) = (&buf[n..], offset + n as u64),
        }
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => (buf, offset) = (&mut buf[n..], offset + n as u64),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_text_of_each_report_and_compacts_old_ones() {
        let mut spill = Spill::new().unwrap();
        spill.put("a.md", "第一稿").unwrap();
        spill.put("b.md", "乙").unwrap();
        spill.put("a.md", "第二稿").unwrap();
        assert_eq!(spill.get("a.md").unwrap().as_deref(), Some("第二稿"));
        assert_eq!(spill.get("b.md").unwrap().as_deref(), Some("乙"));
        assert_eq!(spill.get("c.md").unwrap(), None);
        spill.retain(|id| id != "b.md").unwrap();
        assert_eq!(spill.get("b.md").unwrap(), None);

        // Old texts past the threshold and past the live ones are dropped.
        let big = "字".repeat((COMPACT_AFTER / 3) as usize + 1); // over COMPACT_AFTER in UTF-8
        spill.put("big.md", &big).unwrap();
        spill.put("big.md", "小").unwrap();
        assert!(spill.size() > COMPACT_AFTER);
        spill.retain(|_| true).unwrap();
        assert_eq!(spill.size(), ("第二稿".len() + "小".len()) as u64);
        assert_eq!(spill.get("a.md").unwrap().as_deref(), Some("第二稿"));
        assert_eq!(spill.get("big.md").unwrap().as_deref(), Some("小"));
    }

    #[test]
    fn threads_write_and_read_side_by_side() {
        use rayon::prelude::*;
        let spill = Spill::new().unwrap();
        (0..500).into_par_iter().for_each(|i| {
            spill
                .put(&format!("{i}.md"), &format!("报告{i}").repeat(i))
                .unwrap();
        });
        (0..500).into_par_iter().for_each(|i| {
            let want = format!("报告{i}").repeat(i);
            assert_eq!(spill.get(&format!("{i}.md")).unwrap(), Some(want));
        });
    }
}
