//! One block's share of the document lists: every string of one to four
//! characters (n-gram) of each report's stream, how often it occurs there
//! (its class), whether in the title and whether only in the attachments'
//! part of the stream, gathered by list bucket and key.
//!
//! A term of up to four characters is one of these keys, so its list alone
//! says exactly which reports hold it, how often and whether in the title; a
//! longer term's candidates are the reports holding each of its 4-grams.

use std::cell::RefCell;
use std::collections::HashMap;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::codec::{BitWriter, KeyDelta, rice_k};
use super::layout::{Key, Layout, MAX_GRAM, fnv_next, mix};
use super::lists::{Partial, tf_class};

/// What the lists need of one report: its normalized stream, the length of
/// its title part, and where its attachments' part starts (the stream's
/// length when it has none).
pub(crate) struct Doc<'a> {
    pub stream: &'a [char],
    pub title_len: u32,
    pub own_end: u32,
}

/// One report's entry in one key's list, before it is encoded, packed in 16
/// bytes so that sorting entries sorts them by list bucket, then key, then
/// report: bucket (14 bits), key (87), the report's number in its block
/// (20), the class of its count (5), in the title (1), only in an
/// attachment's text, not in the report's own (1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry(u128);

const KEY_BITS: u32 = 87;
const LOCAL_SHIFT: u32 = 7;

impl Entry {
    fn new(bucket: u32, key: Key, local: u32, class: u32, title: bool, attached: bool) -> Entry {
        debug_assert!(bucket < 1 << 14 && key.0 < 1 << KEY_BITS && local < 1 << 20 && class < 32);
        Entry(
            u128::from(bucket) << (KEY_BITS + 27)
                | key.0 << 27
                | u128::from(local) << LOCAL_SHIFT
                | u128::from(class) << 2
                | u128::from(title) << 1
                | u128::from(attached),
        )
    }
    fn bucket(self) -> u32 {
        (self.0 >> (KEY_BITS + 27)) as u32
    }
    fn key(self) -> Key {
        Key(self.0 >> 27 & ((1 << KEY_BITS) - 1))
    }
    fn local(self) -> u32 {
        (self.0 >> LOCAL_SHIFT) as u32 & 0xF_FFFF
    }
    fn class(self) -> u32 {
        (self.0 >> 2) as u32 & 31
    }
    fn title(self) -> bool {
        self.0 & 2 != 0
    }
    fn attached(self) -> bool {
        self.0 & 1 != 0
    }
}

/// Per-thread working memory of [`doc_entries`], kept from one report to
/// the next (a report's windows are sorted many times a second: allocating
/// and clearing it per report showed in profiles).
#[derive(Default)]
struct Scratch {
    /// Per code point below U+10000, its id in the report being read plus
    /// one (0: not seen yet); a table rather than a hash map, which cost a
    /// lookup per character. Cleared after each report by `chars`.
    bmp: Vec<u32>,
    /// Ids of the characters past U+FFFF (rare).
    astral: HashMap<u32, u32, FixedState>,
    /// Per id, its code point.
    chars: Vec<u32>,
    /// Per position of the stream, its character's id (0 for a boundary).
    ids: Vec<u32>,
    /// Per position, how many characters its window has before a boundary
    /// or the end (0 to [`MAX_GRAM`]).
    run: Vec<u8>,
    /// The window starts, sorted, and the sort's second buffer and counts.
    order: Vec<u32>,
    tmp: Vec<u32>,
    counts: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl Scratch {
    /// Gives each distinct character of `s` an id from 1 up, in order of
    /// first appearance (' ' gets 0), and the length of every window.
    fn read(&mut self, s: &[char]) {
        if self.bmp.is_empty() {
            self.bmp = vec![0; 0x1_0000];
        }
        self.ids.clear();
        for &c in s {
            let cp = c as u32;
            let id = if c == ' ' {
                0
            } else if cp < 0x1_0000 {
                let slot = &mut self.bmp[cp as usize];
                if *slot == 0 {
                    self.chars.push(cp);
                    *slot = self.chars.len() as u32;
                }
                *slot
            } else {
                let next = self.chars.len() as u32 + 1;
                let id = *self.astral.entry(cp).or_insert(next);
                if id == next {
                    self.chars.push(cp);
                }
                id
            };
            self.ids.push(id);
        }
        self.run.clear();
        self.run.resize(s.len(), 0);
        let mut after = 0u8;
        for i in (0..s.len()).rev() {
            after = match self.ids[i] {
                0 => 0,
                _ => (after + 1).min(MAX_GRAM as u8),
            };
            self.run[i] = after;
        }
    }

    /// Forgets the report's ids.
    fn clear(&mut self) {
        for &cp in &self.chars {
            if cp < 0x1_0000 {
                self.bmp[cp as usize] = 0;
            }
        }
        self.chars.clear();
        self.astral.clear();
        // A very long report's buffers are not kept for the next one.
        if self.ids.capacity() > 1 << 20 {
            let bmp = std::mem::take(&mut self.bmp);
            *self = Scratch {
                bmp,
                ..Scratch::default()
            };
        }
    }

    /// The id of the `k`th character of the window at `p`, 0 past its end.
    #[inline(always)]
    fn digit(&self, p: u32, k: usize) -> u32 {
        let p = p as usize;
        if usize::from(self.run[p]) > k {
            self.ids[p + k]
        } else {
            0
        }
    }

    /// Sorts the starts of the windows (every non-boundary position) by
    /// their ids, first character first, into `order`: a counting sort per
    /// character, last first (LSD radix), on ids below the report's count
    /// of distinct characters. The order of ids is not that of code points,
    /// and need not be: only equal windows must end up together.
    fn sort(&mut self) {
        self.order.clear();
        self.order
            .extend((0..self.ids.len() as u32).filter(|&p| self.ids[p as usize] != 0));
        let n = self.order.len();
        self.tmp.resize(n, 0);
        let nd = self.chars.len() + 1;
        for k in (0..MAX_GRAM).rev() {
            let mut counts = std::mem::take(&mut self.counts);
            counts.clear();
            counts.resize(nd + 1, 0);
            for &p in &self.order {
                counts[self.digit(p, k) as usize + 1] += 1;
            }
            if counts[1] as usize == n && k > 0 {
                // No window reaches this character: nothing to order by.
                self.counts = counts;
                continue;
            }
            for d in 1..=nd {
                counts[d] += counts[d - 1];
            }
            let mut tmp = std::mem::take(&mut self.tmp);
            for &p in &self.order {
                let d = self.digit(p, k) as usize;
                tmp[counts[d] as usize] = p;
                counts[d] += 1;
            }
            std::mem::swap(&mut self.order, &mut tmp);
            self.tmp = tmp;
            self.counts = counts;
        }
    }
}

/// Appends one report's entries (every n-gram, each once) to `out`, in no
/// particular order: [`build_block`] sorts each bucket's.
fn doc_entries(d: &Doc, local: u32, layout: Layout, out: &mut Vec<Entry>) {
    SCRATCH.with(|sc| {
        let mut sc = sc.borrow_mut();
        sc.read(d.stream);
        sc.sort();
        emit_runs(&sc, d, local, layout, out);
        sc.clear();
    });
}

/// One pass over the sorted windows: an n-gram of each length is a run of
/// windows with the same first n characters; where two neighbours part, the
/// runs of every length past their common prefix end. Each run's key and
/// hash are made once, when it starts, from the one a character shorter.
fn emit_runs(sc: &Scratch, d: &Doc, local: u32, layout: Layout, out: &mut Vec<Entry>) {
    const TITLE: u8 = 1;
    const OWN: u8 = 2;
    let s = d.stream;
    let order = &sc.order;
    let mut run_start = [0usize; MAX_GRAM];
    let mut flags = [0u8; MAX_GRAM];
    // Per length (index 0: the empty prefix), the current run's FNV-1a
    // state and key bits; `live[l]`: the run's windows have l characters.
    let mut hash = [0x811C_9DC5u32; MAX_GRAM + 1];
    let mut key = [0u128; MAX_GRAM + 1];
    let mut live = [false; MAX_GRAM + 1];
    let mut emit = |level: usize, count: usize, hash: u32, key: u128, flags: u8| {
        out.push(Entry::new(
            mix(hash) & (layout.d_buckets - 1),
            Key((level as u128) << 84 | key),
            local,
            tf_class(count as u32),
            flags & TITLE != 0,
            flags & OWN == 0,
        ));
    };
    for j in 0..order.len() {
        let p = order[j];
        // How many leading characters this window shares with the one before.
        let common = match j {
            0 => 0,
            _ => {
                let q = order[j - 1];
                let mut c = 0;
                while c < MAX_GRAM && sc.digit(p, c) != 0 && sc.digit(p, c) == sc.digit(q, c) {
                    c += 1;
                }
                c
            }
        };
        let pr = usize::from(sc.run[p as usize]);
        for level in common + 1..=MAX_GRAM {
            if j > 0 && live[level] {
                let at = run_start[level - 1];
                emit(level, j - at, hash[level], key[level], flags[level - 1]);
            }
            run_start[level - 1] = j;
            flags[level - 1] = 0;
            live[level] = level <= pr;
            if live[level] {
                let c = s[p as usize + level - 1] as u32;
                hash[level] = fnv_next(hash[level - 1], c);
                key[level] = key[level - 1] | u128::from(c) << (63 - 21 * (level - 1));
            }
        }
        let f = (u8::from(p < d.title_len) * TITLE) | (u8::from(p < d.own_end) * OWN);
        for x in &mut flags {
            *x |= f;
        }
    }
    if !order.is_empty() {
        for level in 1..=MAX_GRAM {
            if live[level] {
                let at = run_start[level - 1];
                emit(
                    level,
                    order.len() - at,
                    hash[level],
                    key[level],
                    flags[level - 1],
                );
            }
        }
    }
}

/// The block's segments of every list (`docs` in number order). The threads
/// work inside the block (its reports' n-grams, then its list buckets in
/// groups), so that a build holds one block's entries whatever the number of
/// threads (#13: a block per thread took 700 MB each at 100,000 reports).
/// Each report's entries are kept in a vector of their exact size, laid out
/// by group of buckets (a counting pass, not a sort); a group of buckets
/// gathers its share of them from every report, in number order, lays them
/// out by bucket the same way, and sorts each bucket's few entries by key:
/// one block's entries are in memory once, and no sort runs over a whole
/// report's or a whole group's entries (those sorts were most of the
/// index's build time).
pub(crate) fn build_block(docs: &[Doc], layout: Layout) -> Partial {
    // Buckets in groups, each group's segments written by one thread, then
    // joined in bucket order: the same bits as one thread writing them all.
    const GROUPS: u32 = 64;
    let nb = layout.d_buckets;
    let per = nb.div_ceil(GROUPS);
    let ngroups = nb.div_ceil(per) as usize;
    // Per report, its entries by group (in the order made) and where each group's start.
    let per_doc: Vec<(Vec<Entry>, Vec<u32>)> = docs
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |scratch, (local, d)| {
            scratch.clear();
            doc_entries(d, local as u32, layout, scratch);
            lay_out(scratch, ngroups, |e| (e.bucket() / per) as usize)
        })
        .collect();
    type Spans = Vec<(u64, u64, u32)>;
    let groups: Vec<(BitWriter, Spans)> = (0..ngroups)
        .into_par_iter()
        .map_init(Vec::new, |mine: &mut Vec<Entry>, gi| {
            let g = gi as u32 * per;
            let end = (g + per).min(nb);
            mine.clear();
            for (es, starts) in &per_doc {
                mine.extend_from_slice(&es[starts[gi] as usize..starts[gi + 1] as usize]);
            }
            // Reports in number order, each bucket's entries too (the
            // layout keeps the order): sorting a bucket by key then keeps
            // them by report within a key (keys are unique within a report).
            let (mut mine_laid, starts) =
                lay_out(mine, (end - g) as usize, |e| (e.bucket() - g) as usize);
            let mut w = BitWriter::default();
            let mut seg = BitWriter::default();
            let mut spans = Vec::with_capacity((end - g) as usize);
            for (k, b) in starts.windows(2).enumerate() {
                let bucket = &mut mine_laid[b[0] as usize..b[1] as usize];
                bucket.sort_unstable();
                let from = w.bit_len();
                let mut nkeys = 0;
                let mut prev = KeyDelta::default();
                let mut i = 0;
                while i < bucket.len() {
                    let key = bucket[i].key();
                    let mut j = i + 1;
                    while j < bucket.len() && bucket[j].key() == key {
                        j += 1;
                    }
                    seg.clear();
                    encode_segment(&bucket[i..j], &mut seg);
                    prev.write(key, &mut w);
                    w.gamma(seg.bit_len() + 1);
                    w.append(&seg);
                    nkeys += 1;
                    i = j;
                }
                debug_assert!(bucket.iter().all(|e| e.bucket() == g + k as u32));
                spans.push((from, w.bit_len(), nkeys));
            }
            (w, spans)
        })
        .collect();
    drop(per_doc);
    // The block's words in one vector of their exact size: every block's
    // are kept until its lists are put together (and in watch mode after).
    let bits: u64 = groups.iter().map(|(g, _)| g.bit_len()).sum();
    let mut w = BitWriter::with_capacity(bits);
    let mut spans = Vec::with_capacity(nb as usize);
    for (g, s) in groups {
        let at = w.bit_len();
        w.append(&g);
        spans.extend(s.into_iter().map(|(a, b, n)| (at + a, at + b, n)));
    }
    Partial::new(w.into_words(), spans)
}

/// `entries` laid out by `slot` (below `slots`), each slot's in the order
/// given (a counting sort), in a vector of their exact size; and where each
/// slot starts, then the end.
fn lay_out(
    entries: &[Entry],
    slots: usize,
    slot: impl Fn(&Entry) -> usize,
) -> (Vec<Entry>, Vec<u32>) {
    let mut starts = vec![0u32; slots + 1];
    for e in entries {
        starts[slot(e) + 1] += 1;
    }
    for s in 1..=slots {
        starts[s] += starts[s - 1];
    }
    let mut at = starts.clone();
    let mut laid = vec![Entry(0); entries.len()];
    for e in entries {
        let s = &mut at[slot(e)];
        laid[*s as usize] = *e;
        *s += 1;
    }
    (laid, starts)
}

/// A block's segment of one key's list: gamma(df), kd:5, 1 bit: some report
/// holds it only in an attachment; per report: rice(local - prev - 1, kd),
/// gamma(class + 1), 1 bit: in title, and if the segment has the attachment
/// bit and this is not in the title, 1 bit: only in an attachment. (Most
/// segments have no attachment-only report, and pay one bit, not one a report.)
fn encode_segment(entries: &[Entry], w: &mut BitWriter) {
    let df = entries.len() as u64;
    w.gamma(df);
    let last = u64::from(entries[entries.len() - 1].local());
    let kd = rice_k(last + 1 - df, df);
    w.bits(u64::from(kd), 5);
    let attached = entries.iter().any(|e| e.attached());
    w.bits(u64::from(attached), 1);
    let mut prev = -1i64;
    for e in entries {
        let gap = (i64::from(e.local()) - prev - 1) as u64;
        // gamma(class + 1) (class < 32: at most 11 bits), the title bit
        // and maybe the attachment bit, after the Rice code: one write of
        // all of them when they fit in 64 bits, as they nearly always do.
        let class = u64::from(e.class()) + 1;
        let mut tail = class << 1 | u64::from(e.title());
        let mut tail_len = 2 * (63 - class.leading_zeros()) + 2;
        if attached && !e.title() {
            tail = tail << 1 | u64::from(e.attached());
            tail_len += 1;
        }
        let q = gap >> kd;
        if q + 1 + u64::from(kd) + u64::from(tail_len) <= 64 {
            let ones = ((1u64 << q) - 1) << (kd + 1);
            let low = gap & ((1u64 << kd) - 1);
            w.bits(
                (ones | low) << tail_len | tail,
                q as u32 + 1 + kd + tail_len,
            );
        } else {
            w.rice(gap, kd);
            w.bits(tail, tail_len);
        }
        prev = i64::from(e.local());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_a_brute_force_count_of_every_ngram() {
        // Streams of a few characters (neighbouring code points, one past
        // U+FFFF, spaces), so that n-grams repeat and share prefixes.
        let alpha: Vec<char> = "三上下 党建𠀀a".chars().collect();
        let mut seed = 1u64;
        for n in 0..300usize {
            let len = (n * 7) % 200;
            let stream: Vec<char> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    alpha[(seed >> 33) as usize % alpha.len()]
                })
                .collect();
            let d = Doc {
                stream: &stream,
                title_len: (n % 7) as u32,
                own_end: (len as u32).saturating_sub((n % 5) as u32),
            };
            // Per n-gram: its count, in the title, in the report's own text.
            let mut want: std::collections::BTreeMap<Vec<char>, (u32, bool, bool)> =
                std::collections::BTreeMap::new();
            for i in 0..len {
                for l in 1..=MAX_GRAM.min(len - i) {
                    let g = &stream[i..i + l];
                    if g.contains(&' ') {
                        break;
                    }
                    let e = want.entry(g.to_vec()).or_default();
                    e.0 += 1;
                    e.1 |= (i as u32) < d.title_len;
                    e.2 |= (i as u32) < d.own_end;
                }
            }
            let layout = Layout::for_count(10);
            let mut out = Vec::new();
            doc_entries(&d, 3, layout, &mut out);
            let mut got: Vec<_> = out
                .iter()
                .map(|e| {
                    let g: Vec<char> = e
                        .key()
                        .code_points()
                        .iter()
                        .map(|&c| char::from_u32(c).unwrap())
                        .collect();
                    assert_eq!(
                        e.bucket(),
                        crate::search::layout::key_hash(e.key()) & (layout.d_buckets - 1)
                    );
                    assert_eq!(e.local(), 3);
                    (g, e.class(), e.title(), e.attached())
                })
                .collect();
            got.sort();
            let want: Vec<_> = want
                .into_iter()
                .map(|(g, (c, t, o))| (g, tf_class(c), t, !o))
                .collect();
            assert_eq!(got, want, "{stream:?}");
        }
    }

    #[test]
    fn every_ngram_of_a_report_counted_once_with_its_title() {
        let stream: Vec<char> = "党建 党建工作党建".chars().collect();
        let d = Doc {
            stream: &stream,
            title_len: 3,
            own_end: stream.len() as u32,
        };
        let mut out = Vec::new();
        doc_entries(&d, 7, Layout::for_count(10), &mut out);
        let got: Vec<(String, u32, bool)> = out
            .iter()
            .map(|e| {
                let s: String = e
                    .key()
                    .code_points()
                    .iter()
                    .map(|&c| char::from_u32(c).unwrap())
                    .collect();
                (s, e.class(), e.title())
            })
            .collect();
        let want = |s: &str, class, title| (s.to_string(), class, title);
        assert!(
            got.contains(&want("党", 1, true)),
            "党 three times: class 1"
        );
        assert!(got.contains(&want("党建", 1, true)));
        assert!(got.contains(&want("建工", 0, false)));
        assert!(got.contains(&want("党建工作", 0, false)));
        assert!(got.contains(&want("作党建", 0, false)));
        assert!(
            !got.iter().any(|g| g.0.contains(' ')),
            "no key crosses a boundary"
        );
        assert!(out.iter().all(|e| e.local() == 7));
        // 党 建 工 作, 党建 建工 工作 作党, 建工作 党建工 工作党 作党建, 党建工作 建工作党 工作党建.
        assert_eq!(out.len(), 4 + 4 + 4 + 3);
    }

    #[test]
    fn keys_only_in_an_attachment_are_marked() {
        // Title "标题", body "党建", then an attachment "党员党建".
        let stream: Vec<char> = "标题 党建 党员党建".chars().collect();
        let d = Doc {
            stream: &stream,
            title_len: 3,
            own_end: 5,
        };
        let mut out = Vec::new();
        doc_entries(&d, 0, Layout::for_count(10), &mut out);
        let attached = |s: &str| {
            let k = Key::of_chars(&s.chars().collect::<Vec<_>>());
            out.iter().find(|e| e.key() == k).map(|e| e.attached())
        };
        assert_eq!(attached("党建"), Some(false), "in the body too");
        assert_eq!(attached("标题"), Some(false));
        assert_eq!(attached("党员"), Some(true));
        assert_eq!(attached("员党建"), Some(true));
        assert_eq!(attached("建党"), None, "no key crosses a boundary");
    }
}
