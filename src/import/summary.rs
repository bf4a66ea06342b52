//! The human-readable import summary: what was (or would be) written, the
//! structure of each report, every removed line with its rule, every inferred
//! field with its source, and exactly what to add where a field is missing
//! (such a report is written as a draft).

use std::fmt::Write;
use std::path::Path;

use super::types::{ImportSummary, ImportedReport};

/// Human-readable summary text (what was written, removed lines, inferences, what to pass for missing fields).
pub fn format_summary(s: &ImportSummary) -> String {
    let mut out = String::new();
    // "7 written, 5 of them as drafts"
    let count = |keep: &dyn Fn(&ImportedReport) -> bool, what: &str| {
        let n = s.reports.iter().filter(|r| keep(r)).count();
        let drafts = s
            .reports
            .iter()
            .filter(|r| keep(r) && !r.missing.is_empty())
            .count();
        if drafts > 0 {
            format!("{n} {what}, {drafts} of them as drafts")
        } else {
            format!("{n} {what}")
        }
    };
    let written = count(&|r| r.written, "written");
    let dry = count(&would_write, "would be written (dry run)");
    let held = s
        .reports
        .iter()
        .filter(|r| !r.written && !would_write(r))
        .count();
    let _ = writeln!(
        out,
        "{} report(s) from {} file(s): {written}; {dry}; {held} not written; {} input(s) skipped.",
        s.reports.len(),
        count_sources(s),
        s.skipped.len()
    );
    let mut last_source: Option<&Path> = None;
    for r in &s.reports {
        if last_source != Some(r.source.as_path()) {
            let _ = writeln!(out, "\n{}", r.source.display());
            last_source = Some(r.source.as_path());
        }
        report(&mut out, r);
    }
    if !s.skipped.is_empty() {
        let _ = writeln!(out, "\nSkipped:");
        for k in &s.skipped {
            let _ = writeln!(out, "  {}: {}", k.path.display(), k.reason);
        }
    }
    next_steps(&mut out, s);
    out
}

fn would_write(r: &ImportedReport) -> bool {
    !r.written && r.refused.is_none()
}

fn count_sources(s: &ImportSummary) -> usize {
    let mut v: Vec<&Path> = s.reports.iter().map(|r| r.source.as_path()).collect();
    v.dedup();
    v.len()
}

fn report(out: &mut String, r: &ImportedReport) {
    let as_draft = if r.missing.is_empty() {
        ""
    } else {
        " as a draft"
    };
    let status = if r.written {
        format!("written{as_draft}")
    } else if would_write(r) {
        format!("would write{as_draft} (dry run)")
    } else {
        format!("NOT WRITTEN: {}", r.refused.as_deref().unwrap_or("refused"))
    };
    let _ = writeln!(out, "  -> {}  [{status}]", r.target.display());
    for i in &r.inferred {
        let _ = writeln!(out, "     {}: {} (from {})", i.field, i.value, i.from);
    }
    for m in &r.missing {
        let _ = writeln!(out, "     missing {m}");
    }
    for n in &r.notes {
        let _ = writeln!(out, "     note: {n}");
    }
    let _ = writeln!(out, "     body: {}", outline(&r.markdown));
    if would_write(r) {
        let fm: Vec<&str> = r.markdown.lines().take_while(|l| !l.is_empty()).collect();
        let _ = writeln!(out, "     front matter:\n       {}", fm.join("\n       "));
    }
    if !r.removed_lines.is_empty() {
        let _ = writeln!(
            out,
            "     removed {} line(s) or part(s):",
            r.removed_lines.len()
        );
        for l in &r.removed_lines {
            let _ = writeln!(
                out,
                "       line {}: {} — {}",
                l.line,
                shorten(&l.text, 60),
                l.rule
            );
        }
    }
}

/// "2 ## headings, 5 ###, 0 ####, 30 paragraphs, 1 table".
pub(crate) fn outline(markdown: &str) -> String {
    let body = markdown.split("\n---\n").nth(1).unwrap_or(markdown);
    let count = |p: &str| body.lines().filter(|l| l.starts_with(p)).count();
    let paras = body
        .split("\n\n")
        .filter(|b| !b.trim().is_empty() && !b.starts_with('#') && !b.starts_with('|'))
        .count();
    format!(
        "{} ## headings, {} ###, {} ####, {} paragraphs, {} tables",
        count("## "),
        count("### "),
        count("#### "),
        paras,
        body.split("\n\n").filter(|b| b.starts_with('|')).count()
    )
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// How to complete the drafts.
fn next_steps(out: &mut String, s: &ImportSummary) {
    let drafts: Vec<&ImportedReport> = s
        .reports
        .iter()
        .filter(|r| !r.missing.is_empty() && (r.written || would_write(r)))
        .collect();
    if !drafts.is_empty() {
        let _ = writeln!(
            out,
            "\nDrafts: these reports lack a required field the text does not state. They build, but are not\npublished until the field is added to their front matter and the line `draft: true` is deleted:"
        );
        for r in &drafts {
            let fields: Vec<&str> = r
                .missing
                .iter()
                .map(|m| m.split(':').next().unwrap_or(m))
                .collect();
            let _ = writeln!(out, "  {}: add {}", r.target.display(), fields.join(", "));
        }
        // Importing a file again with a value is safe only where that value is
        // not wanted elsewhere: every report of the file lacks the same fields.
        let mut again: Vec<String> = Vec::new();
        for r in &drafts {
            if s.reports
                .iter()
                .any(|x| x.source == r.source && x.missing != r.missing)
            {
                continue;
            }
            let flags: Vec<&str> = r
                .missing
                .iter()
                .filter_map(|m| m.split("pass ").nth(1))
                .map(|f| f.split(" (").next().unwrap_or(f))
                .collect();
            let force = if r.written { " --force" } else { "" };
            let line = format!("  {}: add {}{force}", r.source.display(), flags.join(" "));
            if !again.contains(&line) {
                again.push(line);
            }
        }
        if !again.is_empty() {
            let _ = writeln!(
                out,
                "Or, where one value fits every report of a file, import that file again with it (--force\nreplaces the reports written from it, with any change made to them since):"
            );
            out.push_str(&again.join("\n"));
            out.push('\n');
        }
    }
    if s.reports
        .iter()
        .any(|r| r.refused.as_deref().is_some_and(|x| x.contains("--force")))
    {
        let _ = writeln!(
            out,
            "\nExisting files were left as they are; pass --force to overwrite them."
        );
    }
}
