//! Issue #15: the build cache in `.dangan-cache/`: the attachments' texts
//! (#18), the reports' front matter and Markdown facts, the pages'
//! fingerprints. Whatever state it is in, a build gives what a build without
//! it gives, and says in one line when it ignored it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{Archive, report};

const PART: &str = ".dangan-cache/attachments";
/// Every part, sorted.
const PARTS: [&str; 4] = ["attachments", "pages", "reports", "search"];

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// An archive with two reports and attachments of each kind read.
fn archive() -> Archive {
    let a = Archive::new();
    a.report(
        "甲/报告.md",
        &report("报告", "市委办公室", "2020-01-01", "工作总结", "正文"),
    );
    a.report(
        "乙/总结.md",
        &report("总结", "市委办公室", "2021-01-01", "工作总结", "正文"),
    );
    a.write("content/甲/名单.txt", "名单：张三".as_bytes());
    a.write(
        "content/乙/情况.docx",
        &crate::attachments::docx(&["情况说明", "附件里的词"]),
    );
    a.write(
        "content/乙/统计.xlsx",
        &crate::attachments::xlsx("统计表", &[&["事项", "表里的词"]]),
    );
    a
}

/// The site a build without the cache makes of the archive as it is now.
fn cold(a: &Archive) -> BTreeMap<String, Vec<u8>> {
    let out = a.root().join("cold");
    let _ = std::fs::remove_dir_all(&out);
    a.run(&["build", "--no-cache", "--out", "cold"]).ok();
    tree(&out)
}

/// Builds `a` and checks that its only line about the cache says that part
/// `part_name` was ignored, and why (`what` names the damage in messages).
fn builds_ignoring_one_part(a: &Archive, part_name: &str, why: &str, what: &str) {
    let run = a.build();
    run.ok();
    let stderr = run.stderr();
    let lines = cache_lines(&stderr);
    assert_eq!(lines.len(), 1, "{what}: {stderr}");
    assert!(
        lines[0].starts_with(&format!("the build cache .dangan-cache/{part_name} "))
            && lines[0].contains(why)
            && lines[0].ends_with("it is ignored and its work done again"),
        "{what}: {}",
        lines[0]
    );
}

/// The lines of a build's stderr about the cache.
fn cache_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("build cache"))
        .collect()
}

/// Rewrites the part with another version string (or another key), its
/// checksum made right again: only the header tells it is not this build's.
fn rewrite_header(path: &Path, version: &[u8], key: Option<&[u8]>) {
    let bytes = std::fs::read(path).unwrap();
    let body = &bytes[..bytes.len() - 16];
    let mut r = dangan::cache::Reader::new(&body[12..]);
    let format = r.u32().unwrap();
    let old_version = r.bytes().unwrap();
    let key_hash = r.u128().unwrap();
    let payload = r.bytes().unwrap();
    assert!(r.is_empty() && old_version == env!("CARGO_PKG_VERSION").as_bytes());
    let mut w = dangan::cache::Writer::default();
    w.raw(&body[..12]);
    w.u32(format);
    w.bytes(version);
    w.u128(key.map_or(key_hash, xxhash_rust::xxh3::xxh3_128));
    w.bytes(payload);
    let sum = xxhash_rust::xxh3::xxh3_128(&w.0);
    w.raw(&sum.to_le_bytes());
    std::fs::write(path, &w.0).unwrap();
}

#[test]
fn the_cache_is_written_once_with_its_size_and_used_silently_after() {
    let a = archive();
    let first = a.build();
    first.ok();
    let lines = cache_lines(&first.stderr()).join("\n");
    assert!(
        lines.starts_with("build cache written: .dangan-cache/ (") && !lines.contains('\n'),
        "{}",
        first.stderr()
    );
    assert!(a.root().join(PART).is_file());
    let second = a.build();
    second.ok();
    assert_eq!(cache_lines(&second.stderr()), Vec::<&str>::new());
    // An attachment changed since: read again, searched as a cold build's.
    a.write("content/甲/名单.txt", "名单：李四、王五".as_bytes());
    a.build().ok();
    assert_eq!(tree(&a.out()), cold(&a));
}

#[test]
fn no_cache_neither_reads_nor_writes_it() {
    let a = archive();
    let run = a.run(&["build", "--no-cache"]);
    run.ok();
    assert!(!a.root().join(".dangan-cache").exists());
    assert_eq!(cache_lines(&run.stderr()), Vec::<&str>::new());
    a.build().ok();
    std::fs::write(a.root().join(PART), "damaged").unwrap();
    let run = a.run(&["check", "--no-cache"]);
    run.ok();
    assert_eq!(cache_lines(&run.stderr()), Vec::<&str>::new());
}

/// A damaged, truncated, foreign or another version's cache, or one made
/// for other settings: one line, and the site of a cold build. Fails if any
/// of them is trusted (the attachment was changed meanwhile, so a trusted
/// cache would give its old text) or if the line is missing.
type Damage = fn(&Path);

/// Ways a part can be damaged: what, how, and what the line says of it.
fn damages() -> [(&'static str, Damage, &'static str); 6] {
    [
        (
            "truncated",
            |p| {
                let b = std::fs::read(p).unwrap();
                std::fs::write(p, &b[..b.len() / 2]).unwrap();
            },
            "is damaged",
        ),
        (
            "a byte flipped",
            |p| {
                let mut b = std::fs::read(p).unwrap();
                let mid = b.len() / 2;
                b[mid] ^= 0x01;
                std::fs::write(p, &b).unwrap();
            },
            "is damaged",
        ),
        (
            "empty",
            |p| std::fs::write(p, b"").unwrap(),
            "is not dangan's",
        ),
        (
            "another program's file",
            |p| std::fs::write(p, "PK\u{3}\u{4} not a cache at all, some zip file").unwrap(),
            "is not dangan's",
        ),
        (
            "another version's",
            |p| rewrite_header(p, b"0.0.9", None),
            "another version of dangan",
        ),
        (
            "made for other settings",
            |p| rewrite_header(p, env!("CARGO_PKG_VERSION").as_bytes(), Some(b"other")),
            "other settings",
        ),
    ]
}

#[test]
fn a_cache_that_does_not_check_out_is_ignored_with_one_line() {
    let damages = damages();
    // What a part holds that a trusted damaged part would give stale: the
    // attachment's text, the report's front matter; the pages' part is
    // checked against a cold build.
    let changes: [(&str, &str, &str); 3] = [
        ("attachments", "content/甲/名单.txt", "名单：赵六"),
        ("reports", "content/甲/报告.md", ""),
        ("pages", "", ""),
    ];
    for ((what, damage, why), (part_name, changed, text)) in damages
        .into_iter()
        .flat_map(|d| changes.into_iter().map(move |c| (d, c)))
    {
        let what = format!("{part_name} {what}");
        let a = archive();
        // Saved an hour ago: the cache trusts its size and time.
        let path = a.root().join(changed);
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let set_time = || {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(hour_ago).unwrap();
        };
        let new_text = match part_name {
            // The title changes, at the same length.
            "reports" => std::fs::read_to_string(&path)
                .unwrap()
                .replace("title: \"报告\"", "title: \"改过\""),
            _ => text.to_string(),
        };
        if !changed.is_empty() {
            set_time();
        }
        a.build().ok();
        let part = a.root().join(".dangan-cache").join(part_name);
        // A change only a distrusted cache lets through: same size, same time.
        if !changed.is_empty() {
            std::fs::write(&path, new_text.as_bytes()).unwrap();
            set_time();
        }
        damage(&part);
        builds_ignoring_one_part(&a, part_name, why, &what);
        let search = |t: BTreeMap<String, Vec<u8>>| -> Vec<(String, Vec<u8>)> {
            t.into_iter()
                .filter(|(p, _)| p.starts_with("_search"))
                .collect()
        };
        let built = tree(&a.out());
        let want = cold(&a);
        assert_eq!(search(built.clone()), search(want.clone()), "{what}");
        assert_eq!(built.len(), want.len(), "{what}");
        let pages = |t: BTreeMap<String, Vec<u8>>| -> Vec<(String, Vec<u8>)> {
            t.into_iter()
                .filter(|(p, _)| p.ends_with(".html"))
                .collect()
        };
        assert_eq!(pages(built), pages(want), "{what}");
        // And it is written anew: the next build uses it without a word.
        let again = a.build();
        again.ok();
        assert_eq!(cache_lines(&again.stderr()), Vec::<&str>::new(), "{what}");
    }
}

/// The search index's state (#15), damaged in any of those ways, or kept
/// while the list files in the output folder were changed by hand: after an
/// edit, one line and the search index of a cold build. Fails if the
/// damaged part or a changed list file is trusted (the update would then
/// rest on lists that are not the index's), or if the line is missing.
/// (List files changed by hand are now found before the part is read, by
/// their stamps in the pages part, and said so; the part's own check of
/// them is tested in `search::tests`.)
#[test]
fn a_damaged_search_state_is_ignored_with_one_line() {
    let lists_changed: Damage = |part| {
        let search = part
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("public/_search");
        for e in walkdir::WalkDir::new(search)
            .into_iter()
            .map(Result::unwrap)
        {
            let rel = e.path().to_string_lossy();
            if e.file_type().is_file() && (rel.contains("/d/") || rel.contains("/k/")) {
                let mut b = std::fs::read(e.path()).unwrap();
                let at = b.len() - 10;
                b[at] ^= 1;
                std::fs::write(e.path(), &b).unwrap();
            }
        }
    };
    let by_hand = "list files changed in the output folder";
    let damages = damages().into_iter().chain([(by_hand, lists_changed, "")]);
    for (what, damage, why) in damages {
        let a = Archive::new();
        // Several blocks of reports: an edit updates one of them.
        for i in 0..40 {
            let body = format!(
                "第{i}份报告，讲{}。",
                ["党建", "调研", "总结", "整改"][i % 4]
            );
            let date = format!("20{:02}-01-01", 10 + i % 12);
            a.report(
                &format!("r{i:02}.md"),
                &report(&format!("报告{i}"), "市委办公室", &date, "工作总结", &body),
            );
        }
        a.build().ok();
        let path = a.root().join("content/r07.md");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(
            "
补充：新的词语出现在这里。
",
        );
        std::fs::write(&path, text).unwrap();
        damage(&a.root().join(".dangan-cache/search"));
        if what == by_hand {
            let run = a.build();
            let stderr = run.ok().stderr();
            assert!(
                stderr.contains(
                    "file(s) that dangan wrote in the output folder were changed or deleted since ("
                ) && stderr.contains("/_search/d/"),
                "{stderr}"
            );
        } else {
            builds_ignoring_one_part(&a, "search", why, what);
        }
        assert_eq!(tree(&a.out()), cold(&a), "{what}");
        let again = a.build();
        again.ok();
        assert_eq!(cache_lines(&again.stderr()), Vec::<&str>::new(), "{what}");
    }
}

/// `check`s share the cache with a build: run at once, each writing it,
/// none of them fails or sees a damaged cache, and no temporary file is
/// left in it. (Not two builds: they would race on the address record,
/// which has one fixed temporary name.)
#[test]
fn builds_and_checks_at_once_do_not_corrupt_the_cache() {
    let a = archive();
    let bin = assert_cmd::cargo::cargo_bin("dangan");
    for round in 0..4 {
        a.write(
            "content/甲/名单.txt",
            format!("名单第{round}版：{}", "张三".repeat(round + 1)).as_bytes(),
        );
        let children: Vec<_> = [vec!["build"], vec!["check"], vec!["check"]]
            .into_iter()
            .map(|args| {
                std::process::Command::new(&bin)
                    .current_dir(a.root())
                    .args(args)
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "round {round}: {stderr}");
            assert!(!stderr.contains("ignored"), "round {round}: {stderr}");
        }
        let names: Vec<String> = std::fs::read_dir(a.root().join(".dangan-cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut names = names;
        names.sort();
        assert_eq!(names, PARTS, "round {round}");
        assert_eq!(tree(&a.out()), cold(&a), "round {round}");
    }
}

#[test]
fn init_keeps_the_cache_out_of_git() {
    let a = Archive::new();
    a.run(&["init", "新档案"]).ok();
    let ignore = std::fs::read_to_string(a.root().join("新档案/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".dangan-cache/"), "{ignore}");
    // An existing .gitignore keeps its lines and gains the cache's.
    a.write("旧/.gitignore", b"public/\n");
    a.run(&["init", "--force", "旧"]).ok();
    let ignore = std::fs::read_to_string(a.root().join("旧/.gitignore")).unwrap();
    assert_eq!(ignore, "public/\n.dangan-cache/\n");
}

/// A report saved again at once, at the same size, in the same tick of a
/// share's clock (its time unchanged), is read again: its time was too
/// recent when the cache read it to tell the two saves apart. Fails if the
/// cache trusts size and time alone.
#[test]
fn a_report_saved_again_in_the_same_tick_is_read_again() {
    let a = archive();
    let path = a.root().join("content/甲/报告.md");
    let file_time = || std::fs::metadata(&path).unwrap().modified().unwrap();
    a.build().ok();
    let then = file_time();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("title: \"报告\"", "title: \"改过\"");
    std::fs::write(&path, &text).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(then)
        .unwrap();
    a.build().ok();
    assert!(a.page("甲/报告.html").contains("改过"));
    assert_eq!(tree(&a.out()), cold(&a));
}

/// The pages' fingerprints are trusted only for the output folder as the
/// build that saved them left it: a `--no-cache` build (or any other
/// dangan) that wrote it since makes the next build check every page.
/// Here the report is put back as it was after a build without the cache
/// wrote its edit: fails if the cache's fingerprints are trusted.
#[test]
fn pages_written_by_another_build_since_are_made_again() {
    let a = archive();
    let path = a.root().join("content/甲/报告.md");
    let original = std::fs::read(&path).unwrap();
    a.build().ok();
    std::fs::write(
        &path,
        String::from_utf8_lossy(&original).replace("title: \"报告\"", "title: \"改过\""),
    )
    .unwrap();
    a.run(&["build", "--no-cache"]).ok();
    assert!(a.page("甲/报告.html").contains("改过"));
    std::fs::write(&path, &original).unwrap();
    a.build().ok();
    assert!(!a.page("甲/报告.html").contains("改过"));
    assert_eq!(tree(&a.out()), cold(&a));
}

/// A file dangan wrote, changed by hand in the output folder at any depth
/// (a page two folders down edited, edited to the same size with its time
/// set back, truncated or deleted; an attachment's copy truncated; a file
/// of the search index changed or deleted; a page at the top edited in place): the next build notices it,
/// says so, and puts it back as a build without the cache makes it. A file
/// the user added there is dangan's to leave alone: it stays as it is.
#[test]
fn files_changed_by_hand_in_the_output_folder_are_made_again() {
    let a = archive();
    a.build().ok();
    let out = a.out();
    let search: Vec<String> = tree(&out)
        .into_keys()
        .filter(|p| p.starts_with("_search/d/"))
        .take(2)
        .collect();
    let page = "year/2020/市委办公室.html";
    let append = |rel: &str| {
        use std::io::Write as _;
        let mut f = std::fs::File::options()
            .append(true)
            .open(out.join(rel))
            .unwrap();
        f.write_all(b"<script>alert(1)</script>").unwrap();
    };
    let same_size_same_time = |rel: &str| {
        let path = out.join(rel);
        let then = std::fs::metadata(&path).unwrap().modified().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(then).unwrap();
    };
    let truncate = |rel: &str| std::fs::File::create(out.join(rel)).map(drop).unwrap();
    let delete = |rel: &str| std::fs::remove_file(out.join(rel)).unwrap();
    type ByHand<'a> = &'a dyn Fn(&str);
    let damages: [(&str, ByHand); 8] = [
        (page, &append),
        ("甲/名单.txt", &truncate),
        (page, &same_size_same_time),
        (page, &truncate),
        (page, &delete),
        (&search[0], &append),
        (&search[1], &delete),
        ("index.html", &append),
    ];
    let mine = out.join("year/2020/我的笔记.txt");
    std::fs::write(&mine, "用户自己的文件").unwrap();
    let expected = |a: &Archive| {
        let mut site = cold(a);
        site.insert("year/2020/我的笔记.txt".into(), "用户自己的文件".into());
        site
    };
    for (rel, damage) in damages {
        let before = std::fs::read(out.join(rel)).unwrap();
        damage(rel);
        let run = a.build();
        run.ok();
        assert_eq!(std::fs::read(out.join(rel)).unwrap(), before, "{rel}");
        assert!(run.stderr().contains(rel), "{rel}: {}", run.stderr());
        assert_eq!(tree(&out), expected(&a), "{rel}");
    }
    // Nothing changed since: nothing written, nothing said.
    let run = a.build();
    assert!(
        run.ok().stderr().contains(": 0 file(s) written"),
        "{}",
        run.stderr()
    );
}
