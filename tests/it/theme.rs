//! The built-in theme as a person sees it, in headless Chromium over `file://`:
//! the sample archive's home, a unit page, a year page, a report and its print
//! view, at 360 px and on a wide screen. Nothing overflows sideways, the print
//! view hides navigation and prints to A4, the charts show the right numbers,
//! and no request leaves the machine. Screenshots (and the PDF) are kept in
//! `target/screenshots/` for a reviewer to look at.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::build::copy_dir;
use crate::support::webdriver::Browser;
use crate::support::{Archive, all_links, assert_links_resolve, report};

/// `target/screenshots/`, created on first use.
fn shots_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`: keep the artifacts beside it.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// The repository's sample archive (content/ and dangan.toml), built.
fn sample_archive() -> Archive {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let a = Archive::new();
    copy_dir(&repo.join("content"), &a.root().join("content"));
    std::fs::copy(repo.join("dangan.toml"), a.root().join("dangan.toml")).unwrap();
    a.build().ok();
    a
}

/// (unit, date) of every published report, read straight from the front matter.
fn sample_reports() -> Vec<(String, String)> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(content) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        if field("draft").as_deref() == Some("true") {
            continue;
        }
        out.push((field("unit").unwrap(), field("date").unwrap()));
    }
    out
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

struct Viewer {
    b: Browser,
    shots: PathBuf,
}

impl Viewer {
    fn new() -> Viewer {
        Viewer {
            b: Browser::start(),
            shots: shots_dir(),
        }
    }

    /// Opens a page at a viewport width and checks what any page must satisfy.
    fn open(&self, page: &Path, width: u32, shot: &str) {
        self.open_url(&file_url(page), width, shot);
    }

    fn open_url(&self, url: &str, width: u32, shot: &str) {
        let page = url;
        self.b.viewport(width, 900);
        self.b.goto(url);
        self.b.wait_for(
            "the page to load",
            "return document.readyState === 'complete';",
            json!([]),
            std::time::Duration::from_secs(10),
        );
        self.check(&format!("{page} at {width} px"), shot);
    }

    /// What every page must satisfy as it stands now, then its screenshot.
    fn check(&self, what: &str, shot: &str) {
        // Nothing wider than the window: no sideways scrolling.
        let widths = self.b.eval(
            "var d = document.documentElement;
             var wide = Array.from(document.querySelectorAll('body *')).filter(function (e) {
               var r = e.getBoundingClientRect();
               return r.width > 0 && r.right > d.clientWidth + 1 && !e.closest('table, pre, svg');
             }).slice(0, 5).map(function (e) { return e.tagName + '.' + e.className; });
             return [d.scrollWidth, d.clientWidth, wide];",
            json!([]),
        );
        assert!(
            widths[0].as_i64() <= widths[1].as_i64() && widths[2] == json!([]),
            "{what} overflows horizontally: scrollWidth, clientWidth, elements = {widths}"
        );
        // No request leaves the machine: every resource was read from file://.
        let foreign = self.b.eval(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })
               .filter(function (n) { return n.indexOf('file://') !== 0; });",
            json!([]),
        );
        assert_eq!(foreign, json!([]), "{what} made requests off the machine");
        assert_eq!(
            self.b
                .eval("return document.documentElement.lang;", json!([])),
            json!("zh-CN")
        );
        for landmark in ["header", "nav", "main", "footer"] {
            assert_eq!(
                self.b.eval(
                    "return document.querySelectorAll(arguments[0]).length > 0;",
                    json!([landmark])
                ),
                json!(true),
                "{what} lacks <{landmark}>"
            );
        }
        std::fs::write(self.shots.join(format!("{shot}.png")), self.b.screenshot()).unwrap();
    }

    /// The bars of the chart `#id`: label → (data-value, the number printed on the bar).
    fn chart(&self, id: &str) -> BTreeMap<String, (u64, String)> {
        let v = self.b.eval(
            "var svg = document.getElementById(arguments[0]);
             if (!svg) return null;
             return Array.from(svg.querySelectorAll('g.bar')).map(function (g) {
               return [g.dataset.label, Number(g.dataset.value), g.querySelector('text.value').textContent,
                       g.getBoundingClientRect().height > 0];
             });",
            json!([id]),
        );
        assert_ne!(v, Value::Null, "no chart #{id}");
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| {
                assert_eq!(b[3], json!(true), "bar {b} of #{id} is not drawn");
                (
                    b[0].as_str().unwrap().to_string(),
                    (b[1].as_u64().unwrap(), b[2].as_str().unwrap().to_string()),
                )
            })
            .collect()
    }

    /// Whether each element matching `selector` is rendered at all.
    fn shown(&self, selector: &str) -> Vec<bool> {
        let v = self.b.eval(
            "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {
               return e.checkVisibility(); });",
            json!([selector]),
        );
        serde_json::from_value(v).unwrap()
    }
}

/// Year → count, with the empty years between the first and the last as 0.
fn per_year<'a>(dates: impl Iterator<Item = &'a str>) -> BTreeMap<String, (u64, String)> {
    let mut years: BTreeMap<i32, u64> = BTreeMap::new();
    for d in dates {
        *years.entry(d[..4].parse().unwrap()).or_default() += 1;
    }
    let (first, last) = (*years.keys().next().unwrap(), *years.keys().last().unwrap());
    (first..=last)
        .map(|y| {
            let n = years.get(&y).copied().unwrap_or(0);
            (format!("{y}年"), (n, n.to_string()))
        })
        .collect()
}

#[test]
fn the_sample_archive_looks_finished_in_a_real_browser() {
    let a = sample_archive();
    let out = a.out();
    let reports = sample_reports();
    let v = Viewer::new();

    // Home: totals, a chart of every year, the most active units.
    for (width, name) in [(360, "home-360"), (1280, "home-1280")] {
        v.open(&out.join("index.html"), width, name);
        assert_eq!(
            v.chart("years-chart"),
            per_year(reports.iter().map(|(_, d)| d.as_str())),
            "home: reports per year"
        );
        let units = v.chart("units-chart");
        let top = units.values().map(|(n, _)| *n).max().unwrap();
        let most = reports
            .iter()
            .filter(|(u, _)| u == "江城高新区党工委")
            .count() as u64;
        assert_eq!(top, most, "the most active unit leads the chart");
    }

    // A parent unit: its charts count its sub-units' reports too.
    let jiangbei = ["江北县委", "麦溪镇党委", "临江镇党委", "红星镇党委"];
    for (width, name) in [(360, "unit-360"), (1280, "unit-1280")] {
        v.open(&out.join("unit/jiangbei.html"), width, name);
        let want = per_year(
            reports
                .iter()
                .filter(|(u, _)| jiangbei.contains(&u.as_str()))
                .map(|(_, d)| d.as_str()),
        );
        assert_eq!(v.chart("years-chart"), want, "unit: reports per year");
        let types: u64 = v.chart("types-chart").values().map(|(n, _)| n).sum();
        assert_eq!(types, want.values().map(|(n, _)| n).sum::<u64>());
    }

    // A year: a timeline of twelve months.
    v.open(&out.join("year/2020.html"), 360, "year-360");
    let months = v.chart("months");
    assert_eq!(months.len(), 12);
    let in_2020: Vec<&String> = reports
        .iter()
        .filter(|(_, d)| d.starts_with("2020"))
        .map(|(_, d)| d)
        .collect();
    for (label, (n, shown)) in &months {
        let m: u32 = label.trim_end_matches('月').parse().unwrap();
        let want = in_2020
            .iter()
            .filter(|d| d[5..7].parse::<u32>().unwrap() == m)
            .count() as u64;
        assert_eq!(
            (*n, shown.as_str()),
            (want, want.to_string().as_str()),
            "{label}"
        );
    }

    // Search results on a phone.
    let search = format!(
        "{}?q=%E5%85%9A%E5%BB%BA",
        file_url(&out.join("search.html"))
    );
    v.open_url(&search, 360, "search-360");
    v.b.wait_for(
        "search results",
        "return document.querySelectorAll('#dg-results li').length > 0;",
        json!([]),
        std::time::Duration::from_secs(10),
    );
    v.check("search results at 360 px", "search-360");

    // A report, on a phone and on a large monitor.
    let report = out.join("调研报告/荔湾区直机关/02-现实问题及原因分析.html");
    v.open(&report, 360, "report-360");
    v.open(&report, 1600, "report-1600");
    assert_eq!(v.shown(".toc"), [true], "table of contents shown");
    assert_eq!(
        v.b.eval(
            "return getComputedStyle(document.querySelector('.toc')).position;",
            json!([])
        ),
        json!("sticky"),
        "the table of contents follows the reader on wide screens"
    );
    assert_eq!(v.shown(".print-button"), [true], "a print button");

    // Its print view: no navigation chrome, the report alone, on A4.
    v.b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"}));
    v.b.viewport(590, 850); // the A4 type area, 156 × 225 mm, at 96 dpi
    for chrome in [
        ".site-header",
        ".crumbs",
        ".toc",
        ".prev-next",
        ".site-footer",
        ".print-button",
    ] {
        assert!(
            v.shown(chrome).iter().all(|shown| !shown),
            "print view shows {chrome}"
        );
    }
    assert_eq!(v.shown(".report-body"), [true]);
    std::fs::write(v.shots.join("report-print.png"), v.b.screenshot()).unwrap();
    v.b.cdp("Emulation.setEmulatedMedia", json!({"media": ""}));
    let pdf = v.b.print_pdf();
    let pdf_path = v.shots.join("report-print.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    // Pictures of the printed pages, when poppler is there to draw them.
    let _ = std::process::Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-l", "2"])
        .arg(&pdf_path)
        .arg(v.shots.join("report-print-page"))
        .status();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF"), "a PDF");
    let boxes: Vec<Vec<f64>> = text
        .split("/MediaBox [")
        .skip(1)
        .map(|rest| {
            rest[..rest.find(']').unwrap()]
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect()
        })
        .collect();
    assert!(!boxes.is_empty(), "pages in the PDF");
    for b in &boxes {
        assert!(
            (b[2] - 595.3).abs() < 2.0 && (b[3] - 841.9).abs() < 2.0,
            "an A4 page (595 × 842 pt), not {b:?}"
        );
    }
}

#[test]
fn a_2000_report_archive_stays_quick_to_scan() {
    let a = Archive::new();
    crate::support::gen_corpus(2000, a.root());
    a.build().ok();
    let out = a.out();
    let v = Viewer::new();
    v.open(&out.join("index.html"), 1280, "big-home-1280");
    let years: u64 = v.chart("years-chart").values().map(|(n, _)| n).sum();
    assert_eq!(years, 2000);
    v.open(&out.join("unit/index.html"), 360, "big-units-360");
    // The longest list: a type with hundreds of reports, grouped by year and folded.
    let biggest = std::fs::read_dir(out.join("type"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "index.html")
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    v.open(&biggest, 1280, "big-type-1280");
    let (shown, total) = serde_json::from_value::<(u64, u64)>(v.b.eval(
        "var all = document.querySelectorAll('.report-list li');
         var shown = Array.from(all).filter(function (li) { return li.checkVisibility(); });
         return [shown.length, all.length];",
        json!([]),
    ))
    .unwrap();
    assert!(total > 200, "a long list: {total}");
    assert!(
        shown < total / 3,
        "long lists fold: {shown} of {total} shown at first"
    );
    let year = out.join("year").join(
        std::fs::read_dir(out.join("year"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "index.html")
            .max()
            .unwrap(),
    );
    v.open(&year, 360, "big-year-360");
    // A link to a folded group unfolds it.
    let last = v.b.eval(
        "var s = document.querySelectorAll('section.group'); return s[s.length - 1].id;",
        json!([]),
    );
    let last = last.as_str().unwrap();
    v.b.goto(&format!("{}#{last}", file_url(&year)));
    v.b.wait_for(
        "the linked group to unfold",
        "var d = document.querySelector('#' + arguments[0] + ' details'); return !!d && d.open;",
        json!([last]),
        std::time::Duration::from_secs(5),
    );
    assert_links_resolve(&out);
    // Every unit-year of the generated archive has its compilation (汇编).
    let compilations = crate::compilation::assert_every_unit_year_has_its_compilation(
        &out.canonicalize().unwrap(),
    );
    assert!(compilations.len() > 500, "{}", compilations.len());
}

/// Pages name no outside resource: every `src`, `href` and CSS `url()` is local.
#[test]
fn pages_load_nothing_from_outside() {
    let a = sample_archive();
    for (page, link) in all_links(&a.out()) {
        assert!(
            !link.starts_with("http:") && !link.starts_with("https:") && !link.starts_with("//"),
            "{}: {link}",
            page.display()
        );
    }
    for e in walkdir::WalkDir::new(a.out().join("_assets")) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "css") {
            let css = std::fs::read_to_string(e.path()).unwrap();
            assert!(
                !css.contains("url(http") && !css.contains("@import"),
                "{}",
                e.path().display()
            );
        }
    }
    assert_links_resolve(&a.out());
}

#[test]
fn feeds_use_report_dates_and_base_url_when_set() {
    let a = Archive::new();
    a.write(
        "dangan.toml",
        "title = \"档案\"\n[[units]]\nname = \"市委\"\nslug = \"sw\"\n".as_bytes(),
    );
    a.report(
        "a.md",
        &report("第一篇", "市委", "2020-03-04", "调研报告", "正文"),
    );
    a.report(
        "b/b.md",
        &report("第二篇", "市委", "2021-05", "汇报提纲", "正文"),
    );
    a.build().ok();
    let feed = a.page("feed.xml");
    assert!(
        feed.contains("<updated>2021-05-01T00:00:00Z</updated>"),
        "{feed}"
    );
    assert!(
        feed.find("第二篇").unwrap() < feed.find("第一篇").unwrap(),
        "newest first"
    );
    assert!(feed.contains("href=\"b/b.html\""), "relative links: {feed}");
    let unit = a.page("unit/sw.xml");
    assert!(unit.contains("href=\"../b/b.html\""), "{unit}");
    assert!(a.page("unit/sw.html").contains("href=\"sw.xml\""));
    let sitemap = a.page("sitemap.xml");
    assert!(
        sitemap.contains("<loc>a.html</loc><lastmod>2020-03-04</lastmod>"),
        "{sitemap}"
    );

    let before = std::fs::read(a.out().join("feed.xml")).unwrap();
    a.build().ok();
    assert_eq!(
        std::fs::read(a.out().join("feed.xml")).unwrap(),
        before,
        "no clock in feeds"
    );

    a.write(
        "dangan.toml",
        "title = \"档案\"\nbase_url = \"https://intra.example/档案/\"\n".as_bytes(),
    );
    a.build().ok();
    let feed = a.page("feed.xml");
    assert!(
        feed.contains("href=\"https://intra.example/档案/b/b.html\"")
            || feed.contains("href=\"https://intra.example/%E6%A1%A3%E6%A1%88/b/b.html\""),
        "absolute links under base_url: {feed}"
    );
    assert!(
        a.page("sitemap.xml")
            .contains("<loc>https://intra.example/")
    );
}

/// The text of each page of a PDF, as `pdftotext -layout` (poppler) reads it.
fn pdf_pages(pdf: &Path) -> Vec<String> {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs: scripts/test.sh installs poppler-utils");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(String::from).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Text without any white space: pdftotext spaces out what it lays out.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn a_compilation_reads_on_screen_and_prints_as_one_document() {
    let a = sample_archive();
    let out = a.out().canonicalize().unwrap();
    let found = crate::compilation::assert_every_unit_year_has_its_compilation(&out);
    // The sample's biggest compilation.
    let page = found
        .iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let bound = crate::compilation::bound_reports(page);
    assert!(bound.len() >= 3, "{}: {bound:?}", page.display());
    let v = Viewer::new();

    v.open(page, 360, "compilation-360");
    v.open(page, 1600, "compilation-1600");
    assert_eq!(v.shown(".print-button"), [true], "a print button");
    assert_eq!(
        v.b.eval(
            "return getComputedStyle(document.querySelector('.contents')).position;",
            json!([])
        ),
        json!("sticky"),
        "the contents follow the reader on wide screens"
    );
    // Each entry of the contents lands on its report: the article is at the
    // top of the window (or the page is scrolled to its end) and its title is
    // the entry's.
    for (i, b) in bound.iter().enumerate() {
        let entry = v.b.eval(
            "var a = document.querySelectorAll('.contents a')[arguments[0]];
             a.click(); return a.querySelector('.t').textContent;",
            json!([i]),
        );
        assert_eq!(entry, json!(b.title));
        v.b.wait_for(
            &format!("the contents' link to {} to land", b.title),
            "var r = document.getElementById(arguments[0]);
             if (!r || location.hash !== '#' + arguments[0]) return false;
             var top = r.getBoundingClientRect().top, d = document.documentElement;
             var atEnd = window.scrollY + window.innerHeight >= d.scrollHeight - 2;
             return (Math.abs(top) < 12 || (atEnd && top >= 0 && top < window.innerHeight))
               && r.querySelector('h1').textContent === arguments[1];",
            json!([b.anchor, b.title]),
            std::time::Duration::from_secs(5),
        );
    }

    // Printed: a cover, the contents, every report from the top of a page,
    // the page numbers running through.
    v.b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"}));
    v.b.viewport(590, 850);
    assert!(
        v.shown(".site-header, .crumbs, .print-button, .compiled-nav")
            .iter()
            .all(|s| !s)
    );
    assert_eq!(v.shown(".contents"), [true], "the contents print");
    std::fs::write(v.shots.join("compilation-print.png"), v.b.screenshot()).unwrap();
    v.b.cdp("Emulation.setEmulatedMedia", json!({"media": ""}));
    let pdf_path = v.shots.join("compilation-print.pdf");
    std::fs::write(&pdf_path, v.b.print_pdf()).unwrap();
    let _ = std::process::Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-l", "4"])
        .arg(&pdf_path)
        .arg(v.shots.join("compilation-print-page"))
        .status();
    let pages = pdf_pages(&pdf_path);
    let lines =
        |p: &str| -> Vec<String> { p.lines().map(squeeze).filter(|l| !l.is_empty()).collect() };
    let cover = squeeze(&pages[0]);
    let html = std::fs::read_to_string(page).unwrap();
    let title = html[html.find("<title>").unwrap() + 7..html.find(" · ").unwrap()].to_string();
    assert!(
        cover.contains(&squeeze(&title.replace("（含下级单位）", ""))),
        "the cover: {cover}"
    );
    assert!(
        !cover.contains('—'),
        "the cover has no page number: {cover}"
    );
    assert!(
        lines(&pages[1])[0].contains("目录"),
        "the contents on page 2: {}",
        pages[1]
    );
    for (n, p) in pages.iter().enumerate().skip(1) {
        assert_eq!(
            lines(p).last().map(String::as_str),
            Some(format!("—{}—", n + 1).as_str()),
            "page {} is numbered",
            n + 1
        );
    }
    let mut starts = Vec::new();
    for b in &bound {
        // A long title takes two lines.
        let head = squeeze(&b.title);
        let at = pages
            .iter()
            .position(|p| {
                lines(p)
                    .iter()
                    .take(2)
                    .cloned()
                    .collect::<String>()
                    .starts_with(&head)
            })
            .unwrap_or_else(|| panic!("no page starts with the report {}", b.title));
        starts.push(at + 1);
    }
    assert_eq!(starts[0], 3, "the first report follows the contents");
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]),
        "in contents order: {starts:?}"
    );
    assert!(
        pages.len() > starts[starts.len() - 1],
        "the last report printed"
    );
}
