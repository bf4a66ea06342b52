//! Safety: dry runs write nothing, existing files are kept without --force,
//! reports missing a required field are written as drafts and the summary says
//! what to add, command-line values win, file names are safe and unique.

use std::path::{Path, PathBuf};

use super::common::*;
use dangan::import::{ImportOptions, format_summary, import};

const REPORT: &str = "西城区财政局2021年工作总结\n今年以来，我局认真落实各项工作。\n一、主要工作\n完成预算编制。\n西城区财政局\n2021年12月20日\n";

fn setup(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for (name, text) in files {
        std::fs::write(input.join(name), text).unwrap();
    }
    let into = dir.path().join("content/imported");
    (dir, input, into)
}

fn real(input: &Path, into: &Path) -> ImportOptions {
    ImportOptions {
        inputs: vec![input.to_path_buf()],
        into: into.to_path_buf(),
        ..ImportOptions::default()
    }
}

#[test]
fn dry_run_writes_nothing_but_shows_the_file() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let s = import(&ImportOptions {
        dry_run: true,
        ..real(&input, &into)
    })
    .unwrap();
    assert!(!into.exists());
    assert!(!s.reports[0].written && s.reports[0].refused.is_none());
    let text = format_summary(&s);
    assert!(text.contains("would write (dry run)"), "{text}");
    assert!(
        text.contains("title: \"西城区财政局2021年工作总结\""),
        "{text}"
    );
}

#[test]
fn inferred_fields_are_written_with_their_sources() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let s = import(&real(&input, &into)).unwrap();
    let r = &s.reports[0];
    assert!(r.written);
    let fm = front_matter(&std::fs::read_to_string(&r.target).unwrap());
    assert_eq!(fm["unit"], "西城区财政局");
    assert_eq!(fm["date"], "2021-12-20");
    assert_eq!(fm["type"], "工作总结");
    let from = |f: &str| {
        r.inferred
            .iter()
            .find(|i| i.field == f)
            .unwrap()
            .from
            .clone()
    };
    assert!(from("date").contains("line 6"), "{}", from("date"));
    assert!(from("unit").contains("title"), "{}", from("unit"));
    assert!(from("type").contains("总结"));
}

#[test]
fn existing_files_are_kept_without_force() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let first = import(&real(&input, &into)).unwrap();
    let target = first.reports[0].target.clone();
    let edited = std::fs::read_to_string(&target).unwrap() + "\n改过的一段。\n";
    std::fs::write(&target, &edited).unwrap();
    let again = import(&real(&input, &into)).unwrap();
    assert!(!again.reports[0].written);
    assert!(
        again.reports[0]
            .refused
            .as_deref()
            .unwrap()
            .contains("--force")
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), edited);
    assert!(format_summary(&again).contains("pass --force"));
    let forced = import(&ImportOptions {
        force: true,
        ..real(&input, &into)
    })
    .unwrap();
    assert!(forced.reports[0].written);
    let source = input.join("a.txt").canonicalize().unwrap();
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with(&format!(
                "---\n# imported from {} by dangan import\n",
                source.display()
            ))
    );
}

/// Issue #12 item 4: two inputs with the same title import as `T.md` and
/// `T-2.md`; re-importing the second with --force (as the summary advises)
/// replaces `T-2.md`, never the first report, and never a report written by hand.
#[test]
fn issue_12_force_replaces_only_what_the_same_input_wrote() {
    const SECOND: &str = "西城区财政局2021年工作总结\n这是另一份总结，内容不同。\n";
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let b = input.parent().unwrap().join("b.txt");
    std::fs::write(&b, SECOND).unwrap();
    let first = import(&real(&input, &into)).unwrap();
    let t = first.reports[0].target.clone();
    let second = import(&real(&b, &into)).unwrap();
    let t2 = second.reports[0].target.clone();
    assert!(second.reports[0].written, "{:?}", second.reports[0].refused);
    assert!(
        t2.ends_with("西城区财政局2021年工作总结-2.md"),
        "{}",
        t2.display()
    );
    let summary = format_summary(&second);
    assert!(
        summary.contains(&format!(
            "{} was imported from {}",
            t.display(),
            input.join("a.txt").canonicalize().unwrap().display()
        )),
        "{summary}"
    );
    let a_text = std::fs::read_to_string(&t).unwrap();

    let again = import(&ImportOptions {
        date: Some("2021-12".into()),
        force: true,
        ..real(&b, &into)
    })
    .unwrap();
    assert!(again.reports[0].written);
    assert_eq!(again.reports[0].target, t2);
    assert_eq!(
        std::fs::read_to_string(&t).unwrap(),
        a_text,
        "the first report is intact"
    );
    assert!(
        std::fs::read_to_string(&t2)
            .unwrap()
            .contains("date: \"2021-12\"")
    );

    // A report written by hand under the name is never replaced.
    let by_hand = "---\ntitle: 手写的总结\nunit: 甲\ndate: 2021-01-01\ntype: 总结\n---\n\n手写。\n";
    std::fs::write(&t, by_hand).unwrap();
    let forced = import(&ImportOptions {
        force: true,
        ..real(&input, &into)
    })
    .unwrap();
    let r = &forced.reports[0];
    assert!(!r.written);
    assert_eq!(r.target, t);
    let why = r.refused.as_deref().unwrap();
    assert!(
        why.contains(&t.display().to_string()) && why.contains("a.txt"),
        "{why}"
    );
    assert!(why.contains("never replaced"), "{why}");
    assert_eq!(std::fs::read_to_string(&t).unwrap(), by_hand);
}

#[test]
fn missing_fields_make_a_draft_and_the_summary_says_what_to_add() {
    let (_d, input, into) = setup(&[("a.txt", "党建工作调研报告\n为了解情况，我们开展了调研。\n")]);
    let s = import(&real(&input, &into)).unwrap();
    let r = &s.reports[0];
    assert!(r.written, "written, as a draft");
    assert_eq!(r.missing.len(), 2, "{:?}", r.missing);
    assert!(r.missing[0].starts_with("date: pass --date YYYY-MM-DD"));
    assert!(r.missing[1].starts_with("unit: pass --unit"));
    let md = std::fs::read_to_string(&r.target).unwrap();
    let fm = front_matter(&md);
    assert_eq!(fm["draft"], "true");
    assert_eq!(fm["type"], "调研报告");
    assert!(
        !fm.contains_key("date") && !fm.contains_key("unit"),
        "nothing invented: {fm:?}"
    );
    assert!(md.contains("# date not found in the text: add `date: YYYY-MM-DD`"));
    let text = format_summary(&s);
    assert!(text.contains("[written as a draft]"), "{text}");
    assert!(
        text.contains("党建工作调研报告.md: add date, unit"),
        "{text}"
    );
    assert!(
        text.contains("add --date YYYY-MM-DD --unit UNIT --force"),
        "{text}"
    );
    let ok = import(&ImportOptions {
        unit: Some("某单位".into()),
        date: Some("2020-05".into()),
        force: true,
        ..real(&input, &into)
    })
    .unwrap();
    assert!(ok.reports[0].written && ok.reports[0].missing.is_empty());
    let fm = front_matter(&std::fs::read_to_string(&r.target).unwrap());
    assert_eq!((fm["date"].as_str(), fm.get("draft")), ("2020-05", None));
}

#[test]
fn command_line_values_win_and_the_inference_is_still_shown() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let opts = ImportOptions {
        unit: Some("区财政局".into()),
        kind: Some("年度总结".into()),
        date: Some("2022-01".into()),
        ..real(&input, &into)
    };
    let s = import(&opts).unwrap();
    let fm = front_matter(&s.reports[0].markdown);
    assert_eq!(
        (
            fm["unit"].as_str(),
            fm["type"].as_str(),
            fm["date"].as_str()
        ),
        ("区财政局", "年度总结", "2022-01")
    );
    let unit = s.reports[0]
        .inferred
        .iter()
        .find(|i| i.field == "unit")
        .unwrap();
    assert!(
        unit.from.contains("--unit") && unit.from.contains("西城区财政局"),
        "{unit:?}"
    );
}

#[test]
fn bad_options_are_errors() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    for date in ["2020-13", "2021-02-29", "2020年3月", "20200301"] {
        let e = import(&ImportOptions {
            date: Some(date.into()),
            ..real(&input, &into)
        })
        .unwrap_err();
        assert!(e.to_string().contains("YYYY-MM"), "{e}");
    }
    assert!(
        import(&ImportOptions {
            unit: Some(" ".into()),
            ..real(&input, &into)
        })
        .is_err()
    );
    assert!(
        import(&ImportOptions {
            inputs: vec![],
            ..real(&input, &into)
        })
        .is_err()
    );
    let s = import(&ImportOptions {
        inputs: vec![input.join("missing.txt")],
        ..real(&input, &into)
    })
    .unwrap();
    assert!(s.skipped[0].reason.contains("no such file"));
}

#[test]
fn file_names_are_safe_on_windows_shares_and_unique() {
    let body = "\n今年以来，认真落实各项工作，成效明显。\n";
    let (_d, input, into) = setup(&[
        (
            "a.txt",
            &format!("关于“两新”组织的调研报告：第一期<草稿>?*{body}"),
        ),
        ("b.txt", &format!("CON{body}")),
        ("c.txt", &format!("党建工作调研报告{body}")),
        ("d.txt", &format!("党建工作调研报告{body}")),
        (
            "e.txt",
            &format!("{}工作总结{body}", "很长的标题".repeat(20)),
        ),
    ]);
    let s = import(&ImportOptions {
        unit: Some("某单位".into()),
        date: Some("2020-01".into()),
        kind: Some("工作总结".into()),
        ..real(&input, &into)
    })
    .unwrap();
    let names: Vec<String> = s
        .reports
        .iter()
        .map(|r| r.target.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names[0], "关于“两新”组织的调研报告：第一期_草稿.md",
        "full-width colons are allowed"
    );
    assert_eq!(names[1], "CON_.md");
    assert_eq!(names[2], "党建工作调研报告.md");
    assert_eq!(names[3], "党建工作调研报告-2.md");
    for n in &names {
        assert!(
            !n.contains(['<', '>', ':', '"', '\\', '|', '?', '*']),
            "{n}"
        );
        assert!(n.chars().count() <= 64 && n.len() < 250, "{n}");
        assert!(!n.trim_end_matches(".md").ends_with(['.', ' ']), "{n}");
    }
    assert!(
        s.reports.iter().all(|r| r.written),
        "{:#?}",
        s.reports
            .iter()
            .map(|r| (&r.title, &r.refused))
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_output_folder_and_existing_reports_are_not_imported_again() {
    let (_d, input, _) = setup(&[("a.txt", REPORT)]);
    let into = input.join("out");
    import(&real(&input, &into)).unwrap();
    std::fs::write(input.join("old.md"), "---\nunit: x\n---\n正文\n").unwrap();
    let s = import(&ImportOptions {
        force: true,
        ..real(&input, &into)
    })
    .unwrap();
    assert_eq!(s.reports.len(), 1);
    assert!(
        s.skipped
            .iter()
            .any(|k| k.path.ends_with("old.md") && k.reason.contains("front matter"))
    );
}

/// A raw DEFLATE stream (fixed Huffman codes) of `n` spaces: one literal,
/// then back-references of 258 bytes at distance 1, 13 bits each, so a
/// stream of a few MB inflates to hundreds.
fn deflated_spaces(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((n / 258 * 13 / 8 + 16) as usize);
    let (mut acc, mut used) = (0u64, 0u32);
    // Bits go least significant first; Huffman codes most significant first.
    let mut push = |value: u64, len: u32| {
        acc |= value << used;
        used += len;
        while used >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            used -= 8;
        }
    };
    let huffman = |code: u64, len: u32| code.reverse_bits() >> (64 - len);
    push(1, 1); // the final block
    push(1, 2); // fixed Huffman codes
    push(huffman(0x30 + u64::from(b' '), 8), 8);
    let back_reference = huffman(0b1100_0101, 8) | huffman(0, 5) << 8; // length 258, distance 1
    for _ in 0..(n - 1) / 258 {
        push(back_reference, 13);
    }
    push(0, 7); // end of block
    push(0, 7); // flush the last byte
    out
}

/// A ZIP holding `word/document.xml` whose DEFLATE data inflates to
/// `inflated` bytes; the headers declare `declared` (a bomb may lie).
fn zip_bomb(inflated: u64, declared: u32) -> Vec<u8> {
    let name = b"word/document.xml";
    let data = deflated_spaces(inflated);
    let mut z = Vec::new();
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    z.extend_from_slice(b"PK\x03\x04");
    le16(&mut z, 20); // version needed
    le16(&mut z, 0); // flags
    le16(&mut z, 8); // deflate
    le32(&mut z, 0); // time and date
    le32(&mut z, 0); // CRC-32 (never reached)
    le32(&mut z, data.len() as u32);
    le32(&mut z, declared);
    le16(&mut z, name.len() as u16);
    le16(&mut z, 0);
    z.extend_from_slice(name);
    z.extend_from_slice(&data);
    let central = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02");
    le16(&mut z, 20); // version made by
    le16(&mut z, 20);
    le16(&mut z, 0);
    le16(&mut z, 8);
    le32(&mut z, 0);
    le32(&mut z, 0);
    le32(&mut z, data.len() as u32);
    le32(&mut z, declared);
    le16(&mut z, name.len() as u16);
    le16(&mut z, 0); // extra
    le16(&mut z, 0); // comment
    le16(&mut z, 0); // disk
    le16(&mut z, 0); // internal attributes
    le32(&mut z, 0); // external attributes
    le32(&mut z, 0); // offset of the local header
    z.extend_from_slice(name);
    let size = z.len() as u32 - central;
    z.extend_from_slice(b"PK\x05\x06");
    le16(&mut z, 0);
    le16(&mut z, 0);
    le16(&mut z, 1);
    le16(&mut z, 1);
    le32(&mut z, size);
    le32(&mut z, central);
    le16(&mut z, 0);
    z
}

/// Issue #12 item 5: a DOCX that inflates to far more than any report is
/// refused at the limit with a message naming the file, whether its headers
/// say how big it is or lie.
#[test]
fn issue_12_a_docx_zip_bomb_is_refused_at_the_limit() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let honest = zip_bomb(1 << 30, 1 << 30);
    assert!(honest.len() < 8 << 20, "{} bytes", honest.len());
    std::fs::write(input.join("炸弹.docx"), &honest).unwrap();
    std::fs::write(input.join("说谎.docx"), zip_bomb(1 << 30, 3000)).unwrap();
    let s = import(&real(&input, &into)).unwrap();
    assert_eq!(s.reports.len(), 1, "the text file is still imported");
    for name in ["炸弹.docx", "说谎.docx"] {
        let k = s
            .skipped
            .iter()
            .find(|k| k.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not skipped: {:?}", s.skipped));
        assert!(
            k.reason
                .contains("word/document.xml inside the DOCX unpacks to more than")
                && k.reason.contains("zip bomb"),
            "{name}: {}",
            k.reason
        );
    }
    let text = format_summary(&s);
    assert!(
        text.contains("炸弹.docx: word/document.xml inside the DOCX"),
        "{text}"
    );
}

/// Issue #12 item 6: UTF-8 with one damaged byte stays UTF-8 (it was taken
/// for windows-1252 and garbled); the summary says which line to check.
#[test]
fn issue_12_utf8_with_a_bad_byte_stays_utf8_and_the_line_is_named() {
    let mut bytes = REPORT.as_bytes().to_vec();
    let at = REPORT.find("完成预算").unwrap();
    bytes.insert(at, 0xff);
    let (_d, input, into) = setup(&[]);
    std::fs::write(input.join("坏字节.txt"), &bytes).unwrap();
    let s = import(&real(&input, &into)).unwrap();
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    let r = &s.reports[0];
    assert_eq!(r.title, "西城区财政局2021年工作总结");
    let md = std::fs::read_to_string(&r.target).unwrap();
    assert!(md.contains("\u{fffd}完成预算编制。"), "{md}");
    assert!(md.contains("今年以来，我局认真落实各项工作。"), "{md}");
    let text = format_summary(&s);
    assert!(
        text.contains(
            "encoding: UTF-8; 1 damaged byte sequence(s) replaced with \u{fffd} on line 4"
        ),
        "{text}"
    );
}

/// Issue #12 (items 4 and 9 for import): links found while walking an input folder are not
/// followed. A link to a file outside it was imported (its text published once built), and two
/// links to the folder itself made the walk run for ever; each is now skipped and named.
#[cfg(unix)]
#[test]
fn links_inside_an_input_folder_are_skipped_and_named() {
    use std::os::unix::fs::symlink;
    let (d, input, into) = setup(&[("a.txt", REPORT)]);
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let secret = "机密文件标题\n这是机密内容，不应被导入。\n";
    std::fs::write(outside.join("secret.txt"), secret).unwrap();
    symlink(outside.join("secret.txt"), input.join("link.txt")).unwrap();
    symlink(&outside, input.join("folder")).unwrap();
    symlink(".", input.join("loop")).unwrap();
    let s = import(&real(&input, &into)).unwrap();
    assert_eq!(s.reports.len(), 1, "{:?}", s.reports);
    for name in ["link.txt", "folder", "loop"] {
        let k = s
            .skipped
            .iter()
            .find(|k| k.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not skipped: {:?}", s.skipped));
        assert!(k.reason.contains("does not follow links"), "{}", k.reason);
    }
    for e in std::fs::read_dir(&into).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("机密"), "{text}");
    }
    // Given on the command line, a link is the user's choice and is read.
    let given = import(&real(&input.join("link.txt"), &into)).unwrap();
    assert_eq!(given.reports.len(), 1);
}

/// Issue #12 item 4, a variant: inputs whose names differ only in bytes that
/// are not UTF-8 (a GBK name from a zip made on Windows), or in a line break
/// where the other has a space, were recorded alike (the bytes replaced, the
/// break made a space), so re-importing the second with --force replaced
/// the first one's report. Each is recorded as itself.
#[test]
fn inputs_whose_names_read_alike_never_replace_each_others_reports() {
    use std::os::unix::ffi::OsStrExt;
    let pairs: [(&[u8], &[u8]); 2] = [(b"a\xFF.txt", b"a\xFE.txt"), (b"a b.txt", b"a\nb.txt")];
    for (first, second) in pairs {
        let (_d, input, into) = setup(&[]);
        let first = input.join(std::ffi::OsStr::from_bytes(first));
        let second = input.join(std::ffi::OsStr::from_bytes(second));
        std::fs::write(&first, REPORT).unwrap();
        std::fs::write(&second, REPORT.replace("完成预算编制", "另一份的正文")).unwrap();
        let one = import(&real(&first, &into)).unwrap();
        let t = one.reports[0].target.clone();
        let kept = std::fs::read_to_string(&t).unwrap();
        let two = import(&ImportOptions {
            force: true,
            ..real(&second, &into)
        })
        .unwrap();
        let r = &two.reports[0];
        assert!(r.written, "{:?}", r.refused);
        assert_ne!(
            r.target,
            t,
            "{}: written over the first report",
            second.display()
        );
        assert_eq!(
            std::fs::read_to_string(&t).unwrap(),
            kept,
            "the first report is intact"
        );
        // The same input again with --force replaces its own report.
        let again = import(&ImportOptions {
            force: true,
            ..real(&second, &into)
        })
        .unwrap();
        assert!(again.reports[0].written && again.reports[0].target == r.target);
        assert_eq!(std::fs::read_dir(&into).unwrap().count(), 2);
        let text = std::fs::read_to_string(&r.target).unwrap();
        assert!(text.contains("另一份的正文"), "{text}");
        assert_eq!(
            text.lines()
                .nth(1)
                .map(|l| l.starts_with("# imported from \"")),
            Some(true),
            "{text}"
        );
    }
}

/// A pipe, socket or device is skipped and named, in a folder or on the
/// command line (a pipe in a folder went without a word, and `/dev/null`
/// was said to be missing).
#[test]
fn pipes_sockets_and_devices_are_skipped_and_named() {
    let (_d, input, into) = setup(&[("a.txt", REPORT)]);
    let socket = input.join("b.txt");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let s = import(&ImportOptions {
        inputs: vec![input.clone(), "/dev/null".into()],
        ..real(&input, &into)
    })
    .unwrap();
    assert_eq!(s.reports.len(), 1);
    let summary = format_summary(&s);
    for path in [socket.display().to_string(), "/dev/null".into()] {
        assert!(
            summary.contains(&format!(
                "{path}: neither a file nor a folder (a device, pipe or socket)"
            )),
            "{summary}"
        );
    }
}

/// Two text files joined with `cat` (each began with a byte order mark, so
/// one now stands at the start of a line inside) made import panic ("no entry
/// found for key"): lines were counted as they are and looked up trimmed.
#[test]
fn a_byte_order_mark_inside_the_text_is_read_without_a_panic() {
    let joined = format!("\u{feff}{REPORT}\u{feff}第二篇\n\u{feff}\n正文。\u{feff}\n");
    let (_d, input, into) = setup(&[("a.txt", &joined)]);
    let s = import(&real(&input, &into)).unwrap();
    assert_eq!(s.reports.len(), 1);
    let text = std::fs::read_to_string(&s.reports[0].target).unwrap();
    assert!(text.contains("第二篇"), "{text}");
}
