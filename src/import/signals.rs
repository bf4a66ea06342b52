//! Boilerplate signals of one line or sentence: URLs, contact numbers,
//! breadcrumbs, and the vocabulary of advertisements and website chrome.
//! The words are generic to download sites and member groups, not to any one
//! source; each rule in `clean` weighs them together with position.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{char_len, has_sentence_structure};

/// Words that hardly ever occur in a report but always in ads and web pages (weight 2).
const STRONG: &[&str] = &[
    "欢迎访问",
    "欢迎光临",
    "欢迎来到",
    "当前位置",
    "您的位置",
    "本文标题",
    "文章标题",
    "链接地址",
    "原文链接",
    "原文地址",
    "本文地址",
    "本文链接",
    "本文网址",
    "转载",
    "版权所有",
    "版权归",
    "免责声明",
    "侵权",
    "侵删",
    "联系删除",
    "公众号",
    "二维码",
    "扫码",
    "扫一扫",
    "微信群",
    "会员",
    "订阅",
    "下载",
    "客服",
    "网友",
    "上一篇",
    "下一篇",
    "相关推荐",
    "推荐阅读",
    "相关文章",
    "热门文章",
    "导读",
    "仅供学习",
    "仅供参考",
    "禁止外传",
    "文档",
    "责任编辑",
    "文库",
    "范文网",
    "阅读全文",
    "点击查看",
    "更多范文",
    "更多资料",
    "付费",
    "充值",
    "VIP",
];

/// Words common in ads but also in reports (weight 1).
const WEAK: &[&str] = &[
    "分享", "免费", "赠送", "平台", "资料", "举报", "关注", "收藏", "参考", "借鉴", "精编", "范文",
    "浏览", "优惠", "立享", "倒卖", "欢迎", "首页", "来源", "整理", "原创", "精选",
];

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(https?://|www\.|\b[a-z0-9-]+\.(com|cn|net|org|top|cc|info)\b)").unwrap()
});
static CONTACT_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(qq|微信|电话|热线|手机|客服)\s*[号群]?\s*[:：]?\s*[0-9a-z_-]{5,}|[a-z0-9._+-]+@[a-z0-9-]+\.[a-z.]+",
        r"|(^|[^\d])(1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}|400[- ]?\d{3}[- ]?\d{4})($|[^\d])"
    ))
    .unwrap()
});
static CONTACT_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(qq|微信|电话|热线|手机|邮箱|e-?mail|联系方式)").unwrap());
static BREADCRUMB_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(当前位置|您的位置|所在位置|位置)\s*[:：]").unwrap());

/// "首页 > 栏目 > 标题", or a line opening with "当前位置：".
fn is_breadcrumb(s: &str) -> bool {
    let seps = s.matches(['>', '»', '›']).count();
    char_len(s) < 200 && (seps >= 2 || BREADCRUMB_START.is_match(s))
}
static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*([-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,4}\s*页(\s*[,，/]?\s*共\s*\d{1,4}\s*页)?",
        r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(\s*of\s*\d{1,4})?|\d{1,3})\s*$"
    ))
    .unwrap()
});

/// What marks a line or sentence as boilerplate.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Signals {
    pub url: bool,
    /// A phone number, QQ/WeChat id or e-mail address.
    pub contact: bool,
    /// "QQ", "电话" … without a number.
    pub contact_word: bool,
    pub breadcrumb: bool,
    pub words: Vec<&'static str>,
    /// How many of `words` are strong (ad or web words that reports hardly use).
    pub strong: u32,
    pub score: u32,
}

impl Signals {
    /// Short description for the summary: "URL, 订阅, 会员".
    pub(crate) fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.url {
            parts.push("URL".into());
        }
        if self.contact {
            parts.push("contact number".into());
        }
        if self.contact_word {
            parts.push("contact word".into());
        }
        if self.breadcrumb {
            parts.push("breadcrumb".into());
        }
        parts.extend(self.words.iter().map(|w| w.to_string()));
        parts.join(", ")
    }
}

/// Scores `s`: strong word 2, weak word 1, URL or contact number 3, contact
/// word 1, breadcrumb 4, 【label】 1.
pub(crate) fn signals(s: &str) -> Signals {
    let mut sig = Signals::default();
    let lower = s.to_lowercase();
    for w in STRONG {
        if lower.contains(&w.to_lowercase()) {
            sig.words.push(w);
            sig.strong += 1;
            sig.score += 2;
        }
    }
    for w in WEAK {
        if s.contains(w) && !sig.words.iter().any(|x| x.contains(w)) {
            sig.words.push(w);
            sig.score += 1;
        }
    }
    sig.url = URL.is_match(s);
    sig.contact = CONTACT_NUMBER.is_match(s);
    sig.contact_word = !sig.contact && CONTACT_WORD.is_match(s);
    sig.breadcrumb = is_breadcrumb(s);
    sig.score += 3 * u32::from(sig.url) + 3 * u32::from(sig.contact) + u32::from(sig.contact_word);
    sig.score += 4 * u32::from(sig.breadcrumb);
    if s.trim_start().starts_with('【') && s.contains('】') {
        sig.score += 1;
    }
    sig
}

/// A short line with enough signals to be boilerplate wherever it stands at an edge.
pub(crate) fn is_boilerplate(s: &str) -> Option<Signals> {
    // Signals only for a short line (a long one would be searched for each word).
    if char_len(s) > 120 {
        return None;
    }
    let sig = signals(s);
    (sig.score >= 2).then_some(sig)
}

/// Boilerplate even in the middle of a report: strong evidence without
/// prose, or overwhelming evidence in a short line.
pub(crate) fn is_boilerplate_anywhere(s: &str) -> Option<Signals> {
    if char_len(s) > 80 {
        return None;
    }
    let sig = signals(s);
    (sig.score >= 6 || sig.score >= 4 && !has_sentence_structure(s)).then_some(sig)
}

impl Signals {
    /// Only a phone number or contact word: a report's own contact line, unless at the top.
    pub(crate) fn contact_only(&self) -> bool {
        self.contact
            && !self.url
            && !self.breadcrumb
            && self.words.iter().all(|w| !STRONG.contains(w))
    }
}

pub(crate) fn is_page_number(s: &str) -> bool {
    PAGE_NUMBER.is_match(s)
}

/// The title a web page states for itself: "本文标题：X", or a breadcrumb's last step.
pub(crate) fn title_hint(s: &str) -> Option<String> {
    let s = super::text::trim_ws(s);
    for key in ["本文标题", "文章标题", "标题"] {
        if let Some(rest) = s.strip_prefix(key) {
            let t = rest.trim_start_matches([':', '：', ' ']).trim();
            return (!t.is_empty()).then(|| t.to_string());
        }
    }
    if is_breadcrumb(s) {
        let last = s.rsplit(['>', '»', '›']).next()?.trim();
        return (char_len(last) >= 4).then(|| last.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ads_and_web_chrome_score_high() {
        for s in [
            "仅供学习 禁止外传",
            "现在订阅立享前3年的所有权益和资料",
            "会员群：                      免费QQ群：",
            "当前位置:首页 > 办公文档 > 工作范文 > 某某报告",
            "链接地址:https://www.example.com/doc-1.html",
            "更多精彩范文请关注微信公众号：公文小助手",
            "客服热线：400-123-4567",
            "Copyright © 2023 版权所有 某某文库",
        ] {
            assert!(is_boilerplate(s).is_some(), "{s}");
        }
    }

    #[test]
    fn report_lines_score_low() {
        for s in [
            "向市委调研组的工作汇报提纲",
            "一、党建工作落实情况",
            "（二）存在的主要问题及原因",
            "中共某某镇委",
            "2012年8月",
            "尊敬的市委×：",
        ] {
            assert!(is_boilerplate(s).is_none(), "{s}");
        }
    }

    #[test]
    fn prose_mentioning_platforms_is_not_boilerplate_in_the_middle() {
        let s = "我们通过微信公众号、QQ群等平台，及时发布党建工作动态，扩大了宣传覆盖面。";
        assert!(is_boilerplate_anywhere(s).is_none());
        assert!(is_boilerplate_anywhere("更多资料请关注公众号：某某文库").is_some());
        assert!(is_boilerplate_anywhere("加入VIP会员群，每日更新材料，QQ：123456789").is_some());
        assert!(
            is_boilerplate_anywhere("本次活动共吸纳工会会员120人，会员满意度达到98%。").is_none()
        );
    }

    #[test]
    fn page_numbers() {
        for s in [
            "- 3 -",
            "—12—",
            "第 3 页 共 10 页",
            "3/10",
            "12",
            "Page 2 of 9",
        ] {
            assert!(is_page_number(s), "{s}");
        }
        for s in ["2012年8月", "一、基本情况", "2020"] {
            assert!(!is_page_number(s), "{s}");
        }
    }

    #[test]
    fn hints_from_footer_and_breadcrumb() {
        assert_eq!(
            title_hint("本文标题:某区调研报告").as_deref(),
            Some("某区调研报告")
        );
        assert_eq!(
            title_hint("当前位置:首页 > 范文 > 某区调研报告").as_deref(),
            Some("某区调研报告")
        );
        assert_eq!(title_hint("一、基本情况"), None);
    }
}
