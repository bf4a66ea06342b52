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
