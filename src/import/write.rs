//! File names and writing: names derived from titles, safe on Windows shares
//! (no <>:"/\|?* or control characters, no trailing dot or space, no reserved
//! device names, not over-long), unique within an import; existing files are
//! never overwritten without --force.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Longest file stem, in characters (CJK takes 3 bytes in UTF-8, so this stays far below 255 bytes).
const MAX_STEM: usize = 60;

/// A file stem for `title` that every file system and share accepts.
pub(crate) fn file_stem(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        let mapped = match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '#' | '%' => '_',
            c if c.is_whitespace() || c == '\u{3000}' => '-',
            c if c.is_control() || crate::paths::is_invisible(c) => continue,
            c => c,
        };
        let repeat = matches!(mapped, '_' | '-') && s.ends_with(['_', '-']);
        if !repeat {
            s.push(mapped);
        }
    }
    // A leading `~$` would make `build` take the report for an Office lock file.
    let trim = |s: &str| {
        s.trim_matches(|c: char| matches!(c, '.' | ' ' | '_' | '-'))
            .trim_start_matches(['~', '$', '.'])
            .to_string()
    };
    let mut s = trim(&s);
    if s.chars().count() > MAX_STEM {
        s = trim(&s.chars().take(MAX_STEM).collect::<String>());
    }
    if s.is_empty() {
        s = "report".into();
    }
    if reserved(&s) {
        s.push('_');
    }
    s
}

/// Windows device names, with or without an extension.
fn reserved(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or(stem)
        .trim_end()
        .to_ascii_uppercase();
    if matches!(
        base.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let cut = base.char_indices().nth(3).map_or(base.len(), |(i, _)| i);
    let (head, tail) = base.split_at(cut);
    (head == "COM" || head == "LPT")
        && tail.chars().count() == 1
        && tail
            .chars()
            .all(|c| c.is_ascii_digit() || "¹²³".contains(c))
}

/// Hands out target paths, unique (ignoring case) within one import.
#[derive(Debug, Default)]
pub(crate) struct Names {
    used: HashSet<String>,
}

impl Names {
    /// The first of `T.md`, `T-2.md`, `T-3.md` … not handed out yet in this
    /// import that `take` accepts.
    pub(crate) fn target(
        &mut self,
        into: &Path,
        title: &str,
        mut take: impl FnMut(&Path) -> bool,
    ) -> PathBuf {
        let stem = file_stem(title);
        for n in 1.. {
            let name = if n == 1 {
                format!("{stem}.md")
            } else {
                format!("{stem}-{n}.md")
            };
            let path = into.join(&name);
            if !self.used.contains(&name.to_lowercase()) && take(&path) {
                self.used.insert(name.to_lowercase());
                return path;
            }
        }
        unreachable!("some name is always free")
    }
}

/// The line `dangan import` writes first in a report's front matter: it
/// records the input, so that `--force` replaces only what the same input wrote.
pub(crate) fn source_line(record: &str) -> String {
    format!("# imported from {record} by dangan import")
}

/// Who wrote an existing report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `dangan import`, from the same input.
    Same,
    /// `dangan import`, from another input (its record).
    Other(String),
    /// Someone else: no record of an import (or the file cannot be read).
    ByHand,
}

/// Reads the import record of the report at `path` and compares it with `record`.
pub(crate) fn origin(path: &Path, record: &str) -> Origin {
    use std::io::{BufRead, BufReader};
    let Ok(f) = std::fs::File::open(path) else {
        return Origin::ByHand;
    };
    // The record is the first front matter line; look a little further in
    // case someone moved it, never past the front matter.
    let lines = BufReader::new(f.take(64 * 1024))
        .lines()
        .map_while(Result::ok);
    for (i, line) in lines.enumerate().take(40) {
        if i > 0 && line.trim_end() == "---" {
            break;
        }
        let Some(found) = line
            .strip_prefix("# imported from ")
            .and_then(|l| l.trim_end().strip_suffix(" by dangan import"))
        else {
            continue;
        };
        // Reports imported before paths were recorded name only the file.
        let legacy = !found.contains(['/', '\\'])
            && Path::new(record.split(" (part ").next().unwrap_or(record))
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == found);
        return if found == record || legacy {
            Origin::Same
        } else {
            Origin::Other(found.to_string())
        };
    }
    Origin::ByHand
}

/// Writes `content` to `path`: a new file, or with `force` a replacement
/// (written beside it first, then renamed over it).
/// Its errors name the file (fs-err).
pub(crate) fn write_file(path: &Path, content: &str, force: bool) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir)?;
    }
    if !force {
        let mut f = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        return f.write_all(content.as_bytes());
    }
    let tmp = path.with_extension("md.dangan-tmp");
    // A new file, never through a link standing at the temporary name.
    match fs_err::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?
        .write_all(content.as_bytes())?;
    fs_err::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe() {
        assert_eq!(
            file_stem("****镇社会组织党建工作调研报告"),
            "镇社会组织党建工作调研报告"
        );
        assert_eq!(file_stem("XX镇:调研<报告>?"), "XX镇_调研_报告");
        assert_eq!(file_stem("x 镇党建工作调研报告"), "x-镇党建工作调研报告");
        assert_eq!(file_stem("报告. "), "报告");
        assert_eq!(file_stem("CON"), "CON_");
        assert_eq!(file_stem("com1"), "com1_");
        assert_eq!(file_stem("lpt9.txt"), "lpt9.txt_");
        assert_eq!(file_stem("\u{1}\u{2}"), "report");
        assert_eq!(
            file_stem("报告\u{202e}fdp.exe\u{200b}\u{feff}"),
            "报告fdp.exe"
        );
        assert_eq!(file_stem(&"长".repeat(200)).chars().count(), MAX_STEM);
        assert_eq!(file_stem("COMMITTEE"), "COMMITTEE");
        assert_eq!(file_stem("~$临时报告"), "临时报告");
        assert_eq!(file_stem(".NET平台建设调研报告"), "NET平台建设调研报告");
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let mut n = Names::default();
        let into = Path::new("out");
        let any = |_: &Path| true;
        assert_eq!(
            n.target(into, "党建工作调研报告", any),
            into.join("党建工作调研报告.md")
        );
        assert_eq!(
            n.target(into, "党建工作调研报告", any),
            into.join("党建工作调研报告-2.md")
        );
        assert_eq!(n.target(into, "Report", any), into.join("Report.md"));
        assert_eq!(n.target(into, "report", any), into.join("report-2.md"));
        let not_first = |p: &Path| !p.ends_with("总结.md");
        assert_eq!(n.target(into, "总结", not_first), into.join("总结-2.md"));
    }

    #[test]
    fn the_record_names_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.md");
        let write = |first: &str| {
            std::fs::write(
                &p,
                format!("---\n{first}\ntitle: \"t\"\n---\n\n# imported from /z by dangan import\n"),
            )
            .unwrap()
        };
        write(&source_line("/in/a.txt"));
        assert_eq!(origin(&p, "/in/a.txt"), Origin::Same);
        assert_eq!(origin(&p, "/in/b.txt"), Origin::Other("/in/a.txt".into()));
        write(&source_line("a.txt"));
        assert_eq!(origin(&p, "/in/a.txt"), Origin::Same, "legacy record");
        assert_eq!(
            origin(&p, "/in/a.txt (part 2)"),
            Origin::Same,
            "legacy record"
        );
        write("unit: 甲");
        assert_eq!(
            origin(&p, "/z"),
            Origin::ByHand,
            "a line in the body is no record"
        );
        assert_eq!(origin(&dir.path().join("none.md"), "/z"), Origin::ByHand);
    }

    #[test]
    fn never_overwrites_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a").join("r.md");
        write_file(&p, "one", false).unwrap();
        assert!(write_file(&p, "two", false).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "one");
        write_file(&p, "three", true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "three");
    }

    /// A link at the temporary name of `--force` is not written through.
    #[cfg(unix)]
    #[test]
    fn force_never_writes_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.md");
        std::fs::write(&outside, "kept").unwrap();
        let p = dir.path().join("r.md");
        write_file(&p, "one", false).unwrap();
        std::os::unix::fs::symlink(&outside, p.with_extension("md.dangan-tmp")).unwrap();
        write_file(&p, "two", true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "kept");
    }
}
