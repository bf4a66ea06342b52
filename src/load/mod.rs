//! Loading: content folder -> validated reports and attachments, with diagnostics.

pub mod discover;
pub mod front_matter;

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::{Diagnostic, display_path};
use crate::model::{
    Alias, AttachmentRisk, ContentFile, DATE_HELP, Report, ReportDate, SourceStamp,
};
use crate::paths::safe_path;

pub const CONTENT_DIR: &str = "content";

pub fn content_file(content: &Path, source: PathBuf, meta: &std::fs::Metadata) -> ContentFile {
    let rel = rel_id(content, &source);
    let site_path = safe_path(&rel);
    let markup =
        AttachmentRisk::of(&rel).is_none() && !opens_as_itself(&rel) && starts_as_markup(&source);
    let mut f = ContentFile {
        size: meta.len(),
        modified: meta.modified().ok(),
        site_path,
        rel,
        source,
        markup,
    };
    // A web page, SVG or server script among the attachments would run as a
    // page of the site: publish it under a name that opens as text.
    if f.risk().is_some_and(AttachmentRisk::renamed) {
        f.site_path.push_str(".txt");
    }
    f
}

/// Endings that every browser opens as what they say (or hands to another
/// program), never as a page whatever the bytes hold: such files are not
/// read for `starts_as_markup`. Tried for .txt with HTML in it: Chromium and
/// Firefox both show the text.
const OPEN_AS_THEMSELVES: &[&str] = &[
    "pdf", "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg", "gif", "webp",
    "bmp", "tif", "tiff", "zip", "rar", "7z", "gz", "mp3", "mp4", "wav", "avi", "mov",
];

fn opens_as_itself(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        OPEN_AS_THEMSELVES
            .iter()
            .any(|e| e.eq_ignore_ascii_case(ext))
    })
}

/// Whether a file's first bytes (past a UTF-8 byte order mark and white
/// space) open a tag: Firefox opens a file whose ending it does not know (no
/// ending, `.dat`, an `.ofd` on a PC without its reader) as what its bytes
/// look like, and runs the scripts of a page it finds there (tried over
/// file:// with Firefox ESR: an HTML file named `x`, `x.dat` or `x.ofd` ran
/// its script). Any `<` first counts, a superset of Firefox's HTML and XML
/// sniffing. A file that cannot be read counts as none (copying it fails).
fn starts_as_markup(path: &Path) -> bool {
    use std::io::Read as _;
    let Ok(file) = discover::open_regular(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(1024);
    if file.take(1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

/// Path under `content/` with `/` separators.
pub fn rel_id(content: &Path, path: &Path) -> String {
    path.strip_prefix(content)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Reads one report file; `None` when it has errors that stop it being published.
pub fn load_report(
    root: &Path,
    content: &Path,
    path: &Path,
    config: &Config,
) -> (Option<Report>, Vec<Diagnostic>) {
    let shown = display_path(root, path);
    let bytes = match discover::read_regular(path) {
        Ok(b) => b,
        Err(e) => {
            let d = Diagnostic::error(&shown, format!("cannot be read: {e}"))
                .hint("check that the file exists and that you may read it");
            return (None, vec![d]);
        }
    };
    let stamp = SourceStamp::of(&bytes);
    let mut diags = Vec::new();
    let text = match decode(&shown, bytes) {
        Ok((t, d)) => {
            diags.extend(d);
            t
        }
        Err(d) => return (None, vec![d]),
    };
    let split = match front_matter::split(&shown, &text) {
        Ok(s) => s,
        Err(d) => return (None, vec![d]),
    };
    // Control characters never reach a page, feed or index: they are taken
    // out here, once. In the body they are invisible junk from Word or PDF
    // (Word's line break becomes a space) and go silently; in the front
    // matter the user is told, as a field shows them nowhere else.
    diags.extend(front_matter::control_characters(&shown, &split));
    let (yaml, body) = (
        crate::text::clean_text(split.yaml),
        crate::text::clean_text(split.body),
    );
    let split = front_matter::Split {
        yaml: &yaml,
        body: &body,
        ..split
    };
    let (fm, fm_diags) = front_matter::parse(&shown, &split);
    diags.extend(fm_diags);
    if fm.unreadable {
        return (None, diags);
    }
    let id = rel_id(content, path);
    let file = SourceFile { path, stamp };
    let report = validate(&shown, &id, &file, fm, &split, config, &mut diags);
    let ok = !diags.iter().any(Diagnostic::is_error);
    (report.filter(|_| ok), diags)
}

/// The text of a report file: UTF-8, or UTF-8 but for a few damaged bytes
/// (shown as U+FFFD, with a warning naming their lines); anything else is an
/// error that says which encoding it probably is.
fn decode(shown: &str, bytes: Vec<u8>) -> Result<(String, Option<Diagnostic>), Diagnostic> {
    let e = match crate::text::utf8_string(bytes) {
        Ok(t) => return Ok((t, None)),
        Err(e) => e,
    };
    match crate::text::repair_utf8(e.as_bytes()) {
        Some(r) => {
            let d = Diagnostic::warning(
                shown,
                format!(
                    "{} byte sequence(s) are not UTF-8 and are shown as \u{fffd} (line {})",
                    r.bad,
                    crate::text::list_lines(&r.lines)
                ),
            )
            .line(r.lines[0])
            .hint("retype the damaged characters on those lines, then save the file as UTF-8");
            Ok((r.text, Some(d)))
        }
        None => Err(not_utf8(shown, e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// A report's Markdown body, read again from its file.
pub struct Body {
    text: String,
    start: usize,
}

impl Body {
    pub fn as_str(&self) -> &str {
        &self.text[self.start..]
    }
}

/// Reads the body of `report` again, as [`load_report`] read it (damaged
/// bytes shown as U+FFFD, control characters taken out); `None` if its file
/// no longer holds the bytes it was loaded from (changed, removed, or
/// unreadable since).
pub fn read_body(report: &Report) -> Option<Body> {
    let bytes = discover::read_regular(&report.source).ok()?;
    if SourceStamp::of(&bytes) != report.stamp {
        return None;
    }
    let text = match crate::text::utf8_string(bytes) {
        Ok(t) => t,
        Err(e) => crate::text::repair_utf8(e.as_bytes())?.text,
    };
    let split = front_matter::split("", &text).ok()?;
    let text = crate::text::clean_text(split.body).into_owned();
    text.is_char_boundary(report.body_start).then_some(Body {
        text,
        start: report.body_start,
    })
}

fn not_utf8(shown: &str, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let line = bytes[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
    let looks_utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
    let what = if looks_utf16 {
        "UTF-16 (Word's \"Unicode\" text)"
    } else {
        "probably GBK/GB18030, the usual encoding on Chinese Windows"
    };
    Diagnostic::error(shown, format!("the file is not UTF-8 text ({what})"))
        .line(line)
        .hint("save it again as UTF-8 (in Notepad: Save As, Encoding: UTF-8), or convert it with `dangan import`")
}

/// The file a report is read from, as it was read.
struct SourceFile<'a> {
    path: &'a Path,
    stamp: SourceStamp,
}

fn validate(
    shown: &str,
    id: &str,
    file: &SourceFile<'_>,
    fm: front_matter::FrontMatter,
    split: &front_matter::Split<'_>,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<Report> {
    let fence_line = split.yaml_line - 1;
    // A draft is never published, so it may wait for its required fields
    // (`dangan import` writes a report whose date it could not find as one).
    let missing = |field: &str, example: &str| {
        if fm.draft {
            Diagnostic::warning(
                shown,
                format!("this draft has no `{field}` yet; it is left out until it has one"),
            )
            .line(fence_line)
            .field(field)
            .hint(format!(
                "add a line `{field}: {example}` between the `---` lines, then remove `draft: true` to publish it"
            ))
        } else {
            Diagnostic::error(shown, format!("the required field `{field}` is missing"))
                .line(fence_line)
                .field(field)
                .hint(format!(
                    "add a line `{field}: {example}` between the `---` lines"
                ))
        }
    };
    let line_of = |f: &str| fm.lines.get(f).copied().unwrap_or(fence_line);

    let unit = fm.unit.clone();
    if unit.is_none() && !fm.lines.contains_key("unit") {
        diags.push(missing("unit", "市委办公室"));
    } else if unit.is_none() && !fm.invalid.contains("unit") {
        diags.push(
            Diagnostic::error(shown, "is empty")
                .at(line_of("unit"), 1)
                .field("unit")
                .hint("write the unit that wrote the report, e.g. `unit: 市委办公室`"),
        );
    } else if let Some(u) = &unit
        && config.closed_units
        && config.unit_decl(u).is_none()
    {
        let mut d = Diagnostic::error(
            shown,
            format!("\"{u}\" is not one of the units declared in dangan.toml"),
        )
        .at(line_of("unit"), 1)
        .field("unit");
        d = match closest(u, config.units.iter().map(|x| x.name.as_str())) {
            Some(c) => d.hint(format!(
                "did you mean \"{c}\"? Otherwise declare it with a [[units]] entry"
            )),
            None => d.hint("declare it in dangan.toml with a [[units]] entry, or correct the name"),
        };
        diags.push(d);
    }

    let date = match &fm.date {
        None if !fm.lines.contains_key("date") => {
            diags.push(missing("date", "2021-03-05"));
            None
        }
        None if fm.invalid.contains("date") => None,
        None => {
            diags.push(
                Diagnostic::error(shown, "is empty")
                    .at(line_of("date"), 1)
                    .field("date")
                    .hint(DATE_HELP),
            );
            None
        }
        Some(text) => match ReportDate::parse(text) {
            Ok(d) => Some(d),
            Err(why) => {
                diags.push(
                    Diagnostic::error(shown, why)
                        .at(line_of("date"), 1)
                        .field("date")
                        .hint(DATE_HELP),
                );
                None
            }
        },
    };

    let kind = fm.kind.clone();
    match &kind {
        None if !fm.lines.contains_key("type") => diags.push(missing("type", "调研报告")),
        None if fm.invalid.contains("type") => {}
        None => diags.push(
            Diagnostic::error(shown, "is empty")
                .at(line_of("type"), 1)
                .field("type")
                .hint("write the kind of report, e.g. `type: 调研报告`"),
        ),
        Some(k) => {
            if let Some(allowed) = &config.types
                && !allowed.iter().any(|a| a == k)
            {
                let mut d = Diagnostic::error(
                    shown,
                    format!("\"{k}\" is not one of the types dangan.toml allows"),
                )
                .at(line_of("type"), 1)
                .field("type");
                d = match closest(k, allowed.iter().map(String::as_str)) {
                    Some(c) => d.hint(format!(
                        "did you mean \"{c}\"? The allowed types are: {}",
                        allowed.join("、")
                    )),
                    None => d.hint(format!("the allowed types are: {}", allowed.join("、"))),
                };
                diags.push(d);
            }
        }
    }

    if let Some(slug) = &fm.slug
        && (slug.contains(['/', '\\']) || crate::paths::safe_component(slug) != *slug)
    {
        diags.push(Diagnostic::error(shown, format!("\"{slug}\" cannot be used as a file name"))
                .at(line_of("slug"), 1)
                .field("slug")
                .hint("use letters, digits, Chinese characters, - and _ only (no / \\ : * ? \" < > |)"));
    }

    let aliases = fm
        .aliases
        .iter()
        .filter_map(|(text, line)| {
            match crate::addresses::parse_alias(text, config.base_url.as_deref()) {
                Ok(target) => Some(Alias {
                    target,
                    text: text.clone(),
                    line: *line,
                }),
                Err(p) => {
                    diags.push(
                        Diagnostic::error(shown, format!("\"{text}\" {}", p.message))
                            .at(*line, 1)
                            .field("aliases")
                            .hint(p.hint),
                    );
                    None
                }
            }
        })
        .collect();

    let (heading_title, body) = title_heading(split.body);
    let (body, body_line) = match body {
        Some((rest, skipped_lines))
            if fm.title.is_none() || fm.title.as_deref() == heading_title.as_deref() =>
        {
            (rest, split.body_line + skipped_lines)
        }
        _ => (split.body, split.body_line),
    };
    let key = match (&unit, &date, &kind) {
        (Some(u), Some(d), Some(k)) => crate::addresses::report_key(
            fm.title.as_deref().or(heading_title.as_deref()),
            u,
            &d.to_string(),
            k,
        ),
        _ => 0,
    };
    let title = fm.title.clone().or(heading_title).unwrap_or_else(|| {
        Path::new(id)
            .file_stem()
            .map(|s| {
                crate::text::clean_line(&s.to_string_lossy())
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    });

    let stem = fm.slug.clone().unwrap_or_else(|| {
        Path::new(id)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let dir = id.rsplit_once('/').map_or("", |(d, _)| d);
    let page = if dir.is_empty() {
        format!("{stem}.html")
    } else {
        format!("{dir}/{stem}.html")
    };

    // A draft still missing a required field (warned about above) is never
    // published, so nothing shows these stand-ins; it is kept only so that it
    // counts as a draft and links to it are recognised as links to a draft.
    let (unit, date, kind) = if fm.draft {
        (
            unit.or_else(|| Some(String::new())),
            date.or(Some(ReportDate {
                year: 0,
                month: 1,
                day: None,
            })),
            kind.or_else(|| Some(String::new())),
        )
    } else {
        (unit, date, kind)
    };
    Some(Report {
        id: id.to_string(),
        source: file.path.to_path_buf(),
        title,
        unit: unit?,
        date: date?,
        kind: kind?,
        tags: fm.tags,
        summary: fm.summary,
        author: fm.author,
        draft: fm.draft,
        page: safe_path(&page),
        stamp: file.stamp,
        // `title_heading` cut off the head of the body.
        body_start: split.body.len() - body.len(),
        body_line,
        key,
        aliases,
        links: if fm.draft {
            crate::markdown::link_paths(body, dir)
        } else {
            Vec::new()
        },
    })
}

/// The text of the first `# ` heading, and the body after it when the
/// heading is the first thing in the body (with the lines skipped).
fn title_heading(body: &str) -> (Option<String>, Option<(&str, usize)>) {
    let mut in_fence = false;
    let mut offset = 0;
    let mut first_content = true;
    for (i, line) in body.split_inclusive('\n').enumerate() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence && let Some(h) = t.strip_prefix("# ") {
            let h = h.trim().trim_end_matches('#').trim().to_string();
            let rest = first_content.then(|| (&body[offset + line.len()..], i + 1));
            return (Some(h).filter(|h| !h.is_empty()), rest);
        }
        if !t.is_empty() {
            first_content = false;
        }
        offset += line.len();
    }
    (None, None)
}

/// The candidate most like `word`, if any is close.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::normalized_damerau_levenshtein(word, c), c))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_first_heading_is_taken_out_of_the_body() {
        let (t, rest) = title_heading("\n# 关于某事的报告\n\n正文\n");
        assert_eq!(t.as_deref(), Some("关于某事的报告"));
        assert_eq!(rest, Some(("\n正文\n", 2)));
        let (t, rest) = title_heading("前言\n\n# 标题\n");
        assert_eq!(t.as_deref(), Some("标题"));
        assert_eq!(rest, None);
        let (t, _) = title_heading("```\n# not a heading\n```\n");
        assert_eq!(t, None);
    }
}
