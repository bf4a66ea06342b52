//! Issue #19: old links keep working after reports move. The archive
//! remembers every address it published (dangan-addresses.txt); a moved,
//! renamed or re-slugged report leaves a page at its old address that leads
//! to it, a deleted one leaves a warning, and conflicts are errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dangan::manifest::Kind;
use serde_json::json;

use crate::support::webdriver::Browser;
use crate::support::*;

const RECORD: &str = "dangan-addresses.txt";

fn with_slug(slug: &str, title: &str, unit: &str, date: &str, kind: &str, body: &str) -> String {
    report(title, unit, date, kind, body).replacen("---\n\n", &format!("slug: {slug}\n---\n\n"), 1)
}

/// Five reports: one to move, one to rename, one to re-slug, one to delete, one that stays.
fn five_reports() -> Archive {
    let a = Archive::new();
    a.report(
        "2019/移动前.md",
        &report(
            "移动的报告",
            "市委办公室",
            "2019-03-01",
            "调研报告",
            "这份报告会移到归档文件夹。",
        ),
    );
    a.report(
        "2020/改名前.md",
        &report(
            "改名的报告",
            "市委办公室",
            "2020-05-17",
            "工作总结",
            "这份报告的文件会改名。",
        ),
    );
    a.report(
        "2021/换地址.md",
        &with_slug(
            "jiu-dizhi",
            "换地址的报告",
            "市委组织部",
            "2021-12-31",
            "汇报提纲",
            "这份报告会换一个 slug。",
        ),
    );
    a.report(
        "2018/删除的.md",
        &report(
            "删除的报告",
            "市委组织部",
            "2018-01-09",
            "调研报告",
            "这份报告会被删除。",
        ),
    );
    a.report(
        "2022/留下的.md",
        &report(
            "留下的报告",
            "市委组织部",
            "2022-06-01",
            "工作总结",
            "这份报告一直在原处。",
        ),
    );
    a
}

/// (old address, new address, title) of the three reports that move.
const MOVES: [(&str, &str, &str); 3] = [
    ("2019/移动前.html", "归档/2019/移动前.html", "移动的报告"),
    ("2020/改名前.html", "2020/改名后.html", "改名的报告"),
    ("2021/jiu-dizhi.html", "2021/xin-dizhi.html", "换地址的报告"),
];
const DELETED: &str = "2018/删除的.html";

/// Moves one report to another folder, renames another, changes a third's slug, deletes a fourth.
fn move_rename_reslug_delete(a: &Archive) {
    let c = a.root().join("content");
    std::fs::create_dir_all(c.join("归档/2019")).unwrap();
    std::fs::rename(c.join("2019/移动前.md"), c.join("归档/2019/移动前.md")).unwrap();
    std::fs::rename(c.join("2020/改名前.md"), c.join("2020/改名后.md")).unwrap();
    let text = std::fs::read_to_string(c.join("2021/换地址.md")).unwrap();
    a.report(
        "2021/换地址.md",
        &text.replace("slug: jiu-dizhi", "slug: xin-dizhi"),
    );
    a.remove("content/2018/删除的.md");
}

fn file_url(path: &Path) -> String {
    let encoded: Vec<String> = path
        .to_str()
        .unwrap()
        .split('/')
        .map(|seg| {
            percent_encoding::utf8_percent_encode(seg, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        })
        .collect();
    format!("file://{}", encoded.join("/"))
}

/// Opens `old` over file:// with scripts switched off, and waits until the
/// browser has gone on by itself to `new`, showing the report titled `title`.
fn follows(b: &Browser, site: &Path, old: &str, new: &str, title: &str) {
    b.goto(&file_url(&site.join(old)));
    let want = format!("file://{}", site.join(new).display());
    let t0 = std::time::Instant::now();
    loop {
        let at = b.eval(
            "return document.readyState === 'complete' ? decodeURIComponent(location.href) : '';",
            json!([]),
        );
        if at == json!(want) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{old} should lead to {want}, the browser is at {at}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let h1 = b.eval(
        "return document.querySelector('h1').textContent;",
        json!([]),
    );
    assert_eq!(h1, json!(title), "{old} leads to the report");
}

/// Site paths that the pages and feeds under `dir` link to, by file.
fn links_in(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).into_iter().map(Result::unwrap) {
        let p = e.path();
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !e.file_type().is_file() || !matches!(ext, "html" | "xml") {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        let mut values = Vec::new();
        for open in ["href=\"", "src=\"", "<loc>"] {
            for (i, _) in text.match_indices(open) {
                let rest = &text[i + open.len()..];
                values.push(&rest[..rest.find(['"', '<']).unwrap()]);
            }
        }
        for v in values {
            let v = v.split(['#', '?']).next().unwrap();
            if v.is_empty() || v.contains("://") {
                continue;
            }
            let decoded = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap();
            let target = p.parent().unwrap().join(decoded.as_ref());
            let mut parts: Vec<String> = Vec::new();
            for c in target.strip_prefix(dir).unwrap_or(&target).components() {
                match c {
                    std::path::Component::ParentDir => {
                        parts.pop();
                    }
                    std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into()),
                    _ => {}
                }
            }
            out.push((p.to_path_buf(), parts.join("/")));
        }
    }
    out
}

/// The search index's files as text (they are UTF-16 script files).
fn search_texts(site: &Path) -> Vec<String> {
    walkdir::WalkDir::new(site.join("_search"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            match bytes.strip_prefix(&[0xff, 0xfe]) {
                Some(le) => String::from_utf16(
                    &le.chunks(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect::<Vec<_>>(),
                )
                .unwrap(),
                None => String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
        .collect()
}

/// No page but the redirect pages themselves, no feed, sitemap or search file names an old address.
fn assert_old_addresses_unlisted(site: &Path) {
    let old: BTreeSet<&str> = MOVES.iter().map(|m| m.0).chain([DELETED]).collect();
    for (page, target) in links_in(site) {
        assert!(
            !old.contains(target.as_str()),
            "{} links to the old address {target}",
            page.display()
        );
    }
    let texts = search_texts(site);
    assert!(!texts.is_empty());
    for address in &old {
        let encoded = dangan::paths::encode_path(address);
        for t in &texts {
            assert!(
                !t.contains(&format!("\"{encoded}\"")) && !t.contains(&format!("\"{address}\"")),
                "the search index names {address}"
            );
        }
    }
    for (_, new, _) in MOVES {
        let encoded = dangan::paths::encode_path(new);
        assert!(
            texts.iter().any(|t| t.contains(&format!("\"{encoded}\""))),
            "the search index has {new} (so the check above can see an address)"
        );
    }
}

/// The page at an old address as a reader sees it when the browser does not
/// go on by itself, kept in target/screenshots/ for a reviewer (as the theme
/// tests keep theirs): a copy beside it without the refresh, at 360 px and wide.
fn screenshot_of_a_redirect_page(b: &Browser, site: &Path) {
    let (old, new, title) = MOVES[0];
    let page = std::fs::read_to_string(site.join(old)).unwrap();
    let still: String = page
        .lines()
        .filter(|l| !l.contains("http-equiv=\"refresh\""))
        .collect::<Vec<_>>()
        .join("\n");
    let copy = site.join(old).with_file_name("moved-preview.html");
    std::fs::write(&copy, still).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for width in [360, 1200] {
        b.viewport(width, 700);
        b.goto(&file_url(&copy));
        let text = b.eval(
            "return document.querySelector('main').innerText;",
            json!([]),
        );
        let text = text.as_str().unwrap();
        assert!(text.contains(title) && text.contains(new), "{text}");
        let overflow = b.eval(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        );
        assert_eq!(
            overflow,
            json!(false),
            "no sideways scrolling at {width} px"
        );
        std::fs::write(shots.join(format!("moved-{width}.png")), b.screenshot()).unwrap();
    }
    std::fs::remove_file(copy).unwrap();
}

/// What a search for `q` on the site lists, as site paths.
fn search_results(b: &Browser, site: &Path, q: &str) -> Vec<String> {
    b.goto(&format!(
        "{}?q={}",
        file_url(&site.join("search.html")),
        percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
    ));
    b.wait_for(
        &format!("results for {q}"),
        "var s = document.getElementById('dg-status'); return !!s && s.dataset.state === 'done';",
        json!([]),
        Duration::from_secs(15),
    );
    let v = b.eval(
        "return Array.from(document.querySelectorAll('#dg-results a.dg-title')).map(function (a) { return a.getAttribute('href'); });",
        json!([]),
    );
    let hrefs: Vec<String> = serde_json::from_value(v).unwrap();
    hrefs
        .iter()
        .map(|h| {
            percent_encoding::percent_decode_str(h)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect()
}

#[test]
fn moved_renamed_and_reslugged_reports_keep_their_old_addresses_on_the_site_and_the_share() {
    let a = five_reports();
    let share = tempfile::tempdir().unwrap();
    let dest = share.path().join("档案");
    std::fs::create_dir(&dest).unwrap();
    a.build().ok();
    a.run(&["publish", dest.to_str().unwrap(), "--quiet"]).ok();
    for (old, _, _) in MOVES {
        assert!(dest.join(old).is_file(), "{old} was published");
    }

    move_rename_reslug_delete(&a);
    let run = a.build();
    run.ok();
    let err = run.stderr();
    // The deleted report's address is named, with what would keep it.
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(": warning: ")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains(DELETED) && warnings[0].contains("now leads nowhere"),
        "{err}"
    );
    assert!(err.contains(&format!("aliases: [\"{DELETED}\"]")), "{err}");
    a.run(&["publish", dest.to_str().unwrap(), "--quiet"]).ok();
    assert_recorded_as_redirects(&a.out(), &dest);

    for site in [a.out(), dest.clone()] {
        for (old, new, _) in MOVES {
            assert!(site.join(new).is_file(), "{new} in {}", site.display());
            let page = std::fs::read_to_string(site.join(old)).unwrap();
            assert!(
                page.contains("noindex"),
                "{old} is kept out of search engines"
            );
            assert!(
                !page.contains("<script"),
                "{old} leads on without JavaScript"
            );
        }
        assert!(
            !site.join(DELETED).exists(),
            "a deleted report leaves no page"
        );
        assert_old_addresses_unlisted(&site);
        assert_links_resolve(&site);
    }

    let b = Browser::start();
    // Meta refresh, not script: the redirect works with scripts off too.
    b.cdp(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": true}),
    );
    for site in [a.out(), dest.clone()] {
        for (old, new, title) in MOVES {
            follows(&b, &site, old, new, title);
        }
    }
    b.cdp(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": false}),
    );
    screenshot_of_a_redirect_page(&b, &a.out());
    for site in [a.out(), dest.clone()] {
        for (_, new, title) in MOVES {
            assert_eq!(
                search_results(&b, &site, title),
                [new],
                "search for {title}"
            );
        }
        assert!(search_results(&b, &site, "删除的报告").is_empty());
    }
}

/// The same on a real Windows-style share (Samba on 127.0.0.1, mounted as the publishing PC
/// and as a reader's PC; see tests/it/publish/smb.rs): published from one, the old addresses
/// lead on when opened through the other, with scripts off.
#[test]
fn old_addresses_lead_on_when_opened_from_a_real_smb_share() {
    let f = crate::publish::smb::folder("redirects");
    let a = five_reports();
    a.build().ok();
    a.run(&["publish", f.pc1.to_str().unwrap(), "--quiet"]).ok();
    move_rename_reslug_delete(&a);
    a.build().ok();
    a.run(&["publish", f.pc1.to_str().unwrap(), "--quiet"]).ok();

    assert_recorded_as_redirects(&a.out(), &f.server);
    assert!(
        !f.server.join(DELETED).exists(),
        "a deleted report leaves no page"
    );
    assert_old_addresses_unlisted(&f.server);
    let b = Browser::start();
    b.cdp(
        "Emulation.setScriptExecutionDisabled",
        json!({"value": true}),
    );
    for (old, new, title) in MOVES {
        follows(&b, &f.reader, old, new, title);
    }
}

/// The build's manifest lists each old address as a redirect linking to the report's page (so
/// that publish puts the page in place first), and publish records it as one in DEST.
fn assert_recorded_as_redirects(site: &Path, dest: &Path) {
    let built = dangan::manifest::read(site).unwrap().expect("a manifest");
    let published = dangan::publish::record_json(dest)
        .unwrap()
        .expect("a record");
    for (old, new, _) in MOVES {
        let listed = built.get(old).unwrap_or_else(|| panic!("{old} is listed"));
        assert_eq!(listed.kind, Some(Kind::Redirect), "{old}");
        let links: Vec<&str> = built.links_of(listed).collect();
        assert!(links.contains(&new), "{old} links to {new}: {links:?}");
        assert_eq!(built.get(new).and_then(|l| l.kind), Some(Kind::Report));
        assert_eq!(
            published["files"][old]["kind"], "redirect",
            "{old} in DEST's record"
        );
    }
    assert!(built.get(DELETED).is_none(), "{DELETED} is no output");
    assert!(published["files"].get(DELETED).is_none());
}

fn record(a: &Archive) -> String {
    std::fs::read_to_string(a.root().join(RECORD)).unwrap()
}

fn modified(a: &Archive) -> std::time::SystemTime {
    std::fs::metadata(a.root().join(RECORD))
        .unwrap()
        .modified()
        .unwrap()
}

/// The line of the record file that starts with `address`.
fn record_line(a: &Archive, address: &str) -> usize {
    record(a)
        .lines()
        .position(|l| l.starts_with(&format!("{address}\t")))
        .unwrap_or_else(|| panic!("{address} not in the record:\n{}", record(a)))
        + 1
}

#[test]
fn a_deleted_report_is_warned_about_once_and_check_never_writes_the_record() {
    let a = Archive::new();
    let text = report("一份报告", "市委办公室", "2020-01-01", "工作总结", "正文");
    a.report("2020/报告.md", &text);
    a.report(
        "2020/另一份.md",
        &report("另一份", "市委办公室", "2020-02-01", "工作总结", "正文"),
    );
    a.build().ok();
    let before = record(&a);
    assert!(
        before.contains("\n2020/报告.html\t2020/报告.md\t"),
        "{before}"
    );
    let stamp = modified(&a);

    a.remove("content/2020/报告.md");
    let warning = "the old address 2020/报告.html of content/2020/报告.md now leads nowhere";
    for _ in 0..2 {
        let run = a.run(&["check"]);
        run.ok();
        assert!(run.stderr().contains(warning), "{}", run.stderr());
        assert_eq!(record(&a), before, "check never writes the record");
        assert_eq!(modified(&a), stamp);
    }
    let run = a.build();
    run.ok();
    let err = run.stderr();
    assert!(err.contains(warning), "{err}");
    // The warning names the line where the record now says so.
    let line = record_line(&a, "2020/报告.html");
    assert!(
        err.contains(&format!("{RECORD}:{line}: warning:")),
        "{err}\n{}",
        record(&a)
    );
    assert!(
        record(&a).contains("\n2020/报告.html\t2020/报告.md\t")
            && record(&a)
                .lines()
                .nth(line - 1)
                .unwrap()
                .ends_with("\tremoved"),
        "{}",
        record(&a)
    );
    for args in [&["build"][..], &["check"]] {
        let run = a.run(args);
        run.ok();
        assert!(
            !run.stderr().contains("warning"),
            "{args:?} warns again: {}",
            run.stderr()
        );
    }

    // The report back in its place: its address shows it again, as before.
    a.report("2020/报告.md", &text);
    let run = a.build();
    run.ok();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    assert_eq!(record(&a), before);
    assert!(a.page("2020/报告.html").contains("<h1>一份报告</h1>"));
}

#[test]
fn a_build_with_errors_leaves_the_record_and_the_site_as_they_were() {
    let a = five_reports();
    a.build().ok();
    let (before, stamp) = (record(&a), modified(&a));
    move_rename_reslug_delete(&a);
    a.report(
        "2022/留下的.md",
        "---\nunit: 市委组织部\ndate: 2022-02-30\ntype: 工作总结\n---\n正文\n",
    );
    a.build().fails(1);
    assert_eq!(record(&a), before);
    assert_eq!(modified(&a), stamp);
    assert!(a.page(MOVES[0].0).contains("<h1>移动的报告</h1>"));
}

#[test]
fn building_again_leaves_the_record_untouched_and_it_reads_the_same_in_any_order() {
    let a = five_reports();
    a.build().ok();
    let (text, stamp) = (record(&a), modified(&a));
    std::thread::sleep(Duration::from_millis(20));
    a.build().ok();
    assert_eq!(
        modified(&a),
        stamp,
        "nothing changed: the file is not written again"
    );
    // Lines shuffled and merge marks left in (as a merge may leave them)
    // read the same, and the next build writes the file as it was.
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let sorted = lines.clone();
    lines.reverse();
    assert_ne!(lines, sorted);
    lines.insert(2, "<<<<<<< HEAD");
    lines.insert(4, "=======");
    lines.insert(5, ">>>>>>> 另一个科室");
    a.write(RECORD, lines.join("\n").as_bytes());
    let run = a.build();
    run.ok();
    assert!(run.stderr().contains("merge conflict"), "{}", run.stderr());
    assert_eq!(record(&a), text, "written again as dangan writes it");
    let run = a.build();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());

    move_rename_reslug_delete(&a);
    a.build().ok();
    let after = record(&a);
    let body: Vec<&str> = after.lines().filter(|l| !l.starts_with('#')).collect();
    let mut want = body.clone();
    want.sort();
    assert_eq!(body, want, "one line per address, sorted");
    assert!(!a.root().read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("dangan-tmp")
    }));
}

#[test]
fn an_old_address_that_another_report_now_wants_is_an_error_naming_both() {
    let a = Archive::new();
    a.report(
        "通知.md",
        &report("第一份通知", "市委办公室", "2020-01-01", "通知", "正文一"),
    );
    a.build().ok();
    std::fs::create_dir(a.root().join("content/2020")).unwrap();
    std::fs::rename(
        a.root().join("content/通知.md"),
        a.root().join("content/2020/通知.md"),
    )
    .unwrap();
    a.build().ok();
    assert!(a.page("通知.html").contains("2020/%E9%80%9A%E7%9F%A5.html"));

    a.report(
        "通知.md",
        &report("第二份通知", "市委办公室", "2021-01-01", "通知", "正文二"),
    );
    let run = a.build();
    run.fails(1);
    let line = record_line(&a, "通知.html");
    let err = run.stderr();
    assert!(
        err.contains("content/通知.md: error: would be published at 通知.html, but old links to that address lead to content/2020/通知.md (now at 2020/通知.html)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("delete line {line} of {RECORD}")),
        "{err}"
    );
    assert!(
        a.page("通知.html").contains("2020/%E9%80%9A%E7%9F%A5.html"),
        "nothing was written"
    );

    // Doing as the message says: the address goes to the new report.
    let text = record(&a);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("通知.html\t"))
        .collect();
    a.write(RECORD, (kept.join("\n") + "\n").as_bytes());
    a.build().ok();
    assert!(a.page("通知.html").contains("<h1>第二份通知</h1>"));
    assert!(a.page("2020/通知.html").contains("<h1>第一份通知</h1>"));
}

fn with_aliases(aliases: &str, title: &str, date: &str) -> String {
    report(title, "市委办公室", date, "工作总结", "正文").replacen(
        "---\n\n",
        &format!("aliases:\n{aliases}---\n\n"),
        1,
    )
}

#[test]
fn two_reports_claiming_one_old_address_is_an_error_in_both_naming_the_other() {
    let a = Archive::new();
    a.report(
        "甲.md",
        &with_aliases("  - 旧/合并前.html\n", "甲", "2020-01-01"),
    );
    a.report(
        "乙.md",
        &with_aliases("  - 旧/合并前.html\n", "乙", "2020-01-02"),
    );
    let run = a.build();
    run.fails(1);
    let err = run.stderr();
    for (file, other) in [("甲", "乙"), ("乙", "甲")] {
        assert!(
            err.contains(&format!("content/{file}.md:7: error: field `aliases`: \"旧/合并前.html\" leads from 旧/合并前.html, which content/{other}.md also names in its aliases")),
            "{err}"
        );
    }
}

#[test]
fn an_alias_naming_a_page_of_the_site_is_an_error() {
    let a = Archive::new();
    a.report(
        "甲.md",
        &with_aliases("  - 乙.html\n  - 甲.md\n", "甲", "2020-01-01"),
    );
    a.report(
        "乙.md",
        &report("乙", "市委办公室", "2020-01-02", "工作总结", "正文"),
    );
    // (An attachment named .html is published as .html.txt (#12 item 1), so
    // no attachment is at an address an alias can name.)
    a.write("content/文件夹.html/说明.pdf", b"%PDF");
    a.report(
        "丙.md",
        &with_aliases("  - 文件夹.html\n", "丙", "2020-01-03"),
    );
    let run = a.build();
    run.fails(1);
    let err = run.stderr();
    for want in [
        "content/甲.md:7: error: field `aliases`: \"乙.html\" leads from 乙.html, which is the page of content/乙.md",
        "content/甲.md:8: error: field `aliases`: \"甲.md\" names this report's own file",
        "content/丙.md:7: error: field `aliases`: \"文件夹.html\" leads from 文件夹.html, but the site has a folder 文件夹.html",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
}

#[test]
fn aliases_in_folders_spelled_two_ways_name_the_report_and_line_not_the_record() {
    let a = Archive::new();
    a.report(
        "甲.md",
        &with_aliases("  - old/a.html\n", "甲", "2020-01-01"),
    );
    a.report(
        "乙.md",
        &with_aliases("  - Old/b.html\n", "乙", "2020-01-02"),
    );
    let run = a.run(&["check"]);
    run.fails(1);
    let err = run.stderr();
    assert!(
        err.contains("content/甲.md:7:1: error: field `aliases`: would be written into the folder old, which differs only in letter case from the folder Old of content/乙.md"),
        "{err}"
    );
    assert!(!err.contains(RECORD), "{err}");
}

#[test]
fn alias_mistakes_name_the_file_line_and_field() {
    let a = Archive::new();
    a.report(
        "r.md",
        &with_aliases(
            "  - ../外面.md\n  - http://example.cn/a.html\n  - unit/x.html\n  - 2019/没有后缀\n  - 2019/a:b.html\n  - [嵌套]\n",
            "r",
            "2020-01-01",
        ),
    );
    let run = a.run(&["check"]);
    run.fails(1);
    let err = run.stderr();
    for (line, text) in [
        (7, "\"../外面.md\" leaves the site with `..`"),
        (8, "\"http://example.cn/a.html\" is a web address"),
        (
            9,
            "\"unit/x.html\" is in unit, where dangan writes its own pages",
        ),
        (10, "\"2019/没有后缀\" is not a page"),
        (
            11,
            "\"2019/a:b.html\" cannot be a file name on a Windows share",
        ),
    ] {
        assert!(
            err.contains(&format!(
                "content/r.md:{line}:1: error: field `aliases`: {text}"
            )),
            "line {line}: {text}\n{err}"
        );
    }
    assert!(
        err.contains("has an item that is a list, but each alias is one address"),
        "{err}"
    );
    assert!(!a.root().join(RECORD).exists(), "check writes no record");
}

#[test]
fn aliases_keep_old_addresses_of_a_report_that_moved_and_changed_or_was_merged() {
    let a = Archive::new();
    a.report(
        "2019/初稿.md",
        &report("初稿", "市委办公室", "2019-05-01", "工作总结", "正文"),
    );
    a.report(
        "2019/附录.md",
        &report("附录", "市委办公室", "2019-05-02", "工作总结", "附录正文"),
    );
    a.build().ok();
    // Moved and retitled: dangan cannot tell, and says so.
    a.remove("content/2019/初稿.md");
    a.report(
        "2020/定稿.md",
        &report("定稿", "市委办公室", "2019-05-01", "工作总结", "正文"),
    );
    let run = a.build();
    run.ok();
    assert!(
        run.stderr().contains("aliases: [\"2019/初稿.html\"]"),
        "{}",
        run.stderr()
    );
    assert!(!a.out().join("2019/初稿.html").exists());

    // The alias brings the old address back, even after the warning; the
    // merged report's file and an address kept by hand lead there too.
    a.remove("content/2019/附录.md");
    a.report(
        "2020/定稿.md",
        &with_aliases(
            "  - 2019/初稿.html\n  - 2019/附录.md\n  - 旧系统/news-1.html\n",
            "定稿",
            "2019-05-01",
        ),
    );
    let run = a.build();
    run.ok();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    for old in ["2019/初稿.html", "2019/附录.html", "旧系统/news-1.html"] {
        let page = a.page(old);
        let href = dangan::paths::relative_href(old, "2020/定稿.html");
        assert!(page.contains(&format!("url={href}\"")), "{old}: {page}");
    }
    assert_links_resolve(&a.out());

    // Once published, an address keeps leading to its report without the alias.
    a.report(
        "2020/定稿.md",
        &report("定稿", "市委办公室", "2019-05-01", "工作总结", "正文"),
    );
    let run = a.build();
    run.ok();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    assert!(a.out().join("2019/附录.html").is_file());
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().map(Result::unwrap) {
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_publish_stopped_at_any_step_never_leaves_an_old_address_leading_to_a_missing_page() {
    let a = five_reports();
    let share = tempfile::tempdir().unwrap();
    let published = share.path().join("v1");
    std::fs::create_dir(&published).unwrap();
    a.build().ok();
    a.run(&["publish", published.to_str().unwrap(), "--quiet"])
        .ok();
    move_rename_reslug_delete(&a);
    a.build().ok();
    let opts = dangan::publish::PublishOptions {
        quiet: true,
        ..Default::default()
    };
    for steps in 0.. {
        let dest = share.path().join(format!("run{steps}"));
        copy_tree(&published, &dest);
        let done = dangan::publish::publish_killed_after(&a.out(), &dest, &opts, steps).is_ok();
        for (old, new, title) in MOVES {
            let page = std::fs::read_to_string(dest.join(old)).unwrap();
            if page.contains("http-equiv=\"refresh\"") {
                let target = std::fs::read_to_string(dest.join(new)).unwrap_or_else(|_| {
                    panic!("stopped after {steps}: {old} leads to {new}, not there yet")
                });
                assert!(target.contains(&format!("<h1>{title}</h1>")));
            } else {
                assert!(!done, "{old} is a page leading to {new} once published");
                assert!(
                    page.contains(&format!("<h1>{title}</h1>")),
                    "{old} is whole"
                );
            }
        }
        if done {
            assert!(steps > 5, "the publish had several steps to stop at");
            break;
        }
        std::fs::remove_dir_all(&dest).unwrap();
    }
}

fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn a_record_that_cannot_be_written_stops_the_build_before_any_page_changes() {
    let a = five_reports();
    a.build().ok();
    let (site, record) = (files(&a.out()), self::record(&a));
    move_rename_reslug_delete(&a);
    // A folder where the record's temporary file must go: not even root writes there.
    let blocker = a.root().join(format!(".{RECORD}.dangan-tmp"));
    std::fs::create_dir(&blocker).unwrap();
    let run = a.build();
    run.fails(2);
    // The message names the file once, and says what went wrong there.
    let stderr = run.stderr();
    let error = stderr.lines().find(|l| l.starts_with("error:"));
    let error = error.unwrap_or_else(|| panic!("an error line in {stderr}"));
    assert_eq!(error.matches(RECORD).count(), 1, "{error}");
    assert!(error.contains("os error"), "{error}");
    assert!(files(&a.out()) == site, "the site is as it was");
    assert_eq!(self::record(&a), record);
    std::fs::remove_dir(&blocker).unwrap();
    a.build().ok();
    assert!(a.page(MOVES[0].0).contains("http-equiv=\"refresh\""));
}
