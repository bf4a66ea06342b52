//! `dangan.toml`: the raw (serde) form and the validated `Config`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, line_col};

pub const CONFIG_FILE: &str = "dangan.toml";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    output: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    base_url: Option<String>,
    #[serde(default)]
    allow_html: bool,
    types: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    closed_units: bool,
    newest: Option<usize>,
    compilations: Option<bool>,
    #[serde(default)]
    units: Vec<RawUnit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    name: Spanned<String>,
    parent: Option<Spanned<String>>,
    slug: Option<Spanned<String>>,
    order: Option<i64>,
}

/// A unit declared in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDecl {
    pub name: String,
    pub parent: Option<String>,
    pub slug: Option<String>,
    pub order: i64,
    /// Lines in dangan.toml of `name`, `parent` and `slug`, for messages.
    pub lines: UnitLines,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitLines {
    pub name: usize,
    pub parent: Option<usize>,
    pub slug: Option<usize>,
}

/// The validated configuration, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub title: String,
    pub description: String,
    pub output: String,
    pub theme: Option<String>,
    pub base_url: Option<String>,
    pub allow_html: bool,
    /// When set, `type` must be one of these.
    pub types: Option<Vec<String>>,
    /// When true, `unit` must be a declared unit.
    pub closed_units: bool,
    /// How many of the newest reports the home page lists.
    pub newest: usize,
    /// Whether each unit-year gets a compilation (汇编) page.
    pub compilations: bool,
    /// Declared units by name, in file order.
    pub units: Vec<UnitDecl>,
    /// Lines in dangan.toml of settings that later messages point at.
    pub lines: ConfigLines,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConfigLines {
    pub output: Option<usize>,
    pub theme: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "报告档案".to_string(),
            description: String::new(),
            output: "public".to_string(),
            theme: None,
            base_url: None,
            allow_html: false,
            types: None,
            closed_units: false,
            newest: 20,
            compilations: true,
            units: Vec::new(),
            lines: ConfigLines::default(),
        }
    }
}

impl Config {
    /// Reads `dangan.toml` under `root`; a missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
        let path = root.join(CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                match String::from_utf8(bytes) {
                    Ok(text) => Config::parse(&text),
                    Err(e) => {
                        let bytes = e.as_bytes();
                        let at = e.utf8_error().valid_up_to();
                        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
                        Err(vec![
                        Diagnostic::error(CONFIG_FILE, "the file is not UTF-8 text")
                            .line(line)
                            .hint("save dangan.toml as UTF-8 (in Notepad: Save As, Encoding UTF-8)"),
                    ])
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(vec![Diagnostic::error(
                CONFIG_FILE,
                format!("cannot be read: {e}"),
            )]),
        }
    }

    pub fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let mut d = Diagnostic::error(CONFIG_FILE, e.message().trim().to_string());
            if let Some(span) = e.span() {
                let (line, col) = line_col(text, span.start);
                d = d.at(line, col);
            }
            vec![d.hint("see the comments in the dangan.toml that `dangan init` writes for the known settings")]
        })?;
        let line = |span: std::ops::Range<usize>| line_col(text, span.start).0;
        let defaults = Config::default();
        // TOML escapes can write control characters; no page or feed may hold one.
        let clean = |s: String| crate::text::clean_line(&s).into_owned();
        let lines = ConfigLines {
            output: raw.output.as_ref().map(|o| line(o.span())),
            theme: raw.theme.as_ref().map(|t| line(t.span())),
        };
        let config = Config {
            title: raw.title.map(clean).unwrap_or(defaults.title),
            description: raw.description.map(clean).unwrap_or_default(),
            output: raw.output.map_or(defaults.output, Spanned::into_inner),
            theme: raw
                .theme
                .map(Spanned::into_inner)
                .filter(|t| !t.is_empty() && t != "default"),
            base_url: raw.base_url.filter(|b| !b.is_empty()),
            allow_html: raw.allow_html,
            types: raw
                .types
                .clone()
                .map(|ts| ts.into_inner().into_iter().map(clean).collect()),
            closed_units: raw.closed_units,
            newest: raw.newest.unwrap_or(defaults.newest),
            compilations: raw.compilations.unwrap_or(defaults.compilations),
            units: raw
                .units
                .into_iter()
                .map(|u| UnitDecl {
                    lines: UnitLines {
                        name: line(u.name.span()),
                        parent: u.parent.as_ref().map(|p| line(p.span())),
                        slug: u.slug.as_ref().map(|s| line(s.span())),
                    },
                    name: clean(u.name.into_inner()).trim().to_string(),
                    parent: u
                        .parent
                        .map(|p| clean(p.into_inner()).trim().to_string())
                        .filter(|p| !p.is_empty()),
                    slug: u.slug.map(Spanned::into_inner).filter(|s| !s.is_empty()),
                    order: u.order.unwrap_or(0),
                })
                .collect(),
            lines,
        };
        let mut problems = config.check_units();
        if let Some(types) = raw.types.filter(|t| t.get_ref().is_empty()) {
            problems.push(
                Diagnostic::error(CONFIG_FILE, "`types = []` allows no type at all")
                    .line(line(types.span()))
                    .field("types")
                    .hint("list the allowed types, types = [\"调研报告\", \"工作总结\"], or remove the line to allow any"),
            );
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Declared units: names unique, parents declared, no cycles, slugs
    /// usable as file names; each problem at the line of the value.
    fn check_units(&self) -> Vec<Diagnostic> {
        let error = |line: usize, field: &str, message: String| {
            Diagnostic::error(CONFIG_FILE, message)
                .line(line)
                .field(field)
        };
        let mut problems = Vec::new();
        let mut seen = BTreeMap::new();
        let mut slugs = BTreeMap::new();
        for u in &self.units {
            if u.name.is_empty() {
                problems.push(
                    error(
                        u.lines.name,
                        "units.name",
                        "a [[units]] entry has an empty name".into(),
                    )
                    .hint("give every [[units]] entry a name = \"…\""),
                );
            } else if let Some(first) = seen.insert(u.name.as_str(), u.lines.name) {
                problems.push(
                    error(
                        u.lines.name,
                        "units.name",
                        format!(
                            "unit \"{}\" is declared twice (first on line {first})",
                            u.name
                        ),
                    )
                    .hint("keep one [[units]] entry per unit"),
                );
            }
            if let (Some(slug), Some(line)) = (&u.slug, u.lines.slug) {
                let ok = slug
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    problems.push(
                        error(
                            line,
                            "units.slug",
                            format!("slug \"{slug}\" of unit \"{}\" may only use letters a-z, digits, - and _", u.name),
                        )
                        .hint("for example slug = \"jiangcheng\""),
                    );
                }
                if let Some(other) = slugs.insert(slug.as_str(), u.name.as_str()) {
                    problems.push(
                        error(
                            line,
                            "units.slug",
                            format!(
                                "units \"{other}\" and \"{}\" have the same slug \"{slug}\"",
                                u.name
                            ),
                        )
                        .hint("give each unit its own slug"),
                    );
                }
            }
        }
        for u in &self.units {
            if let (Some(parent), Some(line)) = (&u.parent, u.lines.parent) {
                if !seen.contains_key(parent.as_str()) {
                    problems.push(
                        error(
                            line,
                            "units.parent",
                            format!("unit \"{}\" names parent \"{parent}\", which is not declared", u.name),
                        )
                        .hint(format!("add a [[units]] entry with name = \"{parent}\", or correct the parent's name")),
                    );
                } else if self.parent_chain(&u.name).is_none() {
                    problems.push(
                        error(
                            line,
                            "units.parent",
                            format!(
                                "unit \"{}\" is its own ancestor (the parents form a loop)",
                                u.name
                            ),
                        )
                        .hint("a unit's parent must be above it, never below"),
                    );
                }
            }
        }
        problems
    }

    pub fn unit_decl(&self, name: &str) -> Option<&UnitDecl> {
        self.units.iter().find(|u| u.name == name)
    }

    /// The unit's ancestors, nearest first; `None` if the parents loop.
    pub fn parent_chain(&self, name: &str) -> Option<Vec<String>> {
        let mut chain = Vec::new();
        let mut current = self.unit_decl(name).and_then(|u| u.parent.clone());
        while let Some(p) = current {
            if p == name || chain.contains(&p) || chain.len() > self.units.len() {
                return None;
            }
            current = self.unit_decl(&p).and_then(|u| u.parent.clone());
            chain.push(p);
        }
        Some(chain)
    }
}

/// The `dangan.toml` that `dangan init` writes.
pub const INIT_CONFIG: &str = r#"# dangan.toml: settings of this archive. Every setting is optional.

title = "报告档案"
# description = "本单位历年调研报告、汇报材料和工作总结"
# output = "public"            # where `dangan build` writes the site
# theme = "mytheme"            # use themes/mytheme/ (templates and assets you override)
# base_url = "http://intranet/档案/"   # where the site is published: feeds and sitemap link absolutely
# newest = 20                  # how many of the newest reports the home page lists
# allow_html = false           # true: keep raw HTML in reports as written (otherwise it is cleaned)
# types = ["调研报告", "汇报提纲", "工作总结"]   # only these report types are accepted
# closed_units = false         # true: only the units declared below are accepted
# compilations = true          # false: no 汇编 pages (a unit's year of reports on one printable page)

# Units, optionally with a parent, a short ASCII name for URLs and a display order:
# [[units]]
# name = "市委组织部"
# slug = "zzb"
# order = 1
#
# [[units]]
# name = "组织科"
# parent = "市委组织部"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_config_parses_to_defaults() {
        let c = Config::parse(INIT_CONFIG).unwrap();
        assert_eq!(c.output, "public");
        assert_eq!(c.title, "报告档案");
    }

    #[test]
    fn unknown_setting_is_reported_with_its_line() {
        let errs = Config::parse("title = \"x\"\ntitel = \"y\"\n").unwrap_err();
        assert_eq!(errs[0].line, Some(2));
        assert!(errs[0].message.contains("titel"), "{}", errs[0].message);
    }

    #[test]
    fn every_problem_of_the_units_has_its_line() {
        let text = "title = \"x\"\n[[units]]\nname = \"a\"\nparent = \"b\"\n\n[[units]]\nname = \"b\"\nparent = \"a\"\n[[units]]\nname = \"\"\n[[units]]\nname = \"a\"\nslug = \"a b\"\n[[units]]\nname = \"c\"\nparent = \"zz\"\n";
        let errs = Config::parse(text).unwrap_err();
        let lines: Vec<(Option<usize>, &str)> =
            errs.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert!(errs.iter().all(|d| d.line.is_some()), "{lines:?}");
        let line_of = |part: &str| {
            lines
                .iter()
                .find(|(_, m)| m.contains(part))
                .unwrap_or_else(|| panic!("{part}: {lines:?}"))
                .0
        };
        assert_eq!(line_of("empty name"), Some(10));
        assert_eq!(line_of("declared twice (first on line 3)"), Some(12));
        assert_eq!(line_of("may only use"), Some(13));
        assert_eq!(line_of("\"zz\", which is not declared"), Some(16));
        assert_eq!(line_of("\"b\" is its own ancestor"), Some(8));
    }

    #[test]
    fn undeclared_parent_and_loops_are_errors() {
        let errs = Config::parse(
            "[[units]]\nname = \"a\"\nparent = \"b\"\n[[units]]\nname = \"b\"\nparent = \"a\"\n[[units]]\nname = \"c\"\nparent = \"z\"\n",
        )
        .unwrap_err();
        let text: Vec<_> = errs.iter().map(|d| d.message.clone()).collect();
        assert!(text.iter().any(|m| m.contains("loop")), "{text:?}");
        assert!(
            text.iter()
                .any(|m| m.contains("\"z\", which is not declared")),
            "{text:?}"
        );
    }
}
