//! Splits a report into YAML front matter and Markdown body, and reads the fields.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_saphyr::Spanned;

use crate::diag::Diagnostic;

/// The front matter fields a report may have.
pub const KNOWN_FIELDS: &[&str] = &[
    "title", "unit", "date", "type", "tags", "summary", "author", "draft", "slug", "aliases",
];

/// Field names people write in Chinese, with the field they mean.
const CHINESE_FIELDS: &[(&str, &str)] = &[
    ("标题", "title"),
    ("题目", "title"),
    ("单位", "unit"),
    ("日期", "date"),
    ("时间", "date"),
    ("类型", "type"),
    ("类别", "type"),
    ("标签", "tags"),
    ("关键词", "tags"),
    ("摘要", "summary"),
    ("作者", "author"),
    ("草稿", "draft"),
    ("别名", "aliases"),
    ("旧地址", "aliases"),
];

/// A report file cut in two.
#[derive(Debug)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// Line of the file where the YAML starts (the line after the opening `---`).
    pub yaml_line: usize,
    pub body: &'a str,
    /// Line of the file where the body starts.
    pub body_line: usize,
}

/// Cuts `text` at its `---` fences. The error is a complete diagnostic.
pub fn split<'a>(path: &str, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Diagnostic::error(path, "the file is empty").line(1).hint(
            "a report starts with front matter, for example:\n  ---\n  unit: 市委办公室\n  date: 2021-03-05\n  type: 调研报告\n  ---",
        ));
    }
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(Diagnostic::error(path, "the report has no front matter: its first line is not `---`")
            .at(1, 1)
            .hint("begin the file with a line `---`, then `unit:`, `date:` and `type:` lines, then another `---` line, then the text"));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[offset + line.len()..],
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::error(
        path,
        "the front matter is never closed: there is no second `---` line",
    )
    .at(1, 1)
    .hint("add a line `---` after the last front matter field (for example after `type: …`)"))
}

/// The front matter as written, before validation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub unit: Option<String>,
    pub date: Option<String>,
    pub kind: Option<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub draft: bool,
    pub slug: Option<String>,
    /// Old addresses of the report as written, each with its line.
    pub aliases: Vec<(String, usize)>,
    /// Line of each field that was present, for later messages.
    pub lines: BTreeMap<String, usize>,
    /// The YAML could not be read at all (already reported).
    pub unreadable: bool,
    /// Fields present but of the wrong kind (already reported).
    pub invalid: std::collections::BTreeSet<String>,
}

/// Parses the YAML of `split`; every problem becomes a diagnostic, and the
/// fields that could be read are returned even when others are wrong.
pub fn parse(path: &str, split: &Split<'_>) -> (FrontMatter, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut fm = FrontMatter::default();
    if split.yaml.trim().is_empty() {
        diags.push(
            Diagnostic::error(path, "the front matter is empty")
                .line(split.yaml_line - 1)
                .hint("write `unit:`, `date:` and `type:` lines between the two `---` lines"),
        );
        fm.unreadable = true;
        return (fm, diags);
    }
    let map: BTreeMap<String, Spanned<Value>> = match serde_saphyr::from_str(split.yaml) {
        Ok(m) => m,
        Err(e) => {
            diags.push(yaml_error(path, split, &e));
            fm.unreadable = true;
            return (fm, diags);
        }
    };
    let key_line = |key: &str| key_line(split, key);
    for (key, value) in &map {
        let line = key_line(key).unwrap_or(split.yaml_line + value.referenced.line() as usize - 1);
        fm.lines.insert(key.clone(), line);
        let at = |d: Diagnostic| d.at(line, 1).field(key.clone());
        let v = &value.value;
        match key.as_str() {
            "title" => fm.title = scalar(path, key, v, &mut diags, at),
            "unit" => fm.unit = scalar(path, key, v, &mut diags, at),
            "date" => fm.date = scalar(path, key, v, &mut diags, at),
            "type" => fm.kind = scalar(path, key, v, &mut diags, at),
            "summary" => fm.summary = scalar(path, key, v, &mut diags, at),
            "author" => fm.author = scalar(path, key, v, &mut diags, at),
            "slug" => fm.slug = scalar(path, key, v, &mut diags, at),
            "tags" => fm.tags = tags(path, v, &mut diags, at),
            "aliases" => fm.aliases = aliases(path, split, line, v, &mut diags, at),
            "draft" => match v {
                Value::Bool(b) => fm.draft = *b,
                Value::Null => {}
                _ => diags.push(
                    at(Diagnostic::error(
                        path,
                        format!("must be true or false, not {}", describe(v)),
                    ))
                    .hint("write `draft: true` to keep the report unpublished, or remove the line"),
                ),
            },
            other => diags.push(unknown_field(path, other, line)),
        }
        if diags
            .iter()
            .any(|d| d.field.as_deref() == Some(key.as_str()))
        {
            fm.invalid.insert(key.clone());
        }
    }
    (fm, diags)
}

/// The warnings for control characters written in the front matter (they
/// are taken out before the YAML is read): one per field, at its first one.
pub fn control_characters(path: &str, split: &Split<'_>) -> Vec<Diagnostic> {
    let mut found: Vec<(Option<String>, usize, crate::text::Unwanted)> = Vec::new();
    let mut key: Option<String> = None;
    for (i, line) in split.yaml.lines().enumerate() {
        if let Some((k, _)) = line.split_once(':')
            && !k.starts_with([' ', '\t', '-', '#'])
        {
            key = Some(k.trim().trim_matches(['"', '\'']).to_string());
        }
        let Some(u) = crate::text::find_unwanted(line) else {
            continue;
        };
        match found.last_mut() {
            Some((k, _, first)) if *k == key => first.count += u.count,
            _ => found.push((key.clone(), split.yaml_line + i, u)),
        }
    }
    found
        .into_iter()
        .map(|(field, line, u)| {
            let d = Diagnostic::warning(path, control_message(u.count, u.first)).line(line);
            match field {
                Some(f) => d.field(f),
                None => d,
            }
            .hint(CONTROL_HINT)
        })
        .collect()
}

fn control_message(count: usize, first: char) -> String {
    format!(
        "{count} invisible control character(s) ({}) are left out",
        crate::text::describe(first)
    )
}

const CONTROL_HINT: &str = "retype the value: control characters come from copying out of Word or a PDF; \
     they are never published (Word's line break becomes a space)";

/// A text value of the front matter as it will be shown: control characters
/// (which YAML escapes such as `\x0b` can write) out, lines joined.
fn clean_value(
    path: &str,
    s: &str,
    diags: &mut Vec<Diagnostic>,
    at: &impl Fn(Diagnostic) -> Diagnostic,
) -> String {
    if let Some(u) = crate::text::find_unwanted(s) {
        diags.push(
            at(Diagnostic::warning(path, control_message(u.count, u.first))).hint(CONTROL_HINT),
        );
    }
    crate::text::clean_line(s).trim().to_string()
}

/// The file line of a top-level `key:` in the YAML, if it can be found.
fn key_line(split: &Split<'_>, key: &str) -> Option<usize> {
    split.yaml.lines().enumerate().find_map(|(i, l)| {
        let rest = l.strip_prefix(key).or_else(|| {
            l.strip_prefix(&format!("\"{key}\""))
                .or_else(|| l.strip_prefix(&format!("'{key}'")))
        })?;
        rest.trim_start()
            .starts_with(':')
            .then_some(split.yaml_line + i)
    })
}

fn yaml_error(path: &str, split: &Split<'_>, e: &serde_saphyr::Error) -> Diagnostic {
    let msg = e.without_snippet().to_string();
    // The crate's message may end with its own "at line X column Y"; we give our own position.
    let msg = msg
        .split(" at line ")
        .next()
        .unwrap_or(&msg)
        .trim()
        .to_string();
    let mut d = Diagnostic::error(path, format!("the front matter is not valid YAML: {msg}"));
    if let Some(loc) = e.location() {
        d = d.at(
            split.yaml_line + loc.line() as usize - 1,
            loc.column() as usize,
        );
    }
    d.hint("each front matter line is `name: value`; put values that contain `:` or start with `[`, `{`, `*`, `&`, `!`, `|`, `>`, `'`, `\"` or `%` in double quotes")
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a group of fields",
    }
}

/// A single text value; numbers are taken as their text.
fn scalar(
    path: &str,
    key: &str,
    v: &Value,
    diags: &mut Vec<Diagnostic>,
    at: impl Fn(Diagnostic) -> Diagnostic,
) -> Option<String> {
    match v {
        Value::String(s) => Some(clean_value(path, s, diags, &at)).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) => {
            let hint = if key == "unit" {
                "a report has one unit; name the other units in the text or in `tags`".to_string()
            } else {
                format!("write one value, e.g. `{key}: …`, not a list")
            };
            diags.push(
                at(Diagnostic::error(
                    path,
                    format!("is a list, but `{key}` takes a single text"),
                ))
                .hint(hint),
            );
            None
        }
        Value::Object(_) => {
            diags.push(
                at(Diagnostic::error(
                    path,
                    format!("is a group of fields, but `{key}` takes a single text"),
                ))
                .hint(format!(
                    "write `{key}: …` on one line; put text containing `: ` in double quotes"
                )),
            );
            None
        }
    }
}

fn tags(
    path: &str,
    v: &Value,
    diags: &mut Vec<Diagnostic>,
    at: impl Fn(Diagnostic) -> Diagnostic,
) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Null => {}
        Value::String(s) => {
            let s = clean_value(path, s, diags, &at);
            out.extend(
                s.split([',', '，', '、'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
            )
        }
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) if !s.trim().is_empty() => {
                        out.push(clean_value(path, s, diags, &at));
                    }
                    Value::Number(n) => out.push(n.to_string()),
                    Value::String(_) | Value::Null => {}
                    other => diags.push(
                        at(Diagnostic::error(
                            path,
                            format!(
                                "has an item that is {}, but tags are texts",
                                describe(other)
                            ),
                        ))
                        .hint("write tags as a list of words: `tags: [党建, 基层治理]`"),
                    ),
                }
            }
        }
        other => diags.push(
            at(Diagnostic::error(
                path,
                format!("is {}, but tags are a list of texts", describe(other)),
            ))
            .hint("write tags as a list of words: `tags: [党建, 基层治理]`"),
        ),
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

/// The texts of `aliases:` (one text, or a list of texts), each with the
/// line it is written on: its own line in a block list, else the key's.
fn aliases(
    path: &str,
    split: &Split<'_>,
    key_line: usize,
    v: &Value,
    diags: &mut Vec<Diagnostic>,
    at: impl Fn(Diagnostic) -> Diagnostic,
) -> Vec<(String, usize)> {
    let hint = "write the old addresses as a list: `aliases: [2019/旧报告.md, 2019/旧报告.html]`";
    let items: &[Value] = match v {
        Value::Null => &[],
        Value::Array(items) => items,
        one => std::slice::from_ref(one),
    };
    let yaml_lines: Vec<&str> = split.yaml.lines().collect();
    // Items are searched for in order, each from the line after the previous one's.
    let mut from = key_line;
    let mut out = Vec::new();
    for item in items {
        let text = match item {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            other => {
                diags.push(
                    at(Diagnostic::error(
                        path,
                        format!(
                            "has an item that is {}, but each alias is one address",
                            describe(other)
                        ),
                    ))
                    .hint(hint),
                );
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let line = (from..split.yaml_line + yaml_lines.len())
            .find(|l| {
                yaml_lines
                    .get(l - split.yaml_line)
                    .is_some_and(|t| t.contains(text.as_str()))
            })
            .unwrap_or(key_line);
        if line > key_line {
            from = line + 1;
        }
        out.push((text, line));
    }
    out
}

fn unknown_field(path: &str, key: &str, line: usize) -> Diagnostic {
    let d = Diagnostic::warning(path, format!("unknown field `{key}` is ignored"))
        .at(line, 1)
        .field(key);
    match closest_field(key) {
        Some(known) => d.hint(format!("did you mean `{known}`?")),
        None => d.hint(format!("the known fields are {}", KNOWN_FIELDS.join(", "))),
    }
}

/// The known field closest to `key`: a Chinese name, or a small misspelling.
pub fn closest_field(key: &str) -> Option<&'static str> {
    let lower = key.trim().to_lowercase();
    if let Some((_, f)) = CHINESE_FIELDS.iter().find(|(zh, _)| *zh == lower) {
        return Some(f);
    }
    KNOWN_FIELDS
        .iter()
        .map(|f| (strsim::damerau_levenshtein(&lower, f), *f))
        .filter(|(d, f)| *d <= 2 && *d < f.len())
        .min()
        .map(|(_, f)| f)
}

/// A value as `new` and `import` write it into front matter: a YAML
/// double-quoted scalar on one line, which `parse` reads back as the same
/// text. A field is one line, so line breaks and tabs become spaces;
/// characters that would be invisible in an editor (control characters,
/// line separators, byte order marks, bidirectional overrides) are written
/// as `\u` escapes, so that the person editing the file sees them.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_read_back_as_written() {
        let hostile = [
            "关于\"某事\"的报告",
            "C:\\报告\\",
            "a: b # not a comment",
            "---",
            "- [x] {y} & *z ! % @ `q` '",
            "第一行\n第二行\r\n\t第三行",
            "响\u{7}铃\u{0}空\u{1b}[31m\u{7f}\u{85}",
            "分\u{2028}行\u{2029}段\u{feff}",
            "\u{202e}txt.exe",
            "😀 ２０２０",
        ];
        for value in hostile {
            let text = format!(
                "---\ntitle: {}\nunit: 单位\ndate: 2020-01-01\ntype: 调研报告\n---\n正文\n",
                quote(value)
            );
            let (fm, d) = parse_str(&text);
            // Control characters are read back too, then taken out of the
            // value with a warning (#12 item 7: they reach no output).
            let controls = crate::text::find_unwanted(value).is_some();
            assert_eq!(d.len(), usize::from(controls), "{value:?}: {d:?}");
            assert!(
                d.iter().all(|d| d.field.as_deref() == Some("title")),
                "{d:?}"
            );
            let one_line = crate::text::clean_line(value);
            assert_eq!(fm.title.as_deref(), Some(one_line.trim()), "{text}");
            let line = text.lines().nth(1).unwrap();
            assert!(
                !line
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{feff}' | '\u{202e}')),
                "nothing invisible in the file: {line:?}"
            );
        }
    }

    fn parse_str(text: &str) -> (FrontMatter, Vec<Diagnostic>) {
        let s = split("a.md", text).unwrap();
        parse("a.md", &s)
    }

    #[test]
    fn reads_fields_and_lines() {
        let (fm, d) = parse_str(
            "---\ntitle: 关于某事的调研报告\nunit: 市委办公室\ndate: 2021-03-05\ntype: 调研报告\ntags: [党建, 基层治理]\n---\n正文\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(fm.unit.as_deref(), Some("市委办公室"));
        assert_eq!(fm.date.as_deref(), Some("2021-03-05"));
        assert_eq!(fm.tags, vec!["党建", "基层治理"]);
        assert_eq!(fm.lines["unit"], 3);
    }

    #[test]
    fn unknown_field_suggests_the_closest() {
        let (_, d) = parse_str("---\nuint: 市委\n---\n");
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `unit`?"));
        assert_eq!(d[0].line, Some(2));
        let (_, d) = parse_str("---\n单位: 市委\n---\n");
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `unit`?"));
    }

    #[test]
    fn list_where_a_string_belongs() {
        let (_, d) = parse_str("---\nunit:\n  - 市委\n  - 区委\ndate: 2021-03-05\n---\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("is a list"), "{}", d[0].message);
        assert_eq!(d[0].field.as_deref(), Some("unit"));
        assert_eq!(d[0].line, Some(2));
    }

    #[test]
    fn bad_yaml_names_its_line() {
        let (_, d) = parse_str("---\nunit: 市委\ntitle: [未闭合\ndate: 2021-03-05\n---\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("not valid YAML"), "{}", d[0].message);
        assert!(d[0].line.unwrap() >= 3, "{:?}", d[0]);
    }

    #[test]
    fn fences_and_empty_files() {
        assert!(split("a.md", "").unwrap_err().message.contains("empty"));
        assert!(
            split("a.md", "正文\n")
                .unwrap_err()
                .message
                .contains("no front matter")
        );
        assert!(
            split("a.md", "---\nunit: x\n正文")
                .unwrap_err()
                .message
                .contains("never closed")
        );
        let s = split("a.md", "\u{feff}---\r\nunit: x\r\n---\r\n正文").unwrap();
        assert_eq!(s.body, "正文");
        assert_eq!(s.body_line, 4);
    }
}
