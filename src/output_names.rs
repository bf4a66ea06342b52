//! Every output path checked before anything is written, so that `check`
//! fails wherever `build` would: each name against the one rule of `paths`
//! (Windows shares, Linux's 255 bytes), each path against the share budget,
//! clashes on a case-blind share (two outputs at one path, a file where a
//! folder must be, folders spelled two ways), and dangan's own folders. Each
//! problem names the report and the field to change. Names that the Windows
//! rule changed get a warning, since links typed elsewhere would miss them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::diag::Diagnostic;
use crate::load::front_matter;
use crate::model::RESERVED_TOP;
use crate::model::{Alias, AliasTarget, ContentFile, Report, Site};
use crate::paths::{self, ClashKind, NameProblem, PathProblem};
use crate::render::{self, Job};

/// Linux refuses longer paths (PATH_MAX, the final NUL included).
const MAX_ABS_PATH_BYTES: usize = 4095;
/// Room for the temporary name of a file while it is written.
const TMP_ROOM: usize = 32;

/// All problems of the outputs of `jobs`, to be written into the folder `out`.
pub fn check(site: &Site, jobs: &[Job], out: &Path) -> Vec<Diagnostic> {
    let outputs: Vec<(String, Origin)> = jobs
        .iter()
        .map(|j| (render::job_path(site, j), Origin::of(site, j)))
        .collect();
    let mut diags = Vec::new();
    // A unit's page and its feed share a name: one message for both.
    let mut told = std::collections::HashSet::new();
    for (path, origin) in &outputs {
        if let Some(d) = reserved_top(path, origin) {
            diags.push(d);
        } else if let Some((name, problem)) = paths::path_problem(path) {
            let d = bad_path(site, path, name, &problem, origin);
            if told.insert((d.path.clone(), d.field.clone())) {
                diags.push(d);
            }
        }
        let len = out.as_os_str().len() + 1 + path.len() + TMP_ROOM;
        if len > MAX_ABS_PATH_BYTES {
            diags.push(
                origin
                    .error(site, format!("{} would be written to {}/{path}, a path of {len} bytes; Linux stops at {MAX_ABS_PATH_BYTES}", origin.what(), out.display()))
                    .hint("choose an output folder with a shorter path (--out)"),
            );
        }
    }
    same_file(site, &outputs, &mut diags);
    folder_clashes(site, &outputs, &mut diags);
    let published = jobs.iter().filter_map(|j| match j {
        Job::Attachment(rel) => Some(rel.as_str()),
        _ => None,
    });
    renamed_for_windows(site, &published.collect(), &mut diags);
    diags
}

/// `jobs` but the attachments only drafts use ([`Site::drafts_only`]):
/// those are published only when a published report links to them, which
/// is known once the reports' Markdown is, so that a name of theirs cannot
/// fail a build that leaves them out.
pub fn decided<'j>(site: &Site, jobs: &'j [Job]) -> Cow<'j, [Job]> {
    if site.drafts_only.is_empty() {
        return Cow::Borrowed(jobs);
    }
    let undecided = |j: &&Job| matches!(j, Job::Attachment(rel) if site.drafts_only.contains(rel));
    Cow::Owned(jobs.iter().filter(|j| !undecided(j)).cloned().collect())
}

/// What [`check`] looks at, hashed: every problem it finds follows from the
/// outputs' jobs and paths, the output folder, the reports' files and pages
/// and the attachments' names (its messages say more, but a clean check stays
/// clean while these stay the same). `watch` skips the check when they are
/// those of a check that found nothing: at 10,000 reports it is a good part of
/// a save's rebuild, and this hash costs a fraction of it.
pub fn inputs_hash(site: &Site, jobs: &[Job], out: &Path) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x6e61_6d65).build_hasher();
    out.hash(&mut h);
    jobs.len().hash(&mut h);
    for j in jobs {
        j.hash(&mut h);
        match j {
            // A report's page is its path (`render::job_path`), hashed with the reports below.
            Job::Report(_) => {}
            _ => render::job_path(site, j).hash(&mut h),
        }
    }
    site.reports.len().hash(&mut h);
    for r in site.reports.values() {
        (&r.id, &r.page).hash(&mut h);
    }
    site.files.len().hash(&mut h);
    for f in site.files.values() {
        (&f.rel, &f.site_path, f.markup).hash(&mut h);
    }
    h.finish()
}

/// What an output is made from, for messages.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    Report(&'a Report),
    Attachment(&'a ContentFile),
    Unit(&'a str),
    Type(&'a str),
    Asset(&'a str),
    /// A page at an old address, leading to this report: one of its
    /// `aliases:`, or else an address of the address record.
    Redirect(&'a Report, Option<&'a Alias>),
    /// One of dangan's own pages (home, index pages, feeds …).
    Own,
}

impl<'a> Origin<'a> {
    fn of(site: &'a Site, job: &'a Job) -> Origin<'a> {
        match job {
            Job::Report(id) => Origin::Report(&site.reports[id]),
            Job::Attachment(rel) => Origin::Attachment(&site.files[rel]),
            Job::Unit(u) | Job::UnitFeed(u) | Job::Compilation(u, _, _) => Origin::Unit(u),
            Job::Type(t) => Origin::Type(t),
            Job::Asset(a) => Origin::Asset(a),
            Job::Redirect(a) => {
                let r = &site.reports[&site.redirects[a]];
                Origin::Redirect(r, r.aliases.iter().find(|al| leads_from(al, a)))
            }
            _ => Origin::Own,
        }
    }

    fn is_content(&self) -> bool {
        matches!(self, Origin::Report(_) | Origin::Attachment(_))
    }

    /// The file to change, as messages show it.
    fn source(&self, site: &Site) -> String {
        match self {
            Origin::Report(r) => format!("content/{}", r.id),
            Origin::Attachment(f) => format!("content/{}", f.rel),
            Origin::Unit(u) => match unit_report(site, u) {
                Some(r) if !unit_has_slug(site, u) => format!("content/{}", r.id),
                _ => crate::config::CONFIG_FILE.to_string(),
            },
            Origin::Type(t) => site
                .types
                .get(*t)
                .and_then(|ids| ids.first())
                .map_or_else(|| "content".to_string(), |id| format!("content/{id}")),
            Origin::Asset(a) => match &site.config.theme {
                Some(theme) => format!("themes/{theme}/static/{a}"),
                None => format!("(built-in theme) static/{a}"),
            },
            Origin::Redirect(r, Some(_)) => format!("content/{}", r.id),
            Origin::Redirect(_, None) => crate::addresses::RECORD_FILE.to_string(),
            Origin::Own => "the site's own pages".to_string(),
        }
    }

    /// The front matter field, or setting, that names the output.
    fn field(&self, site: &Site) -> Option<&'static str> {
        match self {
            Origin::Report(r) if has_slug(r) => Some("slug"),
            Origin::Report(_) | Origin::Attachment(_) | Origin::Asset(_) => Some("file name"),
            Origin::Unit(u) if unit_has_slug(site, u) => Some("units.slug"),
            Origin::Unit(u) if unit_report(site, u).is_none() => Some("units.name"),
            Origin::Unit(_) => Some("unit"),
            Origin::Type(_) => Some("type"),
            Origin::Redirect(_, Some(_)) => Some("aliases"),
            Origin::Redirect(_, None) | Origin::Own => None,
        }
    }

    /// The output, as the start of a sentence.
    fn what(&self) -> String {
        match self {
            Origin::Report(_) => "its page".to_string(),
            Origin::Attachment(_) | Origin::Asset(_) => "it".to_string(),
            Origin::Unit(u) => format!("the page of unit \"{}\"", abbreviated(u)),
            Origin::Type(t) => format!("the page of type \"{}\"", abbreviated(t)),
            Origin::Redirect(_, Some(a)) => format!("the page for the alias \"{}\"", a.text),
            Origin::Redirect(r, None) => format!("the page at an old address of content/{}", r.id),
            Origin::Own => "a page of dangan's own".to_string(),
        }
    }

    /// An error at the source, with the field and its line where they are known.
    fn error(&self, site: &Site, message: String) -> Diagnostic {
        let mut d = Diagnostic::error(self.source(site), message);
        if let Some(field) = self.field(site) {
            d = d.field(field);
        }
        let report = match self {
            Origin::Report(r) => Some(*r),
            Origin::Unit(u) if !unit_has_slug(site, u) => unit_report(site, u),
            Origin::Type(t) => site
                .types
                .get(*t)
                .and_then(|ids| ids.first())
                .map(|id| &*site.reports[id]),
            _ => None,
        };
        let decl = match self {
            Origin::Unit(u) => site.config.unit_decl(u),
            _ => None,
        };
        let line = match (report, self.field(site)) {
            (Some(r), Some(f @ ("slug" | "unit" | "type"))) => field_line(r, f),
            (_, Some("units.slug")) => decl.and_then(|d| d.lines.slug),
            (_, Some("units.name")) => decl.map(|d| d.lines.name),
            _ => None,
        };
        let line = match self {
            Origin::Redirect(_, Some(a)) => Some(a.line),
            _ => line,
        };
        match line {
            Some(l) => d.at(l, 1),
            None => d,
        }
    }

    /// What would make a shorter name.
    fn shorten_hint(&self, site: &Site, whole_path: bool) -> String {
        let folders = if whole_path { " or of its folders" } else { "" };
        match (self, self.field(site)) {
            (Origin::Report(_), Some("slug")) => {
                format!(
                    "shorten the `slug:`{}",
                    if whole_path {
                        " or the names of its folders"
                    } else {
                        ""
                    }
                )
            }
            (Origin::Report(_), _) => format!(
                "shorten the name of the file{folders}, or give the report a shorter `slug:` (a name holds at most about 80 Chinese characters)"
            ),
            (Origin::Attachment(_) | Origin::Asset(_), _) => {
                format!("shorten the name of the file{folders}")
            }
            (Origin::Unit(u), Some("units.slug")) => {
                format!("shorten the slug of unit \"{u}\" in dangan.toml")
            }
            (Origin::Unit(u), _) => format!(
                "declare a short name for the unit's page in dangan.toml:\n      [[units]]\n      name = \"{u}\"\n      slug = \"…\""
            ),
            (Origin::Type(_), _) => "use a shorter type".to_string(),
            (Origin::Redirect(_, Some(_)), _) => {
                "remove this alias, or write the old address as it was".to_string()
            }
            (Origin::Redirect(_, None), _) => format!(
                "delete the line of that address from {}: it cannot be a page",
                crate::addresses::RECORD_FILE
            ),
            (Origin::Own, _) => "rename what this page is named after".to_string(),
        }
    }
}

/// Whether `alias` asks for a page at `address`: named outright, or the
/// page an old report file had without a slug. Other addresses of an old
/// file are the address record's.
fn leads_from(alias: &Alias, address: &str) -> bool {
    let claimed = match &alias.target {
        AliasTarget::Page(p) => Cow::Borrowed(p.as_str()),
        AliasTarget::Report(file) => {
            let stem = file.strip_suffix(".md").unwrap_or(file);
            Cow::Owned(paths::safe_path(&format!("{stem}.html")))
        }
    };
    claimed.to_lowercase() == address.to_lowercase()
}

/// A long name cut for a message (the file and field say which it is).
fn abbreviated(name: &str) -> Cow<'_, str> {
    const SHOWN: usize = 24;
    match name.char_indices().nth(SHOWN) {
        Some(_) if name.chars().count() > SHOWN + 8 => {
            let head: String = name.chars().take(SHOWN - 4).collect();
            let tail: String = name
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Cow::Owned(format!("{head}…{tail}"))
        }
        _ => Cow::Borrowed(name),
    }
}

fn has_slug(r: &Report) -> bool {
    let stem = Path::new(&r.id)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_file = match r.dir() {
        "" => format!("{stem}.html"),
        dir => format!("{dir}/{stem}.html"),
    };
    paths::safe_path(&from_file) != r.page
}

fn unit_has_slug(site: &Site, unit: &str) -> bool {
    site.config
        .unit_decl(unit)
        .is_some_and(|d| d.slug.is_some())
}

/// The newest report of a unit, which messages about the unit point at.
fn unit_report<'s>(site: &'s Site, unit: &str) -> Option<&'s Report> {
    let id = site.units.get(unit)?.reports.first()?;
    Some(&site.reports[id])
}

/// The line of a front matter field, read again from the file (only when
/// there is a problem to show, so the text need not be kept).
fn field_line(r: &Report, field: &str) -> Option<usize> {
    let text = std::fs::read_to_string(&r.source).ok()?;
    let split = front_matter::split("", &text).ok()?;
    let (fm, _) = front_matter::parse("", &split);
    fm.lines.get(field).copied()
}

/// A report or attachment at the top of a folder dangan writes its own pages into.
fn reserved_top(path: &str, origin: &Origin) -> Option<Diagnostic> {
    let (Origin::Report(_) | Origin::Attachment(_)) = origin else {
        return None;
    };
    let top = path.split('/').next().unwrap_or("");
    let source = match origin {
        Origin::Report(r) => &r.id,
        Origin::Attachment(f) => &f.rel,
        _ => unreachable!("only content outputs"),
    };
    RESERVED_TOP
        .iter()
        .any(|r| r.eq_ignore_ascii_case(top))
        .then(|| {
            Diagnostic::error(
                format!("content/{source}"),
                format!("would be written to {path}, which dangan uses for its own pages"),
            )
            .hint(format!("rename the file or folder `{top}` under content/"))
        })
}

fn bad_path(
    site: &Site,
    path: &str,
    name: Option<&str>,
    problem: &PathProblem,
    origin: &Origin,
) -> Diagnostic {
    let what = origin.what();
    match (problem, name) {
        (PathProblem::Name(NameProblem::TooLong(n)), Some(name)) => origin
            .error(
                site,
                format!("{what} would be named \"{}\", which is {n} bytes long; names stop at {} bytes", abbreviated(name), paths::MAX_NAME_BYTES),
            )
            .hint(origin.shorten_hint(site, false)),
        (PathProblem::TooLong(n), _) => origin
            .error(
                site,
                format!("{what} would be written to {path}, {n} characters long; Windows shares refuse paths much over {}", paths::MAX_PATH_UTF16),
            )
            .hint(origin.shorten_hint(site, true)),
        (PathProblem::Name(NameProblem::Reserved), name) => origin
            .error(
                site,
                format!("{what} would be written to {path}, but \"{}\" {}", name.unwrap_or(path), NameProblem::Reserved),
            )
            .hint("rename the file"),
        (problem, name) => origin
            .error(
                site,
                format!("{what} would be written to {path}, but \"{}\" {problem}", name.unwrap_or(path)),
            )
            .hint("rename it: Windows shares cannot hold that name"),
    }
}

/// Two or more outputs at one path (letter case aside, as on a Windows share).
fn same_file(site: &Site, outputs: &[(String, Origin)], diags: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<Cow<str>, Vec<usize>> = HashMap::with_capacity(outputs.len());
    for (i, (path, _)) in outputs.iter().enumerate() {
        let key = match path.chars().any(char::is_uppercase) {
            true => Cow::Owned(path.to_lowercase()),
            false => Cow::Borrowed(path.as_str()),
        };
        owners.entry(key).or_default().push(i);
    }
    let mut shared: Vec<(&Cow<str>, &Vec<usize>)> =
        owners.iter().filter(|(_, who)| who.len() > 1).collect();
    shared.sort();
    for (path, who) in shared {
        // A file under content/ at one of dangan's own places was told by
        // `reserved_top`, naming the file to rename, not the theme's.
        if who
            .iter()
            .any(|&i| reserved_top(&outputs[i].0, &outputs[i].1).is_some())
        {
            continue;
        }
        // The archive's files first: they are what the reader can rename.
        let mut sources: Vec<(bool, String)> = who
            .iter()
            .map(|&i| (!outputs[i].1.is_content(), outputs[i].1.source(site)))
            .collect();
        sources.sort();
        sources.dedup();
        let sources: Vec<String> = sources.into_iter().map(|(_, s)| s).collect();
        let content = who.iter().all(|&i| outputs[i].1.is_content());
        let hint = match content {
            true => "rename one of the files, or give one report another `slug:`",
            false => "rename the report, unit or type so that the pages differ",
        };
        let message = match sources.len() {
            1 => format!("two outputs would be written to {path}"),
            _ => format!(
                "would be written to the same file as {} ({path})",
                sources[1..].join(" and ")
            ),
        };
        diags.push(Diagnostic::error(sources[0].clone(), message).hint(hint));
    }
}

/// A file where another output needs a folder, and folders spelled two ways.
fn folder_clashes(site: &Site, outputs: &[(String, Origin)], diags: &mut Vec<Diagnostic>) {
    for c in paths::clashes(outputs.iter().map(|(p, _)| p.as_str())) {
        let (first, second) = (&outputs[c.first], &outputs[c.second]);
        let d = match c.kind {
            // Whole paths equal but for case: `same_file` names them.
            ClashKind::CaseOnly if c.at == second.0 => continue,
            ClashKind::CaseOnly => second.1.error(
                site,
                format!(
                    "would be written into the folder {}, which differs only in letter case from the folder {} of {}; a Windows share keeps one of them",
                    c.at,
                    c.other,
                    first.1.source(site)
                ),
            )
            .hint("spell the two folders the same way, or rename one"),
            ClashKind::FileAndFolder => {
                let (file, folder) = if c.at == second.0 {
                    (second, first)
                } else {
                    (first, second)
                };
                file.1.error(
                    site,
                    format!(
                        "{} would be written to {}, where {} needs a folder ({})",
                        file.1.what(),
                        file.0,
                        folder.1.source(site),
                        folder.0
                    ),
                )
                .hint("rename the file or the folder")
            }
        };
        diags.push(d);
    }
}

/// Warnings for reports and attachments (or their folders) that are
/// published under another name than theirs because Windows cannot hold it.
/// `files`: the attachments published (paths under `content/`).
fn renamed_for_windows(
    site: &Site,
    files: &std::collections::HashSet<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    let reports = site.reports.values().map(|r| {
        let (dir, file) = match r.id.rsplit_once('/') {
            Some((d, f)) => (Some(d), f),
            None => (None, r.id.as_str()),
        };
        let stem = Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let page_file = r.page.rsplit('/').next().unwrap_or("");
        // A slug, not the file name, names the page: only the folders count.
        let (raw_file, source_file) = match has_slug(r) {
            true => (page_file.to_string(), file.to_string()),
            false => (format!("{stem}.html"), file.to_string()),
        };
        let raw = dir.map_or(raw_file.clone(), |d| format!("{d}/{raw_file}"));
        (raw, r.page.clone(), source_file, Some(".md"))
    });
    let files = site
        .files
        .values()
        .filter(|f| files.contains(f.rel.as_str()))
        .map(|f| {
            // The ".txt" added to a web page among the attachments (#12 item 1)
            // has its own warning; only a change for Windows is told here.
            let published = match f.risk() {
                Some(r) if r.renamed() => f.site_path.strip_suffix(".txt").unwrap_or(&f.site_path),
                _ => &f.site_path,
            };
            (
                f.rel.clone(),
                published.to_string(),
                f.name().to_string(),
                None,
            )
        });
    let mut found: BTreeMap<String, Diagnostic> = BTreeMap::new();
    for (raw, published, source_file, ext) in reports.chain(files) {
        if raw == published {
            continue;
        }
        let raw_parts: Vec<&str> = raw.split('/').collect();
        let pub_parts: Vec<&str> = published.split('/').collect();
        let Some(i) = raw_parts.iter().zip(&pub_parts).position(|(a, b)| a != b) else {
            continue;
        };
        let is_file = i + 1 == raw_parts.len();
        let source_parts: Vec<&str> = raw_parts[..i]
            .iter()
            .copied()
            .chain([if is_file {
                source_file.as_str()
            } else {
                raw_parts[i]
            }])
            .collect();
        let source = format!("content/{}", source_parts.join("/"));
        if found.contains_key(&source) {
            continue;
        }
        let new_name = pub_parts[i];
        let invisible = raw_parts[i].chars().find(|c| paths::is_invisible(*c));
        let why = match (paths::name_problem(raw_parts[i]), invisible) {
            (Some(p), _) => format!(", because \"{}\" {p}", raw_parts[i]),
            (None, Some(c)) => format!(
                ", because \"{}\" holds the invisible character U+{:04X}, which makes a name look other than it is (a right-to-left override turns what follows it around)",
                raw_parts[i], c as u32
            ),
            (None, None) => String::new(),
        };
        let suggestion = match (is_file, ext) {
            (true, Some(ext)) => format!(
                "{}{ext}",
                new_name.strip_suffix(".html").unwrap_or(new_name)
            ),
            _ => new_name.to_string(),
        };
        let what = if is_file { "file" } else { "folder" };
        let d = Diagnostic::warning(
            &source,
            format!(
                "is published as {}{why}; links to {} from elsewhere will not find it",
                pub_parts[..=i].join("/"),
                raw_parts[..=i].join("/"),
            ),
        )
        .field("file name")
        .hint(match (paths::name_problem(raw_parts[i]), invisible) {
            (None, Some(_)) => format!(
                "rename the {what} without invisible characters (type its name again), for example \"{suggestion}\""
            ),
            _ => format!(
                "rename the {what} to a name Windows accepts, for example \"{suggestion}\""
            ),
        });
        found.insert(source, d);
    }
    diags.extend(found.into_values());
}
