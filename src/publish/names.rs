//! Share-proof names: what a Windows (SMB) share cannot hold, checked before anything is copied.

use std::collections::BTreeMap;

use super::error::BadName;
use super::{LOCK_NAME, MANIFEST_NAME, TMP_SUFFIX};

/// Longest relative path, in UTF-16 units, that we let through. Windows' classic limit is 260
/// for the whole path; this leaves 60 for the share's own prefix (`\\server\share\folder\`) and
/// our temporary suffix.
pub(crate) const MAX_REL_PATH_UTF16: usize = 200;
/// Longest single name: ext4 and most Linux file systems stop at 255 bytes.
pub(crate) use crate::output::MAX_NAME_BYTES;

const RESERVED: &[&str] = &["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

/// Check every site path (`/`-separated) and return all problems found, sorted by path.
pub(crate) fn check(paths: &[String]) -> Vec<BadName> {
    let mut bad: Vec<BadName> = Vec::new();
    for path in paths {
        if let Some(problem) = path_problem(path) {
            bad.push(BadName {
                path: path.clone(),
                problem,
            });
        }
    }
    bad.extend(case_clashes(paths));
    bad.sort_by(|a, b| a.path.cmp(&b.path));
    bad
}

fn path_problem(path: &str) -> Option<String> {
    for name in path.split('/') {
        if let Some(p) = name_problem(name) {
            return Some(if name == path {
                p
            } else {
                format!("\"{name}\" {p}")
            });
        }
    }
    let units = path.encode_utf16().count();
    if units > MAX_REL_PATH_UTF16 {
        return Some(format!(
            "the path is {units} characters long; shares refuse paths much over \
             {MAX_REL_PATH_UTF16}: use a shorter file name or slug"
        ));
    }
    if path == MANIFEST_NAME || path == LOCK_NAME || path.ends_with(TMP_SUFFIX) {
        return Some("this name is reserved for dangan publish's own files".to_string());
    }
    None
}

/// Why one path component cannot live on a Windows share, if it cannot.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is an empty name".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '\\' | '|' | '?' | '*') || (*c as u32) < 32)
    {
        let shown = if (c as u32) < 32 {
            format!("control character U+{:04X}", c as u32)
        } else {
            format!("'{c}'")
        };
        return Some(format!(
            "contains {shown}, which Windows does not allow in names"
        ));
    }
    if name.ends_with(' ') || name.ends_with('.') {
        return Some("ends with a space or a dot, which Windows drops".to_string());
    }
    if is_reserved(name) {
        return Some(
            "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1…, LPT1…)".into(),
        );
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "is {} bytes long; names stop at {MAX_NAME_BYTES}",
            name.len()
        ));
    }
    None
}

fn is_reserved(name: &str) -> bool {
    // Windows ignores the extension and trailing spaces: "con.txt" and "LPT1 .html" are devices.
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_uppercase();
    if RESERVED.contains(&upper.as_str()) {
        return true;
    }
    let digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '¹', '²', '³'];
    let mut chars = upper.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let rest: Vec<char> = chars.collect();
    (prefix == "COM" || prefix == "LPT") && rest.len() == 1 && digits.contains(&rest[0])
}

/// Paths (or folders on the way to them) whose names differ only in letter case: a Windows
/// share keeps one of them.
fn case_clashes(paths: &[String]) -> Vec<BadName> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut bad = Vec::new();
    for path in paths {
        for (end, _) in path.match_indices('/').chain([(path.len(), "")]) {
            let prefix = &path[..end];
            let folded = prefix.to_lowercase();
            match seen.get(&folded) {
                Some(other) if *other != prefix => {
                    bad.push(BadName {
                        path: prefix.to_string(),
                        problem: format!("differs only in letter case from \"{other}\""),
                    });
                    break;
                }
                Some(_) => {}
                None => {
                    seen.insert(folded, prefix);
                }
            }
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(paths: &[&str]) -> Vec<String> {
        let owned: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        check(&owned).into_iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn ordinary_and_chinese_names_pass() {
        assert!(problems(&["index.html", "unit/市委办公室.html", "_assets/style.css"]).is_empty());
        assert!(problems(&["reports/2020/关于基层治理的调研报告.html", "a.b.c.pdf"]).is_empty());
    }

    #[test]
    fn windows_forbidden_characters_are_reported() {
        let p = problems(&[
            "reports/a:b.html",
            "q?.html",
            "x/y|z/w.html",
            "tab\there.html",
        ]);
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p.iter().any(|m| m.contains("':'")));
        assert!(p.iter().any(|m| m.contains("\"y|z\"")));
        assert!(p.iter().any(|m| m.contains("U+0009")));
    }

    #[test]
    fn trailing_dots_spaces_and_device_names_are_reported() {
        let p = problems(&[
            "a./b.html",
            "c .html ",
            "con.html",
            "LPT1.pdf",
            "com¹",
            "aux/x.html",
        ]);
        assert_eq!(p.len(), 6, "{p:?}");
        assert!(problems(&["console.html", "com10.html", "lpt.html"]).is_empty());
    }

    #[test]
    fn case_only_differences_are_reported_for_files_and_folders() {
        let p = problems(&["Report.html", "report.html"]);
        assert_eq!(
            p,
            ["report.html: differs only in letter case from \"Report.html\""]
        );
        let p = problems(&["Unit/a.html", "unit/b.html"]);
        assert_eq!(p, ["unit: differs only in letter case from \"Unit\""]);
    }

    #[test]
    fn over_long_paths_and_names_are_reported() {
        let d = "目".repeat(60);
        let p = problems(&[&format!("{d}/{d}/{d}/{d}.html")]);
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("characters long"), "{p:?}");
        let huge = "报".repeat(90); // 270 bytes
        assert!(problems(&[&huge])[0].contains("bytes long"));
    }

    #[test]
    fn our_own_names_are_reserved() {
        assert_eq!(
            problems(&[".dangan-publish.json", "a/.x.dangan-tmp"]).len(),
            2
        );
    }
}
