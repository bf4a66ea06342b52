//! `init` and `new`.

use crate::support::*;

#[test]
fn init_makes_an_archive_that_builds_and_refuses_a_non_empty_folder() {
    let a = Archive::new();
    a.run(&["init", "archive"]).ok();
    let root = a.root().join("archive");
    assert!(root.join("dangan.toml").is_file() && root.join("content/示例报告.md").is_file());
    let run = a.run(&["--root", "archive", "build"]);
    run.ok();
    assert!(root.join("public/示例报告.html").is_file());

    let run = a.run(&["init", "archive"]);
    run.fails(2);
    assert!(run.stderr().contains("is not empty"), "{}", run.stderr());
    std::fs::write(root.join("dangan.toml"), "title = \"我的\"\n").unwrap();
    a.run(&["init", "archive", "--force"]).ok();
    assert_eq!(
        std::fs::read_to_string(root.join("dangan.toml")).unwrap(),
        "title = \"我的\"\n",
        "--force keeps existing files"
    );
}

#[test]
fn new_writes_a_report_that_builds_and_never_overwrites() {
    let a = Archive::new();
    a.run(&[
        "new",
        "关于\"某事\"的调研报告",
        "--unit",
        "市委办公室",
        "--type",
        "调研报告",
        "--date",
        "2024-03-05",
    ])
    .ok();
    let path = a.root().join("content/2024/关于_某事_的调研报告.md");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("title: \"关于\\\"某事\\\"的调研报告\""),
        "{text}"
    );
    a.build().ok();
    assert!(
        a.page("2024/关于_某事_的调研报告.html")
            .contains("关于&quot;某事&quot;的调研报告")
    );
    let run = a.run(&[
        "new",
        "关于\"某事\"的调研报告",
        "--unit",
        "x",
        "--type",
        "y",
        "--date",
        "2024-03-05",
    ]);
    run.fails(2);
    assert!(run.stderr().contains("never overwrites"));
    let run = a.run(&[
        "new",
        "x",
        "--unit",
        "x",
        "--type",
        "y",
        "--date",
        "2024-02-30",
    ]);
    run.fails(2);
    assert!(run.stderr().contains("not a real date"), "{}", run.stderr());
}

/// Issue 16: `new` and `import` read `--date` with one rule and say the same
/// thing about a wrong one, down to what would fix it.
#[test]
fn new_and_import_give_the_same_message_for_a_wrong_date() {
    let a = Archive::new();
    a.write(
        "旧材料/报告.txt",
        "关于某事的调研报告\n\n正文。\n".as_bytes(),
    );
    for (date, says) in [
        ("2021-02-30", "2021-02 has 28 days"),
        ("2021-13", "months run from 01 to 12"),
        ("1850-03-01", "not plausible for a report"),
        ("2021/03/05", "not a date in the form YYYY-MM-DD or YYYY-MM"),
    ] {
        let new = a.run(&[
            "new",
            "报告",
            "--unit",
            "单位",
            "--type",
            "调研报告",
            "--date",
            date,
        ]);
        new.fails(2);
        let import = a.run(&["import", "旧材料", "--unit", "单位", "--date", date]);
        import.fails(2);
        assert!(new.stderr().contains(says), "{date}: {}", new.stderr());
        assert_eq!(import.stderr(), new.stderr(), "{date}");
        assert!(
            new.stderr().contains("help: write the date as YYYY-MM-DD"),
            "{}",
            new.stderr()
        );
    }
    assert!(!a.root().join("content").exists(), "nothing was written");
}

/// Issue 16: `new` writes front matter as `import` does: a title pasted with
/// a line break stays on one line, and an invisible character shows.
#[test]
fn new_writes_a_pasted_title_on_one_line() {
    let a = Archive::new();
    a.run(&[
        "new",
        "关于某事\n的\u{202e}调研报告",
        "--unit",
        "市委\t办公室",
        "--type",
        "调研报告",
        "--date",
        "2024-03-05",
    ])
    .ok();
    let dir = a.root().join("content/2024");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("title: \"关于某事 的\\u202E调研报告\"\nunit: \"市委 办公室\"\n"),
        "{text}"
    );
    a.build().ok();
}

#[test]
fn publish_builds_then_brings_the_share_to_the_site_and_keeps_foreign_files() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("第一版", "单位", "2020-01-01", "调研报告", "正文"),
    );
    a.report(
        "b.md",
        &report("将被删除", "单位", "2020-02-01", "调研报告", "正文"),
    );
    // The shares are outside the archive (a share inside it is refused).
    let shares = tempfile::tempdir().unwrap();
    let other = shares.path().join("share");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("old.html"), "someone else's").unwrap();
    let run = a.run(&["publish", other.to_str().unwrap()]);
    run.fails(2);
    assert!(run.stderr().contains("--adopt"), "{}", run.stderr());
    assert_eq!(
        std::fs::read_dir(&other).unwrap().count(),
        1,
        "nothing was written"
    );

    let share = shares.path().join("发布");
    std::fs::create_dir(&share).unwrap();
    let share_arg = share.to_str().unwrap();
    a.run(&["publish", share_arg]).ok();
    assert!(
        std::fs::read_to_string(share.join("a.html"))
            .unwrap()
            .contains("第一版")
    );
    std::fs::write(share.join("通知.txt"), "机关的通知").unwrap();

    a.report(
        "a.md",
        &report("第二版", "单位", "2020-01-01", "调研报告", "正文"),
    );
    a.remove("content/b.md");
    let dry = a.run(&["publish", share_arg, "--dry-run"]);
    dry.ok();
    assert!(
        std::fs::read_to_string(share.join("a.html"))
            .unwrap()
            .contains("第一版"),
        "a dry run changes nothing"
    );
    a.run(&["publish", share_arg]).ok();
    assert!(
        std::fs::read_to_string(share.join("a.html"))
            .unwrap()
            .contains("第二版")
    );
    assert!(
        !share.join("b.html").exists(),
        "the deleted report's page is gone from the share"
    );
    assert_eq!(
        std::fs::read_to_string(share.join("通知.txt")).unwrap(),
        "机关的通知"
    );
    assert_links_resolve(&share);

    a.report(
        "a.md",
        "---\nunit: 单位\ndate: 2020-02-30\ntype: 调研报告\n---\n",
    );
    let run = a.run(&["publish", share_arg]);
    run.fails(1);
    assert!(
        run.stderr().contains("nothing was published"),
        "{}",
        run.stderr()
    );
    assert!(
        std::fs::read_to_string(share.join("a.html"))
            .unwrap()
            .contains("第二版")
    );
}

/// Issue 16: `publish --no-build` finds the site by dangan.toml as the build
/// does. A dangan.toml with an error is an error here too, not a silent
/// fall-back to the default folder (which here holds an old site).
#[test]
fn publish_without_building_refuses_a_wrong_dangan_toml() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("旧的站点", "单位", "2020-01-01", "调研报告", "正文"),
    );
    a.build().ok(); // an old site in public/
    a.write("dangan.toml", "output = \"site\"\n".as_bytes());
    a.report(
        "a.md",
        &report("新的站点", "单位", "2020-01-01", "调研报告", "正文"),
    );
    a.build().ok();
    a.write("dangan.toml", "output = \"site\"\ntitle = \n".as_bytes());
    let share_dir = tempfile::tempdir().unwrap();
    let share = share_dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    let share_arg = share.to_str().unwrap();
    let run = a.run(&["publish", share_arg, "--no-build"]);
    run.fails(1);
    let err = run.stderr();
    assert!(err.contains("dangan.toml:2"), "{err}");
    assert!(err.contains("nothing was published"), "{err}");
    assert_eq!(
        std::fs::read_dir(&share).unwrap().count(),
        0,
        "the share is as it was"
    );
    // Mended, it publishes the site the build wrote.
    a.write("dangan.toml", "output = \"site\"\n".as_bytes());
    a.run(&["publish", share_arg, "--no-build"]).ok();
    assert!(
        std::fs::read_to_string(share.join("a.html"))
            .unwrap()
            .contains("新的站点")
    );
}

/// Issue 16: every command fails through one path: a message that says each
/// cause once, and exit code 2 for what is wrong with the machine.
#[test]
fn an_output_folder_that_cannot_be_made_is_said_once_with_exit_2() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("报告", "单位", "2020-01-01", "调研报告", "正文"),
    );
    // No folder can be made under /proc: the system's own error, with its
    // path, is the whole message.
    for cmd in ["build", "watch"] {
        let run = a.run(&[cmd, "--out", "/proc/no-such-folder/public"]);
        run.fails(2);
        let err = run.stderr();
        assert!(
            err.starts_with("error: failed to create directory `/proc/no-such-folder/public`"),
            "{cmd}: {err}"
        );
        assert_eq!(
            err.matches("No such file or directory").count(),
            1,
            "{cmd}: {err}"
        );
    }
}
