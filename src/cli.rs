//! The command line: parsing (clap stays behind this module) and handing
//! each command to its `cmd` module. `cmd` knows nothing of this module.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd::{self, Failure};

#[derive(Debug, Parser)]
#[command(
    name = "dangan",
    version,
    about = "档案 — turns a folder of Markdown reports into a browsable, searchable static website"
)]
pub(crate) struct Cli {
    /// The archive folder (with dangan.toml and content/)
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,
    /// The output folder (default: `output` of dangan.toml, else public/)
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only errors and warnings
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Build from nothing: neither read nor write the build cache (.dangan-cache/)
    #[arg(long, global = true)]
    pub no_cache: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    #[default]
    Human,
    Json,
}

impl From<Format> for cmd::build::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Human => cmd::build::Format::Human,
            Format::Json => cmd::build::Format::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new archive: dangan.toml and content/ with an example report
    Init {
        /// Folder of the new archive (default: the current folder)
        dir: Option<PathBuf>,
        /// Create the archive even if the folder is not empty (existing files are kept)
        #[arg(long)]
        force: bool,
    },
    /// Render the archive into the output folder
    Build {
        /// How to print problems
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check everything `build` checks, without writing anything
    Check {
        /// How to print problems
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Build, then rebuild whatever changes in content/, themes/ or dangan.toml
    Watch {
        /// Check for changes by polling (for archives on network shares)
        #[arg(long)]
        poll: bool,
    },
    /// `watch`, plus a local web server whose pages reload after each rebuild
    Serve {
        /// Port to listen on (0: any free port)
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on; 127.0.0.1 keeps the preview on this computer
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Check for changes by polling (for archives on network shares)
        #[arg(long)]
        poll: bool,
    },
    /// Build, then bring a share folder to exactly the built site, safely
    Publish {
        /// The share folder (a mounted SMB/NFS share, or a folder a web server serves)
        dest: PathBuf,
        /// List what would be copied and removed, change nothing
        #[arg(long)]
        dry_run: bool,
        /// Let dangan manage a folder that already holds files but was not published by dangan
        #[arg(long)]
        adopt: bool,
        /// Publish the output folder as it is, without building first (when `dangan watch` keeps it up to date)
        #[arg(long)]
        no_build: bool,
        /// Take the share's lock even if another publish may hold it (one on a PC that crashed)
        #[arg(long)]
        break_lock: bool,
    },
    /// Turn existing reports (plain text, DOCX) into Markdown reports with front matter
    Import {
        /// Files or folders to import
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The unit, when the text does not name it (wins over what is found)
        #[arg(long)]
        unit: Option<String>,
        /// The kind of report (wins over what the title suggests)
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// YYYY-MM-DD or YYYY-MM (wins over a date found in the text)
        #[arg(long)]
        date: Option<String>,
        /// Where to write the reports (default: content/imported)
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Show what would be written, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Overwrite reports that exist already
        #[arg(long)]
        force: bool,
    },
    /// Write a new report with its front matter filled in
    New {
        /// The report's title
        title: String,
        /// The unit that writes it
        #[arg(long)]
        unit: String,
        /// The kind of report (调研报告, 汇报提纲, 工作总结 …)
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// YYYY-MM-DD or YYYY-MM (default: today)
        #[arg(long)]
        date: Option<String>,
    },
}

/// Parses the arguments and runs the command.
pub fn run() -> Result<(), Failure> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // --help and --version are no failure.
            return if e.use_stderr() {
                Err(Failure::Env(None))
            } else {
                Ok(())
            };
        }
    };
    match cli.command {
        Command::Init { ref dir, force } => cmd::init::run(
            dir.clone().unwrap_or_else(|| cli.root.clone()),
            force,
            cli.quiet,
        ),
        Command::Build { format } => cmd::build::run(
            &cli.root,
            cli.out.clone(),
            format.into(),
            cli.quiet,
            (true, !cli.no_cache),
        )
        .map(drop),
        Command::Check { format } => cmd::build::run(
            &cli.root,
            cli.out.clone(),
            format.into(),
            cli.quiet,
            (false, !cli.no_cache),
        )
        .map(drop),
        Command::Watch { poll } => cmd::watch::run(cmd::watch::Options {
            root: cli.root.clone(),
            out: cli.out.clone(),
            quiet: cli.quiet,
            cache: !cli.no_cache,
            poll,
            serve: None,
        }),
        Command::Serve { port, bind, poll } => cmd::watch::run(cmd::watch::Options {
            root: cli.root.clone(),
            out: cli.out.clone(),
            quiet: cli.quiet,
            cache: !cli.no_cache,
            poll,
            serve: Some((bind, port)),
        }),
        Command::Publish {
            ref dest,
            dry_run,
            adopt,
            no_build,
            break_lock,
        } => cmd::publish::run(cmd::publish::Options {
            root: cli.root.clone(),
            out: cli.out.clone(),
            dest: dest.clone(),
            quiet: cli.quiet,
            cache: !cli.no_cache,
            dry_run,
            adopt,
            break_lock,
            build: !no_build,
        }),
        Command::Import {
            ref inputs,
            ref unit,
            ref kind,
            ref date,
            ref into,
            dry_run,
            force,
        } => cmd::import::run(
            &cli.root,
            crate::import::ImportOptions {
                inputs: inputs.clone(),
                unit: unit.clone(),
                kind: kind.clone(),
                date: date.clone(),
                into: into
                    .clone()
                    .unwrap_or_else(|| cli.root.join("content").join("imported")),
                dry_run,
                force,
            },
        ),
        Command::New {
            ref title,
            ref unit,
            ref kind,
            ref date,
        } => cmd::new::run(&cli.root, title, unit, kind, date.as_deref(), cli.quiet),
    }
}
