//! Copying: every new or changed file goes to its temporary name beside its place in DEST,
//! read once from the site for the copy, its hash and (for pages) its links.
//!
//! Finished copies are recorded in the manifest (`staged`) every so many bytes or seconds, so a
//! run interrupted while copying leaves copies that the next run uses instead of sending again.

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::apply::Run;
use super::content::{self, Hash};
use super::error::{IoContext, PublishError};
use super::manifest::{Entry, Manifest};
use super::plan::Write;
use super::scan::mtime_ns;

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
    /// Site paths the page links to (empty for other files).
    pub links: Vec<String>,
    /// The copy's time stamp, which the rename keeps: what the manifest will vouch for.
    pub mtime: Option<i64>,
    /// Bytes written to DEST (none when an earlier copy was used).
    pub sent: u64,
}

thread_local! {
    /// The page being copied, whole, to find its links; reused from file to file.
    static PAGE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Copy every write to its temporary name, in parallel, recording them as they finish (the
/// last record is left for the caller's next save of the manifest).
/// With `want_links`, pages are searched for their links (to order the switch).
pub(crate) fn stage_all(
    run: &Run,
    writes: &[Write],
    want_links: bool,
    manifest: &mut Manifest,
    bar: &ProgressBar,
) -> Result<Vec<Staged>, PublishError> {
    let mut all: Vec<Staged> = Vec::with_capacity(writes.len());
    let (mut recorded, mut last_record, mut unrecorded_bytes) = (0, Instant::now(), 0);
    for window in writes.chunks(WINDOW) {
        let staged: Vec<Staged> = window
            .par_iter()
            .map(|w| stage(run, w, want_links, bar))
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
                if s.sent > 0 {
                    let hash = content::hex(s.hash);
                    manifest.set_staged(
                        &w.rel,
                        Entry {
                            size: s.size,
                            mtime: s.mtime,
                            hash,
                        },
                    );
                }
            }
            (recorded, last_record, unrecorded_bytes) = (all.len(), Instant::now(), 0);
        }
        if due && !done {
            run.hook.step()?;
            manifest.save(run.dest)?;
        }
    }
    Ok(all)
}

/// Copy one site file to its temporary name, unless an earlier run left the same bytes there.
fn stage(
    run: &Run,
    w: &Write,
    want_links: bool,
    bar: &ProgressBar,
) -> Result<Staged, PublishError> {
    let (src, tmp) = (run.site.join(&w.rel), run.dest.join(&w.tmp));
    let is_page = content::is_html(&w.rel);
    let links = |is_page: bool| match is_page && want_links {
        true => PAGE.with_borrow(|p| content::links(&w.rel, p)),
        false => Vec::new(),
    };
    if let Some(earlier) = &w.staged {
        let (hash, size) = read_site(&src, is_page, |_| Ok(()))?;
        if content::hex(hash) == earlier.hash {
            bar.inc(1);
            let (links, mtime) = (links(is_page), earlier.mtime);
            return Ok(Staged {
                hash,
                size,
                links,
                mtime,
                sent: 0,
            });
        }
    }
    run.hook.step()?;
    let mut to = File::create(&tmp).ctx("write", &tmp)?;
    let (hash, size) = read_site(&src, is_page, |piece| {
        to.write_all(piece).ctx("write", &tmp)
    })?;
    // Taken before closing: on shares that touch the time at close, the next run merely
    // re-reads the file once and notes the time it then has.
    let mtime = mtime_ns(&to.metadata().ctx("check", &tmp)?);
    drop(to);
    bar.inc(1);
    let links = links(is_page);
    Ok(Staged {
        hash,
        size,
        links,
        mtime,
        sent: size,
    })
}

/// Read a site file once, hash it and hand it to `sink`. A page is read whole into `PAGE` (its
/// links are wanted next); anything else goes through in pieces, however large it is.
fn read_site(
    src: &Path,
    is_page: bool,
    mut sink: impl FnMut(&[u8]) -> Result<(), PublishError>,
) -> Result<(Hash, u64), PublishError> {
    let mut from = File::open(src).ctx("read", src)?;
    if !is_page {
        return content::read_hashing(&mut from, src, sink);
    }
    PAGE.with_borrow_mut(|page| {
        page.clear();
        if page.capacity() > 16 << 20 {
            page.shrink_to(1 << 20); // one huge page should not pin its memory for the run
        }
        from.read_to_end(page).ctx("read", src)?;
        sink(page)?;
        Ok((content::hash_bytes(page), page.len() as u64))
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
