//! 汇编 (#17): every unit-year has a compilation page binding its reports
//! whole, oldest first, reachable from the unit page and the year page; a
//! parent unit has one with its sub-units while the year stays under the
//! limit. Links inside the bound bodies still land on the same files, ids of
//! different reports never collide, and an edit rewrites the compilation.
//! (How a compilation prints is checked in Chromium by `theme`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dangan::build::{BuildOptions, Session};
use fastrand::Rng;
use regex::Regex;

use crate::support::*;

/// A page's path resolved from an href on the page at `page`.
fn resolve(page: &Path, href: &str) -> PathBuf {
    let path = href.split(['#', '?']).next().unwrap();
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .unwrap()
        .into_owned();
    let joined = page.parent().unwrap().join(decoded);
    joined
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {href} -> {}: {e}", page.display(), joined.display()))
}

fn read(page: &Path) -> String {
    std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()))
}

/// One report as bound in a compilation.
#[derive(Debug)]
pub struct Bound {
    pub anchor: String,
    pub title: String,
    /// Its own page, from the "单篇页面" link.
    pub page: PathBuf,
    /// The HTML of its article.
    pub html: String,
}

/// Each `(attribute value, element text)` of the elements starting with
/// `start` (which ends with `="`): plain string search, as these run over
/// thousands of pages in unoptimised test builds.
fn attr_and_text<'h>(html: &'h str, start: &str) -> Vec<(&'h str, &'h str)> {
    html.match_indices(start)
        .map(|(i, _)| {
            let rest = &html[i + start.len()..];
            let value = &rest[..rest.find('"').unwrap()];
            let text = &rest[rest.find('>').unwrap() + 1..];
            (value, &text[..text.find('<').unwrap_or(text.len())])
        })
        .collect()
}

/// `html` cut before each occurrence of `start`: (value of the attribute that
/// `start` ends in, the part from there to the next occurrence).
fn sections<'h>(html: &'h str, start: &str) -> Vec<(&'h str, &'h str)> {
    let at: Vec<usize> = html.match_indices(start).map(|(i, _)| i).collect();
    at.iter()
        .enumerate()
        .map(|(k, &i)| {
            let part = &html[i..at.get(k + 1).copied().unwrap_or(html.len())];
            let rest = &part[start.len()..];
            (&rest[..rest.find('"').unwrap()], part)
        })
        .collect()
}

/// The reports a compilation binds, in page order.
pub fn bound_reports(compilation: &Path) -> Vec<Bound> {
    let html = read(compilation);
    sections(&html, "<article class=\"report\" id=\"")
        .into_iter()
        .map(|(anchor, part)| {
            let title = attr_and_text(part, "<h1 id=\"");
            let own = attr_and_text(part, "<a href=\"")
                .into_iter()
                .find(|(_, text)| *text == "单篇页面")
                .expect("a link to its page");
            Bound {
                anchor: anchor.to_string(),
                title: title.first().expect("a title").1.to_string(),
                page: resolve(compilation, own.0),
                html: part.to_string(),
            }
        })
        .collect()
}

/// Every id on the page is unique, and every in-page link names one of them.
#[track_caller]
pub fn assert_ids_unique_and_fragments_land(page: &Path) {
    let html = read(page);
    let mut ids = BTreeSet::new();
    for c in Regex::new(r#" id="([^"]*)""#).unwrap().captures_iter(&html) {
        assert!(
            ids.insert(c[1].to_string()),
            "{}: id \"{}\" twice",
            page.display(),
            &c[1]
        );
    }
    for c in Regex::new(r##"href="#([^"]*)""##)
        .unwrap()
        .captures_iter(&html)
    {
        let id = percent_encoding::percent_decode_str(&c[1])
            .decode_utf8()
            .unwrap()
            .into_owned();
        assert!(
            ids.contains(&id),
            "{}: link to #{id}, which is not on the page",
            page.display()
        );
    }
}

/// On every unit page, every year group links (with text containing 汇编) to
/// a compilation that binds exactly the reports the group lists; a group of
/// a parent unit over the limit says why it has none. Returns the
/// compilations found.
#[track_caller]
pub fn assert_every_unit_year_has_its_compilation(out: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut groups = 0;
    for e in std::fs::read_dir(out.join("unit")).unwrap() {
        let page = e.unwrap().path();
        if page.extension().is_none_or(|x| x != "html") || page.ends_with("index.html") {
            continue;
        }
        let html = read(&page);
        for (year, part) in sections(&html, "<section class=\"group\" id=\"y") {
            groups += 1;
            let summary = &part[..part.find("</summary>").unwrap()];
            let reports: BTreeSet<PathBuf> = attr_and_text(part, "<a class=\"title\" href=\"")
                .into_iter()
                .map(|(href, _)| resolve(&page, href))
                .collect();
            let links: Vec<(PathBuf, &str)> =
                attr_and_text(summary, "<a class=\"compilation-link\" href=\"")
                    .into_iter()
                    .map(|(href, text)| (resolve(&page, href), text))
                    .collect();
            let what = format!("{} {year}年", page.display());
            if links.is_empty() {
                assert!(
                    summary.contains("不合订"),
                    "{what}: no compilation linked and no word why"
                );
                continue;
            }
            for (c, text) in &links {
                assert!(
                    text.contains("汇编") && text.contains(year),
                    "{what}: link text {text:?}"
                );
                found.insert(c.clone());
            }
            // The first link binds exactly what the group lists (the unit's own
            // reports, or its sub-units' when it has none); one with sub-units, more.
            let first: BTreeSet<PathBuf> = bound_reports(&links[0].0)
                .into_iter()
                .map(|b| b.page)
                .collect();
            assert_eq!(first, reports, "{what}: {} binds", links[0].0.display());
            for (c, _) in &links[1..] {
                let more: BTreeSet<PathBuf> =
                    bound_reports(c).into_iter().map(|b| b.page).collect();
                assert!(more.is_superset(&reports), "{what}: {}", c.display());
            }
        }
    }
    assert!(
        groups > 0,
        "no year groups on the unit pages of {}",
        out.display()
    );
    found
}

const UNITS: &[&str] = &[
    "江城市委",
    "荔湾区委",
    "东街道党工委",
    "西街道党工委",
    "市委办公室",
    "外地经验单位",
];

fn unit_tree() -> &'static str {
    "title = \"测试档案\"\n\
     [[units]]\nname = \"江城市委\"\nslug = \"jc\"\n\
     [[units]]\nname = \"荔湾区委\"\nparent = \"江城市委\"\n\
     [[units]]\nname = \"东街道党工委\"\nparent = \"荔湾区委\"\n\
     [[units]]\nname = \"西街道党工委\"\nparent = \"荔湾区委\"\n\
     [[units]]\nname = \"市委办公室\"\nparent = \"江城市委\"\n"
}

/// (id, title, unit, date) of a report of a generated archive.
type Made = (String, String, String, String);
type Meta = Vec<Made>;

/// An archive of `n` reports over four years: the same headings and footnote
/// numbers in every report, in-page links, links to other reports and to
/// attachments, attachments beside some reports, folders at several depths.
fn generated(n: usize, seed: u64) -> (Archive, Meta) {
    let a = Archive::new();
    a.write("dangan.toml", unit_tree().as_bytes());
    let mut rng = Rng::with_seed(seed);
    let mut meta = Meta::new();
    for i in 0..n {
        let unit = *rng.choice(UNITS).unwrap();
        let year = 2019 + rng.usize(..4);
        let date = if rng.usize(..5) == 0 {
            format!("{year}-{:02}", 1 + rng.usize(..12))
        } else {
            format!(
                "{year}-{:02}-{:02}",
                1 + rng.usize(..12),
                1 + rng.usize(..28)
            )
        };
        let dir = match rng.usize(..3) {
            0 => format!("{year}"),
            1 => format!("{year}/{unit}"),
            _ => format!("材料/{year}/第{}批", rng.usize(..3)),
        };
        let id = format!("{dir}/r{i:03}.md");
        let mut body = format!(
            "标记{i:03}开头。\n\n## 一、基本情况\n\n情况[^1]。见[下文](#二存在问题)。\n\n\
             ### （一）主要做法\n\n做法。\n\n## 二、存在问题\n\n问题。\n\n[^1]: 第{i:03}篇的注释。\n"
        );
        if i > 0 {
            let (other, ..) = &meta[rng.usize(..meta.len())];
            let up = "../".repeat(dir.matches('/').count() + 1);
            body.push_str(&format!("\n另见[前一篇]({up}{other}#一基本情况)。\n"));
        }
        if rng.usize(..3) == 0 {
            a.write(&format!("content/{dir}/r{i:03}-附表.csv"), b"a,b\n1,2\n");
            body.push_str(&format!("\n附表见[统计表](r{i:03}-附表.csv)。\n"));
        }
        let title = format!("第{i:03}篇报告");
        a.report(&id, &report(&title, unit, &date, "调研报告", &body));
        meta.push((id, title, unit.to_string(), date));
    }
    (a, meta)
}

#[test]
fn every_unit_year_of_a_generated_archive_has_its_compilation() {
    let (a, meta) = generated(150, 17);
    a.build().ok();
    let out = a.out().canonicalize().unwrap();
    let found = assert_every_unit_year_has_its_compilation(&out);
    assert_links_resolve(&out);

    // One compilation per unit and year of its own reports, plus one with
    // sub-units per parent unit and year.
    let mut per_unit_year: BTreeMap<(String, String), Vec<&Made>> = BTreeMap::new();
    for m in &meta {
        per_unit_year
            .entry((m.2.clone(), m.3[..4].to_string()))
            .or_default()
            .push(m);
    }
    let with_sub_units = found
        .iter()
        .filter(|p| p.to_string_lossy().contains("含下级单位"))
        .count();
    assert_eq!(
        found.len() - with_sub_units,
        per_unit_year.len(),
        "{found:#?}"
    );
    assert!(
        with_sub_units >= 2 * 4,
        "江城市委 and 荔湾区委 in four years: {with_sub_units}"
    );

    let href = Regex::new(r##"<a href="([^"#][^"]*)">(前一篇|统计表)</a>"##).unwrap();
    for ((unit, year), reports) in &per_unit_year {
        let year_page = out.join(format!("year/{year}.html"));
        let html = read(&year_page);
        // The year page links the unit's compilation, with 汇编 in the text.
        let link = Regex::new(&format!(
            r#"<a class="unit" href="[^"]*">{unit}</a> <a class="compilation-link" href="([^"]*)">([^<]*)"#
        ))
        .unwrap();
        let c = link
            .captures(&html)
            .unwrap_or_else(|| panic!("{year}年 lists no compilation of {unit}"));
        assert!(c[2].contains("汇编"), "{}", &c[2]);
        let compilation = resolve(&year_page, &c[1]);
        assert!(found.contains(&compilation), "{}", compilation.display());
        assert_ids_unique_and_fragments_land(&compilation);

        // Its reports, oldest first, each whole.
        let mut want = reports.clone();
        // Oldest first; a month-only date before that month's days; one day's
        // reports in the order of their files.
        want.sort_by(|x, y| (&x.3, &x.0).cmp(&(&y.3, &y.0)));
        let bound = bound_reports(&compilation);
        let titles: Vec<&str> = bound.iter().map(|b| b.title.as_str()).collect();
        let want_titles: Vec<&str> = want.iter().map(|m| m.1.as_str()).collect();
        assert_eq!(titles, want_titles, "{}", compilation.display());
        let page_html = read(&compilation);
        for (i, (b, m)) in bound.iter().zip(&want).enumerate() {
            assert_eq!(b.anchor, format!("r{}", i + 1));
            let n = &m.0[m.0.len() - 6..m.0.len() - 3];
            assert!(
                b.html.contains(&format!("标记{n}开头")),
                "{}: body of {}",
                compilation.display(),
                m.0
            );
            assert!(
                b.html.contains(&format!("第{n}篇的注释")),
                "footnote of {}",
                m.0
            );
            // The contents link to the report's article, which starts with its title.
            assert!(
                page_html.contains(&format!(
                    "<a href=\"#{}\"><span class=\"no\">{}</span><span class=\"t\">{}</span>",
                    b.anchor,
                    i + 1,
                    b.title
                )),
                "contents entry of {}",
                m.0
            );
            // Every link of the body lands on the same file as from the report's own page.
            let own_html = read(&b.page);
            for c in href.captures_iter(&b.html) {
                let on_page = href
                    .captures_iter(&own_html)
                    .find(|o| o[2] == c[2])
                    .unwrap_or_else(|| panic!("{} on {}", &c[2], b.page.display()));
                assert_eq!(
                    resolve(&compilation, &c[1]),
                    resolve(&b.page, &on_page[1]),
                    "{}: {}",
                    compilation.display(),
                    &c[2]
                );
                assert_eq!(
                    c[1].split_once('#').map(|x| x.1),
                    on_page[1].split_once('#').map(|x| x.1),
                    "the fragment names a heading of the other report's page"
                );
            }
            // Its attachments are listed, linked from the compilation's folder.
            if own_html.contains("统计表") {
                let csv = format!("r{n}-%E9%99%84%E8%A1%A8.csv\">r{n}-附表.csv</a>");
                assert!(
                    b.html.contains(&csv) && b.html.contains("<h2 id=\"a-"),
                    "{}: attachments of {}",
                    compilation.display(),
                    m.0
                );
            }
        }
    }
}

#[test]
fn a_parent_unit_binds_its_sub_units_up_to_the_limit() {
    let a = Archive::new();
    a.write(
        "dangan.toml",
        "[[units]]\nname = \"区委\"\nslug = \"qw\"\n[[units]]\nname = \"街道\"\nparent = \"区委\"\nslug = \"jd\"\n".as_bytes(),
    );
    for i in 0..101 {
        a.report(
            &format!("r{i}.md"),
            &report(&format!("报告{i}"), "街道", "2020-03-01", "总结", "正文"),
        );
    }
    a.report(
        "own.md",
        &report("区委的报告", "区委", "2020-04-01", "总结", "正文"),
    );
    a.build().ok();
    let parent = a.out().join("unit/qw.html");
    let html = read(&parent);
    assert!(html.contains("2020年报告汇编</a>"), "its own compilation");
    assert!(
        html.contains("含下级单位共 102 篇，超过 100 篇不合订"),
        "says why there is no compilation with sub-units"
    );
    assert!(!a.out().join("year/2020/含下级单位/qw.html").exists());
    assert!(read(&a.out().join("year/2020.html")).contains("含下级单位共 102 篇，不合订"));
    assert_every_unit_year_has_its_compilation(&a.out());

    a.remove("content/r0.md").remove("content/r1.md");
    a.build().ok();
    let html = read(&parent);
    assert!(html.contains("2020年报告汇编（含下级单位）</a>"), "{html}");
    let bound = bound_reports(&a.out().join("year/2020/含下级单位/qw.html"));
    assert_eq!(bound.len(), 100);
    assert_every_unit_year_has_its_compilation(&a.out());
}

#[test]
fn what_a_report_holds_cannot_break_or_script_its_compilation() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report(
            "甲</h1><script>alert(1)</script>",
            "单位",
            "2020-01-01",
            "总结",
            "<span id=\"r2\">抢锚点</span> <a href=\"#r2\">跳</a> <img src=x onerror=alert(2)>\n\n[坏链接](javascript:alert(3))",
        ),
    );
    a.report(
        "b.md",
        &report(
            "乙",
            "单位",
            "2020-02-01",
            "总结",
            "## 一、基本情况\n\n正文",
        ),
    );
    a.build().ok();
    let page = a.out().join("year/2020/单位.html");
    let html = read(&page);
    assert!(
        !html.contains("<script>alert")
            && !html.contains("onerror")
            && !html.contains("javascript:"),
        "{html}"
    );
    assert!(
        html.contains("甲&lt;&#x2F;h1&gt;&lt;script&gt;")
            || html.contains("甲&lt;/h1&gt;&lt;script&gt;"),
        "title escaped: {html}"
    );
    assert_ids_unique_and_fragments_land(&page);
    // The contents' link to the second report lands on its article, not on
    // the element the first report named the same.
    let bound = bound_reports(&page);
    assert_eq!(bound[1].anchor, "r2");
    assert_eq!(bound[1].title, "乙");
    assert!(html.contains("<span id=\"r1-r2\">抢锚点</span>"), "{html}");
}

#[test]
fn an_edit_rewrites_the_compilation_in_watch_mode() {
    let a = Archive::new();
    a.report(
        "a.md",
        &report("甲", "单位", "2020-01-01", "总结", "旧正文"),
    );
    a.report(
        "x/b.md",
        &report("乙", "单位", "2020-02-01", "总结", "正文"),
    );
    let mut session = Session::open(BuildOptions {
        root: a.root().to_path_buf(),
        out: None,
        write: true,
        cache: false,
    })
    .unwrap();
    session.run().unwrap();
    let compilation = "year/2020/单位.html";
    let mut edit = |what: &str, change: &dyn Fn(&Archive) -> PathBuf| {
        let touched = change(&a);
        session.update(&[touched]);
        let o = session.run().unwrap();
        assert!(!o.has_errors(), "{what}: {:?}", o.diagnostics);
        assert!(
            o.changed.iter().any(|c| c == compilation),
            "{what}: {:?}",
            o.changed
        );
        a.page(compilation)
    };
    let html = edit("the body", &|a| {
        a.report(
            "a.md",
            &report("甲", "单位", "2020-01-01", "总结", "新正文"),
        );
        a.root().join("content/a.md")
    });
    assert!(html.contains("新正文") && !html.contains("旧正文"));
    let html = edit("the title", &|a| {
        a.report(
            "x/b.md",
            &report("乙二", "单位", "2020-02-01", "总结", "正文"),
        );
        a.root().join("content/x/b.md")
    });
    assert!(html.contains("<span class=\"t\">乙二</span>"));
    let html = edit("an attachment", &|a| {
        a.write("content/x/附件.pdf", b"%PDF");
        a.root().join("content/x/附件.pdf")
    });
    assert!(
        html.contains("../../x/%E9%99%84%E4%BB%B6.pdf\">附件.pdf</a>"),
        "{html}"
    );
    let html = edit("the date, into the same year", &|a| {
        a.report(
            "a.md",
            &report("甲", "单位", "2020-03-01", "总结", "新正文"),
        );
        a.root().join("content/a.md")
    });
    assert!(
        html.find("<span class=\"t\">乙二</span>") < html.find("<span class=\"t\">甲</span>"),
        "oldest first"
    );
}

#[test]
fn compilations_can_be_turned_off() {
    let a = Archive::new();
    a.write("dangan.toml", b"compilations = false\n");
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    a.build().ok();
    assert!(!a.out().join("year/2020").exists());
    assert!(!a.page("unit/单位.html").contains("汇编"));
    assert!(!a.page("year/2020.html").contains("汇编"));
    a.write("dangan.toml", b"compilations = true\n");
    a.build().ok();
    assert!(
        a.page("year/2020/单位.html")
            .contains("<h1 id=\"t-r1\">甲</h1>")
    );
    assert!(a.page("unit/单位.html").contains("2020年报告汇编"));
}

#[test]
fn one_days_reports_are_bound_in_the_order_of_their_files() {
    let a = Archive::new();
    for (file, title) in [
        ("01-a.md", "汇报提纲（一）：党建"),
        ("02-b.md", "汇报提纲（二）：经济"),
        ("03-c.md", "汇报提纲（三）：问题"),
    ] {
        a.report(
            file,
            &report(title, "单位", "2020-09-08", "汇报提纲", "正文"),
        );
    }
    a.report(
        "00-z.md",
        &report("更早的报告", "单位", "2020-09-07", "总结", "正文"),
    );
    a.build().ok();
    let titles: Vec<String> = bound_reports(&a.out().join("year/2020/单位.html"))
        .into_iter()
        .map(|b| b.title)
        .collect();
    assert_eq!(
        titles,
        [
            "更早的报告",
            "汇报提纲（一）：党建",
            "汇报提纲（二）：经济",
            "汇报提纲（三）：问题"
        ]
    );
}
