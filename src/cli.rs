//! The `asyncbench` command line: the root parser (clap) and a thin dispatch. The flags of each
//! command, as typed, are `harness::options::args`; checking their values is `harness::options`'
//! job; each command's work is in `harness::commands`. Nothing below this module names it: the
//! entry point sits on top of the library.

use clap::Parser;

pub use crate::harness::options::args::Command;
use crate::harness::options::{self, Process, Task};
use crate::harness::{Failure, commands};

#[derive(Debug, Parser)]
#[command(
    name = "asyncbench",
    version,
    about = "Runs the same async scenarios on tokio, async-std and smol (plus blocking baselines) against a local hyper test server.",
    long_about = "Runs the same async scenarios on tokio, async-std and smol (plus blocking \
baselines) against a local hyper test server, and records HdrHistogram latencies into a run \
directory under results/.\n\nThe main job is `cargo bench` (criterion statistics + HDR tails); \
`asyncbench run` runs the same cases for a fixed number of batches without criterion. Both leave \
charts, REPORT.md and index.html in the run directory; `plot`, `report` and `compare` work on saved \
runs without re-running anything.\n\nExit codes: 0 clean; 1 cases failed or had errors (the run is \
kept but results/latest does not move to it unless `run --allow-errors`), or the command failed; 2 bad \
input (an option, a scenario file, a missing or corrupt saved run); 130 interrupted by Ctrl-C."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Runs the parsed command: checks its options, then hands them to the library.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match options::check(cli.command, &Process::current())? {
        Task::List { scenarios } => commands::list(&scenarios),
        Task::Serve(cfg) => commands::serve(cfg),
        Task::Run(opts) => commands::run(*opts),
        Task::Noise(opts) => commands::noise(*opts),
        Task::Plot { run } => commands::plot(&run),
        Task::Report { run, brief } => commands::report(&run, brief),
        Task::Compare {
            a,
            b,
            opts,
            fail_on_regression,
            aa,
            verbose,
        } => commands::compare(&a, &b, opts, fail_on_regression, aa, verbose),
        Task::Export { run, format, output } => commands::export(&run, format, output.as_deref()),
        Task::Sweep(opts) => commands::sweep(*opts),
        Task::Versions(task) => commands::versions(*task),
        Task::Scale(opts) => commands::scale(*opts),
    }
}
