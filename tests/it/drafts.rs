//! SPEC: a draft is never published, and neither is what only drafts use: a
//! file beside a draft alone and a file only drafts link to stay out of the
//! output folder, its pages, its search index and its manifest, while a file
//! that a published report also uses is published. Watch mode and the build
//! cache agree with a fresh build whichever way a report turns.

use std::path::Path;

use dangan::build::{BuildOptions, Session};

use crate::incremental::{cached_session, fresh_build, tree};
use crate::support::*;

const DRAFT: &str = "---\ntitle: 草稿\nunit: 市委\ndate: 2020-02-01\ntype: 总结\ndraft: true\n---\n\
见[只给草稿的材料](../共享/仅草稿用.txt)和[共用材料](../共享/共用.txt)。\n";

/// Files only drafts use (each holds a phrase of its own), and files that a
/// published report uses too, or alone.
const DRAFTS_ONLY: &[(&str, &str)] = &[
    // named after the draft 2020/草稿.md, in a folder with a published report
    ("2020/草稿-名单.txt", "草稿名单写着机密词语"),
    // only the draft links to it
    ("共享/仅草稿用.txt", "仅草稿用写着保密词语"),
    // in a folder whose only report is a draft (still missing its date)
    ("草稿箱/材料.txt", "材料写着内部词语"),
    // named after a draft beside the only published report of its folder
    ("独/丙-附件.txt", "丙附件写着秘密词语"),
    // in a folder named after a draft, beside it
    ("2020/草稿/图片/照片.txt", "照片写着隐秘词语"),
    // named after the draft 2020/甲乙.md, whose name begins with 甲's: the
    // longer name it begins with is the one it is named after
    ("2020/甲乙-附件.txt", "甲乙附件写着绝密词语"),
];

const PUBLISHED: &[(&str, &str)] = &[
    ("2020/甲-附件.txt", "甲的附件写着公开词语"),
    // the draft links to it, and so does 甲
    ("共享/共用.txt", "共用材料写着共享词语"),
    // in the draft's folder, but 甲 links to it
    ("草稿箱/图表.txt", "图表写着统计词语"),
    // beside the only published report of its folder, named after no draft
    ("独/其他.txt", "其他附件写着公告词语"),
    // in a folder named after a draft, but 乙 links to it
    ("独/丙/表格.txt", "表格写着汇总词语"),
];

fn archive() -> Archive {
    let a = Archive::new();
    a.report(
        "2020/甲.md",
        &report(
            "甲报告",
            "市委",
            "2020-01-01",
            "总结",
            "见[共用材料](../共享/共用.txt)和[图表](../草稿箱/图表.txt)。",
        ),
    );
    a.report("2020/草稿.md", DRAFT);
    a.report(
        "2020/甲乙.md",
        "---\ntitle: 甲乙\nunit: 市委\ndate: 2020-02-02\ntype: 总结\ndraft: true\n---\n正文。\n",
    );
    a.report(
        "草稿箱/d.md",
        "---\ntitle: 草稿箱里的草稿\nunit: 市委\ntype: 总结\ndraft: true\n---\n正文。\n",
    );
    a.report(
        "独/乙.md",
        &report(
            "乙报告",
            "市委",
            "2020-03-01",
            "总结",
            "见[表格](丙/表格.txt)。",
        ),
    );
    a.report(
        "独/丙.md",
        "---\ntitle: 丙\nunit: 市委\ndate: 2020-04-01\ntype: 总结\ndraft: true\n---\n正文。\n",
    );
    for (rel, text) in DRAFTS_ONLY.iter().chain(PUBLISHED) {
        a.write(&format!("content/{rel}"), text.as_bytes());
    }
    a
}

fn index_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    tree(out)
        .into_iter()
        .filter(|(p, _)| p.starts_with("_search"))
        .collect()
}

fn hits(out: &Path, phrase: &str) -> usize {
    let files = index_files(out);
    let reader = dangan::search::reader::Reader::new(&files).expect("the built index");
    reader.search(phrase).hits.len()
}

fn phrase(text: &str) -> &str {
    &text[text.find("写着").unwrap() + "写着".len()..]
}

/// What of `files` the output at `out` holds, and what names them: (copied,
/// named by any output, found by search).
fn seen(out: &Path, files: &[(&str, &str)]) -> Vec<(String, bool, bool, usize)> {
    let outputs = tree(out);
    files
        .iter()
        .map(|(rel, text)| {
            let name = rel.rsplit('/').next().unwrap();
            let encoded =
                percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            let named = outputs.iter().any(|(_, bytes)| {
                let s = String::from_utf8_lossy(bytes);
                s.contains(name) || s.contains(&encoded) || s.contains(&encoded.to_lowercase())
            });
            (
                rel.to_string(),
                out.join(rel).exists(),
                named,
                hits(out, phrase(text)),
            )
        })
        .collect()
}

#[track_caller]
fn assert_left_out(out: &Path, files: &[(&str, &str)]) {
    for (rel, copied, named, found) in seen(out, files) {
        assert!(
            !copied && !named && found == 0,
            "{rel} is used by drafts only: copied {copied}, named by an output {named}, found by search {found}"
        );
    }
}

#[track_caller]
fn assert_published(out: &Path, files: &[(&str, &str)]) {
    for (rel, copied, named, found) in seen(out, files) {
        assert!(
            copied && named && found == 1,
            "{rel} is used by a published report: copied {copied}, named by an output {named}, found by search {found}"
        );
    }
}

#[test]
fn files_only_drafts_use_are_left_out_and_files_published_reports_use_are_not() {
    let a = archive();
    let run = a.build();
    run.ok();
    assert!(
        run.stderr().contains(
            "4 draft(s) left out (content/2020/甲乙.md, content/2020/草稿.md, content/独/丙.md, \
             content/草稿箱/d.md) with 6 files only they use"
        ),
        "{}",
        run.stderr()
    );
    assert_left_out(&a.out(), DRAFTS_ONLY);
    assert_published(&a.out(), PUBLISHED);
    // The only published report of its folder lists the folder's files but
    // those named after a draft there.
    let page = a.page("独/乙.html");
    assert!(
        page.contains("其他.txt") && !page.contains("丙-附件"),
        "{page}"
    );
    assert_links_resolve(&a.out());
    // The same after the build cache is read by a second build.
    a.build().ok();
    assert_left_out(&a.out(), DRAFTS_ONLY);
}

/// A report turns draft -> published -> draft, in one watch session and in
/// new processes starting from the build cache: each time the output is byte
/// for byte a fresh build's, with the draft's files in or out.
#[test]
fn a_report_turning_draft_and_back_gives_a_fresh_builds_output_each_time() {
    let a = archive();
    let root = a.root();
    let draft = std::fs::read_to_string(root.join("content/2020/草稿.md")).unwrap();
    let published = draft.replace("draft: true\n", "");
    let named_after: &[(&str, &str)] = &DRAFTS_ONLY[..2];
    let mut session = Session::open(BuildOptions {
        root: root.to_path_buf(),
        out: None,
        write: true,
        cache: true,
    })
    .unwrap();
    session.run().unwrap();
    let path = root.join("content/2020/草稿.md");
    let mut clock = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for (step, restart) in [false, false, true, true, false, true]
        .into_iter()
        .enumerate()
    {
        let is_draft = step % 2 == 1;
        std::fs::write(&path, if is_draft { &draft } else { &published }).unwrap();
        // each save at a time of its own, as the build cache needs to tell them apart
        clock += std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(clock)
            .unwrap();
        if restart {
            drop(session);
            session = cached_session(root);
        } else {
            session.update(std::slice::from_ref(&path));
        }
        let o = session.run().unwrap();
        assert!(!o.has_errors(), "{:?}", o.diagnostics);
        let got = tree(&a.out());
        let want = fresh_build(root);
        let differ: Vec<&String> = want
            .keys()
            .chain(got.keys())
            .filter(|k| want.get(*k) != got.get(*k))
            .collect();
        assert!(differ.is_empty(), "step {step}: differs in {differ:?}");
        if is_draft {
            assert_left_out(&a.out(), named_after);
        } else {
            assert_published(&a.out(), named_after);
        }
        // Its own folder's files: left out with it, else copied (no page lists them).
        assert_eq!(
            a.out().join("2020/草稿/图片/照片.txt").exists(),
            !is_draft,
            "step {step}"
        );
    }
}

/// SPEC: what only drafts use is not published, so its names cannot clash
/// in the output folder: two files named after a draft that differ only in
/// letter case (one file on a Windows share) do not fail a build that
/// leaves them out. Once a published report links to both, they are
/// published, and the clash is an error naming them.
#[test]
fn names_of_files_only_drafts_use_do_not_fail_the_build() {
    let a = Archive::new();
    a.report(
        "2020/甲.md",
        &report("甲报告", "市委", "2020-01-01", "总结", "正文。"),
    );
    a.report(
        "2020/草稿.md",
        "---\ntitle: 草稿\nunit: 市委\ndate: 2020-02-01\ntype: 总结\ndraft: true\n---\n正文。\n",
    );
    a.write("content/2020/草稿-Note.txt", b"one");
    a.write("content/2020/草稿-note.txt", b"two");
    let run = a.build();
    run.ok();
    assert!(!run.stderr().contains("草稿-"), "{}", run.stderr());
    assert!(!a.out().join("2020/草稿-Note.txt").exists());
    let check = a.run(&["check"]);
    check.ok();
    a.report(
        "2020/甲.md",
        &report(
            "甲报告",
            "市委",
            "2020-01-01",
            "总结",
            "见[一](草稿-Note.txt)和[二](草稿-note.txt)。",
        ),
    );
    for args in [&["check"][..], &["build"]] {
        let run = a.run(args);
        run.fails(1);
        assert!(
            run.stderr().contains("content/2020/草稿-note.txt")
                && run.stderr().contains("content/2020/草稿-Note.txt"),
            "{}",
            run.stderr()
        );
    }
    assert!(!a.out().join("2020/草稿-Note.txt").exists());
}
