//! `dangan new`: writes a new report with its front matter filled in.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{EXIT_ENV, EXIT_OK};
use crate::load::CONTENT_DIR;
use crate::load::front_matter::quote;
use crate::model::ReportDate;
use crate::paths::safe_component;

pub fn run(
    root: &Path,
    title: &str,
    unit: &str,
    kind: &str,
    date: Option<&str>,
    quiet: bool,
) -> Result<i32> {
    let title = title.trim();
    let (unit, kind) = (unit.trim(), kind.trim());
    if title.is_empty() || unit.is_empty() || kind.is_empty() {
        eprintln!(
            "error: the title, --unit and --type must not be empty\n  = help: dangan new \"关于某事的调研报告\" --unit 市委办公室 --type 调研报告"
        );
        return Ok(EXIT_ENV);
    }
    let date = match date {
        Some(d) => match ReportDate::parse_flag("--date", d) {
            Ok(d) => d,
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(EXIT_ENV);
            }
        },
        None => {
            let today = jiff::Zoned::now().date();
            ReportDate {
                year: today.year() as i32,
                month: today.month() as u8,
                day: Some(today.day() as u8),
            }
        }
    };
    let dir = root.join(CONTENT_DIR).join(date.year.to_string());
    let path = dir.join(format!("{}.md", safe_component(title)));
    if path.exists() {
        eprintln!(
            "error: {} exists already; dangan new never overwrites a report.\n  = help: choose another title, or edit the existing file",
            path.display()
        );
        return Ok(EXIT_ENV);
    }
    let text = format!(
        "---\ntitle: {}\nunit: {}\ndate: {date}\ntype: {}\ntags: []\n---\n\n## 一、\n\n",
        quote(title),
        quote(unit),
        quote(kind)
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    if quiet {
        println!("{}", path.display());
    } else {
        eprintln!("wrote {}", path.display());
    }
    Ok(EXIT_OK)
}
