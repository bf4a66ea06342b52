//! `dangan import`: turns plain-text and DOCX reports (often copied from Word,
//! PDF or web pages) into Markdown reports with front matter. This file holds
//! the pipeline: read → clean → split → title → structure → infer → write.

mod clean;
pub(crate) mod docx;
mod infer;
mod inputs;
mod markdown;
mod outline;
pub(crate) mod read;
mod signals;
mod split;
mod structure;
mod summary;
mod text;
mod title;
mod types;
mod write;

use std::path::{Path, PathBuf};

use anyhow::bail;

pub use summary::format_summary;
pub use types::{
    ImportOptions, ImportSummary, ImportedReport, Inference, RemovedLine, SkippedInput,
};

use crate::model::ReportDate;
use clean::CrossFile;
use read::{Document, Line, LineKind};

/// Imports `opts.inputs` into `opts.into`. Unreadable inputs are skipped (and
/// listed); an invalid option or a failed write is an error.
pub fn import(opts: &ImportOptions) -> anyhow::Result<ImportSummary> {
    let cli = Cli::check(opts)?;
    let (files, mut skipped) = inputs::collect(&opts.inputs, &opts.into);
    let mut docs = Vec::new();
    for path in files {
        match read::read_path(&path) {
            Ok(doc) => docs.push((path, doc)),
            Err(reason) => skipped.push(SkippedInput { path, reason }),
        }
    }
    let cross = CrossFile::new(docs.iter().map(|(_, d)| d.lines.as_slice()));
    let mut names = write::Names::default();
    let mut reports = Vec::new();
    for (path, doc) in docs {
        for draft in convert(&path, doc, &cross, &cli) {
            reports.push(finish(draft, opts, &mut names)?);
        }
    }
    Ok(ImportSummary { reports, skipped })
}

/// The numbered text lines import reads from a file (DOCX: one per paragraph
/// or table), before any cleaning — for previews and for checking that no text is lost.
pub fn source_lines(path: &Path) -> Result<Vec<(usize, String)>, String> {
    let doc = read::read_path(path)?;
    Ok(doc.lines.into_iter().map(|l| (l.no, l.text)).collect())
}

/// Command-line values, checked.
struct Cli {
    unit: Option<String>,
    kind: Option<String>,
    date: Option<String>,
}

impl Cli {
    fn check(opts: &ImportOptions) -> anyhow::Result<Cli> {
        if opts.inputs.is_empty() {
            bail!("no input: name the files or folders to import");
        }
        let text = |v: &Option<String>, flag: &str| -> anyhow::Result<Option<String>> {
            match v.as_deref().map(str::trim) {
                Some("") => bail!("{flag} is empty"),
                other => Ok(other.map(str::to_string)),
            }
        };
        let date = match opts.date.as_deref() {
            Some(d) => Some(
                ReportDate::parse_flag("--date", d)
                    .map_err(anyhow::Error::msg)?
                    .to_string(),
            ),
            None => None,
        };
        Ok(Cli {
            unit: text(&opts.unit, "--unit")?,
            kind: text(&opts.kind, "--type")?,
            date,
        })
    }
}

/// A report before its target is chosen.
struct Draft {
    source: PathBuf,
    title: String,
    fields: markdown::Fields,
    blocks: Vec<structure::Block>,
    removed: Vec<RemovedLine>,
    inferred: Vec<Inference>,
    missing: Vec<String>,
}

/// One document into one report per piece.
fn convert(path: &Path, doc: Document, cross: &CrossFile, cli: &Cli) -> Vec<Draft> {
    let cleaned = clean::clean(doc.lines, cross);
    let (pieces, split_removed) = split::split(cleaned.lines);
    let starts: Vec<usize> = pieces
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if k == 0 {
                0
            } else {
                p.label.as_ref().map_or(0, |l| l.line)
            }
        })
        .collect();
    let cx = PieceCx {
        path,
        hints: &cleaned.title_hints,
        web: cleaned.web,
        cli,
        format: &doc.format,
    };
    let mut drafts: Vec<Draft> = pieces.into_iter().map(|p| piece(&cx, p)).collect();
    if drafts.len() > 1 {
        for (k, d) in drafts.iter_mut().enumerate() {
            d.fields.source = format!("{} (part {})", d.fields.source, k + 1);
        }
    }
    for r in cleaned.removed.into_iter().chain(split_removed) {
        let k = starts.iter().rposition(|&s| s <= r.line).unwrap_or(0);
        drafts[k].removed.push(r);
    }
    for d in &mut drafts {
        d.removed.sort_by_key(|r| r.line);
    }
    drafts
}

/// What a piece of a document is read with.
struct PieceCx<'a> {
    path: &'a Path,
    hints: &'a [String],
    web: bool,
    cli: &'a Cli,
    format: &'a str,
}

/// One piece of a document into a draft report.
fn piece(cx: &PieceCx<'_>, p: split::Piece) -> Draft {
    let titled = title::take_title(p.lines, p.label.as_ref(), cx.web, cx.hints);
    let mut removed = titled.removed;
    let mut body = titled.body;
    lead_in(&mut body, titled.first_after, &mut removed);
    let parts = body.iter().any(|l| {
        outline::marker(text::trim_ws(&l.text)).is_some_and(|m| m.level == outline::Level::Part)
    });
    let body = structure::join_broken(structure::unflatten(body));
    let docx_shift = titled.from_heading1 && !body.iter().any(|l| l.kind == LineKind::Heading(1));
    let blocks = structure::to_blocks(&body, structure::Levels { parts, docx_shift });
    let (title, title_from) = match titled.title {
        Some(t) => (t, titled.from),
        None => (
            file_name(cx.path, true),
            "the file name (no title line found)".into(),
        ),
    };
    let mut inferred = vec![
        inference("encoding", cx.format, "the file's bytes".into()),
        inference("title", &title, title_from),
    ];
    let mut missing = Vec::new();
    let fields = fields(cx, &title, &body, &mut inferred, &mut missing);
    Draft {
        source: cx.path.to_path_buf(),
        title,
        fields,
        blocks,
        removed,
        inferred,
        missing,
    }
}

fn inference(field: &str, value: &str, from: String) -> Inference {
    Inference {
        field: field.into(),
        value: value.into(),
        from,
    }
}

/// How an input is named in the reports made from it: its full path, on
/// one line, so that `--force` knows which reports the same input wrote.
/// Two inputs never share it: a path that is not UTF-8 or holds a line
/// break or control character is written quoted, with those bytes and
/// characters escaped (`"/in/a\xFF.txt"`, `"/in/a\nb.txt"`); read plainly,
/// `a\xFF.txt` and `a\xFE.txt` (or `a\nb.txt` and `a b.txt`) gave one record,
/// and `--force` replaced the first one's report with the second's. A path
/// written as is begins with `/` (or a drive), never with a quote.
fn source_record(path: &Path) -> String {
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match full.to_str() {
        Some(s) if crate::text::clean_line(s) == s => s.to_string(),
        _ => crate::text::clean_line(&format!("{full:?}")).into_owned(),
    }
}

fn file_name(path: &Path, stem: bool) -> String {
    let name = if stem {
        path.file_stem()
    } else {
        path.file_name()
    };
    name.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Front matter values: command line, else inferred, else listed as missing.
fn fields(
    cx: &PieceCx<'_>,
    title: &str,
    body: &[Line],
    inferred: &mut Vec<Inference>,
    missing: &mut Vec<String>,
) -> markdown::Fields {
    let mut field = |name: &str, cli: &Option<String>, found, flag: &str, hint: &str| {
        let (value, inf) = choose(name, cli, found, flag);
        inferred.extend(inf);
        if value.is_none() {
            missing.push(format!("{name}: pass {flag} {hint}"));
        }
        value
    };
    let cli = cx.cli;
    let kind = field(
        "type",
        &cli.kind,
        infer::infer_kind(title),
        "--type",
        KIND_HINT,
    );
    let date = field(
        "date",
        &cli.date,
        infer::infer_date(title, body),
        "--date",
        DATE_HINT,
    );
    let unit = field(
        "unit",
        &cli.unit,
        infer::infer_unit(title, body),
        "--unit",
        UNIT_HINT,
    );
    markdown::Fields {
        source: source_record(cx.path),
        title: title.to_string(),
        unit,
        date,
        kind,
    }
}

const KIND_HINT: &str = "TYPE (for example --type 调研报告)";
const DATE_HINT: &str = "YYYY-MM-DD (or YYYY-MM when the day is unknown)";
const UNIT_HINT: &str = "UNIT (the unit that wrote the report)";

/// The command-line value wins; the inference is still shown when it differs.
fn choose(
    name: &str,
    cli: &Option<String>,
    found: Option<infer::Found>,
    flag: &str,
) -> (Option<String>, Option<Inference>) {
    match (cli, found) {
        (Some(v), found) => {
            let note = found
                .filter(|(f, _)| f != v)
                .map(|(f, from)| format!("; the text suggests “{f}” from {from}"))
                .unwrap_or_default();
            (
                Some(v.clone()),
                Some(Inference {
                    field: name.into(),
                    value: v.clone(),
                    from: format!("{flag} on the command line{note}"),
                }),
            )
        }
        (None, Some((v, from))) => (
            Some(v.clone()),
            Some(Inference {
                field: name.into(),
                value: v,
                from,
            }),
        ),
        (None, None) => (None, None),
    }
}

/// Cuts a website's lead-in sentences off the first line after the title.
fn lead_in(body: &mut Vec<Line>, first_after: usize, removed: &mut Vec<RemovedLine>) {
    let Some(i) = (first_after..body.len()).find(|&i| !text::trim_ws(&body[i].text).is_empty())
    else {
        return;
    };
    if body[i].kind != LineKind::Text {
        return;
    }
    let (rest, cut) = clean::strip_lead_in(&body[i].text);
    if cut.is_empty() {
        return;
    }
    let no = body[i].no;
    removed.extend(cut.into_iter().map(|(text, rule)| RemovedLine {
        line: no,
        text,
        rule,
    }));
    if text::trim_ws(&rest).is_empty() {
        body.remove(i);
    } else {
        body[i].text = rest;
    }
}

/// Chooses the target, then writes (or refuses, or only previews).
fn finish(
    d: Draft,
    opts: &ImportOptions,
    names: &mut write::Names,
) -> anyhow::Result<ImportedReport> {
    // A name held by a report that another input made is passed over (as a
    // second report of the same title is within one import); one the same
    // input made is replaced with --force; one written by hand never is.
    let record = &d.fields.source;
    let mut passed_over = Vec::new();
    let target = names.target(&opts.into, &d.title, |p| {
        if !p.exists() {
            return true;
        }
        match write::origin(p, record) {
            write::Origin::Other(from) => {
                passed_over.push(format!("{} was imported from {from}", p.display()));
                false
            }
            write::Origin::Same | write::Origin::ByHand => true,
        }
    });
    let content = markdown::render(&d.fields, &d.blocks);
    let refused = match target.exists().then(|| write::origin(&target, record)) {
        None => None,
        Some(write::Origin::Same) if opts.force => None,
        Some(write::Origin::Same) => Some(format!(
            "{} exists (imported from this file before); pass --force to replace it",
            target.display()
        )),
        Some(_) => Some(format!(
            "{} exists and was not written by dangan import from {record} (it has no \
             `# imported from` line), so it is never replaced, not even with --force; \
             rename or move it, or import into another folder with --into",
            target.display()
        )),
    };
    let mut notes = Vec::new();
    if !passed_over.is_empty() {
        notes.push(format!(
            "written as {}, as {}",
            target.display(),
            passed_over.join(" and ")
        ));
    }
    let write_now = refused.is_none() && !opts.dry_run;
    if write_now {
        write::write_file(&target, &content, opts.force)?;
    }
    Ok(ImportedReport {
        source: d.source,
        target,
        title: d.title,
        written: write_now,
        removed_lines: d.removed,
        inferred: d.inferred,
        missing: d.missing,
        refused,
        notes,
        markdown: content,
    })
}
