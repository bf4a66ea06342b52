//! `PublishError`: every way a publish can stop, worded for the office staff who run it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a publish stopped. Each message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "the built site {0} does not exist or is not a folder: build the archive first (dangan build)"
    )]
    SiteMissing(PathBuf),

    #[error(
        "the destination {0} does not exist or is not a folder. Create the folder first if this is \
         the right place; if it is on a network share, check that the share is mounted"
    )]
    DestMissing(PathBuf),

    #[error(
        "the destination {dest} {relation} {other}: publishing there would mix the published \
         site with the archive or its output. Publish to a folder outside the archive and its \
         output folder (the mounted share)"
    )]
    Overlap {
        dest: PathBuf,
        /// "is inside the content folder", "contains the output folder" …
        relation: String,
        other: PathBuf,
    },

    #[error(
        "the folder {site} is not a site built by this version of dangan ({why}): build the \
         archive first (dangan build), or publish without --no-build"
    )]
    NotBuilt { site: PathBuf, why: &'static str },

    #[error(transparent)]
    BadBuildManifest(crate::manifest::ManifestError),

    #[error(
        "the destination {dest} is not empty (it holds {example}, for one) and dangan has not \
         published there before. Choose an empty folder, or pass --adopt to let dangan manage it: \
         files at the site's paths will then be replaced, everything else is left alone"
    )]
    NotEmpty { dest: PathBuf, example: String },

    #[error(
        "another publish to this folder is running ({holder}). Wait for it to finish (its lock is the folder {lock})"
    )]
    Locked { lock: PathBuf, holder: String },

    #[error(
        "another publish broke this publish's lock ({lock}) and is now publishing to the same \
         folder, so this one stopped. The folder holds a working site; publish again once the \
         other one is done"
    )]
    LockBroken { lock: PathBuf },

    #[error(
        "these files in {dest} are in the site's way: dangan did not put them there, or someone \
         changed them since it did; nothing was changed. Rename, move or remove them (or, if \
         they are an old copy of this site, pass --adopt to let dangan replace them):\n{}",
        bullet_list(.paths)
    )]
    Collision { dest: PathBuf, paths: Vec<String> },

    #[error(
        "these names cannot be stored on a Windows share, so nothing was copied; rename the reports \
         or attachments in content/ (or set a slug) and build again:\n{}",
        bullet_list(.0)
    )]
    BadNames(Vec<BadName>),

    #[error(
        "the publish record {path} is damaged ({reason}). Move it out of the way and publish again \
         with --adopt"
    )]
    BadManifest { path: PathBuf, reason: String },
    #[error(
        "the output folder {site} is incomplete: {missing} is listed in its .dangan-manifest but missing.\n  = help: run `dangan build` (or publish without --no-build) and publish again"
    )]
    SiteIncomplete { site: PathBuf, missing: String },

    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// From `fs_err`, so it names the file.
    #[error(transparent)]
    File(io::Error),

    /// Only produced by the test hook that simulates a publish killed halfway.
    #[doc(hidden)]
    #[error("publish interrupted on purpose (test)")]
    Interrupted,
}

/// One file name that a Windows share cannot hold, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadName {
    /// Path inside the site, with `/` separators (lossy if not Unicode).
    pub path: String,
    pub problem: String,
}

impl fmt::Display for BadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

fn bullet_list<T: fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 50;
    let mut out: Vec<String> = items
        .iter()
        .take(SHOWN)
        .map(|i| format!("  - {i}"))
        .collect();
    if items.len() > SHOWN {
        out.push(format!("  … and {} more", items.len() - SHOWN));
    }
    out.join("\n")
}

/// Attach the action and the path to an I/O error, so no message is a bare "No such file".
pub(crate) trait IoContext<T> {
    fn ctx(self, action: &'static str, path: impl Into<PathBuf>) -> Result<T, PublishError>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, action: &'static str, path: impl Into<PathBuf>) -> Result<T, PublishError> {
        self.map_err(|source| PublishError::Io {
            action,
            path: path.into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let paths: Vec<String> = (0..60).map(|i| format!("f{i}.html")).collect();
        let msg = PublishError::Collision {
            dest: "/share".into(),
            paths,
        }
        .to_string();
        assert!(msg.contains("  - f49.html"));
        assert!(!msg.contains("f50.html"));
        assert!(msg.contains("… and 10 more"));
    }

    #[test]
    fn io_errors_name_the_path() {
        let err: Result<(), _> = Err(io::Error::from(io::ErrorKind::NotFound));
        let msg = err.ctx("read", "/share/x.html").unwrap_err().to_string();
        assert!(msg.starts_with("could not read /share/x.html: "), "{msg}");
    }
}
