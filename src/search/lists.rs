//! Document lists (`d/<bucket>`, and `k/<key>` for a key whose list is long):
//! for each string of one to four characters, every report containing it, how
//! often (as a class), whether in its title and whether only in the text of
//! an attachment. They are what a query loads
//! first: its results, and what ranks them.
//!
//! ```text
//! gamma(nkeys + 1)
//! per key, sorted: header (KeyDelta), gamma(bit length of the body + 1), body:
//!   gamma(nseg); per segment (one per block holding the key, in block order):
//!     gamma(block - prev_block), prev_block starting at -1;
//!     gamma(df), kd:5, 1 bit A: a report holds it only in an attachment;
//!     per report: rice(local - prev - 1, kd), gamma(tf class + 1),
//!     1 bit: in title, and when A and not in title, 1 bit: only in an
//!     attachment's text (ranked below the report's own text, issue #18)
//! ```
//!
//! The tf class of a count c is floor(log2 c): a report's entry changes only
//! when the key enters or leaves it, its title, or a power of two of
//! occurrences. A key's list is made of its blocks' segments as each block
//! wrote them ([`Partial`], [`super::ngrams`]): an edit rebuilds one block,
//! and each list it touches is put together again from the segments, without
//! reading any report again.

use std::collections::BTreeMap;

use super::codec::{BitWriter, KeyDelta, WordReader};
use super::layout::Key;

/// The class of an occurrence count: floor(log2 count).
pub(crate) fn tf_class(count: u32) -> u32 {
    31 - count.max(1).leading_zeros()
}

/// A block's segments of every list (or of a range of list buckets, read back
/// from a spill: [`super::spill`]): per list bucket, its keys in order, each
/// as header, gamma(segment bits + 1), segment.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Partial {
    words: Vec<u64>,
    /// The first list bucket it has (0 but for a range read back).
    first: u32,
    /// Per list bucket, where its keys start, then where the last one ends
    /// (the buckets follow each other).
    starts: Vec<u64>,
    /// Per list bucket, how many keys.
    keys: Vec<u32>,
}

impl Partial {
    /// A block's segments (`words`), and per list bucket their bit range
    /// (each starting where the one before ends) and key count.
    pub(crate) fn new(words: Vec<u64>, spans: Vec<(u64, u64, u32)>) -> Partial {
        debug_assert!(spans.windows(2).all(|w| w[0].1 == w[1].0));
        let mut starts: Vec<u64> = spans.iter().map(|s| s.0).collect();
        starts.push(spans.last().map_or(0, |s| s.1));
        Partial {
            words,
            first: 0,
            starts,
            keys: spans.iter().map(|s| s.2).collect(),
        }
    }

    /// The segments of list buckets `first..first + keys.len()` only:
    /// `words`, where each bucket's start in them (then where the last one
    /// ends), and each bucket's key count.
    pub(crate) fn of_range(
        words: Vec<u64>,
        first: u32,
        starts: Vec<u64>,
        keys: Vec<u32>,
    ) -> Partial {
        debug_assert_eq!(starts.len(), keys.len() + 1);
        Partial {
            words,
            first,
            starts,
            keys,
        }
    }

    /// Its words, and per list bucket where its keys start (then where the
    /// last one ends) and how many; of a whole block's segments.
    pub(crate) fn into_parts(self) -> (Vec<u64>, Vec<u64>, Vec<u32>) {
        debug_assert_eq!(self.first, 0);
        (self.words, self.starts, self.keys)
    }

    /// List bucket `d`'s bit range and key count.
    fn span(&self, d: u32) -> (u64, u64, u32) {
        let i = (d - self.first) as usize;
        (self.starts[i], self.starts[i + 1], self.keys[i])
    }

    /// Whether two blocks' versions hold the same segments for list bucket `d`.
    pub(crate) fn same_bucket(&self, other: &Partial, d: u32) -> bool {
        let (a, b) = (self.span(d), other.span(d));
        if a.1 - a.0 != b.1 - b.0 || a.2 != b.2 {
            return false;
        }
        let mut x = WordReader::new(&self.words, a.0);
        let mut y = WordReader::new(&other.words, b.0);
        let mut left = a.1 - a.0;
        while left > 0 {
            let n = left.min(64) as u32;
            if x.bits(n) != y.bits(n) {
                return false;
            }
            left -= u64::from(n);
        }
        true
    }

    /// Per list bucket, a hash of the block's segments for it (0 when it
    /// has no keys there): what the build cache keeps of a block, to tell
    /// which lists an edit of it changes (#15).
    pub(crate) fn bucket_hashes(&self) -> Vec<u64> {
        (self.first..self.first + self.keys.len() as u32)
            .map(|d| {
                let (from, to, n) = self.span(d);
                if n == 0 {
                    return 0;
                }
                let mut w = BitWriter::with_capacity(to - from);
                w.append_range(&self.words, from, to);
                // The bytes hashed in one call: the same hash as feeding
                // them to a streaming hasher word by word, at a fraction
                // of the cost.
                let words = w.into_words();
                let mut bytes = Vec::with_capacity(12 + 8 * words.len());
                bytes.extend_from_slice(&(to - from).to_le_bytes());
                bytes.extend_from_slice(&n.to_le_bytes());
                for word in words {
                    bytes.extend_from_slice(&word.to_le_bytes());
                }
                xxhash_rust::xxh3::xxh3_64(&bytes).max(1)
            })
            .collect()
    }

    /// A block's segments for some list buckets (`segs`: per bucket, its
    /// keys in order, each with its segment), none for the others, of
    /// `d_buckets` in all.
    pub(crate) fn of_segments(
        d_buckets: u32,
        segs: &BTreeMap<u32, Vec<(Key, BitWriter)>>,
    ) -> Partial {
        let mut w = BitWriter::default();
        let mut spans = Vec::with_capacity(d_buckets as usize);
        for d in 0..d_buckets {
            let at = w.bit_len();
            let mine = segs.get(&d).map_or(&[][..], Vec::as_slice);
            let mut prev = KeyDelta::default();
            for (key, seg) in mine {
                prev.write(*key, &mut w);
                w.gamma(seg.bit_len() + 1);
                w.append(seg);
            }
            spans.push((at, w.bit_len(), mine.len() as u32));
        }
        Partial::new(w.into_words(), spans)
    }

    /// A block with no keys in any of `d_buckets` list buckets.
    pub(crate) fn empty(d_buckets: u32) -> Partial {
        Partial::new(Vec::new(), vec![(0, 0, 0); d_buckets as usize])
    }

    /// Whether the block has any key in list bucket `d`.
    pub(crate) fn has_keys(&self, d: u32) -> bool {
        self.span(d).2 > 0
    }
}

/// One list bucket's files, from its segments in every block: the bucket's
/// file body (`None` when it holds no key), and the keys with a file of their own.
pub(crate) struct Assembled {
    pub bucket: Option<BitWriter>,
    pub heavy: Vec<(Key, BitWriter)>,
}

/// Puts list bucket `d` together from the blocks' partials (in block order).
/// A list longer than `heavy_bits` gets a file of its own, so that a query
/// for a rarer key of its bucket does not load it.
pub(crate) fn assemble(partials: &[&Partial], d: u32, heavy_bits: u64) -> Assembled {
    // Every (key, block, segment range), sorted by key then block.
    let mut segs: Vec<(Key, u32, u64, u64)> = Vec::new();
    for (b, p) in partials.iter().enumerate() {
        let (start, _, n) = p.span(d);
        let mut r = WordReader::new(&p.words, start);
        let mut prev = KeyDelta::default();
        for _ in 0..n {
            let key = prev.read(&mut r);
            let len = r.gamma() - 1;
            segs.push((key, b as u32, r.pos(), r.pos() + len));
            r.seek(r.pos() + len);
        }
    }
    segs.sort_unstable_by_key(|&(k, b, ..)| (k, b));
    let mut body = BitWriter::default();
    let mut nkeys = 0u64;
    let mut prev = KeyDelta::default();
    let mut heavy = Vec::new();
    let mut one = BitWriter::default();
    let mut i = 0;
    while i < segs.len() {
        let key = segs[i].0;
        let mut j = i;
        while j < segs.len() && segs[j].0 == key {
            j += 1;
        }
        one.clear();
        one.gamma((j - i) as u64);
        let mut pb = -1i64;
        for &(_, b, from, to) in &segs[i..j] {
            one.gamma((i64::from(b) - pb) as u64);
            one.append_range(&partials[b as usize].words, from, to);
            pb = i64::from(b);
        }
        if one.bit_len() > heavy_bits {
            let mut file = BitWriter::default();
            file.gamma(2);
            KeyDelta::default().write(key, &mut file);
            file.gamma(one.bit_len() + 1);
            file.append(&one);
            heavy.push((key, file));
        } else {
            prev.write(key, &mut body);
            body.gamma(one.bit_len() + 1);
            body.append(&one);
            nkeys += 1;
        }
        i = j;
    }
    let bucket = (nkeys > 0).then(|| {
        let mut file = BitWriter::default();
        file.gamma(nkeys + 1);
        file.append(&body);
        file
    });
    Assembled { bucket, heavy }
}

/// What [`assemble`] put together, taken apart again: every key's segment
/// of each block, as (key, block, segment), from the `nbits` bits of a list
/// bucket's file or of a key's own file. The build cache keeps no block's
/// segments (they are larger than the reports): an index read from it takes
/// those of the lists it puts together again from the files in the output
/// folder (#15). `None` if the bits do not read as a list file.
pub(crate) fn disassemble(words: &[u64], nbits: u64) -> Option<Vec<(Key, u32, BitWriter)>> {
    let mut r = WordReader::new(words, 0);
    // Every code read below is within the bits (a gamma code of zeros only
    // past the end would not end).
    let gamma = |r: &mut WordReader| (r.pos() < nbits).then(|| r.gamma());
    let mut out = Vec::new();
    let nkeys = gamma(&mut r)? - 1;
    let mut prev = KeyDelta::default();
    for _ in 0..nkeys {
        if r.pos() >= nbits {
            return None;
        }
        let key = prev.read(&mut r);
        let len = gamma(&mut r)? - 1;
        let end = r.pos().checked_add(len).filter(|&e| e <= nbits)?;
        let nseg = gamma(&mut r)?;
        let mut b = -1i64;
        for _ in 0..nseg {
            b += i64::try_from(gamma(&mut r)?).ok()?;
            let from = r.pos();
            let df = gamma(&mut r)?;
            let kd = r.bits(5) as u32;
            let some_attached = r.bits(1) == 1;
            for _ in 0..df {
                if r.pos() >= end {
                    return None;
                }
                r.rice(kd);
                gamma(&mut r)?;
                let title = r.bits(1) == 1;
                if some_attached && !title {
                    r.bits(1);
                }
            }
            if r.pos() > end {
                return None;
            }
            let mut seg = BitWriter::with_capacity(r.pos() - from);
            seg.append_range(words, from, r.pos());
            out.push((key, u32::try_from(b).ok()?, seg));
        }
        if r.pos() != end {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tf_classes_are_powers_of_two() {
        let c: Vec<u32> = [1, 2, 3, 4, 7, 8, 1000].map(tf_class).to_vec();
        assert_eq!(c, vec![0, 1, 1, 2, 2, 3, 9]);
    }
}
