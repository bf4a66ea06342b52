//! How the index is cut into files: document blocks, key buckets, file paths, and
//! the hashes behind them (mirrored by `keyHash` in search.js).
//!
//! Reports are spread over `blocks` by a hash of their id, so adding or editing a
//! report rewrites only its own block's postings. Within a block, keys (a character
//! or a pair of characters) are spread over `buckets` by a hash of their code points,
//! so a query loads, for each key it needs, one file per block: 1/buckets of the
//! postings in all. Both counts depend only on the number of reports (powers of
//! two, so that they change rarely); when they change, every postings file does.

/// Normalized characters per text chunk (the unit loaded for a snippet).
pub(crate) const CHUNK_CHARS: usize = 8192;
/// Clusters repeated from the next chunk, so that a match starting near the end
/// of a chunk is whole inside it.
pub(crate) const CHUNK_OVERLAP: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub blocks: u32,
    pub buckets: u32,
}

impl Layout {
    /// About 2,000 reports a block, and buckets holding about 40 reports' worth of
    /// postings each (≈ 200 KB a key across all blocks at 10,000 reports).
    pub(crate) fn for_count(n: usize) -> Layout {
        let n = n.max(1) as u32;
        Layout {
            blocks: n.div_ceil(2000).next_power_of_two().min(16),
            buckets: n.div_ceil(40).next_power_of_two().min(1024),
        }
    }

    pub(crate) fn block_of(&self, id_hash: u32) -> u32 {
        id_hash & (self.blocks - 1)
    }

    pub(crate) fn bucket_of(&self, key: Key) -> u32 {
        key_hash(key) & (self.buckets - 1)
    }
}

/// A unigram (one code point) or a bigram (two), packed so that sorting keys sorts
/// unigrams first, then bigrams by first and second character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key(pub u64);

const BIGRAM: u64 = 1 << 42;

impl Key {
    pub(crate) fn uni(c: char) -> Key {
        Key(c as u64)
    }
    pub(crate) fn bi(a: char, b: char) -> Key {
        Key(BIGRAM | (a as u64) << 21 | b as u64)
    }
    pub(crate) fn is_bigram(self) -> bool {
        self.0 & BIGRAM != 0
    }
    pub(crate) fn first(self) -> u32 {
        if self.is_bigram() {
            (self.0 >> 21 & 0x1F_FFFF) as u32
        } else {
            self.0 as u32
        }
    }
    pub(crate) fn second(self) -> u32 {
        (self.0 & 0x1F_FFFF) as u32
    }
}

/// FNV-1a over the key's code points, then a final mix for the low bits.
pub(crate) fn key_hash(key: Key) -> u32 {
    let h = fnv_first(key.first());
    if key.is_bigram() {
        bigram_hash(h, key.second())
    } else {
        mix(h)
    }
}

/// The first FNV-1a step of [`key_hash`]: computed once per character when
/// hashing many bigrams.
#[inline]
pub(crate) fn fnv_first(first: u32) -> u32 {
    (0x811C_9DC5 ^ first).wrapping_mul(0x0100_0193)
}

/// [`key_hash`] of a bigram, from [`fnv_first`] of its first character.
#[inline]
pub(crate) fn bigram_hash(first: u32, second: u32) -> u32 {
    mix((first ^ second).wrapping_mul(0x0100_0193))
}

#[inline]
fn mix(mut h: u32) -> u32 {
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}

/// FNV-1a over the UTF-8 bytes of a report id.
pub(crate) fn id_hash(id: &str) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for b in id.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h ^= h >> 16;
    h.wrapping_mul(0x85EB_CA6B)
}

pub(crate) const META_PATH: &str = "_search/meta.js";

/// The registration name and path of a postings file.
pub(crate) fn postings_name(block: u32, bucket: u32) -> String {
    format!("p/{block}/{bucket}")
}

/// The registration name of a heavy key's own postings file in a block.
pub(crate) fn heavy_name(block: u32, key: Key) -> String {
    format!(
        "{}{:x}-{:x}",
        heavy_prefix(block),
        key.first(),
        key.second()
    )
}

/// What the names of a block's heavy-key files start with.
pub(crate) fn heavy_prefix(block: u32) -> String {
    format!("p/{block}/k")
}

/// The registration name of a report's text chunk: its name hash in hex, split
/// into a folder of 256 so that no folder grows huge.
pub(crate) fn text_name(name: u32, chunk: usize) -> String {
    let hex = format!("{name:08x}");
    if chunk == 0 {
        format!("t/{}/{}", &hex[..2], &hex[2..])
    } else {
        format!("t/{}/{}-{chunk}", &hex[..2], &hex[2..])
    }
}

/// The registration name of a block's text dictionary.
pub(crate) fn dict_name(block: u32) -> String {
    format!("t/d{block}")
}

pub(crate) fn path_of(name: &str) -> String {
    format!("{}.js", path_prefix(name))
}

/// The path of the files whose registration names start with `prefix`, up to there.
pub(crate) fn path_prefix(prefix: &str) -> String {
    format!("_search/{prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_grows_in_powers_of_two() {
        assert_eq!(
            Layout::for_count(30),
            Layout {
                blocks: 1,
                buckets: 1
            }
        );
        assert_eq!(
            Layout::for_count(10_000),
            Layout {
                blocks: 8,
                buckets: 256
            }
        );
    }

    #[test]
    fn keys_sort_unigrams_first_and_hash_by_order() {
        // keyHash() in search.js must agree; the browser test finds nothing otherwise.
        assert_ne!(key_hash(Key::bi('党', '建')), key_hash(Key::bi('建', '党')));
        assert!(Key::uni('z') < Key::bi('a', 'a'));
        assert_eq!(Key::bi('党', '建').first(), '党' as u32);
        assert_eq!(Key::bi('党', '建').second(), '建' as u32);
    }
}
