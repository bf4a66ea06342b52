//! Text shards: each report's display text, in chunks, coded with a canonical
//! Huffman code per document block (about 10 bits a Chinese character instead of
//! 16 in UTF-16), so that snippets cost little to store and to load.
//!
//! `_search/t/d<block>.js`: `DANGAN_SEARCH_SHARD("t/d<b>", [count of codes of each
//! length 1, 2, …], "<symbols in code order>")`.
//! `_search/t/<h2>/<h6>[-k].js`: `DANGAN_SEARCH_SHARD(name, {title, url, date},
//! <characters in the chunk>, "<bits>")`, decoded by `decodeText` in search.js.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use serde_json::json;

use super::codec::{BitWriter, JsFile};
use super::prepare::{Body, Prepared};

/// The Huffman code of one block's text.
pub(crate) struct Dict {
    /// Symbols in canonical order (by code length, then code point).
    syms: Vec<char>,
    /// How many codes have each length 1, 2, ….
    counts: Vec<u32>,
    /// Code and length per symbol.
    codes: BTreeMap<char, (u64, u32)>,
    /// The same for the Basic Multilingual Plane, indexed by code point.
    bmp: Vec<(u64, u32)>,
}

impl Dict {
    pub(crate) fn new(docs: &[&Body]) -> Dict {
        let mut freq: BTreeMap<char, u64> = BTreeMap::new();
        let mut bmp_freq = vec![0u64; 0x1_0000];
        for d in docs {
            for chunk in &d.chunks {
                for c in chunk.chars() {
                    match bmp_freq.get_mut(c as usize) {
                        Some(f) => *f += 1,
                        None => *freq.entry(c).or_default() += 1,
                    }
                }
            }
        }
        for (cp, &f) in bmp_freq.iter().enumerate() {
            if f > 0 {
                let c = char::from_u32(cp as u32).expect("counted from a char");
                freq.insert(c, f);
            }
        }
        let lens = code_lengths(&freq);
        let mut order: Vec<(u32, char)> = lens.iter().map(|(&c, &l)| (l, c)).collect();
        order.sort_unstable();
        let max = order.last().map_or(0, |o| o.0) as usize;
        let mut counts = vec![0u32; max];
        for &(l, _) in &order {
            counts[l as usize - 1] += 1;
        }
        // RFC 1951's canonical codes.
        let mut next = vec![0u64; max + 1];
        let mut code = 0u64;
        for len in 1..=max {
            code = (code
                + if len > 1 {
                    u64::from(counts[len - 2])
                } else {
                    0
                })
                << 1;
            next[len] = code;
        }
        let mut codes = BTreeMap::new();
        let mut bmp = vec![(0u64, 0u32); 0x1_0000];
        for &(l, c) in &order {
            let v = (next[l as usize], l);
            next[l as usize] += 1;
            match bmp.get_mut(c as usize) {
                Some(slot) => *slot = v,
                None => {
                    codes.insert(c, v);
                }
            }
        }
        Dict {
            syms: order.iter().map(|o| o.1).collect(),
            counts,
            codes,
            bmp,
        }
    }

    fn code(&self, c: char) -> (u64, u32) {
        match self.bmp.get(c as usize) {
            Some(&v) => v,
            None => self.codes[&c],
        }
    }

    /// The block's dictionary file.
    pub(crate) fn file(&self, name: &str) -> Vec<u8> {
        let syms: String = self.syms.iter().collect();
        let mut f = JsFile::new();
        f.raw("DANGAN_SEARCH_SHARD(")
            .string(name)
            .raw(",")
            .json(&json!(self.counts))
            .raw(",")
            .string(&syms)
            .raw(");\n");
        f.into_bytes()
    }

    /// A report's text file for chunk `k`: its display fields and the coded chunk.
    pub(crate) fn text_file(&self, p: &Prepared, body: &Body, name: &str, k: usize) -> Vec<u8> {
        let mut fields = json!({ "title": p.meta.title, "url": p.meta.url, "date": p.meta.date });
        if !body.parts.is_empty() {
            // Where each attachment's text starts, for the snippet to name it.
            fields["parts"] = json!(body.parts);
        }
        let mut w = BitWriter::default();
        let mut n = 0;
        for c in body.chunks[k].chars() {
            let (code, len) = self.code(c);
            w.bits(code, len);
            n += 1;
        }
        let mut f = JsFile::new();
        f.raw("DANGAN_SEARCH_SHARD(")
            .string(name)
            .raw(",")
            .json(&fields)
            .raw(&format!(",{n},"))
            .bits(&w)
            .raw(");\n");
        f.into_bytes()
    }
}

/// Huffman code lengths (at least 1), deterministic: ties go to the smaller symbol set.
fn code_lengths(freq: &BTreeMap<char, u64>) -> BTreeMap<char, u32> {
    let syms: Vec<char> = freq.keys().copied().collect();
    let mut lens: BTreeMap<char, u32> = syms.iter().map(|&c| (c, 0)).collect();
    if syms.len() == 1 {
        lens.insert(syms[0], 1);
        return lens;
    }
    // Nodes: leaves 0..n, then internal nodes; each with its parent.
    let mut parent: Vec<usize> = vec![usize::MAX; syms.len()];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = freq
        .values()
        .enumerate()
        .map(|(i, &f)| Reverse((f, i)))
        .collect();
    while heap.len() > 1 {
        let Reverse((fa, a)) = heap.pop().expect("two left");
        let Reverse((fb, b)) = heap.pop().expect("two left");
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        heap.push(Reverse((fa + fb, node)));
    }
    // Depths: parents always have larger indices, so walk from the root down.
    let mut depth = vec![0u32; parent.len()];
    for i in (0..parent.len()).rev() {
        if parent[i] != usize::MAX {
            depth[i] = depth[parent[i]] + 1;
        }
    }
    for (i, c) in syms.iter().enumerate() {
        lens.insert(*c, depth[i]);
    }
    lens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::codec::{BitReader, UNIT_BASE, utf16_units};

    #[test]
    fn canonical_codes_decode_like_search_js() {
        let doc = crate::search::SearchDoc {
            id: "a".into(),
            url: "a.html".into(),
            title: "t".into(),
            unit: "u".into(),
            unit_path: vec![],
            date: "2020".into(),
            year: 2020,
            kind: "k".into(),
            text: String::new(),
        };
        let (p, mut body, _) = crate::search::prepare::prepare(&doc.meta(), &doc.text());
        body.chunks = vec!["党建党建工作，党建abc𠀀 \"\\".to_string(), "党".to_string()];
        let dict = Dict::new(&[&body]);
        for (k, chunk) in body.chunks.iter().enumerate() {
            let bytes = dict.text_file(&p, &body, "t/x", k);
            let units = utf16_units(&bytes);
            let text = String::from_utf16(&units).unwrap();
            let bits: Vec<u16> = text[text.rfind(",\"").unwrap() + 2..text.len() - 4]
                .encode_utf16()
                .map(|u| u - UNIT_BASE)
                .collect();
            // The decoding loop of search.js (puff's canonical decoder).
            let mut r = BitReader::new(&bits);
            let mut out = String::new();
            for _ in 0..chunk.chars().count() {
                let (mut code, mut first, mut index) = (0u64, 0u64, 0usize);
                for &count in &dict.counts {
                    code += r.bits(1);
                    let count = u64::from(count);
                    if code < first + count {
                        out.push(dict.syms[index + (code - first) as usize]);
                        break;
                    }
                    index += count as usize;
                    first = (first + count) * 2;
                    code *= 2;
                }
            }
            assert_eq!(&out, chunk);
        }
        let shortest = dict.syms.iter().map(|&c| dict.code(c).1).min();
        assert_eq!(
            Some(dict.code('党').1),
            shortest,
            "the most frequent character gets the shortest code"
        );
    }
}
