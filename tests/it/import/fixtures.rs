//! Fixtures made in the test: GBK, UTF-16 and CR/CRLF copies of the samples, a
//! DOCX generated with the zip crate, empty, binary and untitled files — and
//! the no-text-lost property on all of them.

use std::path::{Path, PathBuf};

use super::common::*;
use dangan::import::{ImportOptions, import, source_lines};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = if bom {
        if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        }
    } else {
        Vec::new()
    };
    for u in s.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// Bodies (front matter comment line aside) of the reports made from `path`.
fn bodies(path: &Path) -> Vec<String> {
    let s = dry(&[path]);
    reports_of(&s, path)
        .iter()
        .map(|r| r.markdown.lines().skip(2).collect::<Vec<_>>().join("\n"))
        .collect()
}

#[test]
fn encoded_and_line_end_copies_import_like_the_original() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["000", "002", "003"] {
        let original = sample(prefix);
        let text = std::fs::read_to_string(&original).unwrap();
        let expected = bodies(&original);
        let lines: Vec<String> = source_lines(&original)
            .unwrap()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let copies = [
            ("gbk.txt", encoding_rs::GBK.encode(&text).0.into_owned()),
            (
                "gb18030.txt",
                encoding_rs::GB18030.encode(&text).0.into_owned(),
            ),
            ("utf16le-bom.txt", utf16(&text, true, true)),
            ("utf16be-bom.txt", utf16(&text, false, true)),
            ("utf16le.txt", utf16(&text, true, false)),
            (
                "utf8-bom.txt",
                [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
            ),
            ("crlf.txt", text.replace('\n', "\r\n").into_bytes()),
            ("cr.txt", text.replace('\n', "\r").into_bytes()),
        ];
        for (name, bytes) in copies {
            let p = write(dir.path(), &format!("{prefix}-{name}"), &bytes);
            let got: Vec<String> = source_lines(&p)
                .unwrap()
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            assert_eq!(got, lines, "{prefix}-{name} reads as the original");
            assert_eq!(
                bodies(&p),
                expected,
                "{prefix}-{name} imports as the original"
            );
            let s = dry(&[&p]);
            assert_no_text_lost(&p, &reports_of(&s, &p));
        }
    }
}

#[test]
fn encoding_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample("000")).unwrap();
    let p = write(dir.path(), "gbk.txt", &encoding_rs::GBK.encode(&text).0);
    let s = dry(&[&p]);
    let enc = s.reports[0]
        .inferred
        .iter()
        .find(|i| i.field == "encoding")
        .unwrap();
    assert!(
        enc.value.starts_with("GBK") || enc.value.starts_with("gb18030"),
        "{enc:?}"
    );
}

#[test]
fn empty_binary_and_foreign_files_are_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.txt", b"");
    write(dir.path(), "blank.txt", b" \r\n\t\r\n");
    let junk: Vec<u8> = (0u32..3000).map(|i| (i * 7919 % 251) as u8).collect();
    write(dir.path(), "junk.bin", &junk);
    write(dir.path(), "image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    write(dir.path(), "scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    write(
        dir.path(),
        "old.doc",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0",
    );
    write(dir.path(), "fake.docx", b"PK\x03\x04 not really a zip");
    let s = dry(&[dir.path()]);
    assert!(s.reports.is_empty());
    let reason = |name: &str| {
        s.skipped
            .iter()
            .find(|k| k.path.ends_with(name))
            .map(|k| k.reason.clone())
            .unwrap()
    };
    assert!(reason("empty.txt").contains("empty"));
    assert!(reason("blank.txt").contains("empty"));
    assert!(reason("junk.bin").contains("binary"));
    assert!(reason("image.png").contains("image"));
    assert!(reason("scan.pdf").contains("PDF"));
    assert!(reason("old.doc").contains(".docx"));
    assert!(reason("fake.docx").contains("ZIP"));
    assert_eq!(s.skipped.len(), 7);
}

#[test]
fn file_without_title_takes_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "2021年某街道情况.txt",
        "今年以来，街道认真落实各项工作，取得了一定成效。\n一、主要成效\n完成了年度目标任务。\n"
            .as_bytes(),
    );
    let s = dry(&[&p]);
    let r = &s.reports[0];
    assert_eq!(r.title, "2021年某街道情况");
    assert!(
        r.inferred
            .iter()
            .any(|i| i.field == "title" && i.from.starts_with("the file name"))
    );
    assert!(split_md(&r.markdown).1.starts_with("今年以来"));
    assert_no_text_lost(&p, &reports_of(&s, &p));
}

fn docx_report(names: [&str; 3]) -> Vec<u8> {
    docx(
        &[
            P::Styled("Title", "关于社区治理工作的调研报告"),
            P::Plain("为深入了解社区治理情况，我们开展了专题调研。现将有关情况报告如下："),
            P::Styled("1", "一、基本情况"),
            P::Plain("全区共有社区25个，其中城市社区18个。"),
            P::Styled("2", "（一）组织建设"),
            P::Num(1, 0, "建立社区党组织25个；"),
            P::Num(1, 0, "配备专职书记25名。"),
            P::Num(1, 1, "其中新任书记6名。"),
            P::Num(2, 0, "网格化管理全覆盖"),
            P::Table(vec![
                vec!["项目", "完成情况"],
                vec!["新建党群服务中心", "12个"],
                vec!["培训骨干 & 志愿者", "300人次"],
            ]),
            P::Styled("3", "1.加强领导"),
            P::Plain("成立工作专班，定期研究推进。"),
            P::Styled("1", "二、存在问题"),
            P::Num(3, 0, "思想认识有待提高"),
            P::Num(3, 0, "经费保障不足"),
            P::Plain("东城区民政局"),
            P::Plain("2021年3月5日"),
        ],
        names,
    )
}

#[test]
fn docx_headings_lists_and_tables_become_markdown() {
    for names in [
        ["heading 1", "heading 2", "heading 3"],
        ["标题 1", "标题 2", "标题 3"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "报告.docx", &docx_report(names));
        let opts = ImportOptions {
            inputs: vec![p.clone()],
            into: dir.path().join("out"),
            ..ImportOptions::default()
        };
        let s = import(&opts).unwrap();
        let r = &s.reports[0];
        assert!(r.written, "{:?} {:?}", r.refused, r.missing);
        assert_eq!(r.title, "关于社区治理工作的调研报告");
        let fm = front_matter(&r.markdown);
        assert_eq!(fm["type"], "调研报告");
        assert_eq!(fm["date"], "2021-03-05");
        assert_eq!(fm["unit"], "东城区民政局");
        let body = split_md(&r.markdown).1;
        let expected = [
            "## 一、基本情况",
            "### （一）组织建设",
            "1. 建立社区党组织25个；\n2. 配备专职书记25名。\n    1. 其中新任书记6名。\n- 网格化管理全覆盖",
            "| 项目 | 完成情况 |\n| --- | --- |\n| 新建党群服务中心 | 12个 |\n| 培训骨干 \\& 志愿者 | 300人次 |",
            "#### 1.加强领导",
            "## 二、存在问题",
        ];
        for e in expected.iter().take(6) {
            assert!(body.contains(e), "{names:?}: missing {e:?} in\n{body}");
        }
        assert!(
            body.contains("\n\n一、思想认识有待提高\n\n二、经费保障不足\n\n"),
            "Chinese numbering from numbering.xml is kept as text:\n{body}"
        );
        assert_eq!(heading_counts(body), [0, 2, 1, 1, 0, 0], "{body}");
        assert_no_text_lost(&p, &reports_of(&s, &p));
    }
}

#[test]
fn docx_with_generated_outline_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = docx(
        &[
            P::Plain("2022年上半年工作总结"),
            P::Plain("上半年，我局认真贯彻落实各项决策部署，各项工作稳步推进。"),
            P::Num(3, 0, "主要工作"),
            P::Plain("一是抓好党建，二是抓好业务。"),
            P::Num(3, 0, "下步打算"),
            P::Plain("继续抓好各项工作落实。"),
        ],
        ["heading 1", "heading 2", "heading 3"],
    );
    let p = write(dir.path(), "总结.docx", &bytes);
    let s = dry(&[&p]);
    let body = split_md(&s.reports[0].markdown).1;
    assert!(body.contains("## 一、主要工作\n"), "{body}");
    assert!(body.contains("## 二、下步打算\n"), "{body}");
    assert_eq!(s.reports[0].title, "2022年上半年工作总结");
    assert!(s.reports[0].markdown.contains("type: \"工作总结\""));
    assert_no_text_lost(&p, &reports_of(&s, &p));
}

#[test]
fn no_text_lost_on_a_folder_of_all_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["000", "002", "003"] {
        let text = std::fs::read_to_string(sample(prefix)).unwrap();
        write(
            dir.path(),
            &format!("{prefix}-gbk.txt"),
            &encoding_rs::GBK.encode(&text).0,
        );
    }
    write(
        dir.path(),
        "报告.docx",
        &docx_report(["heading 1", "heading 2", "heading 3"]),
    );
    write(dir.path(), "empty.txt", b"");
    write(
        dir.path(),
        "notitle.txt",
        "今年以来，我们认真落实各项工作。\n工作取得了成效。\n".as_bytes(),
    );
    let s = dry(&[dir.path()]);
    assert_eq!(s.reports.len(), 9);
    assert_eq!(s.skipped.len(), 1);
    let mut sources: Vec<&Path> = s.reports.iter().map(|r| r.source.as_path()).collect();
    sources.dedup();
    for src in sources {
        assert_no_text_lost(src, &reports_of(&s, src));
    }
}

#[test]
fn docx_whose_title_is_its_only_heading_1() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = docx(
        &[
            P::Styled("1", "某县2023年上半年工作汇报"),
            P::Plain("上半年，全县经济运行总体平稳。"),
            P::Styled("2", "一、主要成效"),
            P::Styled("3", "（一）项目建设"),
            P::Plain("新开工项目20个。"),
        ],
        ["heading 1", "heading 2", "heading 3"],
    );
    let p = write(dir.path(), "汇报.docx", &bytes);
    let s = dry(&[&p]);
    let body = split_md(&s.reports[0].markdown).1;
    assert_eq!(s.reports[0].title, "某县2023年上半年工作汇报");
    assert!(
        body.contains("## 一、主要成效\n\n### （一）项目建设\n"),
        "{body}"
    );
    assert_no_text_lost(&p, &reports_of(&s, &p));
}
