//! `cargo bench`: every scenario in `scenarios/` under criterion, recorded
//! into a run directory under `results/`. Thin: the work is in
//! `asyncbench::harness`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match asyncbench::harness::bench_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}
