//! `dangan import`: existing reports (text, DOCX) into Markdown reports.

use super::Failure;
use crate::import::{ImportOptions, format_summary, import};

pub fn run(opts: ImportOptions) -> Result<(), Failure> {
    let summary = import(&opts)?;
    eprintln!("{}", format_summary(&summary));
    let refused = summary.reports.iter().any(|r| !r.written && !opts.dry_run);
    if refused {
        return Err(Failure::content());
    }
    Ok(())
}
