//! The run loop shared by both entry points: a [`Session`] owns the test
//! server, the run directory and the progress display; the criterion suite
//! and the CLI feed it one case at a time.

pub mod cli_run;
pub mod commands;
pub mod criterion_suite;
pub mod interrupt;
pub mod options;
pub mod order;
pub mod preflight;
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
    /// Maps a run error to its exit code: 130 for Ctrl-C, 2 for CPU sets that cannot be
    /// applied, 1 otherwise.
    pub fn from_run(e: anyhow::Error) -> Failure {
        let code = if e.is::<Interrupted>() {
            interrupt::EXIT_INTERRUPTED
        } else if e.is::<session::BadPlacement>() {
            2
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

/// An optional environment setting for `cargo bench` (which has no flags of
/// its own), checked against `range`; a bad value names the variable.
fn env_value<T>(name: &str, range: std::ops::RangeInclusive<T>) -> Result<Option<T>, Failure>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Ok(v) = std::env::var(name) else {
        return Ok(None);
    };
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<T>() {
        Ok(x) if range.contains(&x) => Ok(Some(x)),
        _ => Err(Failure::usage(anyhow::anyhow!(
            "{name}={v}: allowed {}..={}",
            range.start(),
            range.end()
        ))),
    }
}

/// The body of `benches/suite.rs`.
pub fn bench_main() -> Result<(), Failure> {
    crate::measure::heap::hold_unless_env_says_otherwise().map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
    crate::report::fonts::register();
    interrupt::install();
    let args: Vec<String> = std::env::args().collect();
    let mode = SuiteMode::from_args(&args);
    let dir = std::env::var_os("ASYNCBENCH_SCENARIOS")
        .map(PathBuf::from)
        .unwrap_or_else(scenario::default_dir);
    let tier = scenario::Tier::from_env().map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
    let scenarios = scenario::load_dir_in(&dir, tier).map_err(Failure::usage)?;
    // criterion's own HTML charts cost seconds per case (they would break the
    // suite's time budget); asyncbench draws its own. `--plotting-backend
    // plotters` turns criterion's back on.
    // Read before criterion parses the same arguments (it panics on a bad pattern).
    let filter = criterion_suite::Filter::from_args(&args).map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
    // criterion's bootstrap runs per round (each round is one criterion benchmark), and its
    // 100,000 default resamples cost about 0.1 s a round, seconds per scenario; asyncbench's
    // published interval comes from the rounds, criterion's per-round estimate is kept as
    // criterion's. `--nresamples` on the command line still wins.
    let mut c = Criterion::default()
        .without_plots()
        .nresamples(CRITERION_RESAMPLES)
        .configure_from_args();
    let rounds: Option<u32> = env_value("ASYNCBENCH_ROUNDS", 1..=scenario::file::MAX_ROUNDS as u32)?;
    let seed: Option<u64> = env_value("ASYNCBENCH_SEED", 0..=u64::MAX)?;
    let allow_errors = allow_errors_env()?;
    let cpus = |name: &str| -> Result<Option<crate::measure::placement::CpuSet>, Failure> {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => v
                .parse()
                .map(Some)
                .map_err(|e| Failure::usage(anyhow::anyhow!("{name}={v}: {e}"))),
            _ => Ok(None),
        }
    };
    let total = criterion_suite::planned_rounds(&scenarios, rounds, mode, &filter);
    let mut budget = session::stage_two::Budget::new(
        env_value(STAGE2_SHARE_ENV, 0.0..=4.0)?.unwrap_or(session::stage_two::DEFAULT_SHARE),
    );
    crate::measure::task_metrics::set_enabled(crate::measure::task_metrics::enabled_by_env());
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
        rounds,
        seed,
        server_cpus: cpus("ASYNCBENCH_SERVER_CPUS")?,
        client_cpus: cpus("ASYNCBENCH_CLIENT_CPUS")?,
    })
    .map_err(Failure::from_run)?;
    session.note_rounds(criterion_suite::rounds_in(
        rounds.unwrap_or(scenario::file::DEFAULT_ROUNDS),
        mode,
    ));
    // criterion prints between our updates; a redrawn bar would overwrite its lines.
    session.progress.use_plain_lines();
    // The guide's Python rows: on when target/pyenv exists or ASYNCBENCH_PYTHON=1; in
    // test mode (`cargo test`) only when asked, so the suite's smoke run stays Rust-only.
    let py_mode = match mode {
        SuiteMode::Bench => Some(crate::python::PyMode::Full),
        SuiteMode::Quick => Some(crate::python::PyMode::Quick),
        SuiteMode::Test if std::env::var(crate::python::ENV_VAR).is_ok_and(|v| !v.is_empty() && v != "0") => {
            Some(crate::python::PyMode::Test)
        }
        SuiteMode::Test => None,
        SuiteMode::Other => None,
    };
    match py_mode {
        Some(m) => session.enable_python(crate::python::detect(m, false)),
        None if mode == SuiteMode::Test => session.enable_python(Err("cargo test runs the suite Rust-only".into())),
        None => {}
    }
    let interrupted = match criterion_suite::run(&mut c, &scenarios, &mut session, mode, &filter, &mut budget) {
        Ok(()) => None,
        Err(e) if e.is::<Interrupted>() => Some(e),
        Err(e) => return Err(Failure::from_run(e)),
    };
    c.final_summary();
    // As `asyncbench run`: a run whose cases had errors stays complete on disk, but `latest`
    // does not move to it and the suite exits 1, unless ASYNCBENCH_ALLOW_ERRORS=1.
    // An interrupted run stays partial and still gets its report and table.
    let path = match interrupted {
        Some(_) => session.stop()?,
        None => session.finish_if(|s| allow_errors || !crate::report::terminal::has_errors(s))?,
    };
    if mode != SuiteMode::Other {
        // Charts and REPORT.md from the files just written, as `asyncbench report` would.
        crate::report::publish(&path);
        // The run as a whole: its cases with errors, unstable ones and the slowest vs ideal.
        match crate::results::Summary::read(&path.join("summary.json")) {
            Ok(s) => eprint!(
                "{}",
                crate::report::terminal::render(&s, crate::report::terminal::Rows::Notable)
            ),
            Err(e) => eprintln!("asyncbench: no summary table: {e}"),
        }
        if let Some(card) = crate::report::terminal::scorecard(&path) {
            eprint!("{card}");
        }
    }
    eprintln!("asyncbench: results in {}", path.display());
    if let Some(e) = interrupted {
        return Err(Failure::from_run(e));
    }
    let summary = crate::results::Summary::read(&path.join("summary.json"))?;
    if !allow_errors && crate::report::terminal::has_errors(&summary) {
        let (failed, with_errors) = crate::report::terminal::error_counts(&summary);
        return Err(Failure::from(anyhow::anyhow!(
            "{failed} case(s) failed and {with_errors} more had errors; {ALLOW_ERRORS_ENV}=1 keeps such a run \
             (results/latest was not moved to it)"
        )));
    }
    Ok(())
}

/// Stage 2 of `cargo bench`'s adaptive rounds may take this share of stage 1's time (0: off).
pub const STAGE2_SHARE_ENV: &str = "ASYNCBENCH_STAGE2_SHARE";

/// criterion's bootstrap resamples per round (its default is 100,000).
pub const CRITERION_RESAMPLES: usize = 5_000;

/// `cargo bench`'s `--allow-errors`: keep a run whose cases had errors.
pub const ALLOW_ERRORS_ENV: &str = "ASYNCBENCH_ALLOW_ERRORS";

/// [`ALLOW_ERRORS_ENV`]: `1`/`true` or `0`/`false` (unset or empty: false).
fn allow_errors_env() -> Result<bool, Failure> {
    parse_allow_errors(std::env::var(ALLOW_ERRORS_ENV).ok().as_deref())
}

fn parse_allow_errors(v: Option<&str>) -> Result<bool, Failure> {
    match v.map(str::trim) {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(Failure::usage(anyhow::anyhow!(
            "{ALLOW_ERRORS_ENV}={other}: allowed 1, true, 0 or false"
        ))),
    }
}

#[cfg(test)]
mod allow_errors_tests {
    use super::parse_allow_errors;

    #[test]
    fn allow_errors_takes_booleans_and_names_a_bad_value() {
        assert!(!parse_allow_errors(None).unwrap());
        assert!(!parse_allow_errors(Some("0")).unwrap());
        assert!(parse_allow_errors(Some("1")).unwrap());
        assert!(parse_allow_errors(Some("true")).unwrap());
        let e = parse_allow_errors(Some("yes")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("ASYNCBENCH_ALLOW_ERRORS=yes"), "{e}");
    }
}
