//! One report as the site sees it: validated front matter plus its Markdown body.

use std::path::PathBuf;

use super::ReportDate;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Path of the `.md` file under `content/`, with `/` separators; the stable id.
    pub id: String,
    /// The file on disk.
    pub source: PathBuf,
    pub title: String,
    pub unit: String,
    pub date: ReportDate,
    pub kind: String,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub draft: bool,
    /// Site path of the report's page (`2020/报告.html`).
    pub page: String,
    /// The Markdown body, without front matter (and without the `#` title line
    /// when that line gave the title).
    pub body: String,
    /// Line of the source file where `body` starts.
    pub body_line: usize,
    /// What tells this report apart when it moves: a hash of its title, unit,
    /// date and type (see `addresses::report_key`).
    pub key: u64,
    /// Old addresses that lead to this report (`aliases:`).
    pub aliases: Vec<Alias>,
}

/// One entry of a report's `aliases:`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub target: AliasTarget,
    /// As written, for messages.
    pub text: String,
    /// Line of the report file it is written on.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasTarget {
    /// An old report file under `content/` (`2019/旧报告.md`): the addresses it had.
    Report(String),
    /// An old address of the site (`2019/旧报告.html`).
    Page(String),
}

impl Report {
    /// The folder of the report under `content/` (`""` at the top).
    pub fn dir(&self) -> &str {
        self.id.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// Sort key for lists: newest first, then by title and id for stability.
    pub fn newest_first_key(&self) -> (std::cmp::Reverse<ReportDate>, &str, &str) {
        (std::cmp::Reverse(self.date), &self.title, &self.id)
    }
}

/// A file under `content/` that is not a report (an attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    /// Path under `content/`, `/`-separated.
    pub rel: String,
    pub source: PathBuf,
    pub size: u64,
    /// When the file last changed, as far as the file system says.
    pub modified: Option<std::time::SystemTime>,
    /// Site path it is copied to.
    pub site_path: String,
}

impl ContentFile {
    pub fn dir(&self) -> &str {
        self.rel.rsplit_once('/').map_or("", |(d, _)| d)
    }

    pub fn name(&self) -> &str {
        self.rel
            .rsplit_once('/')
            .map_or(self.rel.as_str(), |(_, n)| n)
    }
}
