//! Finding a report's title: a DOCX Title/first Heading 1, the title a web
//! page states, the first title-like line naming a kind of report (joined when
//! broken over two lines), or the head of a flattened line; the advertisement
//! above it was already removed. Website decorations (精选, 范文 …) are cut off.

use std::sync::LazyLock;

use regex::Regex;

use super::infer::{names_report_kind, title_like};
use super::outline::marker;
use super::read::{Line, LineKind};
use super::split::Label;
use super::text::{char_len, has_sentence_structure, trim_ws};
use super::types::RemovedLine;

/// The title and the lines of the report after it.
#[derive(Debug, Default)]
pub(crate) struct Titled {
    pub title: Option<String>,
    /// Where the title came from, in words.
    pub from: String,
    /// The title was the first paragraph and styled Heading 1 (DOCX).
    pub from_heading1: bool,
    /// Lines after the title (and any kept lines that stood above it).
    pub body: Vec<Line>,
    /// Index in `body` of the first line after the title.
    pub first_after: usize,
    pub removed: Vec<RemovedLine>,
}

/// What was chosen: line indexes used up and the title text.
enum Pick {
    Whole(usize),
    Pair(usize, usize),
    /// Line index and byte length of the title at its start.
    Head(usize, usize),
}

/// Takes the title out of `lines`.
pub(crate) fn take_title(
    lines: Vec<Line>,
    label: Option<&Label>,
    web: bool,
    hints: &[String],
) -> Titled {
    let Some(pick) = pick(&lines, hints) else {
        return untitled(lines, label);
    };
    let c = chosen(&lines, &pick);
    let mut t = Titled {
        from: c.from,
        from_heading1: c.first == first_non_blank(&lines)
            && lines[c.last].kind == LineKind::Heading(1),
        ..Titled::default()
    };
    let no = lines[c.first].no;
    let text = if web {
        undecorate(&c.text, no, &mut t.removed)
    } else {
        c.text
    };
    if let Some(l) = label {
        t.removed.push(label_removed(l, &l.text));
    }
    for (k, line) in lines.into_iter().enumerate() {
        if k == c.last {
            t.first_after = t.body.len();
            if let Some(r) = c.rest.clone().filter(|r| !r.is_empty()) {
                t.body.push(Line { text: r, ..line });
            }
        } else if k != c.first {
            t.body.push(line);
        }
    }
    t.title = Some(text);
    t
}

/// The picked title: its first and last line index, text, the rest of the
/// last line when the title was only its head, and a description.
struct Chosen {
    first: usize,
    last: usize,
    text: String,
    rest: Option<String>,
    from: String,
}

fn chosen(lines: &[Line], pick: &Pick) -> Chosen {
    let whole = |i: usize| trim_ws(&lines[i].text).to_string();
    match *pick {
        Pick::Whole(i) => Chosen {
            first: i,
            last: i,
            text: whole(i),
            rest: None,
            from: format!("line {}", lines[i].no),
        },
        Pick::Pair(i, j) => Chosen {
            first: i,
            last: j,
            text: join(&lines[i].text, &lines[j].text),
            rest: None,
            from: format!("lines {} and {}", lines[i].no, lines[j].no),
        },
        Pick::Head(i, len) => Chosen {
            first: i,
            last: i,
            text: trim_ws(&lines[i].text[..len]).to_string(),
            rest: Some(trim_ws(&lines[i].text[len..]).to_string()),
            from: format!("the start of line {}", lines[i].no),
        },
    }
}

fn label_removed(l: &Label, text: &str) -> RemovedLine {
    RemovedLine {
        line: l.line,
        text: text.to_string(),
        rule: "compilation piece label".into(),
    }
}

/// No title in the text: the label's title, or none (the caller uses the file name).
fn untitled(lines: Vec<Line>, label: Option<&Label>) -> Titled {
    let mut t = Titled {
        body: lines,
        ..Titled::default()
    };
    if let Some(l) = label.filter(|l| !l.rest.is_empty()) {
        t.title = Some(l.rest.clone());
        t.from = format!("the compilation label (line {})", l.line);
        t.removed.push(label_removed(l, &l.prefix));
    } else if let Some(l) = label {
        t.removed.push(label_removed(l, &l.text));
    }
    t
}

fn first_non_blank(lines: &[Line]) -> usize {
    lines
        .iter()
        .position(|l| !trim_ws(&l.text).is_empty())
        .unwrap_or(0)
}

fn join(a: &str, b: &str) -> String {
    let (a, b) = (trim_ws(a), trim_ws(b));
    let ascii_seam = a.ends_with(|c: char| c.is_ascii_alphanumeric())
        && b.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ascii_seam {
        format!("{a} {b}")
    } else {
        format!("{a}{b}")
    }
}

/// Chooses the title among the first six non-blank lines.
fn pick(lines: &[Line], hints: &[String]) -> Option<Pick> {
    let idx: Vec<usize> = (0..lines.len())
        .filter(|&i| !trim_ws(&lines[i].text).is_empty())
        .take(6)
        .collect();
    for (k, &i) in idx.iter().enumerate() {
        let t = trim_ws(&lines[i].text);
        match lines[i].kind {
            LineKind::DocTitle => return Some(Pick::Whole(i)),
            LineKind::Heading(1) if k == 0 => return Some(Pick::Whole(i)),
            LineKind::Text => {}
            _ => continue,
        }
        if let Some(len) = hinted(&lines[i].text, hints) {
            return Some(if len == lines[i].text.len() {
                Pick::Whole(i)
            } else {
                Pick::Head(i, len)
            });
        }
        if marker(t).is_some() || t.starts_with("尊敬的") {
            continue;
        }
        let next = idx
            .get(k + 1)
            .filter(|&&j| j == i + 1 && lines[j].kind == LineKind::Text);
        if let Some(&j) = next.filter(|&&j| broken_title(t, trim_ws(&lines[j].text))) {
            return Some(Pick::Pair(i, j));
        }
        if names_report_kind(t) {
            return Some(Pick::Whole(i));
        }
        if let Some(len) = head_title(&lines[i].text) {
            return Some(Pick::Head(i, len));
        }
        if has_sentence_structure(t) {
            break; // a title stands above the prose, not inside it
        }
    }
    let &first = idx.first()?;
    let t = trim_ws(&lines[first].text);
    let plain = lines[first].kind == LineKind::Text && title_like(t) && marker(t).is_none();
    (plain && idx.len() > 1 && char_len(t) <= 40 && !t.starts_with("尊敬的"))
        .then_some(Pick::Whole(first))
}

/// A title broken over two lines: "XX镇城市基层党建工作的" + "调研报告".
fn broken_title(a: &str, b: &str) -> bool {
    title_like(a)
        && !names_report_kind(a)
        && char_len(b) <= 10
        && names_report_kind(b)
        && marker(b).is_none()
}

/// Byte length of a stated web title (or its undecorated form) opening `line`.
fn hinted(line: &str, hints: &[String]) -> Option<usize> {
    let lead = line.len() - line.trim_start().len();
    let s = line.trim_start();
    hints
        .iter()
        .filter(|h| char_len(h) >= 4)
        .find(|h| s.starts_with(h.as_str()))
        .map(|h| lead + h.len())
}

/// A long line that opens with its title: "某某调研报告【导读】…", "某某总结 一、…".
fn head_title(line: &str) -> Option<usize> {
    const WORDS: &[&str] = &[
        "报告", "提纲", "总结", "讲话", "材料", "方案", "计划", "要点", "体会", "纪要", "意见",
        "请示", "通知", "发言", "汇报",
    ];
    if char_len(line) <= 60 {
        return None;
    }
    let lead = line.len() - line.trim_start().len();
    for (n, (i, c)) in line[lead..].char_indices().enumerate().take(50) {
        let end = lead + i + c.len_utf8();
        let rest = &line[end..];
        let opens = rest.starts_with(['【', '[', ' ', '\u{3000}']) || marker(rest).is_some();
        if n >= 3 && opens && WORDS.iter().any(|w| line[..end].ends_with(w)) {
            return Some(end);
        }
    }
    None
}

static DECOR_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(【[^】]{1,8}】|(精选|精编|最新|优秀|热门|推荐|经典|实用|范文)+)").unwrap()
});
static DECOR_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"([(（]?(完整版|精选|精编|范文|word版|可编辑|\d{1,3}篇)[)）]?|[(（]\d{1,2}[)）]|\d{1,2})$",
    )
    .unwrap()
});

/// Cuts a download site's decorations off a title; the cut parts are recorded.
fn undecorate(title: &str, no: usize, removed: &mut Vec<RemovedLine>) -> String {
    let mut t = title.to_string();
    for re in [&*DECOR_HEAD, &*DECOR_TAIL] {
        if let Some(m) = re.find(&t) {
            let rest = format!("{}{}", &t[..m.start()], &t[m.end()..]);
            if names_report_kind(&rest) || char_len(&rest) >= 6 {
                removed.push(RemovedLine {
                    line: no,
                    text: m.as_str().to_string(),
                    rule: "decoration of a website title".into(),
                });
                t = trim_ws(&rest).to_string();
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::split_lines;

    fn title(text: &str) -> Option<String> {
        take_title(split_lines(text), None, false, &[]).title
    }

    #[test]
    fn first_line_naming_a_report() {
        assert_eq!(
            title("【活动】\n向市委调研组的工作汇报提纲\n尊敬的市委×：\n").as_deref(),
            Some("向市委调研组的工作汇报提纲")
        );
    }

    #[test]
    fn title_broken_over_two_lines() {
        let t = take_title(
            split_lines("XX镇城市基层党建工作的\n调研报告\n为全面了解情况，我们开展了调研。\n"),
            None,
            false,
            &[],
        );
        assert_eq!(t.title.as_deref(), Some("XX镇城市基层党建工作的调研报告"));
        assert_eq!(t.body.len(), 1);
    }

    #[test]
    fn title_at_the_head_of_a_flattened_line() {
        let line = format!(
            "某区机关党建调研报告【导读】网友分享的文档。{}",
            "近期，我们开展了调研。".repeat(10)
        );
        let t = take_title(split_lines(&line), None, false, &[]);
        assert_eq!(t.title.as_deref(), Some("某区机关党建调研报告"));
        assert!(t.body[0].text.starts_with("【导读】"));
    }

    #[test]
    fn no_title_after_the_prose_begins() {
        assert_eq!(
            title("今年以来，我们认真落实各项工作。\n2020年工作计划\n"),
            None
        );
    }

    #[test]
    fn plain_first_line_without_report_word() {
        assert_eq!(
            title("关于基层治理的几点思考\n近年来，我们坚持问题导向。\n").as_deref(),
            Some("关于基层治理的几点思考")
        );
        assert_eq!(
            title("今年以来，我们认真落实各项工作。\n成效明显。\n"),
            None
        );
    }

    #[test]
    fn website_decorations_are_cut_and_recorded() {
        let hints = ["精选区机关党建与业务工作融合发展调研报告".to_string()];
        let line = format!(
            "精选区机关党建与业务工作融合发展调研报告【导读】{}",
            "正文。".repeat(30)
        );
        let t = take_title(split_lines(&line), None, true, &hints);
        assert_eq!(
            t.title.as_deref(),
            Some("区机关党建与业务工作融合发展调研报告")
        );
        assert_eq!(t.removed[0].text, "精选");
        let mut r = Vec::new();
        assert_eq!(
            undecorate("乡镇党建工作调研报告2", 1, &mut r),
            "乡镇党建工作调研报告"
        );
        assert_eq!(undecorate("2020年工作总结", 1, &mut r), "2020年工作总结");
    }
}
