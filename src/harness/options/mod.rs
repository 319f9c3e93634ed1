//! The command line's second step (ripgrep's LowArgs → HiArgs): [`check`] turns what clap parsed
//! ([`args`], the flags as typed) into checked options, one [`Task`] per command. Every rule about a flag's value
//! lives here, and every error names the flag, the value and what is allowed; past `check`
//! nothing re-validates. The ranges and the error are in `bounds`; `results_root` holds the rule
//! for where run directories go, shared by `cargo bench` and the CLI ([`ResultsRoot`]).

pub mod args;
mod bounds;
mod results_root;
mod scale;
mod suggest;
mod sweep;
mod versions;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::Failure;
use super::cli_run::RunOpts;
use crate::compare::CompareOpts;
use crate::measure::placement::CpuSet;
use crate::results::resolve_run;
use crate::runtime::{AsyncFlavor, Flavor};
use crate::scenario::catalog::http_load::{HttpLoad, LoadMode};
use crate::server::ServerConfig;
use args::{Command, ResultsArg, RunArgs, SavedRunArg};

pub use bounds::{BATCHES, BadOption, Bound, CONNECTIONS, DURATION, RATE, ROUNDS, SERVER_THREADS, WARMUP, WORKERS};
use bounds::{check_alpha, check_threshold};
use results_root::current_dir;
pub use results_root::{RESULTS_ENV, ResultsRoot, ResultsRule, manifest_dir, results_help, results_long_help};
pub use suggest::{closest, did_you_mean};
pub use sweep::route_names as sweep_route_names;
pub use versions::VersionsTask;

/// `asyncbench noise`, checked.
#[derive(Debug)]
pub struct NoiseOpts {
    pub run: RunOpts,
    pub plant: Option<crate::compare::plant::Plant>,
    pub simulate: Option<PathBuf>,
    pub trials: u32,
}

/// A command with its options checked.
#[derive(Debug)]
pub enum Task {
    List {
        scenarios: PathBuf,
    },
    Serve(ServerConfig),
    Run(Box<RunOpts>),
    /// `noise`: the run options, used twice, and the plant or simulation.
    Noise(Box<NoiseOpts>),
    Plot {
        run: PathBuf,
    },
    Report {
        run: PathBuf,
        brief: bool,
    },
    Compare {
        a: PathBuf,
        b: PathBuf,
        opts: CompareOpts,
        fail_on_regression: bool,
        aa: bool,
        /// Print the methods paragraph with its sources.
        verbose: bool,
    },
    Export {
        run: PathBuf,
        format: crate::export::ExportFormat,
        output: Option<PathBuf>,
    },
    Sweep(Box<crate::sweep::SweepOpts>),
    Versions(Box<VersionsTask>),
    Scale(Box<crate::scale::ScaleOpts>),
}

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

    /// The run directory `plot` and `report` are pointed at.
    fn saved_run(&self, saved: &SavedRunArg) -> Result<PathBuf, Failure> {
        resolve_run(&self.results_root(&saved.results), saved.run.as_deref()).map_err(Failure::usage)
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
        Command::Sweep(args) => Task::Sweep(Box::new(sweep::check_sweep(*args, process).map_err(Failure::usage)?)),
        Command::Scale(args) => Task::Scale(Box::new(scale::check_scale(*args, process).map_err(Failure::usage)?)),
        Command::List { scenarios } => Task::List { scenarios },
        Command::Versions(args) => Task::Versions(Box::new(versions::check_versions(*args, process)?)),
        Command::Serve {
            addr,
            allow_non_loopback,
            allow_remote_faults,
            threads,
        } => {
            BadOption::unless(addr.ip().is_loopback() || allow_non_loopback, "--addr", addr, || {
                "not a loopback address (127.0.0.0/8 or ::1); add --allow-non-loopback to bind it anyway".into()
            })
            .map_err(Failure::usage)?;
            Task::Serve(ServerConfig {
                addr,
                threads: SERVER_THREADS.check(threads).map_err(Failure::usage)? as usize,
                allow_non_loopback,
                allow_remote_faults,
                ..ServerConfig::default()
            })
        }
        Command::Run(args) => Task::Run(Box::new(check_run(*args, process).map_err(Failure::usage)?)),
        Command::Noise(args) => {
            let args::NoiseArgs {
                run,
                plant,
                simulate,
                trials,
            } = *args;
            let plant = plant
                .map(|p| p.parse().map_err(|why: String| BadOption::new("--plant", &p, why)))
                .transpose()
                .map_err(Failure::usage)?;
            BadOption::unless((1..=100_000).contains(&trials), "--trials", trials, || {
                "must be 1..=100000".into()
            })
            .map_err(Failure::usage)?;
            Task::Noise(Box::new(NoiseOpts {
                run: check_run(run, process).map_err(Failure::usage)?,
                plant,
                simulate,
                trials: trials as u32,
            }))
        }
        Command::Plot { saved } => Task::Plot {
            run: process.saved_run(&saved)?,
        },
        Command::Report { saved, brief } => Task::Report {
            run: process.saved_run(&saved)?,
            brief,
        },
        Command::Export { saved, format, output } => Task::Export {
            run: process.saved_run(&saved)?,
            format,
            output,
        },
        Command::Compare {
            a,
            b,
            threshold,
            alpha,
            fail_on_regression,
            aa,
            verbose,
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
                aa,
                verbose,
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
    BadOption::unless(args.path.starts_with('/'), "--path", &args.path, || {
        "must start with /".into()
    })?;
    // A load run replaces the scenario files: say what --rate runs instead of failing on the name.
    if let (Some(_), Some(name)) = (mode, args.scenarios_only.first()) {
        let flag = if args.rate.is_some() {
            "--rate"
        } else {
            "--max-throughput"
        };
        return Err(BadOption::new(
            "--scenario",
            name,
            format!(
                "{flag} runs an HTTP load against --path ({}) on each async runtime instead of the scenario \
                 files, so it takes no --scenario; leave out {flag} to run `{name}` closed loop",
                args.path
            ),
        ));
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
    if let Some(a) = args.server {
        BadOption::unless(a.ip().is_loopback() || args.allow_remote, "--server", a, || {
            "not a loopback address (127.0.0.0/8 or ::1): load goes only to this machine unless --allow-remote \
             (for a server you started with `asyncbench serve --allow-non-loopback` on another host)"
                .into()
        })?;
    }
    let batches = BATCHES.check(args.batches)?;
    let connections = CONNECTIONS.check(args.connections)?;
    let duration = load_seconds(&args.duration)?;
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
        allow_errors: args.allow_errors,
        task_metrics: args.task_metrics,
        format: args.format,
        wide: args.wide,
    })
}

/// `--duration`: the one duration grammar (`crate::server::parse_duration`, a bare number in
/// seconds), in whole seconds because load runs are measured in 1 s windows.
fn load_seconds(raw: &str) -> Result<u64, BadOption> {
    use crate::server::{BareUnit, DURATION_UNITS, parse_duration};
    let max = Duration::from_secs(DURATION.max);
    let d = parse_duration(raw, BareUnit::Secs, max).map_err(|e| {
        BadOption::new(
            "--duration",
            raw,
            format!(
                "{e}: allowed {}..={} s; units {DURATION_UNITS} (bare number = s)",
                DURATION.min, DURATION.max
            ),
        )
    })?;
    BadOption::unless(d.subsec_nanos() == 0, "--duration", raw, || {
        "load runs are measured in 1 s windows: give whole seconds, e.g. 5s".into()
    })?;
    DURATION
        .check(d.as_secs())
        .map_err(|e| BadOption::new("--duration", raw, e.why))
}

fn cpu_list(flag: &'static str, v: Option<&str>) -> Result<Option<CpuSet>, BadOption> {
    v.map(|s| s.parse::<CpuSet>().map_err(|e| BadOption::new(flag, s, e.to_string())))
        .transpose()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const MANIFEST: &str = "/src/asyncbench";

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
        // The root parser is `crate::cli::Cli`, above this module; its subcommands are these.
        #[derive(Parser)]
        struct Root {
            #[command(subcommand)]
            command: Command,
        }
        let root =
            Root::try_parse_from(std::iter::once("asyncbench").chain(args.iter().copied())).expect("clap parses");
        check(root.command, &process())
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
        // The list is the registry's async entries (the unit tests' registry adds `dummy-rt`).
        let names: Vec<&str> = AsyncFlavor::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(
            usage_error(&["run", "--rate", "100", "--runtime", "threads"]),
            format!(
                "--runtime threads: load runs need an async runtime ({})",
                names.join(", ")
            )
        );
        assert!(usage_error(&["run", "--server", "10.1.2.3:80"]).starts_with("--server 10.1.2.3:80: "));
        assert!(usage_error(&["serve", "--addr", "0.0.0.0:0"]).contains("--allow-non-loopback"));
        assert_eq!(
            usage_error(&["serve", "--threads", "65"]),
            "--threads 65: out of range: allowed 1..=64"
        );
        assert!(usage_error(&["compare", "a", "b", "--alpha", "1"]).starts_with("--alpha 1: "));
        assert_eq!(
            usage_error(&["run", "--rate", "10", "--duration", "5x"]),
            "--duration 5x: \"5x\" is not a duration: allowed 1..=3600 s; units us, ms, s (bare number = s)"
        );
        assert_eq!(
            usage_error(&["run", "--duration", "500ms"]),
            "--duration 500ms: load runs are measured in 1 s windows: give whole seconds, e.g. 5s"
        );
        assert_eq!(
            usage_error(&["run", "--duration", "0"]),
            "--duration 0: out of range: allowed 1..=3600"
        );
        let e = usage_error(&["run", "--rate", "100", "--scenario", "timeout"]);
        assert!(
            e.starts_with("--scenario timeout: --rate runs an HTTP load against --path (/delay/1)")
                && e.contains("leave out --rate to run `timeout` closed loop"),
            "{e}"
        );
    }

    #[test]
    fn a_load_run_runs_its_duration_on_every_async_runtime() {
        use crate::scenario::ScenarioDef;
        let o = run_opts(&["run", "--rate", "100", "--duration", "3", "--batches", "7"]);
        assert_eq!(o.batches, 3, "--batches does not apply to load runs");
        for d in ["3s", "3000ms", "3000000us"] {
            assert_eq!(run_opts(&["run", "--rate", "100", "--duration", d]).batches, 3, "{d}");
        }
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
}
