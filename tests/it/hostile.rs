//! Hostile and unlucky content (issue #12): nothing from a report runs in a
//! reader's browser, and no control character reaches any output.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::webdriver::Browser;
use crate::support::*;

/// A script that changes the page's title to `PWNED`.
const PWN: &str = "<script>document.title='PWNED'</script>";

fn file_url(path: &std::path::Path) -> String {
    let s = path.to_str().unwrap();
    format!(
        "file://{}",
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2F", "/")
    )
}

/// The part of a report page that comes from the report (the theme's own
/// print button has an `onclick`).
fn report_body(page: &str) -> &str {
    let start = page
        .find("<div class=\"report-body\">")
        .expect("report body");
    let end = page[start..]
        .find("<nav class=\"prev-next\"")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

/// An archive with a report whose headings try every attribute trick, and
/// attachments that a browser would run as pages.
fn hostile_archive() -> Archive {
    let a = Archive::new();
    let body = "\
## 一、基本情况 {tabindex=0 autofocus onfocus=document.title='PWNED'}\n\n\
正文。\n\n\
## 二、问题 {#main .x onclick=document.title='PWNED' onmouseover=document.title='PWNED' style=position:fixed;inset:0;z-index:99}\n\n\
见[网页](网页.html)与[图](图.svg)。\n";
    a.report(
        "2020/报告.md",
        &report("报告", "市委办公室", "2020-05-01", "调研报告", body),
    );
    a.write(
        "content/2020/网页.html",
        format!("<html><body>{PWN}网页</body></html>").as_bytes(),
    );
    a.write(
        "content/2020/图.svg",
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{PWN}</svg>")
            .replace("<script>", "<script><![CDATA[")
            .replace("</script>", "]]></script>")
            .as_bytes(),
    );
    // XML of any kind runs the XHTML script inside it, whatever its ending.
    let xhtml = format!(
        "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>t</title></head><body>{PWN}</body></html>"
    );
    a.write("content/2020/订阅.rss", xhtml.as_bytes());
    a.write("content/2020/页.xhtm", xhtml.as_bytes());
    a
}

#[test]
fn issue_12_heading_attributes_and_web_page_attachments_run_nothing_in_chromium() {
    let a = hostile_archive();
    let run = a.build();
    run.ok();
    let b = Browser::start();
    let url = file_url(&a.out().join("2020/报告.html"));
    b.goto(&url);
    // Focus, click and hover every element of the report, as a reader might
    // (links are followed below).
    let title = b.eval(
        "for (const el of document.querySelectorAll('.report-body *')) {\
           el.focus(); el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));\
           if (!el.closest('a')) el.click();\
         }\
         return document.title;",
        json!([]),
    );
    assert_ne!(title, json!("PWNED"), "a heading attribute ran script");
    assert!(title.as_str().unwrap().contains("报告"), "{title}");

    // Following each link to an attachment shows text; its script never runs.
    let links = b.eval(
        "return [...document.querySelectorAll('a')].map(a => a.href)\
           .filter(h => /(网页\\.html|图\\.svg|订阅\\.rss|页\\.xhtm)/.test(decodeURIComponent(h)))",
        json!([]),
    );
    let links: Vec<String> = serde_json::from_value(links).unwrap();
    assert_eq!(
        links.len(),
        6,
        "two body links and four attachment links: {links:?}"
    );
    for (i, href) in links.iter().enumerate() {
        b.goto(&url);
        b.eval(
            "[...document.querySelectorAll('a')].filter(a => a.href === arguments[0])[0].click()",
            json!([href]),
        );
        let t0 = Instant::now();
        let (shown, title) = loop {
            let v = b.eval(
                "return [location.href, document.title, document.body ? document.body.innerText : '']",
                json!([]),
            );
            let (loc, title, text) = (
                v[0].as_str().unwrap().to_string(),
                v[1].as_str().unwrap().to_string(),
                v[2].as_str().unwrap().to_string(),
            );
            if loc != url || t0.elapsed() > Duration::from_secs(10) {
                break (text, title);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_ne!(
            title, "PWNED",
            "link {i} ({href}) ran the attachment's script"
        );
        assert!(
            shown.contains("document.title"),
            "link {i} ({href}) should show the attachment as text, shows {shown:?}"
        );
    }

    // Build and check name each risky attachment; the page keeps nothing of
    // the attributes.
    let check = a.run(&["check"]);
    check.ok();
    let err = run.stderr() + &check.stderr();
    for warned in [
        "content/2020/网页.html: warning: this attachment is a web page",
        "content/2020/图.svg: warning: this attachment is a web page",
        "content/2020/订阅.rss: warning: this attachment is a web page",
        "content/2020/页.xhtm: warning: this attachment is a web page",
        "the heading attribute `onfocus` is left out",
        "the heading attribute `style` is left out",
    ] {
        assert!(err.contains(warned), "{warned:?} missing in:\n{err}");
    }
    assert!(!err.contains("a name Windows accepts"), "{err}");
    let page = a.page("2020/报告.html");
    let body = report_body(&page);
    for bad in [
        "onfocus",
        "onclick",
        "onmouseover",
        "autofocus",
        "position:fixed",
    ] {
        assert!(!body.contains(bad), "{bad} in the report:\n{body}");
    }
    assert!(!page.contains("id=\"main\" class=\"x\""), "{page}");
    assert!(a.out().join("2020/网页.html.txt").is_file());
    assert!(!a.out().join("2020/网页.html").exists());
    assert!(a.out().join("2020/图.svg.txt").is_file());
    assert!(a.out().join("2020/订阅.rss.txt").is_file());
    assert!(a.out().join("2020/页.xhtm.txt").is_file());
    assert_links_resolve(&a.out());
}

/// Issue #12 item 1: Firefox opens a file whose ending it does not know by
/// what its bytes look like, and runs a page's script (tried over file://:
/// an HTML file named `x`, `x.dat` or `x.ofd`). An attachment whose text
/// begins with markup is published as text whatever its ending; one whose
/// ending every browser opens as itself (`.pdf`, `.txt`) keeps its name.
#[test]
fn issue_12_an_attachment_whose_bytes_are_a_web_page_opens_as_text_whatever_its_ending() {
    let a = Archive::new();
    a.report(
        "2020/报告.md",
        &report(
            "报告",
            "市委办公室",
            "2020-05-01",
            "调研报告",
            "见[网页](网页)、[数据](数据.dat)、[版式](版式.ofd)、[表](表.dat)与[文](文.pdf)。\n",
        ),
    );
    let page = format!("<html><body>{PWN}</body></html>");
    a.write("content/2020/网页", page.as_bytes());
    a.write(
        "content/2020/数据.dat",
        format!("\u{feff}\n  {page}").as_bytes(),
    );
    a.write(
        "content/2020/版式.ofd",
        b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"/>",
    );
    a.write("content/2020/表.dat", b"1,2,3\n<b>4</b>\n");
    a.write("content/2020/文.pdf", page.as_bytes());
    let run = a.build();
    run.ok();
    let out = a.out();
    for (name, published) in [
        ("网页", "网页.txt"),
        ("数据.dat", "数据.dat.txt"),
        ("版式.ofd", "版式.ofd.txt"),
    ] {
        assert!(out.join("2020").join(published).is_file(), "{published}");
        assert!(!out.join("2020").join(name).exists(), "{name}");
        let warned = format!("content/2020/{name}: warning: this attachment holds a web page");
        assert!(
            run.stderr().contains(&warned),
            "{warned:?} in:\n{}",
            run.stderr()
        );
        assert!(
            run.stderr()
                .contains(&format!("published as \"{published}\""))
        );
    }
    for kept in ["表.dat", "文.pdf"] {
        assert!(out.join("2020").join(kept).is_file(), "{kept}");
        assert!(
            !run.stderr()
                .contains(&format!("content/2020/{kept}: warning: this attachment")),
            "{}",
            run.stderr()
        );
    }
    assert_eq!(
        std::fs::read(out.join("2020/网页.txt")).unwrap(),
        page.as_bytes()
    );
    assert_links_resolve(&out);
    assert!(
        a.page("2020/报告.html")
            .contains("href=\"%E6%95%B0%E6%8D%AE.dat.txt\"")
    );

    // Text again: published under its own name, and the .txt is gone.
    a.write("content/2020/数据.dat", b"1,2,3\n");
    a.build().ok();
    assert!(out.join("2020/数据.dat").is_file());
    assert!(!out.join("2020/数据.dat.txt").exists());
    assert_links_resolve(&out);
}

/// Issue #12 item 1: a name ending in dots or spaces loses them when published (Windows drops
/// them), so `页.htm..` became the page `页.htm`: its script ran, as only the name before that
/// was looked at and its text does not begin with markup. The ending as published counts.
#[test]
fn issue_12_an_attachment_that_becomes_a_page_once_its_name_is_trimmed_opens_as_text() {
    let a = Archive::new();
    a.report(
        "2020/报告.md",
        &report("报告", "市委办公室", "2020-05-01", "调研报告", "正文。\n"),
    );
    let text = format!("说明文字 {PWN}");
    a.write("content/2020/页.htm..", text.as_bytes());
    a.write("content/2020/图.SVG ", text.as_bytes());
    let run = a.build();
    run.ok();
    for (name, published) in [("页.htm..", "页.htm.txt"), ("图.SVG ", "图.SVG.txt")] {
        assert!(
            a.out().join("2020").join(published).is_file(),
            "{published}"
        );
        let warned = format!(
            "content/2020/{name}: warning: this attachment is a web page or image that can hold scripts"
        );
        assert!(
            run.stderr().contains(&warned),
            "{warned:?} in:\n{}",
            run.stderr()
        );
    }
    assert!(!a.out().join("2020/页.htm").exists());
    assert!(!a.out().join("2020/图.SVG").exists());
}

/// XML 1.0 allows tab, line ends and everything from U+0020 except the
/// surrogates and U+FFFE/U+FFFF.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Parses an XML file completely, checking every text and attribute value.
#[track_caller]
fn assert_well_formed_xml(path: &std::path::Path) {
    use quick_xml::events::Event;
    let xml = std::fs::read_to_string(path).unwrap();
    let bad: Vec<char> = xml.chars().filter(|c| !xml_char(*c)).collect();
    assert!(
        bad.is_empty(),
        "{}: characters XML forbids: {bad:?}",
        path.display()
    );
    let mut r = quick_xml::Reader::from_str(&xml);
    let mut depth = 0i32;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let known = ["amp", "lt", "gt", "quot", "apos"].contains(&r.as_ref());
                let char_ref = r.resolve_char_ref().ok().flatten();
                assert!(
                    known || char_ref.is_some_and(xml_char),
                    "{}: &{};",
                    path.display(),
                    r.as_ref()
                );
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("{} is not well-formed XML: {err}\n{xml}", path.display()),
        }
    }
    assert_eq!(depth, 0, "{}: unclosed elements", path.display());
}

/// Issue #12 item 7: control characters never reach any output.
#[test]
fn issue_12_control_characters_reach_no_page_feed_sitemap_or_search_index() {
    let a = Archive::new();
    a.write(
        "dangan.toml",
        b"title = \"\\u000B\xe6\xa1\xa3\xe6\xa1\x88\\u0007\"\n",
    );
    // Raw control characters in the front matter and the body.
    a.report(
        "2020/a.md",
        "---\ntitle: \"关于\u{b}某事的\u{1}报告 ]]> & <x>\"\nunit: \"市委\u{7}办公室\"\n\
         date: 2020-01-02\ntype: 调研报告\ntags: [\"党\u{1b}建\", 治理]\nsummary: \"摘要\u{85}\u{2028}内容\"\n---\n\n\
         正文\u{c}第二页\u{2}。\n",
    );
    // Written by YAML escapes, and a title from a heading with Word's line break.
    a.report(
        "2020/b.md",
        "---\nunit: \"区委\\x0b办\"\ndate: 2020-01-03\ntype: \"总结\\u0085\"\nauthor: \"张\\a三\"\n---\n\n\
         # 第一行\u{b}第二行\n\n正文\u{fffe}。\n",
    );
    // A file name with a control character: the title comes from it.
    a.report(
        "2020/c\u{1}d.md",
        "---\nunit: 区委办\ndate: 2020-01-04\ntype: 总结\n---\n\n正文。\n",
    );
    a.write("content/2020/c\u{1}d附件\u{7}.pdf", b"%PDF-1.4");
    // An attachment whose name and text the search index takes in.
    a.write(
        "content/2020/a附\u{7}件.txt",
        "附件\u{b}正文\u{2028}第二段\u{fffe}完\u{1}。\n".as_bytes(),
    );
    let run = a.build();
    run.ok();
    let err = run.stderr();
    for want in [
        "content/2020/a.md:2: warning: field `title`: 2 invisible control character(s) (U+000B (Word's manual line break)) are left out",
        "content/2020/a.md:3: warning: field `unit`: 1 invisible control character(s) (U+0007)",
        "content/2020/a.md:6: warning: field `tags`: 1 invisible control character(s) (U+001B (an escape code))",
        "content/2020/a.md:7: warning: field `summary`: 2 invisible control character(s) (U+0085)",
        "content/2020/b.md:2:1: warning: field `unit`: 1 invisible control character(s) (U+000B",
        "content/2020/b.md:4:1: warning: field `type`:",
        "content/2020/b.md:5:1: warning: field `author`:",
    ] {
        assert!(err.contains(want), "{want:?} missing in:\n{err}");
    }
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");

    let out = a.out();
    let mut checked = 0;
    let mut search_files = String::new();
    for e in walkdir::WalkDir::new(&out) {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(&out)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            !rel.chars().any(char::is_control),
            "an output is named {rel:?}"
        );
        let text_kind = ["html", "xml", "js", "json", "css", "txt"]
            .iter()
            .any(|x| rel.ends_with(&format!(".{x}")));
        // An attachment is published as it is, byte for byte: its text is the
        // author's, only the index's copy of it is cleaned.
        let attachment = rel == "2020/a附_件.txt";
        if !e.file_type().is_file() || !text_kind || attachment {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        // The search index's shards are UTF-16LE scripts with a byte-order mark.
        let text = match bytes.strip_prefix(&[0xff, 0xfe]) {
            Some(utf16) => {
                let units: Vec<u16> = utf16
                    .chunks(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect();
                String::from_utf16(&units).unwrap_or_else(|err| panic!("{rel}: {err}"))
            }
            None => String::from_utf8(bytes).unwrap_or_else(|err| panic!("{rel}: {err}")),
        };
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| {
                (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                    || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
            })
            .collect();
        assert!(bad.is_empty(), "{rel} holds control characters {bad:?}");
        // Nor written as JSON escapes in the search index, to be unescaped in the page.
        let escaped = [
            "\\u000", "\\u001", "\\u007f", "\\u008", "\\u009", "\\u202", "\\ufff",
        ];
        for e in escaped.iter().filter(|_| rel.starts_with("_search/")) {
            assert!(
                !text.to_lowercase().contains(e),
                "{rel} holds {e}…:\n{text}"
            );
        }
        if rel.starts_with("_search/") {
            search_files.push_str(&text);
        }
        checked += 1;
    }
    assert!(checked > 10, "only {checked} files checked");
    // The attachment's text and name are in the index, cleaned.
    assert!(search_files.contains("\"a附件.txt\""), "{search_files}");
    assert!(search_files.contains('段'), "{search_files}");
    let page = a.page("2020/a.html");
    assert!(
        page.contains("关于 某事的报告 ]]&gt; &amp; &lt;x&gt;"),
        "{page}"
    );
    assert!(a.page("2020/b.html").contains("第一行 第二行"));
    assert!(a.page("2020/c_d.html").contains("<h1>cd</h1>"));
    assert!(a.page("2020/c_d.html").contains(">cd附件.pdf</a>"));

    let feeds: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    assert!(
        feeds.len() >= 4,
        "feed, sitemap and two unit feeds: {feeds:?}"
    );
    for f in &feeds {
        assert_well_formed_xml(f);
    }
    let feed = std::fs::read_to_string(out.join("feed.xml")).unwrap();
    assert!(
        feed.contains("<title>关于 某事的报告 ]]&gt; &amp; &lt;x&gt;</title>"),
        "{feed}"
    );
}

/// Issue #12 item 6, in a report: UTF-8 but for a damaged byte is read as
/// UTF-8 with a warning naming the line, not refused as GBK.
#[test]
fn issue_12_a_report_with_a_damaged_byte_builds_with_a_warning_naming_its_line() {
    let a = Archive::new();
    let mut bytes = report(
        "报告",
        "市委办公室",
        "2020-05-01",
        "调研报告",
        "第一段。\n\n第二段正文。",
    )
    .into_bytes();
    let at = bytes.windows(3).position(|w| w == "正".as_bytes()).unwrap();
    bytes.insert(at, 0xc3);
    a.write("content/2020/报告.md", &bytes);
    let run = a.build();
    run.ok();
    assert!(
        run.stderr().contains("content/2020/报告.md:10: warning: 1 byte sequence(s) are not UTF-8 and are shown as \u{fffd} (line 10)"),
        "{}",
        run.stderr()
    );
    assert!(a.page("2020/报告.html").contains("第二段\u{fffd}正文。"));
    // Really another encoding is still refused, with the encoding named.
    let text = report("报告", "市委办公室", "2020-05-01", "调研报告", "第一段。");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    a.write("content/2020/报告.md", &gbk);
    let run = a.build();
    run.fails(1);
    assert!(run.stderr().contains("probably GBK"), "{}", run.stderr());
}

/// Issue #12, smaller ones: `new` never writes a file that `build` passes
/// over (a name starting with `.` is hidden, `~$` is an Office lock file).
#[test]
fn issue_12_new_writes_a_report_that_build_sees_whatever_the_title() {
    let a = Archive::new();
    for title in [".NET平台建设调研报告", "~$临时报告", "..."] {
        a.run(&[
            "new",
            title,
            "--unit",
            "信息中心",
            "--type",
            "调研报告",
            "--date",
            "2024-03-05",
        ])
        .ok();
    }
    let run = a.build();
    run.ok();
    assert!(
        run.stderr().contains("built 3 report(s)"),
        "{}",
        run.stderr()
    );
    let page = a.page("2024/NET平台建设调研报告.html");
    assert!(page.contains("<h1>.NET平台建设调研报告</h1>"), "{page}");
    assert!(a.out().join("2024/临时报告.html").is_file());
    assert!(a.out().join("2024/_.html").is_file());
}

/// `new` and `init` never write through a link: one at the name they would
/// write, even a link to nothing, made them create a file outside the
/// archive (#12 items 4 and 9: nothing is overwritten, nothing outside the
/// archive is touched through a link).
#[cfg(unix)]
#[test]
fn issue_12_new_and_init_never_write_through_a_link() {
    use std::os::unix::fs::symlink;
    let a = Archive::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(a.root().join("content/2024")).unwrap();
    symlink(
        outside.path().join("报告.md"),
        a.root().join("content/2024/报告.md"),
    )
    .unwrap();
    let run = a.run(&[
        "new",
        "报告",
        "--unit",
        "信息中心",
        "--type",
        "总结",
        "--date",
        "2024-03-05",
    ]);
    run.fails(2);
    assert!(
        run.stderr().contains("报告.md exists already"),
        "{}",
        run.stderr()
    );
    symlink(
        outside.path().join("dangan.toml"),
        a.root().join("dangan.toml"),
    )
    .unwrap();
    symlink(
        outside.path().join("gitignore"),
        a.root().join(".gitignore"),
    )
    .unwrap();
    let init = a.run(&["init", "--force", "."]);
    init.ok();
    for kept in ["kept ./dangan.toml", "kept ./.gitignore (it is a link)"] {
        assert!(init.stderr().contains(kept), "{}", init.stderr());
    }
    let written: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert!(
        written.is_empty(),
        "written outside the archive: {written:?}"
    );
}

/// Issue #12, smaller ones: the drafts left out are named.
#[test]
fn issue_12_the_drafts_left_out_are_named() {
    let a = Archive::new();
    a.report(
        "2020/a.md",
        &report("甲", "市委", "2020-01-01", "总结", "正文。"),
    );
    a.report(
        "2020/草稿.md",
        "---\ntitle: 草稿\nunit: 市委\ndate: 2020-01-02\ntype: 总结\ndraft: true\n---\n正文。\n",
    );
    for args in [&["build"][..], &["check"]] {
        let run = a.run(args);
        run.ok();
        assert!(
            run.stderr()
                .contains("1 report(s), 1 draft(s) left out (content/2020/草稿.md)"),
            "{}",
            run.stderr()
        );
    }
}

/// Issue #12, smaller ones: importing outside `content/` says that those
/// reports will not be built.
#[test]
fn issue_12_import_into_a_folder_outside_content_warns() {
    let a = Archive::new();
    a.write(
        "in/报告.txt",
        "关于基层党建工作的调研报告\n为深入了解情况，我们开展了调研。\n".as_bytes(),
    );
    let run = a.run(&[
        "import", "in", "--into", "导入", "--unit", "市委", "--date", "2020-05",
    ]);
    run.ok();
    assert!(
        run.stderr()
            .contains("warning: the reports are written to 导入, which is outside")
            && run.stderr().contains("`dangan build` will not see them"),
        "{}",
        run.stderr()
    );
    for into in ["content/导入", "content/x/../导入2"] {
        let run = a.run(&[
            "import", "in", "--into", into, "--unit", "市委", "--date", "2020-05",
        ]);
        run.ok();
        assert!(
            !run.stderr().contains("outside"),
            "{into}: {}",
            run.stderr()
        );
    }
    let run = a.run(&["import", "in", "--into", "content/../导入3", "--dry-run"]);
    assert!(
        run.stderr()
            .contains("would be written to content/../导入3, which is outside"),
        "{}",
        run.stderr()
    );
}

/// A name typed by hand with invisible format characters: a right-to-left
/// override makes `甲-附件\u{202e}fdp.exe` show as `甲-附件exe.pdf` (in
/// Explorer, on the page that lists it, in a terminal). The build publishes
/// it without them, under the name it really has, lists it so on the page,
/// and warns naming the file, the character and the fix; no output path,
/// page or message holds the character.
#[test]
fn a_file_name_with_a_right_to_left_override_is_published_without_it_and_named() {
    let a = Archive::new();
    a.report(
        "2020/甲.md",
        &report("甲报告", "市委", "2020-01-01", "总结", "正文。"),
    );
    a.write("content/2020/甲-附件\u{202e}fdp.exe", b"MZ");
    a.write(
        "content/2020/乙\u{200b}\u{2066}.md",
        report("乙报告", "市委", "2020-02-01", "总结", "正文。").as_bytes(),
    );
    let run = a.build();
    run.ok();
    let stderr = run.stderr();
    assert!(
        !stderr.contains(['\u{202e}', '\u{200b}', '\u{2066}']),
        "{stderr}"
    );
    for (file, published) in [
        ("甲-附件\\u{202e}fdp.exe", "2020/甲-附件fdp.exe"),
        ("乙\\u{200b}\\u{2066}.md", "2020/乙.html"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("content/2020/{file}: warning")))
            .unwrap_or_else(|| panic!("no warning for {file}: {stderr}"));
        assert!(
            line.contains(&format!("is published as {published}")) && line.contains("invisible"),
            "{line}"
        );
        assert!(a.out().join(published).is_file(), "{published}");
    }
    assert!(
        stderr.contains("U+202E") && stderr.contains("rename the file"),
        "{stderr}"
    );
    for e in walkdir::WalkDir::new(a.out())
        .into_iter()
        .map(Result::unwrap)
    {
        let rel = e
            .path()
            .strip_prefix(a.out())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            !rel.contains(['\u{202e}', '\u{200b}', '\u{2066}']),
            "{rel:?}"
        );
        if rel.ends_with(".html") {
            let page = std::fs::read_to_string(e.path()).unwrap();
            assert!(!page.contains('\u{202e}'), "{rel}");
        }
    }
    assert!(a.page("2020/甲.html").contains("甲-附件fdp.exe"));
}
