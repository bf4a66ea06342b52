//! Site paths: Windows-safe file names, relative hrefs and percent-encoding.
//!
//! A site path is relative to the output folder, uses `/` and is not encoded
//! (`2020/调研报告.html`); an href is relative to the page that holds it and
//! percent-encoded (`../2020/%E8%B0%83….html`).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped in an href path segment: everything but unreserved ASCII.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'\'')
    .add(b'&')
    .add(b'+')
    .add(b',')
    .add(b';')
    .add(b'=')
    .add(b'!')
    .add(b'$')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b':')
    .add(b'@');

const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file or folder name that a Windows share can hold: no `<>:"/\|?*` or
/// control characters, no trailing dot or space, not a reserved device name.
pub fn safe_component(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    while s.ends_with(['.', ' ']) {
        s.pop();
    }
    let s = s.trim_start().to_string();
    if s.is_empty() {
        return "_".to_string();
    }
    let stem = s.split('.').next().unwrap_or("");
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return format!("_{s}");
    }
    s
}

/// Each `/`-separated component made safe.
pub fn safe_path(path: &str) -> String {
    path.split('/')
        .map(safe_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes a site path for use in an href (keeps `/`).
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes a fragment (heading id).
pub fn encode_fragment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// `../` repeated once per folder of `from` (a site path of a page).
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

/// The encoded href from the page at site path `from` to the file at site path `to`.
pub fn relative_href(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect::<Vec<_>>();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dirs
        .iter()
        .zip(&to_parts[..to_parts.len() - 1])
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from_dirs.len() - common);
    out.push_str(&encode_path(&to_parts[common..].join("/")));
    out
}

/// Joins a relative link `target` onto the folder `base` (both `/`-separated),
/// resolving `.` and `..`; `None` if it climbs above the root.
pub fn join_relative(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_for_windows_shares() {
        assert_eq!(safe_component("a:b?c*.md"), "a_b_c_.md");
        assert_eq!(safe_component("报告. "), "报告");
        assert_eq!(safe_component("CON.html"), "_CON.html");
        assert_eq!(safe_component("con"), "_con");
        assert_eq!(safe_component("..."), "_");
        assert_eq!(safe_component("调研报告"), "调研报告");
    }

    #[test]
    fn hrefs_are_relative_and_encoded() {
        assert_eq!(
            relative_href("index.html", "unit/市委.html"),
            "unit/%E5%B8%82%E5%A7%94.html"
        );
        assert_eq!(relative_href("a/b/c.html", "a/d/e.html"), "../d/e.html");
        assert_eq!(relative_href("a/b/c.html", "a/b/x y.pdf"), "x%20y.pdf");
        assert_eq!(relative_href("a/c.html", "index.html"), "../index.html");
        assert_eq!(root_prefix("a/b/c.html"), "../../");
        assert_eq!(root_prefix("index.html"), "");
    }

    #[test]
    fn joins_relative_links() {
        assert_eq!(
            join_relative("2020/a", "../b/c.md").as_deref(),
            Some("2020/b/c.md")
        );
        assert_eq!(
            join_relative("2020", "./x.pdf").as_deref(),
            Some("2020/x.pdf")
        );
        assert_eq!(
            join_relative("2020", "/2019/y.md").as_deref(),
            Some("2019/y.md")
        );
        assert_eq!(join_relative("2020", "../../x.md"), None);
    }
}
