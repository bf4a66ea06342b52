//! The `dangan` binary: parse the command line, run the command, and turn
//! its failure, the one error path of every command, into a message and the
//! exit code (0 success, 1 the content has errors, 2 usage or environment).

use std::process::ExitCode;

fn main() -> ExitCode {
    match dangan::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(message) = failure.message() {
                eprintln!("{message}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
