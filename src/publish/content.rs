//! File contents: the hash that says "same bytes".

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use super::error::{IoContext, PublishError};

pub(crate) type Hash = u128;

pub(crate) fn hex(hash: Hash) -> String {
    format!("{hash:032x}")
}

/// Size of the pieces files are read in (attachments may be large).
const CHUNK: usize = 256 * 1024;

thread_local! {
    /// One read buffer per thread: fresh memory for every file costs more than reading it.
    static CHUNK_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; CHUNK]);
}

/// Hash a whole file; also its size.
pub(crate) fn hash_file(path: &Path) -> Result<(Hash, u64), PublishError> {
    let mut file = File::open(path).ctx("read", path)?;
    read_hashing(&mut file, path, |_| Ok(()))
}

/// Read `from` (opened from `path`) to its end, hashing it and handing each piece to `sink`.
pub(crate) fn read_hashing(
    from: &mut impl Read,
    path: &Path,
    mut sink: impl FnMut(&[u8]) -> Result<(), PublishError>,
) -> Result<(Hash, u64), PublishError> {
    CHUNK_BUF.with_borrow_mut(|buf| {
        let mut hasher = Xxh3::new();
        let mut size = 0;
        loop {
            let n = match from.read(buf) {
                Ok(0) => return Ok((hasher.digest128(), size)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).ctx("read", path),
            };
            hasher.update(&buf[..n]);
            sink(&buf[..n])?;
            size += n as u64;
        }
    })
}

#[cfg(test)]
pub(crate) fn hash_bytes(bytes: &[u8]) -> Hash {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_of_a_file_and_of_its_bytes_agree() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(
            hash_file(&p).unwrap(),
            (hash_bytes(&bytes), bytes.len() as u64)
        );
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"b"));
        assert_eq!(hex(1).len(), 32);
    }
}
