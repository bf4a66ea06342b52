//! Finds the reports and attachments under `content/`.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Diagnostic, display_path};

/// What the content folder holds, in path order.
#[derive(Debug, Default)]
pub struct Found {
    /// `.md` files.
    pub reports: Vec<PathBuf>,
    /// Every other file (attachments), with its size.
    pub files: Vec<(PathBuf, std::fs::Metadata)>,
    pub diags: Vec<Diagnostic>,
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

/// Like `discover`, for one folder inside the content folder.
pub fn discover_under(root: &Path, content: &Path, dir: &Path) -> Found {
    let mut found = Found::default();
    if !dir.is_dir() || !dir.starts_with(content) {
        return found;
    }
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(&e.file_name().to_string_lossy()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                if is_report(e.path()) {
                    found.reports.push(e.into_path());
                } else {
                    if let Ok(meta) = e.metadata() {
                        found.files.push((e.into_path(), meta));
                    }
                }
            }
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| display_path(root, p))
                    .unwrap_or_else(|| "content".into());
                found.diags.push(
                    Diagnostic::error(
                        path,
                        format!(
                            "cannot be read: {}",
                            err.io_error()
                                .map_or_else(|| err.to_string(), |e| e.to_string())
                        ),
                    )
                    .hint("check that the file or folder exists and that you may read it"),
                );
            }
        }
    }
    found
}
