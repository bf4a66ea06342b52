//! `dangan.toml`: the raw (serde) form and the validated `Config`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::diag::{Diagnostic, line_col};

pub const CONFIG_FILE: &str = "dangan.toml";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    output: Option<String>,
    theme: Option<String>,
    base_url: Option<String>,
    #[serde(default)]
    allow_html: bool,
    types: Option<Vec<String>>,
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
    name: String,
    parent: Option<String>,
    slug: Option<String>,
    order: Option<i64>,
}

/// A unit declared in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDecl {
    pub name: String,
    pub parent: Option<String>,
    pub slug: Option<String>,
    pub order: i64,
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
        }
    }
}

impl Config {
    /// Reads `dangan.toml` under `root`; a missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
        let path = root.join(CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Config::parse(&text),
                Err(_) => Err(vec![
                    Diagnostic::error(CONFIG_FILE, "the file is not UTF-8 text")
                        .hint("save dangan.toml as UTF-8 (in Notepad: Save As, Encoding UTF-8)"),
                ]),
            },
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
        let defaults = Config::default();
        let config = Config {
            title: raw.title.unwrap_or(defaults.title),
            description: raw.description.unwrap_or_default(),
            output: raw.output.unwrap_or(defaults.output),
            theme: raw.theme.filter(|t| !t.is_empty() && t != "default"),
            base_url: raw.base_url.filter(|b| !b.is_empty()),
            allow_html: raw.allow_html,
            types: raw.types,
            closed_units: raw.closed_units,
            newest: raw.newest.unwrap_or(defaults.newest),
            compilations: raw.compilations.unwrap_or(defaults.compilations),
            units: raw
                .units
                .into_iter()
                .map(|u| UnitDecl {
                    name: u.name.trim().to_string(),
                    parent: u
                        .parent
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty()),
                    slug: u.slug.filter(|s| !s.is_empty()),
                    order: u.order.unwrap_or(0),
                })
                .collect(),
        };
        let problems = config.check_units(text);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Declared units: names unique, parents declared, no cycles, slugs usable as file names.
    fn check_units(&self, text: &str) -> Vec<Diagnostic> {
        let line_of = |needle: &str| text.find(needle).map(|i| line_col(text, i).0);
        let with_line = |d: Diagnostic, needle: &str| match line_of(needle) {
            Some(l) => d.line(l),
            None => d,
        };
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        let mut slugs = BTreeMap::new();
        for u in &self.units {
            if u.name.is_empty() {
                problems.push(
                    Diagnostic::error(CONFIG_FILE, "a [[units]] entry has an empty name")
                        .field("units.name")
                        .hint("give every [[units]] entry a name = \"…\""),
                );
            } else if !seen.insert(u.name.as_str()) {
                problems.push(with_line(
                    Diagnostic::error(
                        CONFIG_FILE,
                        format!("unit \"{}\" is declared twice", u.name),
                    )
                    .field("units.name")
                    .hint("keep one [[units]] entry per unit"),
                    &format!("\"{}\"", u.name),
                ));
            }
            if let Some(slug) = &u.slug {
                let ok = slug
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    problems.push(with_line(
                        Diagnostic::error(
                            CONFIG_FILE,
                            format!("slug \"{slug}\" of unit \"{}\" may only use letters a-z, digits, - and _", u.name),
                        )
                        .field("units.slug")
                        .hint("for example slug = \"jiangcheng\""),
                        &format!("\"{slug}\""),
                    ));
                }
                if let Some(other) = slugs.insert(slug.as_str(), u.name.as_str()) {
                    problems.push(with_line(
                        Diagnostic::error(
                            CONFIG_FILE,
                            format!(
                                "units \"{other}\" and \"{}\" have the same slug \"{slug}\"",
                                u.name
                            ),
                        )
                        .field("units.slug")
                        .hint("give each unit its own slug"),
                        &format!("\"{slug}\""),
                    ));
                }
            }
        }
        for u in &self.units {
            if let Some(parent) = &u.parent {
                if !seen.contains(parent.as_str()) {
                    problems.push(with_line(
                        Diagnostic::error(
                            CONFIG_FILE,
                            format!("unit \"{}\" names parent \"{parent}\", which is not declared", u.name),
                        )
                        .field("units.parent")
                        .hint(format!("add a [[units]] entry with name = \"{parent}\", or correct the parent's name")),
                        &format!("\"{parent}\""),
                    ));
                } else if self.parent_chain(&u.name).is_none() {
                    problems.push(with_line(
                        Diagnostic::error(
                            CONFIG_FILE,
                            format!(
                                "unit \"{}\" is its own ancestor (the parents form a loop)",
                                u.name
                            ),
                        )
                        .field("units.parent")
                        .hint("a unit's parent must be above it, never below"),
                        &format!("\"{}\"", u.name),
                    ));
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
