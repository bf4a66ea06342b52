//! One small file per subcommand, over the library.

pub mod build;
pub mod import;
pub mod init;
pub mod new;
pub mod publish;
pub mod watch;
