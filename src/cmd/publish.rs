//! `dangan publish DEST`: build, then bring the share folder to the built site.

use std::path::PathBuf;

use anyhow::Result;

use crate::build::out_dir;
use crate::cli::{EXIT_CONTENT, EXIT_ENV, EXIT_OK, Format};
use crate::config::Config;
use crate::publish::{PublishError, PublishOptions, publish};

pub struct Options {
    pub root: PathBuf,
    pub out: Option<PathBuf>,
    pub dest: PathBuf,
    pub quiet: bool,
    pub dry_run: bool,
    pub adopt: bool,
    /// `false`: publish the output folder as it is.
    pub build: bool,
}

pub fn run(opts: Options) -> Result<i32> {
    if opts.build {
        let code = super::build::run(
            &opts.root,
            opts.out.clone(),
            Format::Human,
            opts.quiet,
            true,
        )?;
        if code != EXIT_OK {
            eprintln!("nothing was published: the build must succeed first");
            return Ok(code);
        }
    }
    let config = Config::load(&opts.root).unwrap_or_default();
    let site = out_dir(&opts.root, &config, opts.out.as_deref());
    let popts = PublishOptions {
        archive: Some(opts.root.clone()),
        dry_run: opts.dry_run,
        adopt: opts.adopt,
        quiet: opts.quiet,
    };
    match publish(&site, &opts.dest, &popts) {
        Ok(summary) => {
            if !opts.quiet || opts.dry_run {
                eprintln!("{}", summary.report(&opts.dest, opts.dry_run));
            }
            if let Some(w) = summary.warning(opts.dry_run) {
                eprintln!("{w}");
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(match e {
                PublishError::BadNames(_) => EXIT_CONTENT,
                _ => EXIT_ENV,
            })
        }
    }
}
