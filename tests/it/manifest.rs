//! The output folder's manifest (`.dangan-manifest`): every output the build wrote, with its
//! kind and the outputs it links to, as publish, serve and these tests read them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use dangan::build::{BuildOptions, Session};
use dangan::manifest::{Kind, Manifest};

use crate::support::*;

fn archive() -> Archive {
    let a = Archive::new();
    a.report(
        "2020/甲.md",
        &report(
            "甲报告",
            "市委办公室",
            "2020-03-01",
            "调研报告",
            "## 一、情况\n\n正文。",
        ),
    );
    a.report(
        "2021/乙.md",
        &report(
            "乙报告",
            "荔湾区委",
            "2021-05-02",
            "工作总结",
            "见[甲](../2020/甲.md)。",
        ),
    );
    a.write("content/2021/乙-附件.pdf", b"%PDF-1.4");
    a.report(
        "#3 井号.md",
        &report(
            "井号报告",
            "市委办公室",
            "2021-06-02",
            "调研报告",
            "正文三。",
        ),
    );
    a
}

fn read(out: &Path) -> Manifest {
    dangan::manifest::read(out).unwrap().expect("a manifest")
}

/// The site paths every relative `href`/`src` of each page names, parsed here independently.
fn parsed_links(out: &Path, listed: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut links: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (page, href) in all_links(out) {
        let page = page
            .strip_prefix(out)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let path = href.split(['#', '?']).next().unwrap();
        if path.is_empty() || href.contains("://") || href.starts_with("mailto:") {
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .unwrap();
        let mut parts: Vec<&str> = page.split('/').collect();
        parts.pop();
        for seg in decoded.split('/') {
            match seg {
                ".." => {
                    parts.pop();
                }
                "." | "" => {}
                s => parts.push(s),
            }
        }
        let target = parts.join("/");
        if listed.contains(&target) && target != page {
            links.entry(page).or_default().insert(target);
        }
    }
    links
}

#[test]
fn every_output_is_listed_with_its_kind() {
    let a = archive();
    a.build().ok();
    let out = a.out();
    let m = read(&out);
    let listed: BTreeSet<String> = m.paths().map(String::from).collect();
    let on_disk: BTreeSet<String> = walkdir::WalkDir::new(&out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(&out)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .filter(|p| p != ".dangan-manifest")
        .collect();
    assert_eq!(listed, on_disk);
    let kind = |p: &str| m.get(p).unwrap_or_else(|| panic!("{p} not listed")).kind;
    for (path, want) in [
        ("index.html", Kind::Home),
        ("2020/甲.html", Kind::Report),
        ("#3 井号.html", Kind::Report),
        ("2021/乙-附件.pdf", Kind::Attachment),
        ("unit/index.html", Kind::Index),
        ("unit/荔湾区委.html", Kind::Index),
        ("year/2021.html", Kind::Index),
        ("search.html", Kind::Page),
        ("404.html", Kind::Page),
        ("feed.xml", Kind::Feed),
        ("sitemap.xml", Kind::Feed),
        ("_assets/style.css", Kind::Asset),
        ("_search/index.js", Kind::SearchEntry),
    ] {
        assert_eq!(kind(path), Some(want), "{path}");
    }
    let shards: Vec<&str> = m
        .outputs
        .iter()
        .filter(|o| o.path.starts_with("_search/") && o.path != "_search/index.js")
        .map(|o| o.path.as_str())
        .collect();
    assert!(!shards.is_empty());
    for s in &shards {
        assert_eq!(kind(s), Some(Kind::SearchShard), "{s}");
    }
    let entry = m.get("_search/index.js").unwrap();
    let named: BTreeSet<&str> = m.links_of(entry).collect();
    for p in shards
        .iter()
        .copied()
        .chain(["2020/甲.html", "2021/乙.html", "#3 井号.html"])
    {
        assert!(named.contains(p), "the search entry names {p}");
    }
}

#[test]
fn recorded_links_are_the_links_in_the_pages() {
    let a = archive();
    a.build().ok();
    let out = a.out();
    let m = read(&out);
    let listed: BTreeSet<String> = m.paths().map(String::from).collect();
    let parsed = parsed_links(&out, &listed);
    assert!(parsed["2021/乙.html"].contains("2020/甲.html"));
    assert!(parsed["2021/乙.html"].contains("2021/乙-附件.pdf"));
    for o in m.outputs.iter().filter(|o| o.path.ends_with(".html")) {
        let recorded: BTreeSet<String> = m.links_of(o).map(String::from).collect();
        let want = parsed.get(&o.path).cloned().unwrap_or_default();
        assert_eq!(recorded, want, "{}", o.path);
    }
}

#[test]
fn a_page_whose_links_change_in_watch_mode_gets_them_recorded() {
    let a = archive();
    let mut session = Session::open(BuildOptions {
        root: a.root().to_path_buf(),
        out: None,
        write: true,
        cache: false,
    })
    .unwrap();
    session.run().unwrap();
    let links_of_jia = |m: &Manifest| -> BTreeSet<String> {
        m.links_of(m.get("2020/甲.html").unwrap())
            .map(String::from)
            .collect()
    };
    assert!(!links_of_jia(&read(&a.out())).contains("2021/乙.html"));
    // Only the page's links change: no output is added or removed.
    a.report(
        "2020/甲.md",
        &report(
            "甲报告",
            "市委办公室",
            "2020-03-01",
            "调研报告",
            "## 一、情况\n\n见[乙](../2021/乙.md)。",
        ),
    );
    session.update(&[a.root().join("content/2020/甲.md")]);
    session.run().unwrap();
    assert!(links_of_jia(&read(&a.out())).contains("2021/乙.html"));
    // The same as a fresh build writes.
    let incremental = std::fs::read(a.out().join(".dangan-manifest")).unwrap();
    std::fs::remove_dir_all(a.out()).unwrap();
    a.build().ok();
    assert_eq!(
        std::fs::read(a.out().join(".dangan-manifest")).unwrap(),
        incremental
    );
}
