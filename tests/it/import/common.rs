//! Helpers shared by the integration tests: running an import, the
//! no-text-lost check, front matter and Markdown checks, a DOCX builder.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use dangan::import::{ImportOptions, ImportSummary, ImportedReport, import, source_lines};
use pulldown_cmark::{Event, Options, Parser, Tag};

pub use crate::support::samples_dir;

pub fn sample(prefix: &str) -> PathBuf {
    let dir = samples_dir();
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no sample {prefix} in {}", dir.display()))
}

pub fn opts(inputs: &[&Path], into: &Path) -> ImportOptions {
    ImportOptions {
        inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
        unit: Some("某单位".into()),
        into: into.to_path_buf(),
        dry_run: true,
        ..ImportOptions::default()
    }
}

/// A dry-run import with `--unit 某单位` into a fresh folder.
pub fn dry(inputs: &[&Path]) -> ImportSummary {
    let out = tempfile::tempdir().unwrap();
    import(&opts(inputs, &out.path().join("out"))).unwrap()
}

pub fn reports_of<'a>(s: &'a ImportSummary, source: &Path) -> Vec<&'a ImportedReport> {
    s.reports.iter().filter(|r| r.source == source).collect()
}

/// Front matter and body of a written report.
pub fn split_md(md: &str) -> (&str, &str) {
    let rest = md
        .strip_prefix("---\n")
        .expect("front matter opens with ---");
    let end = rest.find("\n---\n").expect("front matter closes with ---");
    (&rest[..end], rest[end + 5..].trim_start_matches('\n'))
}

pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

pub fn han(s: &str) -> Vec<char> {
    s.chars().filter(|&c| is_han(c)).collect()
}

pub fn non_space(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .collect()
}

/// The source text minus what the summary lists as removed, line by line.
pub fn kept_source(source: &Path, reports: &[&ImportedReport]) -> String {
    let lines = source_lines(source).expect("source readable");
    let mut removed: HashMap<usize, Vec<&str>> = HashMap::new();
    for r in reports {
        for l in &r.removed_lines {
            removed.entry(l.line).or_default().push(&l.text);
        }
    }
    let mut out = String::new();
    for (no, text) in lines {
        let mut t = text.clone();
        for frag in removed.get(&no).into_iter().flatten() {
            if t.trim() == *frag {
                t.clear();
            } else {
                let at = t
                    .find(frag)
                    .unwrap_or_else(|| panic!("removed text {frag:?} is not in line {no}: {t:?}"));
                t.replace_range(at..at + frag.len(), "");
            }
        }
        out.push_str(&t);
        out.push('\n');
    }
    out
}

fn title_from_file_name(r: &ImportedReport) -> bool {
    r.inferred
        .iter()
        .any(|i| i.field == "title" && i.from.starts_with("the file name"))
}

/// Checks that `outputs` (one per report, in order) hold exactly `input`,
/// each report's title taken out of the input where it stands.
pub fn assert_sequence(
    input: &[char],
    reports: &[&ImportedReport],
    outputs: &[Vec<char>],
    what: &str,
    filter: fn(&str) -> Vec<char>,
) {
    let mut p = 0;
    for (r, body) in reports.iter().zip(outputs) {
        let title = if title_from_file_name(r) {
            Vec::new()
        } else {
            filter(&r.title)
        };
        let rest = &input[p..];
        let q = find(rest, &title).unwrap_or_else(|| {
            panic!(
                "{what}: title {:?} not found in the source after position {p}",
                r.title
            )
        });
        let expected: Vec<char> = rest[..q]
            .iter()
            .chain(&rest[q + title.len()..])
            .copied()
            .collect();
        if let Some(k) = first_difference(body, &expected) {
            let show = |v: &[char]| {
                v[k.saturating_sub(20)..(k + 20).min(v.len())]
                    .iter()
                    .collect::<String>()
            };
            panic!(
                "{what}: report {:?} differs at {k}:\n  source: {}\n  output: {}",
                r.title,
                show(&expected),
                show(body)
            );
        }
        assert!(
            body.len() >= q,
            "{what}: title of {:?} stands after its body",
            r.title
        );
        p += body.len() + title.len();
    }
    if p != input.len() {
        let tail: String = input[p..].iter().take(40).collect();
        panic!(
            "{what}: {} characters of the source are missing from the output, starting: {tail}",
            input.len() - p
        );
    }
}

/// Where `body` stops being a prefix of `expected`.
fn first_difference(body: &[char], expected: &[char]) -> Option<usize> {
    let n = body.len().min(expected.len());
    (0..n)
        .find(|&k| body[k] != expected[k])
        .or((body.len() > expected.len()).then_some(n))
}

fn find(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The no-text-lost property: the Han characters of the source minus the
/// removed lines equal those of the titles and bodies, in order; and the text
/// Markdown renders holds every non-space character of the source minus the
/// removed lines (so escaping and markup lost nothing either).
pub fn assert_no_text_lost(source: &Path, reports: &[&ImportedReport]) {
    assert!(!reports.is_empty(), "no report from {}", source.display());
    let kept = kept_source(source, reports);
    let bodies: Vec<Vec<char>> = reports
        .iter()
        .map(|r| han(split_md(&r.markdown).1))
        .collect();
    assert_sequence(&han(&kept), reports, &bodies, "Han characters", han);
    let rendered: Vec<Vec<char>> = reports
        .iter()
        .map(|r| non_space(&rendered_text(split_md(&r.markdown).1)))
        .collect();
    assert_sequence(
        &non_space(&kept),
        reports,
        &rendered,
        "rendered text",
        non_space,
    );
}

pub fn cmark_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The text a Markdown body renders to (what a reader sees).
pub fn rendered_text(body: &str) -> String {
    Parser::new_ext(body, cmark_options())
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.into_string()),
            Event::Html(_) | Event::InlineHtml(_) => panic!("raw HTML in the output: {e:?}"),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

/// Heading counts by level as the Markdown parser sees them: [h1, h2, …, h6].
pub fn heading_counts(body: &str) -> [usize; 6] {
    let mut n = [0; 6];
    for e in Parser::new_ext(body, cmark_options()) {
        if let Event::Start(Tag::Heading { level, .. }) = e {
            n[level as usize - 1] += 1;
        }
    }
    n
}

/// Strict YAML parse of the front matter; checks the fields dangan requires
/// (a draft may lack them, never have them empty).
pub fn front_matter(md: &str) -> BTreeMap<String, String> {
    let (yaml, _) = split_md(md);
    assert!(
        yaml.starts_with("# imported from "),
        "first front matter line is the comment: {yaml}"
    );
    let map: BTreeMap<String, String> =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{yaml}"));
    let draft = map.get("draft").is_some_and(|d| d == "true");
    for key in ["title", "unit", "date", "type"] {
        assert!(
            map.get(key).is_some_and(|v| !v.trim().is_empty()) || draft && !map.contains_key(key),
            "{key} missing in {yaml}"
        );
    }
    let Some(d) = map.get("date") else {
        return map;
    };
    let ok = (d.len() == 7 || d.len() == 10)
        && d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    assert!(ok, "date {d} is not YYYY-MM(-DD)");
    map
}

/// One paragraph of a generated DOCX.
pub enum P<'a> {
    Styled(&'a str, &'a str),
    Plain(&'a str),
    /// numId, ilvl, text
    Num(u32, u32, &'a str),
    Table(Vec<Vec<&'a str>>),
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn para_xml(style: Option<&str>, num: Option<(u32, u32)>, text: &str) -> String {
    let mut ppr = String::new();
    if let Some(s) = style {
        ppr.push_str(&format!(r#"<w:pStyle w:val="{s}"/>"#));
    }
    if let Some((id, lvl)) = num {
        ppr.push_str(&format!(
            r#"<w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="{id}"/></w:numPr>"#
        ));
    }
    // Split the text over two runs, as Word often does.
    let cut = text.char_indices().nth(2).map_or(text.len(), |(i, _)| i);
    format!(
        r#"<w:p><w:pPr>{ppr}</w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r><w:r><w:t>{}</w:t></w:r></w:p>"#,
        xml_escape(&text[..cut]),
        xml_escape(&text[cut..])
    )
}

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn document_xml(paras: &[P<'_>]) -> String {
    let cell = |c: &&str| format!("<w:tc>{}</w:tc>", para_xml(None, None, c));
    let mut body = String::new();
    for p in paras {
        body.push_str(&match p {
            P::Styled(s, t) => para_xml(Some(s), None, t),
            P::Plain(t) => para_xml(None, None, t),
            P::Num(id, lvl, t) => para_xml(None, Some((*id, *lvl)), t),
            P::Table(rows) => {
                let rows: String = rows
                    .iter()
                    .map(|r| format!("<w:tr>{}</w:tr>", r.iter().map(cell).collect::<String>()))
                    .collect();
                format!("<w:tbl><w:tblPr/>{rows}</w:tbl>")
            }
        });
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{body}<w:sectPr/></w:body></w:document>"#
    )
}

/// Styles "Title" and "1", "2", "3" named `heading_names`, all based on Normal.
fn styles_xml(heading_names: [&str; 3]) -> String {
    let style = |id: &str, name: &str| {
        format!(
            r#"<w:style w:type="paragraph" w:styleId="{id}"><w:name w:val="{name}"/><w:basedOn w:val="a"/></w:style>"#
        )
    };
    let named: String = ["1", "2", "3"]
        .iter()
        .zip(heading_names)
        .map(|(id, n)| style(id, n))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:styles {NS}><w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style>{}{named}</w:styles>"#,
        style("Title", "Title")
    )
}

/// numId 1: decimal "1." (level 2 "1)"), 2: bullets, 3: Chinese "一、".
fn numbering_xml() -> String {
    let lvl = |fmt: &str, text: &str| {
        format!(
            r#"<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2)"/></w:lvl>"#
        )
    };
    let abs: String = [
        ("decimal", "%1."),
        ("bullet", "•"),
        ("chineseCounting", "%1、"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (f, t))| {
        format!(
            r#"<w:abstractNum w:abstractNumId="{i}">{}</w:abstractNum>"#,
            lvl(f, t)
        )
    })
    .collect();
    let nums: String = (0..3)
        .map(|i| {
            format!(
                r#"<w:num w:numId="{}"><w:abstractNumId w:val="{i}"/></w:num>"#,
                i + 1
            )
        })
        .collect();
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:numbering {NS}>{abs}{nums}</w:numbering>"#)
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>"#;

/// A minimal DOCX: document.xml, styles.xml (`heading_names` gives the names
/// of the styles with ids "1", "2", "3"), numbering.xml, content types, rels.
pub fn docx(paras: &[P<'_>], heading_names: [&str; 3]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default();
    for (name, data) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", RELS.to_string()),
        ("word/_rels/document.xml.rels", DOC_RELS.to_string()),
        ("word/document.xml", document_xml(paras)),
        ("word/styles.xml", styles_xml(heading_names)),
        ("word/numbering.xml", numbering_xml()),
    ] {
        zip.start_file(name, opt).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
