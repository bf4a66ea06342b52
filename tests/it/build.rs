//! The happy path: pages, indexes, links and escaping.

use crate::support::*;
use dangan::output::TMP_SUFFIX;
use dangan::paths::MAX_NAME_BYTES;

fn small_archive() -> Archive {
    let a = Archive::new();
    a.write(
        "dangan.toml",
        "title = \"测试档案\"\n[[units]]\nname = \"江城市委\"\nslug = \"jc\"\n[[units]]\nname = \"荔湾区委\"\nparent = \"江城市委\"\n".as_bytes(),
    );
    a.report("2020/调研.md", &report("关于党建的调研报告", "荔湾区委", "2020-05-01", "调研报告",
        "## 一、基本情况\n\n党建工作\n落实情况。见[附表](附表.csv)和[上年](../2019/总结.md#二存在问题)。\n\n### （一）主要做法\n\n做法。"));
    a.write("content/2020/附表.csv", "a,b\n1,2\n".as_bytes());
    a.report(
        "2019/总结.md",
        &report(
            "2019年工作总结",
            "江城市委",
            "2019-12",
            "工作总结",
            "## 二、存在问题\n\n问题。",
        ),
    );
    a.report(
        "2021/b.md",
        &report("汇报提纲", "荔湾区委", "2021-01-02", "汇报提纲", "正文"),
    );
    a.report(
        "2021/draft.md",
        "---\nunit: 荔湾区委\ndate: 2021-02-02\ntype: 汇报提纲\ndraft: true\n---\n# 草稿标题\n",
    );
    a
}

#[test]
fn builds_pages_for_reports_units_years_and_types() {
    let a = small_archive();
    let run = a.build();
    run.ok();
    assert!(
        run.stderr()
            .contains("built 3 report(s), 1 draft(s) left out"),
        "{}",
        run.stderr()
    );
    for page in [
        "index.html",
        "2020/调研.html",
        "2019/总结.html",
        "unit/jc.html",
        "unit/荔湾区委.html",
        "unit/index.html",
        "year/2020.html",
        "year/index.html",
        "type/调研报告.html",
        "type/index.html",
        "search.html",
        "404.html",
        "_assets/style.css",
        "2020/附表.csv",
    ] {
        assert!(a.out().join(page).is_file(), "{page} missing");
    }
    assert!(
        !a.out().join("2021/draft.html").exists(),
        "drafts are never published"
    );
    assert!(!a.page("index.html").contains("草稿标题"));

    let page = a.page("2020/调研.html");
    assert!(page.contains("<h1>关于党建的调研报告</h1>"));
    assert!(
        page.contains("href=\"../unit/%E8%8D%94%E6%B9%BE%E5%8C%BA%E5%A7%94.html\">荔湾区委</a>"),
        "unit linked"
    );
    assert!(
        page.contains("党建工作落实情况"),
        "line break between Chinese characters joined"
    );
    assert!(
        page.contains(
            "href=\"../2019/%E6%80%BB%E7%BB%93.html#%E4%BA%8C%E5%AD%98%E5%9C%A8%E9%97%AE%E9%A2%98\""
        ),
        "report link rewritten: {page}"
    );
    assert!(page.contains("<h2 id=\"一基本情况\">"), "heading ids");
    assert!(
        page.contains("href=\"#%E4%B8%80%E4%B8%BB%E8%A6%81%E5%81%9A%E6%B3%95\">（一）主要做法</a>"),
        "table of contents"
    );
    assert!(
        page.contains("附表.csv</a> <span class=\"size\">8 B</span>"),
        "attachment listed with size: {page}"
    );
    // breadcrumbs: home › parent unit › unit › year
    let crumbs = &page[page.find("class=\"crumbs").unwrap()..page.find("<main").unwrap()];
    let order: Vec<usize> = ["首页", "江城市委", "荔湾区委", "2020年"]
        .iter()
        .map(|t| crumbs.find(t).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{crumbs}");
    // previous/next within the unit: 2020 report is older than the 2021 one
    assert!(
        page.contains("rel=\"next\" href=\"../2021/b.html\""),
        "{page}"
    );

    let parent = a.page("unit/jc.html");
    assert!(
        parent.contains("含下级单位共 3 篇"),
        "parent counts include sub-units: {parent}"
    );
    assert!(parent.contains("荔湾区委</a> <span class=\"n\">2</span>"));
    let unit = a.page("unit/荔湾区委.html");
    assert!(
        unit.find("2021年").unwrap() < unit.find("2020年").unwrap(),
        "years newest first"
    );
    let year = a.page("year/2019.html");
    assert!(year.contains("12月") && year.contains("2019年工作总结"));
    let home = a.page("index.html");
    assert!(home.contains("<strong>3</strong> 篇报告"));
    assert_links_resolve(&a.out());
}

#[test]
fn title_comes_from_first_heading_then_file_name() {
    let a = Archive::new();
    a.report(
        "a.md",
        "---\nunit: 甲\ndate: 2020-01-01\ntype: 总结\n---\n# 标题来自正文\n\n正文\n",
    );
    a.report(
        "无标题报告.md",
        "---\nunit: 甲\ndate: 2020-01-02\ntype: 总结\n---\n正文\n",
    );
    a.build().ok();
    let page = a.page("a.html");
    assert!(page.contains("<h1>标题来自正文</h1>"));
    assert_eq!(
        page.matches("标题来自正文</h1>").count(),
        1,
        "the heading is not repeated in the body"
    );
    assert!(a.page("无标题报告.html").contains("<h1>无标题报告</h1>"));
}

#[test]
fn titles_and_units_are_escaped() {
    let a = Archive::new();
    a.report(
        "x.md",
        &report(
            "<script>alert(1)</script>",
            "<b>单位</b>",
            "2020-01-01",
            "<i>类型</i>",
            "正文 <script>alert(2)</script>",
        ),
    );
    a.build().ok();
    for entry in walkdir::WalkDir::new(a.out()) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(entry.path()).unwrap();
            assert!(
                !html.contains("<script>alert"),
                "{} has raw script",
                entry.path().display()
            );
            assert!(
                !html.contains("<b>单位</b>"),
                "{} has raw unit",
                entry.path().display()
            );
        }
    }
    assert!(
        a.page("x.html")
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
}

#[test]
fn slug_names_the_page_and_names_are_safe_on_windows_shares() {
    let a = Archive::new();
    a.report(
        "2020/long name.md",
        "---\nunit: 甲\ndate: 2020-01-01\ntype: 总结\nslug: short\n---\n正文\n",
    );
    a.report(
        "2020/a:b?.md",
        "---\nunit: \"单位:一|二\"\ndate: 2020-01-01\ntype: 总结\n---\n正文\n",
    );
    a.build().ok();
    assert!(a.out().join("2020/short.html").is_file());
    assert!(a.out().join("2020/a_b_.html").is_file());
    assert!(a.out().join("unit/单位_一_二.html").is_file());
    assert_links_resolve(&a.out());
}

#[test]
fn a_report_with_a_name_near_the_file_name_limit_builds() {
    // Legal on disk as a page, too long once a temporary name adds `.` and `.dangan-tmp`.
    let name = format!("关于{}的报告", "党建".repeat(38));
    let page = name.len() + ".html".len();
    assert!(page <= MAX_NAME_BYTES && 1 + page + TMP_SUFFIX.len() > MAX_NAME_BYTES);
    let a = Archive::new();
    a.report(
        &format!("{name}.md"),
        &report("长标题", "单位", "2020-01-01", "总结", "正文"),
    );
    a.build().ok();
    assert!(a.out().join(format!("{name}.html")).is_file());
}

#[test]
fn builds_without_dangan_toml_and_other_themes_override_single_templates() {
    let a = Archive::new();
    a.report("a.md", &report("报告", "甲", "2020-01-01", "总结", "正文"));
    a.build().ok();
    assert!(
        a.page("index.html").contains("<title>报告档案</title>"),
        "default title"
    );

    a.write("dangan.toml", b"theme = \"mine\"\n");
    a.write(
        "themes/mine/templates/404.html",
        "{% extends \"base.html\" %}{% block main %}自定义的404{% endblock main %}".as_bytes(),
    );
    a.write("themes/mine/static/logo.txt", b"logo");
    a.build().ok();
    assert!(a.page("404.html").contains("自定义的404"));
    assert!(
        a.page("index.html").contains("最新报告"),
        "other templates fall back to the built-in theme"
    );
    assert_eq!(a.page("_assets/logo.txt"), "logo");
}

#[test]
fn the_repository_sample_archive_builds_cleanly() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = Archive::new();
    copy_dir(&repo.join("content"), &a.root().join("content"));
    std::fs::copy(repo.join("dangan.toml"), a.root().join("dangan.toml")).unwrap();
    let run = a.build();
    run.ok();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    assert_links_resolve(&a.out());
}

#[test]
fn every_generated_report_is_reachable_through_its_unit_and_year_pages() {
    let a = Archive::new();
    crate::support::gen_corpus(300, a.root());
    a.build().ok();
    let reports: Vec<_> = walkdir::WalkDir::new(a.out().join("reports"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.path().canonicalize().unwrap())
        .collect();
    assert_eq!(reports.len(), 300);
    let reached = reachable(&a.out());
    for r in &reports {
        assert!(
            reached.contains(r),
            "{} not reachable from index.html",
            r.display()
        );
    }
    // through the unit pages and through the year pages, each alone
    let linked_from = |dir: &str| -> std::collections::BTreeSet<std::path::PathBuf> {
        all_links(&a.out().join(dir))
            .into_iter()
            .filter(|(_, h)| h.ends_with(".html"))
            .filter_map(|(p, h)| {
                p.parent()
                    .unwrap()
                    .join(
                        percent_encoding::percent_decode_str(&h)
                            .decode_utf8()
                            .unwrap()
                            .as_ref(),
                    )
                    .canonicalize()
                    .ok()
            })
            .collect()
    };
    let (by_unit, by_year) = (linked_from("unit"), linked_from("year"));
    for r in &reports {
        assert!(
            by_unit.contains(r) && by_year.contains(r),
            "{} missing from unit or year pages",
            r.display()
        );
    }
    assert_links_resolve(&a.out());
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Issue #12 item 9: links are never followed, whether they point out of the
/// archive or into it, and each one left out is named (a linked report
/// dropped without a word is lost data).
#[cfg(unix)]
#[test]
fn symbolic_links_in_content_are_left_out_and_named() {
    use std::os::unix::fs::symlink;
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    let outside = tempfile::tempdir().unwrap();
    let secret = report("机密报告", "单位", "2020-01-01", "总结", "机密内容");
    std::fs::write(outside.path().join("secret.md"), &secret).unwrap();
    std::fs::write(outside.path().join("secret.txt"), "机密内容").unwrap();
    let content = a.root().join("content");
    symlink(outside.path().join("secret.md"), content.join("leak.md")).unwrap();
    symlink(outside.path().join("secret.txt"), content.join("leak.txt")).unwrap();
    symlink(outside.path(), content.join("外部")).unwrap();
    symlink("a.md", content.join("same.md")).unwrap();
    let run = a.build();
    run.ok();
    for name in ["leak.md", "leak.txt", "外部", "same.md"] {
        let warning = format!("content/{name}: warning: is a symbolic link (to ");
        assert!(
            run.stderr().contains(&warning),
            "{warning}\nin:\n{}",
            run.stderr()
        );
    }
    assert!(
        run.stderr()
            .contains("dangan does not follow links, so it is left out")
    );
    for entry in walkdir::WalkDir::new(a.out())
        .into_iter()
        .map(Result::unwrap)
    {
        let name = entry.file_name().to_string_lossy();
        assert!(
            !["leak.html", "leak.txt", "外部", "same.html"].contains(&name.as_ref()),
            "{name}"
        );
        if entry.file_type().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            assert!(
                !text.contains("机密"),
                "{} holds the secret",
                entry.path().display()
            );
        }
    }
}

/// Issue #12 item 9, in a theme: a theme's static files are published, so a
/// `static` folder (or a template) that is a link to something outside the
/// archive put it on the site. Such a link is an error naming it, for
/// `check` and `build` alike, and nothing is read through it.
#[cfg(unix)]
#[test]
fn symbolic_links_in_a_theme_are_refused_and_named() {
    use std::os::unix::fs::symlink;
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    a.write("dangan.toml", b"theme = \"t\"\n");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("key.css"), "机密内容").unwrap();
    std::fs::write(outside.path().join("404.html"), "机密模板").unwrap();
    let theme = a.root().join("themes/t");
    std::fs::create_dir_all(theme.join("templates")).unwrap();
    symlink(outside.path(), theme.join("static")).unwrap();
    symlink(
        outside.path().join("404.html"),
        theme.join("templates/404.html"),
    )
    .unwrap();
    for run in [a.run(&["check"]), a.build()] {
        run.fails(1);
        for name in ["themes/t/static", "themes/t/templates/404.html"] {
            let error = format!("{name}: error: is a symbolic link (to ");
            assert!(
                run.stderr().contains(&error),
                "{error}\nin:\n{}",
                run.stderr()
            );
        }
        assert!(!a.out().exists(), "nothing was written");
    }
    // Copies in place of the links are the theme's own files.
    std::fs::remove_file(theme.join("static")).unwrap();
    std::fs::remove_file(theme.join("templates/404.html")).unwrap();
    a.write("themes/t/static/key.css", b"body {}");
    a.build().ok();
    assert_eq!(
        std::fs::read_to_string(a.out().join("_assets/key.css")).unwrap(),
        "body {}"
    );
}

/// Issue #12, unlucky input: names that are not UTF-8 (a zip made on a
/// Chinese Windows, unpacked on Linux, gives GBK names). Taken as UTF-8 with
/// the bad bytes replaced, `r\xFF.md` and `r\xFE.md` became one name and one
/// report was lost without a word; now each such name is an error naming
/// it, a GBK folder name with how it reads.
#[cfg(target_os = "linux")]
#[test]
fn names_that_are_not_utf8_are_errors_naming_them() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    let content = a.root().join("content");
    for (i, byte) in [0xFFu8, 0xFE].into_iter().enumerate() {
        let name = [b"r".as_slice(), &[byte], b".md"].concat();
        std::fs::write(
            content.join(OsStr::from_bytes(&name)),
            report(&format!("报告{i}"), "单位", "2020-01-02", "总结", "正文"),
        )
        .unwrap();
    }
    let gbk_folder = content.join(OsStr::from_bytes(b"\xB1\xA8\xB8\xE6"));
    std::fs::create_dir(&gbk_folder).unwrap();
    std::fs::write(gbk_folder.join("附件.pdf"), "%PDF").unwrap();
    for run in [a.run(&["check"]), a.build()] {
        run.fails(1);
        for error in [
            "content/r\\xFF.md: error: the file's name is not UTF-8 text, so it cannot be published under it",
            "content/r\\xFE.md: error: the file's name is not UTF-8 text",
            "content/\\xB1\\xA8\\xB8\\xE6: error: the folder's name is not UTF-8 text (as GBK it reads \"报告\")",
        ] {
            assert!(
                run.stderr().contains(error),
                "{error}\nin:\n{}",
                run.stderr()
            );
        }
        assert!(!a.out().exists(), "nothing was written");
    }
}
