//! The run loop shared by both entry points: a [`Session`] owns the test
//! server, the run directory and the progress display; the criterion suite
//! and the CLI feed it one case at a time.

pub mod cli_run;
pub mod commands;
pub mod criterion_suite;
pub mod interrupt;
pub mod options;
pub mod placement;
pub mod progress;
pub mod session;
pub mod watchdog;

pub use session::{Session, SessionOpts};

use std::fmt;
use std::path::PathBuf;

use criterion::Criterion;

use crate::scenario;
use criterion_suite::SuiteMode;

/// An error that ends a command, with the exit code it deserves: 2 for bad
/// input (a scenario file, an argument), 1 for a failure while running.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: error.into(),
        }
    }
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.error)
        } else {
            write!(f, "{}", self.error)
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            code: 1,
            error: e.into(),
        }
    }
}

/// A run stopped by Ctrl-C after saving what completed.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: {} keeps the cases that finished and stays marked partial", .0.display())]
pub struct Interrupted(pub PathBuf);

impl Failure {
    /// Maps a run error to its exit code: 130 for Ctrl-C, 1 otherwise.
    pub fn from_run(e: anyhow::Error) -> Failure {
        let code = if e.is::<Interrupted>() {
            interrupt::EXIT_INTERRUPTED
        } else {
            1
        };
        Failure { code, error: e }
    }
}

/// Where `cargo bench` puts its run: the CLI's rule without a flag (see
/// [`options::ResultsRoot`]); test-mode runs (`cargo test`) go under `target/`
/// so they never mix with real runs.
pub fn results_root(mode: SuiteMode) -> PathBuf {
    match mode {
        SuiteMode::Bench | SuiteMode::Quick => options::ResultsRoot::current().path,
        _ => options::ResultsRoot::test_mode(&options::manifest_dir()).path,
    }
}

/// The body of `benches/suite.rs`.
pub fn bench_main() -> Result<(), Failure> {
    crate::report::fonts::register();
    interrupt::install();
    let args: Vec<String> = std::env::args().collect();
    let mode = SuiteMode::from_args(&args);
    let dir = std::env::var_os("ASYNCBENCH_SCENARIOS")
        .map(PathBuf::from)
        .unwrap_or_else(scenario::default_dir);
    let scenarios = scenario::load_dir(&dir).map_err(Failure::usage)?;
    // criterion's own HTML charts cost seconds per case (they would break the
    // suite's time budget); asyncbench draws its own. `--plotting-backend
    // plotters` turns criterion's back on.
    let mut c = Criterion::default().without_plots().configure_from_args();
    let total = scenarios.iter().map(|s| s.cases().len() as u64).sum();
    let mut session = Session::start(SessionOpts {
        results_root: results_root(mode),
        command: format!(
            "cargo bench --bench suite -- {}",
            args.iter()
                .skip(1)
                .filter(|a| *a != "--bench")
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        )
        .trim_end()
        .to_string(),
        mode: mode.into(),
        workers: None,
        profile: if cfg!(debug_assertions) {
            "debug".into()
        } else {
            "release".into()
        },
        total_cases: total,
        external_server: None,
    })?;
    // criterion prints between our updates; a redrawn bar would overwrite its lines.
    session.progress.use_plain_lines();
    criterion_suite::run(&mut c, &scenarios, &mut session, mode).map_err(Failure::from_run)?;
    c.final_summary();
    let path = session.finish()?;
    eprintln!("asyncbench: results in {}", path.display());
    if mode != SuiteMode::Other {
        // Charts and REPORT.md from the files just written, as `asyncbench report` would.
        crate::report::publish(&path);
    }
    Ok(())
}
