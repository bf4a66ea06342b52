//! Byte-level formats of the shards: bit streams (Elias-gamma, Rice), their packing
//! into JavaScript strings of 15-bit units, and UTF-16 script files.
//!
//! Shards are classic scripts saved as UTF-16LE with a byte-order mark: browsers
//! decode a script by its BOM whatever the server or `file://` says, Chinese text
//! then costs 2 bytes a character instead of 3, and binary data packs 15 bits into
//! each 2-byte code unit (U+3000 + value, clear of quotes, backslashes, line
//! terminators and surrogates). `readBits` in search.js reads them back.

use super::layout::{Key, MAX_GRAM};

/// First code unit of the 15-bit alphabet.
pub(crate) const UNIT_BASE: u16 = 0x3000;

/// An MSB-first bit stream.
#[derive(Default, Clone)]
pub(crate) struct BitWriter {
    /// Full words.
    words: Vec<u64>,
    /// The word being filled: its top `used` bits are written, the rest are zero.
    acc: u64,
    used: u32,
}

impl BitWriter {
    /// An empty stream with room for `bits` bits.
    pub(crate) fn with_capacity(bits: u64) -> Self {
        BitWriter {
            words: Vec::with_capacity((bits / 64) as usize + 1),
            ..Default::default()
        }
    }

    pub(crate) fn bit_len(&self) -> u64 {
        self.words.len() as u64 * 64 + u64::from(self.used)
    }

    pub(crate) fn clear(&mut self) {
        self.words.clear();
        self.acc = 0;
        self.used = 0;
    }

    /// Writes the low `n` bits of `v` (n ≤ 64).
    #[inline]
    pub(crate) fn bits(&mut self, v: u64, n: u32) {
        if n == 0 {
            return;
        }
        let v = if n < 64 { v & ((1u64 << n) - 1) } else { v };
        let free = 64 - self.used;
        if n < free {
            self.acc |= v << (free - n);
            self.used += n;
        } else {
            let rest = n - free;
            self.words.push(self.acc | v >> rest);
            self.acc = if rest == 0 { 0 } else { v << (64 - rest) };
            self.used = rest;
        }
    }

    /// `q` one-bits, then a zero.
    #[inline]
    pub(crate) fn unary(&mut self, mut q: u64) {
        while q >= 63 {
            self.bits(u64::MAX, 63);
            q -= 63;
        }
        self.bits(((1u64 << q) - 1) << 1, q as u32 + 1);
    }

    /// Elias gamma code of `n` ≥ 1: as many zeros as `n` has bits after its
    /// leading one, then `n`.
    #[inline]
    pub(crate) fn gamma(&mut self, n: u64) {
        debug_assert!(n >= 1);
        let nb = 63 - n.leading_zeros();
        if nb < 32 {
            self.bits(n, 2 * nb + 1);
        } else {
            self.bits(0, nb);
            self.bits(n, nb + 1);
        }
    }

    /// Rice code of `v` ≥ 0 with parameter `k`.
    #[inline]
    pub(crate) fn rice(&mut self, v: u64, k: u32) {
        let q = v >> k;
        if q + 1 + u64::from(k) <= 64 {
            // q ones, a zero, the low k bits, in one write.
            let ones = ((1u64 << q) - 1) << (k + 1);
            let low = if k == 0 { 0 } else { v & ((1u64 << k) - 1) };
            self.bits(ones | low, q as u32 + 1 + k);
        } else {
            self.unary(q);
            self.bits(v, k);
        }
    }

    /// Appends another stream bit for bit.
    pub(crate) fn append(&mut self, other: &BitWriter) {
        if self.used == 0 {
            self.words.extend_from_slice(&other.words);
        } else {
            for &w in &other.words {
                self.bits(w, 64);
            }
        }
        if other.used > 0 {
            self.bits(other.acc >> (64 - other.used), other.used);
        }
    }

    /// Appends bits `from..to` of a finished stream ([`BitWriter::words`]).
    pub(crate) fn append_range(&mut self, words: &[u64], from: u64, to: u64) {
        let mut at = from;
        // Up to the next word boundary of the source, then whole source words.
        while at < to {
            let off = (at % 64) as u32;
            let n = (64 - off).min((to - at) as u32);
            let w = words[(at / 64) as usize] << off;
            self.bits(w >> (64 - n), n);
            at += u64::from(n);
        }
    }

    /// The stream as whole words, the last one zero-padded: what
    /// [`WordReader`] and [`BitWriter::append_range`] read.
    pub(crate) fn words(&self) -> Vec<u64> {
        let mut out = self.words.clone();
        if self.used > 0 {
            out.push(self.acc);
        }
        out
    }

    /// [`BitWriter::words`] without a copy.
    pub(crate) fn into_words(mut self) -> Vec<u64> {
        if self.used > 0 {
            self.words.push(self.acc);
        }
        self.words
    }

    /// The stream as 15-bit values, zero-padded at the end.
    #[cfg(test)]
    pub(crate) fn units(&self) -> Vec<u16> {
        let mut out = Vec::with_capacity(self.bit_len().div_ceil(15) as usize);
        self.each_unit(|u| out.push(u));
        out
    }

    /// Calls `f` with each 15-bit value of the stream, zero-padded at the end.
    #[inline]
    pub(crate) fn each_unit(&self, mut f: impl FnMut(u16)) {
        let word = |i: usize| match self.words.get(i) {
            Some(&w) => w,
            None if i == self.words.len() => self.acc,
            None => 0,
        };
        let n = self.bit_len().div_ceil(15);
        for i in 0..n {
            let start = i * 15;
            let w = (start / 64) as usize;
            let off = (start % 64) as u32;
            let mut v = (word(w) << off) >> 49;
            if off > 49 {
                v |= word(w + 1) >> (64 - 15 + (64 - off));
            }
            f(v as u16);
        }
    }
}

/// Reads a stream written by [`BitWriter`] from its 15-bit units, as
/// search.js does: the reference the codec's tests check the units against.
#[cfg(test)]
pub(crate) struct BitReader<'a> {
    units: &'a [u16],
    pos: u64,
}

#[cfg(test)]
impl<'a> BitReader<'a> {
    pub(crate) fn new(units: &'a [u16]) -> Self {
        BitReader { units, pos: 0 }
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    fn bit(&mut self) -> u64 {
        let u = self
            .units
            .get((self.pos / 15) as usize)
            .copied()
            .unwrap_or(0);
        let b = (u >> (14 - (self.pos % 15))) & 1;
        self.pos += 1;
        u64::from(b)
    }

    pub(crate) fn bits(&mut self, n: u32) -> u64 {
        (0..n).fold(0, |acc, _| (acc << 1) | self.bit())
    }

    pub(crate) fn unary(&mut self) -> u64 {
        let mut q = 0;
        while self.bit() == 1 {
            q += 1;
        }
        q
    }

    pub(crate) fn gamma(&mut self) -> u64 {
        let mut nb = 0;
        while self.bit() == 0 {
            nb += 1;
        }
        (1 << nb) | self.bits(nb)
    }

    pub(crate) fn rice(&mut self, k: u32) -> u64 {
        let q = self.unary();
        (q << k) | self.bits(k)
    }
}

/// Reads a stream from its words ([`BitWriter::words`]): the indexer reading
/// back what it wrote, a word at a time.
pub(crate) struct WordReader<'a> {
    words: &'a [u64],
    pos: u64,
}

impl<'a> WordReader<'a> {
    pub(crate) fn new(words: &'a [u64], pos: u64) -> Self {
        WordReader { words, pos }
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    pub(crate) fn seek(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// The next 64 bits, zero past the end, without consuming them.
    #[inline]
    fn peek(&self) -> u64 {
        let i = (self.pos / 64) as usize;
        let off = (self.pos % 64) as u32;
        let w = |i: usize| self.words.get(i).copied().unwrap_or(0);
        if off == 0 {
            w(i)
        } else {
            w(i) << off | w(i + 1) >> (64 - off)
        }
    }

    /// `n` ≤ 64 bits.
    #[inline]
    pub(crate) fn bits(&mut self, n: u32) -> u64 {
        if n == 0 {
            return 0;
        }
        let v = self.peek() >> (64 - n);
        self.pos += u64::from(n);
        v
    }

    #[inline]
    pub(crate) fn unary(&mut self) -> u64 {
        let mut q = 0;
        loop {
            let ones = self.peek().leading_ones();
            q += u64::from(ones);
            self.pos += u64::from(ones);
            if ones < 64 {
                self.pos += 1;
                return q;
            }
        }
    }

    #[inline]
    pub(crate) fn gamma(&mut self) -> u64 {
        let zeros = self.peek().leading_zeros();
        debug_assert!(zeros < 64, "no gamma code here");
        self.pos += u64::from(zeros);
        self.bits(zeros + 1)
    }

    #[inline]
    pub(crate) fn rice(&mut self, k: u32) -> u64 {
        let q = self.unary();
        (q << k) | self.bits(k)
    }
}

/// Writes keys in increasing order, each delta-coded against the one before
/// (start from `KeyDelta::default()`):
///
/// ```text
/// 2 bits: length - 1 (1 to 4 characters); a change of length starts the deltas afresh
/// then per character, while the key so far equals the previous one's start:
///   the last character: gamma(c - prev_c); any other: gamma(c - prev_c + 1);
/// and once it differs, each remaining character as rice(c, 12)
/// ```
#[derive(Clone, Copy, Default)]
pub(crate) struct KeyDelta(usize, [u32; MAX_GRAM]);

impl KeyDelta {
    pub(crate) fn write(&mut self, key: Key, w: &mut BitWriter) {
        let n = key.len();
        if n != self.0 {
            *self = KeyDelta(n, [0; MAX_GRAM]);
        }
        w.bits(n as u64 - 1, 2);
        let c = key.cps();
        let mut same = true;
        for (i, (&ci, &pi)) in c.iter().zip(&self.1).take(n).enumerate() {
            if same {
                let d = u64::from(ci - pi);
                w.gamma(if i + 1 == n { d } else { d + 1 });
                same = ci == pi;
            } else {
                w.rice(u64::from(ci), 12);
            }
        }
        self.1 = c;
    }

    pub(crate) fn read(&mut self, r: &mut WordReader) -> Key {
        let n = r.bits(2) as usize + 1;
        if n != self.0 {
            *self = KeyDelta(n, [0; MAX_GRAM]);
        }
        let mut c = [0u32; MAX_GRAM];
        let mut same = true;
        for (i, (ci, &pi)) in c.iter_mut().zip(&self.1).take(n).enumerate() {
            if same {
                let d = r.gamma() as u32;
                *ci = pi + if i + 1 == n { d } else { d - 1 };
                same = *ci == pi;
            } else {
                *ci = r.rice(12) as u32;
            }
        }
        self.1 = c;
        Key::of(&c[..n])
    }
}

/// A Rice parameter close to optimal for values with the given sum and count
/// (integer arithmetic, so the output never depends on floating point).
pub(crate) fn rice_k(sum: u64, count: u64) -> u32 {
    if count == 0 {
        return 0;
    }
    // Golomb's optimum is about ln 2 × mean; 11/16 ≈ ln 2.
    let b = (sum.saturating_mul(11) / (count * 16)).max(1);
    (63 - b.leading_zeros()).min(31)
}

/// The hash that names an index file by its bytes: 60 bits of xxh3 (the hash
/// publish compares files with), so that a changed file gets a new name.
pub(crate) fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes) >> 4
}

/// A hash as 12 characters of `0-9a-v` (5 bits each, high first), for file names.
pub(crate) fn hash_name(h: u64) -> String {
    (0..12)
        .rev()
        .map(|i| {
            let d = (h >> (5 * i) & 31) as u32;
            char::from_digit(d, 32).expect("below 32")
        })
        .collect()
}

/// A script file in UTF-16LE with BOM, built from pieces.
pub(crate) struct JsFile {
    bytes: Vec<u8>,
}

impl JsFile {
    pub(crate) fn new() -> Self {
        JsFile {
            bytes: vec![0xFF, 0xFE],
        }
    }

    /// The arguments of a shard after its name (no byte-order mark): what
    /// [`Named::new`] hashes.
    pub(crate) fn args() -> Self {
        JsFile { bytes: Vec::new() }
    }

    #[inline]
    fn unit(&mut self, u: u16) {
        self.bytes.extend_from_slice(&u.to_le_bytes());
    }

    /// Raw script text (syntax, numbers, already-escaped JSON).
    pub(crate) fn raw(&mut self, s: &str) -> &mut Self {
        for u in s.encode_utf16() {
            self.unit(u);
        }
        self
    }

    /// A JavaScript string literal.
    pub(crate) fn string(&mut self, s: &str) -> &mut Self {
        self.unit(u16::from(b'"'));
        for c in s.chars() {
            match c {
                '"' => self.raw("\\\""),
                '\\' => self.raw("\\\\"),
                '\n' => self.raw("\\n"),
                '\r' => self.raw("\\r"),
                '\u{2028}' => self.raw("\\u2028"),
                '\u{2029}' => self.raw("\\u2029"),
                c if (c as u32) < 0x20 => self.raw(&format!("\\u{:04x}", c as u32)),
                c => {
                    let mut b = [0u16; 2];
                    for &u in c.encode_utf16(&mut b).iter() {
                        self.unit(u);
                    }
                    continue;
                }
            };
        }
        self.unit(u16::from(b'"'));
        self
    }

    /// A JSON value (valid JavaScript once U+2028/2029 are escaped).
    pub(crate) fn json(&mut self, v: &serde_json::Value) -> &mut Self {
        let s = v
            .to_string()
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029");
        self.raw(&s)
    }

    /// A string literal holding a bit stream as 15-bit units.
    pub(crate) fn bits(&mut self, w: &BitWriter) -> &mut Self {
        self.unit(u16::from(b'"'));
        self.bytes
            .reserve(w.bit_len().div_ceil(15) as usize * 2 + 2);
        w.each_unit(|u| self.unit(u + UNIT_BASE));
        self.unit(u16::from(b'"'));
        self
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// An index file named by the hash of what it holds:
/// `DANGAN_SEARCH_SHARD("<name>", <args>);` in UTF-16LE with a byte-order mark,
/// at `_search/<name>.js`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Named {
    /// The registration name, e.g. "d/17.0a1b2c3d4e5f".
    pub name: String,
    pub hash: u64,
    pub bytes: Vec<u8>,
}

impl Named {
    /// The file of `args` ([`JsFile::args`]), named by `name_of(hash of args)`.
    pub(crate) fn new(name_of: impl FnOnce(u64) -> String, args: JsFile) -> Named {
        let hash = content_hash(&args.bytes);
        let name = name_of(hash);
        let mut f = JsFile::new();
        f.raw("DANGAN_SEARCH_SHARD(").string(&name).raw(",");
        f.bytes.extend_from_slice(&args.bytes);
        f.raw(");\n");
        Named {
            name,
            hash,
            bytes: f.into_bytes(),
        }
    }

    /// A file whose arguments are one bit stream, named `<prefix>.<hash>`.
    pub(crate) fn bits(prefix: &str, w: &BitWriter) -> Named {
        let mut args = JsFile::args();
        args.bits(w);
        Named::new(|h| format!("{prefix}.{}", hash_name(h)), args)
    }

    /// Its path relative to the output folder.
    pub(crate) fn path(&self) -> String {
        path_of(&self.name)
    }
}

/// The path of the file registering `name`.
pub(crate) fn path_of(name: &str) -> String {
    format!("_search/{name}.js")
}

/// Decodes a UTF-16LE file with BOM (the inverse of [`JsFile::into_bytes`]).
pub(crate) fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .skip(1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_units() {
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        let mut vals = Vec::new();
        let mut w = BitWriter::default();
        for i in 0..5000 {
            let r = rng.u64(..);
            let v = r >> (r % 64);
            let k = (r % 20) as u32;
            match i % 4 {
                0 => w.gamma(v.max(1) >> 3 | 1),
                1 => w.rice(v >> 40, k),
                2 => w.bits(v, (r % 65) as u32),
                _ => {
                    let mut o = BitWriter::default();
                    o.rice(v >> 50, k);
                    o.gamma(7);
                    w.append(&o);
                }
            }
            vals.push((r, v, k));
        }
        let units = w.units();
        assert!(units.iter().all(|&u| u < 0x8000));
        let mut r = BitReader::new(&units);
        for (i, &(rr, v, k)) in vals.iter().enumerate() {
            match i % 4 {
                0 => assert_eq!(r.gamma(), v.max(1) >> 3 | 1),
                1 => assert_eq!(r.rice(k), v >> 40),
                2 => {
                    let n = (rr % 65) as u32;
                    let want = if n == 64 { v } else { v & ((1u64 << n) - 1) };
                    if n == 64 {
                        assert_eq!((r.bits(32) << 32) | r.bits(32), want);
                    } else {
                        assert_eq!(r.bits(n), want);
                    }
                }
                _ => {
                    assert_eq!(r.rice(k), v >> 50);
                    assert_eq!(r.gamma(), 7);
                }
            }
        }
        assert_eq!(r.pos(), w.bit_len());
    }

    #[test]
    fn string_literals_escape_what_javascript_needs() {
        let mut f = JsFile::new();
        f.string("a\"b\\c\nd\u{2028}\u{1}中");
        let units = utf16_units(&f.into_bytes());
        let s = String::from_utf16(&units).unwrap();
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u2028\\u0001中\"");
    }
}
