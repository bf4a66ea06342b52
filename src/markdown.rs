//! Markdown -> HTML, table of contents, plain text and the links it makes.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::paths::{encode_fragment, join_relative, relative_href};

/// What a relative link in a report points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A published report's page (site path).
    Page(String),
    /// An attachment or other file (site path).
    File(String),
    /// A report marked `draft: true`.
    Draft,
    Missing,
}

/// How a report's relative links are resolved.
pub struct LinkContext<'a> {
    /// The report's folder under `content/`.
    pub dir: &'a str,
    /// Site path of the report's page.
    pub page: &'a str,
    /// Looks up a path under `content/`.
    pub resolve: &'a (dyn Fn(&str) -> Target + Sync),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A link problem, with the byte offset in the body where the link is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkProblem {
    pub offset: usize,
    pub target: String,
    pub kind: LinkProblemKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblemKind {
    Missing,
    Draft,
    OutsideContent,
    UnsafeScheme,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Plain text, a line per block, for search and summaries.
    pub text: String,
    /// Site paths of the files the report links to (attachments).
    pub linked_files: Vec<String>,
    /// Every relative link target (path under `content/`) and what it resolved
    /// to: the rendering stays valid while these resolve the same.
    pub resolved: Vec<(String, Target)>,
    pub problems: Vec<LinkProblem>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

pub fn render(body: &str, links: &LinkContext<'_>, allow_html: bool) -> Rendered {
    let mut events: Vec<(Event<'_>, std::ops::Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let mut out = Rendered::default();
    let has_html = events
        .iter()
        .any(|(e, _)| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    join_cjk_lines(&mut events);
    assign_heading_ids(&mut events, &mut out.toc);
    rewrite_links(&mut events, links, &mut out);
    out.text = plain_text(&events);
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter().map(|(e, _)| e));
    out.html = if has_html && !allow_html {
        sanitize(&html)
    } else {
        html
    };
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// A line break inside a paragraph between two Chinese characters is no
/// space: drop it, as browsers would otherwise show one.
fn join_cjk_lines(events: &mut [(Event<'_>, std::ops::Range<usize>)]) {
    for i in 1..events.len().saturating_sub(1) {
        if !matches!(events[i].0, Event::SoftBreak) {
            continue;
        }
        let before = match &events[i - 1].0 {
            Event::Text(t) => t.chars().next_back(),
            _ => None,
        };
        let after = match &events[i + 1].0 {
            Event::Text(t) => t.chars().next(),
            _ => None,
        };
        if before.is_some_and(is_cjk) && after.is_some_and(is_cjk) {
            events[i].0 = Event::Text(CowStr::Borrowed(""));
        }
    }
}

/// Gives every heading an id made from its text (Chinese kept), unique in the page.
fn assign_heading_ids(events: &mut [(Event<'_>, std::ops::Range<usize>)], toc: &mut Vec<TocEntry>) {
    let mut used = HashSet::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i].0 {
            let level = *level;
            let given = id.clone();
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j].0, Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j].0 {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = given
                .map(|g| g.to_string())
                .unwrap_or_else(|| slugify(&text));
            let mut unique = base.clone();
            let mut n = 1;
            while !used.insert(unique.clone()) {
                n += 1;
                unique = format!("{base}-{n}");
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i].0 {
                *id = Some(CowStr::from(unique.clone()));
            }
            if level != HeadingLevel::H1 {
                toc.push(TocEntry {
                    level: level as u8,
                    id: unique,
                    text: text.trim().to_string(),
                });
            }
            i = j;
        }
        i += 1;
    }
}

/// Heading text to an id: letters and digits of any script kept, spaces to `-`.
pub fn slugify(text: &str) -> String {
    let mut s = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_') && !s.ends_with('-') && !s.is_empty()
        {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "section".to_string()
    } else {
        s
    }
}

pub(crate) fn has_scheme(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    (!scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic()))
    .then_some(scheme)
}

fn rewrite_links(
    events: &mut [(Event<'_>, std::ops::Range<usize>)],
    links: &LinkContext<'_>,
    out: &mut Rendered,
) {
    for (event, range) in events.iter_mut() {
        let dest = match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => dest_url,
            _ => continue,
        };
        let problem = |kind| LinkProblem {
            offset: range.start,
            target: dest.to_string(),
            kind,
        };
        if let Some(scheme) = has_scheme(dest) {
            let safe = ["http", "https", "mailto", "tel", "ftp", "file"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scheme));
            if !safe {
                out.problems.push(problem(LinkProblemKind::UnsafeScheme));
                *dest = CowStr::Borrowed("");
            }
            continue;
        }
        let (path_part, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p.to_string(), Some(f.to_string())),
            None => (dest.to_string(), None),
        };
        let path_part = path_part.split('?').next().unwrap_or("").to_string();
        let fragment_href = fragment.as_deref().map(|f| {
            let decoded = percent_encoding::percent_decode_str(f).decode_utf8_lossy();
            format!("#{}", encode_fragment(&decoded))
        });
        if path_part.is_empty() {
            if let Some(f) = fragment_href {
                *dest = CowStr::from(f);
            }
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(&path_part)
            .decode_utf8_lossy()
            .into_owned();
        let Some(target) = join_relative(links.dir, &decoded) else {
            out.problems.push(problem(LinkProblemKind::OutsideContent));
            continue;
        };
        let resolved = (links.resolve)(&target);
        out.resolved.push((target, resolved.clone()));
        let href = match resolved {
            Target::Page(site_path) => relative_href(links.page, &site_path),
            Target::File(site_path) => {
                out.linked_files.push(site_path.clone());
                relative_href(links.page, &site_path)
            }
            Target::Draft => {
                out.problems.push(problem(LinkProblemKind::Draft));
                *dest = CowStr::Borrowed("");
                continue;
            }
            Target::Missing => {
                out.problems.push(problem(LinkProblemKind::Missing));
                continue;
            }
        };
        *dest = CowStr::from(href + fragment_href.as_deref().unwrap_or(""));
    }
}

fn plain_text(events: &[(Event<'_>, std::ops::Range<usize>)]) -> String {
    let mut text = String::new();
    for (e, _) in events {
        match e {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak => text.push(' '),
            Event::HardBreak => text.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::CodeBlock,
            ) if !text.ends_with('\n') => {
                text.push('\n');
            }
            _ => {}
        }
    }
    text
}

/// Raw HTML in reports is cleaned of scripts, styles and event handlers.
fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["id", "class", "align"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("ol", ["start"])
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> Target {
        match path {
            "2020/b.md" => Target::Page("2020/b.html".into()),
            "2020/附表.csv" => Target::File("2020/附表.csv".into()),
            "2020/d.md" => Target::Draft,
            _ => Target::Missing,
        }
    }

    fn render_str(md: &str) -> Rendered {
        let ctx = LinkContext {
            dir: "2020",
            page: "2020/a.html",
            resolve: &resolve,
        };
        render(md, &ctx, false)
    }

    #[test]
    fn chinese_headings_get_stable_unique_ids() {
        let r = render_str("## 一、基本情况\n\n### （一）主要做法\n\n## 一、基本情况\n");
        let ids: Vec<_> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["一基本情况", "一主要做法", "一基本情况-2"]);
        assert!(
            r.html.contains("<h2 id=\"一基本情况\">一、基本情况</h2>"),
            "{}",
            r.html
        );
        assert_eq!(r.toc[1].level, 3);
    }

    #[test]
    fn report_links_point_to_pages_and_missing_ones_are_reported() {
        let r = render_str(
            "[b](b.md#二、问题) [表](附表.csv) [x](x.md) [d](d.md) [js](javascript:alert(1))",
        );
        assert!(
            r.html
                .contains("href=\"b.html#%E4%BA%8C%E3%80%81%E9%97%AE%E9%A2%98\""),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("href=\"%E9%99%84%E8%A1%A8.csv\""),
            "{}",
            r.html
        );
        let kinds: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.target.as_str(), p.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("x.md", LinkProblemKind::Missing),
                ("d.md", LinkProblemKind::Draft),
                ("javascript:alert(1)", LinkProblemKind::UnsafeScheme)
            ]
        );
        assert!(!r.html.contains("javascript"));
    }

    #[test]
    fn line_breaks_between_chinese_characters_vanish() {
        let r = render_str("党建工作\n落实情况 and\nmore");
        assert!(r.html.contains("党建工作落实情况 and\nmore"), "{}", r.html);
        assert!(r.text.contains("党建工作落实情况"), "{}", r.text);
    }

    #[test]
    fn raw_html_is_sanitized() {
        let r = render_str("<script>alert(1)</script>\n\n<b onclick=\"x()\">粗</b>");
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onclick"), "{}", r.html);
        assert!(r.html.contains("<b>粗</b>"), "{}", r.html);
    }

    #[test]
    fn tables_footnotes_tasks_strikethrough() {
        let r = render_str(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~删~~ 注[^1]\n\n[^1]: 脚注\n\n- [x] 完成\n",
        );
        for needle in [
            "<table>",
            "<del>删</del>",
            "footnote-definition",
            "type=\"checkbox\"",
        ] {
            assert!(r.html.contains(needle), "{needle} missing in {}", r.html);
        }
    }
}
