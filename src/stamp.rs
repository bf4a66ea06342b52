//! A stamp of the archive's sources (every file under content/ and themes/,
//! dangan.toml, and dangan's version), so that `publish` can tell whether the
//! output is up to date without building. Reads no file contents: paths,
//! sizes and modification times only.

use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

use foldhash::fast::FixedState;

use crate::config::CONFIG_FILE;
use crate::load::CONTENT_DIR;

/// Where a build keeps the stamp of the sources it was made from.
pub const STAMP_FILE: &str = ".dangan-sources";

/// The stamp of the sources under `root` as they are now.
pub fn sources(root: &Path) -> String {
    let mut h = FixedState::with_seed(0x0053_5441_4d50).build_hasher();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    let mut files = 0u64;
    for top in [CONTENT_DIR, "themes", CONFIG_FILE] {
        for e in walkdir::WalkDir::new(root.join(top))
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let Ok(meta) = e.metadata() else { continue };
            let rel = e.path().strip_prefix(root).unwrap_or(e.path());
            (rel, meta.len(), meta.is_dir(), meta.modified().ok()).hash(&mut h);
            files += 1;
        }
    }
    format!("{:016x} {files}", h.finish())
}

/// Whether `out` was built from the sources under `root` as they are now.
pub fn up_to_date(root: &Path, out: &Path) -> bool {
    std::fs::read_to_string(out.join(STAMP_FILE)).is_ok_and(|s| s.trim() == sources(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_changes_with_any_source_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("content/2020")).unwrap();
        std::fs::write(root.join("content/2020/a.md"), "x").unwrap();
        let first = sources(root);
        assert_eq!(sources(root), first);
        std::fs::write(root.join("public.txt"), "not a source").unwrap();
        assert_eq!(sources(root), first);
        std::fs::write(root.join("content/2020/b.md"), "y").unwrap();
        let second = sources(root);
        assert_ne!(second, first);
        std::fs::remove_file(root.join("content/2020/b.md")).unwrap();
        std::fs::write(root.join("dangan.toml"), "title = \"x\"").unwrap();
        assert_ne!(sources(root), second);
    }
}
