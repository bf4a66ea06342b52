//! Issue #12's property: hostile and unlucky archives (front matter of every
//! kind, names too long or clashing or reserved by Windows, control
//! characters, Markdown attribute syntax and raw HTML, links anywhere) thrown
//! at `check` and `build`. Whatever they hold: no panic; either errors that
//! name the file, with the previous site byte for byte as it was and no
//! temporary file, or a site whose every link names a file of it, with no
//! script or style from the content, whose every name a Windows share takes.
//! The library is called in-process; the binary runs for one case in ten.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use dangan::build::{BuildOptions, Outcome, build};
use proptest::prelude::*;

use crate::support::*;

/// What hostile content carries, to tell it from the theme's own markup.
const MARK: &str = "XSS";

/// Bits of names: ordinary, reserved by Windows or forbidden there, control
/// characters, long. With `hostile`, also names no build can take (over-long,
/// dangan's own ending) and characters that need care in a link.
fn name_piece(hostile: bool) -> BoxedStrategy<String> {
    let ordinary = prop::sample::select(vec![
        "报告",
        "调研",
        "2020",
        "a",
        "B",
        "-",
        "_",
        "（一）",
        "Ａ",
        "é",
        "😀",
        "'",
        "+",
        "=",
        ";",
        "!",
        "~",
        "&",
    ]);
    let windows = prop::sample::select(vec![
        "CON", "aux", "NUL", "com1", "LPT¹", "CONIN$", ":", "*", "|", "\"", " ", ".", "\t",
        "\u{7}", "\u{7f}", "\u{85}", "　", "\u{202e}",
    ]);
    match hostile {
        false => prop_oneof![
            4 => ordinary.prop_map(String::from),
            2 => windows.prop_map(String::from),
            1 => (1usize..25).prop_map(|n| "长".repeat(n)),
        ]
        .boxed(),
        true => prop_oneof![
            4 => ordinary.prop_map(String::from),
            2 => windows.prop_map(String::from),
            1 => prop::sample::select(vec!["#", "%", "?", "<", ">", "\\", ".dangan-tmp"]).prop_map(String::from),
            1 => (1usize..95).prop_map(|n| "长".repeat(n)),
        ]
        .boxed(),
    }
}

/// Names that clash on a Windows share: equal but for letter case, or a
/// page's name where a folder is (`x.html/`), or a folder the site makes.
fn clashy() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "A", "x", "X", "sub", "Sub", "x.html", "X.html", "index", "unit", "Unit", "type",
    ])
    .prop_map(String::from)
}

fn name(hostile: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(name_piece(hostile), 1..4).prop_map(|v| v.concat())
}

/// A front matter value: plain, with YAML's special characters, with markup.
/// With `hostile`, also empty, control characters, YAML that breaks, long.
fn value(hostile: bool) -> BoxedStrategy<String> {
    let plain = prop::sample::select(vec![
        "市委办公室",
        "调研报告",
        "工作总结",
        "关于基层治理的报告",
        "甲",
        "x",
    ])
    .prop_map(String::from);
    let tricky = prop::sample::select(vec![
        ": x",
        "- a",
        "# c",
        "&a",
        "*a",
        "!!binary x",
        "{a: b}",
        "[1, 2]",
        "|",
        ">",
        "'",
        "\"",
        "null",
        "yes",
        "<script>XSS</script>",
        "\" onmouseover=\"XSS",
        "' style='XSS",
        "<img src=\"javascript:XSS\" onerror=XSS>",
    ])
    .prop_map(String::from);
    match hostile {
        false => prop_oneof![4 => plain, 2 => name(false), 2 => tricky].boxed(),
        true => prop_oneof![
            3 => plain,
            1 => clashy(),
            2 => name(true),
            2 => tricky,
            2 => prop::sample::select(vec!["", "~", "\u{b}换行", "\u{0}", "a\nb: c", "2020-01-01"])
                .prop_map(String::from),
            1 => (80usize..120).prop_map(|n| "单".repeat(n)),
        ]
        .boxed(),
    }
}

fn date(hostile: bool) -> BoxedStrategy<String> {
    let good =
        (1990i32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"));
    match hostile {
        false => good.boxed(),
        true => prop_oneof![
            4 => good,
            1 => prop::sample::select(vec!["2021-02-30", "2020", "2020-13", "9999-99-99", "", "昨天", "2020-01"])
                .prop_map(String::from),
        ]
        .boxed(),
    }
}

/// Where a link points. `@k` stands for the k-th file of the archive (a
/// report or an attachment), made a relative link once the archive is known.
fn target(hostile: bool) -> BoxedStrategy<String> {
    let other = prop::sample::select(vec![
        "javascript:alert('XSS')",
        "JaVaScRiPt:XSS",
        "vbscript:XSS",
        "data:text/html,<script>XSS</script>",
        "http://example.com/XSS",
        "mailto:a@b.c",
        "#一、",
        "?q=1",
    ])
    .prop_map(String::from);
    let file = (0usize..20).prop_map(|k| format!("@{k}"));
    match hostile {
        false => prop_oneof![3 => file, 1 => other].boxed(),
        true => prop_oneof![
            2 => file,
            1 => other,
            1 => prop::sample::select(vec![
                "missing.md", "../../etc/passwd", "/abs.md", "%2e%2e/r0.md", "java\tscript:XSS",
                " javascript:XSS", "r0.md\u{0}",
            ])
            .prop_map(String::from),
            1 => name(true).prop_map(|n| format!("{n}.md")),
        ]
        .boxed(),
    }
}

/// One line of a report body: text, headings with attribute syntax, raw
/// HTML, links.
fn body_line(hostile: bool) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => value(hostile),
        2 => (value(false), prop::sample::select(vec![
            "{#id .cls}",
            "{#x onfocus=document.title='XSS' tabindex=0 autofocus}",
            "{onclick=XSS}",
            "{style=position:fixed;inset:0;XSS}",
            "{.a onmouseover=\"XSS\"}",
            "{ #a data-x=XSS }",
        ]))
            .prop_map(|(t, attrs)| format!("## 一、{t} {attrs}")),
        // Raw HTML's own relative links are neither resolved nor checked yet
        // (markdown.rs): only links that must vanish, or lead off the site.
        2 => prop::sample::select(vec![
            "<img src=\"javascript:XSS\" onerror=\"XSS\">",
            "<img src=\"http://example.com/a.png\" onerror=XSS>",
            "<a href=\"javascript:XSS\">x</a>",
            "<div style=\"XSS\">x</div>",
            "<script>XSS</script>",
            "<svg onload=XSS><a xlink:href=\"javascript:XSS\">x</a></svg>",
            "<iframe srcdoc=\"<script>XSS</script>\"></iframe>",
            "<meta http-equiv=refresh content=\"0;url=javascript:XSS\">",
            "<form action=\"javascript:XSS\"><button>x</button></form>",
            "<details open ontoggle=XSS>x</details>",
            "<p title=\"XSS\">ok</p>",
        ])
        .prop_map(String::from),
        3 => (value(false), target(hostile)).prop_map(|(t, u)| format!("见[{t}]({u})。")),
        1 => target(hostile).prop_map(|u| format!("![图]({u})")),
        1 => target(hostile).prop_map(|u| format!("<{u}>")),
        1 => Just("```\n<script>XSS</script>\n```".to_string()),
        1 => Just("| a | b |\n|---|---|\n| <b onclick=XSS>x</b> | [y](@1) |".to_string()),
    ]
}

/// An old address a report keeps (`aliases:`): a page or a report file,
/// sometimes one the site has, or one outside it.
fn alias(i: usize, hostile: bool) -> BoxedStrategy<String> {
    if !hostile {
        return name(false)
            .prop_map(move |n| format!("旧/{n}{i}.html"))
            .boxed();
    }
    prop_oneof![
        (clashy(), prop::sample::select(vec![".html", ".md"]))
            .prop_map(|(n, e)| format!("old/{n}{e}")),
        (clashy(), clashy()).prop_map(|(d, n)| format!("{d}/{n}.html")),
        prop::sample::select(vec![
            "index.html",
            "unit/index.html",
            "r0.md",
            "x.html",
            "../x.html",
            "/abs.html",
            "a/",
            "CON.html",
            "a?.html",
            "长.html",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

/// A report file: where it goes, and its text.
#[derive(Debug, Clone)]
struct ReportFile {
    path: String,
    text: String,
}

/// The `i`-th report; with `clash`, named (file, folder, slug, unit, type)
/// from a few names that clash.
fn report_file(i: usize, hostile: bool, clash: bool) -> impl Strategy<Value = ReportFile> {
    let named = move || match clash {
        true => prop_oneof![3 => value(hostile), 1 => clashy()].boxed(),
        false => value(hostile),
    };
    let fields = (
        prop::option::of(value(hostile)),
        named(),
        date(hostile),
        named(),
        prop::option::weighted(
            if clash { 0.3 } else { 0.1 },
            match clash {
                true => prop_oneof![name(hostile), clashy()].boxed(),
                false => name(hostile).boxed(),
            },
        ),
        prop::option::weighted(0.2, value(hostile)),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.1, prop::collection::vec(alias(i, hostile), 1..3)),
    );
    // Values are quoted as YAML needs; hostile ones sometimes typed bare.
    let quoting = prop::collection::vec(prop::bool::weighted(if hostile { 0.5 } else { 0.999 }), 8);
    let place = prop_oneof![
        2 => Just(format!("r{i}.md")),
        1 => Just(format!("sub/r{i}.md")),
        2 => (prop::option::of(name(hostile)), name(hostile)).prop_map(move |(d, n)| match d {
            Some(d) => format!("{d}/{n}{i}.md"),
            None => format!("{n}{i}.md"),
        }),
        if clash { 2 } else { 1 } => match clash {
            true => (prop::option::of(clashy()), clashy())
                .prop_map(|(d, n)| match d {
                    Some(d) => format!("{d}/{n}.md"),
                    None => format!("{n}.md"),
                })
                .boxed(),
            false => Just(format!("sub/{i}.md")).boxed(),
        },
    ];
    let body = prop::collection::vec(body_line(hostile), 0..8);
    (place, fields, quoting, body).prop_map(
        |(path, (title, unit, date, kind, slug, summary, draft, aliases), quote, body)| {
            let field = |k: &str, v: &str, q: bool| match q {
                true => format!("{k}: {}\n", serde_json::to_string(v).unwrap()),
                false => format!("{k}: {v}\n"),
            };
            let mut text = String::from("---\n");
            if let Some(t) = &title {
                text.push_str(&field("title", t, quote[0]));
            }
            text.push_str(&field("unit", &unit, quote[1]));
            text.push_str(&field("date", &date, quote[2]));
            text.push_str(&field("type", &kind, quote[3]));
            if let Some(s) = &slug {
                text.push_str(&field("slug", s, quote[4]));
            }
            if let Some(s) = &summary {
                text.push_str(&field("summary", s, quote[5]));
                text.push_str(&format!(
                    "tags: [{}, 党建]\n",
                    serde_json::to_string(s).unwrap()
                ));
            }
            if draft {
                text.push_str("draft: true\n");
            }
            if let Some(a) = &aliases {
                text.push_str(&format!("aliases: {}\n", serde_json::to_string(a).unwrap()));
            }
            text.push_str("---\n\n");
            text.push_str(&body.join("\n\n"));
            text.push('\n');
            ReportFile { path, text }
        },
    )
}

/// An archive: reports, attachments, and sometimes a dangan.toml. Some
/// only tricky (most of them build, and must build safely), some with names
/// that clash (which must be told before anything is written), some hostile
/// in every way (they may fail, and must fail cleanly).
#[derive(Debug, Clone)]
struct Hostile {
    #[expect(dead_code, reason = "shown when a case fails")]
    mode: Mode,
    reports: Vec<ReportFile>,
    attachments: Vec<String>,
    config: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Tricky,
    Clashing,
    Hostile,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let mode = prop_oneof![
        9 => Just(Mode::Tricky),
        5 => Just(Mode::Clashing),
        6 => Just(Mode::Hostile),
    ];
    mode.prop_flat_map(|mode| {
        let (hostile, clash) = (mode == Mode::Hostile, mode != Mode::Tricky);
        let reports = (1usize..30).prop_flat_map(move |n| {
            (0..n)
                .map(|i| report_file(i, hostile, clash))
                .collect::<Vec<_>>()
        });
        let odd = prop::sample::select(match mode {
            Mode::Hostile => vec![
                "附件.pdf",
                "nul.pdf",
                "x.html/a.pdf",
                "r0.html",
                "Sub/r2.html",
                "a.dangan-tmp",
                "unit/x.pdf",
                "X.html",
                "sub",
                "Sub/A.html",
                "a.html",
                "A.pdf",
                "unit",
                "index.html",
                "_assets/style.css",
                "search.html",
                "a.pdf",
            ],
            Mode::Clashing => vec![
                "x.html/a.pdf",
                "X/a.pdf",
                "Sub/A.pdf",
                "sub",
                "a.pdf",
                "A.pdf",
                "files/A.pdf",
                "files/a.pdf",
            ],
            Mode::Tricky => vec!["附件.pdf", "nul.pdf", "aux/说明.docx", "a:b.xlsx", "A.pdf"],
        })
        .prop_map(String::from);
        let attachments = prop::collection::vec(
            prop_oneof![
                odd,
                (
                    name(hostile),
                    prop::sample::select(vec![".pdf", ".docx", ".png", ""])
                )
                    .prop_map(|(n, e)| format!("files/{n}{e}")),
            ],
            0..4,
        );
        let config = prop::option::weighted(
            if hostile { 0.3 } else { 0.001 },
            (value(true), value(true)).prop_map(|(name, slug)| {
                format!(
                    "[[units]]\nname = {}\nslug = {}\n",
                    serde_json::to_string(&name).unwrap(),
                    serde_json::to_string(&slug).unwrap()
                )
            }),
        );
        (reports, attachments, config).prop_map(move |(reports, attachments, config)| Hostile {
            mode,
            reports,
            attachments,
            config,
        })
    })
}

/// What a link to a file encodes of its name: all but letters, digits and
/// `.-_~` (dangan does not take `r1%2Emd` for a link to `r1.md`).
const LINK: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// The archive's text with each `@k` made a link, relative to the report,
/// to the k-th of its files (reports, then attachments).
fn with_links(h: &Hostile, from: &str, text: &str) -> String {
    let files: Vec<&str> = h
        .reports
        .iter()
        .map(|r| r.path.as_str())
        .chain(h.attachments.iter().map(String::as_str))
        .collect();
    let depth = from.matches('/').count();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let digits: String = rest[at + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.is_empty() {
            out.push('@');
            rest = &rest[at + 1..];
            continue;
        }
        let k: usize = digits.parse().unwrap();
        let to = files[k % files.len()];
        let encoded: Vec<String> = to
            .split('/')
            .map(|seg| percent_encoding::utf8_percent_encode(seg, LINK).to_string())
            .collect();
        out.push_str(&"../".repeat(depth));
        out.push_str(&encoded.join("/"));
        rest = &rest[at + 1 + digits.len()..];
    }
    out.push_str(rest);
    out
}

/// Writes a file of the archive, unless the file system refuses its name
/// (that name cannot reach dangan at all).
fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = std::fs::write(path, bytes);
    }
}

/// Every file and folder under `dir` (`None` for a folder, so that an empty
/// folder left behind counts too), with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = (!e.file_type().is_dir()).then(|| std::fs::read(e.path()).unwrap());
            (rel, bytes)
        })
        .collect()
}

fn run(root: &Path, write: bool) -> Outcome {
    let outcome = build(&BuildOptions {
        root: root.to_path_buf(),
        out: None,
        write,
        cache: false,
    });
    outcome.unwrap_or_else(|e| panic!("hostile content gave an environment error: {e}"))
}

/// Attributes through which content could run script or restyle the page.
fn unsafe_markup(html: &str) -> Vec<String> {
    let found = RefCell::new(Vec::new());
    let script_url = |v: &str| {
        let v: String = v
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        let v = v.to_ascii_lowercase();
        v.starts_with("javascript:") || v.starts_with("vbscript:") || v.starts_with("data:")
    };
    let settings = lol_html::RewriteStrSettings::new()
        .append_element_content_handler(lol_html::element!("*", |el| {
            for a in el.attributes() {
                let (name, value) = (a.name(), a.value());
                let runs = name.starts_with("on") || name == "style" || name == "srcdoc";
                let bad = (runs && value.contains(MARK))
                    || (name != "content" && script_url(&value))
                    || (name == "content" && value.contains(MARK));
                if bad {
                    found
                        .borrow_mut()
                        .push(format!("<{} {name}=\"{value}\">", el.tag_name()));
                }
            }
            Ok(())
        }))
        .append_element_content_handler(lol_html::text!("script", |t| {
            if t.as_str().contains(MARK) {
                found.borrow_mut().push(format!("<script>{}", t.as_str()));
            }
            Ok(())
        }));
    let _ = lol_html::rewrite_str(html, settings);
    found.into_inner()
}

/// Whether `path` is one of dangan's temporaries (which a later run
/// removes): the staging folder, or `.name.dangan-tmp` anywhere. A page
/// named `.dangan-tmp.html` (a type so called) is the user's.
fn is_temporary(path: &str) -> bool {
    path.split('/').next() == Some(dangan::output::STAGING)
        || path
            .split('/')
            .any(|n| n.starts_with('.') && n.ends_with(dangan::output::TMP_SUFFIX))
}

/// Windows' rule for a name, as Microsoft states it ("Naming Files, Paths,
/// and Namespaces"), written out here again so that a mistake in
/// `dangan::paths` cannot hide itself.
fn windows_refuses(name: &str) -> bool {
    let devices = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let numbered = ["COM", "LPT"].iter().any(|p| {
        upper.strip_prefix(p).is_some_and(|n| {
            n.chars().count() == 1 && n.chars().all(|c| c.is_ascii_digit() || "¹²³".contains(c))
        })
    });
    name.is_empty()
        || name.len() > 255
        || name.ends_with(['.', ' '])
        || name.chars().any(|c| c < ' ' || "<>:\"/\\|?*".contains(c))
        || devices.contains(&upper.as_str())
        || numbered
}

/// Everything the property asserts of one archive.
fn holds(base: &Archive, h: &Hostile, spawn: bool) -> Result<(), TestCaseError> {
    let a = Archive::new();
    let root = a.root();
    copy_tree(base.root(), root);
    let before = tree(&a.out());

    for r in &h.reports {
        let text = with_links(h, &r.path, &r.text);
        put(root, &format!("content/{}", r.path), text.as_bytes());
    }
    for f in &h.attachments {
        put(root, &format!("content/{f}"), b"%PDF-1.4 XSS");
    }
    if let Some(c) = &h.config {
        put(root, "dangan.toml", c.as_bytes());
    }
    let checked = run(root, false);
    let built = run(root, true);
    prop_assert_eq!(
        checked.has_errors(),
        built.has_errors(),
        "check and build disagree: {:?}",
        built.diagnostics
    );
    if built.has_errors() {
        for d in built.diagnostics.iter().filter(|d| d.is_error()) {
            prop_assert!(
                d.path.starts_with("content") || d.path == "dangan.toml",
                "an error that names no file of the archive: {}",
                d.render()
            );
        }
        let after = tree(&a.out());
        prop_assert!(
            after == before,
            "a failed build changed the output: {:?}",
            {
                let changed: Vec<&String> = after
                    .keys()
                    .chain(before.keys())
                    .filter(|k| after.get(*k) != before.get(*k))
                    .collect();
                changed
            }
        );
    } else {
        let out = a.out();
        // A link that is only a query (`?q=1`), or emptied because it was
        // script (`href=""`), leads to the page it is on.
        let broken: Vec<String> = broken_links(&out)
            .into_iter()
            .filter(|b| !b.contains(": ?") && !b.contains(":  (not a relative link"))
            .collect();
        prop_assert!(broken.is_empty(), "broken links: {broken:?}");
        let files = tree(&out);
        for (path, bytes) in &files {
            prop_assert!(!is_temporary(path), "a temporary file: {path}");
            if let Some(bytes) = bytes
                && path.ends_with(".html")
            {
                let bad = unsafe_markup(&String::from_utf8_lossy(bytes));
                prop_assert!(bad.is_empty(), "{path}: markup from the content: {bad:?}");
            }
        }
        // Issue #16: every name the build made, a Windows share takes.
        for p in files.keys() {
            prop_assert!(dangan::paths::path_problem(p).is_none(), "{p}");
            for n in p.split('/') {
                prop_assert!(!windows_refuses(n), "{p}: Windows refuses {n:?}");
            }
        }
        let paths = files
            .iter()
            .filter(|(_, b)| b.is_some())
            .map(|(p, _)| p.as_str());
        let clashes = dangan::paths::clashes(paths);
        prop_assert!(clashes.is_empty(), "{clashes:?}");
    }
    if spawn {
        let cli = a.run(&["check"]);
        let expected = if built.has_errors() { 1 } else { 0 };
        prop_assert_eq!(cli.code(), expected, "{}", cli.stderr());
        // The file as named on screen (control characters in a name shown
        // escaped).
        if let Some(first) = built.diagnostics.iter().find(|d| d.is_error()) {
            let rendered = first.render();
            let line = rendered.lines().next().unwrap_or_default();
            prop_assert!(cli.stderr().contains(line), "{line}\n{}", cli.stderr());
        }
    }
    Ok(())
}

/// A copy of the archive (and site) `from` in `to`: a built archive to
/// start each case from, faster than building it again.
fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).min_depth(1) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        match e.file_type().is_dir() {
            true => std::fs::create_dir_all(&dest).unwrap(),
            false => {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
    }
}

#[test]
fn hostile_archives_fail_cleanly_or_build_a_safe_site() {
    let base = Archive::new();
    base.report(
        "base.md",
        &report("基础", "单位", "2020-01-01", "总结", "正文"),
    );
    assert!(!run(base.root(), true).has_errors());
    let config = ProptestConfig {
        cases: 160,
        // Each case takes a while and shrinking seldom helps much: the
        // failing archive is printed whole.
        max_shrink_iters: 50,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let cases = (hostile(), prop::bool::weighted(0.1));
    if let Err(e) = runner.run(&cases, |(h, spawn)| holds(&base, &h, spawn)) {
        panic!("{e}");
    }
}
