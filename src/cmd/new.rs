//! `dangan new`: writes a new report with its front matter filled in.

use std::io::Write as _;
use std::path::Path;

use super::Failure;
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
) -> Result<(), Failure> {
    let (title, unit, kind) = (
        crate::text::clean_line(title),
        crate::text::clean_line(unit),
        crate::text::clean_line(kind),
    );
    let (title, unit, kind) = (title.trim(), unit.trim(), kind.trim());
    if title.is_empty() || unit.is_empty() || kind.is_empty() {
        return Err(Failure::usage(
            "the title, --unit and --type must not be empty",
            "dangan new \"关于某事的调研报告\" --unit 市委办公室 --type 调研报告",
        ));
    }
    let date = match date {
        Some(d) => ReportDate::parse_flag("--date", d).map_err(anyhow::Error::msg)?,
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
    let path = dir.join(format!("{}.md", file_stem(title)));
    // Anything by the name counts, a link too (even one to nothing: writing
    // through it would make a file outside the archive).
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Failure::usage(
            format_args!(
                "{} exists already; dangan new never overwrites a report.",
                path.display()
            ),
            "choose another title, or edit the existing file",
        ));
    }
    let text = format!(
        "---\ntitle: {}\nunit: {}\ndate: {date}\ntype: {}\ntags: []\n---\n\n## 一、\n\n",
        quote(title),
        quote(unit),
        quote(kind)
    );
    fs_err::create_dir_all(&dir)?;
    // A new file only, never through a link made since the check above.
    fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?
        .write_all(text.as_bytes())?;
    if quiet {
        println!("{}", path.display());
    } else {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The file name for a title: safe on a Windows share, and never one that
/// `build` passes over as a tool's leftover (`.NET平台…` would be hidden,
/// `~$…` an Office lock file).
fn file_stem(title: &str) -> String {
    let stem = safe_component(title);
    let kept = stem.trim_start_matches(['.', '~', '$', ' ']);
    let kept = if kept.is_empty() { "report" } else { kept };
    // The safe name of what is left (it may be a device name now).
    safe_component(kept)
}
