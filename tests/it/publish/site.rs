//! A stand-in for dangan's build: renders a site laid out as LAYOUT.md says (report pages,
//! unit/year/type indexes, home, search, assets, attachments, `.dangan-manifest`), with
//! relative, percent-encoded links. Shared by the integration tests and the benchmark.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');
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
    推动党建工作与业务工作深度融合。一、基本情况。（一）主要做法：建立健全工作机制，压实责任，\
    强化督促检查。二、存在问题。部分支部组织生活不够规范，党员教育管理有待加强。三、下一步打算。";

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub unit: String,
    pub year: u32,
    pub kind: String,
    pub body: String,
    pub attachment: bool,
}

/// The archive's content, keyed by the report's page path without `.html`.
#[derive(Debug, Clone, Default)]
pub struct SiteModel {
    pub reports: BTreeMap<String, Report>,
    /// Number of `_search/` shards to write.
    pub shards: usize,
}

impl SiteModel {
    /// `n` reports of about `body_bytes` each, deterministic.
    pub fn generate(n: usize, body_bytes: usize) -> SiteModel {
        let mut m = SiteModel {
            shards: (n / 500).max(2),
            ..Default::default()
        };
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

    /// Render the whole site into `out` (emptied first), as a build would.
    pub fn write(&self, out: &Path) {
        if out.exists() {
            fs::remove_dir_all(out).unwrap();
        }
        let files = self.render();
        let mut list = String::new();
        for (rel, bytes) in &files {
            let p = out.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
            let _ = writeln!(list, "{rel}");
        }
        fs::write(out.join(".dangan-manifest"), list).unwrap();
    }

    /// Every output file, path -> bytes.
    pub fn render(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        out.insert(
            "_assets/style.css".into(),
            b"body{font-family:FangSong,serif}\n".to_vec(),
        );
        out.insert(
            "_assets/search.js".into(),
            b"// loads ../_search/N.js on demand\n".to_vec(),
        );
        for s in 0..self.shards {
            let ids: Vec<&String> = self.reports.keys().skip(s).step_by(self.shards).collect();
            out.insert(
                format!("_search/{s}.js"),
                format!("window.shard({s},{ids:?});\n").into_bytes(),
            );
        }
        let by_unit = self.group(|r| r.unit.clone());
        for (id, r) in &self.reports {
            let siblings = &by_unit[&r.unit];
            let at = siblings.iter().position(|s| s == id).unwrap();
            let prev = at.checked_sub(1).map(|i| siblings[i].as_str());
            let next = siblings.get(at + 1).map(String::as_str);
            out.insert(
                format!("{id}.html"),
                self.report_page(id, r, prev, next).into_bytes(),
            );
            if r.attachment {
                out.insert(
                    format!("{id}.pdf"),
                    format!("%PDF-1.4 {}", r.title).into_bytes(),
                );
            }
        }
        for (name, key) in [("unit", 0), ("year", 1), ("type", 2)] {
            let groups =
                self.group(|r| [r.unit.clone(), r.year.to_string(), r.kind.clone()][key].clone());
            for (g, ids) in &groups {
                out.insert(
                    format!("{name}/{g}.html"),
                    self.index_page(&format!("{name}/{g}.html"), g, ids)
                        .into_bytes(),
                );
            }
            let names: Vec<String> = groups.keys().map(|g| format!("{name}/{g}.html")).collect();
            out.insert(
                format!("{name}/index.html"),
                list_page(&format!("{name}/index.html"), name, &names).into_bytes(),
            );
        }
        out.insert(
            "search.html".into(),
            page("search.html", "搜索", "<div id=results></div>").into_bytes(),
        );
        out.insert(
            "404.html".into(),
            page("404.html", "找不到页面", "<p>页面不存在</p>").into_bytes(),
        );
        let newest: Vec<String> = self
            .reports
            .keys()
            .rev()
            .take(20)
            .map(|id| format!("{id}.html"))
            .collect();
        let mut home = list_page("index.html", "首页", &newest);
        let _ = write!(home, "<!-- {} reports -->", self.reports.len());
        out.insert("index.html".into(), home.into_bytes());
        out
    }

    fn group(&self, key: impl Fn(&Report) -> String) -> BTreeMap<String, Vec<String>> {
        let mut g: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, r) in &self.reports {
            g.entry(key(r)).or_default().push(id.clone());
        }
        g
    }

    fn report_page(&self, id: &str, r: &Report, prev: Option<&str>, next: Option<&str>) -> String {
        let me = format!("{id}.html");
        let mut body = String::new();
        let _ = write!(
            body,
            "<p class=meta><a href=\"{}\">{}</a> · <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
            href(&me, &format!("unit/{}.html", r.unit)),
            r.unit,
            href(&me, &format!("year/{}.html", r.year)),
            r.year,
            href(&me, &format!("type/{}.html", r.kind)),
            r.kind,
        );
        let _ = write!(
            body,
            "<nav id=toc><a href=\"#s1\">一、基本情况</a></nav><article><h2 id=s1>一、基本情况</h2><p>{}</p></article>",
            r.body
        );
        if r.attachment {
            let _ = write!(
                body,
                "<p>附件：<a href=\"{}\">材料.pdf</a></p>",
                href(&me, &format!("{id}.pdf"))
            );
        }
        for (word, other) in [("上一篇", prev), ("下一篇", next)] {
            if let Some(o) = other {
                let _ = write!(
                    body,
                    "<a rel=nofollow href=\"{}\">{word}</a>",
                    href(&me, &format!("{o}.html"))
                );
            }
        }
        page(&me, &r.title, &body)
    }

    fn index_page(&self, me: &str, title: &str, ids: &[String]) -> String {
        let mut body = String::new();
        for id in ids {
            let r = &self.reports[id];
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a> {}</li>",
                href(me, &format!("{id}.html")),
                r.title,
                r.year
            );
        }
        page(me, title, &format!("<ul>{body}</ul>"))
    }
}

fn list_page(me: &str, title: &str, targets: &[String]) -> String {
    let mut body = String::new();
    for t in targets {
        let _ = write!(body, "<li><a href=\"{}\">{t}</a></li>", href(me, t));
    }
    page(me, title, &format!("<ul>{body}</ul>"))
}

/// A page with the common head and navigation; links are relative to `me`.
fn page(me: &str, title: &str, body: &str) -> String {
    let h = |t: &str| href(me, t);
    format!(
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>{title}</title>\
         <link rel=stylesheet href=\"{}\"><script src=\"{}\" defer></script></head><body>\
         <header><a href=\"{}\">首页</a> <a href=\"{}\">单位</a> <a href=\"{}\">年份</a> \
         <a href=\"{}\">类型</a> <a href=\"{}?q=党建\">搜索</a> <a href=\"https://example.cn/\">外部</a></header>\
         <h1>{title}</h1>{body}</body></html>\n",
        h("_assets/style.css"),
        h("_assets/search.js"),
        h("index.html"),
        h("unit/index.html"),
        h("year/index.html"),
        h("type/index.html"),
        h("search.html"),
    )
}

/// The relative, percent-encoded href from page `from` to site path `to`.
pub fn href(from: &str, to: &str) -> String {
    let depth = from.matches('/').count();
    let rel = format!("{}{to}", "../".repeat(depth));
    utf8_percent_encode(&rel, PATH).to_string()
}

fn body(seed: usize, bytes: usize) -> String {
    let mut s = format!("<!-- {seed} -->");
    let chars: Vec<char> = TEXT.chars().collect();
    let mut i = seed % chars.len();
    while s.len() < bytes {
        s.push(chars[i % chars.len()]);
        i += 1;
        if i.is_multiple_of(97) {
            s.push_str("</p><p>");
        }
    }
    s
}
