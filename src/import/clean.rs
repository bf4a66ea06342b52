//! Removing boilerplate that is not part of a report — advertisements,
//! watermarks, page numbers, website breadcrumbs and footers, member-group
//! notices — by general rules: position at the edges of the document, lines
//! without sentence structure, URLs, contact numbers, ad vocabulary, and
//! repetition within a file or across the files of one import. Every removal
//! is recorded with its line and rule.

use std::collections::HashMap;

use super::outline;
use super::read::{Line, LineKind};
use super::signals::{self, Signals, is_boilerplate, is_boilerplate_anywhere, is_page_number};
use super::text::{char_len, has_sentence_structure, is_sentence_end, trim_ws};
use super::types::RemovedLine;

/// Lines of a document after cleaning, with what was removed.
#[derive(Debug, Default)]
pub(crate) struct Cleaned {
    /// Kept lines (blank lines included, as paragraph separators).
    pub lines: Vec<Line>,
    pub removed: Vec<RemovedLine>,
    /// Advertisements or website chrome were removed: the text comes from a
    /// download site, whose title decorations (精选, 最新 …) may be cut.
    pub web: bool,
    /// Titles the web page states for itself (breadcrumb, "本文标题：").
    pub title_hints: Vec<String>,
}

/// How many input files contain each (whitespace-free) short line.
#[derive(Debug, Default)]
pub(crate) struct CrossFile {
    counts: HashMap<String, usize>,
}

impl CrossFile {
    pub(crate) fn new<'a>(docs: impl IntoIterator<Item = &'a [Line]>) -> CrossFile {
        let mut counts = HashMap::new();
        for lines in docs {
            let mut seen: Vec<String> = lines
                .iter()
                .map(|l| norm(&l.text))
                .filter(|k| !k.is_empty())
                .collect();
            seen.sort();
            seen.dedup();
            for k in seen {
                *counts.entry(k).or_insert(0) += 1;
            }
        }
        CrossFile { counts }
    }

    fn files_with(&self, s: &str) -> usize {
        self.counts.get(&norm(s)).copied().unwrap_or(0)
    }
}

/// A line as compared with others: without white space or byte order marks
/// (the same for a line and the line trimmed by `trim_ws`).
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .collect()
}

/// Applies all line rules to a document.
pub(crate) fn clean(lines: Vec<Line>, cross: &CrossFile) -> Cleaned {
    let mut verdict: Vec<Option<String>> = vec![None; lines.len()];
    mark_anywhere(&lines, cross, &mut verdict);
    let anchor = first_content(&lines, &verdict);
    mark_preamble(&lines, anchor, cross, &mut verdict);
    mark_footer(&lines, anchor, &mut verdict);
    let mut out = Cleaned::default();
    for (line, rule) in lines.into_iter().zip(verdict) {
        match rule {
            Some(rule) => {
                out.web |= rule.starts_with(ANYWHERE)
                    || rule.starts_with(PREAMBLE)
                    || rule.starts_with(FOOTER);
                out.title_hints.extend(signals::title_hint(&line.text));
                out.removed.push(RemovedLine {
                    line: line.no,
                    text: trim_ws(&line.text).to_string(),
                    rule,
                });
            }
            None => out.lines.push(line),
        }
    }
    out
}

/// Rule name of boilerplate found by `mark_anywhere`; renamed when it stands at an edge.
const ANYWHERE: &str = "advertisement inside the text";

/// Names a removal by where it stands: above the title, or at the end.
fn relabel(verdict: &mut [Option<String>], i: usize, edge: &str) {
    if let Some(v) = &mut verdict[i]
        && let Some(rest) = v.strip_prefix(ANYWHERE)
    {
        *v = format!("{edge}{rest}");
    }
}

/// Lines no rule may remove: tables, styled headings, outline headings.
fn protected(l: &Line) -> bool {
    !matches!(l.kind, LineKind::Text | LineKind::ListItem { .. })
        || outline::marker(trim_ws(&l.text)).is_some()
}

fn blank(l: &Line) -> bool {
    trim_ws(&l.text).is_empty()
}

/// Rules that hold anywhere: page numbers, watermarks, strong ads, cross-file repeats of ad lines.
fn mark_anywhere(lines: &[Line], cross: &CrossFile, verdict: &mut [Option<String>]) {
    let mut repeats: HashMap<String, usize> = HashMap::new();
    for l in lines.iter().filter(|l| !blank(l)) {
        *repeats.entry(norm(&l.text)).or_insert(0) += 1;
    }
    for (i, l) in lines.iter().enumerate() {
        let t = trim_ws(&l.text);
        if t.is_empty() || protected(l) {
            continue;
        }
        let short = char_len(t) <= 40 && !has_sentence_structure(t) && !ends_sentence(t);
        // Signals only for a short line: a paragraph of a million characters
        // (one line of a DOCX) would be searched for each word of the lists.
        let sig = || signals::signals(t);
        verdict[i] = if is_page_number(t) {
            Some("page number".into())
        } else if let Some(n) = short.then(|| repeats.get(&norm(t)).copied().unwrap_or(0))
            && n >= 3
        {
            Some(format!("watermark: the same line {n} times in the file"))
        } else if let Some(sig) = is_boilerplate_anywhere(t) {
            Some(format!("{ANYWHERE} ({})", sig.describe()))
        } else if let Some(sig) = short.then(sig).filter(|s| s.score >= 1)
            && cross.files_with(t) >= 2
        {
            Some(format!(
                "repeated in {} input files ({})",
                cross.files_with(t),
                sig.describe()
            ))
        } else {
            None
        };
    }
}

fn ends_sentence(t: &str) -> bool {
    t.chars().last().is_some_and(is_sentence_end)
}

/// Index of the first line that is surely report text: prose, an outline
/// heading, a long line, or a title naming a kind of report.
fn first_content(lines: &[Line], verdict: &[Option<String>]) -> usize {
    lines
        .iter()
        .enumerate()
        .position(|(i, l)| {
            let t = trim_ws(&l.text);
            verdict[i].is_none()
                && !t.is_empty()
                && (protected(l)
                    || char_len(t) > 120
                    || is_boilerplate(t).is_none()
                        && (has_sentence_structure(t) || super::infer::names_report_kind(t)))
        })
        .unwrap_or(lines.len())
}

/// Above the first content line: a blank-line-separated block that holds a
/// boilerplate line is an advertisement block and goes as a whole, except a
/// clean last line that touches the content (a title without a report word).
const PREAMBLE: &str = "advertisement above the title";
const FOOTER: &str = "website footer or advertisement at the end";

fn mark_preamble(lines: &[Line], anchor: usize, cross: &CrossFile, verdict: &mut [Option<String>]) {
    let mut start = 0;
    while start < anchor {
        let end = (start..anchor)
            .find(|&i| blank(&lines[i]))
            .unwrap_or(anchor);
        let block = start..end;
        let evidence: Vec<(usize, Signals)> = block
            .clone()
            .filter_map(|i| is_boilerplate(&lines[i].text).map(|s| (i, s)))
            .collect();
        if let Some((first, _)) = evidence.first() {
            for i in block.clone() {
                relabel(verdict, i, PREAMBLE);
                if verdict[i].is_some()
                    || end == anchor && i + 1 == end && evidence.iter().all(|(j, _)| *j != i)
                {
                    continue;
                }
                verdict[i] = Some(match evidence.iter().find(|(j, _)| *j == i) {
                    Some((_, s)) => format!("{PREAMBLE} ({})", s.describe()),
                    None => format!("{PREAMBLE} (same block as line {})", lines[*first].no),
                });
            }
        } else {
            for i in block {
                let n = cross.files_with(&lines[i].text);
                if verdict[i].is_none() && n >= 2 && i + 1 != anchor {
                    verdict[i] = Some(format!("above the title and repeated in {n} input files"));
                }
            }
        }
        start = end + 1;
    }
}

/// From the end upwards: boilerplate lines (website footer, ads) and the
/// weak-signal lines between them, until the first line of report text.
fn mark_footer(lines: &[Line], anchor: usize, verdict: &mut [Option<String>]) {
    let mut below_removed = false;
    for i in (anchor.min(lines.len())..lines.len()).rev() {
        let l = &lines[i];
        let t = trim_ws(&l.text);
        if t.is_empty() || verdict[i].is_some() {
            relabel(verdict, i, FOOTER);
            below_removed |= verdict[i].is_some();
            continue;
        }
        if protected(l) || char_len(t) > 120 {
            break;
        }
        let sig = signals::signals(t);
        if sig.score >= 2 && !sig.contact_only() {
            verdict[i] = Some(format!("{FOOTER} ({})", sig.describe()));
        } else if below_removed && sig.score >= 1 && !has_sentence_structure(t) {
            verdict[i] = Some(format!("between footer lines ({})", sig.describe()));
        } else {
            break;
        }
        below_removed = true;
    }
}

/// Leading sentences of the report's first paragraph that are a website's
/// lead-in ("【导读】…", "喜欢就下载吧！"): the first needs two ad or web words
/// (or one after a 【label】), each next one a single such word.
/// Returns the kept text and the removed parts with their rule.
pub(crate) fn strip_lead_in(text: &str) -> (String, Vec<(String, String)>) {
    let mut removed = Vec::new();
    let mut rest = text;
    loop {
        let end = sentence_end(rest);
        let sentence = &rest[..end];
        if char_len(sentence) > 150 || end == 0 {
            break;
        }
        let sig = signals::signals(sentence);
        let label = trim_ws(sentence).starts_with('【');
        let hit = if removed.is_empty() {
            sig.strong >= 2 || label && sig.strong >= 1
        } else {
            sig.strong >= 1 || sig.url || sig.contact
        };
        if !hit {
            break;
        }
        removed.push((
            trim_ws(sentence).to_string(),
            format!("website lead-in ({})", sig.describe()),
        ));
        rest = &rest[end..];
    }
    (rest.to_string(), removed)
}

/// Byte index after the first sentence of `s` (closing quotes included).
fn sentence_end(s: &str) -> usize {
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_sentence_end(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, q)) = it.peek() {
                if !matches!(q, '”' | '’' | '」' | '！' | '!' | '？' | '?') {
                    break;
                }
                end = j + q.len_utf8();
                it.next();
            }
            return end;
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::split_lines;

    fn run(text: &str) -> Cleaned {
        let lines = split_lines(text);
        clean(lines, &CrossFile::default())
    }

    fn kept(c: &Cleaned) -> Vec<&str> {
        c.lines
            .iter()
            .map(|l| l.text.as_str())
            .filter(|t| !t.trim().is_empty())
            .collect()
    }

    #[test]
    fn ad_block_above_title_goes_whole() {
        let c = run(
            "仅供学习 禁止外传\n某某文行\n自建平台、实时分享\n\n关于某事的调研报告\n为了解情况，我们开展了调研。\n",
        );
        assert_eq!(
            kept(&c),
            ["关于某事的调研报告", "为了解情况，我们开展了调研。"]
        );
        assert_eq!(c.removed.len(), 3);
        assert!(c.removed[1].rule.contains("same block as line 1"));
    }

    #[test]
    fn clean_preamble_is_kept() {
        let c =
            run("关于加强基层治理的几点思考\n\n近年来，我们坚持问题导向，推动基层治理取得实效。\n");
        assert_eq!(c.removed, vec![]);
    }

    #[test]
    fn footer_goes_until_report_text() {
        let c = run(
            "工作总结\n今年以来，我们认真落实各项工作。\n中共某某镇委\n2012年8月\n本文标题:工作总结\n链接地址:https://example.com/a.html\n",
        );
        assert_eq!(kept(&c).last(), Some(&"2012年8月"));
        assert_eq!(c.removed.len(), 2);
        assert!(c.web);
        assert_eq!(c.title_hints, ["工作总结"]);
    }

    #[test]
    fn watermarks_and_page_numbers_go_anywhere() {
        let text = "工作总结\n今年以来，我们认真落实各项工作。\n内部资料 注意保存\n- 1 -\n一、主要成效\n第一段正文，内容充实。\n内部资料 注意保存\n二、存在问题\n第二段正文，内容充实。\n内部资料 注意保存\n";
        let c = run(text);
        assert_eq!(c.removed.len(), 4);
        assert!(kept(&c).contains(&"二、存在问题"));
    }

    #[test]
    fn lead_in_sentences_are_cut() {
        let (rest, cut) = strip_lead_in(
            "【导读】网友为您分享的精编优质文档，供您参考借鉴。喜欢就下载吧!近期，我们开展了调研。",
        );
        assert_eq!(rest, "近期，我们开展了调研。");
        assert_eq!(cut.len(), 2);
        let (rest, cut) = strip_lead_in("近期，我们通过微信公众号、QQ群等平台分享了经验。");
        assert!(cut.is_empty());
        assert_eq!(rest, "近期，我们通过微信公众号、QQ群等平台分享了经验。");
    }
}
