//! `dangan publish` to a real Windows-style share: Samba's smbd on 127.0.0.1, mounted through
//! smbnetfs (FUSE) as two PCs and a reader would, started by `scripts/smb-share.sh`, which
//! stops exactly what it started once this test process ends. The tests fail, saying why,
//! where Samba or FUSE cannot run: a test skipped in CI would be a test that never runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use dangan::publish::{PublishError, publish};

use super::bench::*;
use super::{edited, small};

/// The running share: its folder on the server, and the same through each client.
struct Share {
    server: PathBuf,
    mounts: [PathBuf; 3],
}

/// One folder of the share for one test.
pub(crate) struct Folder {
    pub(crate) server: PathBuf,
    /// Through the first client (the PC that publishes).
    pub(crate) pc1: PathBuf,
    /// Through the second client (another PC).
    pc2: PathBuf,
    /// Through a client that caches nothing (a reader).
    pub(crate) reader: PathBuf,
}

fn share() -> &'static Share {
    static SHARE: OnceLock<Result<Share, String>> = OnceLock::new();
    match SHARE.get_or_init(start_share) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn start_share() -> Result<Share, String> {
    let state = std::env::temp_dir().join(format!("dangan-smb-{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/smb-share.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&state)
        .arg("--watch")
        .arg(std::process::id().to_string())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the SMB share for the publish tests could not be started:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = |key: &str| -> Result<PathBuf, String> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(PathBuf::from)
            .ok_or_else(|| format!("smb-share.sh printed no {key}: {text}"))
    };
    Ok(Share {
        server: value("SHARE")?,
        mounts: [value("MOUNT1")?, value("MOUNT2")?, value("READER")?],
    })
}

pub(crate) fn folder(name: &str) -> Folder {
    let s = share();
    let pc1 = s.mounts[0].join(name);
    std::fs::create_dir(&pc1).unwrap(); // through the client, so that the share's user owns it
    Folder {
        server: s.server.join(name),
        pc1,
        pc2: s.mounts[1].join(name),
        reader: s.mounts[2].join(name),
    }
}

/// `dangan publish` of the built `site` to `dest`, as a process.
fn publish_cmd(site: &Path, dest: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("dangan"));
    c.arg("--out")
        .arg(site)
        .arg("publish")
        .arg(dest)
        .args(["--no-build", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_share_gets_the_site_its_edits_and_deletions_and_keeps_a_colleagues_file() {
    let f = folder("basics");
    let b = Bench::with_dest(Some(f.pc1.clone()));
    let v1 = small();
    b.build(&v1);
    let s = b.publish().unwrap();
    assert_eq!(s.added.len(), expected(&b.site).len());
    assert_same_files(
        &published(&f.server, &[]),
        &expected(&b.site),
        "first publish",
    );
    // Chinese names arrive as they are, and the lock is gone (#20 item 2: it was left behind).
    assert!(f.server.join("unit/市委办公室.html").is_file());
    assert!(
        leftovers(&f.server).is_empty(),
        "{:?}",
        leftovers(&f.server)
    );

    // A colleague puts a notice there from another PC.
    std::fs::write(f.pc2.join("通知.txt"), "下周一例会").unwrap();
    let nothing = b.publish().unwrap();
    assert!(nothing.added.is_empty() && nothing.changed.is_empty() && nothing.removed.is_empty());
    assert_eq!(nothing.bytes_sent, 0);

    b.build(&edited(&v1)); // one edit, one new report, one deleted
    let s = b.publish().unwrap();
    assert!(s.changed.contains(&"reports/2017/r000001.html".to_string()));
    assert!(s.added.contains(&"reports/2010/r000030.html".to_string()));
    assert!(s.removed.contains(&"reports/2011/r000013.html".to_string()));
    assert_same_files(
        &published(&f.server, &["通知.txt"]),
        &expected(&b.site),
        "after the edit",
    );
    assert_eq!(
        std::fs::read_to_string(f.server.join("通知.txt")).unwrap(),
        "下周一例会"
    );
    assert!(
        leftovers(&f.server).is_empty(),
        "{:?}",
        leftovers(&f.server)
    );
    assert!(broken_links(&f.server, false).is_empty());
}

/// #20 item 6: what is on the share is known from its manifest and one listing a folder (none
/// for the search index's folders of files named by their content, which the manifest lists), not
/// from a look at every file (each a round trip to the share): with nothing changed no file is
/// looked at, after an edit only those replaced or removed; yet a page a colleague changed on
/// the share since is still noticed, and neither overwritten nor removed.
#[test]
fn the_share_is_known_from_its_manifest_and_listings_yet_a_colleagues_change_is_noticed() {
    let f = folder("cost");
    let b = Bench::with_dest(Some(f.pc1.clone()));
    let v1 = small();
    b.build(&v1);
    b.publish().unwrap();
    let files = expected(&b.site);
    let folders: std::collections::BTreeSet<&str> = files
        .keys()
        .flat_map(|rel| rel.match_indices('/').map(|(end, _)| &rel[..end]))
        .collect();
    // The search index's folders that hold only its files named by their content (the
    // manifest says what they hold): of 1,044 folders at 3,000 reports, 1,008 are these.
    let index_leaves = folders
        .iter()
        .filter(|d| d.starts_with("_search/"))
        .filter(|d| !folders.iter().any(|o| o.starts_with(&format!("{d}/"))))
        .count();
    assert!(index_leaves > 0, "{folders:?}");
    let nothing = b.publish().unwrap();
    assert_eq!(
        (nothing.files_checked, nothing.bytes_sent),
        (0, 0),
        "nothing changed, so no file of the {} on the share is looked at",
        files.len()
    );
    assert!(
        nothing.folders_listed <= folders.len() + 1 - index_leaves,
        "{} listings for {} folders and the root, {index_leaves} of them the search index's",
        nothing.folders_listed,
        folders.len()
    );

    let v2 = edited(&v1);
    b.build(&v2);
    let s = b.publish().unwrap();
    let touched = s.changed.len() + s.removed.len();
    assert!(
        s.files_checked <= touched,
        "{} files looked at for {touched} replaced or removed, of {}",
        s.files_checked,
        files.len()
    );

    // A colleague changes, from another PC, a page the next build changes too, and one
    // whose report the next build deletes, just after this PC looked at them (its client
    // then answers from its cache for a moment: the change was missed and the page
    // overwritten when the publish asked the client rather than the server).
    let page = "reports/2017/r000001.html";
    let gone = "reports/2010/r000030.html";
    let mut v3 = v2.clone();
    v3.reports
        .get_mut("reports/2017/r000001")
        .unwrap()
        .body
        .push_str("（再补充）");
    v3.reports.remove("reports/2010/r000030");
    b.build(&v3);
    for rel in [page, gone] {
        std::fs::metadata(f.pc1.join(rel)).unwrap();
        std::fs::write(f.pc2.join(rel), "<p>王芳在共享盘上改过</p>").unwrap();
    }
    let err = b.publish().unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{page} (changed on the share since")),
        "{err}"
    );
    std::fs::rename(f.pc2.join(page), f.pc2.join("王芳的修改.html")).unwrap();
    let s = b.publish().unwrap();
    assert_eq!(s.kept, [gone]);
    for rel in ["王芳的修改.html", gone] {
        assert_eq!(
            std::fs::read_to_string(f.server.join(rel)).unwrap(),
            "<p>王芳在共享盘上改过</p>"
        );
    }
    assert_same_files(
        &published(&f.server, &["王芳的修改.html", gone]),
        &expected(&b.site),
        "published around the colleague's pages",
    );
}

/// #20 item 1: two PCs publishing to one share at the same time: exactly one succeeds, the
/// other says who holds the lock; the share ends up whole and unlocked.
#[test]
fn two_pcs_publishing_at_once_exactly_one_succeeds() {
    let b = Bench::new();
    b.build(&ArchiveModel::generate(80, 1500));
    let want = expected(&b.site);
    for round in 0..3 {
        let f = folder(&format!("two-pcs-{round}"));
        let mut pcs: Vec<_> = [&f.pc1, &f.pc2]
            .iter()
            .map(|dest| publish_cmd(&b.site, dest).spawn().unwrap())
            .collect();
        let outs: Vec<_> = pcs
            .drain(..)
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let ok: Vec<bool> = outs.iter().map(|o| o.status.success()).collect();
        let stderr: Vec<String> = outs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect();
        assert_eq!(
            ok.iter().filter(|s| **s).count(),
            1,
            "round {round}: exactly one publish succeeds: {stderr:?}"
        );
        let loser = ok.iter().position(|s| !s).unwrap();
        assert_eq!(outs[loser].status.code(), Some(2));
        assert!(
            stderr[loser].contains("another publish") && stderr[loser].contains("--break-lock"),
            "{}",
            stderr[loser]
        );
        assert_same_files(&published(&f.server, &[]), &want, &format!("round {round}"));
        assert!(
            leftovers(&f.server).is_empty(),
            "round {round}: {:?}",
            leftovers(&f.server)
        );
    }
}

/// #20 item 5: a publish the share refuses halfway (a folder it may not write to) exits 2,
/// leaves the site as it was and no temporary file behind.
#[test]
fn a_publish_the_share_refuses_halfway_leaves_no_temporary_files() {
    use std::os::unix::fs::PermissionsExt;
    let f = folder("refused");
    let b = Bench::with_dest(Some(f.pc1.clone()));
    let v1 = small();
    b.build(&v1);
    b.publish().unwrap();
    let old = expected(&b.site);
    let mut v2 = edited(&v1);
    for r in v2.reports.values_mut() {
        r.body.push_str("（修订）"); // every page changes, in every folder
    }
    b.build(&v2);
    // The share's user may no longer write in one folder (set on the server, as an
    // administrator would).
    let locked = f.server.join("reports/2017");
    let mode = std::fs::metadata(&locked).unwrap().permissions().mode();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = publish_cmd(&b.site, &f.pc1).output().unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(mode)).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reports/2017"), "{stderr}");
    assert!(
        leftovers(&f.server).is_empty(),
        "{:?}",
        leftovers(&f.server)
    );
    assert_same_files(&published(&f.server, &[]), &old, "the site as it was");
    b.publish().unwrap();
    assert_same_files(
        &published(&f.server, &[]),
        &expected(&b.site),
        "published after all",
    );
}

/// What a reader polling the share saw.
#[derive(Default)]
struct Seen {
    looks: AtomicUsize,
    problems: Mutex<Vec<String>>,
}

/// One built version of the site: its files and what its search entry names.
struct Version {
    site: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
    entry: String,
    pages: Vec<String>,
    shards: Vec<String>,
}

impl Version {
    fn of(site: &Path) -> Version {
        let index = SearchIndex::of(&manifest_of(site)).expect("the site has a search index");
        assert!(!index.shards.is_empty() && !index.pages.is_empty());
        Version {
            site: site.to_path_buf(),
            files: expected(site),
            entry: index.entry,
            pages: index.pages,
            shards: index.shards,
        }
    }
}

/// Read the share through a client that caches nothing, over and over, as a search page would:
/// the entry, then the pages and shards it names, then the entry again. A missing page or a
/// shard of another version counts only if the entry stayed the same all along (then the
/// reader really met it), and a page only if it is still missing a moment later: smbnetfs
/// (libsmbclient) replaces a file by deleting it and renaming the copy, so a changed page is
/// gone for an instant, which no ordering can avoid (a Windows client renames over it in one
/// step).
fn poll(dest: &Path, versions: &[Version], stop: &AtomicBool, seen: &Seen) {
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let Ok(entry) = std::fs::read(dest.join(&versions[0].entry)) else {
            continue; // no index for a moment (its folder is being switched)
        };
        let Some(v) = versions
            .iter()
            .find(|v| v.files.get(&v.entry) == Some(&entry))
        else {
            seen.problems
                .lock()
                .unwrap()
                .push("the search entry is neither version's".into());
            continue;
        };
        let mut found = Vec::new();
        let missing: Vec<&String> = v.pages.iter().filter(|p| !dest.join(p).is_file()).collect();
        if !missing.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
        for page in missing {
            if !dest.join(page).is_file() {
                found.push(format!("a search result's page is missing: {page}"));
            }
        }
        for k in 0..8 {
            i = i.wrapping_add(7919);
            let shard = &v.shards[(i + k) % v.shards.len()];
            if std::fs::read(dest.join(shard)).ok().as_ref() != v.files.get(shard) {
                found.push(format!("{shard} is not of the same version as the entry"));
            }
        }
        let still = std::fs::read(dest.join(&v.entry)).ok();
        if still.as_ref() == Some(&entry) {
            seen.looks.fetch_add(1, Ordering::SeqCst);
            seen.problems.lock().unwrap().extend(found);
        }
    }
}

/// #20 item 3 and "a SIGKILL at random moments": publishes killed at random moments, each
/// followed by a resume; after each kill every link among the live pages resolves and the
/// search index is one version's with all its pages; after each resume the share is exactly
/// the site; and a reader polling the share meanwhile never meets a search result whose
/// page is missing, nor old and new shards together.
#[test]
fn publishes_killed_at_random_moments_resume_and_readers_never_meet_a_dead_result() {
    let f = folder("killed");
    let b = Bench::with_dest(Some(f.pc1.clone()));
    let v1 = ArchiveModel::generate(60, 2500);
    let mut v2 = edited(&v1);
    for r in v2.reports.values_mut() {
        r.body.push_str("（修订）"); // every page changes: a long publish to interrupt
    }
    let (s1, s2) = (b.dir.path().join("v1"), b.dir.path().join("v2"));
    b.build_into(&v1, &s1);
    b.build_into(&v2, &s2);
    let versions = [Version::of(&s1), Version::of(&s2)];
    publish(&s1, &f.pc1, &quiet()).unwrap();
    let started = Instant::now();
    publish(&s2, &f.pc1, &quiet()).unwrap();
    let full = started.elapsed(); // how long a whole publish of the change takes here
    publish(&s1, &f.pc1, &quiet()).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Seen::default());
    let reader = {
        let (dest, stop, seen) = (f.reader.clone(), stop.clone(), seen.clone());
        let versions = [Version::of(&s1), Version::of(&s2)];
        std::thread::spawn(move || poll(&dest, &versions, &stop, &seen))
    };
    let mut rng = fastrand::Rng::with_seed(20);
    for round in 0..4 {
        let (from, to) = (&versions[round % 2], &versions[(round + 1) % 2]);
        let delay = full.mul_f64(rng.f64() * 0.9);
        let mut child = publish_cmd(&to.site, &f.pc1).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        // smbnetfs finishes a request the killed process left with it: a rename over a page
        // is a delete and a rename there (the page gone for an instant that no ordering on
        // the client can avoid; a Windows PC renames over it in one step). So the share is
        // looked at until it is right, for up to 10 s: what the publish itself left wrong
        // stays wrong, as nothing else changes the share until the resume. (A fixed 500 ms
        // once found a page missing, on a loaded machine; why was not pinned down.)
        let when = format!("round {round}, killed after {delay:?}");
        let (mf, mt) = (manifest_of(&from.site), manifest_of(&to.site));
        let settled = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let broken: Vec<Broken> = broken_links(&f.server, false)
                .into_iter()
                .filter(|l| to.files.contains_key(&l.page) || to.files.contains_key(&l.target))
                .collect();
            let problems = search_problems(&f.server, &[&to.files, &from.files], &[&mt, &mf]);
            if (broken.is_empty() && problems.is_empty()) || settled.elapsed().as_secs() >= 10 {
                assert!(broken.is_empty(), "{when}: {broken:?}");
                assert!(problems.is_empty(), "{when}: {problems:?}");
                break;
            }
        }
        let resumed = publish_cmd(&to.site, &f.pc1).output().unwrap();
        assert!(
            resumed.status.success(),
            "{when}: {}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        assert_same_files(
            &published(&f.server, &[]),
            &to.files,
            &format!("{when}, resumed"),
        );
        assert!(
            leftovers(&f.server).is_empty(),
            "{when}: {:?}",
            leftovers(&f.server)
        );
    }
    stop.store(true, Ordering::SeqCst);
    reader.join().unwrap();
    let problems = seen.problems.lock().unwrap();
    assert!(problems.is_empty(), "the reader met: {problems:?}");
    assert!(
        seen.looks.load(Ordering::SeqCst) >= 4,
        "the reader looked often enough"
    );
}

#[test]
fn a_lock_left_by_a_killed_publish_on_this_pc_does_not_block_the_next() {
    let f = folder("stale-lock");
    let b = Bench::with_dest(Some(f.pc1.clone()));
    b.build(&small());
    // A lock as a publish killed on this computer leaves it (its process no longer runs).
    let dead = r#"{"user":"王芳","host":"HOST","pid":4294967295,"started":"2025-03-01 09:30:00","token":"x"}"#
        .replace("HOST", std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim());
    put_lock(&f.pc2, &dead);
    let s = b.publish().unwrap();
    assert!(
        s.lock_note
            .as_deref()
            .unwrap_or("")
            .contains("no longer runs"),
        "{s:?}"
    );
    assert!(
        leftovers(&f.server).is_empty(),
        "{:?}",
        leftovers(&f.server)
    );
    // Another PC's fresh lock holds.
    let other = r#"{"user":"李明","host":"office-pc","pid":4242,"started":"2025-03-01 09:30:00","token":"y"}"#;
    put_lock(&f.pc2, other);
    let err = b.publish().unwrap_err();
    assert!(matches!(err, PublishError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("office-pc"), "{err}");
}
