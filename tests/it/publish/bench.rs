//! Helpers for the publish tests: a test bench with a site and a DEST, a link checker written
//! independently of the library's, and tree comparisons.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use dangan::publish::{PublishError, PublishOptions, PublishSummary, publish};
use percent_encoding::percent_decode_str;

pub use super::site::SiteModel;

/// A temporary folder with `site/` (the built output) and `dest/` (the share).
pub struct Bench {
    _dir: tempfile::TempDir,
    pub site: PathBuf,
    pub dest: PathBuf,
}

impl Bench {
    pub fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let (site, dest) = (dir.path().join("site"), dir.path().join("dest"));
        fs::create_dir_all(&site).unwrap();
        fs::create_dir_all(&dest).unwrap();
        Bench {
            _dir: dir,
            site,
            dest,
        }
    }

    pub fn build(&self, model: &SiteModel) {
        model.write(&self.site);
    }

    pub fn publish(&self) -> Result<PublishSummary, PublishError> {
        publish(&self.site, &self.dest, &quiet())
    }

    pub fn publish_with(&self, opts: PublishOptions) -> Result<PublishSummary, PublishError> {
        publish(&self.site, &self.dest, &opts)
    }

    /// Put a file in DEST as someone else would.
    pub fn foreign(&self, rel: &str, body: &str) {
        write(&self.dest.join(rel), body);
    }
}

pub fn quiet() -> PublishOptions {
    PublishOptions {
        quiet: true,
        ..Default::default()
    }
}

pub fn write(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
}

/// Every file under `root` (relative path -> bytes).
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).min_depth(1) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .replace('\\', "/");
            out.insert(rel, fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Modification times of every file under `root`.
pub fn mtimes(root: &Path) -> BTreeMap<String, SystemTime> {
    tree(root)
        .into_keys()
        .map(|rel| {
            let t = fs::metadata(root.join(&rel)).unwrap().modified().unwrap();
            (rel, t)
        })
        .collect()
}

/// DEST without dangan's bookkeeping and without the given foreign files.
pub fn published(dest: &Path, foreign: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(dest);
    t.retain(|rel, _| !rel.starts_with(".dangan-publish.") && !foreign.contains(&rel.as_str()));
    t
}

/// The site as it should appear in DEST: everything but the build's own manifest.
pub fn expected(site: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(site);
    t.remove(".dangan-manifest");
    t
}

pub fn assert_dest_equals_site(bench: &Bench, foreign: &[&str]) {
    let (got, want) = (published(&bench.dest, foreign), expected(&bench.site));
    let got_names: BTreeSet<&String> = got.keys().collect();
    let want_names: BTreeSet<&String> = want.keys().collect();
    assert_eq!(
        got_names, want_names,
        "DEST holds other files than the site"
    );
    for (rel, bytes) in &want {
        assert!(
            got[rel] == *bytes,
            "{rel} differs between DEST and the site"
        );
    }
}

/// Temporary files and locks left in DEST.
pub fn leftovers(dest: &Path) -> Vec<String> {
    tree(dest)
        .into_keys()
        .filter(|r| r.ends_with(".dangan-tmp") || r.ends_with(".dangan-publish.lock"))
        .collect()
}

/// A link that does not resolve.
#[derive(Debug)]
pub struct Broken {
    pub page: String,
    pub href: String,
    /// The site path the link names.
    pub target: String,
}

/// Links that do not resolve. With `from_home`, only pages a reader can reach from
/// `index.html` are checked; otherwise every HTML file in `root`.
pub fn broken_links(root: &Path, from_home: bool) -> Vec<Broken> {
    let pages: Vec<String> = if from_home {
        reachable_pages(root)
    } else {
        tree(root)
            .into_keys()
            .filter(|r| r.ends_with(".html"))
            .collect()
    };
    let mut broken = Vec::new();
    for page in pages {
        let html = fs::read_to_string(root.join(&page)).unwrap();
        for href in hrefs(&html) {
            if let Some(target) = target_of(&page, &href)
                && !root.join(&target).is_file()
            {
                broken.push(Broken {
                    page: page.clone(),
                    href,
                    target,
                });
            }
        }
    }
    broken
}

fn reachable_pages(root: &Path) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["index.html".to_string()]);
    while let Some(page) = queue.pop_front() {
        if !root.join(&page).is_file() || !seen.insert(page.clone()) {
            continue;
        }
        let html = fs::read_to_string(root.join(&page)).unwrap();
        for href in hrefs(&html) {
            match target_of(&page, &href) {
                Some(t) if t.ends_with(".html") => queue.push_back(t),
                _ => {}
            }
        }
    }
    seen.into_iter().collect()
}

/// The values of every `href="…"` and `src="…"` attribute.
fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" href=\"", " src=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            out.push(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    out
}

/// The file a link names, relative to the site root; `None` for anchors and other sites.
fn target_of(page: &str, href: &str) -> Option<String> {
    let path = href.split(['#', '?']).next().unwrap();
    if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
        return None;
    }
    let decoded = percent_decode_str(path).decode_utf8().unwrap().into_owned();
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in decoded.split('/') {
        match seg {
            ".." => {
                parts.pop().expect("link climbs out of the site");
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}
