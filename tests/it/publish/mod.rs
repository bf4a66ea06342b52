//! `dangan publish` against a temporary folder: publish, edit, delete, republish, interrupt.

mod bench;
mod site;

use std::fs;
use std::time::{Duration, SystemTime};

use bench::*;
use dangan::publish::{PublishError, PublishOptions, publish_killed_after};
use site::Report;

fn small() -> SiteModel {
    SiteModel::generate(24, 600)
}

/// The small site built and published; its model.
fn published_small(b: &Bench) -> SiteModel {
    let v1 = small();
    b.build(&v1);
    b.publish().unwrap();
    v1
}

/// The small site published, then an edit built and its publish killed while
/// switching (after its copies and their record, at the first rename): how many
/// files that publish was to write.
fn interrupted_while_switching(b: &Bench) -> usize {
    let v1 = published_small(b);
    b.build(&edited(&v1));
    let dry = b
        .publish_with(PublishOptions {
            dry_run: true,
            ..quiet()
        })
        .unwrap();
    let writes = dry.added.len() + dry.changed.len();
    // One step per copy, one to record them, one rename.
    let err = publish_killed_after(&b.site, &b.dest, &quiet(), writes + 2).unwrap_err();
    assert!(matches!(err, PublishError::Interrupted));
    writes
}

/// Edit one report, add one to an existing unit, delete another.
fn edited(model: &SiteModel) -> SiteModel {
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
    m.reports.remove("reports/2011/r000013").unwrap(); // has an attachment
    m
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
    b.build(&small()); // every site file rewritten: new time stamps, same bytes
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
    // Time stamps a share might have shifted: the manifest no longer vouches, content decides.
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
    assert_eq!(
        s.added,
        ["reports/2010/r000030.html", "reports/2010/r000030.pdf"]
    );
    assert_eq!(
        s.removed,
        [
            "reports/2011/r000013.html",
            "reports/2011/r000013.pdf",
            "year/2011.html"
        ]
    );
    let really_changed: Vec<&String> = new_site
        .iter()
        .filter(|(k, v)| old_site.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        s.changed.iter().collect::<Vec<_>>(),
        really_changed,
        "only files whose bytes changed"
    );
    assert!(s.changed.contains(&"reports/2017/r000001.html".to_string()));
    for (rel, t) in mtimes(&b.dest) {
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
    v1.write(&b.dest); // the old way: copy the output folder over the share
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
fn a_second_publish_at_the_same_time_is_refused() {
    let b = Bench::new();
    b.build(&small());
    let lock_path = b.dest.join(".dangan-publish.lock");
    let held = fs::File::create(&lock_path).unwrap();
    fs::write(
        &lock_path,
        r#"{"user":"王芳","host":"office-pc","pid":4242,"started":"2025-03-01 09:30:00"}"#,
    )
    .unwrap();
    held.lock().unwrap();
    let msg = b.publish().unwrap_err().to_string();
    assert!(
        msg.contains("another publish") && msg.contains("王芳") && msg.contains("office-pc"),
        "{msg}"
    );
    assert!(
        msg.contains(&lock_path.display().to_string()) && msg.contains("Wait"),
        "{msg}"
    );
    assert!(published(&b.dest, &[".dangan-publish.lock"]).is_empty());
    drop(held);
    b.publish().unwrap(); // the lock of a finished (or killed) holder is no obstacle
    assert_dest_equals_site(&b, &[]);
}

#[test]
fn names_a_share_cannot_hold_are_all_reported_before_copying() {
    let b = Bench::new();
    b.build(&small());
    for rel in [
        "reports/a:b.html",
        "CON.html",
        "unit/X.html",
        "unit/x.html",
        "trailing./a.html",
    ] {
        write(&b.site.join(rel), "x");
        // as if the build had written them: list them in its manifest
        let manifest = b.site.join(".dangan-manifest");
        let list = fs::read_to_string(&manifest).unwrap();
        fs::write(&manifest, format!("{list}{rel}\n")).unwrap();
    }
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

#[test]
fn a_publish_killed_at_any_step_leaves_a_working_site_and_the_next_run_finishes() {
    let v1 = small();
    let v2 = edited(&v1);
    let (old, new) = (v1.render(), v2.render());
    for steps in 0.. {
        let b = Bench::new();
        b.build(&v1);
        b.publish().unwrap();
        b.build(&v2);
        match publish_killed_after(&b.site, &b.dest, &quiet(), steps) {
            Ok(_) => {
                assert!(steps > 10, "the scenario has several steps");
                break;
            }
            Err(PublishError::Interrupted) => {}
            Err(e) => panic!("{e}"),
        }
        // Every link of every page resolves, except between two pages that this publish removes
        // and that link each other (no live page links to them, and one of them has to go first).
        let broken: Vec<Broken> = broken_links(&b.dest, false)
            .into_iter()
            .filter(|l| new.contains_key(&l.page) || new.contains_key(&l.target))
            .collect();
        assert!(broken.is_empty(), "killed after {steps} steps: {broken:?}");
        for (rel, bytes) in published(&b.dest, &[])
            .into_iter()
            .filter(|(r, _)| !r.ends_with(".dangan-tmp"))
        {
            let whole = old.get(&rel) == Some(&bytes) || new.get(&rel) == Some(&bytes);
            assert!(
                whole || rel == ".dangan-manifest",
                "{rel} is neither the old nor the new file"
            );
        }
        let s = b.publish().unwrap();
        assert_dest_equals_site(&b, &[]);
        assert!(
            leftovers(&b.dest).is_empty(),
            "killed after {steps}: {:?}",
            leftovers(&b.dest)
        );
        assert!(s.added.len() + s.changed.len() + s.removed.len() <= 16);
    }
}

#[test]
fn a_killed_first_publish_shows_no_broken_page_from_home_and_is_finished_next_time() {
    let model = small();
    let total = model.render().len();
    for steps in [0, 3, total / 2, total + 1, total + 3] {
        let b2 = Bench::new();
        b2.build(&model);
        let _ = publish_killed_after(&b2.site, &b2.dest, &quiet(), steps).unwrap_err();
        assert!(broken_links(&b2.dest, true).is_empty());
        b2.publish().unwrap();
        assert_dest_equals_site(&b2, &[]);
        assert!(broken_links(&b2.dest, false).is_empty());
    }
}

#[test]
fn new_units_and_years_never_show_a_broken_link_and_new_folders_arrive_whole() {
    // A report in a new unit links to the new unit page, which links back; a new year brings a
    // new folder of reports and a new year page. Pages linking each other are switched one
    // right after the other, and nothing a reader can reach links to them before they are all
    // there; a new folder appears with everything in it at once.
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
    let new_folder: Vec<String> = v2
        .render()
        .into_keys()
        .filter(|r| r.starts_with("reports/2031/"))
        .collect();
    assert_eq!(new_folder.len(), 4);
    for steps in 0.. {
        let b = Bench::new();
        b.build(&v1);
        b.publish().unwrap();
        b.build(&v2);
        let done = publish_killed_after(&b.site, &b.dest, &quiet(), steps).is_ok();
        let broken = broken_links(&b.dest, true);
        assert!(broken.is_empty(), "killed after {steps} steps: {broken:?}");
        let arrived = new_folder
            .iter()
            .filter(|r| b.dest.join(r).is_file())
            .count();
        assert!(
            arrived == 0 || arrived == new_folder.len(),
            "killed after {steps}: {arrived} files"
        );
        if done {
            assert_dest_equals_site(&b, &[]);
            break;
        }
    }
}

#[test]
fn leftovers_of_a_killed_run_are_cleaned_up() {
    let b = Bench::new();
    b.build(&small());
    b.publish().unwrap();
    b.foreign("unit/.市委办公室.html.dangan-tmp", "half a page");
    b.foreign(".index.html.dangan-tmp", "half a home page");
    b.publish().unwrap();
    assert!(leftovers(&b.dest).is_empty());
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
    assert_eq!(s.added, ["reports/2010/plan.html"]);
    assert_dest_equals_site(&b, &[]);
}

#[test]
fn missing_or_overlapping_folders_are_refused() {
    let b = Bench::new();
    b.build(&small());
    let missing = b.dest.join("not-mounted");
    let msg = dangan::publish::publish(&b.site, &missing, &quiet())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("mounted"),
        "{msg}"
    );
    let inside = b.site.join("copy");
    fs::create_dir(&inside).unwrap();
    let msg = dangan::publish::publish(&b.site, &inside, &quiet())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("overlap"), "{msg}");
}

#[test]
fn copies_finished_before_an_interruption_are_not_sent_again() {
    let b = Bench::new();
    let writes = interrupted_while_switching(&b);
    assert_eq!(
        leftovers(&b.dest).len(),
        writes - 1 + 1,
        "the copies not yet switched, and the lock"
    );
    let s = b.publish().unwrap();
    assert_eq!(s.bytes_sent, 0, "every copy was already there");
    assert_eq!(s.added.len() + s.changed.len(), writes - 1);
    assert_dest_equals_site(&b, &[]);
    assert!(leftovers(&b.dest).is_empty());
}

#[test]
fn a_publishing_process_killed_at_random_leaves_a_working_site() {
    let v1 = SiteModel::generate(600, 4000);
    let mut v2 = edited(&v1);
    for r in v2.reports.values_mut() {
        r.body.push_str("（修订）"); // every page changes: a long copy to interrupt
    }
    let new = v2.render();
    // From "lock taken" through copying to switching, on this machine; any moment must do.
    for delay_ms in [5, 50, 150, 300, 450] {
        let b = Bench::new();
        b.build(&v1);
        b.publish().unwrap();
        b.build(&v2);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dangan"))
            .arg("--out")
            .arg(&b.site)
            .arg("publish")
            .arg(&b.dest)
            .args(["--no-build", "--quiet"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        let broken: Vec<Broken> = broken_links(&b.dest, false)
            .into_iter()
            .filter(|l| new.contains_key(&l.page) || new.contains_key(&l.target))
            .collect();
        assert!(broken.is_empty(), "killed after {delay_ms} ms: {broken:?}");
        b.publish().unwrap();
        assert_dest_equals_site(&b, &[]);
        assert!(leftovers(&b.dest).is_empty());
    }
}

#[test]
fn a_copy_left_by_an_interruption_is_not_used_once_its_file_changed() {
    let b = Bench::new();
    interrupted_while_switching(&b);
    // Edit, in the site, every file whose copy waits in DEST.
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
