//! Diagnostics: one problem of the archive, with where it is and how to fix it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found in the archive. Lines and columns count from 1, from the
/// top of the file (the front matter fence included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the archive root, with `/` separators.
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }

    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub(crate) fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `content/a.md:3:7: error: field `date`: …` followed by the hint.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&visible(&self.path, false));
        if let Some(line) = self.line {
            let _ = write!(out, ":{line}");
            if let Some(col) = self.column {
                let _ = write!(out, ":{col}");
            }
        }
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = write!(out, ": {label}: ");
        if let Some(field) = &self.field {
            let _ = write!(out, "field `{}`: ", visible(field, false));
        }
        out.push_str(&visible(&self.message, true));
        if let Some(hint) = &self.hint {
            let _ = write!(out, "\n  = help: {}", visible(hint, true));
        }
        out
    }
}

/// A file name or message from content as the terminal should print it:
/// control characters (an escape sequence in a file name could recolour or
/// rewrite the terminal) and invisible format characters (a right-to-left
/// override would turn the rest of the line around) written as `\u{1b}`.
fn visible(s: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| {
        (!c.is_control() || (keep_newlines && c == '\n')) && !crate::paths::is_invisible(c)
    };
    if s.chars().all(shown) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if !shown(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Diagnostics of one run, in a stable order (by path, then line).
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub(crate) fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub(crate) fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.severity, &a.message)
                .cmp(&(&b.path, b.line, b.column, b.severity, &b.message))
        });
        self.items.dedup();
        self.items
    }
}

/// A path relative to `root`, with `/` separators, for messages.
pub(crate) fn display_path(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

/// 1-based line and column of a byte offset in `text` (column counts characters).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "---\n单位: 某\nb";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (2, 1));
        // after "单位" (6 bytes) on line 2
        assert_eq!(line_col(text, 10), (2, 3));
    }

    #[test]
    fn render_shows_path_line_field_and_hint() {
        let d = Diagnostic::error("content/a.md", "is not a real date")
            .at(3, 7)
            .field("date")
            .hint("write YYYY-MM-DD");
        assert_eq!(
            d.render(),
            "content/a.md:3:7: error: field `date`: is not a real date\n  = help: write YYYY-MM-DD"
        );
    }
}
