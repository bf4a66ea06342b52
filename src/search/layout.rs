//! How the index is cut into files: report numbers, blocks, key buckets, and
//! the hashes behind them (mirrored by `keyHash` in search.js).
//!
//! Reports are numbered in date order (oldest first, ties by id), so that a
//! new report, usually the newest, takes the next number and renumbers no
//! other; "newer first" is "higher number first", and a year is a range of
//! numbers. Reports are cut into blocks of [`Layout::block`] consecutive
//! numbers: a block's reports are built together, its positions files
//! ([`super::positions`]) hold only them, so an edited report rewrites its
//! block's files and no other block's. Within a block, keys (a character or
//! a pair of characters) are spread over buckets by a hash of their code
//! points. Every count depends only on the number of reports (powers of two,
//! so that they change rarely); when they change, every file does.

/// Normalized characters per text piece (the unit loaded for a snippet).
pub(crate) const CHUNK_CHARS: usize = 8192;
/// Clusters repeated from the next piece, so that a match starting near the end
/// of a piece is whole inside it.
pub(crate) const CHUNK_OVERLAP: usize = 64;

/// Reports per shard of the length and facet files (`m/`, `f/`): a common
/// word's candidates span the whole archive, and the page pays more for each
/// file it loads (a script tag, a task to run it) than for a few KB more, so
/// 100,000 reports take 7 of each (about 26 and 20 KB), not 25.
pub(crate) const META_SPAN: u32 = 16_384;
/// Reports per shard of the text-name files (`n/`), loaded for the results shown.
pub(crate) const NAME_SPAN: u32 = 64;
/// Files named per leaf of the manifest (`l/`).
pub(crate) const LEAF_SPAN: u32 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Reports per block.
    pub block: u32,
    /// Buckets of the document lists (`d/`), over the whole archive.
    pub d_buckets: u32,
    /// A key whose document list passes this many bits gets a file of its own.
    pub heavy_bits: u64,
}

fn pow2(n: u32) -> u32 {
    n.max(1).next_power_of_two()
}

impl Layout {
    /// Blocks of about n/256 reports (at least 8, at most 1024); a list
    /// bucket for every two reports (files of a few KB, which an edit
    /// rewrites and a query for a rare key loads).
    pub(crate) fn for_count(n: usize) -> Layout {
        let n = n.min(u32::MAX as usize) as u32;
        Layout {
            block: pow2(n.div_ceil(256)).clamp(8, 1024),
            d_buckets: pow2(n.div_ceil(2)).clamp(16, 16_384),
            // 2 KB from 8,192 reports on; less below, where buckets are
            // small, but never under 16 bytes: a bound of a few bits gave a
            // small archive a file for nearly every key (1,320 files for 14
            // reports), which publish copies one by one.
            heavy_bits: (u64::from(pow2(n)) * 2).clamp(1024, 16_384),
        }
    }

    /// How many blocks `n` reports take.
    pub(crate) fn blocks(&self, n: usize) -> u32 {
        (n as u32).div_ceil(self.block)
    }

    /// The first number of a block.
    pub(crate) fn block_start(&self, b: u32) -> u32 {
        b * self.block
    }
}

/// The longest keys: terms up to this long are each one key of the index.
pub(crate) const MAX_GRAM: usize = 4;

/// A string of one to [`MAX_GRAM`] characters (an n-gram), packed so that
/// sorting keys sorts them by length, then by their characters in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key(pub u128);

const CHAR: u128 = 0x1F_FFFF;

impl Key {
    /// From its code points (one to four).
    pub(crate) fn of(cps: &[u32]) -> Key {
        let mut v = (cps.len() as u128) << 84;
        for (i, &c) in cps.iter().enumerate() {
            v |= u128::from(c) << (63 - 21 * i);
        }
        Key(v)
    }
    pub(crate) fn of_chars(cs: &[char]) -> Key {
        let cps: Vec<u32> = cs.iter().map(|&c| c as u32).collect();
        Key::of(&cps)
    }
    /// 1 to 4 characters.
    pub(crate) fn len(self) -> usize {
        (self.0 >> 84) as usize
    }
    /// Its code points, first to last, then zeros ([`Key::len`] of them count).
    #[inline]
    pub(crate) fn cps(self) -> [u32; MAX_GRAM] {
        let c = |i: usize| (self.0 >> (63 - 21 * i) & CHAR) as u32;
        [c(0), c(1), c(2), c(3)]
    }
    /// Its code points, first to last.
    pub(crate) fn code_points(self) -> Vec<u32> {
        self.cps()[..self.len()].to_vec()
    }
}

/// FNV-1a over the key's code points, then a final mix for the low bits.
#[inline]
pub(crate) fn key_hash(key: Key) -> u32 {
    let (cps, n) = (key.cps(), key.len());
    let mut h = fnv_first(cps[0]);
    for &c in &cps[1..n] {
        h = fnv_next(h, c);
    }
    mix(h)
}

/// The first FNV-1a step of [`key_hash`]: computed once per character when
/// hashing many bigrams.
#[inline]
pub(crate) fn fnv_first(first: u32) -> u32 {
    (0x811C_9DC5 ^ first).wrapping_mul(0x0100_0193)
}

/// The next FNV-1a step: `h` for the characters so far, then `c`.
#[inline]
pub(crate) fn fnv_next(h: u32, c: u32) -> u32 {
    (h ^ c).wrapping_mul(0x0100_0193)
}

/// The final mix of [`key_hash`], after the FNV-1a steps.
#[inline]
pub(crate) fn mix(mut h: u32) -> u32 {
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}

/// The entry file: the only index file whose name never changes. It names the
/// leaves of the manifest, which name every other file by the hash of its bytes.
pub(crate) const ENTRY_PATH: &str = "_search/index.js";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_grows_in_powers_of_two() {
        let small = Layout::for_count(30);
        assert_eq!((small.block, small.blocks(30), small.d_buckets), (8, 4, 16));
        let l = Layout::for_count(10_000);
        assert_eq!(
            (l.block, l.blocks(10_000), l.d_buckets, l.heavy_bits),
            (64, 157, 8192, 16_384)
        );
        let big = Layout::for_count(100_000);
        assert_eq!((big.block, big.d_buckets), (512, 16_384));
        for n in [0, 1, 7, 500, 4097, 99_999] {
            let l = Layout::for_count(n);
            assert!(l.blocks(n) * l.block >= n as u32);
        }
    }

    #[test]
    fn keys_sort_by_length_then_characters_and_hash_by_order() {
        // keyHash() in search.js must agree; the browser test finds nothing otherwise.
        let k = |s: &str| Key::of_chars(&s.chars().collect::<Vec<_>>());
        assert_ne!(key_hash(k("党建")), key_hash(k("建党")));
        assert!(k("z") < k("aa"));
        assert!(k("𠀀𠀀") < k("aaa"));
        assert!(k("abc") < k("acb"));
        assert!(k("𠀀𠀀𠀀") < k("aaaa"));
        let q = k("基层党𠀀");
        assert_eq!(q.len(), 4);
        assert_eq!(
            q.code_points(),
            vec!['基' as u32, '层' as u32, '党' as u32, '𠀀' as u32]
        );
        assert_eq!(Key::of(&q.code_points()), q);
        // The incremental hash of the list builder is the same.
        let h = mix(fnv_next(fnv_first('党' as u32), '建' as u32));
        assert_eq!(h, key_hash(k("党建")));
    }
}
