//! Incremental rebuilds (what `watch` does) must write exactly what a fresh
//! `dangan build` writes, after any sequence of changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastrand::Rng;

use dangan::build::{BuildOptions, Session};

use crate::support::*;

const UNITS: &[&str] = &["江城市委", "荔湾区委", "东街道党工委", "市委办公室"];
const TYPES: &[&str] = &["调研报告", "汇报提纲", "工作总结"];
/// Files beside the fixed reports, named after none of them.
const SHARED: &[&str] = &["fixed/共用0.txt", "fixed/共用1.txt"];
const DATES: &[&str] = &[
    "2019-03-01",
    "2020-05",
    "2020-05-17",
    "2021-12-31",
    "2018-01-09",
];

pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A watch-mode session on the archive, after its first build.
fn built_session(a: &Archive) -> Session {
    let mut session = Session::open(BuildOptions {
        root: a.root().to_path_buf(),
        out: None,
        write: true,
        cache: false,
    })
    .unwrap();
    session.run().unwrap();
    session
}

/// A session as a new process opens it: with the build cache of the last.
pub(crate) fn cached_session(root: &Path) -> Session {
    Session::open(BuildOptions {
        root: root.to_path_buf(),
        out: None,
        write: true,
        cache: true,
    })
    .unwrap()
}

#[track_caller]
fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    let differ: Vec<&String> = want
        .keys()
        .chain(got.keys())
        .filter(|k| want.get(*k) != got.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: differs in {differ:?}");
}

/// A fresh build's diagnostics and, when it has no errors, its output.
fn fresh(root: &Path) -> (Vec<dangan::diag::Diagnostic>, BTreeMap<String, Vec<u8>>) {
    let out = root.join("fresh");
    let _ = std::fs::remove_dir_all(&out);
    let opts = BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.clone()),
        write: true,
        cache: false,
    };
    let outcome = dangan::build::build(&opts).unwrap();
    (outcome.diagnostics, tree(&out))
}

pub(crate) fn fresh_build(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let (diags, files) = fresh(root);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    files
}

fn random_report(rng: &mut Rng, known: &[String]) -> String {
    let mut body = format!(
        "## 一、情况{}\n\n正文{}。\n",
        rng.usize(..5),
        rng.usize(..1000)
    );
    // links go to the reports that are never deleted; their slugs and drafts change
    let targets: Vec<&String> = known.iter().filter(|k| k.starts_with("fixed/")).collect();
    if !targets.is_empty() && rng.usize(..3) == 0 {
        body.push_str(&format!(
            "\n见[另一篇](/{})。\n",
            rng.choice(&targets).unwrap()
        ));
    }
    // files no report has beside it: published unless only drafts link to them
    if rng.usize(..3) == 0 {
        body.push_str(&format!("\n见[材料](/{})。\n", rng.choice(SHARED).unwrap()));
    }
    let draft = if rng.usize(..8) == 0 {
        "draft: true\n"
    } else {
        ""
    };
    let slug = if rng.usize(..6) == 0 {
        format!("slug: s{}\n", rng.usize(..1000))
    } else {
        String::new()
    };
    format!(
        "---\ntitle: 报告{}\nunit: {}\ndate: {}\ntype: {}\n{draft}{slug}---\n\n{body}",
        rng.usize(..50),
        rng.choice(UNITS).unwrap(),
        rng.choice(DATES).unwrap(),
        rng.choice(TYPES).unwrap()
    )
}

/// A random report that may be deleted or moved (not one of the link targets).
fn movable(rng: &mut Rng, reports: &[String]) -> usize {
    loop {
        let i = rng.usize(..reports.len());
        if !reports[i].starts_with("fixed/") {
            return i;
        }
    }
}

/// Applies one random change under `content/` and returns the paths it touched.
fn random_change(rng: &mut Rng, root: &Path, reports: &mut Vec<String>) -> Vec<PathBuf> {
    let content = root.join("content");
    let dirs = ["", "2020/", "a/b/", "调研/"];
    match rng.usize(..9) {
        0 | 1 if !reports.is_empty() => {
            // edit a report (front matter and body), or its body alone: the
            // pages that do not show the body keep their fingerprints; or
            // (every other body, no draw of `rng`, so that each seed's
            // edits stay what they were) its body and title, which no index
            // holds: the lists and its neighbours' pages change, not the rest
            let id = rng.choice(reports.iter()).unwrap().clone();
            let mut text = random_report(rng, reports);
            if rng.bool() {
                let old = std::fs::read_to_string(content.join(&id)).unwrap();
                let mut front = old[..old.find("\n---\n").unwrap() + 5].to_string();
                let body = &text[text.find("\n---\n").unwrap() + 5..];
                let title = |t: &str| {
                    t.lines()
                        .find(|l| l.starts_with("title: "))
                        .map(String::from)
                };
                if body.len().is_multiple_of(2)
                    && let (Some(before), Some(after)) = (title(&front), title(&text))
                {
                    front = front.replacen(&before, &after, 1);
                }
                text = format!("{front}{body}");
            }
            std::fs::write(content.join(&id), text).unwrap();
            vec![content.join(id)]
        }
        2 if reports.iter().any(|r| !r.starts_with("fixed/")) => {
            let i = movable(rng, reports);
            let id = reports.remove(i);
            std::fs::remove_file(content.join(&id)).unwrap();
            vec![content.join(id)]
        }
        3 if reports.iter().any(|r| !r.starts_with("fixed/")) => {
            // rename (move) a report
            let i = movable(rng, reports);
            let new_id = format!("{}r{}.md", rng.choice(&dirs).unwrap(), rng.u64(..100_000));
            if reports.contains(&new_id) {
                return vec![];
            }
            let old = std::mem::replace(&mut reports[i], new_id.clone());
            std::fs::create_dir_all(content.join(&new_id).parent().unwrap()).unwrap();
            std::fs::rename(content.join(&old), content.join(&new_id)).unwrap();
            vec![content.join(old), content.join(new_id)]
        }
        4 => random_attachment(rng, &content, reports),
        8 if !reports.is_empty() => {
            // a report turns draft, or a draft is published: its files with it
            let id = rng.choice(reports.iter()).unwrap().clone();
            let path = content.join(&id);
            let text = std::fs::read_to_string(&path).unwrap();
            let text = match text.contains("\ndraft: true\n") {
                true => text.replacen("\ndraft: true\n", "\n", 1),
                false => text.replacen("---\n", "---\ndraft: true\n", 1),
            };
            std::fs::write(&path, text).unwrap();
            vec![path]
        }
        5 if !reports.is_empty() => {
            // a whole folder moves
            let from = content.join("a");
            if !from.exists() {
                return vec![];
            }
            let to = content.join(format!("moved{}", rng.usize(..1000)));
            std::fs::rename(&from, &to).unwrap();
            let old_prefix = "a/";
            let new_prefix = format!("{}/", to.file_name().unwrap().to_string_lossy());
            for r in reports.iter_mut() {
                if let Some(rest) = r.strip_prefix(old_prefix) {
                    *r = format!("{new_prefix}{rest}");
                }
            }
            vec![from, to]
        }
        _ => {
            let id = format!("{}r{}.md", rng.choice(&dirs).unwrap(), rng.u64(..100_000));
            if reports.contains(&id) {
                return vec![];
            }
            let text = random_report(rng, reports);
            let path = content.join(&id);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            reports.push(id);
            vec![path]
        }
    }
}

/// An attachment appears, changes or goes (#18: its text is searched): a
/// DOCX, XLSX, text file or a damaged PDF, beside a folder's reports or named
/// after one.
fn random_attachment(rng: &mut Rng, content: &Path, reports: &[String]) -> Vec<PathBuf> {
    let dirs = ["", "2020/", "a/b/", "调研/"];
    let ext = *rng.choice(&["docx", "xlsx", "txt", "pdf"]).unwrap();
    let named_after = rng.choice(reports.iter()).filter(|_| rng.bool());
    let rel = match named_after {
        // named after a report, or in the folder named after it
        Some(r) if rng.bool() => {
            format!("{}/附件{}.{ext}", r.trim_end_matches(".md"), rng.usize(..2))
        }
        Some(r) => format!("{}-附件{}.{ext}", r.trim_end_matches(".md"), rng.usize(..2)),
        None => format!("{}附件{}.{ext}", rng.choice(&dirs).unwrap(), rng.usize(..3)),
    };
    let path = content.join(&rel);
    if path.exists() && rng.usize(..3) == 0 {
        std::fs::remove_file(&path).unwrap();
        return vec![path];
    }
    let phrase = format!("附件词{:04}", rng.usize(..10_000));
    let bytes = match ext {
        "docx" => crate::attachments::docx(&["情况说明", &phrase]),
        "xlsx" => crate::attachments::xlsx("统计表", &[&["事项", &phrase]]),
        "txt" => phrase.into_bytes(),
        _ => format!("%PDF-1.4 damaged {phrase}").into_bytes(),
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    vec![path]
}

fn read_record(root: &Path) -> Option<Vec<u8>> {
    std::fs::read(root.join(dangan::addresses::RECORD_FILE)).ok()
}

fn write_record(root: &Path, bytes: &Option<Vec<u8>>) {
    let path = root.join(dangan::addresses::RECORD_FILE);
    match bytes {
        Some(b) => std::fs::write(path, b).unwrap(),
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn is_redirect(page: &[u8]) -> bool {
    String::from_utf8_lossy(page).contains("http-equiv=\"refresh\"")
}

/// Sets the time of every file at or under `paths` to the next second of `clock`.
fn backdate(paths: &[PathBuf], clock: &mut std::time::SystemTime) {
    for path in paths {
        for e in walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
        {
            if e.file_type().is_file() {
                *clock += std::time::Duration::from_secs(1);
                let file = std::fs::File::options().write(true).open(e.path()).unwrap();
                file.set_modified(*clock).unwrap();
            }
        }
    }
}

#[test]
fn random_edit_sequences_give_the_same_site_as_a_fresh_build() {
    // Moves, renames and slug changes leave pages at the old addresses, and
    // deletions warnings: both must happen for the comparison to test them.
    let (mut redirects_seen, mut moved_away_seen) = (0, 0);
    let (mut restarts, mut cache_restored, mut search_restored) = (0, 0, 0);
    // Files only drafts link to are left out, and published again once a
    // published report links to them (or none does).
    let (mut shared_published, mut shared_withheld) = (0, 0);
    for seed in [1u64, 7, 42, 2024, 5, 11, 99, 123] {
        let a = Archive::new();
        let root = a.root();
        let mut rng = Rng::with_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        // A unit tree: parent unit pages chart and list their sub-units' reports.
        a.write(
            "dangan.toml",
            "[[units]]\nname = \"江城市委\"\n\
             [[units]]\nname = \"荔湾区委\"\nparent = \"江城市委\"\n\
             [[units]]\nname = \"东街道党工委\"\nparent = \"荔湾区委\"\n\
             [[units]]\nname = \"市委办公室\"\nparent = \"江城市委\"\n"
                .as_bytes(),
        );
        let mut reports: Vec<String> = (0..3).map(|i| format!("fixed/k{i}.md")).collect();
        for id in &reports {
            a.report(
                id,
                &report("固定", "市委办公室", "2020-01-01", "工作总结", "正文"),
            );
        }
        for (i, rel) in SHARED.iter().enumerate() {
            a.write(&format!("content/{rel}"), format!("共用材料{i}").as_bytes());
        }
        for _ in 0..12 {
            random_change(&mut rng, root, &mut reports);
        }
        let mut session = cached_session(root);
        session.run().unwrap();
        // As in watch mode, some saves get their pages only, and the search
        // index (and stale files) with a later run (a stream of its own, so
        // that the edits stay those of the seed).
        let mut pages_only = Rng::with_seed(seed ^ 0x5EED);
        // Some steps are a new process's first build, which starts from the
        // build cache the last one left (#15).
        let mut restart = Rng::with_seed(seed ^ 0xCAC4E);
        // Files changed an hour ago or more, each at a time of its own: the
        // cache trusts what it read of the others (a file changed within
        // seconds of its reading is read again whatever its time says).
        let mut clock = std::time::SystemTime::now() - std::time::Duration::from_secs(3600 * 24);
        let mut errors_seen = 0;
        // Compilations (year/<year>/<unit>.html, with sub-units under 含下级单位/) compared.
        let (mut own_compilations, mut with_sub_units) = (0, 0);
        for step in 0..30 {
            let touched = random_change(&mut rng, root, &mut reports);
            backdate(&touched, &mut clock);
            let restarted = restart.usize(..4) == 0;
            if restarted {
                drop(session);
                restarts += 1;
                cache_restored += usize::from(
                    ["attachments", "reports", "pages"]
                        .iter()
                        .all(|p| root.join(".dangan-cache").join(p).exists()),
                );
                // The search index's state, which the new process updates
                // instead of building the index again.
                search_restored += usize::from(root.join(".dangan-cache/search").exists());
                session = cached_session(root);
            } else {
                session.update(&touched);
            }
            let later = step < 29 && pages_only.usize(..3) == 0 && !restarted;
            // The address record as the session found it: the fresh build
            // starts from the same one, and must leave the same.
            let record_before = read_record(root);
            let outcome = if later {
                session.run_pages().unwrap()
            } else {
                session.run().unwrap()
            };
            let record_after = read_record(root);
            write_record(root, &record_before);
            let (fresh_diags, fresh) = fresh(root);
            assert_eq!(
                read_record(root),
                record_after,
                "seed {seed} step {step}: the same address record as a fresh build"
            );
            redirects_seen += outcome
                .changed
                .iter()
                .filter(|p| fresh.get(*p).is_some_and(|b| is_redirect(b)))
                .count();
            moved_away_seen += outcome
                .diagnostics
                .iter()
                .filter(|d| d.message.contains("now leads nowhere"))
                .count();
            assert_eq!(
                outcome.diagnostics, fresh_diags,
                "seed {seed} step {step}: same problems as a fresh build"
            );
            if outcome.has_errors() {
                errors_seen += 1;
                continue; // neither writes; the next change may repair it
            }
            if later {
                continue; // compared once the search index has followed
            }
            let incremental = tree(&root.join("public"));
            for rel in SHARED {
                match fresh.contains_key(*rel) {
                    true => shared_published += 1,
                    false => shared_withheld += 1,
                }
            }
            for k in fresh.keys().filter(|k| k.starts_with("year/")) {
                match k.matches('/').count() {
                    2 => own_compilations += 1,
                    3 => with_sub_units += 1,
                    _ => {}
                }
            }
            let differ: Vec<_> = fresh
                .keys()
                .chain(incremental.keys())
                .filter(|k| fresh.get(*k) != incremental.get(*k))
                .collect();
            assert!(
                differ.is_empty(),
                "seed {seed} step {step} (touched {touched:?}): differs in {differ:?}"
            );
        }
        assert!(
            errors_seen < 25,
            "seed {seed}: most steps had errors, the sequence tests little"
        );
        assert!(
            own_compilations > 0 && with_sub_units > 0,
            "seed {seed}: compilations compared: {own_compilations} own, {with_sub_units} with sub-units"
        );
    }
    assert!(
        restarts > 30 && cache_restored > 20 && search_restored > 20,
        "{restarts} new processes, {cache_restored} with a build cache, {search_restored} with the search index's"
    );
    assert!(
        redirects_seen > 10 && moved_away_seen > 5,
        "{redirects_seen} redirect pages written, {moved_away_seen} addresses gone"
    );
    assert!(
        shared_published > 20 && shared_withheld > 20,
        "files only drafts link to: {shared_withheld} times left out, {shared_published} published"
    );
}

#[test]
fn an_edit_rewrites_only_the_pages_that_show_it() {
    let a = Archive::new();
    for i in 0..6 {
        let unit = if i % 2 == 0 { "甲单位" } else { "乙单位" };
        a.report(
            &format!("r{i}.md"),
            &report(
                &format!("报告{i}"),
                unit,
                &format!("202{i}-01-01"),
                "总结",
                "正文",
            ),
        );
    }
    let mut session = built_session(&a);

    // body only: the page itself and its compilation (汇编) change, no list shows the body
    a.report(
        "r2.md",
        &report("报告2", "甲单位", "2022-01-01", "总结", "新的正文"),
    );
    session.update(&[a.root().join("content/r2.md")]);
    let o = session.run().unwrap();
    let (search, pages): (Vec<String>, Vec<String>) = o
        .changed
        .into_iter()
        .partition(|p| p.starts_with("_search/"));
    assert_eq!(pages, vec!["r2.html", "year/2022/甲单位.html"]);
    // new words in the body: their postings and the report's text shard are rewritten
    assert!(
        search.iter().any(|p| p.starts_with("_search/d/")),
        "{search:?}"
    );
    assert!(
        search.iter().any(|p| p.starts_with("_search/t/")),
        "{search:?}"
    );

    // the title: its page, its neighbours' prev/next links, and every list that shows it
    a.report(
        "r2.md",
        &report("报告二", "甲单位", "2022-01-01", "总结", "新的正文"),
    );
    session.update(&[a.root().join("content/r2.md")]);
    let mut changed: Vec<String> = session
        .run()
        .unwrap()
        .changed
        .into_iter()
        .filter(|p| !p.starts_with("_search/"))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "feed.xml",
            "index.html",
            "r0.html",
            "r2.html",
            "r4.html",
            "type/总结.html",
            "unit/甲单位.html",
            "unit/甲单位.xml",
            "year/2022.html",
            "year/2022/甲单位.html"
        ]
    );
}

#[test]
fn a_broken_report_keeps_the_last_good_output_and_fixing_it_recovers() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", "正文"));
    let mut session = built_session(&a);
    let before = a.page("a.html");
    a.report(
        "a.md",
        "---\nunit: 单位\ndate: 2020-02-30\ntype: 总结\n---\n新正文\n",
    );
    session.update(&[a.root().join("content/a.md")]);
    let o = session.run().unwrap();
    assert!(o.has_errors() && o.changed.is_empty());
    assert_eq!(a.page("a.html"), before);
    a.report(
        "a.md",
        "---\nunit: 单位\ndate: 2020-02-28\ntype: 总结\n---\n新正文\n",
    );
    session.update(&[a.root().join("content/a.md")]);
    assert!(!session.run().unwrap().has_errors());
    assert!(a.page("a.html").contains("新正文"));

    // a deleted output folder is written again in full
    std::fs::remove_dir_all(a.out()).unwrap();
    session.update(&[a.out()]);
    session.run().unwrap();
    assert_same(
        &tree(&a.out()),
        &fresh_build(a.root()),
        "after the output folder was deleted",
    );
}

#[test]
fn a_move_seen_as_a_removal_then_an_addition_still_leaves_a_page_at_the_old_address() {
    let a = Archive::new();
    a.report(
        "2019/报告.md",
        &report("报告", "市委办公室", "2019-03-01", "调研报告", "正文"),
    );
    a.report(
        "2019/另一份.md",
        &report("另一份", "市委办公室", "2019-04-01", "调研报告", "正文"),
    );
    let mut session = built_session(&a);
    let (old, new) = (
        a.root().join("content/2019/报告.md"),
        a.root().join("content/归档/报告.md"),
    );
    let text = std::fs::read_to_string(&old).unwrap();

    // A file manager's move may arrive as two changes, each rebuilt on its own.
    std::fs::remove_file(&old).unwrap();
    session.update(std::slice::from_ref(&old));
    let o = session.run().unwrap();
    assert!(
        o.diagnostics
            .iter()
            .any(|d| d.message.contains("2019/报告.html")),
        "{:?}",
        o.diagnostics
    );
    assert!(!a.out().join("2019/报告.html").exists());

    a.report("归档/报告.md", &text);
    session.update(std::slice::from_ref(&new));
    let o = session.run().unwrap();
    assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
    assert!(
        a.page("2019/报告.html")
            .contains("url=../%E5%BD%92%E6%A1%A3/%E6%8A%A5%E5%91%8A.html\"")
    );
    assert_same(&tree(&a.out()), &fresh_build(a.root()), "after the move");
}

#[test]
fn an_address_let_go_in_the_record_while_watching_leaves_the_site() {
    let a = Archive::new();
    a.report(
        "甲.md",
        &report("甲", "市委办公室", "2020-01-01", "工作总结", "正文"),
    );
    let mut session = built_session(&a);
    let record = a.root().join(dangan::addresses::RECORD_FILE);
    assert!(
        !session.update(std::slice::from_ref(&record)),
        "the record as the build wrote it is no change"
    );
    std::fs::rename(
        a.root().join("content/甲.md"),
        a.root().join("content/乙.md"),
    )
    .unwrap();
    session.update(&[
        a.root().join("content/甲.md"),
        a.root().join("content/乙.md"),
    ]);
    session.run().unwrap();
    assert!(a.page("甲.html").contains("url=%E4%B9%99.html\""));

    // Someone deletes the old address's line (or a merge brings a new record).
    let_go_by_hand(&a, &mut session, "甲.html");
}

/// Deletes the line of `address` from the address record by hand, as a
/// watching session sees it, and checks that its redirect page leaves the
/// site as a fresh build's would.
#[track_caller]
fn let_go_by_hand(a: &Archive, session: &mut Session, address: &str) {
    let record = a.root().join(dangan::addresses::RECORD_FILE);
    let text = std::fs::read_to_string(&record).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(&format!("{address}\t")))
        .collect();
    assert!(kept.len() < text.lines().count(), "{text}");
    std::fs::write(&record, kept.join("\n") + "\n").unwrap();
    assert!(session.update(std::slice::from_ref(&record)));
    session.run().unwrap();
    assert!(!a.out().join(address).exists());
    assert_same(
        &tree(&a.out()),
        &fresh_build(a.root()),
        "after the record changed",
    );
}

/// Issue #18: watch mode reads an attachment again when it changes, even
/// when its size and time stay the same (a second save within the tick of a
/// coarse clock, as on FAT and SMB shares): its bytes are compared while
/// its time is that recent. Its new text is searched, as a fresh build's.
#[test]
fn an_attachment_saved_twice_in_one_clock_tick_is_read_again() {
    let a = Archive::new();
    a.report(
        "甲/报告.md",
        &report("报告", "市委办公室", "2020-01-01", "工作总结", "正文"),
    );
    a.write("content/甲/名单.txt", "第一版名单：张三".as_bytes());
    let path = a.root().join("content/甲/名单.txt");
    let mut session = built_session(&a);
    let before = std::fs::metadata(&path).unwrap();
    std::fs::write(&path, "第二版名单：李四".as_bytes()).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(before.modified().unwrap())
        .unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (after.len(), after.modified().unwrap()),
        (before.len(), before.modified().unwrap())
    );
    session.update(std::slice::from_ref(&path));
    session.run().unwrap();
    // The search index only: the copy of the attachment in the output
    // folder is decided by size and time alone (not this issue's).
    let index_of = |files: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files
            .into_iter()
            .filter(|(p, _)| p.starts_with("_search"))
            .collect()
    };
    let incremental = index_of(tree(&a.out()));
    assert_same(
        &incremental,
        &index_of(fresh_build(a.root())),
        "the search index after the second save",
    );
    let index: Vec<(String, Vec<u8>)> = incremental.into_iter().collect();
    let reader = dangan::search::reader::Reader::new(&index).unwrap();
    assert_eq!(reader.search("李四").hits.len(), 1);
    assert!(reader.search("张三").hits.is_empty());
}

#[test]
fn a_report_saved_while_the_site_is_built_is_read_again_whole() {
    let a = Archive::new();
    for i in 0..4 {
        a.report(
            &format!("r{i}.md"),
            &report(
                &format!("报告{i}"),
                "甲单位",
                &format!("202{i}-01-01"),
                "总结",
                "旧的正文",
            ),
        );
    }
    // The session reads every report's front matter when it opens; the bodies
    // are read again for the pages. A save in between (title and body) must
    // not give a page with the old title over the new body.
    let mut session = Session::open(BuildOptions {
        root: a.root().to_path_buf(),
        out: None,
        write: true,
        cache: false,
    })
    .unwrap();
    a.report(
        "r1.md",
        &report(
            "新标题",
            "甲单位",
            "2021-01-01",
            "总结",
            "新的正文，比原来的长得多",
        ),
    );
    a.remove("content/r3.md");
    let o = session.run().unwrap();
    assert!(!o.has_errors(), "{:?}", o.diagnostics);
    let page = a.page("r1.html");
    assert!(
        page.contains("新标题") && page.contains("新的正文，比原来的长得多"),
        "{page}"
    );
    assert!(a.page("unit/甲单位.html").contains("新标题"));
    assert!(
        !a.out().join("r3.html").exists(),
        "a report removed meanwhile has no page"
    );
    assert_same(
        &tree(&a.out()),
        &fresh_build(a.root()),
        "after saves during the build",
    );
}

/// A save that moves no report keeps the last resolution of old addresses
/// (#13); a hand edit of the record after it must still be seen.
#[test]
fn an_address_let_go_after_a_save_that_moved_nothing_leaves_the_site() {
    let a = Archive::new();
    a.report(
        "甲.md",
        &report("甲", "市委办公室", "2020-01-01", "工作总结", "正文"),
    );
    let mut session = built_session(&a);
    let (old, new) = (
        a.root().join("content/甲.md"),
        a.root().join("content/乙.md"),
    );
    std::fs::rename(&old, &new).unwrap();
    session.update(&[old, new.clone()]);
    session.run().unwrap();
    assert!(a.page("甲.html").contains("url=%E4%B9%99.html\""));

    // A body edit: the record stays as it is, the resolution is kept.
    a.report(
        "乙.md",
        &report("甲", "市委办公室", "2020-01-01", "工作总结", "改过的正文"),
    );
    session.update(std::slice::from_ref(&new));
    let o = session.run().unwrap();
    assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
    assert!(a.page("甲.html").contains("url=%E4%B9%99.html\""));

    let_go_by_hand(&a, &mut session, "甲.html");
}

/// A save whose outputs' names are as in the last clean run skips checking
/// them (#13); a report or attachment that makes a name clash while watching
/// is still reported, and the site stays as it was until it is fixed.
#[test]
fn a_name_clash_made_while_watching_is_reported() {
    let dept = report("丙", "单位", "2020-01-01", "总结", "正文");
    let clashes: [(&str, &[u8], &str); 2] = [
        (
            "content/dept/b.md",
            dept.as_bytes(),
            "content/dept/b.md: error: field `file name`: would be written into the folder dept, which differs only in letter case from the folder Dept of content/Dept/a.md",
        ),
        (
            "content/x.html/附件.pdf",
            b"%PDF",
            "content/x.md: error: field `file name`: its page would be written to x.html, where content/x.html/附件.pdf needs a folder",
        ),
    ];
    for (rel, bytes, want) in clashes {
        let a = Archive::new();
        a.report(
            "Dept/a.md",
            &report("乙", "单位", "2020-01-01", "总结", "正文"),
        );
        a.report("x.md", &report("甲", "单位", "2020-02-01", "总结", "正文"));
        let mut session = built_session(&a);
        // A body edit first, so that the clean check is remembered.
        let edited = a.root().join("content/x.md");
        a.report(
            "x.md",
            &report("甲", "单位", "2020-02-01", "总结", "新的正文"),
        );
        session.update(std::slice::from_ref(&edited));
        let o = session.run().unwrap();
        assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
        let good = tree(&a.out());

        a.write(rel, bytes);
        let path = a.root().join(rel);
        session.update(std::slice::from_ref(&path));
        let o = session.run().unwrap();
        let said: Vec<String> = o.diagnostics.iter().map(|d| d.render()).collect();
        assert!(said.iter().any(|m| m.contains(want)), "{rel}: {said:?}");
        assert_same(&tree(&a.out()), &good, "the site while the clash stands");

        std::fs::remove_file(&path).unwrap();
        session.update(std::slice::from_ref(&path));
        let o = session.run().unwrap();
        assert!(o.diagnostics.is_empty(), "{rel}: {:?}", o.diagnostics);
        assert_same(&tree(&a.out()), &fresh_build(a.root()), "after the fix");
    }
}

/// A save that changes only a title keeps every other report page's
/// fingerprint (#13); the new title can move the report among those of its
/// date, and the pages of its neighbours before and after the move link
/// elsewhere, as in a fresh build.
#[test]
fn a_new_title_that_moves_a_report_among_those_of_its_date_gives_a_fresh_builds_site() {
    let a = Archive::new();
    for t in ["A", "B", "C", "D"] {
        a.report(
            &format!("{t}.md"),
            &report(
                &format!("报告{t}"),
                "市委办公室",
                "2020-01-01",
                "工作总结",
                "正文",
            ),
        );
    }
    let mut session = built_session(&a);
    assert!(a.page("B.html").contains("A.html"), "B is next to A");
    a.report(
        "A.md",
        &report("报告Z", "市委办公室", "2020-01-01", "工作总结", "正文"),
    );
    session.update(&[a.root().join("content/A.md")]);
    let o = session.run().unwrap();
    assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
    assert!(!a.page("B.html").contains("A.html"), "A moved away from B");
    assert_same(
        &tree(&a.out()),
        &fresh_build(a.root()),
        "after the new title",
    );
}

/// A new title changes the report's key in the address record (#13): the
/// record and the site are a fresh build's, both when the new key is that
/// of a report gone before (its old address now leads to this one) and
/// when the report, with such an address leading to it, is retitled again.
#[test]
fn a_new_title_keeps_the_address_record_a_fresh_builds() {
    let a = Archive::new();
    let titled =
        |title: &str, body: &str| report(title, "市委办公室", "2020-01-01", "工作总结", body);
    a.report("G.md", &titled("报告G", "正文"));
    a.report("C.md", &titled("报告C", "正文"));
    let mut session = built_session(&a);
    let mut save = |rel: &str, text: Option<String>| {
        match text {
            Some(text) => a.report(rel, &text),
            None => a.remove(&format!("content/{rel}")),
        };
        session.update(&[a.root().join("content").join(rel)]);
        let o = session.run().unwrap();
        assert!(!o.has_errors(), "{:?}", o.diagnostics);
    };
    let record = || std::fs::read_to_string(a.root().join(dangan::addresses::RECORD_FILE)).unwrap();
    let same_as_fresh = |what: &str| {
        let kept = record();
        assert_same(&tree(&a.out()), &fresh_build(a.root()), what);
        assert_eq!(record(), kept, "{what}: the record");
    };
    save("G.md", None); // its address leads nowhere, and says so once
    save("C.md", Some(titled("报告C", "正文二")));
    assert!(!a.out().join("G.html").exists());
    // C takes G's key: G's old address now leads to C.
    save("C.md", Some(titled("报告G", "正文二")));
    assert!(is_redirect(a.page("G.html").as_bytes()));
    assert!(a.page("G.html").contains("url=C.html\""));
    same_as_fresh("C given G's title");
    save("C.md", Some(titled("报告G", "正文三")));
    // Both of C's addresses take its new key.
    save("C.md", Some(titled("报告Z", "正文三")));
    same_as_fresh("C given another title");
    assert!(a.page("G.html").contains("url=C.html\""));
}

/// A new title is remade on the lists that show the report (#13): its
/// unit's and those of the units above (a unit with no reports of its own
/// lists its sub-units'), its year's and type's, the page at its old
/// address; every other list is kept, and the site is a fresh build's.
#[test]
fn a_new_title_shows_on_every_list_of_the_report_and_its_old_address() {
    let a = Archive::new();
    a.write(
        "dangan.toml",
        "[[units]]\nname = \"上级\"\nslug = \"sj\"\n[[units]]\nname = \"下级\"\nparent = \"上级\"\n"
            .as_bytes(),
    );
    a.report(
        "甲.md",
        &report("报告甲", "下级", "2020-01-01", "工作总结", "正文"),
    );
    a.report(
        "乙.md",
        &report("报告乙", "别处", "2019-03-01", "调研报告", "正文"),
    );
    let mut session = built_session(&a);
    std::fs::rename(
        a.root().join("content/甲.md"),
        a.root().join("content/丙.md"),
    )
    .unwrap();
    session.update(&[
        a.root().join("content/甲.md"),
        a.root().join("content/丙.md"),
    ]);
    session.run().unwrap();
    assert!(a.page("unit/sj.html").contains("报告甲"));
    a.report(
        "丙.md",
        &report("报告丁", "下级", "2020-01-01", "工作总结", "正文"),
    );
    session.update(&[a.root().join("content/丙.md")]);
    let o = session.run().unwrap();
    assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
    for page in [
        "unit/sj.html",
        "unit/下级.html",
        "year/2020.html",
        "type/工作总结.html",
        "甲.html",
    ] {
        assert!(a.page(page).contains("报告丁"), "{page}");
        assert!(!a.page(page).contains("报告甲"), "{page}");
    }
    assert_same(
        &tree(&a.out()),
        &fresh_build(a.root()),
        "after the new title",
    );
}

/// The sitemap lists the reports in the order of their files; a report
/// file renamed (its `slug:` keeps its address, its date keeps its place
/// among the newest) can change that order alone: the sitemap is then a
/// fresh build's, not the one before.
#[test]
fn a_renamed_report_that_keeps_its_address_reorders_the_sitemap() {
    let a = Archive::new();
    let slugged = |title: &str, date: &str, slug: &str| {
        report(title, "市委办公室", date, "工作总结", "正文").replacen(
            "---\n\n",
            &format!("slug: {slug}\n---\n\n"),
            1,
        )
    };
    a.report("a.md", &slugged("报告甲", "2020-01-01", "p"));
    a.report("b.md", &slugged("报告乙", "2020-03-01", "q"));
    let mut session = built_session(&a);
    let sitemap = a.page("sitemap.xml");
    assert!(sitemap.find("p.html") < sitemap.find("q.html"), "{sitemap}");
    std::fs::rename(a.root().join("content/b.md"), a.root().join("content/0.md")).unwrap();
    session.update(&[a.root().join("content/b.md"), a.root().join("content/0.md")]);
    let o = session.run().unwrap();
    assert!(o.diagnostics.is_empty(), "{:?}", o.diagnostics);
    assert_same(&tree(&a.out()), &fresh_build(a.root()), "after the rename");
}

/// An archive in `watch` from no report to many (several blocks of the
/// search index), to fewer (another layout of the index), to none, to one
/// again, then in a new process from the build cache: each time the site
/// and the address record are a fresh build's (#13: the index's segments
/// are spilled to a temporary file and read back by an update).
#[test]
fn an_archive_emptied_and_filled_again_in_watch_gives_a_fresh_builds_site() {
    let a = Archive::new();
    let root = a.root();
    std::fs::create_dir_all(root.join("content")).unwrap();
    let mut session = built_session(&a);
    let same_as_fresh = |session: &mut Session, what: &str| {
        let record_before = read_record(root);
        let outcome = session.run().unwrap();
        let record_after = read_record(root);
        write_record(root, &record_before);
        let (diags, files) = fresh(root);
        assert_eq!(read_record(root), record_after, "{what}: the record");
        assert_eq!(outcome.diagnostics, diags, "{what}");
        assert_same(&tree(&a.out()), &files, what);
    };
    same_as_fresh(&mut session, "no report");
    let rel = |i: usize| format!("content/r{i:02}.md");
    let paths: Vec<PathBuf> = (0..70).map(|i| root.join(rel(i))).collect();
    for i in 0..70 {
        let text = report(
            &format!("报告{i}"),
            "市委办公室",
            "2020-01-01",
            "工作总结",
            &format!("正文{i}"),
        );
        a.write(&rel(i), text.as_bytes());
    }
    session.update(&paths);
    same_as_fresh(&mut session, "70 reports");
    for i in (0..70).step_by(3) {
        a.remove(&rel(i));
    }
    session.update(&paths);
    same_as_fresh(&mut session, "a third gone");
    for (i, path) in paths.iter().enumerate() {
        if i % 3 != 0 {
            a.remove(&rel(i));
        }
        assert!(!path.exists());
    }
    session.update(&paths);
    same_as_fresh(&mut session, "every report gone");
    let one = report("报告", "市委办公室", "2020-01-01", "工作总结", "正文");
    a.write(&rel(5), one.as_bytes());
    session.update(&paths);
    same_as_fresh(&mut session, "one report again");
    drop(session);
    a.write(&rel(6), one.replace("正文", "另一篇").as_bytes());
    let mut session = cached_session(root);
    same_as_fresh(&mut session, "a new process");
}
