//! The meta file `_search/meta.js`, loaded once by the search page: the layout, the
//! unit tree, the report types, and per report the fields that filters, ranking
//! and snippet loading need.
//!
//! `DANGAN_SEARCH_SHARD("meta", {header JSON}, "<bits>")`; the bits hold, for each
//! block and each of its reports in id order: unit index (`wu` bits), type index
//! (`wk`), year − `ymin` (`wy`), month (4), day (5), gamma(title length + 1),
//! gamma(stream length + 1), gamma(length of the attachments' part + 1), and the 32-bit name of its text files. The header's
//! `heavy` lists, per block, the bigrams with a postings file of their own, as
//! one string of character pairs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::codec::{BitWriter, JsFile};
use super::layout::{CHUNK_CHARS, Key, Layout};
use super::prepare::Prepared;

pub(crate) const META_VERSION: u32 = 2;

/// Bigram keys as one string, two characters each.
fn pairs(keys: &[Key]) -> String {
    keys.iter()
        .flat_map(|k| [k.first(), k.second()])
        .filter_map(char::from_u32)
        .collect()
}

fn width(max: usize) -> u32 {
    usize::BITS - max.leading_zeros()
}

/// `blocks[b]` lists the block's reports in id order, each with its text-file
/// name; `heavy[b]` the block's keys that have a postings file of their own.
pub(crate) fn build_meta(
    layout: Layout,
    blocks: &[Vec<(&Prepared, u32)>],
    heavy: &[Vec<Key>],
) -> Vec<u8> {
    let all = || blocks.iter().flatten().map(|(p, _)| *p);
    let unit_paths: BTreeSet<&[String]> = all()
        .flat_map(|p| (1..=p.unit_path.len()).map(move |n| &p.unit_path[..n]))
        .collect();
    let unit_index: BTreeMap<&[String], usize> = unit_paths
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let units: Vec<serde_json::Value> = unit_paths
        .iter()
        .map(|p| {
            let parent = if p.len() > 1 {
                unit_index[&p[..p.len() - 1]] as i64
            } else {
                -1
            };
            json!([p[p.len() - 1], parent])
        })
        .collect();
    let kinds: BTreeSet<&str> = all().map(|p| p.meta.kind.as_str()).collect();
    let kind_index: BTreeMap<&str, usize> =
        kinds.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let ymin = all().map(|p| p.meta.year).min().unwrap_or(0);
    let ymax = all().map(|p| p.meta.year).max().unwrap_or(0);
    let (wu, wk, wy) = (
        width(units.len().saturating_sub(1)),
        width(kinds.len().saturating_sub(1)),
        width((ymax - ymin) as usize),
    );

    let mut w = BitWriter::default();
    for (p, name) in blocks.iter().flatten() {
        w.bits(unit_index[&p.unit_path[..]] as u64, wu);
        w.bits(kind_index[p.meta.kind.as_str()] as u64, wk);
        w.bits((p.meta.year - ymin) as u64, wy);
        w.bits(u64::from(p.month), 4);
        w.bits(u64::from(p.day), 5);
        w.gamma(u64::from(p.title_len) + 1);
        w.gamma(u64::from(p.stream_len) + 1);
        w.gamma(u64::from(p.attach_len) + 1);
        w.bits(u64::from(*name), 32);
    }
    let header = json!({
        "version": META_VERSION,
        "blocks": layout.blocks,
        "buckets": layout.buckets,
        "chunk": CHUNK_CHARS,
        "counts": blocks.iter().map(Vec::len).collect::<Vec<_>>(),
        "units": units,
        "kinds": kinds,
        "ymin": ymin,
        "heavy": heavy.iter().map(|keys| pairs(keys)).collect::<Vec<_>>(),
        "wu": wu, "wk": wk, "wy": wy,
    });
    let mut f = JsFile::new();
    f.raw("DANGAN_SEARCH_SHARD(\"meta\",")
        .json(&header)
        .raw(",")
        .bits(&w)
        .raw(");\n");
    f.into_bytes()
}
