//! `asyncbench`: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `asyncbench list | head` closes the pipe early: end quietly as other Unix tools do
    // instead of panicking in println!.
    // SAFETY: restoring a signal's default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Every round starts from the same allocator rules (see `measure::heap`).
    if let Err(e) = asyncbench::measure::heap::hold_unless_env_says_otherwise() {
        eprintln!("Error: {e}");
        return ExitCode::from(2);
    }
    let cli = asyncbench::cli::Cli::parse();
    match asyncbench::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}
