//! Attachments made here (DOCX and XLSX with the zip crate, PDFs with
//! lopdf's writer), read back; the browser-printed PDF is in tests/it.

use std::io::Write;
use std::time::Duration;

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

use super::*;

fn read(bytes: &[u8], kind: Kind) -> Result<Extracted, Unreadable> {
    extract_bytes(bytes, kind, &LIMITS, false)
}

fn text(bytes: &[u8], kind: Kind) -> String {
    match read(bytes, kind) {
        Ok(e) => e.text,
        Err(u) => panic!("unreadable: {} ({})", u.message, u.hint),
    }
}

fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default();
    for (name, data) in parts {
        zip.start_file(*name, opt).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn docx(paras: &[&str]) -> Vec<u8> {
    let body: String = paras
        .iter()
        .map(|p| format!("<w:p><w:r><w:t>{p}</w:t></w:r></w:p>"))
        .collect();
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:tbl><w:tr><w:tc><w:p><w:r><w:t>姓名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>张三丰</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#
    );
    zip_of(&[("word/document.xml", &doc)])
}

/// A cell: its reference, its XML inside `<c>`, its type attribute.
type Cell<'a> = (&'a str, &'a str, &'a str);

/// A workbook: its sheets with their cells, and its shared strings.
fn xlsx(sheets: &[(&str, &[Cell<'_>])], shared: &[&str]) -> Vec<u8> {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut sheet_list = String::new();
    let mut rels = String::new();
    for (i, (name, cells)) in sheets.iter().enumerate() {
        let n = i + 1;
        sheet_list.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        let mut rows: Vec<(u32, String)> = Vec::new();
        for (r, v, t) in cells.iter() {
            let row: u32 = r
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .unwrap();
            let cell = format!(r#"<c r="{r}"{t}>{v}</c>"#);
            match rows.last_mut() {
                Some((last, xml)) if *last == row => xml.push_str(&cell),
                _ => rows.push((row, cell)),
            }
        }
        let data: String = rows
            .iter()
            .map(|(r, xml)| format!(r#"<row r="{r}">{xml}</row>"#))
            .collect();
        parts.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
            ),
        ));
    }
    let strings: String = shared
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    parts.push((
        "xl/workbook.xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheet_list}</sheets></workbook>"#
        ),
    ));
    parts.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        ),
    ));
    parts.push((
        "xl/sharedStrings.xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>"#
        ),
    ));
    parts.push((
        "_rels/.rels".into(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into(),
    ));
    parts.push((
        "[Content_Types].xml".into(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#.into(),
    ));
    let refs: Vec<(&str, &str)> = parts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    zip_of(&refs)
}

/// A ToUnicode CMap giving code `width` bytes wide number i + 1 the i-th character of `chars`.
fn to_unicode(chars: &[char], width: usize) -> Vec<u8> {
    let hex = |n: usize| format!("{n:0w$X}", w = width * 2);
    let entries: String = chars
        .iter()
        .enumerate()
        .map(|(i, c)| format!("<{}> <{:04X}>\n", hex(i + 1), *c as u32))
        .collect();
    format!(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /T def /CMapType 2 def\n1 begincodespacerange\n<{}> <{}>\nendcodespacerange\n{} beginbfchar\n{entries}endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n",
        hex(0),
        "FF".repeat(width),
        chars.len()
    )
    .into_bytes()
}

/// The string that draws `s` with codes from [`to_unicode`] over `chars`.
fn codes(s: &str, chars: &[char], width: usize) -> String {
    s.chars()
        .map(|c| {
            let i = chars.iter().position(|&x| x == c).unwrap() + 1;
            format!("{i:0w$X}", w = width * 2)
        })
        .collect()
}

/// A one-page PDF with fonts `fonts` and forms `xobjects` drawing `content`.
fn pdf(mut fonts: Dictionary, xobjects: Dictionary, content: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    // Streams (ToUnicode maps) are objects of their own in a PDF.
    for (_, font) in fonts.iter_mut() {
        if let Object::Dictionary(f) = font {
            for (_, v) in f.iter_mut() {
                if let Object::Stream(s) = v {
                    let id = doc.add_object(s.clone());
                    *v = Object::Reference(id);
                }
            }
        }
    }
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => fonts, "XObject" => xobjects },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A PDF whose font is a CID font (Identity-H) with a ToUnicode map, as Word
/// and WPS write Chinese, drawing `lines` one under the other.
fn cid_pdf(lines: &[&str]) -> Vec<u8> {
    let mut chars: Vec<char> = lines.iter().flat_map(|l| l.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    let mut doc_fonts = Dictionary::new();
    doc_fonts.set(
        "F1",
        dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "ABCDEF+SimSun",
            "Encoding" => "Identity-H",
            "ToUnicode" => Stream::new(dictionary! {}, to_unicode(&chars, 2)),
        },
    );
    let mut content = String::from("BT /F1 12 Tf\n");
    for (i, l) in lines.iter().enumerate() {
        content.push_str(&format!(
            "1 0 0 1 72 {} Tm <{}> Tj\n",
            700 - 20 * i as i64,
            codes(l, &chars, 2)
        ));
    }
    content.push_str("ET\n");
    pdf(doc_fonts, Dictionary::new(), &content)
}

#[test]
fn kinds_by_name() {
    assert_eq!(Kind::of("附件1-党员名册.DOCX"), Some(Kind::Docx));
    assert_eq!(Kind::of("统计.xlsx"), Some(Kind::Xlsx));
    assert_eq!(Kind::of("a.b.pdf"), Some(Kind::Pdf));
    assert_eq!(Kind::of("名单.txt"), Some(Kind::Text));
    assert_eq!(Kind::of("照片.jpg"), None);
    assert_eq!(Kind::of("旧.doc"), None);
    assert_eq!(Kind::of("pdf"), None);
}

#[test]
fn docx_paragraphs_and_tables() {
    let t = text(
        &docx(&["第一党支部现有党员四十二名", "其中预备党员三名"]),
        Kind::Docx,
    );
    assert_eq!(
        t,
        "第一党支部现有党员四十二名\n其中预备党员三名\n姓名 张三丰"
    );
}

#[test]
fn xlsx_sheet_names_and_cells_row_by_row() {
    let book = xlsx(
        &[
            (
                "党员名册",
                &[
                    ("A1", "<v>0</v>", r#" t="s""#),
                    ("B1", "<v>1</v>", r#" t="s""#),
                    ("A2", "<is><t>张三丰</t></is>", r#" t="inlineStr""#),
                    ("B2", "<v>42</v>", ""),
                    ("C2", "<v>3.5</v>", ""),
                ],
            ),
            ("汇总表", &[("B3", "<v>2</v>", r#" t="s""#)]),
        ],
        &["姓名", "党龄", "合计人数"],
    );
    assert_eq!(
        text(&book, Kind::Xlsx),
        "党员名册\n姓名\t党龄\n张三丰\t42\t3.5\n汇总表\n合计人数"
    );
}

#[test]
fn a_sparse_sheet_is_read_cell_by_cell() {
    // A1 and XFD1048576: as a range, 17 billion cells.
    let book = xlsx(
        &[(
            "表",
            &[
                ("A1", "<v>0</v>", r#" t="s""#),
                ("XFD1048576", "<v>1</v>", r#" t="s""#),
            ],
        )],
        &["开头", "末尾"],
    );
    assert_eq!(text(&book, Kind::Xlsx), "表\n开头\n末尾");
}

#[test]
fn pdf_cid_font_with_to_unicode_map() {
    let p = cid_pdf(&["附件：党员名册统计", "第一党支部现有党员四十二名。"]);
    assert_eq!(
        text(&p, Kind::Pdf),
        "附件：党员名册统计\n第一党支部现有党员四十二名。"
    );
}

#[test]
fn pdf_type3_font_is_read_by_its_map_not_its_glyph_names() {
    // Chromium's Type 3 fonts: /Differences with made-up glyph names, and a ToUnicode map.
    let chars: Vec<char> = "预备党员".chars().collect();
    let fonts = dictionary! {
        "F1" => dictionary! {
            "Type" => "Font", "Subtype" => "Type3",
            "Encoding" => dictionary! {
                "Type" => "Encoding",
                "Differences" => vec![1.into(), "g1".into(), "g2".into(), "g3".into(), "g4".into()],
            },
            "ToUnicode" => Stream::new(dictionary! {}, to_unicode(&chars, 1)),
        },
    };
    let content = format!("BT /F1 1 Tf <{}> Tj ET", codes("预备党员", &chars, 1));
    assert_eq!(
        text(&pdf(fonts, Dictionary::new(), &content), Kind::Pdf),
        "预备党员"
    );
}

#[test]
fn pdf_chinese_font_without_map_in_a_gbk_cmap() {
    let (gbk, _, _) = encoding_rs::GBK.encode("基层党建工作");
    let hex: String = gbk.iter().map(|b| format!("{b:02X}")).collect();
    let fonts = dictionary! {
        "F1" => dictionary! { "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "SimSun", "Encoding" => "GBK-EUC-H" },
    };
    let content = format!("BT /F1 12 Tf <{hex}> Tj ET");
    assert_eq!(
        text(&pdf(fonts, Dictionary::new(), &content), Kind::Pdf),
        "基层党建工作"
    );
}

#[test]
fn pdf_text_inside_a_form_and_latin_words_apart() {
    let fonts = dictionary! {
        "F1" => dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding" },
    };
    let mut doc = Document::load_mem(&pdf(fonts, Dictionary::new(), "q /Fm1 Do Q")).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let form_id = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()] },
        b"BT /F1 12 Tf [(GDP)-300(growth)] TJ ET".to_vec(),
    ));
    let res = doc
        .get_object_mut(page)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .get_mut(b"Resources")
        .unwrap()
        .as_dict_mut()
        .unwrap();
    res.set("XObject", dictionary! { "Fm1" => form_id });
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    assert_eq!(text(&out, Kind::Pdf), "GDP growth");
}

#[test]
fn unreadable_pdfs_say_why() {
    // A scan: an image and no text.
    let scan = pdf(
        Dictionary::new(),
        Dictionary::new(),
        "q 595 0 0 842 0 0 cm Q",
    );
    let e = read(&scan, Kind::Pdf).unwrap_err();
    assert!(e.message.contains("no text layer"), "{e:?}");
    // Glyph numbers without a map.
    let fonts = dictionary! {
        "F1" => dictionary! { "Type" => "Font", "Subtype" => "Type0", "Encoding" => "Identity-H" },
    };
    let glyphs = pdf(
        fonts,
        Dictionary::new(),
        "BT /F1 12 Tf <00410042004300440045> Tj ET",
    );
    let e = read(&glyphs, Kind::Pdf).unwrap_err();
    assert!(e.message.contains("fonts that do not say"), "{e:?}");
    // Damaged: the header and nothing else.
    let e = read(b"%PDF-1.7\n1 0 obj << /Type /Catalog", Kind::Pdf).unwrap_err();
    assert!(
        e.message.contains("damaged") || e.message.contains("no text"),
        "{e:?}"
    );
    // Not a PDF at all.
    let e = read(b"<html>hello</html>", Kind::Pdf).unwrap_err();
    assert!(e.message.contains("not a PDF"), "{e:?}");
}

#[test]
fn an_encrypted_pdf_is_named_as_such() {
    let mut doc = Document::load_mem(&cid_pdf(&["机密"])).unwrap();
    let enc = doc.add_object(dictionary! {
        "Filter" => "Standard", "V" => 2, "R" => 3, "Length" => 128, "P" => -4,
        "O" => Object::string_literal(vec![1u8; 32]), "U" => Object::string_literal(vec![2u8; 32]),
    });
    doc.trailer.set("Encrypt", enc);
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(vec![3u8; 16]),
            Object::string_literal(vec![3u8; 16]),
        ],
    );
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    let e = read(&out, Kind::Pdf).unwrap_err();
    assert!(e.message.contains("password"), "{e:?}");
}

#[test]
fn plain_text_in_gbk_and_utf16() {
    let (gbk, _, _) = encoding_rs::GBK.encode("工作总结\r\n今年以来，我们认真落实各项工作。");
    assert_eq!(
        text(&gbk, Kind::Text),
        "工作总结\r\n今年以来，我们认真落实各项工作。".replace('\r', " ")
    );
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("名单".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    assert_eq!(text(&le, Kind::Text), "名单");
    let junk: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    assert!(
        read(&junk, Kind::Text)
            .unwrap_err()
            .message
            .contains("not readable text")
    );
}

#[test]
fn files_that_are_not_what_their_name_says() {
    let e = read(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", Kind::Docx).unwrap_err();
    assert!(e.message.contains("password-protected"), "{e:?}");
    let e = read(b"%PDF-1.4", Kind::Xlsx).unwrap_err();
    assert!(e.message.contains("is not an Excel workbook"), "{e:?}");
    let e = read(b"PK\x03\x04 damaged", Kind::Docx).unwrap_err();
    assert!(e.message.contains("damaged"), "{e:?}");
    assert!(
        read(b"  \n ", Kind::Text)
            .unwrap_err()
            .message
            .contains("holds no text")
    );
}

#[test]
fn text_stops_at_its_limit_and_says_so() {
    let limits = Limits { text: 30, ..LIMITS };
    let e = extract_bytes(
        &docx(&["一二三四五六七八九十", "十一十二"]),
        Kind::Docx,
        &limits,
        false,
    )
    .unwrap();
    assert_eq!(e.text, "一二三四五六七八九十");
    assert_eq!(e.cut, Some(Cut::Text));
    let long = "党建".repeat(100);
    let e = extract_bytes(long.as_bytes(), Kind::Text, &limits, false).unwrap();
    assert_eq!(e.text.len(), 30);
    assert_eq!(e.cut, Some(Cut::Text));
}

#[test]
fn reading_stops_at_the_time_limit() {
    let cells: Vec<(String, String, String)> = (1..=5000)
        .map(|r| {
            (
                format!("A{r}"),
                "<v>0</v>".to_string(),
                r#" t="s""#.to_string(),
            )
        })
        .collect();
    let cells: Vec<(&str, &str, &str)> = cells
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let book = xlsx(&[("表", &cells)], &["数据"]);
    let limits = Limits {
        time: Duration::ZERO,
        ..LIMITS
    };
    let e = extract_bytes(&book, Kind::Xlsx, &limits, false).unwrap();
    assert_eq!(e.cut, Some(Cut::Time));
    assert!(
        e.text.lines().count() < 1000,
        "stopped early: {}",
        e.text.len()
    );
    let all = read(&book, Kind::Xlsx).unwrap();
    assert_eq!((all.cut, all.text.lines().count()), (None, 5001));
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    // 200 MB of zeros, a few hundred KB packed.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opt = zip::write::SimpleFileOptions::default().large_file(true);
    zip.start_file("word/document.xml", opt).unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..200 {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 2 << 20);
    let e = read(&bomb, Kind::Docx).unwrap_err();
    assert!(e.message.contains("zip bomb"), "{e:?}");
    let e = read(&bomb, Kind::Xlsx).unwrap_err();
    assert!(e.message.contains("zip bomb"), "{e:?}");
}

#[test]
fn a_500_page_scan_is_named_as_such_and_a_long_pdf_stops_at_the_time_limit() {
    // 500 pages, each an image (its bytes dropped as the file loads) and no text.
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for _ in 0..500 {
        let image = doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 100, "Height" => 100,
                          "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
            vec![0x80; 10_000],
        ));
        let content = doc.add_object(Stream::new(
            dictionary! {},
            b"q 595 0 0 842 0 0 cm /Im1 Do Q".to_vec(),
        ));
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => image } },
        })));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => 500 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut scan = Vec::new();
    doc.save_to(&mut scan).unwrap();
    let e = read(&scan, Kind::Pdf).unwrap_err();
    assert!(e.message.contains("no text layer"), "{e:?}");

    // Thousands of lines of text: cut at once when there is no time.
    let lines: Vec<String> = (0..3000).map(|i| format!("第{i}行")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let long = cid_pdf(&refs);
    let limits = Limits {
        time: Duration::ZERO,
        ..LIMITS
    };
    let e = extract_bytes(&long, Kind::Pdf, &limits, false).unwrap();
    assert_eq!(e.cut, Some(Cut::Time));
    assert!(e.text.lines().count() < 1000, "{}", e.text.lines().count());
    let all = read(&long, Kind::Pdf).unwrap();
    assert_eq!((all.cut, all.text.lines().count()), (None, 3000));
}

#[test]
fn files_over_the_size_limit_are_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("大.pdf");
    std::fs::write(&path, vec![b' '; 2000]).unwrap();
    let limits = Limits {
        file: 1000,
        ..LIMITS
    };
    let r = extract(&path, Kind::Pdf, &limits, &Mutex::new(()));
    let e = r.result.unwrap_err();
    assert!(
        e.message.contains("more than the 1000 B read for search"),
        "{e:?}"
    );
    assert_eq!((r.size, r.hash), (2000, None));
}

/// Issue #12 item 9: a file that became a link after the walk found it (to a
/// secret outside the archive), or a pipe put in its place, is not read.
#[cfg(unix)]
#[test]
fn a_file_that_became_a_link_or_a_pipe_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "口令是 hunter2").unwrap();
    let path = dir.path().join("说明.txt");
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    let r = extract(&path, Kind::Text, &LIMITS, &Mutex::new(()));
    let e = r.result.unwrap_err();
    assert!(e.message.contains("symbolic link"), "{e:?}");
    assert_eq!(r.hash, None);

    let pipe = dir.path().join("管道.txt");
    let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let r = extract(&pipe, Kind::Text, &LIMITS, &Mutex::new(()));
    let e = r.result.unwrap_err();
    assert!(e.message.contains("not a regular file"), "{e:?}");
}
