//! One small file per subcommand, over the library. Each returns
//! `Result<_, Failure>`; `main` prints the failure and exits with its code.

pub mod build;
pub mod import;
pub mod init;
pub mod new;
pub mod publish;
pub mod watch;

use std::fmt::Display;

/// Exit codes of the contract: 0 success (`ExitCode::SUCCESS`), 1 the content has errors, 2 usage or environment.
pub const EXIT_CONTENT: u8 = 1;
pub const EXIT_ENV: u8 = 2;

/// Why a command did not succeed: the one failure type of the command line.
#[derive(Debug)]
pub enum Failure {
    /// The content has errors (exit 1). They were reported as they were
    /// found; the error, if any, is what is left to say.
    Content(Option<anyhow::Error>),
    /// The command line is wrong or the machine does not allow the work: a
    /// folder that cannot be written, a port in use (exit 2). `None` when the
    /// message has been printed already (by the argument parser).
    Env(Option<anyhow::Error>),
}

impl Failure {
    /// A wrong command line, with what would fix it.
    pub fn usage(message: impl Display, help: impl Display) -> Failure {
        Failure::Env(Some(anyhow::anyhow!("{message}\n  = help: {help}")))
    }

    /// The content has errors, reported already.
    pub fn content() -> Failure {
        Failure::Content(None)
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Content(_) => EXIT_CONTENT,
            Failure::Env(_) => EXIT_ENV,
        }
    }

    /// The whole message, `error: ` included, or `None` when all is said.
    /// Each cause is said once: an error that already quotes its cause
    /// (`path: reason`, with the reason also as its source) does not get
    /// the reason repeated after it.
    pub fn message(&self) -> Option<String> {
        let (Failure::Content(Some(e)) | Failure::Env(Some(e))) = self else {
            return None;
        };
        let mut out = String::new();
        for cause in e.chain() {
            let text = cause.to_string();
            if out.contains(&text) {
                continue;
            }
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        Some(format!("error: {out}"))
    }
}

/// An I/O error from `fs_err`, which names its file.
impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Env(Some(e.into()))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Env(Some(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("/x/public: {source}")]
        struct Quoting {
            source: std::io::Error,
        }
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder");
        let f = Failure::from(anyhow::Error::new(Quoting { source: io }));
        assert_eq!(f.message().unwrap(), "error: /x/public: no such folder");
        let chained: anyhow::Result<()> = Err(anyhow::anyhow!("port 80 is taken"));
        let f = Failure::from(chained.context("cannot listen").unwrap_err());
        assert_eq!(
            f.message().unwrap(),
            "error: cannot listen: port 80 is taken"
        );
        assert_eq!(f.exit_code(), EXIT_ENV);
        assert_eq!(Failure::content().message(), None);
        assert_eq!(Failure::content().exit_code(), EXIT_CONTENT);
    }
}
