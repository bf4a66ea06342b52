//! Snapshot tests (insta): the text of every kind of error message, and each
//! kind of page the built-in theme writes. A changed message or template
//! shows as a diff to review; once it reads right, accept it with
//! `INSTA_UPDATE=always cargo test --test it snapshots::` and commit the
//! changed files under tests/it/snapshots/.

use std::path::Path;

use crate::build::copy_dir;
use crate::support::*;

/// Compares `text` with tests/it/snapshots/`name`.snap.
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// A fixture archive under tests/fixtures/, copied to a temporary folder.
fn archive(rel: &str) -> Archive {
    let a = Archive::new();
    copy_dir(&fixture(rel), a.root());
    a
}

/// What `dangan check` says about the fixture archive `case` (each has
/// problems of one area, one of each kind), with exit code 1.
fn diagnostics(case: &str) {
    let a = archive(&format!("diagnostics/{case}"));
    let run = a.run(&["check"]);
    run.fails(1);
    assert_eq!(run.stdout(), "");
    snapshot(&format!("diagnostics-{case}"), &run.stderr());
}

#[test]
fn diagnostics_of_reports() {
    diagnostics("content-errors");
}

#[test]
fn diagnostics_of_reports_as_json() {
    let a = archive("diagnostics/content-errors");
    let run = a.run(&["check", "--format", "json"]);
    run.fails(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).expect("one JSON document");
    snapshot(
        "diagnostics-content-errors-json",
        &serde_json::to_string_pretty(&json).unwrap(),
    );
}

#[test]
fn diagnostics_of_declared_units() {
    diagnostics("config-units");
}

#[test]
fn diagnostics_of_dangan_toml() {
    for case in ["config-syntax", "config-unknown-field", "config-wrong-type"] {
        diagnostics(case);
    }
}

#[test]
fn diagnostics_of_a_missing_content_folder() {
    diagnostics("no-content");
}

#[test]
fn diagnostics_of_themes() {
    diagnostics("theme-syntax");
    diagnostics("theme-missing");
}

/// The failures of the commands themselves (a wrong command line, a folder
/// in the way): message and exit code, as a transcript.
#[test]
fn command_failures() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("报告", "单位", "2020-01-01", "调研报告", "正文"),
    );
    a.write("a-file", b"not a folder");
    a.write(
        "旧材料/报告.txt",
        "关于某事的调研报告\n\n正文。\n".as_bytes(),
    );
    // A share outside the archive that holds someone else's file.
    let share = tempfile::tempdir().unwrap();
    std::fs::write(share.path().join("notice.txt"), "someone else's").unwrap();
    let share_arg = share.path().to_str().unwrap();
    a.run(&[
        "new",
        "已有的报告",
        "--unit",
        "单位",
        "--type",
        "调研报告",
        "--date",
        "2024-03-05",
    ])
    .ok();
    let commands: &[&[&str]] = &[
        &["biuld"],
        &["build", "--format", "yaml"],
        &["new", " ", "--unit", "单位", "--type", "调研报告"],
        &[
            "new",
            "报告",
            "--unit",
            "单位",
            "--type",
            "调研报告",
            "--date",
            "2024-02-30",
        ],
        &[
            "new",
            "已有的报告",
            "--unit",
            "单位",
            "--type",
            "调研报告",
            "--date",
            "2024-03-05",
        ],
        &["init"],
        &["import", "旧材料", "--unit", "单位", "--date", "2024-13"],
        &["import", "没有这个文件夹", "--unit", "单位"],
        &["build", "--out", "a-file/public"],
        &["publish", share_arg, "--quiet"],
    ];
    // The temporary folders' paths vary from run to run.
    let shown = |text: &str| {
        let mut text = text.to_string();
        for (dir, name) in [(a.root(), "[archive]"), (share.path(), "[share]")] {
            let real = dir.canonicalize().unwrap();
            text = text
                .replace(real.to_str().unwrap(), name)
                .replace(dir.to_str().unwrap(), name);
        }
        text
    };
    let mut transcript = String::new();
    for args in commands {
        let run = a.run(args);
        transcript.push_str(&format!(
            "$ dangan {}\nexit {}\n{}\n",
            shown(&args.join(" ")),
            run.code(),
            shown(&run.stderr())
        ));
    }
    snapshot("command-failures", &transcript);
}

/// Each kind of page of the built-in theme, as the sample archive builds it
/// (the build is deterministic: nothing needs stripping).
#[test]
fn pages_of_each_kind() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = Archive::new();
    copy_dir(&repo.join("content"), &a.root().join("content"));
    std::fs::copy(repo.join("dangan.toml"), a.root().join("dangan.toml")).unwrap();
    a.build().ok();
    let out = a.out();
    for (name, page) in [
        ("page-home", "index.html"),
        (
            "page-report",
            "2012/jiangbei/maixi-chengshi-dangjian-1.html",
        ),
        ("page-units", "unit/index.html"),
        ("page-unit", "unit/jiangbei.html"),
        ("page-years", "year/index.html"),
        ("page-year", "year/2018.html"),
        ("page-types", "type/index.html"),
        ("page-type", "type/汇报提纲.html"),
        ("page-compilation", "year/2018/dangxiao.html"),
        ("page-search", "search.html"),
        ("page-404", "404.html"),
        ("feed-site", "feed.xml"),
        ("feed-unit", "unit/dangxiao.xml"),
        ("sitemap", "sitemap.xml"),
    ] {
        let text =
            std::fs::read_to_string(out.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        snapshot(name, &text);
    }
}
