//! The only place that writes to the output folder: writes files whose bytes
//! changed, removes files of earlier builds that are gone, keeps a manifest.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::paths::MAX_NAME_BYTES;

/// Lists the files dangan wrote, so that only those are ever deleted.
pub const MANIFEST: &str = ".dangan-manifest";
const MANIFEST_HEADER: &str = "# files written by dangan; dangan deletes only files listed here";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Copied from this file (attachments).
    Copy(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Site path (relative to the output folder, `/`-separated).
    pub path: String,
    pub content: Content,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// An error that is about the machine, not the content (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "the output folder {0} already holds files that dangan did not write (there is no {MANIFEST} in it); dangan will not write into it, so that nothing of yours is overwritten or deleted.\n  = help: choose another folder with --out, or empty or delete that folder first"
    )]
    Foreign(PathBuf),
    #[error(
        "the output folder {out} {relation} {other}; dangan refuses, so that no report is overwritten or deleted.\n  = help: choose an output folder outside the content folder, for example --out public"
    )]
    Unsafe {
        out: PathBuf,
        relation: &'static str,
        other: PathBuf,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Absolute, with symlinks of its existing part resolved, even if it does not exist yet.
pub fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(name)) => {
                rest.push(name.to_os_string());
                existing = p.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    out
}

/// Refuses an output folder equal to or containing the archive root, or
/// equal to, inside or containing the content folder.
pub fn check_out_dir(root: &Path, content: &Path, out: &Path) -> Result<(), OutputError> {
    let (root, content, out_r) = (resolve(root), resolve(content), resolve(out));
    let unsafe_ = |relation, other: &Path| {
        Err(OutputError::Unsafe {
            out: out.to_path_buf(),
            relation,
            other: other.to_path_buf(),
        })
    };
    if out_r == root {
        return unsafe_("is the archive folder", &root);
    }
    if root.starts_with(&out_r) {
        return unsafe_("contains the archive folder", &root);
    }
    if out_r == content {
        return unsafe_("is the content folder", &content);
    }
    if out_r.starts_with(&content) {
        return unsafe_("is inside the content folder", &content);
    }
    if content.starts_with(&out_r) {
        return unsafe_("contains the content folder", &content);
    }
    Ok(())
}

/// The paths listed in the output folder's manifest; `None` if there is none.
pub fn read_manifest(out: &Path) -> Result<Option<BTreeSet<String>>, OutputError> {
    let path = out.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect(),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Makes sure `out` is a folder dangan may write into: missing, empty, or with a manifest.
pub fn previous_files(out: &Path) -> Result<BTreeSet<String>, OutputError> {
    if !out.exists() {
        return Ok(BTreeSet::new());
    }
    if let Some(m) = read_manifest(out)? {
        return Ok(m);
    }
    let mut entries = std::fs::read_dir(out).map_err(io_err(out))?;
    if entries.next().is_some() {
        return Err(OutputError::Foreign(out.to_path_buf()));
    }
    Ok(BTreeSet::new())
}

/// Writes (in parallel) the files whose bytes differ from what is on disk;
/// returns the counts and the site paths written.
pub fn write_files(
    out: &Path,
    files: &[OutFile],
) -> Result<(WriteStats, Vec<String>), OutputError> {
    write_each(out, files, |f| &f.path, write_one)
}

/// Like `write_files`, for (path, bytes) pairs (the search index's files).
pub fn write_all_bytes(
    out: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<(WriteStats, Vec<String>), OutputError> {
    write_each(
        out,
        files,
        |(p, _)| p,
        |out, (p, b)| put(out, p, Source::Bytes(b)),
    )
}

fn write_each<T: Sync>(
    out: &Path,
    items: &[T],
    path: impl Fn(&T) -> &str,
    write: impl Fn(&Path, &T) -> Result<bool, OutputError> + Sync,
) -> Result<(WriteStats, Vec<String>), OutputError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let results: Vec<Result<bool, OutputError>> =
        items.par_iter().map(|item| write(out, item)).collect();
    let mut stats = WriteStats::default();
    let mut changed = Vec::new();
    for (item, r) in items.iter().zip(results) {
        if r? {
            stats.written += 1;
            changed.push(path(item).to_string());
        } else {
            stats.unchanged += 1;
        }
    }
    Ok((stats, changed))
}

/// A new or changed file written under a temporary name beside its place,
/// waiting to be renamed into place by `commit` (or removed by `discard`).
#[derive(Debug)]
pub struct Staged {
    path: String,
    tmp: PathBuf,
}

/// Writes `f` under its temporary name if its bytes differ from what is in
/// place; `None` if they do not.
pub fn stage(out: &Path, f: &OutFile) -> Result<Option<Staged>, OutputError> {
    let source = match &f.content {
        Content::Bytes(b) => Source::Bytes(b),
        Content::Copy(src) => Source::Copy(src),
    };
    stage_source(out, &f.path, source)
}

/// Where the bytes of an output come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Bytes(&'a [u8]),
    Copy(&'a Path),
}

fn stage_source(out: &Path, path: &str, source: Source<'_>) -> Result<Option<Staged>, OutputError> {
    let target = out.join(path);
    let same = match source {
        Source::Bytes(b) => std::fs::read(&target).is_ok_and(|old| old == b),
        Source::Copy(src) => same_file_bytes(src, &target),
    };
    if same {
        return Ok(None);
    }
    let tmp = temp_for(out, &target)?;
    match source {
        Source::Bytes(b) => std::fs::write(&tmp, b).map_err(io_err(&tmp))?,
        Source::Copy(src) => {
            std::fs::copy(src, &tmp).map_err(io_err(src))?;
        }
    }
    Ok(Some(Staged {
        path: path.to_string(),
        tmp,
    }))
}

/// Renames staged files into place, in waves so that a page appears only
/// after the pages it links to. `unchanged` counts the files not staged.
pub fn commit(
    out: &Path,
    staged: Vec<Staged>,
    unchanged: usize,
) -> Result<(WriteStats, Vec<String>), OutputError> {
    let mut staged = staged;
    staged.sort_by_key(|s| std::cmp::Reverse(link_rank(&s.path)));
    for wave in staged.chunk_by(|a, b| link_rank(&a.path) == link_rank(&b.path)) {
        let results: Vec<Result<(), OutputError>> = wave
            .par_iter()
            .map(|s| std::fs::rename(&s.tmp, out.join(&s.path)).map_err(io_err(&out.join(&s.path))))
            .collect();
        results.into_iter().collect::<Result<(), _>>()?;
    }
    let stats = WriteStats {
        written: staged.len(),
        unchanged,
        removed: 0,
    };
    Ok((stats, staged.into_iter().map(|s| s.path).collect()))
}

/// Removes staged files of a build that failed, and folders they alone needed.
pub fn discard(out: &Path, staged: Vec<Staged>) {
    for s in staged {
        let _ = std::fs::remove_file(&s.tmp);
        let mut dir = s.tmp.parent();
        while let Some(d) = dir {
            if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

/// Writes one file if its bytes differ; `true` if it was written.
pub fn write_one(out: &Path, f: &OutFile) -> Result<bool, OutputError> {
    commit_one(out, stage(out, f)?)
}

/// Writes bytes at `path` if they differ from what is there; `true` if written.
fn put(out: &Path, path: &str, source: Source<'_>) -> Result<bool, OutputError> {
    commit_one(out, stage_source(out, path, source)?)
}

fn commit_one(out: &Path, staged: Option<Staged>) -> Result<bool, OutputError> {
    let Some(s) = staged else { return Ok(false) };
    let target = out.join(&s.path);
    std::fs::rename(&s.tmp, &target).map_err(io_err(&target))?;
    Ok(true)
}

/// A temporary name beside `target` (its folder created), renamed over it when complete.
fn temp_for(out: &Path, target: &Path) -> Result<PathBuf, OutputError> {
    let dir = target.parent().unwrap_or(out);
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(dir.join(temp_name(&name)))
}

/// Ending of temporary names: `.page.html.dangan-tmp` beside `page.html`.
pub const TMP_SUFFIX: &str = ".dangan-tmp";

/// The temporary name of file `name` while it is written (by a build or a
/// publish): hidden, recognisable as a leftover, and never over-long — a
/// name near the limit gets a short one made from its hash.
pub fn temp_name(name: &str) -> String {
    let plain = format!(".{name}{TMP_SUFFIX}");
    if plain.len() <= MAX_NAME_BYTES {
        plain
    } else {
        format!(
            ".{:016x}{TMP_SUFFIX}",
            xxhash_rust::xxh3::xxh3_64(name.as_bytes())
        )
    }
}

fn same_file_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => match (std::fs::read(a), std::fs::read(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

pub fn write_manifest<'a>(
    out: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<(), OutputError> {
    let mut text = String::from(MANIFEST_HEADER);
    text.push('\n');
    for p in paths {
        text.push_str(p);
        text.push('\n');
    }
    let tmp = out.join(format!("{MANIFEST}.tmp"));
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    let target = out.join(MANIFEST);
    std::fs::rename(&tmp, &target).map_err(io_err(&target))
}

/// Stale files in the order to remove them: pages that link to others (the
/// home page, index pages) before the pages and files they link to, so that
/// no remaining page points at a removed one.
pub fn removal_order<'a>(stale: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    let mut v: Vec<&String> = stale.into_iter().collect();
    v.sort_by_key(|p| (link_rank(p), p.as_str()));
    v
}

/// 0 for the home page, 1 for index pages, 2 for report pages and
/// attachments, 3 for assets and the search index: a page links only to
/// files of its own rank or higher.
fn link_rank(path: &str) -> u8 {
    match path.split('/').next().unwrap_or("") {
        "index.html" => 0,
        "unit" | "year" | "type" | "search.html" | "404.html" => 1,
        "_search" | "_assets" => 3,
        _ => 2,
    }
}

/// Removes a file dangan wrote earlier, then its folders if they became empty.
pub fn remove_stale(out: &Path, site_path: &str) -> Result<bool, OutputError> {
    if site_path.split('/').any(|c| c == ".." || c.is_empty()) {
        return Ok(false); // a manifest line that would leave the folder: never act on it
    }
    let path = out.join(site_path);
    let removed = match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutFile {
        OutFile {
            path: path.into(),
            content: Content::Bytes(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn writes_only_changes_and_removes_only_the_stale_files_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let (s, changed) =
            write_files(&out, &[file("a.html", "A"), file("d/b.html", "B")]).unwrap();
        assert_eq!((s.written, s.unchanged), (2, 0));
        assert_eq!(changed, ["a.html", "d/b.html"]);
        std::fs::write(out.join("mine.txt"), "keep").unwrap();
        let (s, changed) =
            write_files(&out, &[file("a.html", "A2"), file("d/b.html", "B")]).unwrap();
        assert_eq!((s.written, s.unchanged), (1, 1));
        assert_eq!(changed, ["a.html"]);
        assert!(remove_stale(&out, "d/b.html").unwrap());
        assert!(!out.join("d").exists(), "emptied folder is removed");
        std::fs::write(dir.path().join("outside.txt"), "keep").unwrap();
        assert!(
            !remove_stale(&out, "../outside.txt").unwrap(),
            "never outside the folder"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("outside.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("mine.txt")).unwrap(),
            "keep",
            "a file not listed stays"
        );
    }

    #[test]
    fn staged_files_appear_only_when_committed_and_vanish_when_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let staged: Vec<Staged> = [file("index.html", "home"), file("r/a.html", "A")]
            .iter()
            .filter_map(|f| stage(&out, f).unwrap())
            .collect();
        assert!(!out.join("index.html").exists() && !out.join("r/a.html").exists());
        let (s, _) = commit(&out, staged, 0).unwrap();
        assert_eq!(s.written, 2);
        assert_eq!(std::fs::read_to_string(out.join("r/a.html")).unwrap(), "A");
        assert!(
            stage(&out, &file("r/a.html", "A")).unwrap().is_none(),
            "same bytes: nothing to write"
        );
        let staged: Vec<Staged> = stage(&out, &file("new/b.html", "B"))
            .unwrap()
            .into_iter()
            .collect();
        discard(&out, staged);
        assert!(
            !out.join("new").exists(),
            "a discarded file leaves no folder behind"
        );
    }

    #[test]
    fn refuses_a_folder_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("important.docx"), "x").unwrap();
        assert!(matches!(
            previous_files(dir.path()),
            Err(OutputError::Foreign(_))
        ));
        write_manifest(dir.path(), ["a.html"]).unwrap();
        assert_eq!(
            previous_files(dir.path())
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["a.html"]
        );
    }

    #[test]
    fn output_folder_must_stay_clear_of_content() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let content = root.join("content");
        std::fs::create_dir(&content).unwrap();
        assert!(check_out_dir(root, &content, &root.join("public")).is_ok());
        assert!(check_out_dir(root, &content, root).is_err());
        assert!(check_out_dir(root, &content, &content).is_err());
        assert!(check_out_dir(root, &content, &content.join("site")).is_err());
        assert!(check_out_dir(root, &content, &root.join("content/../content/x")).is_err());
        assert!(check_out_dir(root, &content, root.parent().unwrap()).is_err());
    }
}
