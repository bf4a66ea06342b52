//! Old links keep working: the record of every address a report was
//! published at (`dangan-addresses.txt` at the archive root, kept with the
//! reports), and the redirect pages it gives when reports move.
//!
//! The record is the one file dangan writes outside the output folder: the
//! output folder may be deleted, the addresses it once had must not be
//! forgotten with it. Each line holds an address, the report file it shows or
//! leads to, and the report's *key*: a hash of its title, unit, date and type.
//! A report moved to another folder, renamed or given another slug keeps its
//! key, which is how a later build knows it for the same report; `aliases:`
//! in the front matter covers the rest (a report both moved and retitled,
//! merged reports, an address kept by hand). The key leaves out the body on
//! purpose: the record then changes only when reports come, go, move or are
//! retitled, not at every edit, so that two offices editing different
//! reports of one archive do not both change it.

mod record;
mod resolve;

pub(crate) use record::{Record, StagedRecord};
pub(crate) use resolve::{Resolution, rekeyed, resolve};

use crate::model::{AliasTarget, RESERVED_TOP};
use crate::paths;

/// The record's file name, at the archive root beside dangan.toml.
pub const RECORD_FILE: &str = "dangan-addresses.txt";

/// The key of a report: its title (when the front matter or a heading gives
/// one, not the file name), unit, date and type.
pub(crate) fn report_key(title: Option<&str>, unit: &str, date: &str, kind: &str) -> u64 {
    // xxh3 is fixed by its specification: the same key on every machine and
    // in every version, as a file kept in version control needs.
    let mut bytes = Vec::with_capacity(128);
    for part in [title.unwrap_or(""), unit, date, kind] {
        bytes.extend_from_slice(part.trim().as_bytes());
        bytes.push(0);
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Why an address or alias cannot be used, in words for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub message: String,
    pub hint: &'static str,
}

const PAGE_HINT: &str = "write the old report file under content/ (`2019/旧报告.md`) or the old page's place in the site (`2019/旧报告.html`), with `/` between folders";

fn problem(message: impl Into<String>, hint: &'static str) -> Problem {
    Problem {
        message: message.into(),
        hint,
    }
}

/// Checks that `address` can be a page of the site: relative, inside it, a
/// name a Windows share holds, ending in `.html`, and not one of dangan's own.
pub(crate) fn check_address(address: &str) -> Result<(), Problem> {
    let lower = address.to_ascii_lowercase();
    if !(lower.ends_with(".html") || lower.ends_with(".htm")) {
        return Err(problem(
            "is not a page: an old address ends in .html",
            PAGE_HINT,
        ));
    }
    let parts: Vec<&str> = address.split('/').collect();
    for part in &parts {
        if part.is_empty() || *part == "." || *part == ".." {
            return Err(problem(
                "is not a path inside the site",
                "write the path from the top of the site, without `..`, `./` or a leading `/`",
            ));
        }
        if part.starts_with('.') {
            return Err(problem(
                "starts a name with a dot, as hidden files do",
                "dangan never publishes a hidden file; name the page without the leading dot",
            ));
        }
    }
    // The one rule of names the build writes and publish accepts.
    if let Some((name, why)) = paths::path_problem(address) {
        let what = match name {
            Some(name) => format!("\"{name}\" {why}"),
            None => why.to_string(),
        };
        return Err(problem(
            format!("cannot be a file name on a Windows share: {what}"),
            "write the address as the site has it: dangan never publishes such a name",
        ));
    }
    if RESERVED_TOP
        .iter()
        .any(|r| r.eq_ignore_ascii_case(parts[0]))
    {
        return Err(problem(
            format!("is in {}, where dangan writes its own pages", parts[0]),
            "an alias names an old address of a report; dangan's index pages keep their addresses",
        ));
    }
    Ok(())
}

/// Reads one alias as written in the front matter. `base_url` (of
/// dangan.toml) may be written in front of a site address.
pub(crate) fn parse_alias(text: &str, base_url: Option<&str>) -> Result<AliasTarget, Problem> {
    let mut t = text.trim();
    if let Some(base) = base_url.map(|b| b.trim_end_matches('/'))
        && let Some(rest) = t.strip_prefix(base)
        && rest.starts_with('/')
    {
        t = rest;
    }
    let scheme = t.find(':').is_some_and(|i| {
        i > 1
            && t[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if scheme || t.starts_with("//") {
        return Err(problem(
            "is a web address; an alias is a place inside this site",
            PAGE_HINT,
        ));
    }
    let decoded = match percent_encoding::percent_decode_str(t).decode_utf8() {
        Ok(d) if t.contains('%') => d.into_owned(),
        _ => t.to_string(),
    };
    // Written on Windows (`2019\旧报告.md`) or from the top of the site (`/2019/…`).
    let slashed = decoded.replace('\\', "/");
    let mut parts = Vec::new();
    for part in slashed.trim_start_matches('/').split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(problem(
                    "leaves the site with `..`",
                    "write the path from the top of the site (or of content/ for a .md file), without `..`",
                ));
            }
            p => parts.push(p),
        }
    }
    let path = parts.join("/");
    if path.to_ascii_lowercase().ends_with(".md") {
        return Ok(AliasTarget::Report(path));
    }
    check_address(&path)?;
    Ok(AliasTarget::Page(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_surrounding_space_but_not_the_fields() {
        let k = report_key(Some("报告"), "市委", "2020-01-01", "总结");
        assert_eq!(k, report_key(Some(" 报告 "), "市委", "2020-01-01", "总结"));
        assert_ne!(k, report_key(Some("报告"), "市委", "2020-01-02", "总结"));
        assert_ne!(k, report_key(None, "报告市委", "2020-01-01", "总结"));
        // Fixed by xxh3's specification: records written by older builds stay valid.
        assert_eq!(
            format!(
                "{:016x}",
                report_key(
                    Some("关于基层党建工作的调研报告"),
                    "市委组织部",
                    "2024-03-15",
                    "调研报告"
                )
            ),
            "af443fe93e8d410c"
        );
    }

    #[test]
    fn aliases_name_report_files_or_pages() {
        let page = |s: &str| parse_alias(s, Some("http://intranet/档案/"));
        assert_eq!(
            page("2019/旧.md"),
            Ok(AliasTarget::Report("2019/旧.md".into()))
        );
        assert_eq!(
            page("/2019/./旧.html"),
            Ok(AliasTarget::Page("2019/旧.html".into()))
        );
        assert_eq!(
            page("2019\\旧.MD"),
            Ok(AliasTarget::Report("2019/旧.MD".into()))
        );
        assert_eq!(
            page("2019/%E6%97%A7.html"),
            Ok(AliasTarget::Page("2019/旧.html".into()))
        );
        assert_eq!(
            page("http://intranet/档案/2019/旧.html"),
            Ok(AliasTarget::Page("2019/旧.html".into()))
        );
        for (bad, why) in [
            ("https://example.cn/x.html", "web address"),
            ("../x.html", "leaves the site"),
            ("2019/旧", "not a page"),
            ("2019/a:b.html", "Windows"),
            ("unit/x.html", "dangan writes its own pages"),
            ("index.html", "dangan writes its own pages"),
            ("2019/.x.html", "dot"),
            ("a.html#top", "not a page"),
        ] {
            let e = page(bad).unwrap_err();
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }
}
