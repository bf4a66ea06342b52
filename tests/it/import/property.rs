//! Property test (proptest-style, with a fixed-seed generator so it needs no
//! extra crate): random documents assembled from report lines, outline
//! headings, flattened paragraphs, advertisements, web chrome, placeholders
//! and Markdown-significant characters never panic the importer and never
//! lose text — every character not listed as removed reaches the output.

use super::common::*;

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const TITLES: &[&str] = &[
    "关于加强基层治理的调研报告",
    "某局2022年工作总结",
    "在全县经济工作会议上的讲话",
    "XX镇党建工作汇报提纲",
    "几点思考",
];
const LINES: &[&str] = &[
    "今年以来，我们认真贯彻落实上级部署，各项工作取得新进展。",
    "一、主要做法",
    "二、存在问题 一是认识不到位，二是措施不够实。",
    "（一）加强组织领导。成立领导小组，定期研究部署。",
    "(二)、完善制度机制",
    "1.强化责任落实，层层压实责任。各级要切实担起责任。",
    "2、重点项目",
    "①人均收入增速×%。②投资完成××亿元。",
    "接**委通知后，****镇党委高度重视，立即召开会议。",
    "围绕“____、____”主题，开展专题学习 * 3 次，参加人数 > 100 人 & 满意率 100%。",
    "- 3 -",
    "1. 这一行像 Markdown 列表",
    "# 这一行像 Markdown 标题",
    "> 这一行像引用 | 还有竖线 [方括号] `反引号` ~波浪~ {花括号} <b>标签</b>",
    "中共某某县委办公室",
    "2021年5月",
    "这是一段很长的文字没有标点一直写到行尾被复制时断开了需要和下一行接起来才完整的内容就是这样写的",
    "内容的后半句。",
    "",
    "",
];
const ADS: &[&str] = &[
    "仅供学习交流 禁止外传",
    "更多范文请访问 www.example-docs.com",
    "客服QQ：12345678 微信：docs_helper",
    "首页 > 范文 > 工作总结",
    "本文标题：某某报告",
    "【导读】本文是网友分享的精品文档，欢迎下载。",
];

fn document(rng: &mut Rng) -> String {
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..rng.next() % 3 {
        lines.push(rng.pick(ADS).into());
    }
    if !rng.next().is_multiple_of(4) {
        lines.push(rng.pick(TITLES).into());
    }
    let n = 3 + rng.next() % 15;
    for _ in 0..n {
        if rng.next().is_multiple_of(7) {
            // A flattened stretch: several lines glued together.
            let glued: String = (0..4).map(|_| rng.pick(LINES)).collect();
            lines.push(format!(
                "{}一、概况{}二、问题{}",
                glued,
                rng.pick(LINES),
                rng.pick(LINES)
            ));
        } else {
            lines.push(rng.pick(LINES).into());
        }
    }
    for _ in 0..rng.next() % 3 {
        lines.push(rng.pick(ADS).into());
    }
    let sep = ["\n", "\r\n", "\r"][(rng.next() % 3) as usize];
    lines.join(sep)
}

#[test]
fn random_documents_never_lose_text() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let dir = tempfile::tempdir().unwrap();
    let (mut removed, mut headings, mut bold) = (0, 0, 0);
    for case in 0..150 {
        let text = document(&mut rng);
        let p = dir.path().join(format!("case{case}.txt"));
        let bytes = if case % 5 == 0 {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.clone().into_bytes()
        };
        std::fs::write(&p, bytes).unwrap();
        let s = dry(&[&p]);
        let r = reports_of(&s, &p);
        if r.is_empty() {
            assert!(
                s.skipped[0].reason.contains("empty"),
                "case {case}: {:?}",
                s.skipped
            );
            continue;
        }
        removed += r.iter().map(|r| r.removed_lines.len()).sum::<usize>();
        headings += r
            .iter()
            .map(|r| {
                heading_counts(split_md(&r.markdown).1)
                    .iter()
                    .sum::<usize>()
            })
            .sum::<usize>();
        bold += r
            .iter()
            .map(|r| r.markdown.matches("**").count() / 2)
            .sum::<usize>();
        let fm_ok = r
            .iter()
            .all(|r| r.markdown.starts_with("---\n# imported from "));
        assert!(fm_ok, "case {case}");
        let result = std::panic::catch_unwind(|| assert_no_text_lost(&p, &r));
        assert!(result.is_ok(), "case {case} lost text; input:\n{text}");
    }
    eprintln!("removed {removed} lines or parts, made {headings} headings and {bold} bold leads");
    assert!(
        removed > 100 && headings > 100 && bold > 50,
        "the generator exercises the rules"
    );
}
