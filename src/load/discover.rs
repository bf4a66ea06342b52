//! Finds the reports and attachments under `content/`.
//!
//! Symbolic links are never followed, whether they point inside the archive
//! or outside it, and each one is named in a warning: a link to a file
//! outside could publish it (a secret, by mistake or by intent), a change to
//! a link's target is not a change that `watch` sees, a link to a folder can
//! loop, and a Windows share holds no links anyway — a copy does what the
//! link would. The same rule holds for a full walk and for `watch`'s updates
//! of one path (`entry`). Only regular files are read: a pipe would block
//! the build.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Diagnostic, display_path};
use crate::load::rel_id;

/// What the content folder holds, in path order.
#[derive(Debug, Default)]
pub struct Found {
    /// `.md` files, with what the walk saw of each (the build cache
    /// compares it with what it saw last time).
    pub reports: Vec<(PathBuf, std::fs::Metadata)>,
    /// Every other file (attachments), with its size.
    pub files: Vec<(PathBuf, std::fs::Metadata)>,
    /// Problems, each with the path under `content/` it is about: links and
    /// other entries left out, folders that cannot be read.
    pub diags: Vec<(String, Diagnostic)>,
}

/// Files people's tools leave behind, never part of the archive.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('~')
        || name.ends_with(".tmp")
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

pub fn is_report(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

pub fn discover(root: &Path, content: &Path) -> Found {
    discover_under(root, content, content)
}

/// Like `discover`, for one folder inside the content folder (the content
/// folder itself may be a link: it is where the archive keeps its reports).
pub fn discover_under(root: &Path, content: &Path, dir: &Path) -> Found {
    let mut found = Found::default();
    if !dir.is_dir() || !dir.starts_with(content) {
        return found;
    }
    let mut walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(&e.file_name().to_string_lossy()));
    while let Some(entry) = walker.next() {
        match entry {
            Ok(e) if e.depth() == 0 => {}
            Ok(e) if e.file_name().to_str().is_none() => {
                // Named once for a folder, not once for each file in it.
                if e.file_type().is_dir() {
                    walker.skip_current_dir();
                }
                found.diags.push(not_utf8(root, content, e.path()));
            }
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => match e.metadata() {
                Ok(meta) => add(&mut found, root, content, e.into_path(), meta),
                Err(err) => found
                    .diags
                    .push(unreadable(root, content, e.path(), &err.to_string())),
            },
            Err(err) => {
                let path = err.path().unwrap_or(content).to_path_buf();
                let why = err
                    .io_error()
                    .map_or_else(|| err.to_string(), |e| e.to_string());
                found.diags.push(unreadable(root, content, &path, &why));
            }
        }
    }
    found
}

/// What one path under `content/` is now, for `watch`: a report, an
/// attachment, a folder to walk, or nothing (gone, ignored, or left out with
/// a warning because it is, or lies behind, a link).
pub fn entry(root: &Path, content: &Path, path: &Path) -> Found {
    let mut found = Found::default();
    let Ok(rel) = path.strip_prefix(content) else {
        return found;
    };
    // A folder on the way that is a link: the path is inside what the link shows.
    let mut on_the_way = content.to_path_buf();
    for part in rel.parent().into_iter().flat_map(Path::components) {
        on_the_way.push(part);
        match std::fs::symlink_metadata(&on_the_way) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                add(&mut found, root, content, on_the_way, m);
                return found;
            }
            Err(_) => return found, // gone since: a later event says so
        }
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => return discover_under(root, content, path),
        Ok(m) => add(&mut found, root, content, path.to_path_buf(), m),
        Err(_) => {}
    }
    found
}

/// Files the walk found: regular ones are part of the archive, links and
/// anything else are left out and named.
fn add(found: &mut Found, root: &Path, content: &Path, path: PathBuf, meta: std::fs::Metadata) {
    if path
        .strip_prefix(content)
        .is_ok_and(|rel| rel.to_str().is_none())
    {
        found.diags.push(not_utf8(root, content, &path));
        return;
    }
    let shown = display_path(root, &path);
    let id = rel_id(content, &path);
    let kind = meta.file_type();
    if kind.is_symlink() {
        let target = std::fs::read_link(&path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".to_string());
        let d = Diagnostic::warning(
            shown,
            format!(
                "is a symbolic link (to {target}); dangan does not follow links, so it is left out"
            ),
        )
        .hint("put a copy of the file or folder here instead of a link");
        found.diags.push((id, d));
    } else if kind.is_file() {
        match is_report(&path) {
            true => found.reports.push((path, meta)),
            false => found.files.push((path, meta)),
        }
    } else if !kind.is_dir() {
        let d = Diagnostic::warning(
            shown,
            "is not a regular file (a pipe, socket or device), so it is left out",
        )
        .hint("only files and folders belong in content/");
        found.diags.push((id, d));
    }
}

/// A file or folder whose name is not UTF-8 (names from a zip made on a
/// Chinese Windows are GBK) cannot be published under its name: taken as
/// UTF-8 with its bad bytes replaced, two such names became one and one of
/// the reports was lost without a word. It is an error naming the file, with
/// the name as GBK would read it.
fn not_utf8(root: &Path, content: &Path, path: &Path) -> (String, Diagnostic) {
    // The first name on the way that is not UTF-8 (a folder, for `watch`'s
    // paths inside one), shown with its bad bytes as `\xB1` so that two such
    // names differ.
    let rel = path.strip_prefix(content).unwrap_or(path);
    let mut shown = display_path(root, content);
    let mut bad_name = None;
    let parts: Vec<_> = rel.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let bytes = part.as_os_str().as_encoded_bytes();
        shown.push('/');
        for chunk in bytes.utf8_chunks() {
            shown.push_str(chunk.valid());
            for b in chunk.invalid() {
                shown.push_str(&format!("\\x{b:02X}"));
            }
        }
        if part.as_os_str().to_str().is_none() {
            bad_name = Some((bytes, i + 1 < parts.len() || path.is_dir()));
            break;
        }
    }
    let (bytes, folder) = bad_name.unwrap_or((b"", path.is_dir()));
    let (gbk, _, bad) = encoding_rs::GB18030.decode(bytes);
    let reads = match bad {
        false => format!(" (as GBK it reads \"{gbk}\")"),
        true => String::new(),
    };
    let what = if folder { "folder" } else { "file" };
    let d = Diagnostic::error(
        shown,
        format!("the {what}'s name is not UTF-8 text{reads}, so it cannot be published under it"),
    )
    .hint(
        "rename it; names from a zip made on Windows are GBK: `convmv -f gbk -t utf-8 -r --notest content/` renames them all",
    );
    (rel_id(content, path), d)
}

fn unreadable(root: &Path, content: &Path, path: &Path, why: &str) -> (String, Diagnostic) {
    let d = Diagnostic::error(display_path(root, path), format!("cannot be read: {why}"))
        .hint("check that the file or folder exists and that you may read it");
    (rel_id(content, path), d)
}

/// Opens a file for reading, unless it has become a symbolic link since it
/// was found (nothing outside the archive is read through a link). Never
/// waits: a pipe put in its place opens at once (and is not a file).
/// Its errors name the file (fs-err).
pub fn open_regular(path: &Path) -> std::io::Result<fs_err::File> {
    let mut options = fs_err::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The bytes of a file found by the walk (see `open_regular`).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut file = open_regular(path)?;
    // Room for the whole file (and the read that finds its end) at once:
    // fs-err's reader does not pass std's size hint on, and growing from
    // nothing takes a read and a copy per doubling.
    // (A size said to be huge is not trusted beyond 64 MiB.)
    let size = file.metadata().map_or(0, |m| m.len()).min(64 << 20);
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
