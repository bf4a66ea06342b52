//! The cleaning rules on made-up boilerplate from other sources than the
//! samples: other advertisements, other websites' chrome and footers, page
//! numbers, watermarks, member-group notices, repetition across files — and
//! report text that looks a little like them but must stay.

use std::path::PathBuf;

use super::common::*;

struct Case {
    name: &'static str,
    text: &'static str,
    title: &'static str,
    removed: &'static [usize],
}

const CASES: &[Case] = &[
    Case {
        name: "other ad above the title",
        text: "免费下载更多精品公文材料\n关注微信公众号：公文在线，回复“材料”获取全文\n客服电话：13800138000\n\n\n2021年度工作总结\n今年以来，我局认真贯彻落实上级决策部署，各项工作取得新进展。\n一、主要工作\n全年完成项目12个，投资3.5亿元。\n",
        title: "2021年度工作总结",
        removed: &[1, 2, 3],
    },
    Case {
        name: "other website's header and footer",
        text: "首页 » 范文大全 » 工作总结 » 年终总结\n关于全县农村人居环境整治的汇报材料\n按照县委安排，现将我县农村人居环境整治工作汇报如下。\n一、工作开展情况\n全县共完成改厕3000户，清理垃圾500吨。\n来源：某某范文网 www.fanwen-example.cn\n联系电话：010-12345678\nCopyright © 2022 某某网 版权所有\n",
        title: "关于全县农村人居环境整治的汇报材料",
        removed: &[1, 6, 7, 8],
    },
    Case {
        name: "page numbers and a repeated watermark",
        text: "在全市安全生产工作会议上的讲话\n同志们：\n今天召开会议，主要任务是部署安全生产工作。\n内部资料 请勿外传\n- 1 -\n一、提高认识\n安全生产责任重于泰山，各级各部门要高度重视。\n内部资料 请勿外传\n第 2 页 共 3 页\n二、压实责任\n要层层压实责任，确保不出问题。\n内部资料 请勿外传\n",
        title: "在全市安全生产工作会议上的讲话",
        removed: &[4, 5, 8, 9, 12],
    },
    Case {
        name: "member-group notice in the middle",
        text: "某街道2023年工作计划\n为做好今年工作，结合实际制定本计划。\n加入VIP会员群，每日更新材料，QQ：123456789\n一、工作目标\n全年新增就业岗位300个。\n",
        title: "某街道2023年工作计划",
        removed: &[3],
    },
    Case {
        name: "report text that mentions platforms, sites and phones stays",
        text: "关于政务公开工作的情况报告\n我们通过微信公众号、QQ群等平台，及时发布政务信息，扩大了覆盖面。\n详见区政府网站（http://www.example.gov.cn）公布的名单，共计120人。\n本次活动共吸纳工会会员120人，会员满意度达到98%。\n联系人：张三，电话：010-12345678\n",
        title: "关于政务公开工作的情况报告",
        removed: &[],
    },
    Case {
        name: "a web page flattened onto one line with its lead-in",
        text: "您好，欢迎来到某某公文网！\n最新关于乡村振兴工作的调研报告【摘要】本文是网友投稿的精品范文，欢迎下载收藏。点击下载完整版文档。为全面了解乡村振兴工作情况，我们开展了调研，现报告如下：一、基本情况全镇共有行政村12个，总人口3万人，耕地面积5万亩，主导产业为蔬菜种植和畜牧养殖，近年来农民收入稳步增长。二、存在问题一是产业结构单一，抗风险能力弱。二是人才流失严重，村级班子老化。三是基础设施薄弱，公共服务不足。三、对策建议一是壮大特色产业，延长产业链条。二是加强人才引进，优化班子结构。三是补齐设施短板，提升服务水平。\n",
        title: "关于乡村振兴工作的调研报告",
        removed: &[1, 2, 2, 2],
    },
];

fn write_case(dir: &std::path::Path, k: usize, c: &Case) -> PathBuf {
    let p = dir.join(format!("case{k}.txt"));
    std::fs::write(&p, c.text).unwrap();
    p
}

#[test]
fn cleaning_rules_are_general() {
    let dir = tempfile::tempdir().unwrap();
    for (k, c) in CASES.iter().enumerate() {
        let p = write_case(dir.path(), k, c);
        let s = dry(&[&p]);
        let r = reports_of(&s, &p);
        assert_eq!(r.len(), 1, "{}", c.name);
        assert_eq!(r[0].title, c.title, "{}", c.name);
        let removed: Vec<usize> = r[0].removed_lines.iter().map(|l| l.line).collect();
        assert_eq!(removed, c.removed, "{}: {:#?}", c.name, r[0].removed_lines);
        assert!(r[0].removed_lines.iter().all(|l| !l.rule.is_empty()));
        assert_no_text_lost(&p, &r);
    }
}

#[test]
fn the_flattened_web_page_gets_its_outline_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_case(dir.path(), 5, &CASES[5]);
    let s = dry(&[&p]);
    let body = split_md(&s.reports[0].markdown).1;
    assert_eq!(heading_counts(body), [0, 3, 0, 0, 0, 0], "{body}");
    assert!(
        body.contains("## 一、基本情况\n\n全镇共有行政村12个"),
        "{body}"
    );
    assert!(body.starts_with("为全面了解乡村振兴工作情况"), "{body}");
}

#[test]
fn lines_repeated_across_files_are_removed_when_they_look_like_chrome() {
    let dir = tempfile::tempdir().unwrap();
    let a = "甲镇工作总结\n今年以来，甲镇认真落实各项工作。\n某某文稿整理\n一、主要成效\n完成了年度目标任务，群众满意度提高。\n";
    let b = "乙镇工作总结\n今年以来，乙镇认真落实各项工作。\n某某文稿整理\n一、主要成效\n完成了年度目标任务，群众满意度提高。\n";
    let pa = dir.path().join("a.txt");
    let pb = dir.path().join("b.txt");
    std::fs::write(&pa, a).unwrap();
    std::fs::write(&pb, b).unwrap();
    let s = dry(&[dir.path()]);
    for p in [&pa, &pb] {
        let r = reports_of(&s, p);
        let removed: Vec<(usize, &str)> = r[0]
            .removed_lines
            .iter()
            .map(|l| (l.line, l.rule.as_str()))
            .collect();
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert_eq!(removed[0].0, 3);
        assert!(
            removed[0].1.contains("repeated in 2 input files"),
            "{removed:?}"
        );
        // The shared heading and sentence are report text and stay.
        assert!(r[0].markdown.contains("## 一、主要成效"));
        assert!(
            r[0].markdown
                .contains("完成了年度目标任务，群众满意度提高。")
        );
        assert_no_text_lost(p, &r);
    }
    // Alone, the same line is kept: one file gives no evidence of repetition.
    let alone = dry(&[&pa]);
    assert!(alone.reports[0].removed_lines.is_empty());
}
