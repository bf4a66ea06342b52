//! Reads a built index the way `search.js` does: the reference query engine
//! for tests and benchmarks. It finds the same results in the same order, and
//! says which files the page loads to show the first page of results, and
//! which more it loads in the background to make the count exact.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::rc::Rc;

use serde_json::Value;

use super::codec::{BitWriter, KeyDelta, UNIT_BASE, WordReader, hash_name, path_of, utf16_units};
use super::layout::{ENTRY_PATH, Key, MAX_GRAM, key_hash};
use super::manifest::heavy_name;
use super::normalize::query_terms;
use super::rank;

/// Results shown on a page.
pub const PAGE: usize = 20;
/// Texts loaded at once for the best candidates when a term is longer than
/// four characters (search.js's AHEAD); a page's otherwise.
const AHEAD: usize = PAGE + 5;
/// Candidates of a long term that search.js checks on their text in the
/// background, to make the count exact (BACKGROUND_TEXTS there).
pub const BACKGROUND_TEXTS: usize = 200;

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

/// A bit-string argument as words for [`WordReader`].
fn words_of(v: &Value) -> Vec<u64> {
    let mut w = BitWriter::default();
    for u in v.as_str().unwrap_or("").encode_utf16() {
        w.bits(u64::from(u.wrapping_sub(UNIT_BASE)), 15);
    }
    w.words()
}

/// One matching report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The report's number (date order).
    pub number: u32,
    pub url: String,
    /// How many of the query's terms its title holds.
    pub title_terms: u32,
    /// How many its title or body holds (not only an attachment's text).
    pub own_terms: u32,
    /// Its BM25-like score (integer, see [`super::rank`]).
    pub score: u64,
}

/// What a query finds and loads.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Every report containing all terms, in the page's order.
    pub hits: Vec<Hit>,
    /// The files loaded until the first page of results is shown (the entry included).
    pub first: BTreeSet<String>,
    /// The files loaded in all once the count and the filter counts are
    /// final (`first` included).
    pub exact: BTreeSet<String>,
    /// Whether the count the page ends with is exact (it stays an estimate
    /// for a term longer than four characters with more candidates than
    /// the page checks in the background).
    pub count_is_exact: bool,
}

/// A report's text: display title, url, and its display body (its own
/// text, then each attachment's after a line break, the only line breaks
/// a display text holds).
struct Text {
    title: String,
    url: String,
    body: String,
}

/// A built index opened for querying.
pub struct Reader<'a> {
    files: BTreeMap<&'a str, &'a [u8]>,
    header: Value,
    leaves: Vec<u64>,
    /// Files already parsed, by path.
    parsed: RefCell<HashMap<String, Rc<Vec<Value>>>>,
    /// Bit-string arguments already decoded, by path.
    decoded: RefCell<HashMap<String, Rc<Vec<u64>>>>,
}

fn num(h: &Value, k: &str) -> u64 {
    h[k].as_u64().unwrap_or(0)
}

/// A candidate: (title terms, terms in its own text, score, number) is its
/// rank, highest first.
type RankKey = (u32, u32, u64, u32);

/// One key (or term) in one report, as its list says.
#[derive(Clone, Copy, Debug)]
struct Flags {
    /// The class of its count ([`super::lists::tf_class`]).
    class: u32,
    title: bool,
    /// In the title or the body, not only in an attachment's text.
    own: bool,
}

/// Rule 2 of [`super::normalize`] on a display text (pieces and titles are
/// display text already; rule 1 again would join text across the line
/// break that ends the report's own text).
fn norm(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len());
    super::normalize::normalize_chars(s, &mut v);
    v.into_iter().collect()
}

/// A piece's text cut at its attachments' starts: (text, attachment name or
/// None for the report's own text), as `segments` in search.js.
fn segments(piece: &str, parts: &Value) -> Vec<(String, Option<String>)> {
    let units: Vec<u16> = piece.encode_utf16().collect();
    let cut = |a: usize, b: usize| String::from_utf16_lossy(&units[a.min(b)..b.min(units.len())]);
    let parts: Vec<(usize, String)> = parts
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let at = p[0].as_u64().unwrap_or(0) as usize;
                    (at, p[1].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(&(first, _)) = parts.first() else {
        return vec![(piece.to_string(), None)];
    };
    let mut out = vec![(cut(0, first.saturating_sub(1)), None)];
    for (i, (from, name)) in parts.iter().enumerate() {
        let to = parts
            .get(i + 1)
            .map_or(units.len(), |p| p.0.saturating_sub(1));
        out.push((cut(*from, to), Some(name.clone())));
    }
    out
}

impl<'a> Reader<'a> {
    pub fn new(files: &'a [(String, Vec<u8>)]) -> Result<Self, String> {
        let files: BTreeMap<&str, &[u8]> = files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        let args = shard_args(files.get(ENTRY_PATH).ok_or("no _search/index.js")?)?;
        let header = args[1].clone();
        let words = words_of(&args[2]);
        let counts: Vec<u64> = header["leaves"]
            .as_array()
            .ok_or("no leaf counts")?
            .iter()
            .map(|v| v.as_u64().unwrap_or(0))
            .collect();
        let mut r = WordReader::new(&words, 0);
        let leaves = (0..counts.iter().sum::<u64>())
            .map(|_| r.bits(60))
            .collect();
        Ok(Reader {
            files,
            header,
            leaves,
            parsed: RefCell::default(),
            decoded: RefCell::default(),
        })
    }

    /// Reports in the index.
    pub fn count(&self) -> usize {
        num(&self.header, "n") as usize
    }

    /// Size in bytes of a file of the index (0 if absent).
    pub fn file_size(&self, path: &str) -> usize {
        self.files.get(path).map_or(0, |b| b.len())
    }

    /// The arguments of the file registering `name`, noting it as loaded.
    fn load(&self, name: &str, loads: &mut BTreeSet<String>) -> Option<Rc<Vec<Value>>> {
        let path = path_of(name);
        let bytes = self.files.get(path.as_str())?;
        loads.insert(path.clone());
        if let Some(v) = self.parsed.borrow().get(&path) {
            return Some(v.clone());
        }
        let v = Rc::new(shard_args(bytes).ok()?);
        self.parsed.borrow_mut().insert(path, v.clone());
        Some(v)
    }

    /// The bit string of the file registering `name` (its last argument).
    fn bits(&self, name: &str, loads: &mut BTreeSet<String>) -> Option<Rc<Vec<u64>>> {
        let path = path_of(name);
        if self.files.contains_key(path.as_str())
            && let Some(w) = self.decoded.borrow().get(&path)
        {
            loads.insert(path);
            return Some(w.clone());
        }
        let args = self.load(name, loads)?;
        let w = Rc::new(words_of(args.last()?));
        self.decoded.borrow_mut().insert(path, w.clone());
        Some(w)
    }

    /// Leaf `i` of kind 0 (mf) or 1 (lists), as words.
    fn leaf(&self, kind: usize, i: u64, loads: &mut BTreeSet<String>) -> Option<Rc<Vec<u64>>> {
        let counts: Vec<u64> = self.header["leaves"]
            .as_array()?
            .iter()
            .map(|v| v.as_u64().unwrap_or(0))
            .collect();
        if i >= *counts.get(kind)? {
            return None;
        }
        let at: u64 = counts[..kind].iter().sum::<u64>() + i;
        let prefix = ["l/mf".to_string(), format!("l/d{i}")];
        let name = format!("{}.{}", prefix[kind], hash_name(self.leaves[at as usize]));
        self.bits(&name, loads)
    }

    /// A key's document list per report: (number, tf class, in title, in
    /// the report's own text: title or body, not only an attachment).
    fn list(&self, key: Key, loads: &mut BTreeSet<String>) -> Vec<(u32, Flags)> {
        let h = &self.header;
        let bucket = u64::from(key_hash(key)) & (num(h, "dBuckets") - 1);
        let span = num(h, "leafSpan");
        let Some(leaf) = self.leaf(1, bucket / span, loads) else {
            return Vec::new();
        };
        let mut r = WordReader::new(&leaf, 0);
        let mut own = None;
        let mut slot = None;
        for b in (bucket / span) * span..((bucket / span) + 1) * span {
            if b >= num(h, "dBuckets") {
                break;
            }
            let present = r.bits(1) == 1;
            let hash = present.then(|| r.bits(60));
            if b == bucket {
                slot = hash;
            }
        }
        let nheavy = r.gamma() - 1;
        let mut prev = KeyDelta::default();
        for _ in 0..nheavy {
            let k = prev.read(&mut r);
            let hash = r.bits(60);
            if k == key {
                own = Some(hash);
            }
        }
        let name = match (own, slot) {
            (Some(hash), _) => heavy_name(key, hash),
            (None, Some(hash)) => format!("d/{bucket}.{}", hash_name(hash)),
            (None, None) => return Vec::new(),
        };
        let Some(words) = self.bits(&name, loads) else {
            return Vec::new();
        };
        let block = num(h, "block") as u32;
        let mut r = WordReader::new(&words, 0);
        let nkeys = r.gamma() - 1;
        let mut prev = KeyDelta::default();
        for _ in 0..nkeys {
            let k = prev.read(&mut r);
            let len = r.gamma() - 1;
            if k != key {
                r.seek(r.pos() + len);
                continue;
            }
            let mut out = Vec::new();
            let nseg = r.gamma();
            let mut b = -1i64;
            for _ in 0..nseg {
                b += r.gamma() as i64;
                let df = r.gamma();
                let kd = r.bits(5) as u32;
                let some_attached = r.bits(1) == 1;
                let mut local = -1i64;
                for _ in 0..df {
                    local += r.rice(kd) as i64 + 1;
                    let class = r.gamma() as u32 - 1;
                    let title = r.bits(1) == 1;
                    let own = title || !(some_attached && r.bits(1) == 1);
                    let n = b as u32 * block + local as u32;
                    out.push((n, Flags { class, title, own }));
                }
            }
            return out;
        }
        Vec::new()
    }

    /// The words of length shard `i` (`m/<i>`).
    fn length_shard(&self, i: u32, loads: &mut BTreeSet<String>) -> Option<Rc<Vec<u64>>> {
        let leaf = self.leaf(0, 0, loads)?;
        let hash = WordReader::new(&leaf, u64::from(i) * 60).bits(60);
        self.bits(&format!("m/{i}.{}", hash_name(hash)), loads)
    }

    /// Length classes of the reports `numbers` (sorted), from the `m/` shards.
    fn lengths(&self, numbers: &[u32], loads: &mut BTreeSet<String>) -> BTreeMap<u32, u32> {
        let span = num(&self.header, "metaSpan") as u32;
        let shards: BTreeSet<u32> = numbers.iter().map(|n| n / span).collect();
        let mut out = BTreeMap::new();
        for i in shards {
            let Some(words) = self.length_shard(i, loads) else {
                continue;
            };
            let mut r = WordReader::new(&words, 0);
            let first = i * span;
            let last = (first + span).min(self.count() as u32);
            for n in first..last {
                out.insert(n, r.bits(7) as u32);
            }
        }
        out
    }

    /// Loads the facet files (`f/`) of the reports `numbers`.
    fn facets(&self, numbers: &[u32], loads: &mut BTreeSet<String>) {
        let span = num(&self.header, "metaSpan") as u32;
        let shards: BTreeSet<u32> = numbers.iter().map(|n| n / span).collect();
        let count = (self.count() as u32).div_ceil(span);
        if let Some(leaf) = self.leaf(0, 0, loads) {
            for i in shards {
                let hash = WordReader::new(&leaf, u64::from(count + i) * 60).bits(60);
                self.bits(&format!("f/{i}.{}", hash_name(hash)), loads);
            }
        }
    }

    /// Checks report `n` on its text as search.js does, loading its pieces in
    /// turn until every long term is found (in its title or text) and the
    /// text has a match for the snippet, or the pieces run out. `None` when
    /// a term is missing, else how many terms its title holds and, per term,
    /// whether the title or the report's own text holds it (exact for long
    /// terms: the report's own text comes before its attachments').
    fn check_loading(
        &self,
        n: u32,
        terms: &[String],
        loads: &mut BTreeSet<String>,
    ) -> Option<(u32, Vec<bool>)> {
        let names = self.piece_names(n, loads);
        let (fields, _) = self.piece(*names.first()?, loads)?;
        let title = norm(fields["title"].as_str().unwrap_or(""));
        let is_long = |t: &String| t.chars().count() > MAX_GRAM;
        let mut own: Vec<bool> = terms.iter().map(|t| title.contains(t.as_str())).collect();
        let mut found = own.clone();
        let in_title = own.iter().filter(|&&o| o).count() as u32;
        let mut snippet = false;
        let mut body = String::new();
        for (i, &h) in names.iter().enumerate() {
            let (f, piece) = self.piece(h, loads)?;
            let own_units = f["own"].as_u64().unwrap_or(0) as usize;
            body.push_str(&String::from_utf16_lossy(
                &piece.encode_utf16().take(own_units).collect::<Vec<u16>>(),
            ));
            for (text, part) in segments(&piece, &f["parts"]) {
                let text = norm(&text);
                for (k, t) in terms.iter().enumerate() {
                    if text.contains(t.as_str()) {
                        found[k] = true;
                        own[k] |= part.is_none();
                        snippet = true;
                    }
                }
            }
            let missing = terms.iter().zip(&found).any(|(t, &f)| is_long(t) && !f);
            if !missing && snippet {
                return Some((in_title, own));
            }
            if i + 1 == names.len() {
                // A long term may run across pieces: look in the whole text.
                let all = (names.len() > 1).then(|| norm(&body));
                let lacks = terms.iter().zip(&found).any(|(t, &f)| {
                    is_long(t) && !f && !all.as_ref().is_some_and(|a| a.contains(t.as_str()))
                });
                return (!lacks).then_some((in_title, own));
            }
        }
        None
    }

    /// The hashes naming report `n`'s text pieces: its `n/` file is named
    /// in its length shard, after the length classes.
    fn piece_names(&self, n: u32, loads: &mut BTreeSet<String>) -> Vec<u64> {
        let h = &self.header;
        let span = num(h, "nameSpan") as u32;
        let meta_span = num(h, "metaSpan") as u32;
        let shard = n / span;
        let m = n / meta_span;
        let Some(lengths) = self.length_shard(m, loads) else {
            return Vec::new();
        };
        let first = m * meta_span;
        let k = (first + meta_span).min(self.count() as u32) - first;
        let at = 7 * u64::from(k) + 60 * u64::from(shard - first / span);
        let hash = WordReader::new(&lengths, at).bits(60);
        let Some(words) = self.bits(&format!("n/{shard}.{}", hash_name(hash)), loads) else {
            return Vec::new();
        };
        let mut r = WordReader::new(&words, 0);
        for _ in shard * span..n {
            let k = r.gamma() - 1;
            r.seek(r.pos() + 60 * k);
        }
        let k = r.gamma() - 1;
        (0..k).map(|_| r.bits(60)).collect()
    }

    /// Piece `hash` of a report's text.
    fn piece(&self, hash: u64, loads: &mut BTreeSet<String>) -> Option<(Value, String)> {
        let n = hash_name(hash);
        let args = self.load(&format!("t/{}/{}", &n[..2], &n[2..]), loads)?;
        Some((args[1].clone(), args[2].as_str()?.to_string()))
    }

    /// Report `n`'s text, every piece (noting the files in `loads`).
    fn text(&self, n: u32, loads: &mut BTreeSet<String>) -> Option<Text> {
        let mut text: Option<Text> = None;
        for h in self.piece_names(n, loads) {
            let (fields, piece) = self.piece(h, loads)?;
            let own = fields["own"].as_u64().unwrap_or(0) as usize;
            let t = text.get_or_insert_with(|| Text {
                title: fields["title"].as_str().unwrap_or("").to_string(),
                url: fields["url"].as_str().unwrap_or("").to_string(),
                body: String::new(),
            });
            let units: Vec<u16> = piece.encode_utf16().take(own).collect();
            t.body.push_str(&String::from_utf16_lossy(&units));
        }
        text
    }

    /// All reports matching every term of `query`, in the page's order, and
    /// the files the page loads for the first page and for the exact count.
    pub fn search(&self, query: &str) -> Outcome {
        let terms = query_terms(query);
        let mut out = Outcome::default();
        out.first.insert(ENTRY_PATH.to_string());
        if terms.is_empty() {
            out.exact = out.first.clone();
            out.count_is_exact = true;
            return out;
        }
        let chars: Vec<Vec<char>> = terms.iter().map(|t| t.chars().collect()).collect();
        let loads = &mut out.first;
        // A term of up to four characters is known exactly from its list.
        let exactly_known = chars.iter().all(|c| c.len() <= MAX_GRAM);
        // Per term: its candidates with their (estimated) flags: a longer
        // term occurs at most as often as the rarest of its 4-grams, and in
        // the title or the report's own text only if all of them are there.
        let mut per_term: Vec<BTreeMap<u32, Flags>> = Vec::new();
        for cs in &chars {
            let mut cands: Option<BTreeMap<u32, Flags>> = None;
            for key in rank::term_keys(cs) {
                let this: BTreeMap<u32, Flags> = self.list(key, loads).into_iter().collect();
                cands = Some(match cands {
                    None => this,
                    Some(prev) => prev
                        .into_iter()
                        .filter_map(|(n, a)| {
                            let b = this.get(&n)?;
                            let f = Flags {
                                class: a.class.min(b.class),
                                title: a.title && b.title,
                                own: a.own && b.own,
                            };
                            Some((n, f))
                        })
                        .collect(),
                });
            }
            per_term.push(cands.unwrap_or_default());
        }
        // One key with a file of its own (`k/`): search.js loads every length
        // shard alongside its list, its reports being in all of them but by chance.
        if chars.len() == 1
            && chars[0].len() <= MAX_GRAM
            && loads.iter().any(|f| f.starts_with("k/"))
        {
            let span = num(&self.header, "metaSpan") as u32;
            for i in 0..(self.count() as u32).div_ceil(span) {
                self.length_shard(i, loads);
            }
        }
        let numbers: Vec<u32> = per_term[0]
            .keys()
            .copied()
            .filter(|n| per_term[1..].iter().all(|m| m.contains_key(n)))
            .collect();
        let lens = self.lengths(&numbers, loads);
        let h = &self.header;
        let n_docs = num(h, "n");
        let avg = num(h, "avgLen");
        let idf: Vec<u64> = per_term
            .iter()
            .map(|m| rank::idf(n_docs, m.len() as u64))
            .collect();
        let estimate = |n: u32| -> RankKey {
            let len = rank::len_of_class(lens.get(&n).copied().unwrap_or(0));
            let (mut title, mut own, mut score) = (0, 0, 0);
            for (t, m) in per_term.iter().enumerate() {
                let f = m[&n];
                title += u32::from(f.title);
                own += u32::from(f.own);
                score += idf[t] * rank::tf_part(f.class, len, avg);
            }
            (title, own, score, n)
        };

        // The first page, as search.js shows it: best first, texts loaded
        // AHEAD candidates at a time; a candidate with a long term is checked
        // on its text, and goes back in line if its title or its own text
        // holds fewer terms than the estimate said. With a long term, one
        // result past the page is found too, to know whether there are more;
        // without, every candidate is a result.
        let mut heap: BinaryHeap<RankKey> = numbers.iter().map(|&n| estimate(n)).collect();
        let mut fetched: BTreeSet<u32> = BTreeSet::new();
        let mut found = 0;
        let mut checked: BTreeMap<u32, bool> = BTreeMap::new();
        let last = if exactly_known { PAGE } else { PAGE + 1 };
        while found < last {
            let Some(&top) = heap.peek() else { break };
            if !fetched.contains(&top.3) {
                let mut took = Vec::new();
                let ahead = if exactly_known { PAGE } else { AHEAD };
                while took.len() < ahead {
                    let Some(k) = heap.pop() else { break };
                    took.push(k);
                }
                for k in took {
                    if fetched.insert(k.3)
                        && let Some(&first) = self.piece_names(k.3, loads).first()
                    {
                        self.piece(first, loads);
                    }
                    heap.push(k);
                }
                continue;
            }
            heap.pop();
            let result = self
                .check_loading(top.3, &terms, loads)
                .map(|(title, own)| (title, self.own_terms(&chars, &per_term, top.3, &own)));
            checked.insert(top.3, result.is_some());
            match result {
                Some((title, own)) if (title, own) < (top.0, top.1) => {
                    heap.push((title, own, top.2, top.3))
                }
                Some(_) => found += 1,
                None => {}
            }
        }

        // In the background: the facets of every candidate and, for a long
        // term, the texts of the candidates not yet checked, up to
        // BACKGROUND_TEXTS of them; past that the count stays an estimate.
        out.exact = out.first.clone();
        let loads = &mut out.exact;
        self.facets(&numbers, loads);
        let unchecked: Vec<u32> = numbers
            .iter()
            .copied()
            .filter(|n| !checked.contains_key(n))
            .collect();
        out.count_is_exact = exactly_known || unchecked.len() <= BACKGROUND_TEXTS;
        if !exactly_known {
            for &n in unchecked.iter().take(BACKGROUND_TEXTS) {
                self.check_loading(n, &terms, loads);
            }
        }
        let mut hits: Vec<Hit> = numbers
            .iter()
            .filter_map(|&n| {
                let key = estimate(n);
                let text = self.text(n, &mut BTreeSet::new())?;
                // Titles are known exactly from the lists for one-key terms only.
                let (title, own) = match exactly_known {
                    true => (key.0, key.1),
                    false => self.check(&text, &terms)?,
                };
                Some(Hit {
                    number: n,
                    url: text.url,
                    title_terms: title,
                    own_terms: own,
                    score: key.2,
                })
            })
            .collect();
        hits.sort_by_key(|h| Reverse((h.title_terms, h.own_terms, h.score, h.number)));
        out.hits = hits;
        out
    }

    /// How many terms report `n` holds in its title or own text: from the
    /// lists for a term of up to four characters, from its text (`own`, as
    /// [`Reader::check_loading`] found) for a longer one.
    fn own_terms(
        &self,
        chars: &[Vec<char>],
        per_term: &[BTreeMap<u32, Flags>],
        n: u32,
        own: &[bool],
    ) -> u32 {
        let known = |t: usize| match chars[t].len() <= MAX_GRAM {
            true => per_term[t][&n].own,
            false => own[t],
        };
        (0..chars.len()).filter(|&t| known(t)).count() as u32
    }

    /// Whether the text holds every term (in its title, body or an
    /// attachment), and then how many of them its title holds and how many
    /// its title or body.
    fn check(&self, text: &Text, terms: &[String]) -> Option<(u32, u32)> {
        let title = norm(&text.title);
        let mut parts = text.body.split('\n').map(norm);
        let own = parts.next().unwrap_or_default();
        let attached: Vec<String> = parts.collect();
        let (mut in_title, mut in_own) = (0, 0);
        for t in terms {
            let a = title.contains(t.as_str());
            let o = a || own.contains(t.as_str());
            if !o && !attached.iter().any(|x| x.contains(t.as_str())) {
                return None;
            }
            in_title += u32::from(a);
            in_own += u32::from(o);
        }
        Some((in_title, in_own))
    }
}
