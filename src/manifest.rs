//! The output folder's manifest (`.dangan-manifest`): every file the build wrote, what kind
//! of output it is, and which other outputs it links to. The build writes it; the build (to
//! know what it may delete), `publish` (what to send, in which order), `serve` and the tests
//! read it, so that none of them guesses the site's layout from paths or re-reads pages.
//!
//! Format: JSON Lines, so that any name a report can have fits (a name starting with `#`, or
//! holding a quote or a line break, is just a JSON string). The first line is a header
//! object; then one line per output, sorted by path: `["path","kind",[links]]`, where links
//! are the positions (0-based) of the linked outputs among those lines. While a build is
//! under way the manifest may list a file it is about to put in place with the kind `null`
//! (its last write gives every kind).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::join_relative;

/// File name of the manifest in the output folder.
pub(crate) const MANIFEST: &str = ".dangan-manifest";
/// The manifest while it is written (the output folder knows it as its own).
pub(crate) const MANIFEST_TMP: &str = ".dangan-manifest.tmp";
const FORMAT: &str = "dangan-manifest 2";
const ABOUT: &str = "files written by dangan; dangan deletes only files listed here";
/// The first line of the manifests of earlier versions (one path a line).
const OLD_HEADER: &str = "# files written by dangan; dangan deletes only files listed here";

/// What an output is. Publishing orders files by it; readers of the site never see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `index.html` at the root.
    Home,
    /// A report's page.
    Report,
    /// A page listing reports or other index pages (by unit, year, type …).
    Index,
    /// Any other page (the search page, the "not found" page).
    Page,
    /// A page at a report's old address that leads to where it is now.
    Redirect,
    /// A feed or the sitemap: read by programs, linking to pages.
    Feed,
    /// A file of the theme (style sheet, script, image).
    Asset,
    /// A file beside a report, copied as it is.
    Attachment,
    /// The file of the search index that the search page loads first and that names the
    /// rest: switching it switches the index.
    SearchEntry,
    /// Any other file of the search index.
    SearchShard,
}

impl Kind {
    pub(crate) fn is_search(self) -> bool {
        matches!(self, Kind::SearchEntry | Kind::SearchShard)
    }
}

/// One output as the build hands it to [`write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: String,
    pub kind: Kind,
    /// Site paths of the outputs it links to (others are left out when written).
    pub links: Vec<String>,
}

/// One output as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub path: String,
    /// `None` in a manifest written by an earlier version, which did not record kinds, or by
    /// a build that did not finish.
    pub kind: Option<Kind>,
    /// Positions of the outputs it links to, in [`Manifest::outputs`].
    pub links: Vec<u32>,
}

/// A manifest read back: the outputs sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub outputs: Vec<Listed>,
}

impl Manifest {
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.outputs.iter().map(|o| o.path.as_str())
    }

    pub fn get(&self, path: &str) -> Option<&Listed> {
        let at = self
            .outputs
            .binary_search_by(|o| o.path.as_str().cmp(path))
            .ok()?;
        Some(&self.outputs[at])
    }

    /// The site paths `listed` links to.
    pub fn links_of<'a>(&'a self, listed: &'a Listed) -> impl Iterator<Item = &'a str> {
        listed
            .links
            .iter()
            .filter_map(|&i| self.outputs.get(i as usize))
            .map(|o| o.path.as_str())
    }

    /// Whether it was written by a version that records kinds and links.
    #[cfg(test)]
    pub(crate) fn has_kinds(&self) -> bool {
        self.outputs.iter().all(|o| o.kind.is_some())
    }
}

/// A manifest that cannot be read as one.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}:{line}: {reason}; this file is dangan's list of what it wrote there.\n  = help: delete the output folder (it holds only what dangan built) and build again",
    path.display()
)]
pub struct ManifestError {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
}

/// The manifest of the output folder `out`; `None` if it has none.
pub fn read(out: &Path) -> Result<Option<Manifest>, ReadError> {
    let path = out.join(MANIFEST);
    match fs_err::read_to_string(&path) {
        Ok(text) => parse(&text).map(Some).map_err(|(line, reason)| {
            ReadError::Damaged(ManifestError {
                path: path.clone(),
                line,
                reason,
            })
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            Err(ReadError::Damaged(ManifestError {
                path,
                line: 1,
                reason: "it is not UTF-8 text".into(),
            }))
        }
        Err(e) => Err(ReadError::Io(e)),
    }
}

/// Why [`read`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// From `fs_err`, so it names the file.
    #[error(transparent)]
    Io(io::Error),
    #[error(transparent)]
    Damaged(ManifestError),
}

/// The manifest in `text`, or the line (1-based) that is wrong and why.
pub(crate) fn parse(text: &str) -> Result<Manifest, (usize, String)> {
    let mut lines = text.lines().enumerate();
    let Some((_, first)) = lines.next() else {
        return Ok(Manifest::default());
    };
    if !first.starts_with('{') {
        return parse_old(text);
    }
    #[derive(Deserialize)]
    struct Header {
        format: String,
    }
    let header: Header = serde_json::from_str(first).map_err(|e| (1, e.to_string()))?;
    if header.format != FORMAT {
        return Err((
            1,
            format!(
                "it was written by another version of dangan (format \"{}\")",
                header.format
            ),
        ));
    }
    let mut outputs: Vec<Listed> = Vec::new();
    for (i, line) in lines {
        if line.is_empty() {
            continue;
        }
        let (path, kind, links): (String, Option<Kind>, Vec<u32>) =
            serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        check_path(&path).map_err(|reason| (i + 1, reason))?;
        if outputs.last().is_some_and(|o| o.path >= path) {
            return Err((i + 1, format!("\"{path}\" is out of order or repeated")));
        }
        outputs.push(Listed { path, kind, links });
    }
    let n = outputs.len();
    if let Some(bad) = outputs
        .iter()
        .flat_map(|o| &o.links)
        .find(|&&l| l as usize >= n)
    {
        return Err((0, format!("a link names output {bad}, but there are {n}")));
    }
    Ok(Manifest { outputs })
}

/// An earlier version's manifest: its header line, then one path a line. Only that header is
/// a comment: a name starting with `#` is a name.
fn parse_old(text: &str) -> Result<Manifest, (usize, String)> {
    let mut paths: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            let header = *i == 0 && *l == OLD_HEADER;
            !l.is_empty() && !header
        })
        .map(|(i, l)| (i + 1, l))
        .collect();
    for (line, p) in &paths {
        check_path(p).map_err(|reason| (*line, reason))?;
    }
    paths.sort_by(|a, b| a.1.cmp(b.1));
    paths.dedup_by(|a, b| a.1 == b.1);
    let outputs = paths
        .into_iter()
        .map(|(_, p)| Listed {
            path: p.to_string(),
            kind: None,
            links: Vec::new(),
        })
        .collect();
    Ok(Manifest { outputs })
}

/// A path the manifest may hold: relative, `/`-separated, never leaving the folder.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    match bad {
        true => Err(format!("\"{path}\" is not a path inside the output folder")),
        false => Ok(()),
    }
}

/// The manifest's text for `outputs` (any order; links to paths not among them are dropped).
pub(crate) fn render(outputs: &[Output]) -> String {
    let lines: Vec<(&str, Option<Kind>, &[String])> = outputs
        .iter()
        .map(|o| (o.path.as_str(), Some(o.kind), o.links.as_slice()))
        .collect();
    render_lines(lines)
}

fn render_lines(mut sorted: Vec<(&str, Option<Kind>, &[String])>) -> String {
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let position: HashMap<&str, u32> = sorted
        .iter()
        .enumerate()
        .map(|(i, o)| (o.0, i as u32))
        .collect();
    let header = serde_json::json!({ "format": FORMAT, "about": ABOUT });
    let mut text = format!("{header}\n");
    for (path, kind, links) in sorted {
        let mut links: Vec<u32> = links
            .iter()
            .filter_map(|l| position.get(l.as_str()).copied())
            .collect();
        links.sort_unstable();
        links.dedup();
        let line = serde_json::to_string(&(path, kind, links)).expect("always serializes");
        let _ = writeln!(text, "{line}");
    }
    text
}

/// Writes the manifest of `out` for `outputs`: under a temporary name, then renamed over the
/// old one, so that a reader sees the old list or the new one, never half of one.
pub fn write(out: &Path, outputs: &[Output]) -> io::Result<()> {
    write_text(out, &render(outputs))
}

fn write_text(out: &Path, text: &str) -> io::Result<()> {
    let tmp = out.join(MANIFEST_TMP);
    fs_err::write(&tmp, text)?;
    fs_err::rename(&tmp, out.join(MANIFEST))
}

/// Writes a manifest listing exactly `paths`, keeping the kinds and links the current one
/// gives them; paths it does not know get the kind `null` until the build's last write.
pub(crate) fn write_provisional<'a>(
    out: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> io::Result<()> {
    let known = match read(out) {
        Ok(m) => m.unwrap_or_default(),
        Err(_) => Manifest::default(), // a damaged one: the new list replaces it
    };
    let links: Vec<Vec<String>> = known
        .outputs
        .iter()
        .map(|o| known.links_of(o).map(String::from).collect())
        .collect();
    let lines: Vec<(&str, Option<Kind>, &[String])> = paths
        .into_iter()
        .map(
            |p| match known.outputs.binary_search_by(|o| o.path.as_str().cmp(p)) {
                Ok(i) => (p, known.outputs[i].kind, links[i].as_slice()),
                Err(_) => (p, None, &[][..]),
            },
        )
        .collect();
    write_text(out, &render_lines(lines))
}

/// The site paths that the page at site path `page` links to through `href=`, `src=` and
/// `action=` attributes in `html`: relative links only, percent-decoded, without `?query` and
/// `#fragment`, deduplicated. Read from the bytes the build writes, so that what is recorded
/// is what a reader follows.
pub(crate) fn page_links(page: &str, html: &[u8]) -> Vec<String> {
    let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    // A list page names each unit and type once per report: each value is
    // read once.
    let mut raw: Vec<&[u8]> = attribute_values(html).collect();
    raw.sort_unstable();
    raw.dedup();
    let mut out: Vec<String> = raw
        .into_iter()
        .filter_map(|v| resolve(dir, &value_text(v)?))
        .filter(|t| t != page)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Values of `href=`, `src=` and `action=` attributes, as written, found in
/// one pass over the `=` signs.
fn attribute_values(html: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    memchr::memchr_iter(b'=', html).filter_map(move |at| {
        let before = &html[..at];
        let name = [&b"href"[..], b"src", b"action"]
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

fn value_at(rest: &[u8]) -> Option<&[u8]> {
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
    Some(&body[..end])
}

/// An attribute's value as written, as text.
fn value_text(raw: &[u8]) -> Option<Cow<'_, str>> {
    let raw = std::str::from_utf8(raw).ok()?;
    Some(match raw.contains("&amp;") {
        true => Cow::Owned(raw.replace("&amp;", "&")),
        false => Cow::Borrowed(raw),
    })
}

/// The site path `href` names from a page in folder `dir`, or `None` for fragments, other
/// schemes, absolute paths and links that climb out of the site.
fn resolve(dir: &str, href: &str) -> Option<String> {
    let href = href.trim();
    let cut = href.find(['?', '#']).unwrap_or(href.len());
    let target = &href[..cut];
    if target.is_empty() || target.starts_with('/') || has_scheme(target) {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(target)
        .decode_utf8()
        .ok()?;
    if decoded.starts_with('/') {
        return None; // an encoded leading slash is no relative link either
    }
    join_relative(dir, &decoded).filter(|p| !p.is_empty())
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

    fn out(path: &str, kind: Kind, links: &[&str]) -> Output {
        Output {
            path: path.into(),
            kind,
            links: links.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn any_name_a_report_can_have_round_trips() {
        // #12 item 8: names starting with `#` were taken for comments.
        let names = [
            "#1 调研报告.html",
            "# 开头.html",
            "reports/#2020/a.html",
            "引号\"和\\反斜杠.html",
            "换行\n名.html",
            "制表\t符.html",
        ];
        let outputs: Vec<Output> = names
            .iter()
            .map(|n| out(n, Kind::Report, &["index.html"]))
            .chain([out("index.html", Kind::Home, &names)])
            .collect();
        let text = render(&outputs);
        let m = parse(&text).unwrap();
        let mut want: Vec<&str> = names.to_vec();
        want.push("index.html");
        want.sort();
        assert_eq!(m.paths().collect::<Vec<_>>(), want);
        let home = m.get("index.html").unwrap();
        assert_eq!(home.kind, Some(Kind::Home));
        let mut links: Vec<&str> = m.links_of(home).collect();
        links.sort();
        let mut names_sorted = names.to_vec();
        names_sorted.sort();
        assert_eq!(links, names_sorted);
        assert!(m.has_kinds());
    }

    #[test]
    fn links_to_outputs_not_listed_are_left_out() {
        let m = parse(&render(&[out(
            "a.html",
            Kind::Page,
            &["gone.html", "a.html"],
        )]))
        .unwrap();
        assert_eq!(m.outputs[0].links, [0]);
    }

    #[test]
    fn an_old_manifest_is_read_with_only_its_header_as_a_comment() {
        let text = format!("{OLD_HEADER}\n#1.html\nindex.html\n\n# two.html\n");
        let m = parse(&text).unwrap();
        assert_eq!(
            m.paths().collect::<Vec<_>>(),
            ["# two.html", "#1.html", "index.html"]
        );
        assert!(!m.has_kinds());
    }

    #[test]
    fn paths_that_leave_the_folder_and_garbage_are_errors_with_a_line() {
        for (text, line) in [
            (format!("{OLD_HEADER}\na.html\n../etc/passwd\n"), 3),
            ("/abs.html\n".to_string(), 1),
            (
                format!("{{\"format\":\"{FORMAT}\"}}\n[\"a\",\"report\",[]]\nnot json\n"),
                3,
            ),
            (
                format!("{{\"format\":\"{FORMAT}\"}}\n[\"a\",\"nonsense\",[]]\n"),
                2,
            ),
            (
                format!("{{\"format\":\"{FORMAT}\"}}\n[\"b\",\"page\",[]]\n[\"a\",\"page\",[]]\n"),
                3,
            ),
            ("{\"format\":\"dangan-manifest 9\"}\n".to_string(), 1),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.0, line, "{text:?}: {err:?}");
        }
    }

    #[test]
    fn write_then_read_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[out("#a.html", Kind::Report, &[])]).unwrap();
        let m = read(dir.path()).unwrap().unwrap();
        assert_eq!(m.paths().collect::<Vec<_>>(), ["#a.html"]);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [MANIFEST]);
        assert!(read(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn a_provisional_list_keeps_what_is_known_and_marks_the_rest_unknown() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                out("a.html", Kind::Report, &["b.html"]),
                out("b.html", Kind::Index, &[]),
            ],
        )
        .unwrap();
        write_provisional(dir.path(), ["a.html", "b.html", "c.html"]).unwrap();
        let m = read(dir.path()).unwrap().unwrap();
        let kinds: Vec<Option<Kind>> = m.outputs.iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [Some(Kind::Report), Some(Kind::Index), None]);
        assert_eq!(m.links_of(&m.outputs[0]).collect::<Vec<_>>(), ["b.html"]);
        assert!(!m.has_kinds());
    }

    #[test]
    fn page_links_resolve_against_the_page() {
        let html = br##"<link rel="stylesheet" href="../../_assets/style.css">
            <a href='b.html#x'>b</a> <img src=pic.png alt=""> <a data-href="no.html">
            <a href="../../unit/%E5%B8%82%E5%A7%94.html#top">u</a> <a href="#top">t</a>
            <a href="a.html">self</a> <a href="./search.html?q=x&amp;y=1">s</a>
            <a href="https://e.cn/">out</a> <a href="mailto:a@b.cn">m</a> <a href="/abs.html">x</a>
            <a href="../../../escape.html">x</a> <a href="javascript:void(0)">x</a>
            <form action="../../search.html"></form> <a href="%2Fetc/passwd">x</a>"##;
        assert_eq!(
            page_links("r/2020/a.html", html),
            [
                "_assets/style.css",
                "r/2020/b.html",
                "r/2020/pic.png",
                "r/2020/search.html",
                "search.html",
                "unit/市委.html"
            ]
        );
    }
}
