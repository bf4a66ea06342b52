//! Collecting input files: files as given, folders walked recursively in name
//! order, skipping hidden and Office lock files, the output folder, links, and
//! Markdown files that already are reports.

use std::path::{Path, PathBuf};

use super::types::SkippedInput;

/// Why a device, pipe or socket is skipped (reading a pipe could wait for ever).
const NOT_A_FILE: &str =
    "neither a file nor a folder (a device, pipe or socket): only files are imported";

/// Files to read, and inputs skipped outright.
pub(crate) fn collect(inputs: &[PathBuf], into: &Path) -> (Vec<PathBuf>, Vec<SkippedInput>) {
    let into = std::fs::canonicalize(into).ok();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, into.as_deref(), &mut files, &mut skipped);
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            let reason = match std::fs::metadata(input) {
                Ok(_) => NOT_A_FILE.into(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    "no such file or folder".into()
                }
                Err(e) => format!("cannot be read: {e}"),
            };
            skipped.push(SkippedInput {
                path: input.clone(),
                reason,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    let (keep, reports): (Vec<PathBuf>, Vec<PathBuf>) =
        files.into_iter().partition(|f| !is_report(f));
    skipped.extend(reports.into_iter().map(|path| SkippedInput {
        path,
        reason: "already a Markdown report with front matter".into(),
    }));
    (keep, skipped)
}

fn walk(
    dir: &Path,
    into: Option<&Path>,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<SkippedInput>,
) {
    if into.is_some_and(|o| std::fs::canonicalize(dir).is_ok_and(|d| d == o)) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push(SkippedInput {
                path: dir.to_path_buf(),
                reason: format!("cannot read the folder: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        // A link found inside a folder is not followed: it may lead out of the folder (a zip
        // from elsewhere can hold one to a secret file) or back into it (two links to `.`
        // made the walk run for ever). A file or folder given on the command line is taken
        // as it is, link or not.
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => skipped.push(SkippedInput {
                path: p,
                reason: "a symbolic link: import does not follow links found in a folder; \
                         give the file itself to import it"
                    .into(),
            }),
            Ok(m) if m.is_dir() => walk(&p, into, files, skipped),
            Ok(m) if m.is_file() => files.push(p),
            Ok(_) => skipped.push(SkippedInput {
                path: p,
                reason: NOT_A_FILE.into(),
            }),
            Err(e) => skipped.push(SkippedInput {
                path: p,
                reason: format!("cannot be read: {e}"),
            }),
        }
    }
}

/// A `.md` file that starts with front matter (its first bytes are read,
/// not the whole file).
fn is_report(path: &Path) -> bool {
    use std::io::Read;
    let md = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"));
    let mut head = Vec::new();
    md && std::fs::File::open(path).is_ok_and(|f| f.take(8).read_to_end(&mut head).is_ok()) && {
        let b = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        b.starts_with(b"---\n") || b.starts_with(b"---\r\n")
    }
}
