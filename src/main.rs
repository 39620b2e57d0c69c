//! The `tidewater` command-line program: see `docs/cli.md`.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    // A panic is a bug, never the answer to bad input: report it as an internal error
    // (exit 1) in one line instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {info}");
    }));
    match std::panic::catch_unwind(cli::run) {
        Ok(code) => code,
        Err(_) => ExitCode::from(1),
    }
}
