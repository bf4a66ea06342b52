//! The manifest: how a reader finds every file, each named by the hash of its
//! bytes. The entry `_search/index.js`, the one file whose name never
//! changes, holds the archive-wide facts and the hashes of the leaves; a leaf
//! (`l/…`) holds the hashes of the files of one range:
//!
//! - `l/mf`: every `m/<i>` then every `f/<i>` (60 bits each); an `m/` file
//!   names the text-name files (`n/`) of its range;
//! - `l/d<i>`: document-list buckets i × LEAF_SPAN …: per bucket 1 bit (a
//!   file?) and its hash; then gamma(keys + 1) and each key with a list file
//!   of its own (`k/…`): header (KeyDelta) and hash.
//!
//! A new set of files never overwrites one a reader may be using: publish
//! copies the new files, then the pages, then the entry, and removes the files
//! no longer named after that, so that a reader sees the old index or the new,
//! never a mix. The entry grows by 8 bytes per leaf, about one per 64 files.

use serde_json::Value;

use super::codec::{BitWriter, JsFile, KeyDelta, Named, hash_name};
use super::layout::{ENTRY_PATH, Key};

/// A file named in a leaf: present with its hash, or absent (an empty bucket).
pub(crate) type Slot = Option<u64>;

fn slot(w: &mut BitWriter, s: Slot) {
    w.bits(u64::from(s.is_some()), 1);
    if let Some(h) = s {
        w.bits(h, 60);
    }
}

/// `l/mf`.
pub(crate) fn leaf_meta(lengths: &[u64], facets: &[u64]) -> Named {
    let mut w = BitWriter::default();
    for &h in lengths.iter().chain(facets) {
        w.bits(h, 60);
    }
    Named::bits("l/mf", &w)
}

/// `l/d<i>`: its buckets' files and its keys with files of their own (sorted).
pub(crate) fn leaf_lists(i: usize, buckets: &[Slot], heavy: &[(Key, u64)]) -> Named {
    let mut w = BitWriter::default();
    for &s in buckets {
        slot(&mut w, s);
    }
    w.gamma(heavy.len() as u64 + 1);
    let mut prev = KeyDelta::default();
    for &(k, h) in heavy {
        prev.write(k, &mut w);
        w.bits(h, 60);
    }
    Named::bits(&format!("l/d{i}"), &w)
}

/// The name of a key's own list file.
pub(crate) fn heavy_name(key: Key, hash: u64) -> String {
    let cps: Vec<String> = key.code_points().iter().map(|c| format!("{c:x}")).collect();
    format!("k/{}.{}", cps.join("-"), hash_name(hash))
}

/// The entry: `DANGAN_SEARCH_SHARD("index", {header}, "<leaf hashes>")`, the
/// leaves in the order the header's counts give (mf, lists).
pub(crate) fn entry(header: &Value, leaves: &[u64]) -> (String, Vec<u8>) {
    let mut w = BitWriter::default();
    for &h in leaves {
        w.bits(h, 60);
    }
    let mut f = JsFile::new();
    f.raw("DANGAN_SEARCH_SHARD(\"index\",")
        .json(header)
        .raw(",")
        .bits(&w)
        .raw(");\n");
    (ENTRY_PATH.to_string(), f.into_bytes())
}
