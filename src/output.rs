//! The only place that writes to the output folder: holds it (one writer at a
//! time), writes the files whose bytes changed to a staging folder, renames
//! them all into place only once every one is written, removes files of
//! earlier builds that are gone, and keeps a manifest of what it wrote.

use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::paths::MAX_NAME_BYTES;
/// Ending of temporary names (a naming rule, so `paths` has it).
pub use crate::paths::TMP_SUFFIX;

/// Lists the files dangan wrote, so that only those are ever deleted.
pub(crate) use crate::manifest::MANIFEST;
/// The manifest while it is written.
use crate::manifest::MANIFEST_TMP;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    Bytes(Vec<u8>),
    /// Copied from this file (attachments).
    Copy(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutFile {
    /// Site path (relative to the output folder, `/`-separated).
    pub path: String,
    pub content: Content,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// An error that is about the machine, not the content (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// From `fs_err`, so it names the file or folder.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// An unnamed temporary file (they have no path): names their folder.
    #[error("{dir}: {source}")]
    Temp { dir: PathBuf, source: io::Error },
    #[error(
        "the output folder {0} already holds files that dangan did not write (there is no {MANIFEST} in it); dangan will not write into it, so that nothing of yours is overwritten or deleted.\n  = help: choose another folder with --out, or empty or delete that folder first"
    )]
    Foreign(PathBuf),
    #[error(
        "the output folder {out}{} {relation} {other}; dangan refuses, so that no report is overwritten or deleted.\n  = help: {}",
        set_in_config.map_or(String::new(), |l| format!(" (set by `output` on line {l} of dangan.toml)")),
        match set_in_config {
            Some(_) => "change `output` in dangan.toml to a folder outside the content folder, for example output = \"public\"",
            None => "choose an output folder outside the content folder, for example --out public",
        }
    )]
    Unsafe {
        out: PathBuf,
        relation: &'static str,
        other: PathBuf,
        /// The line of dangan.toml that named it, if it did.
        set_in_config: Option<usize>,
    },
    #[error(
        "the output folder {out} is a symbolic link to {target}, which does not exist.\n  = help: create that folder, or remove the link (dangan then makes a folder there), or choose another folder with --out"
    )]
    DanglingLink { out: PathBuf, target: PathBuf },
    #[error(
        "{path} is a file, where the output folder {out} must be a folder.\n  = help: move the file away, or choose another folder with --out"
    )]
    NotAFolder { out: PathBuf, path: PathBuf },
    #[error(
        "the output folder {out} is being written by another dangan ({holder}); two at once would remove each other's files.\n  = help: wait for it to finish or stop it (Ctrl-C where it runs), or write into another folder with --out"
    )]
    Busy { out: PathBuf, holder: String },
    #[error(
        "{path} is {what} that dangan did not write, where this build must write; nothing was changed.\n  = help: move it out of the output folder, then build again"
    )]
    InTheWay { path: PathBuf, what: &'static str },
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
}

/// Absolute, with symlinks of its existing part resolved, even if it does not exist yet.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(name)) => {
                rest.push(name.to_os_string());
                existing = p.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    out
}

/// Refuses an output folder equal to or containing the archive root, or
/// equal to, inside or containing the content folder.
pub(crate) fn check_out_dir(root: &Path, content: &Path, out: &Path) -> Result<(), OutputError> {
    let (root, content, out_r) = (resolve(root), resolve(content), resolve(out));
    let unsafe_ = |relation, other: &Path| {
        Err(OutputError::Unsafe {
            out: out.to_path_buf(),
            relation,
            other: other.to_path_buf(),
            set_in_config: None,
        })
    };
    if out_r == root {
        return unsafe_("is the archive folder", &root);
    }
    if root.starts_with(&out_r) {
        return unsafe_("contains the archive folder", &root);
    }
    if out_r == content {
        return unsafe_("is the content folder", &content);
    }
    if out_r.starts_with(&content) {
        return unsafe_("is inside the content folder", &content);
    }
    if content.starts_with(&out_r) {
        return unsafe_("contains the content folder", &content);
    }
    Ok(())
}

impl OutputError {
    /// Says which line of dangan.toml chose an unsafe output folder.
    pub(crate) fn set_in_config(self, line: Option<usize>) -> OutputError {
        match self {
            OutputError::Unsafe {
                out,
                relation,
                other,
                ..
            } => OutputError::Unsafe {
                out,
                relation,
                other,
                set_in_config: line,
            },
            e => e,
        }
    }
}

/// The output folder must be a folder or not exist yet: a link to a folder
/// that is gone (a share not mounted) or a file there (it said "File
/// exists") is named, with what to do.
pub(crate) fn check_out_usable(out: &Path) -> Result<(), OutputError> {
    let mut path = out;
    loop {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() && !path.exists() => {
                return Err(OutputError::DanglingLink {
                    out: path.to_path_buf(),
                    target: std::fs::read_link(path).unwrap_or_default(),
                });
            }
            Ok(m) if !m.is_dir() && !path.is_dir() => {
                return Err(OutputError::NotAFolder {
                    out: out.to_path_buf(),
                    path: path.to_path_buf(),
                });
            }
            Ok(_) => return Ok(()),
            Err(_) => match path.parent() {
                Some(parent) => path = parent,
                None => return Ok(()),
            },
        }
    }
}

/// The paths listed in the output folder's manifest; `None` if there is none.
pub(crate) fn read_manifest(out: &Path) -> Result<Option<BTreeSet<String>>, OutputError> {
    match crate::manifest::read(out) {
        Ok(m) => Ok(m.map(|m| m.paths().map(String::from).collect())),
        Err(crate::manifest::ReadError::Damaged(e)) => Err(e.into()),
        Err(crate::manifest::ReadError::Io(e)) => Err(e.into()),
    }
}

/// Makes sure `out` is a folder dangan may write into: missing, empty, or with a manifest.
pub(crate) fn previous_files(out: &Path) -> Result<BTreeSet<String>, OutputError> {
    if !out.exists() {
        return Ok(BTreeSet::new());
    }
    if let Some(m) = read_manifest(out)? {
        return Ok(m);
    }
    // What an interrupted first run leaves does not make it foreign.
    let mut entries = fs_err::read_dir(out)?;
    let ours = |name: &std::ffi::OsStr| [STAGING, MANIFEST_TMP].iter().any(|n| name == *n);
    if entries.any(|e| e.is_ok_and(|e| !ours(&e.file_name()))) {
        return Err(OutputError::Foreign(out.to_path_buf()));
    }
    Ok(BTreeSet::new())
}

/// The folder inside the output folder where a run writes its files before
/// renaming them into place: whatever an interrupted run leaves is in one
/// place, which the next run removes.
pub const STAGING: &str = ".dangan-tmp";
/// The output folder, held for writing by this process until dropped: two
/// builds at once would remove each other's files. The folder itself is
/// locked (flock), so that holding it changes nothing inside it.
#[derive(Debug)]
pub(crate) struct Lock {
    /// `None` where the file system cannot lock folders (some network shares).
    file: Option<std::fs::File>,
}

impl Lock {
    /// Takes the output folder (creating it), or says who holds it.
    pub(crate) fn acquire(out: &Path) -> Result<Lock, OutputError> {
        fs_err::create_dir_all(out)?;
        let (file, _) = fs_err::File::open(out)?.into_parts();
        // A lock can outlive its holder for a moment: a process forked by
        // another thread of the holder shares it until it starts its own
        // program, and a dangan that has just finished may still be exiting.
        // Tried again for a second before saying the folder is busy.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { file: Some(file) }),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy {
                        out: out.to_path_buf(),
                        holder: holder(&file).unwrap_or_else(|| "another process".to_string()),
                    });
                }
                Err(std::fs::TryLockError::Error(_)) => return Ok(Lock { file: None }),
            }
        }
    }

    /// Whether this still holds `out` (and not a folder since deleted).
    pub(crate) fn holds(&self, out: &Path) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (Some(file), Ok(now)) = (&self.file, std::fs::metadata(out)) else {
                return self.file.is_none() && out.is_dir();
            };
            file.metadata()
                .is_ok_and(|m| (m.dev(), m.ino()) == (now.dev(), now.ino()))
        }
        #[cfg(not(unix))]
        out.is_dir()
    }
}

/// Which process holds the lock on `file`, as far as Linux's /proc/locks says.
fn holder(file: &std::fs::File) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().ok()?;
        let dev = m.dev();
        let id = format!(
            "{:02x}:{:02x}:{}",
            libc::major(dev),
            libc::minor(dev),
            m.ino()
        );
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        let pid = locks.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"FLOCK") && f.get(5) == Some(&id.as_str())).then(|| f[4].to_string())
        })?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .skip(1)
            .take(4)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        Some(format!("process {pid}, `dangan {}`", args.join(" ")))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

/// Removes what interrupted runs left in `out`: the staging folder, the
/// manifest's temporary copy, and temporary files beside their targets
/// (`.name.dangan-tmp`, as earlier versions wrote them). Only dangan's
/// names are touched, and no link is followed.
pub(crate) fn remove_leftovers(out: &Path) -> Result<(), OutputError> {
    let staging = out.join(STAGING);
    if std::fs::symlink_metadata(&staging).is_ok() {
        remove_all(&staging)?;
    }
    let walk = walkdir::WalkDir::new(out).min_depth(1).into_iter();
    for entry in walk.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy();
        let leftover = (name.starts_with('.') && name.ends_with(TMP_SUFFIX))
            || (entry.depth() == 1 && name == MANIFEST_TMP);
        if leftover && !entry.file_type().is_dir() {
            fs_err::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn remove_all(path: &Path) -> Result<(), OutputError> {
    match fs_err::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// One run's writes: each new or changed file is written in the staging
/// folder as soon as it is ready; `commit` renames them all into place once
/// everything is written. Dropped without `commit`, it removes what it wrote,
/// leaving the output folder as it was.
#[derive(Debug)]
pub(crate) struct Staging {
    out: PathBuf,
    dir: PathBuf,
    next: AtomicUsize,
    staged: Mutex<Vec<Staged>>,
    unchanged: AtomicUsize,
    /// Paths in the output folder that stand where a folder or a file of
    /// this run must go, found while staging.
    obstacles: Mutex<BTreeSet<String>>,
    /// Folders (site paths) known to be real folders.
    clear_dirs: Mutex<std::collections::HashSet<String>>,
    /// Folders (site paths) known to be absent: nothing of the output
    /// folder changes before `commit`, so nothing is under them either.
    absent_dirs: Mutex<std::collections::HashSet<String>>,
}

#[derive(Debug)]
struct Staged {
    path: String,
    tmp: PathBuf,
}

impl Staging {
    /// Starts a run's writes in `out`, which this process holds (`Lock`).
    pub(crate) fn begin(out: &Path) -> Result<Staging, OutputError> {
        let dir = out.join(STAGING);
        remove_all(&dir)?;
        fs_err::create_dir_all(&dir)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            next: AtomicUsize::new(0),
            staged: Mutex::default(),
            unchanged: AtomicUsize::new(0),
            obstacles: Mutex::default(),
            clear_dirs: Mutex::default(),
            absent_dirs: Mutex::default(),
        })
    }

    /// Writes `f` to the staging folder if its bytes differ from what is in
    /// place; `true` if they did. Safe to call from several threads.
    pub(crate) fn stage(&self, f: &OutFile) -> Result<bool, OutputError> {
        let source = match &f.content {
            Content::Bytes(b) => Source::Bytes(b),
            Content::Copy(src) => Source::Copy(src),
        };
        self.stage_source(&f.path, source)
    }

    /// Like `stage`, for bytes (the search index's files).
    pub(crate) fn stage_bytes(&self, path: &str, bytes: &[u8]) -> Result<bool, OutputError> {
        self.stage_source(path, Source::Bytes(bytes))
    }

    fn stage_source(&self, path: &str, source: Source<'_>) -> Result<bool, OutputError> {
        let target = self.out.join(path);
        // In a folder the output folder lacks (all of them in a first
        // build): nothing to compare with, nothing in the way.
        let absent = self.in_absent_dir(path);
        let same = !absent
            && match source {
                Source::Bytes(b) => std::fs::read(&target).is_ok_and(|old| old == b),
                Source::Copy(src) => same_file_bytes(src, &target),
            };
        if same && self.is_clear(path)? {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(false);
        }
        let tmp = self
            .dir
            .join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        let mut to = staged_file(&tmp, &target)?;
        match source {
            Source::Bytes(b) => to.write_all(b)?,
            Source::Copy(src) => {
                io::copy(&mut crate::load::discover::open_regular(src)?, &mut to)?;
            }
        };
        if !absent {
            self.is_clear(path)?;
        }
        let staged = Staged {
            path: path.to_string(),
            tmp,
        };
        self.staged.lock().expect("not poisoned").push(staged);
        Ok(true)
    }

    /// Whether a folder on the way to `path` is absent from the output
    /// folder, every folder before it being a real folder.
    fn in_absent_dir(&self, path: &str) -> bool {
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            if self.absent_dirs.lock().expect("not poisoned").contains(dir) {
                return true;
            }
            if self.clear_dirs.lock().expect("not poisoned").contains(dir) {
                continue;
            }
            match std::fs::symlink_metadata(self.out.join(dir)) {
                Ok(m) if m.is_dir() => {
                    let mut clear = self.clear_dirs.lock().expect("not poisoned");
                    clear.insert(dir.to_string());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let mut absent = self.absent_dirs.lock().expect("not poisoned");
                    absent.insert(dir.to_string());
                    return true;
                }
                // Something else in the way, or unreadable: `is_clear` says what.
                _ => return false,
            }
        }
        false
    }

    /// Whether `path` can be renamed into place as it is: every folder on
    /// the way a real folder (or absent), and no folder at the path itself.
    /// What stands in the way is noted for `commit`.
    fn is_clear(&self, path: &str) -> Result<bool, OutputError> {
        let mut obstacle = None;
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            if self.clear_dirs.lock().expect("not poisoned").contains(dir) {
                continue;
            }
            match fs_err::symlink_metadata(self.out.join(dir)) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    obstacle = Some(dir);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) => return Err(e.into()),
            }
            self.clear_dirs
                .lock()
                .expect("not poisoned")
                .insert(dir.to_string());
        }
        if obstacle.is_none()
            && std::fs::symlink_metadata(self.out.join(path)).is_ok_and(|m| m.is_dir())
        {
            obstacle = Some(path);
        }
        match obstacle {
            Some(o) => {
                self.obstacles
                    .lock()
                    .expect("not poisoned")
                    .insert(o.to_string());
                Ok(false)
            }
            None => Ok(true),
        }
    }

    /// Renames every staged file into place, then removes `stale` files.
    /// `listed` is what the manifest lists: before a file is renamed to a
    /// path it does not list yet, the manifest lists it, so that nothing
    /// dangan puts in the folder is ever unknown to a later run.
    pub(crate) fn commit(
        self,
        stale: impl IntoIterator<Item = String>,
        listed: &mut BTreeSet<String>,
    ) -> Result<(WriteStats, Vec<String>), OutputError> {
        let mut staged = std::mem::take(&mut *self.staged.lock().expect("not poisoned"));
        staged.sort_by(|a, b| {
            (std::cmp::Reverse(link_rank(&a.path)), &a.path)
                .cmp(&(std::cmp::Reverse(link_rank(&b.path)), &b.path))
        });
        let mut stale: Vec<String> = stale.into_iter().collect();
        stale.sort_by(|a, b| (link_rank(a), a).cmp(&(link_rank(b), b)));
        stale.dedup();
        let first = self.clear_the_way(&stale)?;
        if staged.iter().any(|s| !listed.contains(&s.path)) {
            listed.extend(staged.iter().map(|s| s.path.clone()));
            list_in_manifest(&self.out, listed.iter().map(String::as_str))?;
        }
        let mut removed = Vec::new();
        for path in stale.iter().filter(|p| first.contains(*p)) {
            if remove_stale(&self.out, path)? {
                removed.push(path.clone());
            }
        }
        // Each folder once, not once per file that goes into it.
        let dirs: BTreeSet<&str> = staged
            .iter()
            .filter_map(|s| s.path.rsplit_once('/').map(|(dir, _)| dir))
            .collect();
        for dir in dirs {
            fs_err::create_dir_all(self.out.join(dir))?;
        }
        for wave in staged.chunk_by(|a, b| link_rank(&a.path) == link_rank(&b.path)) {
            let results: Vec<Result<(), OutputError>> = wave
                .par_iter()
                .map(|s| Ok(fs_err::rename(&s.tmp, self.out.join(&s.path))?))
                .collect();
            results.into_iter().collect::<Result<(), _>>()?;
        }
        for path in stale.iter().filter(|p| !first.contains(*p)) {
            if remove_stale(&self.out, path)? {
                removed.push(path.clone());
            }
        }
        let stats = WriteStats {
            written: staged.len(),
            unchanged: self.unchanged.load(Ordering::Relaxed),
            removed: removed.len(),
        };
        let mut changed: Vec<String> = staged.into_iter().map(|s| s.path).collect();
        changed.extend(removed);
        Ok((stats, changed))
    }

    /// The stale files to remove before renaming, because they stand where
    /// this run needs a folder or a file; anything else in the way (a file,
    /// folder or link that dangan did not write) stops the run here, before
    /// anything changed.
    fn clear_the_way(&self, stale: &[String]) -> Result<BTreeSet<String>, OutputError> {
        let obstacles = std::mem::take(&mut *self.obstacles.lock().expect("not poisoned"));
        let stale_set: BTreeSet<&str> = stale.iter().map(String::as_str).collect();
        let mut first = BTreeSet::new();
        for o in obstacles {
            let path = self.out.join(&o);
            let meta = fs_err::symlink_metadata(&path)?;
            let inside: Vec<String> = match meta.is_dir() {
                true => walkdir::WalkDir::new(&path)
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| !e.file_type().is_dir())
                    .map(|e| {
                        let rel = e.path().strip_prefix(&self.out).unwrap_or(e.path());
                        rel.to_string_lossy().replace('\\', "/")
                    })
                    .collect(),
                false => vec![o.clone()],
            };
            if meta.is_symlink() || inside.iter().any(|p| !stale_set.contains(p.as_str())) {
                let what = match (meta.is_symlink(), meta.is_dir()) {
                    (true, _) => "a symbolic link",
                    (false, true) => "a folder",
                    (false, false) => "a file",
                };
                return Err(OutputError::InTheWay { path, what });
            }
            first.extend(inside);
        }
        Ok(first)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Committed or not, nothing of the run stays in the staging folder.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where the bytes of an output come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Bytes(&'a [u8]),
    Copy(&'a Path),
}

/// The staged file `tmp` of the output `target`, created. Writing to it, a
/// failure (a disk full) names the output being written, not its temporary
/// name. Attachments are copied from `open_regular`, which refuses a
/// symbolic link put in their place since the content folder was read.
fn staged_file(tmp: &Path, target: &Path) -> io::Result<fs_err::File> {
    let (file, _) = fs_err::File::create(tmp)?.into_parts();
    Ok(fs_err::File::from_parts(file, target))
}

/// The temporary name of file `name` while it is written (by a build or a
/// publish): hidden, recognisable as a leftover, and never over-long — a
/// name near the limit gets a short one made from its hash.
pub(crate) fn temp_name(name: &str) -> String {
    let plain = format!(".{name}{TMP_SUFFIX}");
    if plain.len() <= MAX_NAME_BYTES {
        plain
    } else {
        format!(
            ".{:016x}{TMP_SUFFIX}",
            xxhash_rust::xxh3::xxh3_64(name.as_bytes())
        )
    }
}

fn same_file_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => match (std::fs::read(a), std::fs::read(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// Writes the output folder's manifest: every output with its kind and links.
pub(crate) fn write_manifest(
    out: &Path,
    outputs: &[crate::manifest::Output],
) -> Result<(), OutputError> {
    Ok(crate::manifest::write(out, outputs)?)
}

/// Writes a manifest listing exactly `paths`, with the kinds and links it already knows, while
/// a run is under way (a run's last write gives every kind and link).
pub(crate) fn list_in_manifest<'a>(
    out: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<(), OutputError> {
    Ok(crate::manifest::write_provisional(out, paths)?)
}

/// Files are renamed into place from the highest rank down and removed from
/// the lowest up, so that no page in place ever links to a file that is not:
/// 4 assets, 3 report pages and attachments, 2 the search index (which names
/// report pages), 1 index pages, 0 the home page.
fn link_rank(path: &str) -> u8 {
    match path.split('/').next().unwrap_or("") {
        "index.html" => 0,
        "unit" | "year" | "type" | "search.html" | "404.html" => 1,
        "_search" => 2,
        "_assets" => 4,
        _ => 3,
    }
}

/// Removes a file dangan wrote earlier, then its folders if they became empty.
pub(crate) fn remove_stale(out: &Path, site_path: &str) -> Result<bool, OutputError> {
    if site_path.split('/').any(|c| c == ".." || c.is_empty()) {
        return Ok(false); // a manifest line that would leave the folder: never act on it
    }
    // Never through a link to elsewhere; a folder someone put there is not ours.
    let through_link = site_path.match_indices('/').any(|(i, _)| {
        std::fs::symlink_metadata(out.join(&site_path[..i])).is_ok_and(|m| !m.is_dir())
    });
    let path = out.join(site_path);
    if through_link || std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
        return Ok(false);
    }
    let removed = match fs_err::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e.into()),
    };
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutFile {
        OutFile {
            path: path.into(),
            content: Content::Bytes(text.as_bytes().to_vec()),
        }
    }

    /// The suite's other threads fork processes: a lock on the output
    /// folder is then held a moment after the session holding it is gone.
    #[test]
    fn a_lock_let_go_a_moment_later_is_waited_for_and_one_kept_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let held = Lock::acquire(&out).unwrap();
        let busy = Lock::acquire(&out).unwrap_err();
        assert!(
            matches!(&busy, OutputError::Busy { out: o, .. } if *o == out),
            "{busy}"
        );
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            drop(held);
        });
        let second = Lock::acquire(&out);
        letting_go.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
    }

    fn write(out: &Path, files: &[OutFile], stale: &[&str]) -> (WriteStats, Vec<String>) {
        let staging = Staging::begin(out).unwrap();
        for f in files {
            staging.stage(f).unwrap();
        }
        let mut listed = BTreeSet::new();
        staging
            .commit(stale.iter().map(|s| s.to_string()), &mut listed)
            .unwrap()
    }

    #[test]
    fn writes_only_changes_and_removes_only_the_stale_files_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let (s, changed) = write(&out, &[file("a.html", "A"), file("d/b.html", "B")], &[]);
        assert_eq!((s.written, s.unchanged), (2, 0));
        assert_eq!(changed, ["a.html", "d/b.html"]);
        std::fs::write(out.join("mine.txt"), "keep").unwrap();
        let (s, changed) = write(&out, &[file("a.html", "A2"), file("d/b.html", "B")], &[]);
        assert_eq!((s.written, s.unchanged), (1, 1));
        assert_eq!(changed, ["a.html"]);
        assert!(remove_stale(&out, "d/b.html").unwrap());
        assert!(!out.join("d").exists(), "emptied folder is removed");
        std::fs::write(dir.path().join("outside.txt"), "keep").unwrap();
        assert!(
            !remove_stale(&out, "../outside.txt").unwrap(),
            "never outside the folder"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("outside.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("mine.txt")).unwrap(),
            "keep",
            "a file not listed stays"
        );
        assert!(!out.join(STAGING).exists());
    }

    #[test]
    fn staged_files_appear_only_when_committed_and_vanish_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let staging = Staging::begin(&out).unwrap();
        staging.stage(&file("index.html", "home")).unwrap();
        staging.stage(&file("r/a.html", "A")).unwrap();
        assert!(!out.join("index.html").exists() && !out.join("r").exists());
        let mut listed = BTreeSet::new();
        let (s, _) = staging.commit([], &mut listed).unwrap();
        assert_eq!(s.written, 2);
        assert_eq!(std::fs::read_to_string(out.join("r/a.html")).unwrap(), "A");
        assert_eq!(
            read_manifest(&out).unwrap().unwrap(),
            listed,
            "the manifest listed the new files before they were renamed in"
        );
        let staging = Staging::begin(&out).unwrap();
        assert!(
            !staging.stage(&file("r/a.html", "A")).unwrap(),
            "same bytes: nothing to write"
        );
        staging.stage(&file("new/b.html", "B")).unwrap();
        drop(staging);
        assert!(!out.join("new").exists() && !out.join(STAGING).exists());
    }

    #[test]
    fn a_stale_file_where_a_folder_must_go_is_removed_first_and_a_foreign_one_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write(&out, &[file("x.html", "page")], &[]);
        // The report x.md is gone and an attachment folder x.html/ takes its place.
        let (_, changed) = write(&out, &[file("x.html/a.pdf", "pdf")], &["x.html"]);
        assert_eq!(changed, ["x.html/a.pdf", "x.html"]);
        assert_eq!(
            std::fs::read_to_string(out.join("x.html/a.pdf")).unwrap(),
            "pdf"
        );
        // And back again.
        write(&out, &[file("x.html", "page")], &["x.html/a.pdf"]);
        assert_eq!(std::fs::read_to_string(out.join("x.html")).unwrap(), "page");

        std::fs::create_dir(out.join("mine.html")).unwrap();
        std::fs::write(out.join("mine.html/notes.txt"), "mine").unwrap();
        let staging = Staging::begin(&out).unwrap();
        staging.stage(&file("mine.html", "page")).unwrap();
        staging.stage(&file("index.html", "home")).unwrap();
        let err = staging.commit([], &mut BTreeSet::new()).unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::InTheWay {
                    what: "a folder",
                    ..
                }
            ),
            "{err}"
        );
        assert!(!out.join("index.html").exists(), "nothing was renamed");
        assert_eq!(
            std::fs::read_to_string(out.join("mine.html/notes.txt")).unwrap(),
            "mine"
        );
        assert!(!out.join(STAGING).exists());
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_written_or_removed_through_a_link_in_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("a.html"), "theirs").unwrap();
        write(&out, &[file("d/a.html", "ours")], &[]);
        std::fs::remove_dir_all(out.join("d")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("d")).unwrap();
        assert!(!remove_stale(&out, "d/a.html").unwrap());
        let staging = Staging::begin(&out).unwrap();
        staging.stage(&file("d/a.html", "new")).unwrap();
        let err = staging.commit([], &mut BTreeSet::new()).unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::InTheWay {
                    what: "a symbolic link",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(elsewhere.join("a.html")).unwrap(),
            "theirs"
        );
    }

    #[test]
    fn the_lock_keeps_a_second_writer_out_and_says_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let lock = Lock::acquire(&out).unwrap();
        let err = Lock::acquire(&out).unwrap_err();
        #[cfg(target_os = "linux")]
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        assert!(lock.holds(&out));
        drop(lock);
        let lock = Lock::acquire(&out).unwrap();
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            0,
            "holding it puts nothing inside"
        );
        std::fs::remove_dir(&out).unwrap();
        std::fs::create_dir(&out).unwrap();
        assert!(!lock.holds(&out), "a folder made anew is not the one held");
    }

    #[test]
    fn leftovers_of_interrupted_runs_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(out.join(STAGING)).unwrap();
        std::fs::write(out.join(STAGING).join("0"), "half").unwrap();
        std::fs::create_dir_all(out.join("2020")).unwrap();
        std::fs::write(out.join("2020/.a.html.dangan-tmp"), "half").unwrap();
        std::fs::write(out.join("2020/a.html"), "page").unwrap();
        std::fs::write(out.join("2020/a.dangan-tmp"), "a user's").unwrap();
        std::fs::write(out.join(MANIFEST_TMP), "half").unwrap();
        remove_leftovers(&out).unwrap();
        let mut left: Vec<String> = walkdir::WalkDir::new(&out)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                e.unwrap()
                    .path()
                    .strip_prefix(&out)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        left.sort();
        assert_eq!(left, ["2020", "2020/a.dangan-tmp", "2020/a.html"]);
    }

    #[test]
    fn refuses_a_folder_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("important.docx"), "x").unwrap();
        assert!(matches!(
            previous_files(dir.path()),
            Err(OutputError::Foreign(_))
        ));
        list_in_manifest(dir.path(), ["a.html"]).unwrap();
        assert_eq!(
            previous_files(dir.path())
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["a.html"]
        );
    }

    #[test]
    fn output_folder_must_stay_clear_of_content() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let content = root.join("content");
        std::fs::create_dir(&content).unwrap();
        assert!(check_out_dir(root, &content, &root.join("public")).is_ok());
        assert!(check_out_dir(root, &content, root).is_err());
        assert!(check_out_dir(root, &content, &content).is_err());
        assert!(check_out_dir(root, &content, &content.join("site")).is_err());
        assert!(check_out_dir(root, &content, &root.join("content/../content/x")).is_err());
        assert!(check_out_dir(root, &content, root.parent().unwrap()).is_err());
    }
}
