//! The lock in DEST (`.dangan-publish.lock`): one publish at a time, even from two PCs.
//!
//! A share honours an OS lock (`flock`) only among the processes of one client, and an
//! exclusive file creation is not exclusive either through every client (smbnetfs creates
//! with plain O_CREAT: two PCs both "created" the lock file in 17 of 40 tries). Making a
//! folder is: the server makes it or answers that it exists (0 of 40). So the lock is a
//! folder, made whole under a temporary name and renamed into place by whoever takes it,
//! holding `holder.json` (who, where, when), which is
//! never kept open (a share will not delete an open file). While a publish runs it rewrites
//! that file every minute; a lock not renewed for ten minutes, or left by a process of this
//! computer that no longer runs, is stale and taken over by the next publish. Any other
//! holder may be a colleague's publish still running: it is named, and `--break-lock` takes
//! its lock anyway. A lock *file* of that name (earlier versions of dangan made one) is
//! judged by the same rules.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::error::{IoContext, PublishError};
use super::{LOCK_NAME, is_tmp_name, tmp_name};

/// The file in the lock folder that says who holds it.
pub(crate) const HOLDER_NAME: &str = "holder.json";

/// How often a running publish rewrites its lock.
const RENEW: Duration = Duration::from_secs(60);
/// A lock not rewritten for this long belongs to a publish that no longer runs.
const STALE: Duration = Duration::from_secs(10 * 60);

/// Who holds the lock, as its file says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Holder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub started: String,
    /// Random, to tell this holder's file from any other, even from the same computer.
    #[serde(default)]
    pub token: String,
}

impl Holder {
    fn me() -> Holder {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "someone".to_string());
        let started = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S").to_string();
        Holder {
            user,
            host: host_name(),
            pid: std::process::id(),
            started,
            token: format!("{:016x}", fastrand_u64()),
        }
    }

    fn describe(&self) -> String {
        format!(
            "started by {} on {} at {}, process {}",
            self.user, self.host, self.started, self.pid
        )
    }
}

/// A held lock. `release` removes it; dropping it does the same, quietly.
#[derive(Debug)]
pub(crate) struct Lock {
    /// The lock folder.
    path: PathBuf,
    /// What its holder file says: ours, byte for byte, as long as we hold it.
    text: String,
    /// Set when the holder file is found gone or someone else's: another publish broke the
    /// lock.
    lost: Arc<AtomicBool>,
    renewer: Option<(Sender<()>, JoinHandle<()>)>,
    /// What was done about a stale lock found in the way, for the user to read.
    pub took_over: Option<String>,
}

/// What a lock in the way is.
enum Found {
    /// Its holder may still be running.
    Live(String),
    /// Its holder certainly is not; why.
    Stale(String),
}

/// Pauses before trying again when the lock in the way vanished before it could be read: a
/// client may go on answering "exists" for a moment after another PC removed it.
const VANISHED: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(300),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Pauses before removing again a file the share says is busy: about 5 s in all.
const BUSY: [Duration; 6] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
    Duration::from_millis(1500),
    Duration::from_secs(2),
];

impl Lock {
    /// Take the lock of `dest`: make the lock folder, or take over a stale lock (or, with
    /// `break_lock`, any one).
    pub(crate) fn acquire(dest: &Path, break_lock: bool) -> Result<Lock, PublishError> {
        let path = dest.join(LOCK_NAME);
        let me = Holder::me();
        let text = serde_json::to_string(&me).expect("a holder always serializes");
        let mut took_over = None;
        let mut pauses = VANISHED.iter();
        loop {
            if make(dest, &path, &text, &me.token)? {
                return Ok(Lock::held(path, text, took_over));
            }
            let Some((found_text, age)) = read_lock(dest, &path)? else {
                match pauses.next() {
                    Some(pause) => {
                        std::thread::sleep(*pause);
                        continue; // released meanwhile: try again
                    }
                    None => {
                        return Err(PublishError::Locked {
                            lock: path,
                            holder: "other publishes keep taking it".into(),
                        });
                    }
                }
            };
            let (Found::Stale(why) | Found::Live(why)) = match judge(&found_text, age) {
                Found::Live(why) if !break_lock => {
                    return Err(PublishError::Locked {
                        lock: path,
                        holder: why,
                    });
                }
                found => found,
            };
            if take_away(dest, &path, &found_text, &me.token)? {
                took_over = Some(why);
            } else if pauses.next().is_none() {
                return Err(PublishError::Locked {
                    lock: path,
                    holder: "other publishes keep taking it".into(),
                });
            }
        }
    }

    fn held(path: PathBuf, text: String, took_over: Option<String>) -> Lock {
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<()>();
        let (p, t, l) = (path.join(HOLDER_NAME), text.clone(), lost.clone());
        let handle = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(RENEW) {
                if !renew(&p, &t) {
                    l.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        Lock {
            path,
            text,
            lost,
            renewer: Some((tx, handle)),
            took_over,
        }
    }

    /// Whether another publish broke this lock; the publish must then stop.
    pub(crate) fn check(&self) -> Result<(), PublishError> {
        match self.lost.load(Ordering::SeqCst) {
            false => Ok(()),
            true => Err(PublishError::LockBroken {
                lock: self.path.clone(),
            }),
        }
    }

    fn ours(&self) -> bool {
        !self.text.is_empty()
            && fs::read_to_string(self.path.join(HOLDER_NAME)).is_ok_and(|t| t == self.text)
    }

    /// Stop renewing and remove the lock, if it is still ours, and with it the leftovers of
    /// locks that killed publishes were making.
    pub(crate) fn release(mut self) -> Result<(), PublishError> {
        self.stop_renewing();
        let result = match self.ours() {
            true => {
                if let Some(dest) = self.path.parent() {
                    remove_leftover_locks(dest);
                }
                remove_lock(&self.path)
            }
            false => Ok(()), // broken by another publish: its lock now
        };
        self.text.clear(); // nothing left for drop to do
        result
    }

    /// Leave the lock behind as a killed process would (tests of interrupted runs): it names
    /// a process that no longer runs.
    pub(crate) fn abandon(mut self) {
        self.stop_renewing();
        if let Ok(mut holder) = serde_json::from_str::<Holder>(&self.text) {
            holder.pid = u32::MAX; // above any process number Linux hands out
            let text = serde_json::to_string(&holder).expect("a holder always serializes");
            let _ = fs::write(self.path.join(HOLDER_NAME), text);
        }
        self.text.clear();
    }

    fn stop_renewing(&mut self) {
        if let Some((tx, handle)) = self.renewer.take() {
            drop(tx);
            let _ = handle.join();
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.stop_renewing();
        if self.ours() {
            let _ = remove_lock(&self.path);
        }
    }
}

/// Whether `name`, at the top of DEST, is the temporary name of a lock: one being made, or
/// one being taken away.
fn is_lock_temporary(name: &str) -> bool {
    name.starts_with(&format!(".{LOCK_NAME}.")) && is_tmp_name(name)
}

/// Whether `name`, at the top of DEST, is a lock's temporary folder that another publish may
/// be using right now (making its lock or taking a stale one away): the scan of a running
/// publish leaves it alone. One older than a lock goes stale is a leftover of a killed run,
/// and so is one that a process of this computer that no longer runs was making.
pub(crate) fn is_recent_temporary(name: &str, entry: &fs::DirEntry) -> bool {
    is_lock_temporary(name)
        && !made_by_a_dead_process_here(name, &entry.path())
        && entry
            .metadata()
            .and_then(|m| m.modified())
            .map_or(true, |t| t.elapsed().unwrap_or_default() < STALE)
}

/// Whether `name` is a lock being made (see `make`) by a process of this computer that no
/// longer runs: killed while making it (the SMB kill test met one left for ten minutes after
/// the resumed publish). The maker is read from the name, which `make` gives before anything
/// is written into the folder: killed between making the folder and writing its holder file,
/// a publish left a folder whose file said nothing (CI met one so). Folders of an earlier
/// version, named without their maker, are judged by their holder file.
fn made_by_a_dead_process_here(name: &str, path: &Path) -> bool {
    let Some(stem) = name.strip_suffix(&format!(".new{}", super::TMP_SUFFIX)) else {
        return false; // one taken away holds the old holder's name, not its taker's
    };
    if let Some((pid, host)) = stem.rsplit('.').next().and_then(|m| m.split_once('@'))
        && let Ok(pid) = pid.parse::<u32>()
    {
        return host == host_tag() && !process_alive(pid);
    }
    fs::read_to_string(path.join(HOLDER_NAME))
        .ok()
        .and_then(|text| serde_json::from_str::<Holder>(&text).ok())
        .is_some_and(|h| h.host == host_name() && !process_alive(h.pid))
}

/// Remove the temporary folders of locks that killed publishes were making, those that
/// `is_recent_temporary` calls leftovers, while our lock keeps other publishes of this
/// computer away. The survey at the start of a publish removes those it meets, but one
/// can appear later: smbnetfs finishes requests a killed process left with it, and the SMB
/// kill test once found the killed publish's half-made lock folder on the share after the
/// resumed publish had finished. One listing of DEST's top folder; a folder that cannot be
/// removed now is left to the next publish.
fn remove_leftover_locks(dest: &Path) {
    let Ok(entries) = fs::read_dir(dest) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(String::from) else {
            continue;
        };
        if is_lock_temporary(&name) && !is_recent_temporary(&name, &entry) {
            let _ = remove_lock(&entry.path());
        }
    }
}

/// The temporary name of a lock `make` is making: it says which process of which computer
/// makes it (`made_by_a_dead_process_here`).
fn staged_name(token: &str) -> String {
    tmp_name(&format!(
        "{LOCK_NAME}.{token}.{}@{}.new",
        std::process::id(),
        host_tag()
    ))
}

/// This computer's name as it may stand in a file name: a hash of it, since a host name may
/// hold characters a share refuses.
fn host_tag() -> String {
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(host_name().as_bytes())
    )
}

/// Make the lock folder whole, if none is in the way: a folder under a temporary name gets
/// the holder file, then is renamed into place. Renaming a folder onto one that exists fails
/// (on a share too: the server will not replace a folder), so of two publishes only one
/// lands its folder, and a publish killed at any moment leaves either no lock or one that
/// names its holder; its half-made temporary folder is a leftover that the next publish
/// removes. (Making the lock folder itself and then writing into it left, when killed in
/// between, a lock that named nobody and held for ten minutes.) Returns whether the lock is
/// now ours.
fn make(dest: &Path, path: &Path, text: &str, token: &str) -> Result<bool, PublishError> {
    if fs::symlink_metadata(path).is_ok() {
        return Ok(false); // checked first: a rename would replace an empty folder
    }
    let staged = dest.join(staged_name(token));
    let holder = staged.join(HOLDER_NAME);
    let written = fs::create_dir(&staged)
        .and_then(|()| File::create(&holder))
        .and_then(|f| write_closed(f, text));
    if let Err(e) = written {
        let _ = remove_lock(&staged);
        return match e.kind() {
            io::ErrorKind::NotFound => Ok(false), // removed as a leftover: try again
            _ => Err(e).ctx("make the lock folder", &staged),
        };
    }
    match fs::rename(&staged, path) {
        Ok(()) => Ok(true),
        Err(e) => {
            let _ = remove_lock(&staged);
            match e.kind() {
                // Another publish's lock came first, or a publish holding the lock removed
                // our temporary folder as a leftover: judge what is in the way, or try again.
                _ if fs::symlink_metadata(path).is_ok() => Ok(false),
                io::ErrorKind::NotFound => Ok(false),
                _ => Err(e).ctx("make the lock folder", path),
            }
        }
    }
}

/// Remove a lock folder (its holder file first: a folder must be empty to go), or a lock
/// file of an earlier version.
fn remove_lock(path: &Path) -> Result<(), PublishError> {
    if fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir()) {
        return remove_patiently(path, |p| fs::remove_file(p)).ctx("remove the lock file", path);
    }
    let holder = path.join(HOLDER_NAME);
    remove_patiently(&holder, |p| fs::remove_file(p)).ctx("remove the lock file", &holder)?;
    remove_patiently(path, |p| fs::remove_dir(p)).ctx("remove the lock folder", path)
}

/// Remove with `remove`, which is done if the file is gone already. A share answers "Device
/// or resource busy" for a moment after the file was last closed (smbnetfs closes it on the
/// server a little later: CI met it on a lock released at once after the publish): try again
/// after a pause before calling it an error.
fn remove_patiently(path: &Path, remove: fn(&Path) -> io::Result<()>) -> io::Result<()> {
    let mut pauses = BUSY.iter();
    loop {
        match remove(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => match pauses.next() {
                Some(pause) => std::thread::sleep(*pause),
                None => return Err(e),
            },
            done => return done,
        }
    }
}

/// Write the record and close the file: a share will not delete (or let another client
/// rename) a file someone holds open.
fn write_closed(mut file: File, text: &str) -> io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Rewrite the holder file with the same bytes (the server notes the time), if it is still
/// ours.
fn renew(holder: &Path, text: &str) -> bool {
    let still_ours = fs::read_to_string(holder).is_ok_and(|t| t == text);
    still_ours
        && OpenOptions::new()
            .write(true)
            .open(holder)
            .and_then(|f| write_closed(f, text))
            .is_ok()
}

/// What the lock in the way says and how long ago it was last written, by the share's
/// clock; `None` if it is gone. A lock folder without its holder file (made by an earlier
/// version, which wrote the file after making the folder) says nothing, and its age is the
/// folder's.
fn read_lock(dest: &Path, path: &Path) -> Result<Option<(String, Duration)>, PublishError> {
    // smbnetfs answers "Input/output error" for a moment while a lock folder is renamed into
    // place or away by another PC: read again after a pause before calling it an error.
    let mut pauses = VANISHED.iter();
    loop {
        match read_lock_once(dest, path) {
            Err(e) if e.raw_os_error() == Some(libc::EIO) => match pauses.next() {
                Some(pause) => std::thread::sleep(*pause),
                None => return Err(e).ctx("read the lock", path),
            },
            Err(e) => return Err(e).ctx("read the lock", path),
            Ok(found) => return Ok(found),
        }
    }
}

fn read_lock_once(dest: &Path, path: &Path) -> io::Result<Option<(String, Duration)>> {
    let written = match read_with_time(&path.join(HOLDER_NAME)) {
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => read_with_time(path), // an old lock file
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::metadata(path) {
            Ok(m) if m.is_dir() => Ok((String::new(), m.modified().unwrap_or(SystemTime::now()))),
            Ok(_) => read_with_time(path),
            Err(e) => Err(e),
        },
        other => other,
    };
    let (text, written) = match written {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let now = share_now(dest).unwrap_or_else(SystemTime::now);
    let age = now.duration_since(written).unwrap_or_default();
    Ok(Some((text, age)))
}

fn read_with_time(path: &Path) -> io::Result<(String, SystemTime)> {
    let mut bytes = Vec::new();
    let mut f = File::open(path)?;
    f.read_to_end(&mut bytes)?;
    let written = f.metadata()?.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok((String::from_utf8_lossy(&bytes).into_owned(), written))
}

/// The share's own time: that of a file just written there (the PCs' clocks may differ from
/// the server's and each other's).
fn share_now(dest: &Path) -> Option<SystemTime> {
    let probe = dest.join(tmp_name(&format!("{LOCK_NAME}.{:016x}", fastrand_u64())));
    let written = File::create(&probe)
        .and_then(|mut f| {
            f.write_all(b"clock")?;
            drop(f);
            fs::metadata(&probe)?.modified()
        })
        .ok();
    let _ = fs::remove_file(&probe);
    written
}

fn judge(text: &str, age: Duration) -> Found {
    let minutes = |d: Duration| d.as_secs().div_ceil(60);
    let holder = serde_json::from_str::<Holder>(text).ok();
    let who = holder
        .as_ref()
        .map_or("its owner is unknown".to_string(), Holder::describe);
    if let Some(h) = holder.as_ref().filter(|h| h.host == host_name())
        && !process_alive(h.pid)
    {
        return Found::Stale(format!(
            "the lock of a publish that no longer runs ({who}: this computer has no process {} any more)",
            h.pid
        ));
    }
    if age > STALE {
        return Found::Stale(format!(
            "the lock of a publish that stopped renewing it {} minutes ago ({who})",
            minutes(age)
        ));
    }
    let host = holder
        .as_ref()
        .map_or("the computer named in it", |h| h.host.as_str());
    Found::Live(format!(
        "{who}; it last renewed its lock {} s ago. A running publish renews it every minute; \
         one not renewed for {} minutes, or left by a process of this computer that no longer \
         runs, is taken over by the next publish. If you are sure no publish is running on \
         {host} (it crashed or was switched off), publish again with --break-lock",
        age.as_secs(),
        minutes(STALE)
    ))
}

/// Move the lock file in the way out of the way, if it still holds `expected`, and delete it.
/// Returns whether it did. Renaming first means that of two publishes doing this at once only
/// one moves the file; one that finds it moved someone else's fresh lock puts it back.
fn take_away(dest: &Path, path: &Path, expected: &str, token: &str) -> Result<bool, PublishError> {
    let aside = dest.join(tmp_name(&format!("{LOCK_NAME}.{token}")));
    match fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).ctx("take over the lock", path),
    }
    let moved = match fs::read_to_string(aside.join(HOLDER_NAME)) {
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => fs::read_to_string(&aside),
        read => read,
    };
    if moved.unwrap_or_default() != expected {
        // A fresh lock, made after we judged the old one: put it back.
        if !path.exists() && fs::rename(&aside, path).is_ok() {
            return Ok(false);
        }
        let _ = remove_lock(&aside); // its holder will find it gone and stop
        return Ok(false);
    }
    remove_lock(&aside)?;
    Ok(true)
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true // cannot tell: err on the side of waiting
    }
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this computer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_text(host: &str, pid: u32) -> String {
        let h = Holder {
            user: "王芳".into(),
            host: host.into(),
            pid,
            started: "2025-03-01 09:30:00".into(),
            token: "t".into(),
        };
        serde_json::to_string(&h).unwrap()
    }

    /// A lock folder as another publish leaves it; returns its holder file.
    fn put_lock(dir: &Path, text: &str) -> PathBuf {
        fs::create_dir(dir.join(LOCK_NAME)).unwrap();
        let holder = dir.join(LOCK_NAME).join(HOLDER_NAME);
        fs::write(&holder, text).unwrap();
        holder
    }

    fn age(path: &Path, by: Duration) {
        let f = File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - by).unwrap();
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path(), false).unwrap();
        let msg = Lock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(msg.contains("another publish"), "{msg}");
        assert!(
            msg.contains(&format!("process {}", std::process::id())),
            "{msg}"
        );
        assert!(
            msg.contains("--break-lock") && msg.contains("10 minutes"),
            "{msg}"
        );
        first.release().unwrap();
        assert!(
            !dir.path().join(LOCK_NAME).exists(),
            "released: the lock is gone"
        );
        Lock::acquire(dir.path(), false).unwrap().release().unwrap();
    }

    #[test]
    fn the_lock_of_a_process_of_this_computer_that_no_longer_runs_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = put_lock(dir.path(), &lock_text(&host_name(), u32::MAX));
        let lock = Lock::acquire(dir.path(), false).unwrap();
        let note = lock.took_over.clone().unwrap();
        assert!(
            note.contains("no longer runs") && note.contains("王芳"),
            "{note}"
        );
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("\"pid\":{}", std::process::id())),
            "{text}"
        );
        lock.release().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "no file left");
    }

    #[test]
    fn another_computers_lock_holds_until_not_renewed_for_ten_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let path = put_lock(dir.path(), &lock_text("office-pc", 4242));
        age(&path, Duration::from_secs(9 * 60));
        let msg = Lock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(msg.contains("office-pc") && msg.contains("王芳"), "{msg}");
        age(&path, Duration::from_secs(11 * 60));
        let lock = Lock::acquire(dir.path(), false).unwrap();
        let note = lock.took_over.clone().unwrap();
        assert!(
            note.contains("11 minutes ago") || note.contains("12 minutes ago"),
            "{note}"
        );
        lock.release().unwrap();
    }

    #[test]
    fn break_lock_takes_a_live_lock() {
        let dir = tempfile::tempdir().unwrap();
        put_lock(dir.path(), &lock_text("office-pc", 4242));
        let lock = Lock::acquire(dir.path(), true).unwrap();
        assert!(lock.took_over.as_deref().unwrap().contains("office-pc"));
        lock.release().unwrap();
    }

    #[test]
    fn a_lock_broken_by_another_publish_is_noticed_and_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_NAME).join(HOLDER_NAME);
        let lock = Lock::acquire(dir.path(), false).unwrap();
        lock.check().unwrap();
        fs::write(&path, lock_text("office-pc", 4242)).unwrap(); // someone's --break-lock
        assert!(!renew(&path, &lock.text));
        lock.lost.store(true, Ordering::SeqCst); // what the renewing thread does
        assert!(lock.check().unwrap_err().to_string().contains("broke"));
        lock.release().unwrap();
        assert!(
            fs::read_to_string(&path).unwrap().contains("office-pc"),
            "theirs stays"
        );
    }

    #[test]
    fn renewing_rewrites_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_NAME).join(HOLDER_NAME);
        let lock = Lock::acquire(dir.path(), false).unwrap();
        age(&path, Duration::from_secs(300));
        let before = fs::metadata(&path).unwrap().modified().unwrap();
        assert!(renew(&path, &lock.text));
        assert!(fs::metadata(&path).unwrap().modified().unwrap() > before);
        assert_eq!(fs::read_to_string(&path).unwrap(), lock.text);
        lock.release().unwrap();
    }

    #[test]
    fn a_lock_folder_not_yet_saying_who_holds_it_holds_until_ten_minutes_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_NAME);
        fs::create_dir(&path).unwrap(); // its maker has not written the holder file yet
        let msg = Lock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(msg.contains("owner is unknown"), "{msg}");
        File::open(&path)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(11 * 60))
            .unwrap();
        let lock = Lock::acquire(dir.path(), false).unwrap();
        assert!(lock.took_over.as_deref().unwrap().contains("minutes ago"));
        lock.release().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");
    }

    #[test]
    fn a_lock_is_never_in_place_without_its_holder_and_a_half_made_one_is_no_obstacle() {
        let dir = tempfile::tempdir().unwrap();
        // A publish killed after making its temporary folder, before renaming it.
        let half = dir.path().join(tmp_name(&format!("{LOCK_NAME}.dead.new")));
        fs::create_dir(&half).unwrap();
        let lock = Lock::acquire(dir.path(), false).unwrap();
        assert!(lock.took_over.is_none());
        let holder = dir.path().join(LOCK_NAME).join(HOLDER_NAME);
        assert_eq!(fs::read_to_string(&holder).unwrap(), lock.text);
        // A second maker's folder is not renamed over the lock in place, and goes.
        let other = lock_text("office-pc", 4242);
        assert!(!make(dir.path(), &dir.path().join(LOCK_NAME), &other, "t2").unwrap());
        assert_eq!(fs::read_to_string(&holder).unwrap(), lock.text);
        lock.release().unwrap();
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            [half.file_name().unwrap()],
            "only the dead one's leftover"
        );
    }

    #[test]
    fn releasing_the_lock_removes_the_folders_of_locks_that_killed_publishes_were_making() {
        let dir = tempfile::tempdir().unwrap();
        let here = host_tag();
        let elsewhere = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(b"office-pc"));
        let staged = |token: &str, maker: &str| {
            let path = dir
                .path()
                .join(tmp_name(&format!("{LOCK_NAME}.{token}.{maker}.new")));
            fs::create_dir(&path).unwrap();
            fs::write(path.join(HOLDER_NAME), lock_text("office-pc", 4242)).unwrap();
            path
        };
        // Killed here while making its lock; killed on another PC eleven minutes ago; being
        // made on another PC right now.
        staged("dead", &format!("{}@{here}", u32::MAX));
        let old = staged("old", &format!("4242@{elsewhere}"));
        File::open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(11 * 60))
            .unwrap();
        let busy = staged("busy", &format!("4242@{elsewhere}"));
        let lock = Lock::acquire(dir.path(), false).unwrap();
        lock.release().unwrap();
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, [busy.file_name().unwrap()], "only the one being made");
    }

    #[test]
    fn a_lock_being_made_by_a_dead_process_of_this_computer_is_a_leftover_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let here = host_tag();
        let elsewhere = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(b"office-pc"));
        let me = std::process::id();
        // Named by their maker, as `make` names them; killed before the holder file was
        // written, or while writing it, the folder's file says nothing.
        for (token, maker, holder) in [
            ("dead-empty", format!("{}@{here}", u32::MAX), Some("")),
            ("dead-none", format!("{}@{here}", u32::MAX), None),
            ("alive-empty", format!("{me}@{here}"), Some("")),
            ("other-empty", format!("{}@{elsewhere}", u32::MAX), Some("")),
        ] {
            let staged = dir
                .path()
                .join(tmp_name(&format!("{LOCK_NAME}.{token}.{maker}.new")));
            fs::create_dir(&staged).unwrap();
            if let Some(text) = holder {
                fs::write(staged.join(HOLDER_NAME), text).unwrap();
            }
        }
        // Named as an earlier version named them: judged by their holder file.
        for (token, host, pid) in [
            ("dead", host_name(), u32::MAX),
            ("alive", host_name(), me),
            ("other", "office-pc".to_string(), 4242),
        ] {
            let staged = dir
                .path()
                .join(tmp_name(&format!("{LOCK_NAME}.{token}.new")));
            fs::create_dir(&staged).unwrap();
            fs::write(staged.join(HOLDER_NAME), lock_text(&host, pid)).unwrap();
        }
        let mut recent: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| is_recent_temporary(e.file_name().to_str().unwrap(), e))
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        recent.sort();
        let mut expected = vec![
            tmp_name(&format!("{LOCK_NAME}.alive-empty.{me}@{here}.new")),
            tmp_name(&format!("{LOCK_NAME}.alive.new")),
            tmp_name(&format!(
                "{LOCK_NAME}.other-empty.{}@{elsewhere}.new",
                u32::MAX
            )),
            tmp_name(&format!("{LOCK_NAME}.other.new")),
        ];
        expected.sort();
        assert_eq!(recent, expected);
        // What `make` names its folder is read back as made here, by this process.
        let name = staged_name("t");
        let path = dir.path().join(&name);
        assert!(!made_by_a_dead_process_here(&name, &path));
        let dead = name.replace(&format!(".{me}@"), &format!(".{}@", u32::MAX));
        assert!(made_by_a_dead_process_here(&dead, &path));
    }

    #[test]
    fn a_lock_file_of_an_earlier_version_is_judged_by_the_same_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_NAME);
        let old =
            r#"{"user":"王芳","host":"office-pc","pid":4242,"started":"2025-03-01 09:30:00"}"#;
        fs::write(&path, old).unwrap();
        let msg = Lock::acquire(dir.path(), false).unwrap_err().to_string();
        assert!(msg.contains("office-pc") && msg.contains("王芳"), "{msg}");
        age(&path, Duration::from_secs(11 * 60));
        let lock = Lock::acquire(dir.path(), false).unwrap();
        assert!(lock.took_over.as_deref().unwrap().contains("office-pc"));
        assert!(path.join(HOLDER_NAME).is_file(), "a lock folder now");
        lock.release().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");
    }
}
