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

/// Pages are made while the reports' links are checked: a build whose
/// problem shows only then (a link to a report that is not there) must
/// still leave no output folder where there was none.
#[test]
fn a_first_build_failing_on_a_link_leaves_no_output_folder() {
    let a = Archive::new();
    for i in 0..20 {
        a.report(
            &format!("r{i}.md"),
            &report(&format!("报告{i}"), "单位", "2020-01-01", "总结", "正文"),
        );
    }
    a.report(
        "broken.md",
        &report(
            "坏链接",
            "单位",
            "2020-01-01",
            "总结",
            "见[别处](没有这篇.md)。",
        ),
    );
    let run = a.build();
    let stderr = run.stderr();
    run.fails(1);
    assert!(stderr.contains("没有这篇.md"), "{stderr}");
    assert!(!a.out().exists(), "a failed first build left {:?}", a.out());
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

/// Every file under the output folder with its bytes, and whether any
/// temporary file is among them.
fn snapshot(a: &Archive) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(a.out())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(a.out())
                    .unwrap()
                    .display()
                    .to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Issue #12 item 2: names a file system or a Windows share cannot hold, and
/// outputs that cannot stand side by side, fail `check` exactly as they fail
/// `build`, with the report and the field named, and the previous site stays.
#[test]
fn output_names_that_cannot_be_written_fail_check_and_build_alike() {
    let long_dir = "目".repeat(60);
    // (what, files under content/, part of the message)
    type Case<'a> = (&'a str, Vec<(String, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "an attachment where the theme's style sheet goes",
            vec![("_assets/style.css".into(), "body {}".into())],
            "content/_assets/style.css: error: would be written to _assets/style.css, which dangan uses for its own pages",
        ),
        (
            "an attachment named like dangan's temporary files (publish refuses it)",
            vec![("附件.dangan-tmp".into(), "x".into())],
            "content/附件.dangan-tmp: error: field `file name`: it would be written to 附件.dangan-tmp, but \"附件.dangan-tmp\" ends with .dangan-tmp, which dangan keeps for its temporary files",
        ),
        (
            "a unit of 90 characters",
            vec![(
                "b.md".into(),
                report("乙", &"单".repeat(90), "2020-01-01", "总结", "正文"),
            )],
            "content/b.md:3:1: error: field `unit`: the page of unit",
        ),
        (
            "a type of 95 characters",
            vec![(
                "b.md".into(),
                report("乙", "单位", "2020-01-01", &"类".repeat(95), "正文"),
            )],
            "content/b.md:5:1: error: field `type`: the page of type",
        ),
        (
            "a file name of 252 bytes",
            vec![(
                format!("{}.md", "长".repeat(84)),
                report("乙", "单位", "2020-01-01", "总结", "正文"),
            )],
            "error: field `file name`: its page would be named",
        ),
        (
            "a slug of 252 bytes",
            vec![(
                "b.md".into(),
                format!(
                    "---\nunit: 单位\ndate: 2020-01-01\ntype: 总结\nslug: {}\n---\n",
                    "s".repeat(252)
                ),
            )],
            "content/b.md:5:1: error: field `slug`: its page would be named",
        ),
        (
            "a report beside a folder of its page's name",
            vec![
                (
                    "x.md".into(),
                    report("乙", "单位", "2020-01-01", "总结", "正文"),
                ),
                ("x.html/附件.pdf".into(), "%PDF".into()),
            ],
            "content/x.md: error: field `file name`: its page would be written to x.html, where content/x.html/附件.pdf needs a folder",
        ),
        (
            "folders differing only in letter case",
            vec![
                (
                    "Dept/a.md".into(),
                    report("乙", "单位", "2020-01-01", "总结", "正文"),
                ),
                (
                    "dept/b.md".into(),
                    report("丙", "单位", "2020-01-01", "总结", "正文"),
                ),
            ],
            "content/dept/b.md: error: field `file name`: would be written into the folder dept, which differs only in letter case from the folder Dept of content/Dept/a.md",
        ),
        (
            "a path of 213 characters",
            vec![(
                format!("{long_dir}/{long_dir}/{long_dir}/{}.md", "报".repeat(25)),
                report("乙", "单位", "2020-01-01", "总结", "正文"),
            )],
            "characters long; Windows shares refuse paths much over 200",
        ),
    ];
    for (what, files, message) in cases {
        let a = Archive::new();
        a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
        a.build().ok();
        let before = snapshot(&a);
        a.report(
            "a.md",
            &report("甲改", "单位", "2020-01-01", "总结", "正文"),
        );
        for (rel, text) in &files {
            a.report(rel, text);
        }
        let check = a.run(&["check"]);
        check.fails(1);
        assert!(
            check.stderr().contains(message),
            "{what}: {}",
            check.stderr()
        );
        // Each error names the archive's file to change, never the theme.
        assert!(
            !check.stderr().contains("theme"),
            "{what}: {}",
            check.stderr()
        );
        let build = a.build();
        build.fails(1);
        assert!(
            build.stderr().contains(message),
            "{what}: {}",
            build.stderr()
        );
        assert!(
            snapshot(&a) == before,
            "{what}: the previous site changed:\n{}",
            build.stderr()
        );
    }
}

/// Issue #20 item 4: a name changed for Windows is said, with the name it is published as.
#[test]
fn names_changed_for_windows_are_warned_about_and_publish_takes_them() {
    let a = Archive::new();
    a.report(
        "aux.md",
        &report(
            "甲",
            "单位",
            "2020-01-01",
            "总结",
            "见[附件](2020/nul.pdf)。",
        ),
    );
    a.report(
        "2020/CON .md",
        &report("乙", "单位", "2020-01-01", "总结", "正文"),
    );
    a.write("content/2020/nul.pdf", b"%PDF");
    let run = a.build();
    run.ok();
    let err = run.stderr();
    for expected in [
        "content/aux.md: warning: field `file name`: is published as _aux.html, because \"aux.html\" is a device name reserved by Windows",
        "content/2020/nul.pdf: warning: field `file name`: is published as 2020/_nul.pdf",
        "content/2020/CON .md: warning: field `file name`: is published as 2020/_CON .html",
        "= help: rename the file to a name Windows accepts, for example \"_aux.md\"",
    ] {
        assert!(err.contains(expected), "{expected}\nin:\n{err}");
    }
    assert!(a.page("_aux.html").contains("_nul.pdf"));
    assert!(a.out().join("2020/_CON .html").is_file());
    assert_links_resolve(&a.out());
    // Issue #16: what the build makes, publish accepts; on a real SMB share (#20) it arrives
    // under the names the warnings gave.
    let share = crate::publish::smb::folder("windows-names");
    a.run(&["publish", share.pc1.to_str().unwrap(), "--no-build"])
        .ok();
    for rel in ["_aux.html", "2020/_nul.pdf", "2020/_CON .html"] {
        assert!(share.server.join(rel).is_file(), "{rel}");
    }
    assert!(!share.server.join("aux.html").exists() && !share.server.join("2020/nul.pdf").exists());
    assert_links_resolve(&share.reader);
}

/// Files under `dir` (relative path, bytes), sorted.
fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// Issue #12 item 2: the disk fills up while the search index is written (a
/// tmpfs of just the right size holds the output folder, mounted in a mount
/// namespace of the test's own): the build fails naming the file, and the
/// previous site is byte for byte as it was, with no temporary file left.
#[cfg(target_os = "linux")]
#[test]
fn a_disk_filling_up_while_the_search_index_is_written_leaves_the_previous_site() {
    let a = Archive::new();
    // Varied text, so that the search index is large beside the pages.
    let write_reports = |reports: std::ops::Range<u64>| {
        for i in reports {
            let mut rng = fastrand::Rng::with_seed(i);
            let body: String = (0..1500)
                .map(|_| char::from_u32(0x4e00 + rng.u32(..3000)).unwrap())
                .collect();
            a.report(
                &format!("r{i}.md"),
                &report(&format!("报告{i}"), "单位", "2020-01-01", "总结", &body),
            );
        }
    };
    write_reports(0..60);
    a.build().ok();
    let root = a.root();
    let cp = |from: &str, to: &str| {
        let ok = std::process::Command::new("cp")
            .arg("-a")
            .arg(root.join(from))
            .arg(root.join(to))
            .status()
            .unwrap()
            .success();
        assert!(ok, "cp -a {from} {to}");
    };
    cp("public", "v1");
    // As many new reports again: the search index doubles.
    write_reports(60..120);
    // What the next build writes: pages and search index, in tmpfs's 4 KiB pages.
    cp("v1", "scratch");
    a.run(&["build", "--out", "scratch"]).ok();
    let v1 = files_under(&root.join("v1"));
    let old: std::collections::HashMap<_, _> = v1.iter().cloned().collect();
    let pages4k = |len: usize| len.div_ceil(4096) * 4096;
    let (mut pages, mut search) = (0, 0);
    for (path, bytes) in files_under(&root.join("scratch")) {
        if old.get(&path) != Some(&bytes) {
            match path.starts_with("_search/") {
                true => search += pages4k(bytes.len()),
                false => pages += pages4k(bytes.len()),
            }
        }
    }
    std::fs::remove_dir_all(root.join("scratch")).unwrap();
    assert!(
        search >= 64 * 1024,
        "the search index changes enough: {search}"
    );
    let held: usize = v1.iter().map(|(_, b)| pages4k(b.len())).sum();
    // Room for the pages and a quarter of the search index.
    let size = held + pages + search / 4;

    let script = r#"set -e
        mount -t tmpfs -o "size=$1" tmpfs "$2/public"
        cp -a "$2/v1/." "$2/public/"
        set +e
        "$3" --root "$2" build 2>"$2/stderr"
        echo $? >"$2/code"
        mkdir "$2/after" && cp -a "$2/public/." "$2/after/""#;
    let bin = assert_cmd::cargo::cargo_bin("dangan");
    let status = std::process::Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(size.to_string())
        .arg(root)
        .arg(&bin)
        .status()
        .expect("unshare (util-linux) runs");
    assert!(
        status.success(),
        "this test mounts a tmpfs in a user and mount namespace of its own (unshare -rm); the kernel must allow that"
    );
    let stderr = std::fs::read_to_string(root.join("stderr")).unwrap();
    let code = std::fs::read_to_string(root.join("code")).unwrap();
    assert_eq!(code.trim(), "2", "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("public/_search/"),
        "the failure names the search index's file: {stderr}"
    );
    let after = files_under(&root.join("after"));
    assert!(
        after == v1,
        "the output folder changed: {:?}",
        after
            .iter()
            .map(|(p, _)| p)
            .filter(|p| !old.contains_key(*p))
            .collect::<Vec<_>>()
    );
}

/// Issue #12 item 12: unclear messages. A `public` that is a link to a folder
/// that is gone said "File exists"; an output folder from dangan.toml that
/// would harm content, and a missing theme, did not say which line chose them.
#[test]
fn output_folder_and_config_problems_say_what_and_where() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(a.root().join("gone/site"), a.out()).unwrap();
        let run = a.build();
        run.fails(2);
        assert!(
            run.stderr().contains("public is a symbolic link to ")
                && run.stderr().contains("gone/site, which does not exist"),
            "{}",
            run.stderr()
        );
        assert!(!run.stderr().contains("File exists"), "{}", run.stderr());
        std::fs::remove_file(a.out()).unwrap();
    }
    std::fs::write(a.out(), "a file").unwrap();
    let run = a.build();
    run.fails(2);
    assert!(
        run.stderr()
            .contains("public is a file, where the output folder"),
        "{}",
        run.stderr()
    );
    std::fs::remove_file(a.out()).unwrap();

    a.write(
        "dangan.toml",
        b"title = \"x\"\n\noutput = \"content/site\"\n",
    );
    let run = a.build();
    run.fails(2);
    assert!(
        run.stderr()
            .contains("(set by `output` on line 3 of dangan.toml) is inside the content folder")
            && run.stderr().contains("change `output` in dangan.toml"),
        "{}",
        run.stderr()
    );
    a.write("dangan.toml", b"title = \"x\"\ntheme = \"mine\"\n");
    let run = a.build();
    run.fails(1);
    assert!(
        run.stderr()
            .contains("dangan.toml:2: error: field `theme`: the theme \"mine\" does not exist"),
        "{}",
        run.stderr()
    );
}
