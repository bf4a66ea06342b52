//! Chinese outline markers at the start of a line: 第一部分, 一、, （一）, 1. / 1、,
//! （1）, ①, with their numbers.

use std::sync::LazyLock;

use regex::Regex;

use super::text::chinese_number;

/// Outline levels, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Level {
    /// 第一部分 / 第一章 / 第一节
    Part,
    /// 一、
    Section,
    /// （一）
    Subsection,
    /// 1. 1、 1．
    Item,
    /// （1）
    SubItem,
    /// ①
    Circled,
}

/// A marker found at the start of a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker {
    pub level: Level,
    pub number: u32,
    /// Byte length of the marker with its punctuation (and following spaces).
    pub len: usize,
}

const CN: &str = "[一二三四五六七八九十]{1,3}";

static PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^第({CN})(部分|章|节)[、：:，,．.\s]*")).unwrap());
static SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^({CN})\s*[、，,．.]\s*")).unwrap());
static SUBSECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^[（(]\s*({CN})\s*[）)]\s*[、，,．.]?\s*")).unwrap());
static ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,2})\s*([、．.])\s*").unwrap());
static SUBITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[（(]\s*(\d{1,2})\s*[）)]\s*[、，,．.]?\s*").unwrap());

/// The outline marker `s` starts with, if any.
pub(crate) fn marker(s: &str) -> Option<Marker> {
    let cn = |re: &Regex, level| {
        let c = re.captures(s)?;
        Some(Marker {
            level,
            number: chinese_number(&c[1])?,
            len: c[0].len(),
        })
    };
    if let Some(m) = cn(&PART, Level::Part).or_else(|| cn(&SECTION, Level::Section)) {
        return Some(m);
    }
    if let Some(m) = cn(&SUBSECTION, Level::Subsection) {
        return Some(m);
    }
    if let Some(c) = ITEM.captures(s) {
        let rest = &s[c[0].len()..];
        // "1.5亿" is a number, not an item; neither is "2. " followed by nothing.
        let decimal = &c[2] == "." && rest.starts_with(|ch: char| ch.is_ascii_digit());
        if !decimal && !rest.trim().is_empty() {
            return Some(Marker {
                level: Level::Item,
                number: c[1].parse().ok()?,
                len: c[0].len(),
            });
        }
    }
    if let Some(c) = SUBITEM.captures(s) {
        return Some(Marker {
            level: Level::SubItem,
            number: c[1].parse().ok()?,
            len: c[0].len(),
        });
    }
    let first = s.chars().next()?;
    ('①'..='⑳').contains(&first).then(|| Marker {
        level: Level::Circled,
        number: first as u32 - '①' as u32 + 1,
        len: first.len_utf8(),
    })
}

/// Markers of level `level` inside `s` that open a new paragraph: at the start
/// or right after a sentence end or colon (not a semicolon: "；二、" is an
/// inline list). Returns their byte offsets.
pub(crate) fn inline_markers(s: &str, level: Level) -> Vec<(usize, Marker)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let mut prev2: Option<char> = None;
    for (i, c) in s.char_indices() {
        let after_end = match (prev2, prev) {
            (_, None) => true,
            (_, Some(p)) if opens_after(p) => true,
            (Some(p2), Some('”' | '"' | '）' | ')')) => opens_after(p2),
            _ => false,
        };
        if after_end && let Some(m) = marker(&s[i..]).filter(|m| m.level == level) {
            out.push((i, m));
        }
        prev2 = prev;
        prev = Some(c);
    }
    out
}

fn opens_after(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '：' | ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(s: &str) -> Option<(Level, u32)> {
        marker(s).map(|m| (m.level, m.number))
    }

    #[test]
    fn recognises_levels() {
        assert_eq!(lvl("一、党建工作落实情况"), Some((Level::Section, 1)));
        assert_eq!(lvl("十二、其他"), Some((Level::Section, 12)));
        assert_eq!(lvl("（三）下步打算"), Some((Level::Subsection, 3)));
        assert_eq!(lvl("(二)、党组织活动开展"), Some((Level::Subsection, 2)));
        assert_eq!(lvl("3.精准供给保障"), Some((Level::Item, 3)));
        assert_eq!(lvl("2、XX镇干部队伍建设情况"), Some((Level::Item, 2)));
        assert_eq!(lvl("（1）加强领导"), Some((Level::SubItem, 1)));
        assert_eq!(lvl("②建筑业产值"), Some((Level::Circled, 2)));
        assert_eq!(lvl("第二部分 存在问题"), Some((Level::Part, 2)));
    }

    #[test]
    fn rejects_look_alikes() {
        for s in [
            "一是思想认识不够",
            "1.5亿元",
            "2012年8月",
            "十九大以来",
            "一些企业",
        ] {
            assert_eq!(lvl(s), None, "{s}");
        }
    }

    #[test]
    fn markers_inside_a_flattened_line() {
        let s = "调研报告如下:一、主要做法近年来。(一)机关党建。二、现实问题虽然。做到一、二";
        let found: Vec<u32> = inline_markers(s, Level::Section)
            .iter()
            .map(|(_, m)| m.number)
            .collect();
        assert_eq!(found, [1, 2]);
        assert_eq!(inline_markers(s, Level::Subsection).len(), 1);
    }
}
