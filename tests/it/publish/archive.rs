//! The archive the publish tests build: reports written as Markdown with front matter (and an
//! attachment beside some), built by dangan itself, so that the tests publish real output.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const UNITS: [&str; 6] = [
    "市委办公室",
    "市委组织部",
    "荔湾区委",
    "越秀区政府办公室",
    "东街道党工委",
    "柳林镇党委",
];
const TYPES: [&str; 4] = ["调研报告", "汇报提纲", "工作总结", "情况通报"];
const TEXT: &str = "坚持以习近平新时代中国特色社会主义思想为指导，全面加强基层党组织建设，\
    推动党建工作与业务工作深度融合。主要做法：建立健全工作机制，压实责任，强化督促检查。\
    部分支部组织生活不够规范，党员教育管理有待加强。下一步打算：深化调查研究，抓好整改落实。";

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub unit: String,
    pub year: u32,
    pub kind: String,
    pub body: String,
    /// A PDF beside the report, named after it (so listed on its page).
    pub attachment: bool,
}

/// The archive's reports, keyed by their path under `content/` without `.md`; the page of
/// `reports/2011/r000013` is `reports/2011/r000013.html`.
#[derive(Debug, Clone, Default)]
pub struct ArchiveModel {
    pub reports: BTreeMap<String, Report>,
}

impl ArchiveModel {
    /// `n` reports of about `body_bytes` each, deterministic: years 2010–2024 (so that with
    /// 24 reports some years have a single report), units and types in turn.
    pub fn generate(n: usize, body_bytes: usize) -> ArchiveModel {
        let mut m = ArchiveModel::default();
        for i in 0..n {
            let year = 2010 + (i * 7 % 15) as u32;
            let report = Report {
                title: format!("关于第{i}号工作情况的报告"),
                unit: UNITS[i * 5 % UNITS.len()].to_string(),
                year,
                kind: TYPES[i * 3 % TYPES.len()].to_string(),
                body: body(i, body_bytes),
                attachment: i % 10 == 3,
            };
            m.reports.insert(format!("reports/{year}/r{i:06}"), report);
        }
        m
    }

    /// Write the reports into `content` (emptied first).
    pub fn write(&self, content: &Path) {
        if content.exists() {
            fs::remove_dir_all(content).unwrap();
        }
        for (id, r) in &self.reports {
            let md = content.join(format!("{id}.md"));
            fs::create_dir_all(md.parent().unwrap()).unwrap();
            let mut text = format!(
                "---\ntitle: \"{}\"\nunit: \"{}\"\ndate: {}-{:02}-15\ntype: {}\n---\n\n",
                r.title,
                r.unit,
                r.year,
                1 + id.len() % 12,
                r.kind
            );
            for (n, para) in r.body.split("\n\n").enumerate() {
                let _ = write!(text, "## {}、第{}部分\n\n{para}\n\n", n + 1, n + 1);
            }
            fs::write(&md, text).unwrap();
            if r.attachment {
                let pdf = content.join(format!("{id}-附件.pdf"));
                fs::write(pdf, format!("%PDF-1.4 {}", r.title)).unwrap();
            }
        }
    }
}

fn body(seed: usize, bytes: usize) -> String {
    let mut s = format!("编号{seed}。");
    let chars: Vec<char> = TEXT.chars().collect();
    let mut i = seed % chars.len();
    while s.len() < bytes {
        s.push(chars[i % chars.len()]);
        i += 1;
        if i.is_multiple_of(293) {
            s.push_str("\n\n");
        }
    }
    s
}
