//! The output folder: only changed files written, stale files removed,
//! nothing outside it touched, failed builds change nothing.

use std::time::SystemTime;

use crate::support::*;

fn mtimes(a: &Archive) -> Vec<(String, SystemTime, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(a.out())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().display().to_string(),
                e.metadata().unwrap().modified().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_failed_build_leaves_the_previous_output_exactly_as_it_was() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    a.build().ok();
    let before = mtimes(&a);
    std::thread::sleep(std::time::Duration::from_millis(20));
    a.report(
        "a.md",
        &report("甲改", "单位", "2020-01-01", "总结", "正文"),
    );
    a.report(
        "b.md",
        "---\nunit: 单位\ndate: 2021-02-30\ntype: 总结\n---\n",
    );
    a.build().fails(1);
    assert_eq!(mtimes(&a), before);
}

#[test]
fn unchanged_files_are_not_rewritten_and_deleted_reports_leave_no_page() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("甲", "单位甲", "2020-01-01", "总结", "正文"),
    );
    a.report(
        "b/b.md",
        &report("乙", "单位乙", "2019-01-01", "计划", "正文"),
    );
    a.write("content/b/附件.pdf", b"%PDF");
    a.build().ok();
    let keep = a.out().join("a.html");
    let t0 = std::fs::metadata(&keep).unwrap().modified().unwrap();
    std::fs::write(a.out().join("notes.txt"), "someone's file").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    a.remove("content/b/b.md").remove("content/b/附件.pdf");
    let run = a.build();
    run.ok();
    assert!(
        !a.out().join("b/b.html").exists() && !a.out().join("b").exists(),
        "stale page and its folder removed"
    );
    assert!(
        !a.out().join("unit/单位乙.html").exists()
            && !a.out().join("year/2019.html").exists()
            && !a.out().join("type/计划.html").exists()
    );
    assert_eq!(
        std::fs::metadata(&keep).unwrap().modified().unwrap(),
        t0,
        "a.html did not change, so it was not rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(a.out().join("notes.txt")).unwrap(),
        "someone's file",
        "files dangan did not write are kept"
    );
    assert!(run.stderr().contains("removed"), "{}", run.stderr());
}

#[test]
fn output_folders_that_could_harm_content_are_refused() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    for out in ["content", "content/site", ".", ".."] {
        let run = a.run(&["build", "--out", out]);
        run.fails(2);
        assert!(
            run.stderr()
                .contains("dangan refuses, so that no report is overwritten or deleted"),
            "{out}: {}",
            run.stderr()
        );
    }
    std::fs::create_dir(a.root().join("mine")).unwrap();
    std::fs::write(a.root().join("mine/工作.docx"), "x").unwrap();
    let run = a.run(&["build", "--out", "mine"]);
    run.fails(2);
    assert!(
        run.stderr()
            .contains("already holds files that dangan did not write"),
        "{}",
        run.stderr()
    );
    assert_eq!(std::fs::read_dir(a.root().join("mine")).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(a.root().join("content/a.md")).unwrap(),
        report("甲", "单位", "2020-01-01", "总结", "正文")
    );
}

#[test]
fn check_writes_nothing() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    let run = a.run(&["check"]);
    run.ok();
    assert!(
        run.stderr().contains("checked 1 report(s): no errors"),
        "{}",
        run.stderr()
    );
    assert!(!a.out().exists());
}

#[test]
fn a_template_failing_for_one_report_leaves_the_output_as_it_was_and_no_temporary_files() {
    let a = Archive::new();
    for i in 0..30 {
        a.report(
            &format!("r{i}.md"),
            &report(&format!("报告{i}"), "单位", "2020-01-01", "总结", "正文"),
        );
    }
    a.write("dangan.toml", b"theme = \"t\"\n");
    a.write(
        "themes/t/templates/404.html",
        b"{% extends \"base.html\" %}{% block main %}404{% endblock main %}",
    );
    a.build().ok();
    let before = mtimes(&a);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Every page changes (new title in the layout), and one report's page cannot be rendered.
    a.write(
        "dangan.toml",
        "theme = \"t\"\ntitle = \"新的站名\"\n".as_bytes(),
    );
    a.write(
        "themes/t/templates/report.html",
        "{% extends \"base.html\" %}{% block main %}{% if report.title == \"报告7\" %}{{ report.title | int }}{% endif %}{{ report.title }}{% endblock main %}".as_bytes(),
    );
    let run = a.build();
    let stderr = run.stderr();
    run.fails(1);
    assert!(
        stderr.contains("themes/t/templates/report.html"),
        "{stderr}"
    );
    assert_eq!(mtimes(&a), before, "nothing in the output changed");
    let leftovers: Vec<_> = walkdir::WalkDir::new(a.out())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dangan-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
