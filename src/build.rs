//! The pipeline: config -> load -> site model -> render -> write.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{self, CONTENT_DIR};
use crate::model::Site;
use crate::output::{self, OutputError, WriteStats};
use crate::render::{self, Renderer, Theme};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Overrides `output` of dangan.toml.
    pub out: Option<PathBuf>,
    /// `false` for `check`: everything is validated and rendered, nothing written.
    pub write: bool,
}

#[derive(Debug)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub out: PathBuf,
    pub reports: usize,
    pub drafts: usize,
    pub files: usize,
    /// `None` when nothing was written (errors, or `check`).
    pub written: Option<WriteStats>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The output folder: `--out` (relative to the current folder), else `output` of the config (relative to the root).
pub fn out_dir(root: &Path, config: &Config, out: Option<&Path>) -> PathBuf {
    match out {
        Some(o) => o.to_path_buf(),
        None => root.join(&config.output),
    }
}

/// Runs the whole build. Content problems come back as diagnostics; an
/// `Err` is a problem with the machine or the output folder.
pub fn build(opts: &BuildOptions) -> Result<Outcome, OutputError> {
    let start = Instant::now();
    let root = &opts.root;
    let mut diags = Diagnostics::default();
    let finish = |diags: Diagnostics, out: PathBuf, reports, drafts, files, written| Outcome {
        diagnostics: diags.sorted(),
        out,
        reports,
        drafts,
        files,
        written,
        elapsed: start.elapsed(),
    };

    let config = match Config::load(root) {
        Ok(c) => c,
        Err(ds) => {
            diags.extend(ds);
            let out = out_dir(root, &Config::default(), opts.out.as_deref());
            return Ok(finish(diags, out, 0, 0, 0, None));
        }
    };
    let out = out_dir(root, &config, opts.out.as_deref());
    output::check_out_dir(root, &root.join(CONTENT_DIR), &out)?;
    if opts.write {
        output::previous_files(&out)?;
    }

    let theme = Theme::load(root, config.theme.as_deref());
    let loaded = load::load(root, &config);
    diags.extend(loaded.diags);
    let drafts = loaded.reports.iter().filter(|r| r.draft).count();
    let (site, site_diags) = Site::new(config, loaded.reports, loaded.files);
    diags.extend(site_diags);
    let theme = match theme {
        Ok(t) => t,
        Err(ds) => {
            diags.extend(ds);
            return Ok(finish(diags, out, site.reports.len(), drafts, 0, None));
        }
    };
    let (markdown, md_diags) = render::markdown_all(&site);
    diags.extend(md_diags);
    if diags.has_errors() {
        return Ok(finish(diags, out, site.reports.len(), drafts, 0, None));
    }

    let jobs = render::jobs(&site, &theme);
    let renderer = Renderer::new(&site, &theme, &markdown);
    let files = match renderer.run_all(&jobs) {
        Ok(f) => f,
        Err(ds) => {
            diags.extend(ds);
            return Ok(finish(diags, out, site.reports.len(), drafts, 0, None));
        }
    };
    let written = if opts.write {
        Some(output::write_site(&out, &files)?)
    } else {
        None
    };
    Ok(finish(
        diags,
        out,
        site.reports.len(),
        drafts,
        files.len(),
        written,
    ))
}
