//! The search page of a site built by `dangan build`, in headless Chromium over
//! `file://`: results for Chinese phrases, a phrase across a line break of the
//! Markdown source, Latin terms and numbers (full- and half-width), no hits, and
//! the unit / year / type filters with their counts, each checked against a
//! brute-force substring scan of the same reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dangan::search::reader::Reader;
use dangan::search::{SearchDoc, normalize_for_match, query_terms};
use serde_json::{Value, json};

use crate::support::webdriver::Browser;
use crate::support::{Archive, assert_links_resolve, samples_dir};

const UNITS: &[&[&str]] = &[
    &["江城市委"],
    &["江城市委", "荔湾区委"],
    &["江城市委", "荔湾区委", "东街道党工委"],
    &["江城市委", "越秀区委"],
    &["临川市委"],
];
const KINDS: &[&str] = &["调研报告", "工作总结", "汇报提纲"];
const TOPICS: &[&str] = &[
    "基层党建工作",
    "社区治理",
    "党员教育管理",
    "网格化党建",
    "干部队伍建设",
];

/// Markdown that reads back as exactly `text`: ASCII punctuation escaped.
fn escape_markdown(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes the reports as an archive (units declared with their parents) and builds it.
fn build_archive(docs: &[SearchDoc]) -> Archive {
    let a = Archive::new();
    let mut toml = String::new();
    for path in UNITS {
        toml.push_str(&format!("[[units]]\nname = \"{}\"\n", path.last().unwrap()));
        if path.len() > 1 {
            toml.push_str(&format!("parent = \"{}\"\n", path[path.len() - 2]));
        }
    }
    a.write("dangan.toml", toml.as_bytes());
    for d in docs {
        let body: Vec<String> = d.text.lines().map(escape_markdown).collect();
        let text = format!(
            "---\ntitle: \"{}\"\nunit: \"{}\"\ndate: {}\ntype: {}\n---\n\n{}\n",
            d.title,
            d.unit,
            d.date,
            d.kind,
            body.join("\n")
        );
        a.report(&d.id, &text);
    }
    a.build().ok();
    a
}

/// `file://` URL of a path with a query string.
fn file_url(path: &Path, query: &[(&str, &str)]) -> String {
    let mut u = format!("file://{}", path.display());
    for (i, (k, v)) in query.iter().enumerate() {
        u.push(if i == 0 { '?' } else { '&' });
        u.push_str(k);
        u.push('=');
        u.push_str(
            &percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    }
    u
}

/// About 30 reports cut from the sample texts, with the cases the page must handle.
fn reports() -> Vec<SearchDoc> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("read samples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let paras: Vec<String> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| l.chars().count() >= 12)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(paras.len() > 60, "too little sample text");
    let mut docs: Vec<SearchDoc> = (0..30)
        .map(|i| {
            let unit_path: Vec<String> = UNITS[i % UNITS.len()]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let kind = KINDS[i % KINDS.len()];
            let n = 2 + i % 5;
            let text = (0..n)
                .map(|k| paras[(i * 7 + k) % paras.len()].clone())
                .collect::<Vec<_>>()
                .join("\n");
            let year = 2016 + (i * 5 % 7) as i32;
            SearchDoc {
                id: format!("reports/{year}/r{i:03}.md"),
                url: format!("reports/{year}/r{i:03}.html"),
                title: format!(
                    "{}关于{}的{kind}",
                    unit_path.last().unwrap(),
                    TOPICS[i % TOPICS.len()]
                ),
                unit: unit_path.last().unwrap().clone(),
                unit_path,
                date: format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                year,
                kind: kind.to_string(),
                text,
            }
        })
        .collect();
    // Phrases across a line break of the Markdown source (left in, to test robustness).
    docs[3].text.push_str(
        "\n坚持“三会一课”制度，\n全面推行“1+N”工作法，GDP增长6.5%。党群服务\n中心提质增效。",
    );
    docs[7].text.push_str("\n２０２１年完成ＰＤＣＡ循环改进。");
    docs[11].text.push_str("\n2020年度目标全部完成。");
    docs[19].text.push_str("\nGdp 统计口径调整。");
    docs[13].text.push('\n');
    docs[13].text.push_str(&"基层党建工作落实。".repeat(8000));
    // So many reports returning to 样板 that its list gets a file of its own (`k/`), which
    // the page must load too; a list of the 30 reports above stays in its bucket.
    for i in 30..150 {
        let unit_path: Vec<String> = UNITS[i % UNITS.len()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let year = 2016 + (i * 5 % 7) as i32;
        docs.push(SearchDoc {
            id: format!("reports/{year}/r{i:03}.md"),
            url: format!("reports/{year}/r{i:03}.html"),
            title: format!("第{i}期样板引领情况通报"),
            unit: unit_path.last().unwrap().clone(),
            unit_path,
            date: format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            year,
            kind: KINDS[i % KINDS.len()].to_string(),
            text: "抓样板、树标杆，以点带面。".repeat(64),
        });
    }
    docs
}

/// Reports containing every term of `q` (normalized as the index does), as URLs.
fn brute(docs: &[SearchDoc], q: &str, keep: impl Fn(&SearchDoc) -> bool) -> BTreeSet<String> {
    let terms = query_terms(q);
    docs.iter()
        .filter(|d| {
            let (t, b) = (normalize_for_match(&d.title), normalize_for_match(&d.text));
            !terms.is_empty()
                && terms
                    .iter()
                    .all(|x| t.contains(x.as_str()) || b.contains(x.as_str()))
        })
        .filter(|d| keep(d))
        .map(|d| d.url.clone())
        .collect()
}

/// Whether a report belongs to the unit with this path, or to one of its sub-units.
fn under(d: &SearchDoc, unit: &str) -> bool {
    let path = d.unit_path.join("/");
    path == unit || path.starts_with(&format!("{unit}/"))
}

/// A filter's expectation: which reports it keeps.
type Keep = Box<dyn Fn(&SearchDoc) -> bool>;

struct Page<'a> {
    b: &'a Browser,
    html: PathBuf,
}

const SETTLED: &str = "var s = document.getElementById('dg-status');
    return !!s && (s.dataset.state === 'done' || s.dataset.state === 'empty' || s.dataset.state === 'error')
        && (new URLSearchParams(s.dataset.for).get('q') || '') === arguments[0];";

impl Page<'_> {
    fn open(&self, params: &[(&str, &str)]) {
        self.b.goto(&file_url(&self.html, params));
        let q = params
            .iter()
            .find(|(k, _)| *k == "q")
            .map_or("", |(_, v)| v);
        self.b.wait_for(
            &format!("results for {params:?}"),
            SETTLED,
            json!([q]),
            Duration::from_secs(15),
        );
        let state = self.b.eval(
            "return document.getElementById('dg-status').dataset.state;",
            json!([]),
        );
        assert_ne!(
            state,
            json!("error"),
            "page error for {params:?}: {}",
            self.status()
        );
    }

    /// Puts `q` in the search box, sends `event` (a JavaScript expression in
    /// which `q` is the text) and waits until the results for `q` are shown.
    fn type_in(&self, event: &str, q: &str) {
        self.b.eval(
            &format!(
                "var q = arguments[0], box = document.getElementById('dg-q');
                 box.value = q; box.dispatchEvent({event});"
            ),
            json!([q]),
        );
        self.b.wait_for(
            &format!("results for {q:?} typed"),
            SETTLED,
            json!([q]),
            Duration::from_secs(10),
        );
    }

    fn status(&self) -> String {
        self.b
            .eval(
                "return document.getElementById('dg-status').textContent;",
                json!([]),
            )
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn count(&self) -> Option<u64> {
        self.b
            .eval(
                "return document.getElementById('dg-status').dataset.count || null;",
                json!([]),
            )
            .as_str()
            .and_then(|s| s.parse().ok())
    }

    /// Every listed result (pressing "more" until it disappears): (href, marked texts).
    fn results(&self) -> Vec<(String, Vec<String>)> {
        for _ in 0..50 {
            let more = self.b.eval(
                "var m = document.getElementById('dg-more'); if (m.hidden) return -1;
                 var n = document.querySelectorAll('#dg-results li').length; m.click(); return n;",
                json!([]),
            );
            let Some(n) = more.as_i64().filter(|&n| n >= 0) else {
                break;
            };
            self.b.wait_for(
                "more results",
                "return document.querySelectorAll('#dg-results li').length > arguments[0];",
                json!([n]),
                Duration::from_secs(10),
            );
        }
        let v = self.b.eval(
            "return Array.from(document.querySelectorAll('#dg-results li')).map(function (li) {
               var a = li.querySelector('a.dg-title');
               return [a ? a.getAttribute('href') : '', Array.from(li.querySelectorAll('mark')).map(function (m) { return m.textContent; })];
             });",
            json!([]),
        );
        serde_json::from_value(v).expect("results list")
    }

    /// Option labels of a filter select: value → count shown in "(n)".
    fn option_counts(&self, id: &str) -> Vec<(String, u64)> {
        let v = self.b.eval(
            "return Array.from(document.getElementById(arguments[0]).options).filter(function (o) { return o.value; })
               .map(function (o) { return [o.value, o.textContent]; });",
            json!([id]),
        );
        let pairs: Vec<(String, String)> = serde_json::from_value(v).expect("options");
        pairs
            .into_iter()
            .map(|(val, label)| {
                let n = label
                    .rsplit('(')
                    .next()
                    .and_then(|s| s.trim_end_matches(')').parse().ok());
                (
                    val,
                    n.unwrap_or_else(|| panic!("no count in option {label:?}")),
                )
            })
            .collect()
    }

    /// Checks the listed results against the expected URLs, and that each
    /// shows a match; returns them in the page's order.
    fn expect(&self, what: &str, q: &str, want: &BTreeSet<String>) -> Vec<String> {
        let got = self.results();
        let hrefs: Vec<&String> = got.iter().map(|(h, _)| h).collect();
        let set: BTreeSet<String> = hrefs.iter().map(|h| h.to_string()).collect();
        assert_eq!(set.len(), hrefs.len(), "{what}: a report listed twice");
        assert_eq!(
            set, *want,
            "{what}: listed reports differ from a substring scan"
        );
        assert_eq!(
            self.count(),
            Some(want.len() as u64),
            "{what}: count shown: {}",
            self.status()
        );
        let terms = query_terms(q);
        for (href, marks) in &got {
            assert!(
                marks.iter().any(|m| terms
                    .iter()
                    .any(|t| normalize_for_match(m).contains(t.as_str()))),
                "{what}: result {href} highlights no term of {q:?}: {marks:?}"
            );
        }
        got.into_iter().map(|(h, _)| h).collect()
    }
}

/// The site's index files, for the reference reader.
fn index_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(out.join("_search"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn search_page_in_headless_chromium_over_file_urls() {
    let docs = reports();
    let archive = build_archive(&docs);
    assert_links_resolve(&archive.out());
    let heavy = format!("{:x}-{:x}.", '样' as u32, '板' as u32);
    let own: Vec<String> = std::fs::read_dir(archive.out().join("_search/k"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        own.iter().any(|f| f.starts_with(&heavy)),
        "样板 should have a list file of its own (_search/k/{heavy}…): {own:?}"
    );
    let browser = Browser::start();
    let page = Page {
        b: &browser,
        html: archive.out().join("search.html"),
    };

    // The page tokenizes exactly as the indexer does.
    page.open(&[("q", "")]);
    let samples = [
        "基层 党建",
        "２０２０年，ＧＤＰ",
        "Café\u{301} 1+N",
        "a\u{3000}b\u{200B}c",
        "党建\n工作\t三会一课",
    ];
    for s in samples {
        let js = browser.eval("return DANGAN_SEARCH.queryTerms(arguments[0]);", json!([s]));
        assert_eq!(
            js,
            json!(query_terms(s)),
            "queryTerms({s:?}) in the browser"
        );
    }

    let queries = [
        "党建",           // many hits: paging with "more"
        "基层党组织",     // a longer phrase
        "党建工",         // odd length: the last bigram overlaps
        "制度，全面推行", // across a line break after a full-width comma
        "服务中心提质",   // across a line break between two characters
        "三会一课",
        "gdp", // Latin, any case
        "1+n",
        "2021年完成",   // written with full-width digits
        "２０２０年度", // queried with full-width digits
        "pdca 改进",    // two terms
        "网格化党建",   // in titles
        "党",           // one character
        "样板",         // a list of its own (k/), in 120 reports
    ];
    // The page ranks as the reference reader does (the same integer arithmetic).
    let files = index_files(&archive.out());
    let reader = Reader::new(&files).expect("the built index");
    for q in queries {
        let want = brute(&docs, q, |_| true);
        assert!(!want.is_empty(), "fixture should contain {q:?}");
        page.open(&[("q", q)]);
        let order = page.expect(q, q, &want);
        let reference: Vec<String> = reader.search(q).hits.into_iter().map(|h| h.url).collect();
        assert_eq!(order, reference, "{q}: the page's order");
    }
    assert!(
        brute(&docs, "党建", |_| true).len() > 20,
        "paging is exercised"
    );

    // A query with no hits says so.
    page.open(&[("q", "没有这个词语")]);
    assert!(page.results().is_empty());
    assert_eq!(page.count(), Some(0));
    assert!(
        page.status().contains("没有找到"),
        "status: {}",
        page.status()
    );

    // Filters narrow the list, and each filter's counts count the other filters' results.
    let q = "党建";
    let cases: Vec<(Vec<(&str, &str)>, Keep)> = vec![
        (
            vec![("unit", "江城市委/荔湾区委")],
            Box::new(|d| under(d, "江城市委/荔湾区委")),
        ),
        (
            vec![("from", "2018"), ("to", "2020")],
            Box::new(|d| (2018..=2020).contains(&d.year)),
        ),
        (
            vec![("type", "调研报告")],
            Box::new(|d| d.kind == "调研报告"),
        ),
        (
            vec![("unit", "江城市委"), ("from", "2017"), ("type", "工作总结")],
            Box::new(|d| under(d, "江城市委") && d.year >= 2017 && d.kind == "工作总结"),
        ),
    ];
    for (filters, keep) in &cases {
        let mut params = vec![("q", q)];
        params.extend(filters.iter().copied());
        page.open(&params);
        let want = brute(&docs, q, keep);
        assert!(!want.is_empty() && want.len() < brute(&docs, q, |_| true).len());
        page.expect(&format!("{filters:?}"), q, &want);
        let unit_ok = |d: &SearchDoc| filters.iter().all(|(k, v)| *k != "unit" || under(d, v));
        let year_ok = |d: &SearchDoc| {
            filters.iter().all(|(k, v)| match *k {
                "from" => d.year >= v.parse::<i32>().unwrap(),
                "to" => d.year <= v.parse::<i32>().unwrap(),
                _ => true,
            })
        };
        let type_ok = |d: &SearchDoc| filters.iter().all(|(k, v)| *k != "type" || d.kind == *v);
        for (kind, n) in page.option_counts("dg-type") {
            let want = brute(&docs, q, |d| unit_ok(d) && year_ok(d) && d.kind == kind).len();
            assert_eq!(n as usize, want, "{filters:?}: count of type {kind}");
        }
        for (unit, n) in page.option_counts("dg-unit") {
            let want = brute(&docs, q, |d| year_ok(d) && type_ok(d) && under(d, &unit)).len();
            assert_eq!(n as usize, want, "{filters:?}: count of unit {unit}");
        }
        for (year, n) in page.option_counts("dg-from") {
            let y: i32 = year.parse().unwrap();
            let want = brute(&docs, q, |d| unit_ok(d) && type_ok(d) && d.year == y).len();
            assert_eq!(n as usize, want, "{filters:?}: count of year {y}");
        }
    }

    // Typing updates results and the URL (so the search can be bookmarked).
    page.open(&[("q", "")]);
    // Pinyin being composed in an input method is not searched; the committed word is.
    browser.eval(
        "var q = document.getElementById('dg-q'); q.value = 'sanhui';
         q.dispatchEvent(new InputEvent('input', { isComposing: true }));",
        json!([]),
    );
    assert_eq!(
        page.status(),
        "输入词句开始查找",
        "no search while composing"
    );
    page.type_in(
        "new CompositionEvent('compositionend', { data: q })",
        "三会一课",
    );
    page.expect("composed", "三会一课", &brute(&docs, "三会一课", |_| true));
    page.open(&[("q", "")]);
    page.type_in("new Event('input')", "三会一课");
    let url_q = browser.eval(
        "return new URLSearchParams(location.search).get('q');",
        json!([]),
    );
    assert_eq!(url_q, json!("三会一课"));
    page.expect("typed", "三会一课", &brute(&docs, "三会一课", |_| true));
    // Choosing a filter in the page narrows the list and lands in the URL too.
    browser.eval(
        "var t = document.getElementById('dg-type'); t.value = '调研报告'; t.dispatchEvent(new Event('change'));",
        json!([]),
    );
    browser.wait_for(
        "type filter",
        "var s = document.getElementById('dg-status'); return s.dataset.state === 'done'
           && new URLSearchParams(location.search).get('type') === '调研报告';",
        json!([]),
        Duration::from_secs(10),
    );
    page.expect(
        "typed + type",
        "三会一课",
        &brute(&docs, "三会一课", |d| d.kind == "调研报告"),
    );
    let v: Value = browser.eval("return document.title;", json!([]));
    assert!(v.as_str().unwrap().starts_with("搜索"), "{v}");

    // A page left open drops the files of earlier queries past its budget (here
    // none is kept beyond the current query's), and loads them again when needed.
    let loaded = || -> BTreeSet<String> {
        serde_json::from_value(browser.eval("return DANGAN_SEARCH.loaded();", json!([])))
            .expect("loaded shards")
    };
    let type_query = |q: &str| {
        page.type_in("new Event('input')", q);
        page.expect(q, q, &brute(&docs, q, |_| true));
        loaded()
    };
    // The files a query loads on a page of its own, every result shown.
    let files_of = |q: &str| {
        page.open(&[("q", q)]);
        page.expect(q, q, &brute(&docs, q, |_| true));
        loaded()
    };
    let fresh = files_of("三会一课");
    assert!(
        fresh
            .iter()
            .any(|f| f.starts_with("d/") || f.starts_with("k/"))
            && fresh.iter().any(|f| f.starts_with("t/")),
        "lists and texts loaded: {fresh:?}"
    );
    page.open(&[("q", "")]);
    browser.eval("window.DANGAN_SEARCH_KEEP_UNITS = 1;", json!([]));
    let first = type_query("基层党组织");
    let second = type_query("三会一课");
    assert!(
        second.is_subset(&fresh),
        "kept files a query for 三会一课 does not load: {:?}",
        second.difference(&fresh).collect::<Vec<_>>()
    );
    assert!(
        !first.is_subset(&second),
        "the first query's files should have been dropped"
    );
    assert_eq!(type_query("基层党组织"), first, "dropped files load again");

    // Within the budget nothing is dropped; past it, the least recently used go first.
    let (a, b, c) = (files_of("基层党组织"), fresh, files_of("gdp"));
    page.open(&[("q", "")]);
    type_query("基层党组织");
    type_query("三会一课");
    let all = type_query("gdp");
    assert!(a.is_subset(&all), "within the budget, earlier files stay");
    browser.eval(
        "window.DANGAN_SEARCH_KEEP_UNITS = DANGAN_SEARCH.units() - 1;",
        json!([]),
    );
    let now = type_query("三会一课");
    let a_only: BTreeSet<&String> = a.difference(&b).filter(|f| !c.contains(*f)).collect();
    let c_only: BTreeSet<&String> = c.difference(&b).collect();
    assert!(
        !a_only.is_empty() && !c_only.is_empty(),
        "{a_only:?} {c_only:?}"
    );
    assert!(
        a_only.iter().any(|f| !now.contains(*f)),
        "the oldest query's files go first"
    );
    assert!(
        c_only.iter().all(|f| now.contains(*f)),
        "a newer query's files stay while older ones can go"
    );
}
