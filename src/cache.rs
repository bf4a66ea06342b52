//! The build cache in `.dangan-cache/` at the archive root: what a build
//! learnt that the next process need not learn again. Each part is one file,
//! trusted only when all of it checks out: dangan's own header with its
//! format number and version, the key of what the part depends on, its
//! length, and an xxh3-128 checksum of everything before it. Anything else
//! (truncated, damaged, another version's, another key's, a foreign file) is
//! ignored, with one line saying why, and the build does that work again.
//!
//! A part is written under a temporary name in the same folder and renamed
//! over the old one, so a reader (another `build`, a `check`, a build to
//! another `--out`) sees the old file or the new one, never half of one.
//!
//! The file format is dangan's own, so that no serialisation library's
//! version decides whether an old cache reads; it is a few length-prefixed
//! fields, [`Writer`] and [`Reader`] below.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The folder at the archive root.
pub const CACHE_DIR: &str = ".dangan-cache";

/// Changes whenever what a part holds, or how, changes.
const FORMAT: u32 = 1;
const MAGIC: &[u8; 12] = b"dangan-cache";

/// Whether a build reads and writes the cache (`--no-cache`: neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    On,
    Off,
}

/// The path of part `name` of the cache of `root`.
pub fn part_path(root: &Path, name: &str) -> PathBuf {
    root.join(CACHE_DIR).join(name)
}

/// Why a part was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub path: String,
    pub why: &'static str,
}

impl Ignored {
    /// The one line a build prints about it.
    pub fn line(&self) -> String {
        format!(
            "the build cache {} {}; it is ignored and its work done again",
            self.path, self.why
        )
    }
}

/// Reads part `name`: its payload when the file is dangan's, of this format
/// and version, made for `key`, whole and undamaged. `Ok(None)` when there is
/// no such file.
pub fn read(root: &Path, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, Ignored> {
    let path = part_path(root, name);
    let ignored = |why| Ignored {
        path: format!("{CACHE_DIR}/{name}"),
        why,
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(ignored("cannot be read")),
    };
    let Some((body, sum)) = bytes.split_last_chunk::<16>() else {
        return Err(ignored("is not dangan's (too short)"));
    };
    if !body.starts_with(MAGIC) {
        return Err(ignored("is not dangan's"));
    }
    if xxhash_rust::xxh3::xxh3_128(body).to_le_bytes() != *sum {
        return Err(ignored("is damaged (its checksum does not match)"));
    }
    let mut r = Reader::new(&body[MAGIC.len()..]);
    let header = (|| Some((r.u32()?, r.bytes()?.to_vec(), r.u128()?)))();
    let Some((format, version, key_hash)) = header else {
        return Err(ignored("is damaged"));
    };
    if format != FORMAT || version != env!("CARGO_PKG_VERSION").as_bytes() {
        return Err(ignored("was written by another version of dangan"));
    }
    if key_hash != xxhash_rust::xxh3::xxh3_128(key) {
        return Err(ignored("was made for other settings"));
    }
    match r.bytes() {
        Some(payload) if r.is_empty() => Ok(Some(payload.to_vec())),
        _ => Err(ignored("is damaged")),
    }
}

/// Writes part `name` (temporary name, then renamed over the old one);
/// returns the size of the file.
pub fn write(root: &Path, name: &str, key: &[u8], payload: &[u8]) -> io::Result<u64> {
    let dir = root.join(CACHE_DIR);
    std::fs::create_dir_all(&dir)?;
    // The header and the payload's length, then the payload itself as it is:
    // the file holds what one `Writer` of all of it would, but the payload
    // (tens of megabytes at 100,000 reports, at the end of a build) is never
    // copied, and the checksum is computed as the bytes go by.
    let mut head = Writer::default();
    head.raw(MAGIC);
    head.u32(FORMAT);
    head.bytes(env!("CARGO_PKG_VERSION").as_bytes());
    head.u128(xxhash_rust::xxh3::xxh3_128(key));
    head.u64(payload.len() as u64);
    let mut sum = xxhash_rust::xxh3::Xxh3::new();
    sum.update(&head.0);
    sum.update(payload);
    let sum = sum.digest128().to_le_bytes();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    for part in [&head.0[..], payload, &sum] {
        tmp.write_all(part)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok((head.0.len() + payload.len() + sum.len()) as u64)
}

/// Fields appended to a byte buffer, little-endian, strings length-prefixed.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.raw(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }
    pub fn u128(&mut self, v: u128) {
        self.raw(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.raw(b);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub fn strs(&mut self, v: &[String]) {
        self.u64(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
    /// A tag (0 none, 1 some), then the value with `put`.
    pub fn opt<T>(&mut self, v: Option<T>, put: impl FnOnce(&mut Self, T)) {
        match v {
            Some(v) => {
                self.u8(1);
                put(self, v);
            }
            None => self.u8(0),
        }
    }
}

/// Reads what [`Writer`] wrote; `None` past the end.
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader(b)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    pub fn u128(&mut self) -> Option<u128> {
        self.take().map(u128::from_le_bytes)
    }
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    pub fn strs(&mut self) -> Option<Vec<String>> {
        (0..self.u64()?)
            .map(|_| self.str().map(str::to_string))
            .collect()
    }
    /// What [`Writer::opt`] wrote, the value read with `get`; `None` for a
    /// tag it does not write.
    pub fn opt<T>(&mut self, get: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => get(self).map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_values_and_string_lists_read_back_and_unknown_tags_do_not() {
        let mut w = Writer::default();
        w.opt(Some("甲"), Writer::str);
        w.opt(None::<u64>, Writer::u64);
        w.strs(&["a".to_string(), "乙".to_string()]);
        w.u8(2); // a tag of neither kind, before a byte that reads as a value
        w.u8(7);
        let mut r = Reader::new(&w.0);
        assert_eq!(
            r.opt(|r| r.str().map(str::to_string)),
            Some(Some("甲".into()))
        );
        assert_eq!(r.opt(Reader::u64), Some(None));
        assert_eq!(r.strs(), Some(vec!["a".to_string(), "乙".to_string()]));
        assert_eq!(r.opt(Reader::u8), None, "a tag Writer::opt never writes");
    }

    #[test]
    fn a_part_reads_back_only_whole_and_for_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(read(root, "p", b"k"), Ok(None));
        write(root, "p", b"k", "名单".as_bytes()).unwrap();
        assert_eq!(read(root, "p", b"k"), Ok(Some("名单".as_bytes().to_vec())));
        assert_eq!(
            read(root, "p", b"other").unwrap_err().why,
            "was made for other settings"
        );
        let path = part_path(root, "p");
        let good = std::fs::read(&path).unwrap();
        // Every truncation and every flipped byte is caught.
        for n in 0..good.len() {
            std::fs::write(&path, &good[..n]).unwrap();
            assert!(read(root, "p", b"k").is_err(), "truncated to {n}");
            let mut bad = good.clone();
            bad[n] ^= 0x10;
            std::fs::write(&path, &bad).unwrap();
            assert!(read(root, "p", b"k").is_err(), "byte {n} flipped");
        }
        std::fs::write(&path, "some other program's file, long enough to pass").unwrap();
        assert_eq!(read(root, "p", b"k").unwrap_err().why, "is not dangan's");
        // No temporary is left beside it.
        let names: Vec<_> = std::fs::read_dir(root.join(CACHE_DIR)).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
