//! `dangan watch` and `dangan serve`: build, then rebuild what changed.

use std::path::PathBuf;
use std::time::Duration;

use super::Failure;
use crate::build::{BuildOptions, Outcome, Session};
use crate::serve::{self, ServeOptions};
use crate::watch::{self, ArchiveWatcher, WatchOptions};

pub struct Options {
    pub root: PathBuf,
    pub out: Option<PathBuf>,
    pub quiet: bool,
    /// With the build cache.
    pub cache: bool,
    pub poll: bool,
    /// `Some` for `serve`.
    pub serve: Option<(std::net::IpAddr, u16)>,
}

/// Runs until stopped (Ctrl-C); returns only when watching or serving cannot go on.
pub fn run(opts: Options) -> Result<(), Failure> {
    let mut session = Session::open(BuildOptions {
        root: opts.root.clone(),
        out: opts.out.clone(),
        write: true,
        cache: opts.cache,
    })
    .map_err(anyhow::Error::new)?;
    let watch = WatchOptions {
        poll: opts.poll,
        poll_interval: Duration::from_millis(500),
    };
    let watcher = ArchiveWatcher::new(session.root(), session.out(), &watch)?;
    let quiet = opts.quiet;
    // `serve` with the last build in the output folder answers from it at
    // once, while the first run brings it up to date (as after any save,
    // open pages reload if that changes them): nobody waits for a build
    // of an archive that did not change.
    let last_build = session.out().join(crate::output::MANIFEST).is_file();
    let first = match (&opts.serve, last_build) {
        (Some(_), true) => None,
        _ => {
            let first = session.run().map_err(anyhow::Error::new)?;
            print_outcome(&first, quiet, true);
            Some(first)
        }
    };
    match opts.serve {
        Some((bind, port)) => serve::run(
            session,
            watcher,
            first.as_ref(),
            ServeOptions { bind, port },
            move |o, first| print_outcome(o, quiet, first),
        )?,
        None => {
            let how = if watcher.polling { " by polling" } else { "" };
            eprintln!(
                "watching {} for changes{how} (Ctrl-C stops)",
                session.root().display()
            );
            watch::run(session, watcher, |o| print_outcome(o, quiet, false))?
        }
    }
    Ok(())
}

fn print_outcome(o: &Outcome, quiet: bool, first: bool) {
    for note in &o.notes {
        eprintln!("{note}");
    }
    for d in &o.diagnostics {
        eprintln!("{}\n", d.render());
    }
    let errors = o.diagnostics.iter().filter(|d| d.is_error()).count();
    let ms = o.elapsed.as_secs_f64() * 1000.0;
    if errors > 0 {
        eprintln!(
            "{errors} error(s): the output keeps the last good build; fix the file and save again"
        );
    } else if !quiet {
        match &o.written {
            Some(w) if first => eprintln!(
                "built {} report(s) into {} in {ms:.0} ms",
                o.reports,
                o.out.display()
            ),
            Some(w) if o.pages_elapsed.is_none() => eprintln!(
                "search index updated in {ms:.0} ms: {} file(s) written, {} removed",
                w.written, w.removed
            ),
            Some(w) => eprintln!(
                "rebuilt pages in {ms:.0} ms: {} file(s) written, {} removed",
                w.written, w.removed
            ),
            None => {}
        }
    }
}
