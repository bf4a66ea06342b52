//! Markdown output: the front matter (strict YAML, double-quoted strings) and
//! the body blocks, with Markdown syntax characters escaped so that
//! placeholders such as ****, ____ and × render exactly as written.

use super::structure::Block;
use crate::load::front_matter::quote;

/// Front matter values of one report.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fields {
    /// The input, as recorded in the report (see `write::source_line`).
    pub source: String,
    pub title: String,
    pub unit: Option<String>,
    pub date: Option<String>,
    pub kind: Option<String>,
}

/// What a field left empty needs, written into a draft's front matter.
fn todo(field: &str) -> &'static str {
    match field {
        "date" => "add `date: YYYY-MM-DD` (or YYYY-MM) from the report's signature or its context",
        "unit" => "add `unit: ` and the unit that wrote the report",
        _ => "add `type: ` and the kind of report (调研报告, 工作总结 …)",
    }
}

/// The complete file: front matter, blank line, body.
pub(crate) fn render(fields: &Fields, blocks: &[Block]) -> String {
    let mut out = String::from("---\n");
    out.push_str(&super::write::source_line(&fields.source));
    out.push('\n');
    out.push_str(&format!("title: {}\n", quote(&fields.title)));
    let optional = [
        ("unit", &fields.unit),
        ("date", &fields.date),
        ("type", &fields.kind),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            out.push_str(&format!("{key}: {}\n", quote(v)));
        }
    }
    let missing: Vec<&str> = optional
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        // Written, but kept out of the site until someone completes it.
        for key in &missing {
            out.push_str(&format!("# {key} not found in the text: {}\n", todo(key)));
        }
        out.push_str("# then delete the next line to publish the report\n");
        out.push_str("draft: true\n");
    }
    out.push_str("---\n\n");
    out.push_str(&body(blocks));
    out
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The Markdown body: blocks separated by blank lines, list items by newlines.
pub(crate) fn body(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut prev_list = false;
    for b in blocks {
        let is_list = matches!(b, Block::List { .. });
        if !out.is_empty() {
            out.push_str(if is_list && prev_list { "\n" } else { "\n\n" });
        }
        out.push_str(&block(b));
        prev_list = is_list;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn block(b: &Block) -> String {
    match b {
        Block::Heading { level, text } => {
            format!("{} {}", "#".repeat(usize::from(*level)), escape(text))
        }
        Block::Para { text, bold } if *bold > 0 && *bold < text.len() => {
            format!("**{}**{}", escape(&text[..*bold]), escape(&text[*bold..]))
        }
        Block::Para { text, .. } => escape_start(&escape(text)),
        Block::List {
            ordered,
            depth,
            marker,
            text,
        } => {
            let indent = "    ".repeat(usize::from(*depth));
            let number = marker.trim_end_matches(['.', ')', '．', '、']);
            let bullet = match (ordered, number.parse::<u32>()) {
                (true, Ok(n)) => format!("{n}."),
                (true, Err(_)) if !marker.is_empty() => format!("- {}", escape(marker)),
                _ => "-".to_string(),
            };
            format!("{indent}{bullet} {}", escape(text))
        }
        Block::Table(rows) => table(rows),
    }
}

/// A pipe table; the first row is the header, short rows are padded.
fn table(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let row = |r: &Vec<String>| {
        let mut cells: Vec<String> = r.iter().map(|c| escape(&one_line(c.trim()))).collect();
        cells.resize(width, String::new());
        format!("| {} |", cells.join(" | "))
    };
    let mut lines = vec![row(&rows[0]), format!("|{}", " --- |".repeat(width))];
    lines.extend(rows[1..].iter().map(row));
    lines.join("\n")
}

/// Backslash-escapes Markdown's inline syntax characters.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_[]<>#|~{}&$".contains(c) {
            out.push('\\');
        }
        out.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    out
}

/// Escapes what would open a block at the start of a paragraph: "- ", "+ ",
/// "1. ", "1) ", "===" (the rest was escaped by `escape`).
fn escape_start(s: &str) -> String {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let after = &s[digits..];
    if digits > 0
        && digits < 10
        && (after.starts_with(". ") || after.starts_with(") ") || after == "." || after == ")")
    {
        return format!("{}\\{}", &s[..digits], after);
    }
    if s.starts_with(['-', '+', '=']) {
        return format!("\\{s}");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_quotes_strings() {
        let f = Fields {
            source: "a.txt".into(),
            title: "关于\"两新\"组织的\\调研报告".into(),
            unit: Some("某单位".into()),
            date: Some("2012-08".into()),
            kind: Some("调研报告".into()),
        };
        let md = render(&f, &[]);
        assert!(md.starts_with("---\n# imported from a.txt by dangan import\ntitle: \"关于\\\"两新\\\"组织的\\\\调研报告\"\n"));
        assert!(md.contains("date: \"2012-08\"\n"));
    }

    #[test]
    fn placeholders_survive_escaping() {
        assert_eq!(escape("****镇"), "\\*\\*\\*\\*镇");
        assert_eq!(escape("“____、____”"), "“\\_\\_\\_\\_、\\_\\_\\_\\_”");
        assert_eq!(escape_start("1. 开头"), "1\\. 开头");
        assert_eq!(escape_start("1.强化"), "1.强化");
        assert_eq!(escape_start("- 3 -"), "\\- 3 -");
    }

    #[test]
    fn blocks_render() {
        let blocks = vec![
            Block::Heading {
                level: 2,
                text: "一、基本情况".into(),
            },
            Block::Para {
                text: "1.强化意识。先后召开会议。".into(),
                bold: "1.强化意识".len(),
            },
            Block::List {
                ordered: true,
                depth: 0,
                marker: "1.".into(),
                text: "甲".into(),
            },
            Block::List {
                ordered: true,
                depth: 0,
                marker: "2.".into(),
                text: "乙".into(),
            },
            Block::Table(vec![
                vec!["项目".into(), "金额".into()],
                vec!["甲|乙".into()],
            ]),
        ];
        assert_eq!(
            body(&blocks),
            "## 一、基本情况\n\n**1.强化意识**。先后召开会议。\n\n1. 甲\n2. 乙\n\n| 项目 | 金额 |\n| --- | --- |\n| 甲\\|乙 |  |\n"
        );
    }
}
