//! `dangan build` and `dangan check`.

use std::path::{Path, PathBuf};

use super::Failure;
use crate::build::{BuildOptions, Outcome, build};

/// How problems are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// Builds (or with `write` false, checks) and reports; the outcome of a build
/// without errors. `cache`: with the build cache.
pub fn run(
    root: &Path,
    out: Option<PathBuf>,
    format: Format,
    quiet: bool,
    (write, cache): (bool, bool),
) -> Result<Outcome, Failure> {
    let outcome = build(&BuildOptions {
        root: root.to_path_buf(),
        out,
        write,
        cache,
    })
    .map_err(anyhow::Error::new)?;
    // Lines about the build cache are news, not problems: --quiet leaves them out.
    if !quiet {
        for note in &outcome.notes {
            eprintln!("{note}");
        }
    }
    match format {
        Format::Json => println!("{}", json(&outcome)),
        Format::Human => print_human(&outcome, quiet, write),
    }
    if outcome.has_errors() {
        return Err(Failure::content());
    }
    Ok(outcome)
}

fn json(o: &Outcome) -> String {
    let errors = o.diagnostics.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "ok": !o.has_errors(),
        "errors": errors,
        "warnings": o.diagnostics.len() - errors,
        "reports": o.reports,
        "diagnostics": o.diagnostics,
    })
    .to_string()
}

fn print_human(o: &Outcome, quiet: bool, write: bool) {
    for d in &o.diagnostics {
        eprintln!("{}\n", d.render());
    }
    let errors = o.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = o.diagnostics.len() - errors;
    if o.has_errors() {
        let kept = if write {
            "; nothing was written, the output folder is as it was"
        } else {
            ""
        };
        eprintln!("{errors} error(s), {warnings} warning(s){kept}");
        return;
    }
    if quiet {
        return;
    }
    let drafts = drafts_left_out(&o.drafts, o.draft_files);
    let secs = o.elapsed.as_secs_f64();
    match &o.written {
        Some(w) => eprintln!(
            "built {} report(s){drafts} into {}: {} file(s) written, {} unchanged, {} removed, in {secs:.2} s{}",
            o.reports,
            o.out.display(),
            w.written,
            w.unchanged,
            w.removed,
            if warnings > 0 {
                format!(" ({warnings} warning(s))")
            } else {
                String::new()
            },
        ),
        None => eprintln!(
            "checked {} report(s){drafts}: no errors{}, in {secs:.2} s",
            o.reports,
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            },
        ),
    }
}

/// ", 2 draft(s) left out (content/a.md, content/b.md) with 1 file only
/// they use": a draft is never published, so the user is told which ones
/// are waiting, and that files wait with them.
fn drafts_left_out(drafts: &[String], files: usize) -> String {
    const SHOWN: usize = 5;
    let with_files = match files {
        0 => String::new(),
        1 => " with 1 file only they use".to_string(),
        n => format!(" with {n} files only they use"),
    };
    match drafts.len() {
        0 => String::new(),
        n if n <= SHOWN => format!(
            ", {n} draft(s) left out ({}){with_files}",
            drafts.join(", ")
        ),
        n => format!(
            ", {n} draft(s) left out ({} and {} more){with_files}",
            drafts[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}
