//! Postings of one document block, encoded into its bucket files.
//!
//! A bucket file is `DANGAN_SEARCH_SHARD("p/<block>/<bucket>", "<bits>")` where the
//! bit stream (see [`super::codec`]) holds:
//!
//! ```text
//! gamma(nkeys + 1)
//! per key, sorted (unigrams, then bigrams by first and second character):
//!   1 bit: bigram?                      (a change of kind resets prev_first/prev_second)
//!   unigram: gamma(first - prev_first)
//!   bigram:  gamma(first - prev_first + 1),
//!            then gamma(second - prev_second) if first == prev_first, else rice(second, 12)
//!   gamma(bit length of the postings + 1), then the postings:
//!   unigram: gamma(df), kd:5; per report: rice(local - prev - 1, kd), gamma(count), 1 bit: in title
//!   bigram:  gamma(df), kd:5; per report: rice(local - prev - 1, kd), gamma(count),
//!            positions: rice(p0, kp), then rice(p - prev_p - 1, kp), where
//!            kp = rice_k(length of the report's stream, count) (the length is in meta)
//! ```
//!
//! `local` numbers the block's reports in id order. Unigrams carry counts only (a
//! one-character term needs nothing more); bigrams carry positions, so that a
//! longer term is verified exactly: "abcde" occurs at p iff "ab"@p, "cd"@p+2 and
//! "de"@p+3 do.

use super::codec::{BitWriter, JsFile, rice_k};
use super::layout::{Key, Layout, postings_name};

/// What the postings need of one report: its normalized stream and title length.
pub(crate) struct Doc<'a> {
    pub stream: &'a [char],
    pub title_len: u32,
}

/// Radix digits of the sort by key.
const DIGIT: u32 = 13;

/// The block's characters, numbered in code point order (so keys sort like chars).
struct Chars {
    chars: Vec<char>,
    id: Vec<u32>,
}

impl Chars {
    fn new(docs: &[Doc]) -> Chars {
        let mut id = vec![u32::MAX; 0x11_0000];
        for d in docs {
            for &c in d.stream {
                id[c as usize] = 0;
            }
        }
        let mut chars = Vec::new();
        for (cp, slot) in id.iter_mut().enumerate() {
            if *slot == 0 && cp != ' ' as usize {
                *slot = chars.len() as u32;
                chars.push(char::from_u32(cp as u32).expect("came from a char"));
            }
        }
        Chars { chars, id }
    }
}

/// Bigram occurrences of a block sorted by key, then by position in the block's
/// concatenated streams: `(key, gpos)` with key = id(first) × n + id(second).
enum Sorted {
    /// key in the high 32 bits (at most 65,536 distinct characters), radix-sorted.
    Packed(Vec<u64>),
    /// Any number of characters, comparison-sorted.
    Wide(Vec<u128>),
}

impl Sorted {
    fn new(docs: &[Doc], chars: &Chars, starts: &[u64]) -> Sorted {
        let n = chars.chars.len() as u64;
        let total = *starts.last().unwrap_or(&0);
        fn each_pair(
            docs: &[Doc],
            chars: &Chars,
            starts: &[u64],
            n: u64,
            mut f: impl FnMut(u64, u64),
        ) {
            for (d, &start) in docs.iter().zip(starts) {
                let s = d.stream;
                for i in 1..s.len() {
                    let (a, b) = (s[i - 1], s[i]);
                    if a != ' ' && b != ' ' {
                        let key =
                            u64::from(chars.id[a as usize]) * n + u64::from(chars.id[b as usize]);
                        f(key, start + i as u64 - 1);
                    }
                }
            }
        }
        if n * n <= 1 << 32 && total <= u64::from(u32::MAX) {
            let mut v: Vec<u64> = Vec::with_capacity(total as usize);
            each_pair(docs, chars, starts, n, |k, g| v.push(k << 32 | g));
            radix_sort_high(&mut v, 64 - (n * n).saturating_sub(1).leading_zeros());
            Sorted::Packed(v)
        } else {
            let mut v: Vec<u128> = Vec::with_capacity(total as usize);
            each_pair(docs, chars, starts, n, |k, g| {
                v.push(u128::from(k) << 64 | u128::from(g))
            });
            v.sort_unstable();
            Sorted::Wide(v)
        }
    }

    fn len(&self) -> usize {
        match self {
            Sorted::Packed(v) => v.len(),
            Sorted::Wide(v) => v.len(),
        }
    }

    #[inline]
    fn at(&self, i: usize) -> (u64, u64) {
        match self {
            Sorted::Packed(v) => (v[i] >> 32, v[i] & 0xFFFF_FFFF),
            Sorted::Wide(v) => ((v[i] >> 64) as u64, v[i] as u64),
        }
    }
}

/// Stable LSD radix sort on bits 32..32+`bits` (the low half is already in order).
fn radix_sort_high(v: &mut Vec<u64>, bits: u32) {
    let mut tmp = vec![0u64; v.len()];
    let mut shift = 32;
    while shift < 32 + bits {
        let mut count = vec![0usize; 1 << DIGIT];
        let digit = |x: u64| (x >> shift) as usize & ((1 << DIGIT) - 1);
        for &x in v.iter() {
            count[digit(x)] += 1;
        }
        let mut sum = 0;
        for c in count.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        for &x in v.iter() {
            let d = digit(x);
            tmp[count[d]] = x;
            count[d] += 1;
        }
        std::mem::swap(v, &mut tmp);
        shift += DIGIT;
    }
}

/// Per character: (local report, count, in title) for each report containing it.
fn unigrams(docs: &[Doc], chars: &Chars) -> Vec<Vec<(u32, u32, bool)>> {
    let n = chars.chars.len();
    let mut lists: Vec<Vec<(u32, u32, bool)>> = vec![Vec::new(); n];
    let mut count = vec![0u32; n];
    let mut title = vec![false; n];
    let mut touched = Vec::new();
    for (local, d) in docs.iter().enumerate() {
        for (i, &c) in d.stream.iter().enumerate() {
            if c == ' ' {
                continue;
            }
            let id = chars.id[c as usize] as usize;
            if count[id] == 0 {
                touched.push(id);
            }
            count[id] += 1;
            title[id] |= (i as u32) < d.title_len;
        }
        for &id in &touched {
            lists[id].push((local as u32, count[id], title[id]));
            (count[id], title[id]) = (0, false);
        }
        touched.clear();
    }
    lists
}

fn encode_unigram(list: &[(u32, u32, bool)]) -> BitWriter {
    let mut w = BitWriter::default();
    let df = list.len() as u64;
    w.gamma(df);
    let kd = rice_k(u64::from(list[list.len() - 1].0) + 1 - df, df);
    w.bits(u64::from(kd), 5);
    let mut prev = -1i64;
    for &(d, c, t) in list {
        w.rice((i64::from(d) - prev - 1) as u64, kd);
        w.gamma(u64::from(c));
        w.bits(u64::from(t), 1);
        prev = i64::from(d);
    }
    w
}

/// Finds the report holding a position of the block's concatenated streams.
struct DocFinder<'a> {
    starts: &'a [u64],
    /// Report holding position k × 64, for each k.
    coarse: Vec<u32>,
}

impl<'a> DocFinder<'a> {
    fn new(starts: &'a [u64]) -> Self {
        let total = *starts.last().unwrap_or(&0);
        let mut coarse = Vec::with_capacity((total / 64 + 1) as usize);
        let mut d = 0;
        for k in 0..=total / 64 {
            while d + 2 < starts.len() && starts[d + 1] <= k * 64 {
                d += 1;
            }
            coarse.push(d as u32);
        }
        DocFinder { starts, coarse }
    }

    fn find(&self, g: u64) -> usize {
        let mut d = self.coarse[(g / 64) as usize] as usize;
        while self.starts[d + 1] <= g {
            d += 1;
        }
        d
    }
}

/// Encodes the bigram occurrences `sorted[range]` (one key). `per_doc` is scratch.
fn encode_bigram(
    sorted: &Sorted,
    range: std::ops::Range<usize>,
    docs: &[Doc],
    finder: &DocFinder,
    per_doc: &mut Vec<(u32, usize, u32)>,
) -> BitWriter {
    let starts = finder.starts;
    per_doc.clear();
    let mut end = 0u64;
    for i in range.clone() {
        let g = sorted.at(i).1;
        if per_doc.is_empty() || g >= end {
            let d = finder.find(g);
            end = starts[d + 1];
            per_doc.push((d as u32, i, 0));
        }
        per_doc.last_mut().expect("pushed").2 += 1;
    }
    let mut w = BitWriter::default();
    let df = per_doc.len() as u64;
    w.gamma(df);
    let kd = rice_k(u64::from(per_doc[per_doc.len() - 1].0) + 1 - df, df);
    w.bits(u64::from(kd), 5);
    let mut prev = -1i64;
    for &(d, first, count) in per_doc.iter() {
        w.rice((i64::from(d) - prev - 1) as u64, kd);
        w.gamma(u64::from(count));
        // The reader knows the report's length (meta), so the parameter costs nothing.
        let kp = rice_k(docs[d as usize].stream.len() as u64, u64::from(count));
        let mut pp = -1i64;
        for i in first..first + count as usize {
            let p = (sorted.at(i).1 - starts[d as usize]) as i64;
            w.rice((p - pp - 1) as u64, kp);
            pp = p;
        }
        prev = i64::from(d);
    }
    w
}

/// The bucket files of one block: (registration name, bytes), one per bucket.
pub(crate) fn build_block(docs: &[Doc], layout: Layout, block: u32) -> Vec<(String, Vec<u8>)> {
    let chars = Chars::new(docs);
    let mut starts = Vec::with_capacity(docs.len() + 1);
    let mut total = 0u64;
    for d in docs {
        starts.push(total);
        total += d.stream.len() as u64;
    }
    starts.push(total);
    let uni = unigrams(docs, &chars);
    let sorted = Sorted::new(docs, &chars, &starts);

    // Keys per bucket, in key order: unigrams (by char), then bigram runs of `sorted`.
    enum Entry {
        Uni(usize),
        Bi(usize, usize),
    }
    let mut buckets: Vec<Vec<(Key, Entry)>> = (0..layout.buckets).map(|_| Vec::new()).collect();
    for (id, list) in uni.iter().enumerate() {
        if !list.is_empty() {
            let key = Key::uni(chars.chars[id]);
            buckets[layout.bucket_of(key) as usize].push((key, Entry::Uni(id)));
        }
    }
    let n = chars.chars.len() as u64;
    let mut i = 0;
    while i < sorted.len() {
        let k = sorted.at(i).0;
        let mut j = i + 1;
        while j < sorted.len() && sorted.at(j).0 == k {
            j += 1;
        }
        let key = Key::bi(chars.chars[(k / n) as usize], chars.chars[(k % n) as usize]);
        buckets[layout.bucket_of(key) as usize].push((key, Entry::Bi(i, j)));
        i = j;
    }

    let finder = DocFinder::new(&starts);
    let mut per_doc = Vec::new();
    let mut out = Vec::with_capacity(layout.buckets as usize);
    for (bucket, mine) in buckets.iter().enumerate() {
        let bucket = bucket as u32;
        let mut w = BitWriter::default();
        w.gamma(mine.len() as u64 + 1);
        let (mut prev_big, mut pf, mut ps) = (false, 0u32, 0u32);
        for (key, entry) in mine {
            let big = key.is_bigram();
            if big != prev_big {
                (prev_big, pf, ps) = (big, 0, 0);
            }
            w.bits(u64::from(big), 1);
            let (f, s) = (key.first(), key.second());
            if big {
                w.gamma(u64::from(f - pf) + 1);
                if f == pf {
                    w.gamma(u64::from(s - ps));
                } else {
                    w.rice(u64::from(s), 12);
                }
                ps = s;
            } else {
                w.gamma(u64::from(f - pf));
            }
            pf = f;
            let p = match *entry {
                Entry::Uni(id) => encode_unigram(&uni[id]),
                Entry::Bi(a, b) => encode_bigram(&sorted, a..b, docs, &finder, &mut per_doc),
            };
            w.gamma(p.bit_len() + 1);
            w.append(&p);
        }
        let name = postings_name(block, bucket);
        let mut f = JsFile::new();
        f.raw("DANGAN_SEARCH_SHARD(")
            .string(&name)
            .raw(",")
            .bits(&w)
            .raw(");\n");
        out.push((name, f.into_bytes()));
    }
    out
}
