//! Issue #18: search finds what is written in the attachments. An archive
//! whose reports have a DOCX, an XLSX, a PDF (Chinese text printed by
//! Chromium here: a CID font with a ToUnicode map, as Word and WPS write
//! them) and a GBK text file beside them, searched in headless Chromium over
//! `file://`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Archive;
use crate::support::webdriver::{Browser, TempDir};

fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default();
    for (name, data) in parts {
        zip.start_file(*name, opt).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A Word document of paragraphs, as Word lays out the minimum.
pub fn docx(paras: &[&str]) -> Vec<u8> {
    let body: String = paras
        .iter()
        .map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"))
        .collect();
    zip_of(&[
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.into()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.into()),
        ("word/document.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#)),
    ])
}

/// A workbook with one sheet named `sheet`, a row of shared strings per row of `rows`.
pub fn xlsx(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut strings = Vec::new();
    let mut data = String::new();
    for (r, row) in rows.iter().enumerate() {
        data.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let col = char::from(b'A' + c as u8);
            data.push_str(&format!(
                r#"<c r="{col}{}" t="s"><v>{}</v></c>"#,
                r + 1,
                strings.len()
            ));
            strings.push(format!("<si><t>{cell}</t></si>"));
        }
        data.push_str("</row>");
    }
    zip_of(&[
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.into()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.into()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#)),
        ("xl/sharedStrings.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#, strings.concat())),
    ])
}

/// Chromium's print of a page of Chinese text in a TrueType CJK font: a CID
/// font (CIDFontType2, Identity-H) with a ToUnicode map.
pub fn chinese_pdf(browser: &Browser, paras: &[&str]) -> Vec<u8> {
    let dir = TempDir::new("pdf-source");
    let html = dir.0.join("附件.html");
    let body: String = paras.iter().map(|p| format!("<p>{p}</p>")).collect();
    std::fs::write(
        &html,
        format!(
            "<!doctype html><meta charset=\"utf-8\"><title>附件</title>\
             <body style=\"font-family: 'WenQuanYi Micro Hei', sans-serif\">{body}</body>"
        ),
    )
    .unwrap();
    browser.goto(&format!("file://{}", html.display()));
    let pdf = browser.print_pdf();
    let has = |s: &str| pdf.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(
        has("/CIDFontType2") && has("/Identity-H") && has("/ToUnicode"),
        "Chromium printed no CID font with a ToUnicode map: is fonts-wqy-microhei installed (scripts/test.sh)?"
    );
    pdf
}

const FRONT: &str = "unit: 组织部\ntype: 工作总结\n";

fn report(a: &Archive, dir: &str, title: &str, date: &str, body: &str) {
    a.report(
        &format!("{dir}/{title}.md"),
        &format!("---\ntitle: {title}\n{FRONT}date: {date}\n---\n\n{body}\n"),
    );
}

/// The listed results: (link, snippet text).
fn results(b: &Browser, html: &Path, q: &str) -> Vec<(String, String)> {
    let url = format!(
        "file://{}?q={}",
        html.display(),
        percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
    );
    b.goto(&url);
    b.wait_for(
        &format!("results for {q}"),
        "var s = document.getElementById('dg-status');
         return !!s && (s.dataset.state === 'done' || s.dataset.state === 'empty' || s.dataset.state === 'error');",
        json!([]),
        Duration::from_secs(15),
    );
    let v: Value = b.eval(
        "return Array.from(document.querySelectorAll('#dg-results li')).map(function (li) {
           var a = li.querySelector('a.dg-title'), p = li.querySelector('.dg-snippet');
           return [a ? a.getAttribute('href') : '', p ? p.textContent : ''];
         });",
        json!([]),
    );
    let got: Vec<(String, String)> = serde_json::from_value(v).unwrap();
    got.into_iter()
        .map(|(href, text)| {
            let href = percent_encoding::percent_decode_str(&href)
                .decode_utf8_lossy()
                .into_owned();
            (href, text)
        })
        .collect()
}

#[test]
fn search_finds_phrases_that_only_attachments_hold() {
    let browser = Browser::start();
    let a = Archive::new();
    report(
        &a,
        "甲",
        "组织工作总结",
        "2021-03-01",
        "今年组织工作稳步推进",
    );
    a.write(
        "content/甲/附件1-党员名册.docx",
        &docx(&["党员名册", "第一党支部现有党员四十二名，其中预备党员三名。"]),
    );
    report(&a, "乙", "统计工作总结", "2021-04-01", "统计工作按时完成。");
    a.write(
        "content/乙/附表-经费统计.xlsx",
        &xlsx(
            "经费明细",
            &[&["项目", "金额"], &["基层阵地修缮费", "128500"]],
        ),
    );
    report(&a, "丙", "宣传工作总结", "2021-05-01", "宣传工作有声有色。");
    let pdf = chinese_pdf(
        &browser,
        &["附件：宣传活动一览", "全年开展红色文化进社区活动二十六场。"],
    );
    a.write("content/丙/附件-活动一览.pdf", &pdf);
    report(&a, "丁", "信访工作总结", "2021-06-01", "信访工作平稳有序。");
    let (gbk, _, _) =
        encoding_rs::GBK.encode("来访群众登记簿\r\n涉及拆迁补偿的来访共十七批次。\r\n");
    a.write("content/丁/来访登记.txt", &gbk);
    // A damaged PDF: a warning naming it, and the build goes on.
    report(&a, "戊", "档案工作总结", "2021-07-01", "档案工作规范有序。");
    a.write(
        "content/戊/扫描件.pdf",
        b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type",
    );
    // The report itself says a phrase that another report's attachment holds.
    report(
        &a,
        "己",
        "党员发展工作总结",
        "2020-01-01",
        "截至年底，其中预备党员三名。",
    );

    let run = a.build();
    run.ok();
    let err = run.stderr();
    assert!(
        err.contains("content/戊/扫描件.pdf") && err.contains("warning"),
        "the damaged attachment is named in a warning:\n{err}"
    );
    assert!(
        !err.contains("附件1-党员名册.docx") && !err.contains("附件-活动一览.pdf"),
        "the readable attachments give no warning:\n{err}"
    );

    let html = a.out().join("search.html");
    let cases = [
        (
            "四十二名",
            "甲/组织工作总结.html",
            "附件：附件1-党员名册.docx",
        ),
        (
            "基层阵地修缮费",
            "乙/统计工作总结.html",
            "附件：附表-经费统计.xlsx",
        ),
        ("128500", "乙/统计工作总结.html", "附件：附表-经费统计.xlsx"),
        (
            "经费明细",
            "乙/统计工作总结.html",
            "附件：附表-经费统计.xlsx",
        ),
        (
            "红色文化进社区",
            "丙/宣传工作总结.html",
            "附件：附件-活动一览.pdf",
        ),
        ("拆迁补偿", "丁/信访工作总结.html", "附件：来访登记.txt"),
    ];
    for (q, page, named) in cases {
        let got = results(&browser, &html, q);
        assert_eq!(got.len(), 1, "{q}: {got:?}");
        assert!(got[0].0.ends_with(page), "{q}: {got:?}");
        assert!(
            got[0].1.starts_with(named) && got[0].1.contains(q),
            "{q}: the snippet names the attachment and shows the passage: {got:?}"
        );
        assert!(
            !got[0].1.contains("工作"),
            "{q}: the passage is the attachment's, not the report's: {got:?}"
        );
    }
    // Found in the report itself first, then in the attachment of another.
    let got = results(&browser, &html, "预备党员三名");
    let pages: Vec<&str> = got.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        pages,
        ["己/党员发展工作总结.html", "甲/组织工作总结.html"],
        "{got:?}"
    );
    assert!(!got[0].1.contains("附件："), "{got:?}");
    // In none of them, and not across the end of one text and the start of the next.
    assert!(results(&browser, &html, "预算执行审计").is_empty());
    assert!(results(&browser, &html, "稳步推进党员名册").is_empty());
}
