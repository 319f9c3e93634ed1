//! The command line's second step (ripgrep's LowArgs → HiArgs): [`check`] turns what clap parsed
//! (`crate::cli`) into checked options, one [`Task`] per command. Every rule about a flag's value
//! lives here, and every error names the flag, the value and what is allowed; past `check`
//! nothing re-validates. Also home of the rule for where run directories go, shared by
//! `cargo bench` and the CLI ([`ResultsRoot`]).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Failure;
use super::cli_run::RunOpts;
use super::placement::CpuSet;
use crate::cli::{Command, ResultsArg, RunArgs};
use crate::compare::CompareOpts;
use crate::results::resolve_run;
use crate::runtime::{AsyncFlavor, Flavor};
use crate::scenario::catalog::http_load::{self, HttpLoad, LoadMode};
use crate::server::ServerConfig;

/// A command with its options checked.
#[derive(Debug)]
pub enum Task {
    List {
        scenarios: PathBuf,
    },
    Serve(ServerConfig),
    /// `noise`: the run options, used twice.
    Noise(Box<RunOpts>),
    Run(Box<RunOpts>),
    Plot {
        run: PathBuf,
    },
    Report {
        run: PathBuf,
    },
    Compare {
        a: PathBuf,
        b: PathBuf,
        opts: CompareOpts,
        fail_on_regression: bool,
    },
}

/// A flag whose value is not allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} {value}: {why}")]
pub struct BadOption {
    pub flag: &'static str,
    pub value: String,
    pub why: String,
}

impl BadOption {
    fn new(flag: &'static str, value: impl fmt::Display, why: impl Into<String>) -> BadOption {
        BadOption {
            flag,
            value: value.to_string(),
            why: why.into(),
        }
    }
}

/// The inclusive range of a numeric flag; `--help` shows it from here too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub flag: &'static str,
    pub min: u64,
    pub max: u64,
}

impl Bound {
    pub fn check(self, value: u64) -> Result<u64, BadOption> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(BadOption::new(
                self.flag,
                value,
                format!("out of range: allowed {}..={}", self.min, self.max),
            ))
        }
    }

    /// `text` followed by the allowed range, for clap's help.
    pub fn help(self, text: &str) -> String {
        format!("{text} [{}..={}]", self.min, self.max)
    }
}

pub const BATCHES: Bound = Bound {
    flag: "--batches",
    min: 1,
    max: 100_000,
};
pub const WARMUP: Bound = Bound {
    flag: "--warmup",
    min: 0,
    max: 10_000,
};
pub const WORKERS: Bound = Bound {
    flag: "--workers",
    min: 1,
    max: 1024,
};
pub const RATE: Bound = Bound {
    flag: "--rate",
    min: 1,
    max: http_load::MAX_RATE,
};
pub const DURATION: Bound = Bound {
    flag: "--duration",
    min: 1,
    max: 3600,
};
pub const CONNECTIONS: Bound = Bound {
    flag: "--connections",
    min: 1,
    max: http_load::MAX_CONNECTIONS,
};
pub const ROUNDS: Bound = Bound {
    flag: "--rounds",
    min: 1,
    max: crate::scenario::file::MAX_ROUNDS,
};
pub const SERVER_THREADS: Bound = Bound {
    flag: "--threads",
    min: 1,
    max: 64,
};

/// How long one request of a load run may take before it counts as an error.
const LOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`check`] reads from the process besides the arguments, so tests can pass their own.
#[derive(Debug, Clone)]
pub struct Process {
    /// The command line, recorded in the run so it can be reproduced.
    pub command_line: String,
    pub cwd: PathBuf,
    /// `ASYNCBENCH_RESULTS`.
    pub results_env: Option<OsString>,
    pub manifest_dir: PathBuf,
}

impl Process {
    pub fn current() -> Process {
        Process {
            command_line: std::env::args().collect::<Vec<_>>().join(" "),
            cwd: current_dir(),
            results_env: std::env::var_os(RESULTS_ENV),
            manifest_dir: manifest_dir(),
        }
    }

    fn results_root(&self, flag: &ResultsArg) -> PathBuf {
        ResultsRoot::choose(
            flag.results.as_deref(),
            self.results_env.as_deref(),
            &self.cwd,
            &self.manifest_dir,
        )
        .path
    }
}

/// Checks the options of `command`.
pub fn check(command: Command, process: &Process) -> Result<Task, Failure> {
    Ok(match command {
        Command::List { scenarios } => Task::List { scenarios },
        Command::Serve {
            addr,
            allow_non_loopback,
            threads,
        } => {
            if !addr.ip().is_loopback() && !allow_non_loopback {
                return Err(Failure::usage(BadOption::new(
                    "--addr",
                    addr,
                    "not a loopback address (127.0.0.0/8 or ::1); add --allow-non-loopback to bind it anyway",
                )));
            }
            Task::Serve(ServerConfig {
                addr,
                threads: SERVER_THREADS.check(threads).map_err(Failure::usage)? as usize,
                allow_non_loopback,
                ..ServerConfig::default()
            })
        }
        Command::Run(args) => Task::Run(Box::new(check_run(*args, process).map_err(Failure::usage)?)),
        Command::Noise(args) => Task::Noise(Box::new(check_run(*args, process).map_err(Failure::usage)?)),
        Command::Plot { run, results } => Task::Plot {
            run: resolve_run(&process.results_root(&results), run.as_deref()).map_err(Failure::usage)?,
        },
        Command::Report { run, results } => Task::Report {
            run: resolve_run(&process.results_root(&results), run.as_deref()).map_err(Failure::usage)?,
        },
        Command::Compare {
            a,
            b,
            threshold,
            alpha,
            fail_on_regression,
            results,
        } => {
            let opts = CompareOpts {
                threshold_pct: check_threshold(threshold).map_err(Failure::usage)?,
                alpha: check_alpha(alpha).map_err(Failure::usage)?,
            };
            let root = process.results_root(&results);
            Task::Compare {
                a: resolve_run(&root, Some(&a)).map_err(Failure::usage)?,
                b: resolve_run(&root, Some(&b)).map_err(Failure::usage)?,
                opts,
                fail_on_regression,
            }
        }
    })
}

fn check_run(args: RunArgs, process: &Process) -> Result<RunOpts, BadOption> {
    let mode = match (args.rate, args.max_throughput) {
        (Some(r), _) => Some(LoadMode::Rate(RATE.check(r)?)),
        (None, true) => Some(LoadMode::MaxThroughput),
        (None, false) => None,
    };
    if !args.path.starts_with('/') {
        return Err(BadOption::new("--path", &args.path, "must start with /"));
    }
    if mode.is_some()
        && let Some(r) = args.runtimes.iter().find(|r| r.as_async().is_none())
    {
        let allowed: Vec<_> = AsyncFlavor::ALL.iter().map(|a| a.name()).collect();
        return Err(BadOption::new(
            "--runtime",
            r,
            format!("load runs need an async runtime ({})", allowed.join(", ")),
        ));
    }
    if let Some(a) = args.server
        && !a.ip().is_loopback()
    {
        return Err(BadOption::new(
            "--server",
            a,
            "load is only ever sent to loopback (127.0.0.0/8 or ::1)",
        ));
    }
    let batches = BATCHES.check(args.batches)?;
    let connections = CONNECTIONS.check(args.connections)?;
    let duration = DURATION.check(args.duration)?;
    let load = mode.map(|m| {
        let runtimes = if args.runtimes.is_empty() {
            Flavor::all_async()
        } else {
            args.runtimes.clone()
        };
        HttpLoad::new(m, connections, &args.path, runtimes, LOAD_TIMEOUT)
    });
    // A load run's batches are its seconds of load.
    let batches = if load.is_some() { duration } else { batches };
    Ok(RunOpts {
        scenarios_dir: args.scenarios,
        results_root: process.results_root(&args.results),
        only_scenarios: args.scenarios_only,
        only_runtimes: args.runtimes,
        only_variants: args.variants,
        batches,
        warmup: WARMUP.check(args.warmup)?,
        workers: args.workers.map(|w| WORKERS.check(w)).transpose()?.map(|w| w as usize),
        command: process.command_line.clone(),
        server: args.server,
        load,
        rounds: args.rounds.map(|r| ROUNDS.check(r)).transpose()?.map(|r| r as u32),
        seed: args.seed,
        server_cpus: cpu_list("--server-cpus", args.server_cpus.as_deref())?,
        client_cpus: cpu_list("--client-cpus", args.client_cpus.as_deref())?,
    })
}

fn cpu_list(flag: &'static str, v: Option<&str>) -> Result<Option<CpuSet>, BadOption> {
    v.map(|s| s.parse::<CpuSet>().map_err(|e| BadOption::new(flag, s, e.to_string())))
        .transpose()
}

fn check_threshold(v: f64) -> Result<f64, BadOption> {
    if (0.0..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(BadOption::new("--threshold", v, "not a percentage in 0..=1000"))
    }
}

fn check_alpha(v: f64) -> Result<f64, BadOption> {
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(BadOption::new("--alpha", v, "not a significance level in (0, 1)"))
    }
}

/// The environment variable that moves run directories, for `cargo bench` and the CLI alike.
pub const RESULTS_ENV: &str = "ASYNCBENCH_RESULTS";

/// Where run directories go, and the rule that chose it (`--help` says which applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsRoot {
    pub path: PathBuf,
    pub rule: ResultsRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsRule {
    /// `--results`.
    Flag,
    /// `ASYNCBENCH_RESULTS`.
    Env,
    /// The working directory is inside the source tree: the crate's `results/`.
    SourceTree,
    /// Anywhere else (an installed binary): `./results`.
    WorkingDir,
    /// `cargo test`: under `target/`, whatever else is set, so smoke runs never mix with real ones.
    TestMode,
}

impl ResultsRule {
    pub fn describe(self) -> &'static str {
        match self {
            ResultsRule::Flag => "given by --results",
            ResultsRule::Env => "from ASYNCBENCH_RESULTS",
            ResultsRule::SourceTree => "the crate's results/: the working directory is inside its source tree",
            ResultsRule::WorkingDir => "./results: the working directory is outside the source tree",
            ResultsRule::TestMode => "test mode: under target/",
        }
    }
}

impl ResultsRoot {
    /// The rule, as a pure function of its inputs: `--results`, then `ASYNCBENCH_RESULTS` (unless
    /// empty), then the crate's `results/` when `cwd` is inside `manifest_dir`, else
    /// `cwd/results`.
    pub fn choose(flag: Option<&Path>, env: Option<&OsStr>, cwd: &Path, manifest_dir: &Path) -> ResultsRoot {
        let (path, rule) = match (flag, env) {
            (Some(f), _) => (f.to_path_buf(), ResultsRule::Flag),
            (None, Some(e)) if !e.is_empty() => (PathBuf::from(e), ResultsRule::Env),
            _ if cwd.starts_with(manifest_dir) => (manifest_dir.join("results"), ResultsRule::SourceTree),
            _ => (cwd.join("results"), ResultsRule::WorkingDir),
        };
        ResultsRoot { path, rule }
    }

    /// Test-mode runs (`cargo test` smoke-running the suite) go under `target/`.
    pub fn test_mode(manifest_dir: &Path) -> ResultsRoot {
        ResultsRoot {
            path: manifest_dir.join("target").join("asyncbench-test-results"),
            rule: ResultsRule::TestMode,
        }
    }

    /// The rule applied to this process, without a `--results` flag.
    pub fn current() -> ResultsRoot {
        let p = Process::current();
        ResultsRoot::choose(None, p.results_env.as_deref(), &p.cwd, &p.manifest_dir)
    }
}

/// The crate's source directory, resolved like the working directory (symlinks followed) so the
/// two compare; as compiled in when it no longer exists (an installed binary).
pub fn manifest_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

fn current_dir() -> PathBuf {
    std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `--results`'s short help: where runs go here and now.
pub fn results_help() -> String {
    format!(
        "Where run directories live [here: {}]",
        ResultsRoot::current().path.display()
    )
}

/// `--results`'s long help: the rule, and which part of it applies here and now.
pub fn results_long_help() -> String {
    let here = ResultsRoot::current();
    format!(
        "Where run directories live. Default: ${RESULTS_ENV} if set; else the crate's results/ when the \
         working directory is inside its source tree ({}), ./results otherwise.\n\nHere: {} ({})",
        manifest_dir().display(),
        here.path.display(),
        here.rule.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "/src/asyncbench";

    fn choose(flag: Option<&str>, env: Option<&str>, cwd: &str) -> ResultsRoot {
        ResultsRoot::choose(
            flag.map(Path::new),
            env.map(OsStr::new),
            Path::new(cwd),
            Path::new(MANIFEST),
        )
    }

    #[test]
    fn results_default_to_the_crate_inside_the_source_tree() {
        for cwd in [MANIFEST, "/src/asyncbench/benches", "/src/asyncbench/target/debug"] {
            let r = choose(None, None, cwd);
            assert_eq!(r.path, Path::new("/src/asyncbench/results"), "{cwd}");
            assert_eq!(r.rule, ResultsRule::SourceTree);
        }
    }

    #[test]
    fn results_default_to_the_working_directory_outside_it() {
        // A sibling whose name merely starts with the crate's is outside.
        for cwd in ["/home/me/runs", "/src/asyncbench-old", "/"] {
            let r = choose(None, None, cwd);
            assert_eq!(r.path, Path::new(cwd).join("results"), "{cwd}");
            assert_eq!(r.rule, ResultsRule::WorkingDir);
        }
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_default() {
        let r = choose(Some("/flag"), Some("/env"), MANIFEST);
        assert_eq!((r.path.as_path(), r.rule), (Path::new("/flag"), ResultsRule::Flag));
        let r = choose(None, Some("/env"), "/elsewhere");
        assert_eq!((r.path.as_path(), r.rule), (Path::new("/env"), ResultsRule::Env));
        // An empty variable is unset, as shells mean it.
        assert_eq!(choose(None, Some(""), "/elsewhere").rule, ResultsRule::WorkingDir);
    }

    #[test]
    fn test_mode_runs_stay_under_target() {
        let r = ResultsRoot::test_mode(Path::new(MANIFEST));
        assert!(r.path.starts_with("/src/asyncbench/target"), "{}", r.path.display());
    }

    #[test]
    fn bounds_name_the_flag_the_value_and_the_range() {
        assert_eq!(BATCHES.check(1), Ok(1));
        assert_eq!(BATCHES.check(100_000), Ok(100_000));
        assert_eq!(
            BATCHES.check(0).unwrap_err().to_string(),
            "--batches 0: out of range: allowed 1..=100000"
        );
        assert_eq!(WARMUP.check(0), Ok(0));
        assert!(RATE.check(http_load::MAX_RATE + 1).is_err());
        assert_eq!(BATCHES.help("Recorded batches"), "Recorded batches [1..=100000]");
    }

    fn process() -> Process {
        Process {
            command_line: "asyncbench run".into(),
            cwd: PathBuf::from("/elsewhere"),
            results_env: None,
            manifest_dir: PathBuf::from(MANIFEST),
        }
    }

    fn check_args(args: &[&str]) -> Result<Task, Failure> {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(std::iter::once("asyncbench").chain(args.iter().copied()))
            .expect("clap parses");
        check(cli.command, &process())
    }

    /// The message of a usage error (exit code 2).
    fn usage_error(args: &[&str]) -> String {
        match check_args(args) {
            Err(f) => {
                assert_eq!(f.code, 2, "{f}");
                f.to_string()
            }
            Ok(t) => panic!("{args:?} accepted: {t:?}"),
        }
    }

    fn run_opts(args: &[&str]) -> RunOpts {
        match check_args(args) {
            Ok(Task::Run(o)) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn run_errors_name_the_flag_the_value_and_what_is_allowed() {
        assert_eq!(
            usage_error(&["run", "--batches", "0"]),
            "--batches 0: out of range: allowed 1..=100000"
        );
        assert_eq!(
            usage_error(&["run", "--rate", "0"]),
            "--rate 0: out of range: allowed 1..=1000000"
        );
        assert_eq!(
            usage_error(&["run", "--workers", "0"]),
            "--workers 0: out of range: allowed 1..=1024"
        );
        assert_eq!(
            usage_error(&["run", "--path", "delay/1"]),
            "--path delay/1: must start with /"
        );
        assert_eq!(
            usage_error(&["run", "--rate", "100", "--runtime", "threads"]),
            "--runtime threads: load runs need an async runtime (tokio-ct, tokio-mt, async-std, smol-ct, smol-mt)"
        );
        assert!(usage_error(&["run", "--server", "10.1.2.3:80"]).starts_with("--server 10.1.2.3:80: "));
        assert!(usage_error(&["serve", "--addr", "0.0.0.0:0"]).contains("--allow-non-loopback"));
        assert_eq!(
            usage_error(&["serve", "--threads", "65"]),
            "--threads 65: out of range: allowed 1..=64"
        );
        assert!(usage_error(&["compare", "a", "b", "--alpha", "1"]).starts_with("--alpha 1: "));
    }

    #[test]
    fn a_load_run_runs_its_duration_on_every_async_runtime() {
        use crate::scenario::ScenarioDef;
        let o = run_opts(&["run", "--rate", "100", "--duration", "3", "--batches", "7"]);
        assert_eq!(o.batches, 3, "--batches does not apply to load runs");
        let load = o.load.expect("a load run");
        assert_eq!(load.load.mode, LoadMode::Rate(100));
        assert_eq!(load.header().runtimes, Flavor::all_async());
    }

    #[test]
    fn run_defaults_and_results_directory() {
        let o = run_opts(&["run", "--workers", "3"]);
        assert_eq!((o.batches, o.warmup, o.workers), (10, 1, Some(3)));
        assert!(o.load.is_none());
        assert_eq!(o.results_root, Path::new("/elsewhere/results"));
        assert_eq!(o.command, "asyncbench run");
        let o = run_opts(&["run", "--results", "/r"]);
        assert_eq!(o.results_root, Path::new("/r"));
    }

    #[test]
    fn compare_levels_are_checked() {
        assert_eq!(check_threshold(5.0), Ok(5.0));
        assert!(check_threshold(-1.0).is_err());
        assert!(check_threshold(f64::NAN).is_err());
        assert_eq!(check_alpha(0.05), Ok(0.05));
        assert_eq!(
            check_alpha(1.0).unwrap_err().to_string(),
            "--alpha 1: not a significance level in (0, 1)"
        );
    }
}
