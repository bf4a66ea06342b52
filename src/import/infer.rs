//! Front matter inference: `type` from the title's report word, `date` from a
//! date line or the opening paragraph, `unit` from the title, "我代表…" or the
//! signature. Each inference says where it came from.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::ReportDate;

use super::read::Line;
use super::text::{
    char_len, chinese_number, has_placeholder, is_clause_punct, is_sentence_end, trim_ws,
};

/// Report words in titles and the `type` each means; the first match wins.
const KINDS: &[(&str, &str)] = &[
    ("调研报告", "调研报告"),
    ("调查报告", "调查报告"),
    ("述职报告", "述职报告"),
    ("述职述廉", "述职报告"),
    ("汇报提纲", "汇报提纲"),
    ("提纲", "汇报提纲"),
    ("汇报材料", "汇报材料"),
    ("汇报", "汇报材料"),
    ("工作总结", "工作总结"),
    ("总结", "工作总结"),
    ("讲话稿", "讲话稿"),
    ("讲话", "讲话稿"),
    ("致辞", "讲话稿"),
    ("发言", "发言材料"),
    ("工作计划", "工作计划"),
    ("计划", "工作计划"),
    ("要点", "工作要点"),
    ("实施方案", "实施方案"),
    ("方案", "工作方案"),
    ("心得体会", "心得体会"),
    ("体会", "心得体会"),
    ("纪要", "会议纪要"),
    ("请示", "请示"),
    ("通知", "通知"),
    ("实施意见", "实施意见"),
    ("调研", "调研报告"),
    ("报告", "工作报告"),
];

/// True when `s` could be a title.
pub(crate) fn title_like(s: &str) -> bool {
    let s = trim_ws(s);
    let n = char_len(s);
    let commas = s.chars().filter(|&c| is_clause_punct(c)).count();
    (2..=60).contains(&n)
        && commas <= 1
        && !s.contains('。')
        && !s
            .chars()
            .last()
            .is_some_and(|c| is_sentence_end(c) || matches!(c, '，' | ',' | '：' | ':' | '、'))
}

/// A title-like line that names a kind of report.
pub(crate) fn names_report_kind(s: &str) -> bool {
    title_like(s) && kind_word(s).is_some()
}

/// The report word of a title and the type it means.
pub(crate) fn kind_word(title: &str) -> Option<(&'static str, &'static str)> {
    KINDS.iter().find(|(w, _)| title.contains(w)).copied()
}

static DATE_CN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(\d{4}|[〇零○一二三四五六七八九]{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月",
        r"(?:\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号])?"
    ))
    .unwrap()
});
static YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{4})\s*年").unwrap());
static DATE_ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})[-./](\d{1,2})(?:[-./](\d{1,2}))?\b").unwrap());

/// A date found in text: (YYYY-MM or YYYY-MM-DD, byte range).
fn dates(s: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for re in [&*DATE_CN, &*DATE_ISO] {
        for c in re.captures_iter(s) {
            let num = |i: usize| c.get(i).and_then(|m| parse_num(m.as_str()));
            let (Some(y), Some(m)) = (num(1), num(2)) else {
                continue;
            };
            // A day that the month does not have leaves the month.
            let date = num(3)
                .and_then(|d| ReportDate::new(y, m, Some(d)).ok())
                .or_else(|| ReportDate::new(y, m, None).ok());
            if let Some(date) = date {
                out.push((date.to_string(), c.get(0).map_or(0..0, |m| m.range())));
            }
        }
    }
    out.sort_by_key(|(_, r)| r.start);
    out
}

fn parse_num(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    if char_len(s) == 4 {
        // 二〇一二 digit by digit
        let digits: Option<String> = s
            .chars()
            .map(|c| {
                "〇一二三四五六七八九"
                    .chars()
                    .position(|d| d == c || c == '零' && d == '〇' || c == '○' && d == '〇')
            })
            .map(|p| p.and_then(|p| char::from_digit(p as u32, 10)))
            .collect();
        return digits?.parse().ok();
    }
    chinese_number(s)
}

/// A line that is only a date (a report's dateline): "2012年8月", "（2020年3月5日）".
fn date_line(s: &str) -> Option<String> {
    let t = trim_ws(s).trim_matches(|c: char| "()（）[]【】".contains(c));
    let found = dates(t);
    let (value, range) = found.first()?;
    (range.start == 0 && range.end == t.len()).then(|| value.clone())
}

/// An inferred value and a description of where it came from.
pub(crate) type Found = (String, String);

/// `type` from the title.
pub(crate) fn infer_kind(title: &str) -> Option<Found> {
    let (word, kind) = kind_word(title)?;
    Some((kind.to_string(), format!("the title's word “{word}”")))
}

/// `date` from a date line at the end or under the title, the title, or the opening paragraph.
pub(crate) fn infer_date(title: &str, body: &[Line]) -> Option<Found> {
    let lines: Vec<&Line> = body
        .iter()
        .filter(|l| !trim_ws(&l.text).is_empty())
        .collect();
    let n = lines.len();
    for l in lines
        .iter()
        .rev()
        .take(4)
        .filter(|l| char_len(&l.text) <= 30)
    {
        if let Some(d) = date_line(&l.text) {
            return Some((
                d,
                format!(
                    "the date line at the end (line {}: “{}”)",
                    l.no,
                    trim_ws(&l.text)
                ),
            ));
        }
    }
    for l in lines.iter().take(3.min(n)) {
        if let Some(d) = date_line(&l.text) {
            return Some((
                d,
                format!(
                    "the date line under the title (line {}: “{}”)",
                    l.no,
                    trim_ws(&l.text)
                ),
            ));
        }
    }
    if let Some((d, _)) = dates(title).into_iter().next() {
        return Some((d, "the title".into()));
    }
    opening_date(&lines)
}

/// The only year-month named in the first paragraph of prose (its first 300 characters).
fn opening_date(lines: &[&Line]) -> Option<Found> {
    let first = lines
        .iter()
        .take(3)
        .find(|l| super::text::has_sentence_structure(&l.text))?;
    let head = &first.text[..super::text::byte_at_char(&first.text, 300)];
    let found = dates(head);
    let (value, range) = found.first()?;
    let month = &value[..7];
    let other_year = YEAR.captures_iter(head).any(|c| c[1] != value[..4]);
    if other_year || found.iter().any(|(v, _)| &v[..7] != month) {
        return None;
    }
    let quote = snippet(head, range.clone());
    Some((
        value.clone(),
        format!("the opening paragraph (line {}: “{quote}”)", first.no),
    ))
}

/// A few characters around `range` for the summary.
fn snippet(s: &str, range: std::ops::Range<usize>) -> String {
    let start = s[..range.start]
        .char_indices()
        .rev()
        .nth(5)
        .map_or(0, |(i, _)| i);
    let end = s[range.end..]
        .char_indices()
        .nth(10)
        .map_or(s.len(), |(i, _)| range.end + i);
    format!("…{}…", &s[start..end])
}

/// Endings of unit names.
const UNIT_ENDS: &[&str] = &[
    "委员会",
    "党工委",
    "工委",
    "党委",
    "党组",
    "支部",
    "政府",
    "街道",
    "社区",
    "中心",
    "公司",
    "集团",
    "协会",
    "工会",
    "联合会",
    "办公室",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "镇",
    "乡",
    "村",
    "局",
    "厅",
    "委",
    "办",
    "处",
    "科",
    "所",
    "院",
    "校",
    "部",
    "室",
    "站",
    "队",
    "馆",
];

/// A unit name: ends with a unit ending, no placeholder, no function words.
fn unit_name(s: &str) -> Option<String> {
    let s = trim_ws(s);
    let ok = (3..=20).contains(&char_len(s))
        && UNIT_ENDS.iter().any(|e| s.ends_with(e))
        && !has_placeholder(s)
        && !s.contains(['的', '，', ',', '、', ' ', '：', ':', '“', '"'])
        && ![
            "关于", "在", "向", "对", "于", "全", "本", "我", "各", "和", "与",
        ]
        .iter()
        .any(|p| s.starts_with(p));
    ok.then(|| s.to_string())
}

/// `unit` from the title's opening words, "我代表…", or the signature above a date line.
pub(crate) fn infer_unit(title: &str, body: &[Line]) -> Option<Found> {
    if let Some(u) = unit_from_title(title) {
        return Some((u, "the start of the title".into()));
    }
    static ON_BEHALF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"我代表([^，,。；：:\s]{2,20}?)(?:向|就|作|对|，|,)").unwrap()
    });
    for l in body.iter().take(6) {
        if let Some(u) = ON_BEHALF.captures(&l.text).and_then(|c| unit_name(&c[1])) {
            return Some((u, format!("“我代表…” (line {})", l.no)));
        }
    }
    let lines: Vec<&Line> = body
        .iter()
        .filter(|l| !trim_ws(&l.text).is_empty())
        .collect();
    let n = lines.len();
    for i in n.saturating_sub(3)..n {
        if date_line(&lines[i].text).is_some() && i > 0 {
            let sig = lines[i - 1];
            if let Some(u) = unit_name(&sig.text) {
                return Some((u, format!("the signature (line {})", sig.no)));
            }
        }
    }
    None
}

/// The longest unit name the title opens with, within its first 15 characters.
fn unit_from_title(title: &str) -> Option<String> {
    let t = trim_ws(title);
    let ends: Vec<usize> = t
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(15)
        .collect();
    ends.iter()
        .rev()
        .filter(|&&e| e < t.len() && !t[..e].chars().any(|c| c.is_ascii_digit()))
        .find_map(|&e| unit_name(&t[..e]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::split_lines;

    #[test]
    fn kinds_from_titles() {
        let k = |t: &str| infer_kind(t).map(|(k, _)| k);
        assert_eq!(k("向市委调研组的工作汇报提纲").as_deref(), Some("汇报提纲"));
        assert_eq!(
            k("XX镇城市基层党建工作的调研报告").as_deref(),
            Some("调研报告")
        );
        assert_eq!(k("2020年度工作总结").as_deref(), Some("工作总结"));
        assert_eq!(k("在全市经济工作会议上的讲话").as_deref(), Some("讲话稿"));
        assert_eq!(k("某局2021年工作计划").as_deref(), Some("工作计划"));
        assert_eq!(k("关于疫情防控工作的汇报材料").as_deref(), Some("汇报材料"));
        assert_eq!(k("基层治理的几点思考"), None);
    }

    #[test]
    fn dates_in_lines() {
        assert_eq!(date_line("2012年8月").as_deref(), Some("2012-08"));
        assert_eq!(
            date_line("（二〇二〇年三月五日）").as_deref(),
            Some("2020-03-05")
        );
        assert_eq!(date_line("2021-3-9").as_deref(), Some("2021-03-09"));
        assert_eq!(date_line("2020年×月初"), None);
        assert_eq!(date_line("2012年8月,XX镇通过召开座谈会"), None);
    }

    #[test]
    fn date_sources() {
        let body = split_lines("正文第一段，没有日期。\n中共某某镇委\n2012年8月\n");
        let (d, from) = infer_date("调研报告", &body).unwrap();
        assert_eq!(d, "2012-08");
        assert!(from.contains("line 3"), "{from}");
        let body = split_lines("为了解情况,2012年8月,我镇通过召开座谈会进行了调研。\n正文。\n");
        assert_eq!(infer_date("调研报告", &body).unwrap().0, "2012-08");
        let body = split_lines("下发2020年度清单，2020年×月初完成摸底，2019年5月启动。\n");
        assert_eq!(infer_date("汇报提纲", &body), None);
    }

    #[test]
    fn units() {
        let u = |t: &str| unit_from_title(t);
        assert_eq!(u("西火镇党建工作调研报告").as_deref(), Some("西火镇"));
        assert_eq!(u("市委办公室2020年工作总结").as_deref(), Some("市委办公室"));
        assert_eq!(u("XX镇城市基层党建工作的调研报告"), None);
        assert_eq!(u("向市委调研组的工作汇报提纲"), None);
        assert_eq!(u("全区农村工作会议上的讲话"), None);
        assert_eq!(u("党建工作调研报告"), None);
        let body = split_lines("尊敬的各位领导：\n我代表区财政局向大家汇报工作。\n");
        assert_eq!(infer_unit("工作汇报", &body).unwrap().0, "区财政局");
        let body = split_lines("正文。\n中共西火镇委员会\n2012年8月\n");
        assert_eq!(infer_unit("调研报告", &body).unwrap().0, "中共西火镇委员会");
    }
}
