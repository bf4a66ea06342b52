//! Text normalization: what "contains" means for search, shared by the indexer and
//! mirrored line for line by `normTerm`/`normChunk` in `assets/search.js`.
//!
//! The rules, in order:
//!
//! 1. **Display text** (indexer only). Every run of space-like characters (Unicode
//!    White_Space, control characters, zero-width spaces, BOM) is removed when the
//!    character before or after it is wide (CJK ideographs, kana, hangul, CJK and
//!    full-width punctuation, Chinese quotes and dashes), and otherwise becomes one
//!    ASCII space; runs at the start or end are dropped. So a line break inside a
//!    Chinese sentence, or the space in "共 32 个", never hides a phrase, while Latin
//!    words stay apart. The width is judged on the original character, before NFKC
//!    turns "，" into ",".
//! 2. **Normalization**. The text is cut into clusters (a non-mark character and the
//!    combining marks after it; leading marks form their own cluster), and each
//!    cluster becomes `lowercase(NFKC(cluster))`. Per cluster rather than per string,
//!    so that the browser can map a match in normalized text back to the displayed
//!    text, and so that both sides agree without depending on context rules.
//! 3. **Boundaries**. Any space-like character left after step 2 is a boundary: no
//!    match crosses it. Queries are split into terms on exactly these characters, so
//!    "基层 党建" asks for reports containing both "基层" and "党建".
//!
//! A report matches a term when the term is a substring of its normalized title or
//! of its normalized body (never across the two).

use std::cell::RefCell;
use std::collections::HashMap;

use foldhash::fast::FixedState;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Space-like characters: separators in queries, boundaries in text. Mirrored by
/// `SPACE` in search.js (`\s` there lacks U+0085 and adds U+FEFF, hence the extras).
#[inline]
pub(crate) fn is_space(c: char) -> bool {
    if c.is_ascii() {
        // White_Space and control characters of ASCII: all of U+0000–U+0020, and DEL.
        return c <= ' ' || c == '\x7F';
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return false;
    }
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Characters written without spaces between them (East Asian wide and full-width,
/// plus the punctuation Chinese text uses from other blocks).
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD
        | 0x00B7
        | 0x2014
        | 0x2015
        | 0x2018
        | 0x2019
        | 0x201C
        | 0x201D
        | 0x2026)
}

/// Rule 1: the text as shown in snippets and stored in text shards.
pub(crate) fn display_text(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // Copies runs without spaces as slices; decides at each space run.
    let mut run_start = 0;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        // Printable ASCII and U+4000–U+9FFF (lead bytes E4–E9) are never space-like.
        if x > 0x20 && x < 0x7F {
            i += 1;
            continue;
        }
        if (0xE4..=0xE9).contains(&x) {
            i += 3;
            continue;
        }
        let c = s[i..].chars().next().expect("at a char boundary");
        if !is_space(c) {
            i += c.len_utf8();
            continue;
        }
        // The character before a run is never a space: runs are taken whole.
        let prev = s[..i].chars().next_back();
        out.push_str(&s[run_start..i]);
        let mut j = i + c.len_utf8();
        while let Some(c) = s[j..].chars().next().filter(|&c| is_space(c)) {
            j += c.len_utf8();
        }
        match s[j..].chars().next() {
            Some(next) => {
                if prev.is_some_and(|p| !is_wide(p) && !is_wide(next)) {
                    out.push(' ');
                }
                run_start = j;
            }
            None => run_start = s.len(),
        }
        i = j;
    }
    out.push_str(&s[run_start..]);
    out
}

/// Byte ranges of the clusters of `s` (rule 2), as the regex `\P{M}\p{M}*|\p{M}+` cuts them.
#[cfg(test)]
pub(crate) fn clusters(s: &str) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= s.len() {
            return None;
        }
        let (end, _) = cluster_at(s, at);
        let cl = &s[at..end];
        at = end;
        Some(cl)
    })
}

/// The end of the cluster starting at byte `at` of `s`, and its character when
/// it is a single one (the common case, normalized by [`push_char`]).
#[inline(always)]
pub(crate) fn cluster_at(s: &str, at: usize) -> (usize, Option<char>) {
    let b = s.as_bytes();
    let (c, first_end) = if b[at] < 0x80 {
        (b[at] as char, at + 1)
    } else if b[at] & 0xF0 == 0xE0 {
        // Three bytes (all of CJK): `s` is valid UTF-8, so no check is needed.
        let cp = u32::from(b[at] & 0x0F) << 12
            | u32::from(b[at + 1] & 0x3F) << 6
            | u32::from(b[at + 2] & 0x3F);
        (char::from_u32(cp).expect("valid UTF-8"), at + 3)
    } else {
        let c = s[at..].chars().next().expect("at a char boundary");
        (c, at + c.len_utf8())
    };
    let mut end = first_end;
    // Marks start at U+0300, whose UTF-8 lead byte is 0xCC: anything below
    // that byte is no mark, which settles most characters without decoding.
    while let Some(&x) = b.get(end) {
        if x < 0xCC {
            break;
        }
        let m = s[end..].chars().next().expect("at a char boundary");
        if !is_mark(m) {
            break;
        }
        end += m.len_utf8();
    }
    (end, (end == first_end).then_some(c))
}

/// General_Category = Mark, with a shortcut for the ranges that hold none.
fn is_mark(c: char) -> bool {
    !(c < '\u{300}'
        || ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || ('\u{3000}'..='\u{3029}').contains(&c)
        || ('\u{FF01}'..='\u{FF5E}').contains(&c))
        && is_combining_mark(c)
}

thread_local! {
    /// Normalized forms of single characters outside the fast path (full-width
    /// punctuation mostly): a few hundred distinct ones repeated millions of times.
    static MEMO: RefCell<HashMap<char, Box<[char]>, FixedState>> =
        RefCell::new(HashMap::with_hasher(FixedState::default()));
}

fn slow_normalize(cluster: &str, out: &mut Vec<char>) {
    let nfkc: String = cluster.nfkc().collect();
    out.extend(
        nfkc.to_lowercase()
            .chars()
            .map(|c| if is_space(c) { ' ' } else { c }),
    );
}

/// Appends the normalized form of a one-character cluster to `out`.
#[inline]
pub(crate) fn push_char(c: char, out: &mut Vec<char>) {
    // Fast path for the characters that make up nearly all of a report.
    if c.is_ascii() {
        out.push(if is_space(c) {
            ' '
        } else {
            c.to_ascii_lowercase()
        });
        return;
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        out.push(c);
        return;
    }
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let v = m.entry(c).or_insert_with(|| {
            let mut v = Vec::new();
            slow_normalize(c.encode_utf8(&mut [0; 4]), &mut v);
            v.into_boxed_slice()
        });
        out.extend_from_slice(v);
    });
}

/// Appends the normalized form of the cluster of `s` that starts at byte `at`
/// to `out` (space-like results become ' '); returns where the cluster ends.
#[inline]
pub(crate) fn push_cluster(s: &str, at: usize, out: &mut Vec<char>) -> usize {
    let (end, single) = cluster_at(s, at);
    match single {
        Some(c) => push_char(c, out),
        None => slow_normalize(&s[at..end], out),
    }
    end
}

/// Rule 2 on a whole string (already a display text, or a query).
pub(crate) fn normalize_chars(s: &str, out: &mut Vec<char>) {
    let mut at = 0;
    while at < s.len() {
        at = push_cluster(s, at, out);
    }
}

/// The normalized form of a title or body, exactly the text the index answers for:
/// a query term matches a report iff it is a substring of this for its title or body.
pub fn normalize_for_match(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len());
    normalize_chars(&display_text(s), &mut v);
    v.into_iter().collect()
}

/// The terms of a query (rule 3), normalized, deduplicated, in order of first
/// appearance. Mirrors `queryTerms` in search.js.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut v = Vec::with_capacity(q.len());
    normalize_chars(q, &mut v);
    let mut terms: Vec<String> = Vec::new();
    for t in v.split(|&c| is_space(c)).filter(|t| !t.is_empty()) {
        let t: String = t.iter().collect();
        if !terms.contains(&t) {
            terms.push(t);
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_between_chinese_vanish_but_latin_words_stay_apart() {
        assert_eq!(display_text("基层\n党建"), "基层党建");
        assert_eq!(display_text("工作，\r\n  下一步"), "工作，下一步");
        assert_eq!(display_text("共 32 个支部"), "共32个支部");
        assert_eq!(display_text("  hello \t world  "), "hello world");
        assert_eq!(display_text("第一段。\n第二段"), "第一段。第二段");
    }

    #[test]
    fn full_width_and_case_fold_to_one_form() {
        assert_eq!(
            normalize_for_match("２０２０年，ＧＤＰ增长"),
            "2020年,gdp增长"
        );
        assert_eq!(query_terms("２０２０ gdp"), vec!["2020", "gdp"]);
        assert_eq!(normalize_for_match("Cafe\u{301}"), "café");
        assert_eq!(query_terms("café"), vec!["café"]);
    }

    #[test]
    fn query_splits_on_any_space_and_dedups() {
        assert_eq!(
            query_terms(" 基层\u{3000}党建  基层\t1+N "),
            vec!["基层", "党建", "1+n"]
        );
        assert!(query_terms(" \u{200B} ").is_empty());
    }

    /// Rule 1 as first written, char by char.
    fn reference_display_text(s: &str) -> String {
        let mut out = String::new();
        let mut run_start = 0;
        let mut prev: Option<char> = None;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !is_space(c) {
                prev = Some(c);
                continue;
            }
            out.push_str(&s[run_start..i]);
            while chars.next_if(|&(_, c)| is_space(c)).is_some() {}
            match chars.peek() {
                Some(&(j, next)) => {
                    if prev.is_some() && !(prev.is_some_and(is_wide) || is_wide(next)) {
                        out.push(' ');
                    }
                    run_start = j;
                }
                None => run_start = s.len(),
            }
        }
        out.push_str(&s[run_start..]);
        out
    }

    #[test]
    fn display_text_agrees_with_the_reference() {
        let alphabet = [
            "a", "Z", " ", "\n", "\t", "\u{85}", "\u{A0}", "\u{3000}", "\u{FEFF}", "\u{200B}",
            "党", "㐀", "，", "“", "é", "\u{301}", "𠀀", "\u{7F}", "1", "—",
        ];
        let mut r = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let len = r.usize(..12);
            let s: String = (0..len).map(|_| *r.choice(&alphabet).unwrap()).collect();
            assert_eq!(display_text(&s), reference_display_text(&s), "{s:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_the_definitions() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let space = c.is_whitespace()
                || c.is_control()
                || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}');
            assert_eq!(is_space(c), space, "{c:?}");
            if (c as u32) < 0x300 {
                assert!(!is_combining_mark(c), "{c:?}");
            }
        }
        let s = "a\u{301}\u{302}中\u{300}x\u{20DD}𠀀\u{301}";
        let c: Vec<&str> = clusters(s).collect();
        assert_eq!(
            c,
            vec!["a\u{301}\u{302}", "中\u{300}", "x\u{20DD}", "𠀀\u{301}"]
        );
    }

    #[test]
    fn clusters_keep_marks_with_their_base() {
        let c: Vec<&str> = clusters("\u{301}ae\u{301}\u{302}b").collect();
        assert_eq!(c, vec!["\u{301}", "a", "e\u{301}\u{302}", "b"]);
    }
}
