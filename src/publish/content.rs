//! File contents: the hash that says "same bytes", and the links a page makes to other files.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use percent_encoding::percent_decode_str;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

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

pub(crate) fn hash_bytes(bytes: &[u8]) -> Hash {
    xxh3_128(bytes)
}

pub(crate) fn is_html(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

/// Site paths that a page at `page_rel` links to through `href=` and `src=` attributes:
/// relative links only, percent-decoded, without `?query` and `#fragment`, deduplicated.
pub(crate) fn links(page_rel: &str, html: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = attribute_values(html)
        .filter_map(|v| resolve(page_rel, &v))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Values of `href=` and `src=` attributes, found in one pass over the `=` signs.
fn attribute_values(html: &[u8]) -> impl Iterator<Item = String> + '_ {
    memchr::memchr_iter(b'=', html).filter_map(move |at| {
        let before = &html[..at];
        let name = [&b"href"[..], b"src"]
            .into_iter()
            .find(|n| before.ends_with(n))?;
        let start = at - name.len();
        // `data-href=` and the like are not links.
        if start > 0 && !html[start - 1].is_ascii_whitespace() {
            return None;
        }
        value_at(&html[at + 1..])
    })
}

fn value_at(rest: &[u8]) -> Option<String> {
    let (quote, body) = match rest.first()? {
        q @ (b'"' | b'\'') => (Some(*q), &rest[1..]),
        _ => (None, rest),
    };
    let end = body
        .iter()
        .position(|&b| match quote {
            Some(q) => b == q,
            None => b.is_ascii_whitespace() || b == b'>',
        })
        .unwrap_or(body.len());
    let raw = std::str::from_utf8(&body[..end]).ok()?;
    Some(raw.replace("&amp;", "&"))
}

/// The site path `href` names when written in the page `page_rel`, or `None` for fragments,
/// external schemes, absolute paths and links that climb out of the site.
pub(crate) fn resolve(page_rel: &str, href: &str) -> Option<String> {
    let href = href.trim();
    let cut = href.find(['?', '#']).unwrap_or(href.len());
    let target = &href[..cut];
    if target.is_empty() || target.starts_with('/') || has_scheme(target) {
        return None;
    }
    let decoded = percent_decode_str(target).decode_utf8().ok()?;
    if decoded.starts_with('/') {
        return None; // an encoded leading slash is no relative link either
    }
    let dir = page_rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    crate::paths::join_relative(dir, &decoded).filter(|p| !p.is_empty())
}

fn has_scheme(target: &str) -> bool {
    match target.find(':') {
        Some(i) => target[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_against_the_page() {
        assert_eq!(
            resolve("reports/2020/a.html", "b.html").as_deref(),
            Some("reports/2020/b.html")
        );
        assert_eq!(
            resolve(
                "reports/2020/a.html",
                "../../unit/%E5%B8%82%E5%A7%94.html#top"
            )
            .as_deref(),
            Some("unit/市委.html")
        );
        assert_eq!(
            resolve("index.html", "./search.html?q=x").as_deref(),
            Some("search.html")
        );
        assert_eq!(
            resolve("unit/x.html", "../_assets/style.css").as_deref(),
            Some("_assets/style.css")
        );
    }

    #[test]
    fn fragments_schemes_absolute_and_escaping_links_are_ignored() {
        for href in [
            "#top",
            "https://x.cn/a.html",
            "mailto:a@b.cn",
            "javascript:void(0)",
            "/abs.html",
            "%2Fetc/passwd",
            "../../x.html",
            "",
        ] {
            assert_eq!(resolve("unit/a.html", href), None, "{href}");
        }
    }

    #[test]
    fn links_come_from_href_and_src_in_any_quoting() {
        let html = br#"<link rel="stylesheet" href="../_assets/style.css">
            <a href='b.html#x'>b</a> <img src=pic.png alt=""> <a data-href="no.html">
            <a href="b.html">again</a> <a href="https://e.cn/">out</a>"#;
        assert_eq!(
            links("r/a.html", html),
            ["_assets/style.css", "r/b.html", "r/pic.png"]
        );
    }

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
