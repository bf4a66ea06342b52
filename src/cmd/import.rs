//! `dangan import`: existing reports (text, DOCX) into Markdown reports.

use std::path::Path;

use super::Failure;
use crate::import::{ImportOptions, format_summary, import};
use crate::load::CONTENT_DIR;

pub fn run(root: &Path, opts: ImportOptions) -> Result<(), Failure> {
    let summary = import(&opts)?;
    eprintln!("{}", format_summary(&summary));
    let content = root.join(CONTENT_DIR);
    if !summary.reports.is_empty() && !inside(&opts.into, &content) {
        let (would, are) = if opts.dry_run {
            ("would be", "would not be")
        } else {
            ("are", "are not")
        };
        eprintln!(
            "warning: the reports {would} written to {}, which is outside {}: they {are} part of the archive, \
             and `dangan build` will not see them\n  = help: move them into {} (or import again with --into {}/…)",
            opts.into.display(),
            content.display(),
            content.display(),
            content.display(),
        );
    }
    let refused = summary.reports.iter().any(|r| !r.written && !opts.dry_run);
    if refused {
        return Err(Failure::content());
    }
    Ok(())
}

/// Whether `path` (which may not exist yet) is `dir` or inside it, after
/// resolving `..` and symbolic links of the parts that exist.
fn inside(path: &Path, dir: &Path) -> bool {
    fn resolved(p: &Path) -> std::path::PathBuf {
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        // The longest existing ancestor is canonicalized; the rest is appended.
        let mut missing = Vec::new();
        let mut cur = abs.as_path();
        loop {
            if let Ok(c) = std::fs::canonicalize(cur) {
                let mut out = c;
                for part in missing.iter().rev() {
                    match part {
                        std::path::Component::ParentDir => {
                            out.pop();
                        }
                        std::path::Component::CurDir => {}
                        other => out.push(other),
                    }
                }
                return out;
            }
            match (cur.parent(), cur.components().next_back()) {
                (Some(parent), Some(last)) => {
                    missing.push(last);
                    cur = parent;
                }
                _ => return abs,
            }
        }
    }
    resolved(path).starts_with(resolved(dir))
}
