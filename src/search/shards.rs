//! The small per-report files, each covering a range of report numbers:
//!
//! - `m/<i>`: each report's length class, 7 bits ([`len_class`]), then the
//!   60-bit hash naming each `n/` file of its range; loaded for a query's
//!   candidates, to rank them (length-normalised, as BM25 does), and so
//!   naming the text names of the results without another file in between;
//! - `f/<i>`: each report's unit and type, `wu` and `wk` bits (indexes into the
//!   entry's lists); loaded for the filters and their counts;
//! - `n/<i>`: the names of each report's text pieces: gamma(pieces), then the
//!   60-bit hash naming each (`t/<aa>/<rest>`); loaded for the results shown.

use super::codec::{BitWriter, Named};
use super::prepare::Prepared;

/// Quarter-octave class of a stream length: 4 × floor(log2 len) plus the two
/// bits after the leading one, at most 127.
pub(crate) fn len_class(len: u32) -> u32 {
    if len < 4 {
        return len;
    }
    let b = 31 - len.leading_zeros();
    (4 * b + (len >> (b - 2) & 3)).min(127)
}

/// `m/<i>`: the length classes of `docs` (a range of numbers, in order),
/// then the hashes of the `n/` files of that range.
pub(crate) fn length_shard(i: usize, docs: &[&Prepared], names: &[u64]) -> Named {
    let mut w = BitWriter::default();
    for p in docs {
        w.bits(u64::from(len_class(p.stream_len)), 7);
    }
    for &h in names {
        w.bits(h, 60);
    }
    Named::bits(&format!("m/{i}"), &w)
}

/// `f/<i>`: unit and type of `docs`, as indexes of width `wu` and `wk`.
pub(crate) fn facet_shard(i: usize, facets: &[(u32, u32)], wu: u32, wk: u32) -> Named {
    let mut w = BitWriter::default();
    for &(u, k) in facets {
        w.bits(u64::from(u), wu);
        w.bits(u64::from(k), wk);
    }
    Named::bits(&format!("f/{i}"), &w)
}

/// `n/<i>`: the hashes naming each report's text pieces.
pub(crate) fn name_shard(i: usize, pieces: &[&[u64]]) -> Named {
    let mut w = BitWriter::default();
    for p in pieces {
        w.gamma(p.len() as u64 + 1);
        for &h in p.iter() {
            w.bits(h, 60);
        }
    }
    Named::bits(&format!("n/{i}"), &w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_classes_are_quarter_octaves() {
        assert_eq!(
            [0, 3, 4, 5, 7, 8, 1000, u32::MAX].map(len_class),
            [0, 3, 8, 9, 11, 12, 39, 127]
        );
        // Monotone: a longer report never has a lower class.
        let mut last = 0;
        for len in 0..100_000 {
            let c = len_class(len);
            assert!(c >= last);
            last = c;
        }
    }
}
