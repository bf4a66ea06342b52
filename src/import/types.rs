//! The public types of `dangan import`: options in, summary out.

use std::path::PathBuf;

/// What `dangan import` was asked to do (the core fills it from the command line).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Files and folders to import; folders are walked recursively.
    pub inputs: Vec<PathBuf>,
    /// `--unit`: wins over the inferred unit.
    pub unit: Option<String>,
    /// `--type`: wins over the inferred type.
    pub kind: Option<String>,
    /// `--date` (`YYYY-MM-DD` or `YYYY-MM`): wins over the inferred date.
    pub date: Option<String>,
    /// `--into`: folder the reports are written to.
    pub into: PathBuf,
    /// `--dry-run`: write nothing, show what would be written.
    pub dry_run: bool,
    /// `--force`: overwrite existing files.
    pub force: bool,
}

/// Everything an import did or would do.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub reports: Vec<ImportedReport>,
    /// Inputs not imported (unreadable, binary, empty …), with the reason.
    pub skipped: Vec<SkippedInput>,
}

/// One report made from an input (a compilation gives several).
#[derive(Debug, Clone, Default)]
pub struct ImportedReport {
    pub source: PathBuf,
    pub target: PathBuf,
    pub title: String,
    /// False in a dry run or when refused.
    pub written: bool,
    /// Lines (or parts of lines) of the source left out, with the rule that removed them.
    pub removed_lines: Vec<RemovedLine>,
    /// Front matter values found in the text, and where.
    pub inferred: Vec<Inference>,
    /// Required fields still missing, with the flag to pass, e.g. "date: pass --date YYYY-MM-DD (or YYYY-MM)".
    /// A report with missing fields is written as a draft (`draft: true`), which
    /// builds but is not published until the fields are filled in.
    pub missing: Vec<String>,
    /// Why the report was not written, e.g. "target exists; pass --force to overwrite".
    pub refused: Option<String>,
    /// Anything else the user should know, e.g. why the file name is not the title's.
    pub notes: Vec<String>,
    /// The complete Markdown file (front matter and body) that is or would be written.
    pub markdown: String,
}

/// A source line (or the part of a line) left out of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedLine {
    /// 1-based line number in the source (paragraph number for DOCX).
    pub line: usize,
    /// The removed text; a part of the line when the rule removed only that part.
    pub text: String,
    /// The rule that removed it, in words.
    pub rule: String,
}

/// A front matter value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub field: String,
    pub value: String,
    pub from: String,
}

/// An input that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedInput {
    pub path: PathBuf,
    pub reason: String,
}
