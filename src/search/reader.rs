//! Reads a built index the way `assets/search.js` does: the reference query engine
//! for tests and benchmarks (which files a query loads, and what it finds).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::codec::{BitReader, UNIT_BASE, rice_k, utf16_units};
use super::layout::{
    Key, Layout, META_PATH, dict_name, heavy_name, path_of, postings_name, text_name,
};
use super::normalize::query_terms;

/// A report as the meta file describes it.
#[derive(Clone, Debug)]
pub struct DocInfo {
    pub block: u32,
    pub local: u32,
    pub unit: usize,
    pub kind: usize,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub title_len: u32,
    /// Length of the normalized stream (title, boundary, body, attachments).
    pub len: u32,
    /// Length of the attachments' part at the end of the stream.
    pub attach_len: u32,
    pub name: u32,
}

/// One matching report.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Index into [`Reader::docs`].
    pub doc: usize,
    /// How many terms occur in the title.
    pub title_terms: u32,
    /// How many terms occur in the report itself (title or body, not only
    /// in an attachment).
    pub own_terms: u32,
    /// Occurrences of all terms, title and body.
    pub hits: u32,
    /// Earliest body position of a match (normalized characters), for the snippet chunk.
    pub first_body_pos: Option<u32>,
}

/// Result of a query: ranked hits, and the files it had to load (besides meta).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub loaded: BTreeSet<String>,
}

/// A built index opened for querying.
pub struct Reader<'a> {
    files: BTreeMap<&'a str, &'a [u8]>,
    layout: Layout,
    chunk: u32,
    pub units: Vec<(String, i64)>,
    pub kinds: Vec<String>,
    pub docs: Vec<DocInfo>,
    /// Index into `docs` of the first report of each block.
    block_start: Vec<usize>,
    /// Per block, the keys with a postings file of their own.
    heavy: Vec<BTreeSet<Key>>,
}

/// The arguments of `DANGAN_SEARCH_SHARD(...)` in a shard file (they form a JSON array).
pub fn shard_args(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let text = String::from_utf16(&utf16_units(bytes)).map_err(|e| e.to_string())?;
    let inner = text
        .strip_prefix("DANGAN_SEARCH_SHARD(")
        .and_then(|t| t.strip_suffix(");\n"))
        .ok_or("not a shard file")?;
    match serde_json::from_str(&format!("[{inner}]")) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err("not an array".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn units_of(v: &Value) -> Vec<u16> {
    v.as_str()
        .unwrap_or("")
        .encode_utf16()
        .map(|u| u - UNIT_BASE)
        .collect()
}

/// Postings of one key in one block: local report → (count, positions or [title flag]).
type Postings = BTreeMap<u32, (u32, Vec<u32>)>;

/// One term in one block, by local report.
type TermHits = BTreeMap<u32, TermHit>;

/// One term in one report.
#[derive(Clone, Copy)]
struct TermHit {
    /// Occurrences in the title, and in all.
    title: u32,
    all: u32,
    /// The first body position of one in the report's own text, and in an attachment's.
    own_first: Option<u32>,
    attached_first: Option<u32>,
}

impl<'a> Reader<'a> {
    pub fn new(files: &'a [(String, Vec<u8>)]) -> Result<Self, String> {
        let files: BTreeMap<&str, &[u8]> = files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        let args = shard_args(files.get(META_PATH).ok_or("no meta.js")?)?;
        let h = &args[1];
        let num = |k: &str| h[k].as_u64().unwrap_or(0);
        let layout = Layout {
            blocks: num("blocks") as u32,
            buckets: num("buckets") as u32,
        };
        let units = h["units"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| {
                (
                    u[0].as_str().unwrap_or("").to_string(),
                    u[1].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        let kinds = h["kinds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| k.as_str().unwrap_or("").to_string())
            .collect();
        let (wu, wk, wy) = (num("wu") as u32, num("wk") as u32, num("wy") as u32);
        let ymin = h["ymin"].as_i64().unwrap_or(0) as i32;
        let heavy = h["heavy"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let cs: Vec<char> = s.as_str().unwrap_or("").chars().collect();
                cs.chunks_exact(2).map(|p| Key::bi(p[0], p[1])).collect()
            })
            .collect();
        let bits = units_of(&args[2]);
        let mut r = BitReader::new(&bits);
        let mut docs = Vec::new();
        let mut block_start = Vec::new();
        for (b, n) in h["counts"].as_array().into_iter().flatten().enumerate() {
            block_start.push(docs.len());
            for local in 0..n.as_u64().unwrap_or(0) {
                docs.push(DocInfo {
                    block: b as u32,
                    local: local as u32,
                    unit: r.bits(wu) as usize,
                    kind: r.bits(wk) as usize,
                    year: ymin + r.bits(wy) as i32,
                    month: r.bits(4) as u32,
                    day: r.bits(5) as u32,
                    title_len: r.gamma() as u32 - 1,
                    len: r.gamma() as u32 - 1,
                    attach_len: r.gamma() as u32 - 1,
                    name: r.bits(32) as u32,
                });
            }
        }
        Ok(Reader {
            files,
            layout,
            chunk: num("chunk") as u32,
            units,
            kinds,
            docs,
            block_start,
            heavy,
        })
    }

    /// Size in bytes of a file of the index (0 if absent).
    pub fn file_size(&self, path: &str) -> usize {
        self.files.get(path).map_or(0, |b| b.len())
    }

    /// Finds one key's postings in one block, noting the file it loaded.
    fn postings(&self, block: u32, key: Key, loaded: &mut BTreeSet<String>) -> Postings {
        let heavy = self
            .heavy
            .get(block as usize)
            .is_some_and(|h: &BTreeSet<Key>| h.contains(&key));
        let name = if heavy {
            heavy_name(block, key)
        } else {
            postings_name(block, self.layout.bucket_of(key))
        };
        let path = path_of(&name);
        let mut out = Postings::new();
        let Some(bytes) = self.files.get(path.as_str()) else {
            return out;
        };
        loaded.insert(path);
        let args = shard_args(bytes).unwrap_or_default();
        let bits = units_of(&args[1]);
        let mut r = BitReader::new(&bits);
        let n = r.gamma() - 1;
        let (mut prev_big, mut pf, mut ps) = (false, 0u64, 0u64);
        for _ in 0..n {
            let big = r.bits(1) == 1;
            if big != prev_big {
                (prev_big, pf, ps) = (big, 0, 0);
            }
            let this = if big {
                let f = pf + r.gamma() - 1;
                let s = if f == pf { ps + r.gamma() } else { r.rice(12) };
                (pf, ps) = (f, s);
                Key(1 << 42 | f << 21 | s)
            } else {
                pf += r.gamma();
                Key(pf)
            };
            let len = r.gamma() - 1;
            if this != key {
                r.seek(r.pos() + len);
                continue;
            }
            let df = r.gamma();
            let kd = r.bits(5) as u32;
            let mut d = -1i64;
            for _ in 0..df {
                d += r.rice(kd) as i64 + 1;
                let c = r.gamma() as u32;
                let v = if big {
                    let len = self.docs[self.block_start[block as usize] + d as usize].len;
                    let kp = rice_k(u64::from(len), u64::from(c));
                    let mut p = -1i64;
                    (0..c)
                        .map(|_| {
                            p += r.rice(kp) as i64 + 1;
                            p as u32
                        })
                        .collect()
                } else {
                    vec![r.bits(1) as u32]
                };
                out.insert(d as u32, (c, v));
            }
            break;
        }
        out
    }

    /// All reports matching every term of `query`, ranked as the page ranks them:
    /// more terms in the title first, then more in the report itself (not only
    /// in an attachment), then more occurrences, then newer, then id order.
    pub fn search(&self, query: &str) -> Outcome {
        let terms = query_terms(query);
        let mut out = Outcome::default();
        if terms.is_empty() {
            return out;
        }
        for b in 0..self.layout.blocks {
            let mut per_term: Vec<TermHits> = Vec::new();
            for t in &terms {
                per_term.push(self.term_in_block(b, t, &mut out.loaded));
            }
            let (first, rest) = per_term.split_first().expect("terms not empty");
            for (&local, _) in first.iter() {
                if !rest.iter().all(|m| m.contains_key(&local)) {
                    continue;
                }
                let mut hit = Hit {
                    doc: self.block_start[b as usize] + local as usize,
                    title_terms: 0,
                    own_terms: 0,
                    hits: 0,
                    first_body_pos: None,
                };
                // The snippet shows the report's own text when a term is there.
                let (mut own_first, mut attached_first) = (None::<u32>, None::<u32>);
                for m in &per_term {
                    let th = m[&local];
                    hit.title_terms += u32::from(th.title > 0);
                    hit.own_terms += u32::from(th.title > 0 || th.own_first.is_some());
                    hit.hits += th.all;
                    let min = |a: Option<u32>, b: Option<u32>| match (a, b) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    own_first = min(own_first, th.own_first);
                    attached_first = min(attached_first, th.attached_first);
                }
                hit.first_body_pos = own_first.or(attached_first);
                out.hits.push(hit);
            }
        }
        out.hits.sort_by(|a, b| {
            let (da, db) = (&self.docs[a.doc], &self.docs[b.doc]);
            (
                b.title_terms,
                b.own_terms,
                b.hits,
                db.year,
                db.month,
                db.day,
                a.doc,
            )
                .cmp(&(
                    a.title_terms,
                    a.own_terms,
                    a.hits,
                    da.year,
                    da.month,
                    da.day,
                    b.doc,
                ))
        });
        out
    }

    fn term_in_block(&self, b: u32, term: &str, loaded: &mut BTreeSet<String>) -> TermHits {
        let cs: Vec<char> = term.chars().collect();
        let doc = |local: u32| &self.docs[self.block_start[b as usize] + local as usize];
        if cs.len() == 1 {
            return self
                .postings(b, Key::uni(cs[0]), loaded)
                .into_iter()
                // Counts only: where a character is, the index does not say.
                .map(|(d, (c, flag))| {
                    let th = TermHit {
                        title: flag[0],
                        all: c,
                        own_first: None,
                        attached_first: None,
                    };
                    (d, th)
                })
                .collect();
        }
        let lists: Vec<(u32, Postings)> = covering_offsets(cs.len())
            .into_iter()
            .map(|o| {
                (
                    o,
                    self.postings(b, Key::bi(cs[o as usize], cs[o as usize + 1]), loaded),
                )
            })
            .collect();
        let mut out = BTreeMap::new();
        let (first, rest) = lists.split_first().expect("at least one bigram");
        for (&d, (_, ps)) in &first.1 {
            let others: Option<Vec<(u32, &Vec<u32>)>> = rest
                .iter()
                .map(|(o, l)| l.get(&d).map(|(_, v)| (*o, v)))
                .collect();
            let Some(others) = others else { continue };
            let matches: Vec<u32> = ps
                .iter()
                .copied()
                .filter(|&p| {
                    others
                        .iter()
                        .all(|(o, v)| v.binary_search(&(p + o)).is_ok())
                })
                .collect();
            if matches.is_empty() {
                continue;
            }
            let info = doc(d);
            let (tl, own_end) = (info.title_len, info.len - info.attach_len);
            let th = TermHit {
                title: matches.iter().filter(|&&p| p < tl).count() as u32,
                all: matches.len() as u32,
                own_first: matches
                    .iter()
                    .find(|&&p| p >= tl && p < own_end)
                    .map(|p| p - tl),
                attached_first: matches.iter().find(|&&p| p >= own_end).map(|p| p - tl),
            };
            out.insert(d, th);
        }
        out
    }

    /// The text file a result shows its snippet from (the one search.js loads).
    pub fn snippet_file(&self, hit: &Hit) -> String {
        let chunk = hit.first_body_pos.map_or(0, |p| p / self.chunk.max(1));
        path_of(&text_name(self.docs[hit.doc].name, chunk as usize))
    }

    /// The dictionary file a result's snippet is decoded with.
    pub fn dict_file(&self, hit: &Hit) -> String {
        path_of(&dict_name(self.docs[hit.doc].block))
    }

    /// The url stored for a report (from its first text file).
    pub fn url(&self, doc: usize) -> Option<String> {
        let path = path_of(&text_name(self.docs[doc].name, 0));
        let args = shard_args(self.files.get(path.as_str())?).ok()?;
        args[1]["url"].as_str().map(str::to_string)
    }
}

/// Offsets of the bigrams that cover a term of `n` ≥ 2 characters: 0, 2, 4, … and n − 2.
pub fn covering_offsets(n: usize) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n - 1).step_by(2).map(|o| o as u32).collect();
    if n % 2 == 1 {
        v.push(n as u32 - 2);
    }
    v
}
