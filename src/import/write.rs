//! File names and writing: names derived from titles, safe on Windows shares
//! (no <>:"/\|?* or control characters, no trailing dot or space, no reserved
//! device names, not over-long), unique within an import; existing files are
//! never overwritten without --force.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest file stem, in characters (CJK takes 3 bytes in UTF-8, so this stays far below 255 bytes).
const MAX_STEM: usize = 60;

/// A file stem for `title` that every file system and share accepts.
pub fn file_stem(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        let mapped = match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '#' | '%' => '_',
            c if c.is_whitespace() || c == '\u{3000}' => '-',
            c if c.is_control() => continue,
            c => c,
        };
        let repeat = matches!(mapped, '_' | '-') && s.ends_with(['_', '-']);
        if !repeat {
            s.push(mapped);
        }
    }
    let trim = |s: &str| {
        s.trim_matches(|c: char| matches!(c, '.' | ' ' | '_' | '-'))
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
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    pub fn target(&mut self, into: &Path, title: &str) -> PathBuf {
        let stem = file_stem(title);
        let mut name = format!("{stem}.md");
        let mut n = 2;
        while !self.used.insert(name.to_lowercase()) {
            name = format!("{stem}-{n}.md");
            n += 1;
        }
        into.join(name)
    }
}

/// Writes `content` to `path`: a new file, or with `force` a replacement
/// (written beside it first, then renamed over it).
pub fn write_file(path: &Path, content: &str, force: bool) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if !force {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        return f.write_all(content.as_bytes());
    }
    let tmp = path.with_extension("md.dangan-tmp");
    std::fs::write(&tmp, content)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
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
        assert_eq!(file_stem(&"长".repeat(200)).chars().count(), MAX_STEM);
        assert_eq!(file_stem("COMMITTEE"), "COMMITTEE");
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let mut n = Names::default();
        let into = Path::new("out");
        assert_eq!(
            n.target(into, "党建工作调研报告"),
            into.join("党建工作调研报告.md")
        );
        assert_eq!(
            n.target(into, "党建工作调研报告"),
            into.join("党建工作调研报告-2.md")
        );
        assert_eq!(n.target(into, "Report"), into.join("Report.md"));
        assert_eq!(n.target(into, "report"), into.join("report-2.md"));
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
}
