//! The `dangan` binary: parse the command line, run the command, exit 0, 1 or 2.

fn main() {
    let code = dangan::cli::main();
    std::process::exit(code);
}
