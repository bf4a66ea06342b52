//! Bad input: every problem in one run, each with file, line, field and a fix; exit 1.

use crate::support::*;

/// (file, content, expected `path:line` prefix, expected words of the message)
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "empty.md",
        "",
        "content/empty.md:1: error: the file is empty",
        "a report starts with front matter",
    ),
    (
        "nofm.md",
        "# 标题\n正文\n",
        "content/nofm.md:1:1: error: the report has no front matter",
        "begin the file with a line `---`",
    ),
    (
        "unclosed.md",
        "---\nunit: 甲\ndate: 2020-01-01\n正文\n",
        "content/unclosed.md:1:1: error: the front matter is never closed",
        "add a line `---`",
    ),
    (
        "baddate.md",
        "---\nunit: 甲\ndate: 2021-02-30\ntype: 总结\n---\n",
        "content/baddate.md:3:1: error: field `date`: \"2021-02-30\" is not a real date: 2021-02 has 28 days",
        "YYYY-MM-DD",
    ),
    (
        "list.md",
        "---\nunit: [甲, 乙]\ndate: 2021-02-03\ntype: 总结\n---\n",
        "content/list.md:2:1: error: field `unit`: is a list, but `unit` takes a single text",
        "a report has one unit",
    ),
    (
        "nounit.md",
        "---\ndate: 2021-02-03\ntype: 总结\n---\n",
        "content/nounit.md:1: error: field `unit`: the required field `unit` is missing",
        "add a line `unit: ",
    ),
    (
        "badyaml.md",
        "---\nunit: 甲\ntitle: [未闭合\ndate: 2021-02-03\ntype: 总结\n---\n",
        "content/badyaml.md:",
        "the front matter is not valid YAML",
    ),
    (
        "link.md",
        "---\nunit: 甲\ndate: 2021-02-03\ntype: 总结\n---\n\n第一段。\n\n见[另一篇](不存在.md)。\n",
        "content/link.md:9:2: error: links to \"不存在.md\", which does not exist",
        "correct the link",
    ),
];

#[test]
fn every_bad_input_gets_its_own_message_in_one_run() {
    let a = Archive::new();
    for (name, text, _, _) in CASES {
        a.report(name, text);
    }
    a.write(
        "content/gbk.md",
        &[
            b"---\nunit: ".as_slice(),
            &[0xbc, 0xd7],
            b"\ndate: 2020-01-01\ntype: x\n---\n",
        ]
        .concat(),
    );
    a.report(
        "warn.md",
        "---\nuint: 甲\nunit: 甲\ndate: 2021-02-03\ntype: 总结\n---\n",
    );
    let run = a.build();
    run.fails(1);
    let err = run.stderr();
    for (name, _, prefix, words) in CASES {
        assert!(
            err.contains(prefix),
            "{name}: expected `{prefix}` in:\n{err}"
        );
        assert!(err.contains(words), "{name}: expected `{words}` in:\n{err}");
    }
    assert!(
        err.contains("content/gbk.md:2: error: the file is not UTF-8 text (probably GBK/GB18030"),
        "{err}"
    );
    assert!(err.contains("content/warn.md:2:1: warning: field `uint`: unknown field `uint` is ignored\n  = help: did you mean `unit`?"), "{err}");
    assert!(
        err.contains("9 error(s), 1 warning(s); nothing was written"),
        "{err}"
    );
    assert!(!a.out().exists(), "a failed build writes nothing");
}

#[test]
fn json_format_gives_the_same_diagnostics() {
    let a = Archive::new();
    a.report("baddate.md", CASES[3].1);
    let run = a.run(&["check", "--format", "json"]);
    run.fails(1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).expect("json on stdout");
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["path"], "content/baddate.md");
    assert_eq!(d["line"], 3);
    assert_eq!(d["column"], 1);
    assert_eq!(d["field"], "date");
    assert_eq!(d["severity"], "error");
    assert!(d["hint"].as_str().unwrap().contains("YYYY-MM-DD"));
}

#[test]
fn two_reports_writing_one_file_are_named_together() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", ""));
    a.report(
        "b.md",
        "---\nunit: 单位\ndate: 2020-01-01\ntype: 总结\nslug: a\n---\n",
    );
    a.report("C.md", &report("丙", "单位", "2020-01-01", "总结", ""));
    a.report("c.md", &report("丁", "单位", "2020-01-01", "总结", ""));
    let err = a.build().fails(1).stderr();
    assert!(
        err.contains(
            "content/a.md: error: would be written to the same file as content/b.md (a.html)"
        ),
        "{err}"
    );
    assert!(
        err.contains("content/C.md: error: would be written to the same file as content/c.md"),
        "case-only difference: {err}"
    );
}

#[test]
fn closed_lists_of_types_and_units_suggest_the_closest() {
    let a = Archive::new();
    a.write("dangan.toml", "types = [\"调研报告\", \"工作总结\"]\nclosed_units = true\n[[units]]\nname = \"市委办公室\"\n".as_bytes());
    a.report(
        "a.md",
        "---\nunit: 市委办公厅\ndate: 2020-01-01\ntype: 调研报\n---\n",
    );
    let err = a.build().fails(1).stderr();
    assert!(err.contains("content/a.md:4:1: error: field `type`: \"调研报\" is not one of the types dangan.toml allows\n  = help: did you mean \"调研报告\"?"), "{err}");
    assert!(err.contains("content/a.md:2:1: error: field `unit`: \"市委办公厅\" is not one of the units declared in dangan.toml\n  = help: did you mean \"市委办公室\"?"), "{err}");
}

#[test]
fn config_and_template_errors_name_file_and_line() {
    let a = Archive::new();
    a.report("a.md", &report("甲", "单位", "2020-01-01", "总结", ""));
    a.write("dangan.toml", b"title = \"x\"\nouptut = \"site\"\n");
    let err = a.build().fails(1).stderr();
    assert!(
        err.contains("dangan.toml:2:1: error: unknown field `ouptut`"),
        "{err}"
    );

    a.write("dangan.toml", b"theme = \"t\"\n");
    a.write("themes/t/templates/home.html", b"{% extends \"base.html\" %}\n{% block main %}\n{{ site.title | nosuchfilter }}\n{% endblock main %}\n");
    let err = a.build().fails(1).stderr();
    assert!(err.contains("themes/t/templates/home.html:3:"), "{err}");
    assert!(err.contains("nosuchfilter"), "{err}");
}

#[test]
fn a_draft_may_wait_for_its_required_fields_but_not_a_report() {
    let a = Archive::new();
    a.report(
        "ok.md",
        &report("甲", "单位", "2020-01-01", "总结", "见[草稿](draft.md)。"),
    );
    a.report(
        "draft.md",
        "---\nunit: 单位\ntype: 总结\ndraft: true\n---\n正文\n",
    );
    let run = a.build();
    run.ok();
    assert!(
        run.stderr().contains("1 draft(s) left out"),
        "{}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains("does not exist"),
        "the link is to a draft, not to a missing report: {}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("content/draft.md:1: warning: field `date`: this draft has no `date` yet; it is left out until it has one\n  = help: add a line `date: 2021-03-05` between the `---` lines, then remove `draft: true` to publish it"),
        "{}",
        run.stderr()
    );
    assert!(!a.out().join("draft.html").exists());
    a.report("draft.md", "---\nunit: 单位\ntype: 总结\n---\n正文\n");
    let err = a.build().fails(1).stderr();
    assert!(
        err.contains(
            "content/draft.md:1: error: field `date`: the required field `date` is missing"
        ),
        "{err}"
    );
}
