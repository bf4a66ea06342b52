//! `dangan publish DEST`: build, then bring the share folder to the built site.

use std::path::PathBuf;

use anyhow::anyhow;

use super::Failure;
use super::build::Format;
use crate::build::out_dir;
use crate::config::Config;
use crate::publish::{PublishError, PublishOptions, publish};

pub struct Options {
    pub root: PathBuf,
    pub out: Option<PathBuf>,
    pub dest: PathBuf,
    pub quiet: bool,
    /// Build with the build cache.
    pub cache: bool,
    pub dry_run: bool,
    pub adopt: bool,
    pub break_lock: bool,
    /// `false`: publish the output folder as it is.
    pub build: bool,
}

pub fn run(opts: Options) -> Result<(), Failure> {
    let not_published = |why: &str| Failure::Content(Some(anyhow!("nothing was published: {why}")));
    // The site is where the build put it, by the same dangan.toml: a wrong
    // dangan.toml is an error here as it is for the build, never a silent
    // fall-back to the default folder.
    let site = if opts.build {
        match super::build::run(
            &opts.root,
            opts.out.clone(),
            Format::Human,
            opts.quiet,
            (true, opts.cache),
        ) {
            Ok(outcome) => outcome.out,
            Err(Failure::Content(_)) => return Err(not_published("the build must succeed first")),
            Err(env) => return Err(env),
        }
    } else {
        match Config::load(&opts.root) {
            Ok(config) => out_dir(&opts.root, &config, opts.out.as_deref()),
            Err(problems) => {
                for d in &problems {
                    eprintln!("{}\n", d.render());
                }
                return Err(not_published(
                    "dangan.toml has errors, so where the built site is cannot be known",
                ));
            }
        }
    };
    let popts = PublishOptions {
        archive: Some(opts.root.clone()),
        dry_run: opts.dry_run,
        adopt: opts.adopt,
        break_lock: opts.break_lock,
        quiet: opts.quiet,
    };
    match publish(&site, &opts.dest, &popts) {
        Ok(summary) => {
            if let Some(note) = &summary.lock_note {
                eprintln!("note: took over {note}");
            }
            if !opts.quiet || opts.dry_run {
                eprintln!("{}", summary.report(&opts.dest, opts.dry_run));
            }
            if let Some(w) = summary.warning(opts.dry_run) {
                eprintln!("{w}");
            }
            Ok(())
        }
        Err(e @ PublishError::BadNames(_)) => Err(Failure::Content(Some(e.into()))),
        Err(e) => Err(Failure::Env(Some(e.into()))),
    }
}
