//! Text hygiene shared by loading and import: UTF-8 that is valid but for a
//! few bytes, and the control characters that no page, feed, sitemap or
//! search index may hold.

use std::borrow::Cow;

/// A character that never reaches any output: C0 controls other than tab and
/// line ends, DEL, C1 controls, the noncharacters U+FFFE/U+FFFF (XML forbids
/// all of these), and the line and paragraph separators U+2028/U+2029, which
/// end a string literal in the JavaScript of older browsers.
pub fn is_unwanted(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}' => true,
        _ => false,
    }
}

/// The unwanted characters that stand between words (Word's manual line
/// break U+000B, a page break, NEL, the Unicode separators) become a space;
/// the others are dropped.
fn replacement(c: char) -> Option<char> {
    matches!(c, '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}').then_some(' ')
}

/// Whether the UTF-8 sequence starting with `x`, then `y` and `z` (0 past
/// the end), is an unwanted character: a C0 control but tab and line ends,
/// DEL, a C1 control (`c2 80..9f`), U+2028/U+2029 (`e2 80 a8/a9`) or
/// U+FFFE/U+FFFF (`ef bf be/bf`). Branch-free, so that a loop over a block
/// of bytes compiles to vector instructions.
#[inline(always)]
fn unwanted_at(x: u8, y: u8, z: u8) -> bool {
    let c0 = (x < 0x20) & (x != b'\t') & (x != b'\n') & (x != b'\r');
    let c1 = (x == 0xc2) & ((y & 0xe0) == 0x80);
    let separator = (x == 0xe2) & (y == 0x80) & ((z & 0xfe) == 0xa8);
    let nonchar = (x == 0xef) & (y == 0xbf) & ((z & 0xfe) == 0xbe);
    c0 | (x == 0x7f) | c1 | separator | nonchar
}

/// Fast test on the UTF-8 bytes: true when `s` may hold an unwanted character.
/// Reports are scanned whole at every load and again when their pages are
/// made, so this neither decodes them nor branches on each byte: blocks of
/// 64 positions at a time, each position with the two bytes after it.
fn may_hold_unwanted(s: &str) -> bool {
    const BLOCK: usize = 64;
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i + BLOCK + 2 <= n {
        let (x, y, z) = (
            &b[i..i + BLOCK],
            &b[i + 1..i + 1 + BLOCK],
            &b[i + 2..i + 2 + BLOCK],
        );
        let mut hit = false;
        for k in 0..BLOCK {
            hit |= unwanted_at(x[k], y[k], z[k]);
        }
        if hit {
            return true;
        }
        i += BLOCK;
    }
    let at = |j: usize| b.get(j).copied().unwrap_or(0);
    (i..n).any(|j| unwanted_at(b[j], at(j + 1), at(j + 2)))
}

/// `bytes` as text if they are UTF-8, else the error `String::from_utf8`
/// gives. The same check, made with SIMD instructions by simdutf8: reports
/// and pages are mostly Chinese, which std's check takes a byte at a time,
/// and every report and page of a build goes through here once or more.
pub fn utf8_string(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: simdutf8 has just found `bytes` to be valid UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    String::from_utf8(bytes)
}

/// Text of several lines (a report's body) without unwanted characters; tabs
/// and line ends are kept, so line numbers stay those of the file.
pub fn clean_text(s: &str) -> Cow<'_, str> {
    if !may_hold_unwanted(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| {
                if is_unwanted(c) {
                    replacement(c)
                } else {
                    Some(c)
                }
            })
            .collect(),
    )
}

/// A one-line value (a title, a unit, a tag, a file name shown on a page):
/// every control character, line ends included, becomes a space or goes.
pub fn clean_line(s: &str) -> Cow<'_, str> {
    if !s.contains(['\t', '\n', '\r']) && !may_hold_unwanted(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if is_unwanted(c) => replacement(c),
                c => Some(c),
            })
            .collect(),
    )
}

/// The unwanted characters of `s`: how many, the first one, and its line (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwanted {
    pub count: usize,
    pub first: char,
    pub line: usize,
}

pub fn find_unwanted(s: &str) -> Option<Unwanted> {
    if !may_hold_unwanted(s) {
        return None;
    }
    let mut found: Option<Unwanted> = None;
    let mut line = 1;
    for c in s.chars() {
        if c == '\n' {
            line += 1;
        } else if is_unwanted(c) {
            match &mut found {
                Some(u) => u.count += 1,
                None => {
                    found = Some(Unwanted {
                        count: 1,
                        first: c,
                        line,
                    })
                }
            }
        }
    }
    found
}

/// How a character is named in a message: `U+000B (Word's line break)`.
pub fn describe(c: char) -> String {
    let what = match c {
        '\u{b}' => " (Word's manual line break)",
        '\u{c}' => " (a page break)",
        '\u{0}' => " (a NUL byte)",
        '\u{1b}' => " (an escape code)",
        '\u{2028}' | '\u{2029}' => " (a Unicode line separator)",
        _ => "",
    };
    format!("U+{:04X}{what}", c as u32)
}

/// Text that is UTF-8 but for a few damaged bytes: the text with each bad
/// sequence replaced by U+FFFD, and the lines (from 1) where they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    pub text: String,
    /// Lines holding a bad sequence, each once, in order.
    pub lines: Vec<usize>,
    /// Number of bad sequences.
    pub bad: usize,
}

/// `Some` when `bytes` are UTF-8 with a few bad sequences: at most one bad
/// sequence for every 10 valid non-ASCII characters. Text in another
/// encoding (GBK, windows-1252 …) almost never forms valid multi-byte UTF-8,
/// so it fails this test and goes to encoding detection instead.
pub fn repair_utf8(bytes: &[u8]) -> Option<Repaired> {
    let mut text = String::with_capacity(bytes.len());
    let mut lines: Vec<usize> = Vec::new();
    let (mut bad, mut good, mut line) = (0usize, 0usize, 1usize);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        good += valid.chars().filter(|c| !c.is_ascii()).count();
        line += valid.bytes().filter(|&b| b == b'\n').count();
        text.push_str(valid);
        if !chunk.invalid().is_empty() {
            bad += 1;
            text.push('\u{fffd}');
            if lines.last() != Some(&line) {
                lines.push(line);
            }
        }
    }
    (bad > 0 && good >= 10 * bad).then_some(Repaired { text, lines, bad })
}

/// "3, 17 and 40", or the first ones and how many more.
pub fn list_lines(lines: &[usize]) -> String {
    const SHOWN: usize = 8;
    let shown: Vec<String> = lines.iter().take(SHOWN).map(|l| l.to_string()).collect();
    match (lines.len(), shown.split_last()) {
        (_, None) => String::new(),
        (1, Some((last, _))) => last.clone(),
        (n, Some((last, rest))) if n <= SHOWN => format!("{} and {last}", rest.join(", ")),
        (n, _) => format!("{} and {} more", shown.join(", "), n - SHOWN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_caught_by_the_fast_test() {
        for c in (0u32..0x10000).filter_map(char::from_u32) {
            let s = format!("党建{c}工作");
            assert!(
                may_hold_unwanted(&s) || !is_unwanted(c),
                "U+{:04X}",
                c as u32
            );
            assert!(
                !clean_text(&s).chars().any(is_unwanted),
                "U+{:04X}",
                c as u32
            );
            assert!(
                !clean_line(&s).chars().any(char::is_control),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn the_fast_test_finds_an_unwanted_character_anywhere_in_a_long_text() {
        // Every unwanted character, and the wanted ones that share its first
        // bytes, at every place around the blocks the test takes.
        let near = [
            '\u{0}', '\u{b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', '\u{2028}', '\u{2029}',
            '\u{fffe}', '\u{ffff}',
        ];
        let far = [
            '\t', '\n', '\r', ' ', '\u{a0}', '\u{2027}', '\u{202a}', '\u{fffd}', '，', '“',
        ];
        for pad in 0..200 {
            let head = "党建，“工作”。"
                .chars()
                .cycle()
                .take(pad)
                .collect::<String>();
            for c in near.iter().chain(&far) {
                for tail in ["", "x", "正文内容，".repeat(20).as_str()] {
                    let s = format!("{head}{c}{tail}");
                    assert_eq!(
                        may_hold_unwanted(&s),
                        is_unwanted(*c),
                        "{pad} U+{:04X}",
                        *c as u32
                    );
                }
            }
        }
        assert!(!may_hold_unwanted(""));
    }

    #[test]
    fn utf8_is_checked_as_std_checks_it() {
        let text = "关于基层党建工作的调研报告\n".repeat(10);
        assert_eq!(utf8_string(text.clone().into_bytes()).unwrap(), text);
        let mut bad = text.into_bytes();
        bad.insert(100, 0xff);
        let e = utf8_string(bad.clone()).unwrap_err();
        assert_eq!(
            e.utf8_error(),
            String::from_utf8(bad).unwrap_err().utf8_error()
        );
    }

    #[test]
    fn word_line_breaks_become_spaces_and_lines_stay() {
        assert_eq!(
            clean_text("一、基本情况\u{b}（一）\n\u{1}正文\r\n"),
            "一、基本情况 （一）\n正文\r\n"
        );
        assert_eq!(clean_line("标题\u{b}第二行\n\t"), "标题 第二行  ");
        assert!(matches!(
            clean_text("普通的正文\n“引号”—…"),
            Cow::Borrowed(_)
        ));
        let u = find_unwanted("a\nb\nc\u{7}d\u{1}").unwrap();
        assert_eq!((u.count, u.first, u.line), (2, '\u{7}', 3));
    }

    #[test]
    fn utf8_with_a_few_bad_bytes_is_repaired_other_encodings_are_not() {
        let mut bytes = "关于基层党建工作的调研报告\n第二行正文内容\n"
            .as_bytes()
            .to_vec();
        bytes.insert(bytes.len() - 4, 0xff);
        let r = repair_utf8(&bytes).unwrap();
        assert_eq!(r.lines, [2]);
        assert_eq!(r.bad, 1);
        assert!(
            r.text
                .starts_with("关于基层党建工作的调研报告\n第二行正文内"),
            "{}",
            r.text
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("关于基层党建工作的调研报告\n第二行正文内容\n");
        assert_eq!(repair_utf8(&gbk), None);
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("Café résumé naïve");
        assert_eq!(repair_utf8(&latin), None);
        assert_eq!(list_lines(&[3, 17, 40]), "3, 17 and 40");
        assert_eq!(
            list_lines(&(1..=10).collect::<Vec<_>>()),
            "1, 2, 3, 4, 5, 6, 7, 8 and 2 more"
        );
    }
}
