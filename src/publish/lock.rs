//! The lock in DEST (`.dangan-publish.lock`): one publish at a time, and who holds it.
//!
//! The file carries who/when for the message; an OS lock on it (flock, which NFS and SMB mounts
//! forward to the server) says whether its holder is still alive, so a publish killed halfway
//! never blocks the next one. Where the share cannot lock, the file alone decides, and a file
//! left by a dead process of this same computer is taken over.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::LOCK_NAME;
use super::error::{IoContext, PublishError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Holder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub started: String,
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
        }
    }

    fn describe(text: &str) -> String {
        match serde_json::from_str::<Holder>(text) {
            Ok(h) => format!(
                "started by {} on {} at {}, process {}",
                h.user, h.host, h.started, h.pid
            ),
            Err(_) => "its owner is unknown".to_string(),
        }
    }
}

/// A held lock. Dropping it releases the lock and removes the file.
#[derive(Debug)]
pub(crate) struct Lock {
    file: Option<File>,
    path: PathBuf,
}

impl Lock {
    pub fn acquire(dest: &Path) -> Result<Lock, PublishError> {
        let path = dest.join(LOCK_NAME);
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .ctx("create the lock file", &path)?;
            let os_locked = match file.try_lock() {
                Ok(()) => true,
                Err(TryLockError::WouldBlock) => {
                    let text = read_all(&mut file, &path)?;
                    return Err(locked(&path, &text));
                }
                Err(TryLockError::Error(_)) => false, // this share cannot lock: use the file alone
            };
            if !still_named(&file, &path) {
                continue; // a finishing publish removed it between our open and our lock
            }
            let text = read_all(&mut file, &path)?;
            if !os_locked && !text.trim().is_empty() && !holder_is_dead(&text) {
                return Err(locked(&path, &text));
            }
            write_holder(&mut file, &path)?; // over the record of a dead holder, if any
            return Ok(Lock {
                file: Some(file),
                path,
            });
        }
    }

    /// Leave the lock file behind as a killed process would (tests of interrupted runs).
    pub fn abandon(mut self) {
        self.file.take();
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.file.is_some() {
            // Remove while still holding the OS lock, so no one can lock the old file after us.
            let _ = fs::remove_file(&self.path);
            self.file.take();
        }
    }
}

fn locked(path: &Path, text: &str) -> PublishError {
    PublishError::Locked {
        lock: path.to_path_buf(),
        holder: Holder::describe(text),
    }
}

fn read_all(file: &mut File, path: &Path) -> Result<String, PublishError> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ctx("read", path)?;
    file.read_to_string(&mut text).ctx("read", path)?;
    Ok(text)
}

fn write_holder(file: &mut File, path: &Path) -> Result<(), PublishError> {
    let json = serde_json::to_string(&Holder::me()).expect("a holder always serializes");
    file.set_len(0).ctx("write", path)?;
    file.seek(SeekFrom::Start(0)).ctx("write", path)?;
    file.write_all(json.as_bytes()).ctx("write", path)?;
    file.flush().ctx("write", path)
}

/// Whether `path` still names the file we opened (it may have been removed and re-created).
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// A lock record left by a process of this computer that no longer runs.
fn holder_is_dead(text: &str) -> bool {
    match serde_json::from_str::<Holder>(text) {
        Ok(h) => h.host == host_name() && !process_alive(h.pid),
        Err(_) => false,
    }
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

    #[test]
    fn a_second_lock_is_refused_with_who_and_the_file_to_remove() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path()).unwrap();
        let msg = Lock::acquire(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("another publish"), "{msg}");
        assert!(
            msg.contains(&format!("process {}", std::process::id())),
            "{msg}"
        );
        assert!(
            msg.contains(LOCK_NAME) && msg.contains("if no publish is running"),
            "{msg}"
        );
        drop(first);
        assert!(!dir.path().join(LOCK_NAME).exists());
        Lock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn the_lock_of_a_killed_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        Lock::acquire(dir.path()).unwrap().abandon();
        assert!(dir.path().join(LOCK_NAME).exists());
        let again = Lock::acquire(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap();
        assert!(
            text.contains(&format!("\"pid\":{}", std::process::id())),
            "{text}"
        );
        drop(again);
    }

    #[test]
    fn dead_holders_are_recognised_only_on_this_computer() {
        let me = Holder::me();
        let dead = Holder {
            pid: u32::MAX,
            ..me.clone()
        };
        assert!(holder_is_dead(&serde_json::to_string(&dead).unwrap()));
        assert!(!holder_is_dead(&serde_json::to_string(&me).unwrap()));
        let elsewhere = Holder {
            host: "other-pc".into(),
            ..dead
        };
        assert!(!holder_is_dead(&serde_json::to_string(&elsewhere).unwrap()));
        assert!(!holder_is_dead("garbage"));
    }
}
