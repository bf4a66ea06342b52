//! Copying: every new or changed file goes to its temporary name beside its place in DEST
//! (a new search file named by its content straight to its place, see `Write::direct`), read
//! once from the site for the copy and its hash.
//!
//! Finished copies are recorded in the manifest (`staged`) every so many bytes or seconds, so a
//! run interrupted while copying leaves copies that the next run uses instead of sending again.

use std::fs::File;
use std::io::Write as _;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::apply::Run;
use super::content::{self, Hash};
use super::error::{IoContext, PublishError};
use super::manifest::{Entry, Manifest};
use super::plan::Write;
use super::scan;

/// Files copied in parallel between two looks at the clock.
const WINDOW: usize = 256;
/// The finished copies are recorded once this many bytes were sent, or this much time passed.
const RECORD_BYTES: u64 = 256 << 20;
const RECORD_EVERY: Duration = Duration::from_secs(10);

/// What copying one file found out.
#[derive(Debug)]
pub(crate) struct Staged {
    pub hash: Hash,
    pub size: u64,
    /// The time stamp an earlier run recorded for the copy, if any: none is taken while
    /// copying (a share sets it when the copy is closed, or renamed).
    pub mtime: Option<i64>,
    /// Bytes written to DEST (none when an earlier copy was used).
    pub sent: u64,
}

/// Copy every write to its temporary name, in parallel, recording them as they finish (the
/// last record is left for the caller's next save of the manifest).
pub(crate) fn stage_all(
    run: &Run,
    writes: &[Write],
    manifest: &mut Manifest,
    bar: &ProgressBar,
) -> Result<Vec<Staged>, PublishError> {
    let mut all: Vec<Staged> = Vec::with_capacity(writes.len());
    let (mut recorded, mut last_record, mut unrecorded_bytes) = (0, Instant::now(), 0);
    for window in writes.chunks(WINDOW) {
        let staged: Vec<Staged> = window
            .par_iter()
            .map(|w| stage(run, w, bar))
            .collect::<Result<_, _>>()?;
        unrecorded_bytes += staged.iter().map(|s| s.sent).sum::<u64>();
        all.extend(staged);
        if !bar.is_hidden() {
            let sent: u64 = all.iter().map(|s| s.sent).sum();
            bar.set_message(sent_message(sent));
        }
        let due = unrecorded_bytes >= RECORD_BYTES || last_record.elapsed() >= RECORD_EVERY;
        let done = all.len() == writes.len();
        if due || done {
            for (w, s) in writes[recorded..all.len()].iter().zip(&all[recorded..]) {
                if s.sent > 0 && !w.direct {
                    let hash = content::hex(s.hash);
                    manifest.set_staged(
                        &w.rel,
                        Entry {
                            size: s.size,
                            mtime: s.mtime,
                            hash,
                            kind: Some(w.kind),
                        },
                    );
                }
            }
            (recorded, last_record, unrecorded_bytes) = (all.len(), Instant::now(), 0);
        }
        if due && !done {
            run.step()?;
            manifest.save(run.dest)?;
        }
    }
    Ok(all)
}

/// Copy one site file to its temporary name, unless an earlier run left the same bytes there.
fn stage(run: &Run, w: &Write, bar: &ProgressBar) -> Result<Staged, PublishError> {
    let (src, tmp) = (run.site.join(&w.rel), run.dest.join(&w.tmp));
    if let Some(earlier) = &w.staged {
        let (hash, size) = content::hash_file(&src)?;
        if content::hex(hash) == earlier.hash {
            bar.inc(1);
            return Ok(Staged {
                hash,
                size,
                mtime: earlier.mtime,
                sent: 0,
            });
        }
    }
    run.step()?;
    if w.direct {
        return write_in_place(run, w, bar);
    }
    let (hash, size) = copy_hashing(&src, &tmp)?;
    // No time stamp is taken: a share sets it when the copy is closed (or renamed), so the
    // switch asks for it once the file is in place, and a copy's record goes by its size.
    bar.inc(1);
    Ok(Staged {
        hash,
        size,
        mtime: None,
        sent: size,
    })
}
/// Write a file straight to its place (see `Write::direct`), then ask its time of the share:
/// it is set when the file is closed, and the file stays as it is.
fn write_in_place(run: &Run, w: &Write, bar: &ProgressBar) -> Result<Staged, PublishError> {
    let (hash, size) = copy_hashing(&run.site.join(&w.rel), &run.dest.join(&w.rel))?;
    let mtime = scan::stat(run.dest, &w.rel)?.and_then(|st| st.mtime);
    bar.inc(1);
    Ok(Staged {
        hash,
        size,
        mtime,
        sent: size,
    })
}

/// Copies `src` to a new file `to`, closed on return; the hash and size of what was copied.
fn copy_hashing(src: &std::path::Path, to: &std::path::Path) -> Result<(Hash, u64), PublishError> {
    let mut out = File::create(to).ctx("write", to)?;
    let mut from = File::open(src).ctx("read", src)?;
    content::read_hashing(&mut from, src, |piece| {
        out.write_all(piece).ctx("write", to)
    })
}

/// The progress bar's note: sizes read as in the summary at the end.
fn sent_message(sent: u64) -> String {
    format!("({} sent)", crate::human::byte_size(sent))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_counts_bytes_as_the_summary_does() {
        // 1.5 million bytes: the summary says 1.4 MB, and so must the bar.
        assert_eq!(super::sent_message(1_500_000), "(1.4 MB sent)");
    }
}
