//! Character classes and small string helpers shared by the import passes.

/// True for Han ideographs (CJK unified, extensions, compatibility) and 〇.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Number of characters (not bytes).
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Punctuation that ends a sentence.
pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…')
}

/// Punctuation a complete line of prose ends with (so the next line is a new paragraph).
pub(crate) fn is_line_final(c: char) -> bool {
    is_sentence_end(c)
        || matches!(
            c,
            '：' | ':' | '”' | '’' | '」' | '』' | '）' | ')' | '】' | '》' | '.'
        )
}

/// Clause punctuation inside a sentence.
pub(crate) fn is_clause_punct(c: char) -> bool {
    matches!(c, '，' | ',' | '；' | ';' | '。' | '：' | ':')
}

/// True when `s` reads like prose: enough Han characters and a comma or
/// sentence end (a colon alone makes a label such as "会员群：", not prose).
pub(crate) fn has_sentence_structure(s: &str) -> bool {
    let han = s.chars().filter(|&c| is_han(c)).count();
    han >= 8
        && s.chars()
            .any(|c| matches!(c, '，' | ',' | '。' | '；' | ';' | '！' | '？' | '!' | '?'))
}

/// Chinese numeral 一…九十 (up to 99) to its value.
pub(crate) fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', b] => Some(10 + digit(*b)?),
        [a, '十'] => Some(digit(*a)? * 10),
        [a, '十', b] => Some(digit(*a)? * 10 + digit(*b)?),
        [a] => digit(*a),
        _ => None,
    }
}

/// `n` as a Chinese numeral (1..=99).
pub(crate) fn to_chinese_number(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ if n.is_multiple_of(10) => format!("{}十", D[(n / 10 % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10 % 10) as usize], D[(n % 10) as usize]),
    }
}

/// Placeholders authors leave in templates: ×, XX, x, ****, ____, 某.
pub(crate) fn has_placeholder(s: &str) -> bool {
    s.contains(['×', '*', '＊', '_', '＿', '□', '○', '某'])
        || s.chars().any(|c| c == 'x' || c == 'X')
}

/// Trims ASCII and full-width whitespace.
pub(crate) fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{feff}')
}

/// Byte index just after the `n`-th character (or the end).
pub(crate) fn byte_at_char(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_filter_keeps_ideographs_only() {
        let han: String = "一、abc〇１２（一）×"
            .chars()
            .filter(|&c| is_han(c))
            .collect();
        assert_eq!(han, "一〇一");
    }

    #[test]
    fn chinese_numbers_round_trip() {
        for n in 1..=99 {
            assert_eq!(chinese_number(&to_chinese_number(n)), Some(n), "{n}");
        }
        assert_eq!(chinese_number("二十三"), Some(23));
        assert_eq!(chinese_number("甲"), None);
    }

    #[test]
    fn sentence_structure() {
        assert!(has_sentence_structure(
            "按照调研工作要求，首先我围绕重大风险进行汇报。"
        ));
        assert!(!has_sentence_structure("自建平台、实时分享"));
        assert!(!has_sentence_structure("向市委调研组的工作汇报提纲"));
    }
}
