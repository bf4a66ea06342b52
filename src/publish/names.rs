//! Share-proof names: what a Windows (SMB) share cannot hold, checked before anything is
//! copied. The rule itself is `crate::paths`' (the build follows it too); this adds publish's
//! own reserved names and words the problems for the publish summary.

use super::error::BadName;
use super::{JOURNAL_NAME, LOCK_NAME, MANIFEST_NAME, TMP_SUFFIX};
use crate::paths::{self, ClashKind, PathProblem};

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
    bad.extend(
        paths::clashes(paths.iter().map(String::as_str))
            .into_iter()
            .map(|c| BadName {
                path: c.at,
                problem: match c.kind {
                    ClashKind::CaseOnly => {
                        format!("differs only in letter case from \"{}\"", c.other)
                    }
                    ClashKind::FileAndFolder => format!(
                        "is a file where \"{}\" needs a folder, or the other way round",
                        c.other
                    ),
                },
            }),
    );
    bad.sort_by(|a, b| a.path.cmp(&b.path));
    bad
}

fn path_problem(path: &str) -> Option<String> {
    match paths::path_problem(path) {
        Some((Some(name), p)) if name != path => Some(format!("\"{name}\" {p}")),
        Some((_, p @ PathProblem::TooLong(_))) => {
            Some(format!("{p}: use a shorter file name or slug"))
        }
        Some((_, p)) => Some(p.to_string()),
        None if path == MANIFEST_NAME
            || path == JOURNAL_NAME
            || path.split('/').next() == Some(LOCK_NAME)
            || path.ends_with(TMP_SUFFIX) =>
        {
            Some("this name is reserved for dangan publish's own files".to_string())
        }
        None => None,
    }
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
            problems(&[
                ".dangan-publish.json",
                ".dangan-publish.journal",
                "a/.x.dangan-tmp"
            ])
            .len(),
            3
        );
    }
}
