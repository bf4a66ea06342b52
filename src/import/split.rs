//! Compilations: a file holding several reports labelled 第一篇 / 篇一 / 【篇二】 …
//! is cut into one piece per report; a table of contents of such labels and a
//! compilation title above the first piece are recorded as removed.

use std::sync::LazyLock;

use regex::Regex;

use super::infer::title_like;
use super::read::Line;
use super::text::{chinese_number, has_sentence_structure, trim_ws};
use super::types::RemovedLine;

/// One report of a file.
#[derive(Debug, Default)]
pub(crate) struct Piece {
    pub lines: Vec<Line>,
    pub label: Option<Label>,
}

/// The line that opens a piece of a compilation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub line: usize,
    pub text: String,
    /// "第一篇:" — the label without the title after it.
    pub prefix: String,
    /// The title after the label, if any.
    pub rest: String,
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^[【\[]?(?:第\s*([一二三四五六七八九十百零〇\d]{1,4})\s*篇|篇\s*([一二三四五六七八九十\d]{1,3}))",
        r"[】\]]?\s*[:：、.．，,]?\s*"
    ))
    .unwrap()
});

/// The label `s` is, with its ordinal.
fn label(no: usize, s: &str) -> Option<(u32, Label)> {
    let t = trim_ws(s);
    let c = LABEL.captures(t)?;
    let num = c.get(1).or(c.get(2))?.as_str();
    let ordinal = num.parse().ok().or_else(|| chinese_number(num))?;
    let prefix = c[0].to_string();
    let rest = trim_ws(&t[prefix.len()..]).to_string();
    (rest.is_empty() || title_like(&rest)).then(|| {
        (
            ordinal,
            Label {
                line: no,
                text: t.to_string(),
                prefix: prefix.trim_end().to_string(),
                rest,
            },
        )
    })
}

/// Cuts `lines` at piece labels when there are at least two in increasing order.
pub(crate) fn split(lines: Vec<Line>) -> (Vec<Piece>, Vec<RemovedLine>) {
    let mut removed = Vec::new();
    let labels = piece_labels(&lines, &mut removed);
    if labels.len() < 2 {
        return (vec![Piece { lines, label: None }], Vec::new());
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut head = Piece::default();
    let mut toc: Vec<usize> = removed.iter().map(|r: &RemovedLine| r.line).collect();
    toc.sort_unstable();
    for line in lines {
        if toc.binary_search(&line.no).is_ok() {
            continue;
        }
        if let Some(l) = labels.iter().find(|l| l.line == line.no) {
            pieces.push(Piece {
                lines: Vec::new(),
                label: Some(l.clone()),
            });
        } else if let Some(p) = pieces.last_mut() {
            p.lines.push(line);
        } else {
            head.lines.push(line);
        }
    }
    if head.lines.iter().any(|l| has_sentence_structure(&l.text)) {
        pieces.insert(0, head);
    } else {
        for l in head.lines.iter().filter(|l| !trim_ws(&l.text).is_empty()) {
            removed.push(RemovedLine {
                line: l.no,
                text: trim_ws(&l.text).to_string(),
                rule: "title of the compilation (each report gets its own title)".into(),
            });
        }
    }
    (pieces, removed)
}

/// Labels that open pieces, in increasing order; labels directly followed by
/// another label form a table of contents and are put in `removed`.
fn piece_labels(lines: &[Line], removed: &mut Vec<RemovedLine>) -> Vec<Label> {
    let found: Vec<(usize, u32, Label)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| label(l.no, &l.text).map(|(n, lab)| (i, n, lab)))
        .collect();
    let mut out: Vec<Label> = Vec::new();
    let mut last = 0;
    for (k, (i, n, lab)) in found.iter().enumerate() {
        let next_content = lines[i + 1..]
            .iter()
            .position(|l| !trim_ws(&l.text).is_empty())
            .map(|p| i + 1 + p);
        let is_toc =
            next_content.is_some_and(|j| found.get(k + 1).is_some_and(|(fi, _, _)| *fi == j));
        if is_toc {
            removed.push(RemovedLine {
                line: lab.line,
                text: lab.text.clone(),
                rule: "table of contents of the compilation".into(),
            });
        } else if *n > last {
            last = *n;
            out.push(lab.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::split_lines;

    #[test]
    fn labels() {
        assert_eq!(
            label(1, "第一篇:x,镇党建工作调研报告").unwrap().1.rest,
            "x,镇党建工作调研报告"
        );
        assert_eq!(label(1, "【篇二】某某工作总结").unwrap().0, 2);
        assert_eq!(label(1, "第12篇 讲话稿").unwrap().0, 12);
        assert!(label(1, "第一篇文章写得很好，大家都说好。").is_none());
    }

    #[test]
    fn splits_into_pieces_and_drops_toc() {
        let text = "调研报告汇编\n第一篇 甲报告\n第二篇 乙报告\n\n第一篇 甲报告\n甲镇调研报告\n正文一，内容。\n第二篇 乙报告\n正文二，内容。\n";
        let (pieces, removed) = split(split_lines(text));
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].label.as_ref().unwrap().rest, "甲报告");
        assert_eq!(pieces[1].lines.len(), 1);
        let rules: Vec<&str> = removed.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules.iter().filter(|r| r.contains("contents")).count(), 2);
        assert!(rules.iter().any(|r| r.contains("title of the compilation")));
    }

    #[test]
    fn single_label_is_not_a_compilation() {
        let (pieces, removed) = split(split_lines("第一篇 甲报告\n正文，内容。\n"));
        assert_eq!(pieces.len(), 1);
        assert!(pieces[0].label.is_none() && removed.is_empty());
    }
}
