//! `dangan publish` of real build output to a temporary folder: publish, edit, delete,
//! republish, interrupt.

mod archive;
mod bench;
pub(crate) mod smb;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use archive::Report;
use bench::*;
use dangan::publish::{
    PublishError, PublishOptions, publish, publish_failing_after, publish_killed_after,
    publish_killed_before_switch,
};

fn small() -> ArchiveModel {
    ArchiveModel::generate(14, 600)
}

/// The small archive built and published; its model.
fn published_small(b: &Bench) -> ArchiveModel {
    let v1 = small();
    b.build(&v1);
    b.publish().unwrap();
    v1
}

/// Edit one report, add one to an existing unit, delete another (the only one of its year,
/// with an attachment).
fn edited(model: &ArchiveModel) -> ArchiveModel {
    let mut m = model.clone();
    m.reports
        .get_mut("reports/2017/r000001")
        .unwrap()
        .body
        .push_str("（补充）");
    let mut added = m.reports["reports/2010/r000000"].clone();
    added.title = "新增的调研报告".into();
    added.attachment = true;
    m.reports.insert("reports/2010/r000030".into(), added);
    let gone = m.reports.remove("reports/2011/r000013").unwrap();
    assert!(gone.attachment);
    m
}

/// Two builds of one archive, before and after a change, to publish one over the other.
struct Versions {
    bench: Bench,
    /// DEST with the old site published, to clone.
    template: PathBuf,
    old: PathBuf,
    new: PathBuf,
    old_tree: BTreeMap<String, Vec<u8>>,
    new_tree: BTreeMap<String, Vec<u8>>,
}

impl Versions {
    fn new(v1: &ArchiveModel, v2: &ArchiveModel) -> Versions {
        let bench = Bench::new();
        let (old, new) = (bench.dir.path().join("old"), bench.dir.path().join("new"));
        bench.build_into(v1, &old);
        bench.build_into(v2, &new);
        let (old_tree, new_tree) = (expected(&old), expected(&new));
        let template = bench.dir.path().join("template");
        fs::create_dir(&template).unwrap();
        publish(&old, &template, &quiet()).unwrap();
        Versions {
            template,
            bench,
            old,
            new,
            old_tree,
            new_tree,
        }
    }

    /// A fresh DEST with the old site published in it (a copy of one, time stamps and all).
    fn dest_with_old(&self, name: &str) -> PathBuf {
        let dest = self.bench.dir.path().join(name);
        copy_tree(&self.template, &dest);
        dest
    }

    fn search_problems(&self, dest: &Path) -> Vec<String> {
        let (mo, mn) = (manifest_of(&self.old), manifest_of(&self.new));
        search_problems(dest, &[&self.new_tree, &self.old_tree], &[&mn, &mo])
    }

    /// Every file in DEST is whole: the old or the new site's bytes.
    fn assert_whole(&self, dest: &Path, when: &str) {
        let temporary = |rel: &str| rel.split('/').any(|c| c.ends_with(".dangan-tmp"));
        for (rel, bytes) in published(dest, &[])
            .into_iter()
            .filter(|(r, _)| !temporary(r))
        {
            let whole =
                self.old_tree.get(&rel) == Some(&bytes) || self.new_tree.get(&rel) == Some(&bytes);
            assert!(whole, "{when}: {rel} is neither the old nor the new file");
        }
    }
}

#[test]
fn first_publish_copies_the_site_exactly() {
    let b = Bench::new();
    b.build(&small());
    let s = b.publish().unwrap();
    assert_dest_equals_site(&b, &[]);
    let want = expected(&b.site);
    assert_eq!(s.added.len(), want.len());
    assert_eq!(
        s.bytes_sent,
        want.values().map(|v| v.len() as u64).sum::<u64>()
    );
    assert!(s.changed.is_empty() && s.removed.is_empty() && s.unchanged == 0);
    assert!(leftovers(&b.dest).is_empty());
    assert!(broken_links(&b.dest, false).is_empty());
    // The manifest vouches for every file with the size and time it really has, so the next
    // run need not read DEST back.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(b.dest.join(".dangan-publish.json")).unwrap()).unwrap();
    let files = manifest["files"].as_object().unwrap();
    assert_eq!(files.len(), want.len());
    for (rel, entry) in files {
        let meta = fs::metadata(b.dest.join(rel)).unwrap();
        let ns = meta
            .modified()
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        assert_eq!(entry["size"].as_u64(), Some(meta.len()), "{rel}");
        assert_eq!(
            entry["mtime"].as_i64().map(|t| t as u128),
            Some(ns),
            "{rel}"
        );
    }
}

#[test]
fn republishing_an_identical_rebuild_touches_nothing() {
    let b = Bench::new();
    b.build(&small());
    b.publish().unwrap();
    let before = mtimes(&b.dest);
    std::thread::sleep(Duration::from_millis(20));
    fs::remove_dir_all(&b.site).unwrap();
    b.build(&small()); // every site file written anew: new time stamps, same bytes
    let s = b.publish().unwrap();
    assert!(
        s.added.is_empty() && s.changed.is_empty() && s.removed.is_empty(),
        "{s:?}"
    );
    assert_eq!(s.unchanged, expected(&b.site).len());
    assert_eq!(s.bytes_sent, 0);
    assert_eq!(
        mtimes(&b.dest),
        before,
        "nothing in DEST, not even the manifest, was rewritten"
    );
}

#[test]
fn edit_add_delete_then_republish() {
    let b = Bench::new();
    let v1 = published_small(&b);
    // Time stamps a share might have shifted: the manifest no longer vouches for the files
    // to replace, so they are read back, found unchanged since, and replaced.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for rel in tree(&b.dest).keys().filter(|r| !r.starts_with(".dangan")) {
        fs::File::options()
            .write(true)
            .open(b.dest.join(rel))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let old_site = expected(&b.site);
    b.build(&edited(&v1));
    let s = b.publish().unwrap();
    assert_dest_equals_site(&b, &[]);

    let new_site = expected(&b.site);
    let only_in = |a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    assert_eq!(s.added, only_in(&new_site, &old_site));
    assert_eq!(s.removed, only_in(&old_site, &new_site));
    for page in ["reports/2010/r000030.html", "reports/2010/r000030-附件.pdf"] {
        assert!(s.added.contains(&page.to_string()), "{page}: {:?}", s.added);
    }
    for page in [
        "reports/2011/r000013.html",
        "reports/2011/r000013-附件.pdf",
        "year/2011.html",
    ] {
        assert!(
            s.removed.contains(&page.to_string()),
            "{page}: {:?}",
            s.removed
        );
    }
    let really_changed: Vec<&String> = new_site
        .iter()
        .filter(|(k, v)| old_site.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k)
        .collect();
    let replaced_whole: Vec<&String> = s
        .changed
        .iter()
        .filter(|c| !really_changed.contains(c))
        .collect();
    assert!(
        replaced_whole.iter().all(|c| c.starts_with("_search/")),
        "only files whose bytes changed: {replaced_whole:?}"
    );
    assert!(s.changed.contains(&"reports/2017/r000001.html".to_string()));
    for (rel, t) in mtimes(&b.dest) {
        // Index files are named by their bytes (#14): one left alone keeps its time stamp too.
        let touched =
            s.added.contains(&rel) || s.changed.contains(&rel) || rel.starts_with(".dangan");
        assert_eq!(
            t == old,
            !touched,
            "{rel}: unchanged files keep their time stamps"
        );
    }
}

#[test]
fn folders_left_empty_by_deleted_reports_are_removed() {
    let b = Bench::new();
    let v1 = published_small(&b);
    let mut v2 = v1.clone();
    v2.reports.retain(|id, _| !id.starts_with("reports/2012/"));
    b.build(&v2);
    b.foreign("reports/2013/notes.txt", "kept");
    let s = b.publish().unwrap();
    assert!(s.removed.contains(&"year/2012.html".to_string()));
    assert!(!b.dest.join("reports/2012").exists());
    assert_dest_equals_site(&b, &["reports/2013/notes.txt"]);
}

#[test]
fn foreign_files_survive_every_publish() {
    let b = Bench::new();
    let v1 = published_small(&b);
    let foreign = [
        "通知.txt",
        "logo.png",
        "other-tool/data/x.db",
        "reports/2011/手写说明.docx",
        "unit/readme.txt",
    ];
    for f in foreign {
        b.foreign(f, &format!("placed by hand: {f}"));
    }
    let mut v2 = edited(&v1);
    v2.reports.retain(|id, _| !id.starts_with("reports/2011/")); // empties a folder holding a foreign file
    b.build(&v2);
    let s = b.publish().unwrap();
    for f in foreign {
        assert_eq!(
            fs::read_to_string(b.dest.join(f)).unwrap(),
            format!("placed by hand: {f}")
        );
        assert!(!s.removed.contains(&f.to_string()));
    }
    assert!(b.dest.join("reports/2011").is_dir());
    assert_dest_equals_site(&b, &foreign);
}

#[test]
fn a_name_taken_by_a_foreign_file_is_an_error_that_names_it() {
    let b = Bench::new();
    let v1 = published_small(&b);
    b.foreign("unit/新单位.html", "someone's page");
    let mut v2 = v1.clone();
    v2.reports.get_mut("reports/2010/r000000").unwrap().unit = "新单位".into();
    b.build(&v2);
    let before = (tree(&b.dest), mtimes(&b.dest));
    let err = b.publish().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PublishError::Collision { .. }), "{msg}");
    assert!(
        msg.contains("unit/新单位.html") && msg.contains("dangan did not put"),
        "{msg}"
    );
    assert_eq!(
        (tree(&b.dest), mtimes(&b.dest)),
        before,
        "nothing was changed"
    );
}

/// Issue #12 item 11: a file dangan wrote that a colleague edited on the share since is
/// theirs: never overwritten (the publish stops and names it) nor removed (kept, and said).
#[test]
fn a_file_edited_on_the_share_since_is_reported_never_overwritten_or_deleted() {
    let b = Bench::new();
    let v1 = published_small(&b);
    let page = "reports/2017/r000001.html";
    let gone = "reports/2011/r000013.html";
    for rel in [page, gone] {
        let mut html = fs::read_to_string(b.dest.join(rel)).unwrap();
        html.push_str("<!-- 王芳 added a note on the share -->");
        fs::write(b.dest.join(rel), html).unwrap();
    }
    b.build(&edited(&v1)); // changes `page` and deletes the report of `gone`
    let before = (tree(&b.dest), mtimes(&b.dest));
    let err = b.publish().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PublishError::Collision { .. }), "{msg}");
    assert!(
        msg.contains(&format!(
            "{page} (changed on the share since dangan published it)"
        )),
        "{msg}"
    );
    assert_eq!(
        (tree(&b.dest), mtimes(&b.dest)),
        before,
        "nothing was changed"
    );

    // Once the colleague's copy of the changing page is moved away, the publish goes on and
    // keeps the other edited page, which the site no longer has, saying so.
    fs::rename(b.dest.join(page), b.dest.join("王芳的修改.html")).unwrap();
    let s = b.publish().unwrap();
    assert_eq!(s.kept, [gone]);
    assert!(!s.removed.contains(&gone.to_string()));
    assert!(
        fs::read_to_string(b.dest.join(gone))
            .unwrap()
            .contains("王芳")
    );
    let warning = s.warning(false).unwrap();
    assert!(
        warning.contains(gone) && warning.contains("someone changed"),
        "{warning}"
    );
    assert_dest_equals_site(&b, &[gone, "王芳的修改.html"]);
    // From now on it is a foreign file, left alone.
    let mut v3 = edited(&v1);
    v3.reports
        .get_mut("reports/2010/r000000")
        .unwrap()
        .body
        .push_str("（再补充）");
    b.build(&v3);
    let s = b.publish().unwrap();
    assert!(s.kept.is_empty() && !s.removed.contains(&gone.to_string()));
    assert!(b.dest.join(gone).is_file());
}

#[test]
fn a_non_empty_folder_without_manifest_needs_adopt() {
    let b = Bench::new();
    b.build(&small());
    b.foreign("公告.txt", "notice");
    b.foreign("index.html", "an old home page copied by hand");
    let msg = b.publish().unwrap_err().to_string();
    assert!(
        msg.contains("not empty") && msg.contains("--adopt") && msg.contains("index.html"),
        "{msg}"
    );
    assert_eq!(tree(&b.dest).len(), 2, "nothing written, no lock left");

    let s = b
        .publish_with(PublishOptions {
            adopt: true,
            ..quiet()
        })
        .unwrap();
    assert!(s.changed.contains(&"index.html".to_string()));
    assert_dest_equals_site(&b, &["公告.txt"]);
    assert_eq!(
        fs::read_to_string(b.dest.join("公告.txt")).unwrap(),
        "notice"
    );
    b.publish().unwrap(); // from now on the manifest says what is dangan's
}

#[test]
fn adopting_a_hand_copied_output_removes_its_stale_pages() {
    let b = Bench::new();
    let v1 = small();
    b.build_into(&v1, &b.dest); // the old way: the output folder copied over the share
    b.foreign("公告.txt", "notice");
    let v2 = edited(&v1);
    b.build(&v2);
    let s = b
        .publish_with(PublishOptions {
            adopt: true,
            ..quiet()
        })
        .unwrap();
    assert!(
        s.removed.contains(&"reports/2011/r000013.html".to_string()),
        "{:?}",
        s.removed
    );
    assert!(s.removed.contains(&".dangan-manifest".to_string()));
    assert_dest_equals_site(&b, &["公告.txt"]);
}

#[test]
fn a_second_publish_at_the_same_time_is_refused_unless_told_to_break_the_lock() {
    let b = Bench::new();
    b.build(&small());
    let lock_path = b.dest.join(".dangan-publish.lock");
    put_lock(
        &b.dest,
        r#"{"user":"王芳","host":"office-pc","pid":4242,"started":"2025-03-01 09:30:00","token":"x"}"#,
    );
    let msg = b.publish().unwrap_err().to_string();
    assert!(
        msg.contains("another publish") && msg.contains("王芳") && msg.contains("office-pc"),
        "{msg}"
    );
    assert!(
        msg.contains(&lock_path.display().to_string())
            && msg.contains("Wait")
            && msg.contains("--break-lock"),
        "{msg}"
    );
    assert!(published(&b.dest, &[".dangan-publish.lock"]).is_empty());
    let s = b
        .publish_with(PublishOptions {
            break_lock: true,
            ..quiet()
        })
        .unwrap();
    assert!(
        s.lock_note.as_deref().unwrap().contains("office-pc"),
        "{s:?}"
    );
    assert_dest_equals_site(&b, &[]);
    assert!(leftovers(&b.dest).is_empty(), "the lock is gone when done");
}

#[test]
fn names_a_share_cannot_hold_are_all_reported_before_copying() {
    let b = Bench::new();
    b.build(&small());
    // As if the build had written them: listed in its manifest.
    let mut outputs: Vec<dangan::manifest::Output> = manifest_of(&b.site)
        .outputs
        .into_iter()
        .map(|o| dangan::manifest::Output {
            path: o.path,
            kind: o.kind.unwrap(),
            links: Vec::new(),
        })
        .collect();
    for rel in [
        "reports/a:b.html",
        "CON.html",
        "unit/X.html",
        "unit/x.html",
        "trailing./a.html",
    ] {
        write(&b.site.join(rel), "x");
        outputs.push(dangan::manifest::Output {
            path: rel.into(),
            kind: dangan::manifest::Kind::Report,
            links: Vec::new(),
        });
    }
    dangan::manifest::write(&b.site, &outputs).unwrap();
    let err = b.publish().unwrap_err();
    let PublishError::BadNames(bad) = &err else {
        panic!("{err}")
    };
    let paths: Vec<&str> = bad.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "CON.html",
            "reports/a:b.html",
            "trailing./a.html",
            "unit/x.html"
        ]
    );
    assert!(err.to_string().contains("Windows"), "{err}");
    assert!(tree(&b.dest).is_empty());
}

/// Issue #12 item 8: the manifests hold any name a report can have; one starting with `#` at
/// the top of content/ is published, and removed when the report goes.
#[test]
fn reports_named_with_a_leading_hash_are_published_and_removed() {
    let b = Bench::new();
    let mut v1 = small();
    let template = v1.reports["reports/2010/r000000"].clone();
    for id in ["#1 调研报告", "# 开头", "reports/2010/#2"] {
        v1.reports.insert(id.into(), template.clone());
    }
    b.build(&v1);
    b.publish().unwrap();
    assert_dest_equals_site(&b, &[]);
    for page in ["#1 调研报告.html", "# 开头.html", "reports/2010/#2.html"] {
        assert!(b.dest.join(page).is_file(), "{page}");
    }
    assert!(broken_links(&b.dest, false).is_empty());
    let mut v2 = v1.clone();
    v2.reports.remove("#1 调研报告");
    b.build(&v2);
    let s = b.publish().unwrap();
    assert!(
        s.removed.contains(&"#1 调研报告.html".to_string()),
        "{:?}",
        s.removed
    );
    assert!(!b.dest.join("#1 调研报告.html").exists());
    assert_dest_equals_site(&b, &[]);
}

#[test]
fn a_dry_run_lists_the_changes_and_writes_nothing() {
    let b = Bench::new();
    let v1 = published_small(&b);
    b.build(&edited(&v1));
    let before = (tree(&b.dest), mtimes(&b.dest));
    let dry = b
        .publish_with(PublishOptions {
            dry_run: true,
            ..quiet()
        })
        .unwrap();
    assert_eq!((tree(&b.dest), mtimes(&b.dest)), before);
    let real = b.publish().unwrap();
    assert_eq!(
        (&dry.added, &dry.changed, &dry.removed),
        (&real.added, &real.changed, &real.removed)
    );
    assert_eq!(dry.bytes_sent, real.bytes_sent);
    let text = dry.report(&b.dest, true);
    assert!(
        text.contains("  remove reports/2011/r000013.html") && text.contains("would publish"),
        "{text}"
    );
}

/// Issue #20 item 3: after every step of a publish (as if it had been killed there), the
/// search index in DEST is one build's, whole, and every page it names is there; and every
/// link of every page resolves.
#[test]
fn a_publish_killed_at_any_step_leaves_a_working_site_and_the_next_run_finishes() {
    let v = Versions::new(&small(), &edited(&small()));
    for steps in 0.. {
        let dest = v.dest_with_old(&format!("dest{steps}"));
        match publish_killed_after(&v.new, &dest, &quiet(), steps) {
            Ok(_) => {
                assert!(steps > 10, "the scenario has several steps");
                break;
            }
            Err(PublishError::Interrupted) => {}
            Err(e) => panic!("{e}"),
        }
        // While copies are made, readers see the old site, whole; only every fourth such
        // state is resumed from (they differ only in the copies made so far).
        if settled_for(&dest, &v.old_tree) == v.old_tree && steps % 4 != 0 {
            fs::remove_dir_all(&dest).unwrap();
            continue;
        }
        // Every link of every page resolves, except between two pages that this publish removes
        // and that link each other (no live page links to them, and one of them has to go first).
        let broken: Vec<Broken> = broken_links(&dest, false)
            .into_iter()
            .filter(|l| v.new_tree.contains_key(&l.page) || v.new_tree.contains_key(&l.target))
            .collect();
        assert!(broken.is_empty(), "killed after {steps} steps: {broken:?}");
        let problems = v.search_problems(&dest);
        assert!(
            problems.is_empty(),
            "killed after {steps} steps: {problems:?}"
        );
        v.assert_whole(&dest, &format!("killed after {steps} steps"));
        let s = publish(&v.new, &dest, &quiet()).unwrap();
        assert_same_files(
            &published(&dest, &[]),
            &v.new_tree,
            &format!("killed after {steps}"),
        );
        assert!(
            leftovers(&dest).is_empty(),
            "killed after {steps}: {:?}",
            leftovers(&dest)
        );
        assert!(s.added.len() + s.changed.len() + s.removed.len() <= v.new_tree.len());
        fs::remove_dir_all(&dest).unwrap();
    }
}

#[test]
fn a_killed_first_publish_shows_no_broken_page_from_home_and_is_finished_next_time() {
    let b = Bench::new();
    b.build(&small());
    let total = expected(&b.site).len();
    for steps in [0, 3, total / 2, total + 1, total + 3] {
        let dest = b.dir.path().join(format!("first{steps}"));
        fs::create_dir(&dest).unwrap();
        let _ = publish_killed_after(&b.site, &dest, &quiet(), steps).unwrap_err();
        assert!(broken_links(&dest, true).is_empty());
        publish(&b.site, &dest, &quiet()).unwrap();
        assert_same_files(&published(&dest, &[]), &expected(&b.site), "resumed");
        assert!(broken_links(&dest, false).is_empty());
    }
}

#[test]
fn new_units_and_years_never_show_a_broken_link_and_new_folders_arrive_whole() {
    // A report in a new unit links to the new unit page, which links back; a new year brings a
    // new folder of reports and a new year page. Nothing a reader can reach links to them
    // before they are all there; a new folder appears with everything in it at once.
    let v1 = small();
    let mut v2 = v1.clone();
    let template = v1.reports["reports/2010/r000000"].clone();
    let in_new_unit = Report {
        unit: "新设街道党工委".into(),
        ..template.clone()
    };
    v2.reports
        .insert("reports/2010/r000099".into(), in_new_unit);
    for i in 0..3 {
        let in_new_year = Report {
            year: 2031,
            attachment: i == 0,
            ..template.clone()
        };
        v2.reports
            .insert(format!("reports/2031/r00010{i}"), in_new_year);
    }
    let v = Versions::new(&v1, &v2);
    let new_folder: Vec<&String> = v
        .new_tree
        .keys()
        .filter(|r| r.starts_with("reports/2031/"))
        .collect();
    assert_eq!(new_folder.len(), 4);
    for steps in 0.. {
        let dest = v.dest_with_old(&format!("dest{steps}"));
        let done = publish_killed_after(&v.new, &dest, &quiet(), steps).is_ok();
        if !done && settled_for(&dest, &v.old_tree) == v.old_tree {
            fs::remove_dir_all(&dest).unwrap(); // still copying: readers see the old site
            continue;
        }
        let broken = broken_links(&dest, true);
        assert!(broken.is_empty(), "killed after {steps} steps: {broken:?}");
        let arrived = new_folder.iter().filter(|r| dest.join(r).is_file()).count();
        assert!(
            arrived == 0 || arrived == new_folder.len(),
            "killed after {steps}: {arrived} files"
        );
        if done {
            assert_same_files(&published(&dest, &[]), &v.new_tree, "done");
            break;
        }
        fs::remove_dir_all(&dest).unwrap();
    }
}

#[test]
fn leftovers_of_a_killed_run_are_cleaned_up() {
    let b = Bench::new();
    b.build(&small());
    b.publish().unwrap();
    b.foreign("unit/.市委办公室.html.dangan-tmp", "half a page");
    b.foreign(".index.html.dangan-tmp", "half a home page");
    b.foreign(
        "._search~old.dangan-tmp/meta.js",
        "an old index moved aside",
    );
    b.publish().unwrap();
    assert!(leftovers(&b.dest).is_empty());
}

/// Issue #20 item 5: a publish that fails halfway (the share refused a write) removes the
/// temporary copies it made; the site in DEST is the old one, whole.
#[test]
fn a_failed_publish_removes_its_temporary_files() {
    let v = Versions::new(&small(), &edited(&small()));
    let dest = v.dest_with_old("share");
    let plan = publish(
        &v.new,
        &dest,
        &PublishOptions {
            dry_run: true,
            ..quiet()
        },
    )
    .unwrap();
    let writes = plan.added.len() + plan.changed.len();
    // Fail while copying, at a few points, and right before switching.
    for steps in [3, writes / 2, writes + 2] {
        let err = publish_failing_after(&v.new, &dest, &quiet(), steps).unwrap_err();
        assert!(matches!(err, PublishError::Io { .. }), "{err}");
        assert!(
            leftovers(&dest).is_empty(),
            "failed after {steps}: {:?}",
            leftovers(&dest)
        );
        assert_same_files(
            &published(&dest, &[]),
            &v.old_tree,
            &format!("failed after {steps}"),
        );
    }
    publish(&v.new, &dest, &quiet()).unwrap();
    assert_same_files(&published(&dest, &[]), &v.new_tree, "published");
}

#[test]
fn a_renamed_report_differing_only_in_case_is_moved() {
    let b = Bench::new();
    let mut v1 = small();
    let r = v1.reports.remove("reports/2010/r000000").unwrap();
    v1.reports.insert("reports/2010/Plan".into(), r.clone());
    b.build(&v1);
    b.publish().unwrap();
    let mut v2 = v1.clone();
    v2.reports.remove("reports/2010/Plan");
    v2.reports.insert("reports/2010/plan".into(), r);
    b.build(&v2);
    let s = b.publish().unwrap();
    assert!(s.added.contains(&"reports/2010/plan.html".to_string()));
    assert!(
        s.added
            .iter()
            .all(|a| a == "reports/2010/plan.html" || a.starts_with("_search/")),
        "{:?}",
        s.added
    );
    assert!(
        s.removed.contains(&"reports/2010/Plan.html".to_string())
            || !b.dest.join("reports/2010/Plan.html").exists()
    );
    assert_dest_equals_site(&b, &[]);
}

#[test]
fn missing_or_overlapping_folders_are_refused() {
    let b = Bench::new();
    b.build(&small());
    let missing = b.dest.join("not-mounted");
    let msg = publish(&b.site, &missing, &quiet())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("mounted"),
        "{msg}"
    );
    let inside = b.site.join("copy");
    fs::create_dir(&inside).unwrap();
    let msg = publish(&b.site, &inside, &quiet()).unwrap_err().to_string();
    assert!(msg.contains("is inside the output folder"), "{msg}");
}

/// Issue #12 item 11: a share inside content/ (each publish would nest another copy of the
/// site in the archive), the archive itself, or a folder holding the archive, is refused.
#[test]
fn a_destination_overlapping_the_archive_is_refused() {
    let b = Bench::new();
    b.build(&small());
    let content = b.archive.join("content");
    let share_in_content = content.join("share");
    fs::create_dir(&share_in_content).unwrap();
    let with_archive = |dest: &Path| {
        publish(
            &b.site,
            dest,
            &PublishOptions {
                archive: Some(b.archive.clone()),
                ..quiet()
            },
        )
    };
    for (dest, says) in [
        (share_in_content.as_path(), "is inside the content folder"),
        (content.as_path(), "is the content folder"),
        (b.archive.as_path(), "is the archive folder"),
        (b.dir.path(), "contains the archive folder"),
    ] {
        let err = with_archive(dest).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, PublishError::Overlap { .. }), "{msg}");
        assert!(msg.contains(says), "{}: {msg}", dest.display());
    }
    assert_eq!(fs::read_dir(&share_in_content).unwrap().count(), 0);
    // A folder that is no archive (no content/, no dangan.toml), such as the one publish runs
    // in with --out and --no-build, may hold the share.
    let elsewhere = b.dir.path().join("mnt/share");
    fs::create_dir_all(&elsewhere).unwrap();
    let opts = PublishOptions {
        archive: Some(b.dir.path().to_path_buf()),
        ..quiet()
    };
    publish(&b.site, &elsewhere, &opts).unwrap();
    // Through the command line too, with exit code 2.
    let out = assert_cmd::Command::cargo_bin("dangan")
        .unwrap()
        .args(["--root"])
        .arg(&b.archive)
        .args(["--out"])
        .arg(&b.site)
        .arg("publish")
        .arg(&share_in_content)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is inside the content folder"), "{stderr}");
    assert_eq!(fs::read_dir(&share_in_content).unwrap().count(), 0);
}

#[test]
fn copies_finished_before_an_interruption_are_not_sent_again() {
    let v = Versions::new(&small(), &edited(&small()));
    let dest = v.dest_with_old("share");
    let _ = publish_killed_before_switch(&v.new, &dest, &quiet()).unwrap_err();
    assert!(
        !leftovers(&dest).is_empty(),
        "the copies wait under temporary names"
    );
    assert_same_files(
        &settled_for(&dest, &v.old_tree),
        &v.old_tree,
        "nothing switched yet",
    );
    let s = publish(&v.new, &dest, &quiet()).unwrap();
    assert_eq!(s.bytes_sent, 0, "every copy was already there");
    assert_same_files(&published(&dest, &[]), &v.new_tree, "published");
    assert!(leftovers(&dest).is_empty());
}

#[test]
fn a_copy_left_by_an_interruption_is_not_used_once_its_file_changed() {
    let b = Bench::new();
    let v1 = published_small(&b);
    b.build(&edited(&v1));
    let _ = publish_killed_before_switch(&b.site, &b.dest, &quiet()).unwrap_err();
    // Edit, in the site, every page whose copy waits in DEST.
    let waiting: Vec<String> = leftovers(&b.dest)
        .into_iter()
        .filter_map(|t| {
            let (dir, name) = t.rsplit_once('/').unwrap_or(("", &t));
            let name = name.strip_prefix('.')?.strip_suffix(".dangan-tmp")?;
            Some(if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            })
        })
        .filter(|rel| rel.ends_with(".html"))
        .collect();
    assert!(!waiting.is_empty());
    for rel in &waiting {
        let mut bytes = fs::read(b.site.join(rel)).unwrap();
        bytes.extend_from_slice(b"<!-- edited again -->");
        fs::write(b.site.join(rel), bytes).unwrap();
    }
    let s = b.publish().unwrap();
    assert!(s.bytes_sent > 0);
    assert_dest_equals_site(&b, &[]);
}

#[test]
fn a_publishing_process_killed_at_random_leaves_a_working_site() {
    let v1 = ArchiveModel::generate(300, 4000);
    let mut v2 = edited(&v1);
    for r in v2.reports.values_mut() {
        r.body.push_str("（修订）"); // every page changes: a long copy to interrupt
    }
    let v = Versions::new(&v1, &v2);
    // From "lock taken" through copying to switching, on this machine; any moment must do.
    for delay_ms in [5, 50, 150, 300, 450] {
        let dest = v.dest_with_old(&format!("dest{delay_ms}"));
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dangan"))
            .arg("--out")
            .arg(&v.new)
            .arg("publish")
            .arg(&dest)
            .args(["--no-build", "--quiet"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        let broken: Vec<Broken> = broken_links(&dest, false)
            .into_iter()
            .filter(|l| v.new_tree.contains_key(&l.page) || v.new_tree.contains_key(&l.target))
            .collect();
        assert!(broken.is_empty(), "killed after {delay_ms} ms: {broken:?}");
        let problems = v.search_problems(&dest);
        assert!(
            problems.is_empty(),
            "killed after {delay_ms} ms: {problems:?}"
        );
        publish(&v.new, &dest, &quiet()).unwrap();
        assert_same_files(&published(&dest, &[]), &v.new_tree, "published");
        assert!(leftovers(&dest).is_empty());
        fs::remove_dir_all(&dest).unwrap();
    }
}

/// Issue #12 item 11, a hostile share: anyone who may write on the share may edit its publish
/// record. A folder it listed outside the share (`../x`) was removed there once empty; a record
/// naming any place outside DEST is now refused as damaged, and nothing is touched.
#[test]
fn a_publish_record_naming_places_outside_the_share_is_refused() {
    let b = Bench::new();
    published_small(&b);
    let outside = b.dir.path().join("空文件夹");
    fs::create_dir(&outside).unwrap();
    let record = b.dest.join(".dangan-publish.json");
    let original = fs::read_to_string(&record).unwrap();
    for (key, name) in [
        ("dirs", "../空文件夹"),
        ("dirs", "reports/../../空文件夹"),
        ("files", "/etc/passwd"),
    ] {
        let mut json: serde_json::Value = serde_json::from_str(&original).unwrap();
        match key {
            "dirs" => json["dirs"].as_array_mut().unwrap().push(name.into()),
            _ => {
                let entry = json["files"]["index.html"].clone();
                json["files"][name] = entry;
            }
        }
        fs::write(&record, json.to_string()).unwrap();
        let err = b.publish().unwrap_err().to_string();
        assert!(
            err.contains("is damaged")
                && err.contains(&format!("\"{name}\" is not a place inside the share")),
            "{err}"
        );
        assert!(
            outside.is_dir(),
            "{name}: the folder outside the share was removed"
        );
    }
}

/// A new search file is written straight to its place (nothing names it until the new search
/// entry is switched): one that a killed run left cut short is finished by the next run, which
/// knows it from its record, not taken for a file someone put there.
#[test]
fn a_search_file_cut_short_by_a_kill_is_finished_by_the_next_run() {
    let v = Versions::new(&small(), &edited(&small()));
    let new_search: Vec<&String> = (v.new_tree.keys())
        .filter(|r| r.starts_with("_search/") && !v.old_tree.contains_key(*r))
        .collect();
    for steps in 1.. {
        let dest = v.dest_with_old(&format!("dest{steps}"));
        let _ = publish_killed_after(&v.new, &dest, &quiet(), steps).unwrap_err();
        let Some(cut) = new_search.iter().find(|r| dest.join(r).is_file()) else {
            assert!(
                steps < 20,
                "no search file was written straight to its place"
            );
            fs::remove_dir_all(&dest).unwrap();
            continue;
        };
        fs::write(dest.join(cut), "DANGAN_SEARCH_").unwrap();
        assert_same_files(
            &settled_for(&dest, &v.old_tree),
            &v.old_tree,
            "readers still see the old site",
        );
        let s = publish(&v.new, &dest, &quiet()).unwrap();
        assert!(s.kept.is_empty(), "{:?}", s.kept);
        // Still new: finished in place, not a reason to replace the search folder whole.
        assert!(s.added.contains(cut) && !s.changed.contains(cut), "{s:?}");
        assert_same_files(&published(&dest, &[]), &v.new_tree, "published");
        assert!(leftovers(&dest).is_empty());
        break;
    }
}
