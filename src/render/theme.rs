//! Themes: the built-in one embedded in the binary, and an archive's own
//! `themes/<name>/` that overrides single templates and assets.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use rust_embed::RustEmbed;
use walkdir::WalkDir;

use crate::diag::{Diagnostic, line_col};

#[derive(RustEmbed)]
#[folder = "themes/default/"]
struct Builtin;

pub struct Theme {
    pub(super) tera: tera::Tera,
    /// Files under the theme's `static/`, written to `_assets/`.
    pub assets: BTreeMap<String, Cow<'static, [u8]>>,
    /// Where each template came from, for messages.
    origins: BTreeMap<String, String>,
    /// A hash of every template and asset: the build cache's pages are
    /// those of this theme only.
    pub key: u128,
}

impl Theme {
    /// The built-in theme, overridden by `root/themes/<name>/` when a name is given.
    pub fn load(root: &Path, name: Option<&str>) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut assets: BTreeMap<String, Cow<'static, [u8]>> = BTreeMap::new();
        for file in Builtin::iter() {
            let data = Builtin::get(&file).expect("listed file exists").data;
            if let Some(t) = file.strip_prefix("templates/") {
                let text = String::from_utf8_lossy(&data).into_owned();
                templates.insert(
                    t.to_string(),
                    (format!("(built-in theme) templates/{t}"), text),
                );
            } else if let Some(a) = file.strip_prefix("static/") {
                assets.insert(a.to_string(), data);
            }
        }
        if let Some(name) = name {
            let dir = root.join("themes").join(name);
            if !dir.is_dir() {
                return Err(vec![Diagnostic::error("dangan.toml", format!("the theme \"{name}\" does not exist: there is no folder themes/{name}/"))
                    .field("theme")
                    .hint(format!("create themes/{name}/templates/ with the templates to override, or remove the `theme` line to use the built-in theme"))]);
            }
            let mut problems = Vec::new();
            let mut not_utf8 = Vec::new();
            read_dir_files(
                &dir.join("templates"),
                &format!("themes/{name}/templates"),
                |rel, bytes| match String::from_utf8(bytes) {
                    Ok(text) => {
                        templates.insert(
                            rel.to_string(),
                            (format!("themes/{name}/templates/{rel}"), text),
                        );
                    }
                    Err(_) => not_utf8.push(
                        Diagnostic::error(
                            format!("themes/{name}/templates/{rel}"),
                            "the template is not UTF-8 text",
                        )
                        .hint("save the template as UTF-8"),
                    ),
                },
                &mut problems,
            );
            problems.extend(not_utf8);
            read_dir_files(
                &dir.join("static"),
                &format!("themes/{name}/static"),
                |rel, bytes| {
                    assets.insert(rel.to_string(), Cow::Owned(bytes));
                },
                &mut problems,
            );
            if !problems.is_empty() {
                return Err(problems);
            }
        }
        let mut tera = tera::Tera::new();
        tera.autoescape_on(vec![".html", ".xml", ".svg"]);
        let origins: BTreeMap<String, String> = templates
            .iter()
            .map(|(k, (o, _))| (k.clone(), o.clone()))
            .collect();
        let sources: BTreeMap<String, String> = templates
            .iter()
            .map(|(k, (_, t))| (k.clone(), t.clone()))
            .collect();
        tera.add_raw_templates(templates.iter().map(|(k, (_, t))| (k.as_str(), t.as_str())))
            .map_err(|e| vec![template_error(&origins, &sources, &e)])?;
        let mut all = Vec::new();
        for (name, (_, text)) in &templates {
            for part in [name.as_bytes(), text.as_bytes()] {
                all.extend_from_slice(&(part.len() as u64).to_le_bytes());
                all.extend_from_slice(part);
            }
        }
        for (name, bytes) in &assets {
            for part in [name.as_bytes(), bytes.as_ref()] {
                all.extend_from_slice(&(part.len() as u64).to_le_bytes());
                all.extend_from_slice(part);
            }
        }
        Ok(Theme {
            tera,
            assets,
            origins,
            key: xxhash_rust::xxh3::xxh3_128(&all),
        })
    }

    /// The page `template` makes of `context`, as the bytes written: Tera
    /// writes UTF-8 text, which is not checked once more (a page is tens of
    /// kilobytes of Chinese).
    pub fn render(&self, template: &str, context: &tera::Context) -> Result<Vec<u8>, Diagnostic> {
        let mut out = Vec::with_capacity(32 << 10);
        self.tera
            .render_to(template, context, &mut out)
            .map_err(|e| {
                let sources = BTreeMap::new();
                template_error(&self.origins, &sources, &e)
            })?;
        Ok(out)
    }
}

/// Reads every file under `dir` (a theme's `templates/` or `static/`, shown
/// as `shown`) without following a link: a link there, in the folder's place
/// or anywhere in it, is an error naming it, as a theme's static files are
/// published and nothing outside the archive is read through a link (#12
/// item 9). Hidden files are left out.
fn read_dir_files(
    dir: &Path,
    shown: &str,
    mut each: impl FnMut(&str, Vec<u8>),
    problems: &mut Vec<Diagnostic>,
) {
    let link = |path: &Path, rel: &str| {
        let to = std::fs::read_link(path)
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        let name = if rel.is_empty() {
            shown.to_string()
        } else {
            format!("{shown}/{rel}")
        };
        Diagnostic::error(
            name,
            format!("is a symbolic link{to}; dangan does not follow links in a theme"),
        )
        .hint("put a copy of the file or folder here instead of the link")
    };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => return problems.push(link(dir, "")),
        Ok(m) if m.is_dir() => {}
        _ => return,
    }
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let e = match entry {
            Ok(e) => e,
            Err(err) => {
                problems.push(Diagnostic::error(
                    shown.to_string(),
                    format!("cannot be read: {err}"),
                ));
                continue;
            }
        };
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        if rel.split('/').any(|c| c.starts_with('.')) {
            continue;
        }
        if e.path_is_symlink() {
            problems.push(link(e.path(), &rel));
        } else if e.file_type().is_file() {
            // Opened without following a link put in the file's place since the walk.
            match crate::load::discover::read_regular(e.path()) {
                Ok(bytes) => each(&rel, bytes),
                Err(err) => problems.push(Diagnostic::error(
                    format!("{shown}/{rel}"),
                    format!("cannot be read: {err}"),
                )),
            }
        }
    }
}

/// A Tera error as a diagnostic naming the template file, line and cause.
fn template_error(
    origins: &BTreeMap<String, String>,
    sources: &BTreeMap<String, String>,
    e: &tera::Error,
) -> Diagnostic {
    let origin = |name: &str| {
        origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("template {name}"))
    };
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            let span = r.span();
            let mut line = span.start_line;
            let mut col = span.start_col + 1;
            if line == 0
                && let Some(src) = sources.get(r.filename())
            {
                (line, col) = line_col(src, span.range.start);
            }
            let what = if matches!(e.kind(), tera::ErrorKind::SyntaxError(_)) {
                "template syntax error"
            } else {
                "template error"
            };
            let mut d = Diagnostic::error(origin(r.filename()), format!("{what}: {}", r.message()));
            if line > 0 {
                d = d.at(line, col);
            }
            d.hint("correct the template; `dangan check` shows this error without writing anything")
        }
        tera::ErrorKind::MissingParent { current, parent } => Diagnostic::error(
            origin(current),
            format!("extends \"{parent}\", which does not exist"),
        )
        .hint("name an existing template in {% extends %}"),
        tera::ErrorKind::TemplateNotFound(name) => {
            Diagnostic::error(origin(name), format!("the template {name} is missing"))
                .hint("the theme needs this template; copy it from the built-in theme")
        }
        _ => {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            report_from_text(&msg, origin)
                .unwrap_or_else(|| Diagnostic::error("theme", format!("template error: {msg}")))
        }
    }
}

/// Tera reports some errors only as text (`error: …` then ` --> name:line:col`);
/// read the first such report back into a diagnostic.
fn report_from_text(msg: &str, origin: impl Fn(&str) -> String) -> Option<Diagnostic> {
    let mut lines = msg.lines();
    let first = lines.next()?.trim();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    let place = lines.find_map(|l| l.trim().strip_prefix("--> "))?;
    let mut parts = place.rsplitn(3, ':');
    let col: usize = parts.next()?.parse().ok()?;
    let line: usize = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    Some(
        Diagnostic::error(origin(name), format!("template error: {message}"))
            .at(line, col)
            .hint("correct the template; `dangan check` shows this error without writing anything"),
    )
}
