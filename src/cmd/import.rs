//! `dangan import`: existing reports (text, DOCX) into Markdown reports.

use std::path::Path;

use anyhow::Result;

use crate::cli::{EXIT_CONTENT, EXIT_ENV, EXIT_OK};
use crate::import::{ImportOptions, format_summary, import};

pub fn run(_root: &Path, opts: ImportOptions) -> Result<i32> {
    let summary = match import(&opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EXIT_ENV);
        }
    };
    eprintln!("{}", format_summary(&summary));
    let refused = summary.reports.iter().any(|r| !r.written && !opts.dry_run);
    Ok(if refused { EXIT_CONTENT } else { EXIT_OK })
}
