//! Markdown -> HTML, table of contents, plain text and the links it makes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{
    Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};

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
    /// A heading attribute other than `#id` and `.class` (`target` is its
    /// name), or a class that is not a plain word; it is left out.
    HeadingAttribute,
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

/// Renders a report's body. Whatever the Markdown holds, the HTML carries no
/// script, event handler or style from it: the attributes Markdown itself
/// writes are cleaned here event by event, and unless the config allows raw
/// HTML the whole result then goes through one allow-list sanitizer as well.
pub fn render(body: &str, links: &LinkContext<'_>, allow_html: bool) -> Rendered {
    let mut events: Vec<(Event<'_>, std::ops::Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .collect();
    let mut out = Rendered::default();
    join_cjk_lines(&mut events);
    assign_heading_ids(&mut events, &mut out);
    rename_footnotes(&mut events);
    clean_code_info(&mut events);
    table_alignment_classes(&mut events);
    rewrite_links(&mut events, links, &mut out);
    out.text = plain_text(&events);
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter().map(|(e, _)| e));
    out.html = if allow_html { html } else { sanitize(&html) };
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

/// Ids the built-in theme gives elements of a report page: a heading of the
/// report never takes one (a link to `#main` must reach the page's main).
const THEME_IDS: &[&str] = &[
    "main",
    "toc-h",
    "att-h",
    "children-h",
    "months-h",
    "newest-h",
];

/// Id prefixes kept for the page itself: the theme's scripts (`dg-`), the
/// preview of `dangan serve` (`dangan-`), the theme's globals (`DANGAN_ROOT`
/// …: an element's id is also a global of the page, and would stand in for one
/// the page leaves unset) and footnotes (`fn-`). Compared without case.
const RESERVED_ID_PREFIXES: &[&str] = &["dg-", "dangan", "fn-"];

fn is_reserved_id(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    THEME_IDS.contains(&lower.as_str()) || RESERVED_ID_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// The ids `rename_footnotes` gives footnotes.
fn is_footnote_id(id: &str) -> bool {
    id.strip_prefix("fn-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// An id written in the report (`{#id}` or raw HTML) as a plain word:
/// letters and digits of any script, `-`, `_` and `.`; spaces become `-`.
fn clean_id(given: &str) -> Option<String> {
    let mut s = String::new();
    for c in given.trim().chars() {
        if is_ideograph(c) || c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            s.push(c);
        } else if c.is_whitespace() && !s.ends_with('-') {
            s.push('-');
        }
    }
    Some(s).filter(|s| !s.is_empty())
}

/// A class a report may give a heading or an element: an ASCII word.
fn is_plain_class(class: &str) -> bool {
    !class.is_empty()
        && class.len() <= 64
        && class.starts_with(|c: char| c.is_ascii_alphabetic())
        && class
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// Gives every heading an id made from its text (Chinese kept), unique in the
/// page and never one of the page's own; of the attribute syntax
/// (`{#id .class key=value}`) only the id and plain classes are kept, the rest
/// is reported and left out.
fn assign_heading_ids(events: &mut [(Event<'_>, std::ops::Range<usize>)], out: &mut Rendered) {
    let mut used: HashSet<String> = THEME_IDS.iter().map(|s| s.to_string()).collect();
    let mut i = 0;
    while i < events.len() {
        if let (Event::Start(Tag::Heading { classes, attrs, .. }), range) = &mut events[i] {
            let dropped = attrs.drain(..).map(|(name, _)| name.to_string()).chain(
                classes
                    .iter()
                    .filter(|c| !is_plain_class(c))
                    .map(|c| format!(".{c}")),
            );
            for name in dropped {
                out.problems.push(LinkProblem {
                    offset: range.start,
                    target: name,
                    kind: LinkProblemKind::HeadingAttribute,
                });
            }
            classes.retain(|c| is_plain_class(c));
        }
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i].0 {
            let level = *level;
            let given = id.as_deref().and_then(clean_id);
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j].0, Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j].0 {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = given.unwrap_or_else(|| slugify(&text));
            let base = if RESERVED_ID_PREFIXES
                .iter()
                .any(|p| base.to_ascii_lowercase().starts_with(p))
            {
                format!("h-{base}")
            } else {
                base
            };
            let mut unique = base.clone();
            let mut n = 1;
            while !used.insert(unique.to_ascii_lowercase()) {
                n += 1;
                unique = format!("{base}-{n}");
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i].0 {
                *id = Some(CowStr::from(unique.clone()));
            }
            if level != HeadingLevel::H1 {
                out.toc.push(TocEntry {
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

/// Footnote labels are written into ids and links as they are: name them
/// `fn-1`, `fn-2` … in order of appearance instead, so that a label can
/// never take an id of the page. Labels match regardless of case, as the
/// parser matches them.
fn rename_footnotes(events: &mut [(Event<'_>, std::ops::Range<usize>)]) {
    let mut names: HashMap<String, String> = HashMap::new();
    for (event, _) in events.iter_mut() {
        let label = match event {
            Event::FootnoteReference(l) | Event::Start(Tag::FootnoteDefinition(l)) => l,
            _ => continue,
        };
        let n = names.len() + 1;
        let name = names
            .entry(label.to_lowercase())
            .or_insert_with(|| format!("fn-{n}"));
        *label = CowStr::from(name.clone());
    }
}

/// The first word of a code fence's info becomes a class (`language-…`):
/// keep it only when it is a plain language name.
fn clean_code_info(events: &mut [(Event<'_>, std::ops::Range<usize>)]) {
    for (event, _) in events.iter_mut() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event {
            let lang = info.split(' ').next().unwrap_or("");
            let plain = lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#' | '.'));
            let kept = if plain && lang.len() <= 32 { lang } else { "" };
            *info = CowStr::from(kept.to_string());
        }
    }
}

/// Table columns are aligned with a class, not the `style` attribute that
/// the Markdown writer would use, so no page carries a style from content.
fn table_alignment_classes(events: &mut [(Event<'_>, std::ops::Range<usize>)]) {
    let mut aligns: Vec<Alignment> = Vec::new();
    let (mut head, mut col) = (false, 0);
    for (event, _) in events.iter_mut() {
        match event {
            Event::Start(Tag::Table(a)) => aligns = std::mem::take(a),
            Event::Start(Tag::TableHead) => (head, col) = (true, 0),
            Event::End(TagEnd::TableHead) => head = false,
            Event::Start(Tag::TableRow) => col = 0,
            Event::End(TagEnd::TableCell) => col += 1,
            Event::Start(Tag::TableCell) => {
                let class = match aligns.get(col) {
                    Some(Alignment::Left) => "align-left",
                    Some(Alignment::Center) => "align-center",
                    Some(Alignment::Right) => "align-right",
                    _ => continue,
                };
                let cell = if head { "th" } else { "td" };
                *event = Event::InlineHtml(CowStr::from(format!("<{cell} class=\"{class}\">")));
            }
            _ => {}
        }
    }
}

/// A CJK unified ideograph of the basic block, the bulk of a Chinese
/// heading: a letter without case, found without std's table look-ups
/// (`is_alphanumeric` and `to_lowercase` search tables for every character
/// past ASCII).
fn is_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Heading text to an id: letters and digits of any script kept, spaces to `-`.
pub fn slugify(text: &str) -> String {
    let mut s = String::new();
    for c in text.trim().chars() {
        if is_ideograph(c) {
            s.push(c);
        } else if c.is_alphanumeric() {
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
            let safe = SAFE_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme));
            if !safe {
                out.problems.push(problem(LinkProblemKind::UnsafeScheme));
                *dest = CowStr::Borrowed("");
            }
            continue;
        }
        let (decoded, fragment) = split_destination(dest);
        let fragment_href = fragment.map(|f| {
            let decoded = percent_encoding::percent_decode_str(f).decode_utf8_lossy();
            format!("#{}", encode_fragment(&decoded))
        });
        if decoded.is_empty() {
            if let Some(f) = fragment_href {
                *dest = CowStr::from(f);
            }
            continue;
        }
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

/// A relative link's destination as the path it names (query and fragment
/// dropped, percent-decoded; empty for a link to a place on the same page)
/// and its fragment as written.
fn split_destination(dest: &str) -> (String, Option<&str>) {
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    (decoded.into_owned(), fragment)
}

/// The paths under `content/` that the Markdown `body` of a report in the
/// folder `dir` links to, as [`render`] resolves them, without rendering it:
/// what a draft uses (its files stay out of the site unless a published
/// report uses them too).
pub fn link_paths(body: &str, dir: &str) -> Vec<String> {
    Parser::new_ext(body, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url)
            }
            _ => None,
        })
        .filter(|dest| has_scheme(dest).is_none())
        .filter_map(|dest| {
            let (path, _) = split_destination(&dest);
            (!path.is_empty()).then(|| join_relative(dir, &path))?
        })
        .collect()
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

/// Link schemes a report may use; any other is left out with a warning.
const SAFE_SCHEMES: &[&str] = &["http", "https", "mailto", "tel", "ftp", "file"];

/// The allow-list every rendered body goes through (unless the config allows
/// raw HTML): ammonia's tags and attributes for text, plus ids and plain
/// classes (never a page's own id), disabled checkboxes for task lists, and
/// only the link schemes above. No `style`, no event handler, no script.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["id", "class"])
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .set_tag_attribute_value("input", "disabled", "")
        .url_schemes(SAFE_SCHEMES.iter().copied().collect())
        .link_rel(None)
        .attribute_filter(|_element, attribute, value| match attribute {
            "id" => clean_id(value)
                .filter(|id| !is_reserved_id(id) || is_footnote_id(id))
                .map(Cow::Owned),
            "class" => {
                let kept: Vec<&str> = value
                    .split_whitespace()
                    .filter(|c| is_plain_class(c))
                    .collect();
                (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
            }
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

fn sanitize(html: &str) -> String {
    // Serialised to bytes, not through `Display` (which checks the bytes
    // with std's slower UTF-8 check and copies them once more).
    let mut out = Vec::with_capacity(html.len() + html.len() / 8);
    SANITIZER
        .clean(html)
        .write_to(&mut out)
        .expect("writing to memory fails only when out of memory");
    crate::text::utf8_string(out).expect("html5ever writes UTF-8")
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
    fn link_paths_are_the_paths_render_resolves() {
        let md = "[b](b.md#二、问题) [表](%E9%99%84%E8%A1%A8.csv?x=1) ![图](../img/a.png) [上](../../x.md) \
                  [js](javascript:alert(1)) [w](https://example.org/a.md) [节](#一) [根](/2019/c.md)\n\n\
                  [ref]\n\n[ref]: 子/d.pdf\n\n`[code](e.md)`\n";
        let rendered: Vec<String> = render_str(md)
            .resolved
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            rendered,
            [
                "2020/b.md",
                "2020/附表.csv",
                "img/a.png",
                "2019/c.md",
                "2020/子/d.pdf"
            ]
        );
        assert_eq!(link_paths(md, "2020"), rendered);
    }

    #[test]
    fn ideographs_are_letters_without_case() {
        for c in ('\u{4e00}'..='\u{9fff}').filter(|c| is_ideograph(*c)) {
            assert!(c.is_alphanumeric(), "U+{:04X}", c as u32);
            assert!(c.to_lowercase().eq([c]), "U+{:04X}", c as u32);
        }
        assert!(!is_ideograph('\u{3007}') && !is_ideograph('\u{a000}') && !is_ideograph('A'));
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

    /// Issue #12 item 1: what Markdown writes into attributes is cleaned
    /// even when the report has no raw HTML.
    #[test]
    fn heading_attributes_keep_only_ids_and_plain_classes() {
        let r = render_str(
            "## 一、基本情况 {tabindex=0 autofocus onfocus=document.title='x'}\n\n\
             ## 二 {#main .note .x\"y style=position:fixed;inset:0 onclick=x}\n\n\
             ## 三 {#dg-q}\n\n## 四 {#DANGAN_ROOT}\n",
        );
        for bad in [
            "onfocus",
            "onclick",
            "autofocus",
            "tabindex",
            "style",
            "x\"y",
            "x&quot;y",
        ] {
            assert!(!r.html.contains(bad), "{bad} in {}", r.html);
        }
        assert!(r.html.contains("<h2 id=\"一基本情况\">"), "{}", r.html);
        assert!(
            r.html.contains("<h2 id=\"main-2\" class=\"note\">"),
            "{}",
            r.html
        );
        assert!(r.html.contains("<h2 id=\"h-dg-q\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"h-DANGAN_ROOT\">"), "{}", r.html);
        let dropped: Vec<_> = r.problems.iter().map(|p| p.target.as_str()).collect();
        assert_eq!(
            dropped,
            [
                "tabindex",
                "autofocus",
                "onfocus",
                "style",
                "onclick",
                ".x\"y"
            ]
        );
        assert!(
            r.problems
                .iter()
                .all(|p| p.kind == LinkProblemKind::HeadingAttribute)
        );
    }

    #[test]
    fn footnotes_code_fences_and_tables_write_no_content_into_ids_classes_or_styles() {
        let r = render_str(
            "注[^main]\n\n[^main]: 脚注\n\n```js\" onclick=\"x\ncode\n```\n\n\
             | a | b |\n|:--|--:|\n| 1 | 2 |\n",
        );
        assert!(!r.html.contains("id=\"main\""), "{}", r.html);
        assert!(r.html.contains("href=\"#fn-1\""), "{}", r.html);
        assert!(r.html.contains("id=\"fn-1\""), "{}", r.html);
        assert!(r.html.contains("<pre><code>code"), "{}", r.html);
        assert!(!r.html.contains("style="), "{}", r.html);
        assert!(
            r.html.contains("<th class=\"align-left\">a</th>"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<td class=\"align-right\">2</td>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn raw_html_keeps_no_script_url_style_or_page_id() {
        let r = render_str(
            "<div id=main style=\"position:fixed\" class=\"a b<c\">x</div>\n\n\
             <p id=DANGAN_SEARCH_KEEP_UNITS>y</p>\n\n\
             <a href=\"javascript:alert(1)\">j</a> <img src=\"data:image/png;base64,xx\" onerror=alert(1)>\n\n\
             - [ ] <input type=text autofocus onfocus=x>\n",
        );
        for bad in [
            "main",
            "style",
            "javascript",
            "data:",
            "onerror",
            "onfocus",
            "autofocus",
            "text",
            "DANGAN",
        ] {
            assert!(!r.html.contains(bad), "{bad} in {}", r.html);
        }
        assert!(r.html.contains("<div class=\"a\">x</div>"), "{}", r.html);
    }
}
