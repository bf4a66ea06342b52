//! What a session keeps between runs, in the build cache (#15), so that a
//! new process redoes only what changed since the last one: every report's
//! front matter as parsed, with what the walk saw of its file; what each
//! report's rendered Markdown resolved to (`MdFacts`); and the fingerprint
//! of every page in the output folder. Two parts of `.dangan-cache/`:
//!
//! - `reports`, keyed by this build of dangan, the archive's folder and the
//!   config: a report is taken from it only when its file has the size and
//!   time it had when it was read, and that time was not too recent to tell
//!   a later save in the same tick (shares keep 2-second times): such a
//!   file is read again, and so compared by its bytes.
//! - `pages`, keyed as well by the theme and the output folder: trusted only
//!   while the output folder is as this session left it (its times and
//!   identity; any run of any dangan stages into it, which changes them).
//!
//! Each rendering of a report's Markdown has a stamp that the fingerprints
//! of the pages showing it cover; a process starts its stamps at a random
//! point, so that two processes that ran at once never give two renderings
//! one stamp.

use std::collections::BTreeSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::cache::{Reader, Writer};
use crate::diag::{Diagnostic, Severity};
use crate::markdown::Target;
use crate::model::{Alias, AliasTarget, Report, ReportDate, SourceStamp};
use crate::render::{Job, MdFacts, Scope};

/// The part with the reports and their Markdown facts.
pub(super) const REPORTS_PART: &str = "reports";
/// The part with the pages' fingerprints.
pub(super) const PAGES_PART: &str = "pages";

/// A file changed less than this before it was read may change again
/// within the same tick of its time stamp (2 s on shares) without the
/// time showing it.
const RACY: Duration = Duration::from_secs(3);

/// What a report's file was when it was read: its size and time (taken
/// before the reading), and when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seen {
    size: u64,
    modified: Duration,
    read_at: Duration,
}

fn since_epoch(t: SystemTime) -> Option<Duration> {
    t.duration_since(SystemTime::UNIX_EPOCH).ok()
}

impl Seen {
    /// The file as `meta` shows it, read from now on; `None` when its time is unknown.
    pub(super) fn before_reading(meta: &Metadata) -> Option<Seen> {
        Some(Seen {
            size: meta.len(),
            modified: since_epoch(meta.modified().ok()?)?,
            read_at: since_epoch(SystemTime::now())?,
        })
    }

    /// Whether what was read then is what the file holds now, as `meta`
    /// shows it: same size and time, and the time old enough when it was
    /// read that a later save could not have kept it.
    pub(super) fn still(&self, meta: &Metadata) -> bool {
        let now = meta.modified().ok().and_then(since_epoch);
        meta.len() == self.size
            && now == Some(self.modified)
            && self.modified + RACY <= self.read_at
    }
}

/// An identity of this build of dangan: its version, and the size and time
/// of its program file, so that a cache written by another build of the
/// same version (a developer's) is not read as this one's.
pub(super) fn build_id() -> &'static [u8] {
    static ID: OnceLock<Vec<u8>> = OnceLock::new();
    ID.get_or_init(|| {
        let mut w = Writer::default();
        w.str(env!("CARGO_PKG_VERSION"));
        let meta = std::env::current_exe().and_then(std::fs::metadata);
        if let Ok(m) = meta {
            w.u64(m.len());
            let t = m.modified().ok().and_then(since_epoch).unwrap_or_default();
            w.u64(t.as_secs());
            w.u32(t.subsec_nanos());
        }
        w.0
    })
}

/// Where this process starts its Markdown stamps, after `restored` (the
/// last one a cache knew): a random step on, so that processes that ran at
/// once from one cache stamp different renderings differently.
pub(super) fn stamp_base(restored: u64) -> u64 {
    let now = since_epoch(SystemTime::now()).unwrap_or_default();
    let mut w = Writer::default();
    w.u128(now.as_nanos());
    w.u32(std::process::id());
    w.u64(&w as *const Writer as u64);
    let step = xxhash_rust::xxh3::xxh3_64(&w.0) >> 32;
    restored.wrapping_add(step).wrapping_add(1)
}

/// What the output folder `out` is now: its identity and times. Every run
/// that writes into it (of this dangan or any other) makes and removes its
/// staging folder there, which changes them.
pub(super) fn folder_token(out: &Path) -> Option<Vec<u8>> {
    let m = std::fs::metadata(out).ok()?;
    let mut w = Writer::default();
    let t = |t: std::io::Result<SystemTime>| t.ok().and_then(since_epoch).unwrap_or_default();
    for d in [t(m.modified()), t(m.created())] {
        w.u64(d.as_secs());
        w.u32(d.subsec_nanos());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        w.u64(m.dev());
        w.u64(m.ino());
        w.u64(m.ctime() as u64);
        w.u64(m.ctime_nsec() as u64);
    }
    Some(w.0)
}

/// What a file in the output folder is now, as one number: a hash of its
/// kind, size, times and identity (one `stat`, no reading), so that a warm
/// build can tell every file dangan left there from one changed by hand
/// since (edited, even to the same size and time, which changes the time
/// of its last change; truncated; deleted; replaced) at a `stat` per file.
/// `0`: nothing there.
pub(super) fn file_stamp(path: &Path) -> u64 {
    #[cfg(target_os = "linux")]
    return rustix::fs::lstat(path).map_or(0, |s| stat_stamp(&s));
    #[cfg(not(target_os = "linux"))]
    return std::fs::symlink_metadata(path).map_or(0, |m| {
        let t = m.modified().ok().and_then(since_epoch).unwrap_or_default();
        let fields = [
            u64::from(m.is_file()),
            m.len(),
            t.as_secs(),
            u64::from(t.subsec_nanos()),
        ];
        stamp_of(&fields)
    });
}

/// The stamps of `paths` (site paths in the folder `out`), in their order.
/// On Linux each folder is opened once and its files looked up by name in
/// it: the kernel's walk of each whole path from `/` was most of the cost
/// (about 40,000 files at 10,000 reports).
pub(super) fn file_stamps(out: &Path, paths: &[&String]) -> Vec<u64> {
    use rayon::prelude::*;
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{AtFlags, Mode, OFlags};
        let mut folders: std::collections::HashMap<&str, Vec<(usize, &str)>> =
            std::collections::HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            let (dir, name) = p.rsplit_once('/').unwrap_or(("", p.as_str()));
            folders.entry(dir).or_default().push((i, name));
        }
        let folders: Vec<(&str, Vec<(usize, &str)>)> = folders.into_iter().collect();
        let found: Vec<Vec<(usize, u64)>> = folders
            .par_iter()
            .map(|(dir, files)| {
                let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
                let Ok(fd) = rustix::fs::open(out.join(dir), flags, Mode::empty()) else {
                    return files.iter().map(|(i, _)| (*i, 0)).collect();
                };
                let stat = |name: &str| rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW);
                (files.iter())
                    .map(|(i, name)| (*i, stat(name).map_or(0, |s| stat_stamp(&s))))
                    .collect()
            })
            .collect();
        let mut stamps = vec![0; paths.len()];
        for (i, s) in found.into_iter().flatten() {
            stamps[i] = s;
        }
        stamps
    }
    #[cfg(not(target_os = "linux"))]
    paths.par_iter().map(|p| file_stamp(&out.join(p))).collect()
}

#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // the fields' types differ between architectures
fn stat_stamp(s: &rustix::fs::Stat) -> u64 {
    let kind = rustix::fs::FileType::from_raw_mode(s.st_mode);
    stamp_of(&[
        u64::from(kind == rustix::fs::FileType::RegularFile),
        s.st_size as u64,
        s.st_mtime as u64,
        s.st_mtime_nsec as u64,
        s.st_dev,
        s.st_ino,
        s.st_ctime as u64,
        s.st_ctime_nsec as u64,
    ])
}

fn stamp_of(fields: &[u64]) -> u64 {
    let mut bytes = [0u8; 64];
    for (b, f) in bytes.chunks_exact_mut(8).zip(fields) {
        b.copy_from_slice(&f.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes[..fields.len() * 8]).max(1)
}

/// A hash of the output folder's list of files, in order: stamps saved
/// for one list are compared only with the same list.
pub(super) fn list_hash<'a>(paths: impl IntoIterator<Item = &'a String>) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in paths {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.digest()
}

// What follows writes and reads the parts' contents with the cache's own
// fields (`cache::Writer`, `cache::Reader`); a read that does not come out
// whole gives `None`, and the part is not used.

fn usize_of(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

pub(super) fn seen(w: &mut Writer, s: &Seen) {
    w.u64(s.size);
    for d in [s.modified, s.read_at] {
        w.u64(d.as_secs());
        w.u32(d.subsec_nanos());
    }
}

pub(super) fn read_seen(r: &mut Reader) -> Option<Seen> {
    let size = r.u64()?;
    let mut d = || Some(Duration::new(r.u64()?, r.u32()?));
    Some(Seen {
        size,
        modified: d()?,
        read_at: d()?,
    })
}

pub(super) fn diagnostic(w: &mut Writer, d: &Diagnostic) {
    w.u8(match d.severity {
        Severity::Error => 0,
        Severity::Warning => 1,
    });
    w.str(&d.path);
    w.opt(d.line, |w, l| w.u64(l as u64));
    w.opt(d.column, |w, c| w.u64(c as u64));
    w.opt(d.field.as_deref(), Writer::str);
    w.str(&d.message);
    w.opt(d.hint.as_deref(), Writer::str);
}

pub(super) fn read_diagnostic(r: &mut Reader) -> Option<Diagnostic> {
    let severity = match r.u8()? {
        0 => Severity::Error,
        1 => Severity::Warning,
        _ => return None,
    };
    Some(Diagnostic {
        severity,
        path: r.str()?.to_string(),
        line: r.opt(|r| usize_of(r.u64()?))?,
        column: r.opt(|r| usize_of(r.u64()?))?,
        field: r.opt(|r| r.str().map(str::to_string))?,
        message: r.str()?.to_string(),
        hint: r.opt(|r| r.str().map(str::to_string))?,
    })
}

pub(super) fn diagnostics(w: &mut Writer, ds: &[Diagnostic]) {
    w.u64(ds.len() as u64);
    for d in ds {
        diagnostic(w, d);
    }
}

pub(super) fn read_diagnostics(r: &mut Reader) -> Option<Vec<Diagnostic>> {
    let n = r.u64()?;
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(read_diagnostic(r)?);
    }
    Some(v)
}

fn stamp(w: &mut Writer, s: &SourceStamp) {
    w.u64(s.len);
    w.u128(s.hash);
}

fn read_stamp(r: &mut Reader) -> Option<SourceStamp> {
    Some(SourceStamp {
        len: r.u64()?,
        hash: r.u128()?,
    })
}

/// A report; `false` (nothing written) when its file's path is not UTF-8.
pub(super) fn report(w: &mut Writer, rep: &Report) -> bool {
    let Some(source) = rep.source.to_str() else {
        return false;
    };
    w.str(&rep.id);
    w.str(source);
    w.str(&rep.title);
    w.str(&rep.unit);
    w.u32(rep.date.year as u32);
    w.u8(rep.date.month);
    w.u8(rep.date.day.unwrap_or(0));
    w.str(&rep.kind);
    w.strs(&rep.tags);
    w.opt(rep.summary.as_deref(), Writer::str);
    w.opt(rep.author.as_deref(), Writer::str);
    w.u8(u8::from(rep.draft));
    w.str(&rep.page);
    stamp(w, &rep.stamp);
    w.u64(rep.body_start as u64);
    w.u64(rep.body_line as u64);
    w.u64(rep.key);
    w.u64(rep.aliases.len() as u64);
    for a in &rep.aliases {
        match &a.target {
            AliasTarget::Report(s) => {
                w.u8(0);
                w.str(s);
            }
            AliasTarget::Page(s) => {
                w.u8(1);
                w.str(s);
            }
        }
        w.str(&a.text);
        w.u64(a.line as u64);
    }
    w.strs(&rep.links);
    true
}

pub(super) fn read_report(r: &mut Reader) -> Option<Report> {
    let id = r.str()?.to_string();
    let source = PathBuf::from(r.str()?);
    let title = r.str()?.to_string();
    let unit = r.str()?.to_string();
    let date = ReportDate {
        year: r.u32()? as i32,
        month: r.u8()?,
        day: Some(r.u8()?).filter(|d| *d != 0),
    };
    let kind = r.str()?.to_string();
    let tags = r.strs()?;
    let summary = r.opt(|r| r.str().map(str::to_string))?;
    let author = r.opt(|r| r.str().map(str::to_string))?;
    let draft = r.u8()? != 0;
    let page = r.str()?.to_string();
    let stamp = read_stamp(r)?;
    let body_start = usize_of(r.u64()?)?;
    let body_line = usize_of(r.u64()?)?;
    let key = r.u64()?;
    let n = r.u64()?;
    let mut aliases = Vec::new();
    for _ in 0..n {
        let target = match r.u8()? {
            0 => AliasTarget::Report(r.str()?.to_string()),
            1 => AliasTarget::Page(r.str()?.to_string()),
            _ => return None,
        };
        aliases.push(Alias {
            target,
            text: r.str()?.to_string(),
            line: usize_of(r.u64()?)?,
        });
    }
    let links = r.strs()?;
    Some(Report {
        id,
        source,
        title,
        unit,
        date,
        kind,
        tags,
        summary,
        author,
        draft,
        page,
        stamp,
        body_start,
        body_line,
        key,
        aliases,
        links,
    })
}

pub(super) fn md_facts(w: &mut Writer, f: &MdFacts) {
    stamp(w, &f.source);
    w.u64(f.resolved.len() as u64);
    for (path, target) in &f.resolved {
        w.str(path);
        match target {
            Target::Page(p) => {
                w.u8(0);
                w.str(p);
            }
            Target::File(p) => {
                w.u8(1);
                w.str(p);
            }
            Target::Draft => w.u8(2),
            Target::Missing => w.u8(3),
        }
    }
    w.strs(&f.linked_files);
    diagnostics(w, &f.diags);
    w.u64(f.stamp);
}

pub(super) fn read_md_facts(r: &mut Reader) -> Option<MdFacts> {
    let source = read_stamp(r)?;
    let n = r.u64()?;
    let mut resolved = Vec::new();
    for _ in 0..n {
        let path = r.str()?.to_string();
        let target = match r.u8()? {
            0 => Target::Page(r.str()?.to_string()),
            1 => Target::File(r.str()?.to_string()),
            2 => Target::Draft,
            3 => Target::Missing,
            _ => return None,
        };
        resolved.push((path, target));
    }
    Some(MdFacts {
        source,
        resolved,
        linked_files: r.strs()?,
        diags: read_diagnostics(r)?,
        stamp: r.u64()?,
    })
}

pub(super) fn job(w: &mut Writer, j: &Job) {
    let (tag, s, n): (u8, Option<&str>, Option<i32>) = match j {
        Job::Home => (0, None, None),
        Job::Report(id) => (1, Some(id), None),
        Job::Unit(u) => (2, Some(u), None),
        Job::UnitIndex => (3, None, None),
        Job::Year(y) => (4, None, Some(*y)),
        Job::YearIndex => (5, None, None),
        Job::Type(t) => (6, Some(t), None),
        Job::TypeIndex => (7, None, None),
        Job::Search => (8, None, None),
        Job::NotFound => (9, None, None),
        Job::Feed => (10, None, None),
        Job::UnitFeed(u) => (11, Some(u), None),
        Job::Sitemap => (12, None, None),
        Job::Asset(a) => (13, Some(a), None),
        Job::Attachment(a) => (14, Some(a), None),
        Job::Compilation(u, y, Scope::Own) => (15, Some(u), Some(*y)),
        Job::Compilation(u, y, Scope::WithSubUnits) => (16, Some(u), Some(*y)),
        Job::Redirect(a) => (17, Some(a), None),
    };
    w.u8(tag);
    if let Some(s) = s {
        w.str(s);
    }
    if let Some(n) = n {
        w.u32(n as u32);
    }
}

pub(super) fn read_job(r: &mut Reader) -> Option<Job> {
    let tag = r.u8()?;
    let mut s = || r.str().map(String::from);
    let job = match tag {
        0 => Job::Home,
        1 => Job::Report(s()?),
        2 => Job::Unit(s()?),
        3 => Job::UnitIndex,
        4 => Job::Year(r.u32()? as i32),
        5 => Job::YearIndex,
        6 => Job::Type(s()?),
        7 => Job::TypeIndex,
        8 => Job::Search,
        9 => Job::NotFound,
        10 => Job::Feed,
        11 => Job::UnitFeed(s()?),
        12 => Job::Sitemap,
        13 => Job::Asset(s()?),
        14 => Job::Attachment(s()?),
        15 | 16 => {
            let unit = s()?;
            let year = r.u32()? as i32;
            let scope = if tag == 15 {
                Scope::Own
            } else {
                Scope::WithSubUnits
            };
            Job::Compilation(unit, year, scope)
        }
        17 => Job::Redirect(s()?),
        _ => return None,
    };
    Some(job)
}

pub(super) fn read_set(r: &mut Reader) -> Option<BTreeSet<String>> {
    Some(r.strs()?.into_iter().collect())
}

pub(super) fn set(w: &mut Writer, s: &BTreeSet<String>) {
    w.u64(s.len() as u64);
    for p in s {
        w.str(p);
    }
}
