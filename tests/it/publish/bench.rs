//! Helpers for the publish tests: a test bench with an archive, its built site and a DEST, a
//! link checker written independently of the library's, tree comparisons, and a check of the
//! search index in DEST against the builds' manifests.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use dangan::build::{BuildOptions, build};
use dangan::manifest::{Kind, Manifest};
use dangan::publish::{PublishError, PublishOptions, PublishSummary, publish};
use percent_encoding::percent_decode_str;

pub use super::archive::ArchiveModel;

/// A temporary folder with `archive/` (dangan's input), `site/` (its built output) and
/// `dest/` (the share).
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub archive: PathBuf,
    pub site: PathBuf,
    pub dest: PathBuf,
}

impl Bench {
    pub fn new() -> Bench {
        Bench::with_dest(None)
    }

    /// A bench whose DEST is `dest` (a folder on a share), or `dest/` in the bench.
    pub fn with_dest(dest: Option<PathBuf>) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let (archive, site) = (dir.path().join("archive"), dir.path().join("site"));
        let dest = dest.unwrap_or_else(|| dir.path().join("dest"));
        fs::create_dir_all(&archive).unwrap();
        fs::create_dir_all(&dest).unwrap();
        Bench {
            dir,
            archive,
            site,
            dest,
        }
    }

    /// Write `model` as the archive's content and build it into `site/`.
    pub fn build(&self, model: &ArchiveModel) {
        self.build_into(model, &self.site);
    }

    /// Write `model` as the archive's content and build it into `out`.
    pub fn build_into(&self, model: &ArchiveModel, out: &Path) {
        model.write(&self.archive.join("content"));
        let outcome = build(&BuildOptions {
            root: self.archive.clone(),
            out: Some(out.to_path_buf()),
            write: true,
            cache: false,
        })
        .unwrap();
        let errors: Vec<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
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

/// Copy the folder `from` to `to`, keeping every file's modification time.
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(e.path(), &target).unwrap();
            let t = e.metadata().unwrap().modified().unwrap();
            fs::File::options()
                .write(true)
                .open(&target)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
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

/// DEST without dangan's bookkeeping and temporary files: what readers can open.
pub fn settled(dest: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = published(dest, &[]);
    t.retain(|rel, _| !rel.split('/').any(|c| c.ends_with(".dangan-tmp")));
    t
}

/// What readers of the `old` site can reach in DEST: `settled`, but for search files the old
/// site lacks (new ones are written straight to their place, and nothing names them until
/// the new search entry is switched).
pub fn settled_for(dest: &Path, old: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut t = settled(dest);
    t.retain(|rel, _| old.contains_key(rel) || !rel.starts_with("_search/"));
    t
}

/// Fails naming the files that differ (not printing their bytes).
#[track_caller]
pub fn assert_same_files(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
    when: &str,
) {
    let differ: Vec<&String> = got
        .keys()
        .chain(want.keys())
        .filter(|k| got.get(*k) != want.get(*k))
        .collect();
    assert!(differ.is_empty(), "{when}: these files differ: {differ:?}");
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

/// The build manifest of a built site.
pub fn manifest_of(site: &Path) -> Manifest {
    dangan::manifest::read(site).unwrap().expect("a built site")
}

/// A site's search index as its manifest records it: the entry, the other files of the index
/// reachable from it through their links (directly, or through files that name others, as an
/// index of many files does), and the pages those name.
pub struct SearchIndex {
    pub entry: String,
    pub shards: Vec<String>,
    pub pages: Vec<String>,
}

impl SearchIndex {
    pub fn of(m: &Manifest) -> Option<SearchIndex> {
        let entry = m
            .outputs
            .iter()
            .find(|o| o.kind == Some(Kind::SearchEntry))?;
        let (mut shards, mut pages) = (BTreeSet::new(), BTreeSet::new());
        let mut todo = vec![entry];
        while let Some(o) = todo.pop() {
            for target in m.links_of(o) {
                let t = m.get(target).unwrap();
                match t.kind {
                    Some(Kind::SearchShard) => {
                        if shards.insert(target.to_string()) {
                            todo.push(t);
                        }
                    }
                    Some(Kind::SearchEntry) => {}
                    _ => {
                        pages.insert(target.to_string());
                    }
                }
            }
        }
        Some(SearchIndex {
            entry: entry.path.clone(),
            shards: shards.into_iter().collect(),
            pages: pages.into_iter().collect(),
        })
    }
}

/// What is wrong with the search index in DEST, judged by the manifests of the builds that
/// may have put it there (the old and the new site): every file of the index the entry leads
/// to must be the same build's (no mix of old and new), and every page it names must be in
/// DEST.
pub fn search_problems(
    dest: &Path,
    builds: &[&BTreeMap<String, Vec<u8>>],
    manifests: &[&Manifest],
) -> Vec<String> {
    let Some(first) = SearchIndex::of(manifests[0]) else {
        return vec!["no search entry in the site".into()];
    };
    let Ok(entry) = fs::read(dest.join(&first.entry)) else {
        return Vec::new(); // no index at all for a moment: nothing wrong to find
    };
    let Some(b) = builds
        .iter()
        .position(|t| t.get(&first.entry) == Some(&entry))
    else {
        return vec![format!(
            "{} is neither the old nor the new one",
            first.entry
        )];
    };
    let (tree, index) = (builds[b], SearchIndex::of(manifests[b]).unwrap());
    let mut problems = Vec::new();
    for shard in &index.shards {
        match fs::read(dest.join(shard)) {
            Err(_) => problems.push(format!(
                "{} leads to {shard}, which is missing",
                index.entry
            )),
            Ok(bytes) if tree.get(shard) != Some(&bytes) => problems.push(format!(
                "{shard} is not from the same build as {}",
                index.entry
            )),
            Ok(_) => {}
        }
    }
    for page in &index.pages {
        if !dest.join(page).is_file() {
            problems.push(format!("{} names {page}, which is missing", index.entry));
        }
    }
    problems
}

/// Temporary files (also inside temporary folders) and locks left in DEST.
pub fn leftovers(dest: &Path) -> Vec<String> {
    let mut found: Vec<String> = tree(dest)
        .into_keys()
        .filter(|r| {
            r.split('/')
                .any(|c| c.ends_with(".dangan-tmp") || c == ".dangan-publish.lock")
        })
        .collect();
    if dest.join(".dangan-publish.lock").is_dir() && found.is_empty() {
        found.push(".dangan-publish.lock/".into()); // an empty lock folder
    }
    found
}

/// The lock of a publish as it leaves it in DEST: a folder naming its holder.
pub fn put_lock(dest: &Path, holder_json: &str) {
    let lock = dest.join(".dangan-publish.lock");
    fs::create_dir(&lock).unwrap();
    fs::write(lock.join("holder.json"), holder_json).unwrap();
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
