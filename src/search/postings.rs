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
//! A bigram whose postings exceed [`HEAVY_BITS`] in a block is left out of its
//! bucket and gets a file of its own, `p/<block>/k<first>-<second>` (code points in
//! hex), in the same format with one key; meta lists each block's heavy keys.
//!
//! `local` numbers the block's reports in id order. Unigrams carry counts only (a
//! one-character term needs nothing more); bigrams carry positions, so that a
//! longer term is verified exactly: "abcde" occurs at p iff "ab"@p, "cd"@p+2 and
//! "de"@p+3 do.

use rayon::prelude::*;

use super::codec::{BitWriter, JsFile, rice_k};
use super::layout::{Key, Layout, bigram_hash, fnv_first, heavy_name, postings_name};

/// What the postings need of one report: its normalized stream and title length.
pub(crate) struct Doc<'a> {
    pub stream: &'a [char],
    pub title_len: u32,
}

/// Radix digits of the in-bucket sort by key.
const DIGIT: u32 = 11;

/// Buffers a thread reuses from block to block: a block's occurrences take tens
/// of megabytes, and fresh memory for each block costs more in page faults than
/// the scatter that fills it.
#[derive(Default)]
struct Scratch {
    occurrences: Vec<u64>,
    /// Per code point, its number in the block being built (`u32::MAX` between blocks).
    char_id: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Runs `f` with this thread's scratch buffers (taken out for the call, so that
/// a nested call gets fresh ones rather than a panic).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let r = f(&mut scratch);
    SCRATCH.with(|s| *s.borrow_mut() = scratch);
    r
}

/// Frees the scratch buffers of every thread of the pool, after a full build
/// (watch mode then holds only the buffers its updates use, and reuses them).
pub(crate) fn release_scratch() {
    rayon::broadcast(|_| SCRATCH.with(|s| *s.borrow_mut() = Scratch::default()));
}

/// The block's characters, numbered in code point order (so keys sort like chars).
struct Chars<'a> {
    chars: Vec<char>,
    id: &'a mut Vec<u32>,
}

impl Drop for Chars<'_> {
    fn drop(&mut self) {
        for &c in &self.chars {
            self.id[c as usize] = u32::MAX;
        }
        self.id[' ' as usize] = u32::MAX;
    }
}

impl<'a> Chars<'a> {
    fn new(docs: &[Doc], id: &'a mut Vec<u32>) -> Chars<'a> {
        if id.is_empty() {
            id.resize(0x11_0000, u32::MAX);
        }
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

/// A bigram occurrence: its key (id(first) × n + id(second)), the block-local
/// report and the position in that report's stream, packed so that comparing
/// entries compares (key, report, position).
trait Occurrence: Copy + Ord + Default + Send {
    fn pack(key: u64, doc: u32, pos: u32, f: &Fields) -> Self;
    fn key(self, f: &Fields) -> u64;
    fn doc(self, f: &Fields) -> u32;
    fn pos(self, f: &Fields) -> u32;
    /// Sorts by key; entries of equal keys are already in (report, position) order.
    fn sort_by_key(v: &mut [Self], f: &Fields, scratch: &mut Vec<Self>);
}

/// Bit widths of the packed fields of a `u64` occurrence.
struct Fields {
    key_bits: u32,
    doc_bits: u32,
    pos_bits: u32,
}

fn width(max: u64) -> u32 {
    64 - max.leading_zeros()
}

impl Occurrence for u64 {
    #[inline]
    fn pack(key: u64, doc: u32, pos: u32, f: &Fields) -> u64 {
        (key << f.doc_bits | u64::from(doc)) << f.pos_bits | u64::from(pos)
    }
    #[inline]
    fn key(self, f: &Fields) -> u64 {
        self.checked_shr(f.doc_bits + f.pos_bits).unwrap_or(0)
    }
    #[inline]
    fn doc(self, f: &Fields) -> u32 {
        ((self >> f.pos_bits) & ((1u64 << f.doc_bits) - 1)) as u32
    }
    #[inline]
    fn pos(self, f: &Fields) -> u32 {
        (self & ((1u64 << f.pos_bits) - 1)) as u32
    }
    /// Stable LSD radix sort on the key bits (the entries fit in cache: one bucket).
    fn sort_by_key(v: &mut [u64], f: &Fields, scratch: &mut Vec<u64>) {
        let low = f.doc_bits + f.pos_bits;
        scratch.clear();
        scratch.resize(v.len(), 0);
        let mut count = [0u32; 1 << DIGIT];
        let mut in_v = true;
        let mut shift = low;
        while shift < low + f.key_bits {
            let (src, dst): (&[u64], &mut [u64]) = if in_v {
                (&*v, &mut scratch[..])
            } else {
                (&scratch[..], &mut *v)
            };
            let sh = shift;
            let digit = move |x: u64| (x >> sh) as usize & ((1 << DIGIT) - 1);
            count.fill(0);
            for &x in src {
                count[digit(x)] += 1;
            }
            shift += DIGIT;
            if count[digit(src[0])] as usize == src.len() {
                continue; // one digit value: nothing moves
            }
            let mut sum = 0;
            for c in count.iter_mut() {
                (*c, sum) = (sum, sum + *c);
            }
            for &x in src {
                let d = digit(x);
                dst[count[d] as usize] = x;
                count[d] += 1;
            }
            in_v = !in_v;
        }
        if !in_v {
            v.copy_from_slice(scratch);
        }
    }
}

impl Occurrence for u128 {
    #[inline]
    fn pack(key: u64, doc: u32, pos: u32, _: &Fields) -> u128 {
        u128::from(key) << 64 | u128::from(doc) << 32 | u128::from(pos)
    }
    #[inline]
    fn key(self, _: &Fields) -> u64 {
        (self >> 64) as u64
    }
    #[inline]
    fn doc(self, _: &Fields) -> u32 {
        (self >> 32) as u32
    }
    #[inline]
    fn pos(self, _: &Fields) -> u32 {
        self as u32
    }
    fn sort_by_key(v: &mut [u128], _: &Fields, _: &mut Vec<u128>) {
        v.sort_unstable();
    }
}

/// The position and id `each_char` passes after a report's last character.
const END: u32 = u32::MAX;

/// A character's (local report, count, in title) for each report containing it.
type UniList = Vec<(u32, u32, bool)>;

/// Calls `g(local report, position, id, bigram)` for each character of the
/// streams (not the boundaries), in stream order, where `bigram` is
/// `Some((bucket, key))` if the character before it was one too; after each
/// report, `g(local report, END, END, None)`.
#[inline]
fn each_char(
    docs: &[Doc],
    chars: &Chars,
    first: &[u32],
    mask: u32,
    g: &mut impl FnMut(u32, u32, u32, Option<(usize, u64)>),
) {
    let n = chars.chars.len() as u64;
    for (local, d) in docs.iter().enumerate() {
        let mut prev = u32::MAX;
        for (i, &c) in d.stream.iter().enumerate() {
            if c == ' ' {
                prev = u32::MAX;
                continue;
            }
            let id = chars.id[c as usize];
            let bigram = (prev != u32::MAX).then(|| {
                let bucket = bigram_hash(first[prev as usize], c as u32) & mask;
                (bucket as usize, u64::from(prev) * n + u64::from(id))
            });
            g(local as u32, i as u32, id, bigram);
            prev = id;
        }
        g(local as u32, END, END, None);
    }
}

/// Unigram lists (per character: (local report, count, in title) for each report
/// containing it), and the bigram occurrences of a block grouped by bucket into
/// `v` (in stream order within each; bucket b is `v[starts[b]..starts[b + 1]]`):
/// counted, then scattered, with no sort of the whole block.
fn by_bucket<O: Occurrence>(
    docs: &[Doc],
    chars: &Chars,
    layout: Layout,
    f: &Fields,
    v: &mut Vec<O>,
) -> (Vec<UniList>, Vec<usize>) {
    let first: Vec<u32> = chars.chars.iter().map(|&c| fnv_first(c as u32)).collect();
    let mask = layout.buckets - 1;
    let mut starts = vec![0usize; layout.buckets as usize + 1];
    let nc = chars.chars.len();
    let mut uni: Vec<UniList> = vec![Vec::new(); nc];
    let mut count = vec![0u32; nc];
    let mut title = vec![false; nc];
    let mut touched: Vec<u32> = Vec::new();
    each_char(docs, chars, &first, mask, &mut |local, i, id, bigram| {
        if id == END {
            for &id in &touched {
                let id = id as usize;
                uni[id].push((local, count[id], title[id]));
                (count[id], title[id]) = (0, false);
            }
            touched.clear();
            return;
        }
        let idu = id as usize;
        if count[idu] == 0 {
            touched.push(id);
        }
        count[idu] += 1;
        title[idu] |= i < docs[local as usize].title_len;
        if let Some((b, _)) = bigram {
            starts[b + 1] += 1;
        }
    });
    for b in 0..layout.buckets as usize {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    v.clear();
    v.resize(starts[layout.buckets as usize], O::default());
    each_char(docs, chars, &first, mask, &mut |local, i, _, bigram| {
        if let Some((b, key)) = bigram {
            v[next[b]] = O::pack(key, local, i - 1, f);
            next[b] += 1;
        }
    });
    (uni, starts)
}

fn encode_unigram(list: &[(u32, u32, bool)], w: &mut BitWriter) {
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
}

/// Encodes the occurrences `run` (one key, in report and position order) into `w`.
fn encode_bigram<O: Occurrence>(
    run: &[O],
    f: &Fields,
    docs: &[Doc],
    per_doc: &mut Vec<(u32, usize, u32)>,
    w: &mut BitWriter,
) {
    per_doc.clear();
    for (i, o) in run.iter().enumerate() {
        let d = o.doc(f);
        match per_doc.last_mut() {
            Some(last) if last.0 == d => last.2 += 1,
            _ => per_doc.push((d, i, 1)),
        }
    }
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
        for o in &run[first..first + count as usize] {
            let p = i64::from(o.pos(f));
            w.rice((p - pp - 1) as u64, kp);
            pp = p;
        }
        prev = i64::from(d);
    }
}

/// A bigram whose postings in a block take more than this many bits gets a file
/// of its own (listed in meta), so that a query for a rarer key that shares its
/// bucket does not load it, and a query for it loads nothing else.
pub(crate) const HEAVY_BITS: u64 = 4096 * 8;

/// The postings files of one block and the keys that have a file of their own.
pub(crate) struct BlockPostings {
    /// (registration name, bytes): one per bucket, then one per heavy key.
    pub files: Vec<(String, Vec<u8>)>,
    /// The heavy keys, sorted.
    pub heavy: Vec<Key>,
}

/// The postings files of one block.
pub(crate) fn build_block(docs: &[Doc], layout: Layout, block: u32) -> BlockPostings {
    with_scratch(|scratch| {
        let chars = Chars::new(docs, &mut scratch.char_id);
        let n = chars.chars.len() as u64;
        let f = Fields {
            key_bits: width((n * n).saturating_sub(1)),
            doc_bits: width(docs.len().saturating_sub(1) as u64),
            pos_bits: width(docs.iter().map(|d| d.stream.len()).max().unwrap_or(0) as u64),
        };
        if f.key_bits + f.doc_bits + f.pos_bits <= 64 {
            let occ = &mut scratch.occurrences;
            build_block_with::<u64>(docs, &chars, &f, layout, block, occ)
        } else {
            build_block_with::<u128>(docs, &chars, &f, layout, block, &mut Vec::new())
        }
    })
}

/// Writes a key's header: kind bit and key, delta-coded against the previous key
/// of the same file (`prev`: kind, first and second character).
fn key_header(key: Key, prev: &mut (bool, u32, u32), w: &mut BitWriter) {
    let big = key.is_bigram();
    if big != prev.0 {
        *prev = (big, 0, 0);
    }
    w.bits(u64::from(big), 1);
    let (kf, ks) = (key.first(), key.second());
    if big {
        w.gamma(u64::from(kf - prev.1) + 1);
        if kf == prev.1 {
            w.gamma(u64::from(ks - prev.2));
        } else {
            w.rice(u64::from(ks), 12);
        }
        prev.2 = ks;
    } else {
        w.gamma(u64::from(kf - prev.1));
    }
    prev.1 = kf;
}

/// A postings file: its key count, then each key's header and postings (`w`
/// is scratch space).
fn postings_file(name: &str, nkeys: usize, body: &BitWriter, w: &mut BitWriter) -> Vec<u8> {
    w.clear();
    w.gamma(nkeys as u64 + 1);
    w.append(body);
    let mut file = JsFile::new();
    file.raw("DANGAN_SEARCH_SHARD(")
        .string(name)
        .raw(",")
        .bits(w)
        .raw(");\n");
    file.into_bytes()
}

fn build_block_with<O: Occurrence>(
    docs: &[Doc],
    chars: &Chars,
    f: &Fields,
    layout: Layout,
    block: u32,
    occ: &mut Vec<O>,
) -> BlockPostings {
    let (uni, starts) = by_bucket::<O>(docs, chars, layout, f, occ);
    let mut uni_of: Vec<Vec<usize>> = (0..layout.buckets).map(|_| Vec::new()).collect();
    for (id, list) in uni.iter().enumerate() {
        if !list.is_empty() {
            uni_of[layout.bucket_of(Key::uni(chars.chars[id])) as usize].push(id);
        }
    }
    let mut slices: Vec<&mut [O]> = Vec::with_capacity(layout.buckets as usize);
    let mut rest: &mut [O] = occ;
    for b in 0..layout.buckets as usize {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(starts[b + 1] - starts[b]);
        slices.push(mine);
        rest = tail;
    }
    let block = BlockInput {
        docs,
        chars,
        f,
        uni: &uni,
        block,
    };
    // Buckets are independent: sorted and encoded in parallel, so that a watch-mode
    // update, which rebuilds one block, does not run on one core.
    let per_bucket: Vec<BucketFiles> = slices
        .into_par_iter()
        .zip(&uni_of)
        .enumerate()
        .map_init(BucketScratch::default, |s, (bucket, (mine, uni_ids))| {
            encode_bucket(&block, bucket as u32, mine, uni_ids, s)
        })
        .collect();
    let mut out = Vec::with_capacity(per_bucket.len());
    let mut heavy = Vec::new();
    for (bucket, (bytes, h)) in per_bucket.into_iter().enumerate() {
        out.push((postings_name(block.block, bucket as u32), bytes));
        heavy.extend(h);
    }
    heavy.sort_unstable_by_key(|(k, _)| *k);
    let keys = heavy.iter().map(|(k, _)| *k).collect();
    out.extend(
        heavy
            .into_iter()
            .map(|(k, bytes)| (heavy_name(block.block, k), bytes)),
    );
    BlockPostings {
        files: out,
        heavy: keys,
    }
}

/// What every bucket of a block reads.
struct BlockInput<'a, 'c> {
    docs: &'a [Doc<'a>],
    chars: &'a Chars<'c>,
    f: &'a Fields,
    uni: &'a [UniList],
    block: u32,
}

/// Buffers reused from bucket to bucket.
#[derive(Default)]
struct BucketScratch<O> {
    sort: Vec<O>,
    runs: Vec<(Key, usize, usize)>,
    per_doc: Vec<(u32, usize, u32)>,
    key: BitWriter,
    body: BitWriter,
    heavy: BitWriter,
    file: BitWriter,
}

/// A bucket's postings file, and its heavy keys with their files.
type BucketFiles = (Vec<u8>, Vec<(Key, Vec<u8>)>);

/// One bucket's postings file, and the files of its heavy keys: `mine` holds the
/// bucket's bigram occurrences (sorted here), `uni_ids` its characters.
fn encode_bucket<O: Occurrence>(
    block: &BlockInput,
    bucket: u32,
    mine: &mut [O],
    uni_ids: &[usize],
    s: &mut BucketScratch<O>,
) -> BucketFiles {
    let (chars, f) = (block.chars, block.f);
    let n = chars.chars.len() as u64;
    if !mine.is_empty() {
        O::sort_by_key(mine, f, &mut s.sort);
    }
    let mine = &*mine;
    s.runs.clear();
    let mut i = 0;
    while i < mine.len() {
        let k = mine[i].key(f);
        let mut j = i + 1;
        while j < mine.len() && mine[j].key(f) == k {
            j += 1;
        }
        let key = Key::bi(chars.chars[(k / n) as usize], chars.chars[(k % n) as usize]);
        s.runs.push((key, i, j));
        i = j;
    }
    let mut heavy = Vec::new();
    s.body.clear();
    let mut nkeys = 0;
    let keys = uni_ids
        .iter()
        .map(|&id| (Key::uni(chars.chars[id]), None))
        .chain(s.runs.iter().map(|&(key, i, j)| (key, Some((i, j)))));
    let mut prev = (false, 0u32, 0u32);
    for (key, run) in keys {
        let p = &mut s.key;
        p.clear();
        match run {
            None => encode_unigram(&block.uni[chars.id[key.first() as usize] as usize], p),
            Some((i, j)) => encode_bigram(&mine[i..j], f, block.docs, &mut s.per_doc, p),
        }
        if key.is_bigram() && p.bit_len() > HEAVY_BITS {
            let name = heavy_name(block.block, key);
            let one = &mut s.heavy;
            one.clear();
            key_header(key, &mut (false, 0, 0), one);
            one.gamma(p.bit_len() + 1);
            one.append(p);
            heavy.push((key, postings_file(&name, 1, one, &mut s.file)));
            continue;
        }
        key_header(key, &mut prev, &mut s.body);
        s.body.gamma(p.bit_len() + 1);
        s.body.append(p);
        nkeys += 1;
    }
    let name = postings_name(block.block, bucket);
    (postings_file(&name, nkeys, &s.body, &mut s.file), heavy)
}
