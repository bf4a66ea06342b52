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

/// Longest file or folder name, in bytes: ext4 and most Linux file systems
/// stop at 255 (Windows at 255 UTF-16 units, which 255 UTF-8 bytes never exceed).
pub const MAX_NAME_BYTES: usize = 255;

/// Ending of temporary names: `.page.html.dangan-tmp` beside `page.html`.
pub const TMP_SUFFIX: &str = ".dangan-tmp";

/// Longest site path, in UTF-16 units (as Windows counts). Windows' classic
/// limit is 260 for the whole path, drive or `\\server\share\` prefix and
/// final NUL included; 200 for the part under the site's folder leaves 60 for
/// a share prefix such as `\\fileserver\档案\公开\` and for the 12 extra
/// units of the temporary name a file has while it is copied. Linux's 4096
/// bytes for a whole path are far above 200 units (at most 800 bytes).
pub(crate) const MAX_PATH_UTF16: usize = 200;

/// Why a file or folder name cannot be stored on a Windows share (or on
/// Linux), if it cannot. This is the one rule: the build only makes names
/// that pass it, and publish refuses anything that does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    /// One of `<>:"/\|?*`.
    Forbidden(char),
    Control(char),
    LeadingSpace,
    TrailingDotOrSpace,
    /// CON, PRN, AUX, NUL, COM0–9, LPT0–9 … whatever follows a dot.
    Device,
    /// The length in bytes.
    TooLong(usize),
    /// Ends like the temporary files dangan writes (and removes as leftovers).
    Reserved,
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::Empty => write!(f, "is an empty name"),
            NameProblem::Forbidden(c) => {
                write!(f, "contains '{c}', which Windows does not allow in names")
            }
            NameProblem::Control(c) => write!(
                f,
                "contains control character U+{:04X}, which Windows does not allow in names",
                *c as u32
            ),
            NameProblem::LeadingSpace => write!(f, "begins with a space, which Windows drops"),
            NameProblem::TrailingDotOrSpace => {
                write!(f, "ends with a space or a dot, which Windows drops")
            }
            NameProblem::Device => write!(
                f,
                "is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1…, LPT1…)"
            ),
            NameProblem::TooLong(n) => {
                write!(f, "is {n} bytes long; names stop at {MAX_NAME_BYTES}")
            }
            NameProblem::Reserved => write!(
                f,
                "ends with {}, which dangan keeps for its temporary files",
                TMP_SUFFIX
            ),
        }
    }
}

/// Invisible format characters (Unicode's Cf), which a name typed by hand
/// or copied from Word may hold: a right-to-left override shows
/// `报告\u{202e}fdp.exe` as `报告exe.pdf` in Explorer, on a page and in a
/// terminal, and a zero-width space makes two names that look alike differ.
/// Names made for the site go without them (`safe_component`).
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

fn forbidden(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*')
}

/// The first problem of one path component, if any.
pub(crate) fn name_problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        return Some(NameProblem::Empty);
    }
    if let Some(c) = name.chars().find(|c| forbidden(*c)) {
        return Some(NameProblem::Forbidden(c));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(NameProblem::Control(c));
    }
    if name.starts_with(char::is_whitespace) {
        return Some(NameProblem::LeadingSpace);
    }
    if name.ends_with(['.', ' ']) {
        return Some(NameProblem::TrailingDotOrSpace);
    }
    if is_device(name) {
        return Some(NameProblem::Device);
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(NameProblem::TooLong(name.len()));
    }
    if name.ends_with(TMP_SUFFIX) {
        return Some(NameProblem::Reserved);
    }
    None
}

/// Windows ignores what follows the first dot and the spaces before it:
/// "con.txt" and "LPT1 .html" are devices.
fn is_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    if ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(&upper.as_str()) {
        return true;
    }
    let mut chars = upper.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let rest: Vec<char> = chars.collect();
    (prefix == "COM" || prefix == "LPT")
        && matches!(rest[..], [c] if c.is_ascii_digit() || matches!(c, '¹' | '²' | '³'))
}

/// `name` changed as little as needed to pass `name_problem` (but for its
/// length and dangan's own ending, which the build refuses with a message
/// of its own): forbidden and control
/// characters become `_`, spaces and dots at the ends go, a device name gets
/// a `_` in front, an empty name becomes `_`; and invisible format
/// characters go (`is_invisible`), so that a name shows what it is.
pub(crate) fn safe_component(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| {
            if forbidden(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s
        .trim_start_matches(char::is_whitespace)
        .trim_end_matches(['.', ' ']);
    if s.is_empty() {
        "_".to_string()
    } else if is_device(s) {
        format!("_{s}")
    } else {
        s.to_string()
    }
}

/// Each `/`-separated component made safe.
pub(crate) fn safe_path(path: &str) -> String {
    path.split('/')
        .map(safe_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// The first problem of a whole site path: of one of its components (with
/// that component), or of its length.
pub fn path_problem(path: &str) -> Option<(Option<&str>, PathProblem)> {
    for name in path.split('/') {
        if let Some(p) = name_problem(name) {
            return Some((Some(name), PathProblem::Name(p)));
        }
    }
    let units = path.encode_utf16().count();
    (units > MAX_PATH_UTF16).then_some((None, PathProblem::TooLong(units)))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Name(NameProblem),
    /// The length in UTF-16 units.
    TooLong(usize),
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Name(p) => p.fmt(f),
            PathProblem::TooLong(n) => write!(
                f,
                "the path is {n} characters long; shares refuse paths much over {MAX_PATH_UTF16}"
            ),
        }
    }
}

/// Two site paths that a Windows share cannot hold side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// Indexes into the paths given to `clashes`.
    pub first: usize,
    pub second: usize,
    /// The clashing part of `second` (itself, or one of its folders).
    pub at: String,
    /// The same part of `first`.
    pub other: String,
    pub kind: ClashKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClashKind {
    /// The same name but for letter case (Windows keeps one of them).
    CaseOnly,
    /// One path's file is a folder of the other (letter case aside).
    FileAndFolder,
}

/// The pairs of paths (files, `/`-separated) that cannot both exist on a
/// Windows share: equal but for letter case, a folder on the way to one
/// differing only in case from the same folder on the way to another, or a
/// file where another path needs a folder. One clash is reported per path
/// (and per folder), in the order given; exact duplicates are the caller's
/// to report.
pub fn clashes<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<Clash> {
    use std::borrow::Cow;
    use std::collections::{HashMap, HashSet};
    // Case-folded file or folder path -> (its spelling, index of the path, is a file).
    let mut seen: HashMap<Cow<'a, str>, (&'a str, usize, bool)> = HashMap::new();
    // Folders as spelled, each looked at once (most paths share their folders).
    let mut folders: HashSet<&'a str> = HashSet::new();
    let mut out = Vec::new();
    for (i, path) in paths.into_iter().enumerate() {
        let ends = path.match_indices('/').map(|(e, _)| e).chain([path.len()]);
        for end in ends {
            let prefix = &path[..end];
            let is_file = end == path.len();
            if !is_file && !folders.insert(prefix) {
                continue;
            }
            let folded = match prefix.chars().any(char::is_uppercase) {
                true => Cow::Owned(prefix.to_lowercase()),
                false => Cow::Borrowed(prefix),
            };
            match seen.get(&folded) {
                Some(&(other, j, other_file)) => {
                    let kind = if other_file != is_file {
                        ClashKind::FileAndFolder
                    } else if other != prefix {
                        ClashKind::CaseOnly
                    } else {
                        continue; // the same folder, or an exact duplicate
                    };
                    out.push(Clash {
                        first: j,
                        second: i,
                        at: prefix.to_string(),
                        other: other.to_string(),
                        kind,
                    });
                    break;
                }
                None => {
                    seen.insert(folded, (prefix, i, is_file));
                }
            }
        }
    }
    out
}

/// Percent-encodes a site path for use in an href (keeps `/`).
pub fn encode_path(path: &str) -> String {
    let mut href = String::with_capacity(path.len());
    push_encoded(&mut href, path);
    href
}

/// Appends `path` percent-encoded (keeping `/`, which `SEGMENT` leaves as
/// it is) to `href`: one pass, no string per segment (every page makes
/// dozens of hrefs, and its fingerprint as many).
pub fn push_encoded(href: &mut String, path: &str) {
    href.extend(utf8_percent_encode(path, SEGMENT));
}

/// Percent-encodes a fragment (heading id).
pub(crate) fn encode_fragment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// `../` repeated once per folder of `from` (a site path of a page).
pub(crate) fn root_prefix(from: &str) -> String {
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
pub(crate) fn join_relative(base: &str, target: &str) -> Option<String> {
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
        // Issue #16: `content/2020/CON .md` built as `CON .html`, which publish refused.
        assert_eq!(safe_component("CON .html"), "_CON .html");
        assert_eq!(safe_component("lpt¹.pdf"), "_lpt¹.pdf");
        assert_eq!(safe_component("COM0"), "_COM0");
        assert_eq!(safe_component("conin$.txt"), "_conin$.txt");
    }

    #[test]
    fn the_rule_names_each_problem() {
        assert_eq!(name_problem("CON .html"), Some(NameProblem::Device));
        assert_eq!(
            name_problem("a\u{7f}b"),
            Some(NameProblem::Control('\u{7f}'))
        );
        assert_eq!(name_problem("a|b"), Some(NameProblem::Forbidden('|')));
        assert_eq!(name_problem("　报告"), Some(NameProblem::LeadingSpace));
        assert_eq!(name_problem("报告."), Some(NameProblem::TrailingDotOrSpace));
        assert_eq!(
            name_problem(&"报".repeat(86)),
            Some(NameProblem::TooLong(258))
        );
        assert_eq!(name_problem("console.html"), None);
        assert_eq!(name_problem("com10.html"), None);
        let d = "目".repeat(60);
        let long = format!("{d}/{d}/{d}/{d}.html");
        assert_eq!(path_problem(&long), Some((None, PathProblem::TooLong(248))));
        assert_eq!(
            path_problem("a/nul/b.html"),
            Some((Some("nul"), PathProblem::Name(NameProblem::Device)))
        );
    }

    #[test]
    fn clashes_on_a_case_blind_share() {
        let kinds = |paths: &[&str]| -> Vec<(String, String, ClashKind)> {
            clashes(paths.iter().copied())
                .into_iter()
                .map(|c| (c.at, c.other, c.kind))
                .collect()
        };
        assert_eq!(
            kinds(&["Report.html", "report.html"]),
            [(
                "report.html".into(),
                "Report.html".into(),
                ClashKind::CaseOnly
            )]
        );
        assert_eq!(
            kinds(&["Unit/a.html", "unit/b.html"]),
            [("unit".into(), "Unit".into(), ClashKind::CaseOnly)]
        );
        // `content/x.md` beside a folder `content/x.html/` (issue #12).
        assert_eq!(
            kinds(&["x.html", "x.html/a.pdf"]),
            [("x.html".into(), "x.html".into(), ClashKind::FileAndFolder)]
        );
        assert_eq!(
            kinds(&["X.HTML/a.pdf", "x.html"]),
            [("x.html".into(), "X.HTML".into(), ClashKind::FileAndFolder)]
        );
        assert!(kinds(&["a/b.html", "a/c.html", "a/b.html"]).is_empty());
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        /// Names built from the characters that trouble Windows and from ordinary ones.
        fn name() -> impl Strategy<Value = String> {
            let pieces = prop::sample::select(vec![
                "CON", "con", "Aux", "NUL", "com1", "LPT¹", "COM0", "CONIN$", ".", " ", "..", "　",
                "\t", "\u{7f}", "\u{85}", ":", "*", "?", "\"", "<", ">", "|", "\\", "报告", "调研",
                "a", "Z", "html", ".md", "-", "_", "é", "😀",
            ]);
            prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            /// Issue #16: every name the build makes passes publish's check (but for length,
            /// which the build refuses with a message of its own), and a name that passes is
            /// kept as it is.
            #[test]
            fn safe_names_pass_the_rule(n in name()) {
                let safe = safe_component(&n);
                let problem = name_problem(&safe);
                prop_assert!(
                    problem.is_none()
                        || matches!(problem, Some(NameProblem::TooLong(_) | NameProblem::Reserved)),
                    "{n:?} -> {safe:?}: {problem:?}"
                );
                if name_problem(&n).is_none() {
                    prop_assert_eq!(&safe, &n);
                }
                prop_assert_eq!(safe_component(&safe), safe.clone(), "stable");
                let page = safe_path(&format!("{n}/{n}.html"));
                prop_assert!(path_problem(&page).is_none(), "{page:?}");
            }
        }
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
        // Folders stay folders; what a segment cannot hold is encoded.
        assert_eq!(
            encode_path("unit/市委 办/a#b%?.html"),
            "unit/%E5%B8%82%E5%A7%94%20%E5%8A%9E/a%23b%25%3F.html"
        );
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
