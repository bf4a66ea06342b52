//! The blocks' segments of the document lists ([`Partial`]), kept in a
//! temporary file from the moment each block is built until the lists are
//! put together: at 100,000 reports they are about 740 MB, which a full
//! build held in memory until its end (#13). The lists are put together a
//! range of buckets at a time, each block's segments for the range read
//! back in one piece, so only a range's segments are in memory at once.
//!
//! The file has no name (`tempfile::tempfile`: the system removes it when
//! dangan exits, however it exits) and lives in the system's temporary
//! folder. A temporary folder that cannot be written leaves the segments in
//! memory, as before; one that cannot be read back stops the build with
//! [`SpillError`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::sync::Mutex;

use super::lists::Partial;

/// List buckets put together at a time in a full build: at 100,000
/// reports (16,384 buckets) about 46 MB of segments, one read per block.
/// Fewer at a time cost more CPU (the threads wait for each other at the
/// end of each range) for memory that no longer sets the peak.
pub(crate) const MERGE_BUCKETS: u32 = 1024;

/// The temporary file could not be read back.
#[derive(Debug)]
pub struct SpillError(pub io::Error);

impl std::fmt::Display for SpillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a temporary file of the search index: {}", self.0)
    }
}

impl std::error::Error for SpillError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Where a block's segments are in the file, and where each list bucket's
/// start in them (the bounds are small: they stay in memory).
#[derive(Clone)]
pub(crate) struct Spilled {
    /// Byte offset of the block's first word.
    offset: u64,
    starts: Vec<u64>,
    keys: Vec<u32>,
}

impl Spilled {
    /// Whether the block has any key in list bucket `d`.
    pub(crate) fn has_keys(&self, d: u32) -> bool {
        self.keys[d as usize] > 0
    }
}

/// The file the blocks' segments of one full build go to.
pub(crate) struct ListSpill {
    /// Positional reads are not portable: threads take turns (a read is a
    /// block's segments for a range of buckets, tens of KB).
    file: Mutex<File>,
    end: u64,
}

impl ListSpill {
    /// `None` when no temporary file can be made (the segments stay in memory).
    pub(crate) fn new() -> Option<ListSpill> {
        let file = tempfile::tempfile().ok()?;
        Some(ListSpill {
            file: Mutex::new(file),
            end: 0,
        })
    }

    /// Writes a block's segments to the file; gives them back when they
    /// cannot be written (the temporary folder is full).
    pub(crate) fn put(&mut self, p: Partial) -> Result<Spilled, Partial> {
        let (words, starts, keys) = p.into_parts();
        let mut bytes = Vec::with_capacity(words.len() * 8);
        for w in &words {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        let file = self.file.get_mut().expect("not poisoned");
        let written = file
            .seek(SeekFrom::Start(self.end))
            .and_then(|_| file.write_all(&bytes));
        if written.is_err() {
            return Err(Partial::of_range(words, 0, starts, keys));
        }
        let offset = self.end;
        self.end += bytes.len() as u64;
        Ok(Spilled {
            offset,
            starts,
            keys,
        })
    }

    /// The segments of block `s` for list buckets `ds` (from any thread).
    pub(crate) fn read(&self, s: &Spilled, ds: Range<u32>) -> Result<Partial, SpillError> {
        let (from, to) = (s.starts[ds.start as usize], s.starts[ds.end as usize]);
        let (w0, w1) = (from / 64, to.div_ceil(64));
        let mut bytes = vec![0; ((w1 - w0) * 8) as usize];
        {
            let mut file = self.file.lock().expect("not poisoned");
            file.seek(SeekFrom::Start(s.offset + w0 * 8))
                .and_then(|_| file.read_exact(&mut bytes))
                .map_err(SpillError)?;
        }
        let words = bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let (a, b) = (ds.start as usize, ds.end as usize);
        let starts = s.starts[a..=b].iter().map(|x| x - w0 * 64).collect();
        Ok(Partial::of_range(
            words,
            ds.start,
            starts,
            s.keys[a..b].to_vec(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::codec::BitWriter;
    use crate::search::layout::Key;
    use crate::search::lists::{Assembled, assemble};
    use std::collections::BTreeMap;

    /// A block's segments over `d_buckets` buckets: key `d` in each bucket
    /// `d` that `has` says, its segment `len` bits of a pattern.
    fn partial(d_buckets: u32, has: impl Fn(u32) -> bool, len: u64) -> Partial {
        let mut segs = BTreeMap::new();
        for d in (0..d_buckets).filter(|&d| has(d)) {
            let mut w = BitWriter::default();
            for i in 0..len {
                w.bits(u64::from((i + u64::from(d)) % 3 == 0), 1);
            }
            segs.insert(d, vec![(Key::of(&[0x4e00 + d]), w)]);
        }
        Partial::of_segments(d_buckets, &segs)
    }

    #[test]
    fn lists_put_together_from_the_file_equal_those_from_memory() {
        let blocks = [
            partial(40, |d| d % 2 == 0, 70),
            partial(40, |_| true, 5),
            partial(40, |d| d % 7 == 3, 200),
        ];
        let mut spill = ListSpill::new().unwrap();
        let spilled: Vec<Spilled> = blocks
            .iter()
            .map(|p| spill.put(p.clone()).ok().unwrap())
            .collect();
        let in_memory: Vec<&Partial> = blocks.iter().collect();
        for ds in [0..40, 0..1, 3..17, 39..40] {
            let read: Vec<Partial> = spilled
                .iter()
                .map(|s| spill.read(s, ds.clone()).unwrap())
                .collect();
            let read: Vec<&Partial> = read.iter().collect();
            for d in ds {
                // Lists over 64 bits get files of their own: both kinds compared.
                let words = |l: Assembled| {
                    let heavy = l.heavy.into_iter().map(|(k, w)| (k, w.into_words()));
                    (
                        l.bucket.map(BitWriter::into_words),
                        heavy.collect::<Vec<_>>(),
                    )
                };
                let (a, b) = (assemble(&in_memory, d, 64), assemble(&read, d, 64));
                assert_eq!(words(a), words(b), "bucket {d}");
                assert!(read[1].has_keys(d));
                assert_eq!(read[2].has_keys(d), d % 7 == 3);
            }
        }
    }
}
