//! Report body structure: splits a report flattened onto one line at its
//! outline markers, rejoins lines broken by copying from PDF, and turns lines
//! into blocks — 一、 → `##`, （一） → `###`, numbered items as `####` or with
//! a bold lead sentence, lists and tables from DOCX. Text is never rewritten.

use super::outline::{Level, Marker, inline_markers, marker};
use super::read::{Line, LineKind};
use super::text::{
    byte_at_char, char_len, has_sentence_structure, is_clause_punct, is_line_final, trim_ws,
};

/// A piece of the Markdown body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph; the first `bold` bytes are its lead sentence, set in bold.
    Para {
        text: String,
        bold: usize,
    },
    List {
        ordered: bool,
        depth: u8,
        marker: String,
        text: String,
    },
    Table(Vec<Vec<String>>),
}

/// Splits lines longer than 150 characters at outline markers that open a
/// new paragraph, when at least two such markers follow in sequence.
pub(crate) fn unflatten(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::new();
    for line in lines {
        let cuts = if line.kind == LineKind::Text && char_len(&line.text) > 150 {
            cuts(&line.text)
        } else {
            Vec::new()
        };
        if cuts.len() < 2 {
            out.push(line);
            continue;
        }
        let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c > 0).collect();
        bounds.insert(0, 0);
        bounds.push(line.text.len());
        for w in bounds.windows(2) {
            let part = trim_ws(&line.text[w[0]..w[1]]);
            if !part.is_empty() {
                out.push(Line {
                    no: line.no,
                    text: part.to_string(),
                    kind: LineKind::Text,
                });
            }
        }
    }
    out
}

/// Offsets of outline markers in a flattened line, kept only in sequence
/// (一 then 二 …; （一） restarting under each 一、; 1. under each （一））.
fn cuts(s: &str) -> Vec<usize> {
    let mut found: Vec<(usize, Marker)> = [Level::Section, Level::Subsection, Level::Item]
        .into_iter()
        .flat_map(|l| inline_markers(s, l))
        .collect();
    found.sort_by_key(|(i, _)| *i);
    let mut last = [0u32; 3];
    let mut out = Vec::new();
    for (i, m) in found {
        let k = match m.level {
            Level::Section => 0,
            Level::Subsection => 1,
            _ => 2,
        };
        if m.number == last[k] + 1 || k > 0 && m.number == 1 {
            last[k] = m.number;
            last.iter_mut().skip(k + 1).for_each(|n| *n = 0);
            out.push(i);
        }
    }
    out
}

/// Starts of sentences that enumerate and so begin a new line of their own.
const ENUM_STARTS: &[&str] = &[
    "一是",
    "二是",
    "三是",
    "四是",
    "五是",
    "六是",
    "七是",
    "八是",
    "九是",
    "十是",
    "首先",
    "其次",
    "再次",
    "最后",
    "第一，",
    "第二，",
    "第三，",
];

/// Rejoins a paragraph broken across lines (text copied from PDF): a long line
/// without final punctuation continues on the next source line.
pub(crate) fn join_broken(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    // Last source line that went into each output line.
    let mut last_no: Vec<usize> = Vec::new();
    for line in lines {
        if let (Some(prev), Some(last)) = (out.last_mut(), last_no.last_mut())
            && line.no > *last
            && continues(prev, &line)
        {
            let seam = prev
                .text
                .trim_end()
                .ends_with(|c: char| c.is_ascii_alphanumeric())
                && line
                    .text
                    .trim_start()
                    .starts_with(|c: char| c.is_ascii_alphanumeric());
            prev.text = format!(
                "{}{}{}",
                prev.text.trim_end(),
                if seam { " " } else { "" },
                trim_ws(&line.text)
            );
            *last = line.no;
            continue;
        }
        last_no.push(line.no);
        out.push(line);
    }
    out
}

/// `next` continues `prev` (lines removed between them do not matter).
fn continues(prev: &Line, next: &Line) -> bool {
    let (p, n) = (trim_ws(&prev.text), trim_ws(&next.text));
    prev.kind == LineKind::Text
        && next.kind == LineKind::Text
        && char_len(p) >= 40
        && !p.chars().last().is_some_and(is_line_final)
        && (marker(p).is_none() || char_len(p) > 80)
        && !n.is_empty()
        && marker(n).is_none()
        && !ENUM_STARTS.iter().any(|e| n.starts_with(e))
}

/// Heading levels for a body: 一、 → 2, （一） → 3, items → 4; one deeper when
/// the body also has 第一部分 parts. DOCX heading styles map N → N+1, or N
/// when the title was the document's only Heading 1.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Levels {
    pub parts: bool,
    pub docx_shift: bool,
}

/// Turns lines into blocks.
pub(crate) fn to_blocks(lines: &[Line], levels: Levels) -> Vec<Block> {
    let mut st = State {
        levels,
        last_section: 0,
        run: None,
    };
    let mut out = Vec::new();
    for l in lines {
        let t = trim_ws(&l.text);
        match &l.kind {
            _ if t.is_empty() && !matches!(l.kind, LineKind::Table(_)) => {}
            LineKind::Table(rows) => out.push(Block::Table(rows.clone())),
            LineKind::ListItem {
                ordered,
                depth,
                marker,
            } => out.push(Block::List {
                ordered: *ordered,
                depth: *depth,
                marker: marker.clone(),
                text: t.to_string(),
            }),
            LineKind::Heading(n) => {
                if let Some(m) = marker(t).filter(|m| m.level == Level::Section) {
                    st.last_section = m.number;
                }
                let level = if levels.docx_shift { *n } else { n + 1 };
                out.push(Block::Heading {
                    level: level.clamp(2, 6),
                    text: t.to_string(),
                });
            }
            LineKind::Text | LineKind::DocTitle => out.extend(st.text_blocks(t)),
        }
    }
    out
}

struct State {
    levels: Levels,
    last_section: u32,
    /// Last number of a run of 一、二、… used as list items inside a section.
    run: Option<u32>,
}

impl State {
    fn text_blocks(&mut self, t: &str) -> Vec<Block> {
        let Some(m) = marker(t) else {
            self.run = None;
            return vec![para(t, 0)];
        };
        let deeper = u8::from(self.levels.parts);
        match m.level {
            Level::Part => heading_or_para(t, m, 2),
            Level::Section => {
                let continues_run = self.run.is_some_and(|k| m.number == k + 1);
                // 一、 again inside a section opens a list; a repeated 二、 is the author's slip.
                let restart = self.last_section > 0
                    && m.number <= self.last_section
                    && (m.number == 1 || !whole_heading(t));
                if continues_run || restart {
                    self.run = Some(m.number);
                    return vec![lead_para(t, m)];
                }
                self.run = None;
                self.last_section = m.number;
                heading_or_para(t, m, 2 + deeper)
            }
            Level::Subsection => {
                self.run = None;
                heading_or_para(t, m, 3 + deeper)
            }
            Level::Item if whole_heading(t) && char_len(t) <= 30 && !has_sentence_structure(t) => {
                self.run = None;
                vec![Block::Heading {
                    level: 4 + deeper,
                    text: t.to_string(),
                }]
            }
            Level::Item | Level::SubItem => {
                self.run = None;
                vec![lead_para(t, m)]
            }
            Level::Circled => {
                self.run = None;
                vec![para(t, 0)]
            }
        }
    }
}

fn para(t: &str, bold: usize) -> Block {
    Block::Para {
        text: t.to_string(),
        bold,
    }
}

/// A line that is a heading as a whole: short and not ending like a clause.
fn whole_heading(t: &str) -> bool {
    let inner = t.trim_end_matches(['。', '！', '？', '!', '?']);
    char_len(t) <= 40
        && !t.ends_with(['；', ';', '，', ',', '、', '：', ':'])
        && !inner.contains(['。', '！', '？'])
}

/// A marker line as a heading (the whole line, or its head and a paragraph).
fn heading_or_para(t: &str, m: Marker, level: u8) -> Vec<Block> {
    let split = split_at_space(t, m).or_else(|| split_by_words(t, m));
    let split = split.or_else(|| (!whole_heading(t)).then(|| split_at_lead(t, m)).flatten());
    match split {
        Some(end) => {
            let (head, rest) = t.split_at(end);
            vec![
                Block::Heading {
                    level,
                    text: trim_ws(head).to_string(),
                },
                para(trim_ws(rest), 0),
            ]
        }
        None if whole_heading(t) => vec![Block::Heading {
            level,
            text: t.to_string(),
        }],
        None => vec![lead_para(t, m)],
    }
}

/// "一、基本情况 如题镇党委共有党员…": a short head, a space, then prose.
fn split_at_space(t: &str, m: Marker) -> Option<usize> {
    let after = &t[m.len..];
    let ws = after.find([' ', '\u{3000}', '\t'])?;
    let rest = trim_ws(&after[ws..]);
    let prose = has_sentence_structure(rest) || char_len(rest) > 20;
    (char_len(&t[..m.len + ws]) <= 30 && !after[..ws].contains(is_clause_punct) && prose)
        .then_some(m.len + ws)
}

/// "（一）主要经济指标情况。8月底…": a lead sentence of at most 40 characters.
fn split_at_lead(t: &str, m: Marker) -> Option<usize> {
    let end = lead_end(t, m, &['。', '！', '？', '!', '?', '：', ':'])?;
    let (head, rest) = t.split_at(end);
    let commas = head.chars().filter(|&c| c == '，' || c == ',').count();
    (commas <= 2 && !trim_ws(rest).is_empty()).then_some(end)
}

/// Byte end (after the punctuation) of a lead sentence within 40 characters.
fn lead_end(t: &str, m: Marker, stops: &[char]) -> Option<usize> {
    let limit = byte_at_char(t, 40);
    let (i, c) = t[m.len..].char_indices().find(|(_, c)| stops.contains(c))?;
    let end = m.len + i + c.len_utf8();
    (end <= limit && char_len(&t[m.len..m.len + i]) >= 2).then_some(end)
}

/// A paragraph opening with a numbered item: its lead sentence in bold.
fn lead_para(t: &str, m: Marker) -> Block {
    let stops = ['。', '！', '？', '!', '?', '：', ':', '；', ';'];
    match lead_end(t, m, &stops) {
        Some(end) if end < t.len() => {
            let lead = t[..end].trim_end_matches(&stops[..]);
            let bold = if lead.ends_with(char::is_whitespace) {
                0
            } else {
                lead.len()
            };
            para(t, bold)
        }
        _ => para(t, 0),
    }
}

/// Words a heading ends with, and words prose opens with.
const HEAD_ENDS: &[&str] = &[
    "做法", "情况", "问题", "原因", "分析", "措施", "建议", "打算", "思路", "成效", "经验", "对策",
    "目标", "任务", "要求", "体会", "启示", "举措", "不足", "短板", "差距", "现状", "背景", "成绩",
    "亮点", "方向", "路径", "办法", "教训", "思考", "概况", "特点", "内容",
];
const BODY_STARTS: &[&str] = &[
    "近年来",
    "近期",
    "今年以来",
    "年初以来",
    "虽然",
    "尽管",
    "为了",
    "我们",
    "今年",
    "目前",
    "当前",
    "随着",
    "通过",
    "根据",
    "按照",
    "针对",
    "经过",
    "截至",
    "截止",
    "今后",
    "一是",
    "首先",
    "习近平",
    "总的来看",
    "总体来看",
    "总体上看",
    "围绕",
    "坚持",
    "对照",
    "一方面",
    "自",
    "全区",
    "全市",
    "全县",
    "全镇",
    "全乡",
    "全省",
    "全国",
    "我区",
    "我市",
    "我县",
    "我镇",
    "我乡",
    "我局",
    "我委",
    "我校",
    "我单位",
    "本单位",
    "各级",
    "今年",
    "去年",
    "上半年",
    "下半年",
];

/// "一、主要做法近年来，…": the heading ends between a heading word and a prose opener.
fn split_by_words(t: &str, m: Marker) -> Option<usize> {
    let after = &t[m.len..];
    let clause = after.find(is_clause_punct).unwrap_or(after.len());
    let window = &after[..clause.min(byte_at_char(after, 20))];
    window
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .filter(|&e| char_len(&window[..e]) >= 2)
        .find(|&e| {
            HEAD_ENDS.iter().any(|h| window[..e].ends_with(h))
                && BODY_STARTS.iter().any(|b| after[e..].starts_with(b))
        })
        .map(|e| m.len + e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::split_lines;

    fn blocks(text: &str) -> Vec<Block> {
        to_blocks(
            &join_broken(unflatten(split_lines(text))),
            Levels::default(),
        )
    }

    fn h(level: u8, text: &str) -> Block {
        Block::Heading {
            level,
            text: text.into(),
        }
    }

    #[test]
    fn outline_levels() {
        let b = blocks(
            "一、党建工作落实情况\n（一）主要工作\n1.强化主责意识，打好政治王牌。先后召开了会议。\n2.重点项目\n",
        );
        assert_eq!(b[0], h(2, "一、党建工作落实情况"));
        assert_eq!(b[1], h(3, "（一）主要工作"));
        assert_eq!(
            b[2],
            Block::Para {
                text: "1.强化主责意识，打好政治王牌。先后召开了会议。".into(),
                bold: "1.强化主责意识，打好政治王牌".len()
            }
        );
        assert_eq!(b[3], h(4, "2.重点项目"));
    }

    #[test]
    fn heading_and_text_on_one_line() {
        let b = blocks(
            "一、基本情况 如题镇党委共有党员 77 名,下设支部两个。\n（一）主要经济指标情况。8月底预计完成指标。\n",
        );
        assert_eq!(b[0], h(2, "一、基本情况"));
        assert_eq!(b[1], para("如题镇党委共有党员 77 名,下设支部两个。", 0));
        assert_eq!(b[2], h(3, "（一）主要经济指标情况。"));
    }

    #[test]
    fn restarted_numbering_inside_a_section_is_a_list() {
        let b = blocks(
            "一、甲\n二、乙\n(一)、丙\n一、切实抓好了配备;\n二、落实了待遇,但是偏低,每月1200元;办公经费每年20000元。\n(二)、丁\n二、对进一步加强工作的几点建议\n",
        );
        assert_eq!(b[3], para("一、切实抓好了配备;", 0));
        assert!(matches!(&b[4], Block::Para { .. }));
        assert_eq!(b[5], h(3, "(二)、丁"));
        assert_eq!(b[6], h(2, "二、对进一步加强工作的几点建议"));
    }

    #[test]
    fn flattened_report_is_split_at_markers() {
        let body = "近期，我们开展了调研，形成报告如下:一、主要做法近年来,我区扎实推进党建工作。(一)机关党建与全面建设融合发展。坚持政治引领。(二)机关党建与中心工作融合发展。围绕中心抓党建。二、现实问题及原因分析虽然取得一些成果,但仍有差距。(一)思想认识有温差。有的认识不够。三、对策措施习近平总书记提出,要推动党建和业务深度融合。";
        let text = body.to_string() + &"补充说明。".repeat(40);
        let b = blocks(&text);
        let heads: Vec<&Block> = b
            .iter()
            .filter(|b| matches!(b, Block::Heading { .. }))
            .collect();
        assert_eq!(heads[0], &h(2, "一、主要做法"));
        assert_eq!(heads[1], &h(3, "(一)机关党建与全面建设融合发展。"));
        assert_eq!(heads[3], &h(2, "二、现实问题及原因分析"));
        assert_eq!(heads[5], &h(2, "三、对策措施"));
        assert_eq!(b[0], para("近期，我们开展了调研，形成报告如下:", 0));
    }

    #[test]
    fn broken_lines_are_rejoined() {
        let b = blocks(
            "二是持续推进服务接力,切实做好解决服务群众最后一公里问题,便民惠民,真正解决居民群众生活中的实际困\n难,提升居民幸福感。\n三是建立述职制度。\n",
        );
        assert_eq!(b.len(), 2);
        assert!(
            matches!(&b[0], Block::Para { text, .. } if text.ends_with("实际困难,提升居民幸福感。"))
        );
    }

    #[test]
    fn short_lines_are_not_joined() {
        let b = blocks("中共某某镇委\n2012年8月\n");
        assert_eq!(b.len(), 2);
    }
}
