//! Test support: a throwaway archive, running the binary, a link checker, a browser.
#![allow(dead_code)]

pub mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A file or folder under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The sample reports (plain text as found on the web, junk lines included):
/// the import tests' inputs and the text the corpus generator draws from.
pub fn samples_dir() -> PathBuf {
    fixture("samples")
}

/// Writes `n` generated reports under `root/content/reports/` with the
/// project's corpus generator (`bench/gen-corpus.py`).
pub fn gen_corpus(n: usize, root: &Path) {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen-corpus.py");
    let out = std::process::Command::new("python3")
        .arg(&generator)
        .arg(n.to_string())
        .arg(root)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{} failed: {}",
        generator.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An archive in a temporary folder.
pub struct Archive {
    pub dir: tempfile::TempDir,
}

impl Archive {
    pub fn new() -> Archive {
        Archive {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.root().join("public")
    }

    /// Writes `content/<rel>` (or any file when `rel` starts with `/`).
    pub fn report(&self, rel: &str, text: &str) -> &Self {
        self.write(&format!("content/{rel}"), text.as_bytes())
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.root().join(rel)).unwrap();
        self
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::cargo_bin("dangan")
            .unwrap()
            .current_dir(self.root())
            .args(args)
            .output()
            .unwrap();
        Run(out)
    }

    pub fn build(&self) -> Run {
        self.run(&["build"])
    }

    pub fn page(&self, rel: &str) -> String {
        std::fs::read_to_string(self.out().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

/// A finished run of the binary.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code(),
            0,
            "expected success, stderr:\n{}",
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn fails(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "expected exit {code}, stderr:\n{}",
            self.stderr()
        );
        self
    }
}

/// A report with the required fields.
pub fn report(title: &str, unit: &str, date: &str, kind: &str, body: &str) -> String {
    format!(
        "---\ntitle: \"{title}\"\nunit: \"{unit}\"\ndate: {date}\ntype: {kind}\n---\n\n{body}\n"
    )
}

/// Every `href`/`src` in every HTML file under `out`: (page, raw attribute value).
pub fn all_links(out: &Path) -> Vec<(PathBuf, String)> {
    let mut links = Vec::new();
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.unwrap();
        // A folder may be named x.html too (attachments under content/x.html/).
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(entry.path()).unwrap();
            for attr in ["href=\"", "src=\"", "action=\""] {
                for (i, _) in html.match_indices(attr) {
                    let rest = &html[i + attr.len()..];
                    let value = &rest[..rest.find('"').unwrap()];
                    links.push((entry.path().to_path_buf(), value.to_string()));
                }
            }
        }
    }
    links
}

/// Fails on any relative link that does not name an existing file, and on any absolute one.
#[track_caller]
pub fn assert_links_resolve(out: &Path) {
    let bad = broken_links(out);
    assert!(
        bad.is_empty(),
        "{} broken links:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Relative links that do not name an existing file, and absolute ones.
pub fn broken_links(out: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let mut checked = 0;
    for (page, href) in all_links(out) {
        if href.starts_with("http://")
            || href.starts_with("https://")
            || href.starts_with("mailto:")
            || href.starts_with('#')
        {
            continue;
        }
        checked += 1;
        let path = href.split(['#', '?']).next().unwrap();
        if href.starts_with('/') || path.is_empty() || path.ends_with('/') {
            bad.push(format!(
                "{}: {href} (not a relative link to a file)",
                page.display()
            ));
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .unwrap()
            .into_owned();
        let target = page.parent().unwrap().join(&decoded);
        if !target.is_file() {
            bad.push(format!(
                "{}: {href} -> {} missing",
                page.display(),
                target.display()
            ));
        }
    }
    if checked == 0 {
        bad.push(format!("no links found under {}", out.display()));
    }
    bad
}

/// Pages reachable from `index.html` by following links.
pub fn reachable(out: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![out.join("index.html")];
    while let Some(page) = todo.pop() {
        let page = page.canonicalize().unwrap();
        if !seen.insert(page.clone()) {
            continue;
        }
        let html = std::fs::read_to_string(&page).unwrap();
        for (i, _) in html.match_indices("href=\"") {
            let rest = &html[i + 6..];
            let href = &rest[..rest.find('"').unwrap()];
            let path = href.split(['#', '?']).next().unwrap();
            if path.ends_with(".html") && !href.contains("://") {
                let decoded = percent_encoding::percent_decode_str(path)
                    .decode_utf8()
                    .unwrap()
                    .into_owned();
                let target = page.parent().unwrap().join(decoded);
                if target.is_file() {
                    todo.push(target);
                }
            }
        }
    }
    seen
}
