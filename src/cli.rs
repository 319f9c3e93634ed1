//! The `asyncbench` command line: parsing only; every command calls the
//! library.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::compare::output as compare_output;
use crate::compare::{self, CompareOpts, Verdict};
use crate::harness::Failure;
use crate::harness::cli_run::{self, RunOpts};
use crate::report::{self, ReportError};
use crate::results::resolve_run;
use crate::runtime::Flavor;
use crate::scenario;
use crate::server::{ServerConfig, serve_until_ctrl_c};

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
runs without re-running anything."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lists each scenario: its guide section, variants, runtimes and parameters.
    List {
        /// Directory of scenario files.
        #[arg(long, default_value_os_t = scenario::default_dir())]
        scenarios: PathBuf,
    },
    /// Runs the test server standalone until Ctrl-C (prints its address).
    Serve {
        /// Address to listen on. Loopback only, unless --allow-non-loopback is given.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Allow a non-loopback --addr (prints a warning; fault controls such as
        /// /stall and /flaky still answer only loopback clients).
        #[arg(long)]
        allow_non_loopback: bool,
        /// Server worker threads.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
    },
    /// Runs scenarios closed-loop for a fixed number of batches and writes a run directory.
    Run(Box<RunArgs>),
    /// Redraws every chart of a saved run from its files (nothing is re-run).
    ///
    /// Writes <RUN>/charts/overview, <scenario>__batch and <scenario>__<variant>__<metric>
    /// (each .svg and .png). Exits 2 if the run's summary.json or a histogram it names is
    /// missing or corrupt; nothing is overwritten then.
    Plot {
        /// Run directory, its summary.json, or a run id under --results. Default: the latest
        /// complete run.
        run: Option<PathBuf>,
        /// Where run directories live.
        #[arg(long, default_value_os_t = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"))]
        results: PathBuf,
    },
    /// Writes REPORT.md and a self-contained index.html in a saved run, with every chart.
    ///
    /// The report opens with the environment fingerprint and the method, then per scenario the
    /// guide question, a table per variant, its charts and its warnings, and ends with the
    /// command that reproduces the run. Exits 2 if a file of the run is missing or corrupt;
    /// nothing is overwritten then.
    Report {
        /// Run directory, its summary.json, or a run id under --results. Default: the latest
        /// complete run.
        run: Option<PathBuf>,
        /// Where run directories live.
        #[arg(long, default_value_os_t = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"))]
        results: PathBuf,
    },
    /// Compares two saved runs: what changed per case, and whether it is significant.
    ///
    /// Rows with batch times are judged by Welch's t-test on the per-batch wall times; other
    /// metrics by a Mann-Whitney U test on the recorded samples. A regression is a slowdown
    /// beyond --threshold that is significant at --alpha, or new errors. Cases only one run has
    /// are listed, not compared. Exits 1 on a regression with --fail-on-regression (for CI), 2
    /// if a file of either run is missing or corrupt.
    Compare {
        /// The baseline run (directory, summary.json or run id under --results).
        a: PathBuf,
        /// The run to judge against the baseline.
        b: PathBuf,
        /// Slowdowns below this many percent never count as regressions.
        #[arg(long, default_value_t = 5.0, value_parser = parse_threshold)]
        threshold: f64,
        /// Significance level of each test.
        #[arg(long, default_value_t = 0.05, value_parser = parse_alpha)]
        alpha: f64,
        /// Exit with code 1 if any regression is found.
        #[arg(long)]
        fail_on_regression: bool,
        /// Where run directories live.
        #[arg(long, default_value_os_t = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"))]
        results: PathBuf,
    },
}

/// Options of `asyncbench run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Only these scenarios (repeatable). Default: all.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios_only: Vec<String>,
    /// Only these runtimes (repeatable): tokio-ct, tokio-mt, async-std, smol-ct, smol-mt, threads, rayon.
    #[arg(long = "runtime", value_name = "RUNTIME")]
    pub runtimes: Vec<Flavor>,
    /// Only variants starting with this text (repeatable), e.g. join_all.
    #[arg(long = "variant", value_name = "VARIANT")]
    pub variants: Vec<String>,
    /// Recorded batches per case.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batches: u64,
    /// Unrecorded warm-up batches per case.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub warmup: u64,
    /// Worker threads for tokio-mt and smol-mt (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,
    /// Directory of scenario files.
    #[arg(long, default_value_os_t = scenario::default_dir())]
    pub scenarios: PathBuf,
    /// Open loop: send this many requests per second in total (wrk2's method; latency is
    /// recorded from each request's intended send time and, uncorrected, from its actual
    /// send). Replaces the scenario files with a load run against --path.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000), conflicts_with = "max_throughput")]
    pub rate: Option<u64>,
    /// Closed loop as fast as replies allow, on --connections keep-alive connections.
    #[arg(long)]
    pub max_throughput: bool,
    /// Seconds of load per runtime (with --rate or --max-throughput); batches are 1 s each.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// Keep-alive connections for load runs.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub connections: u64,
    /// Route requested by load runs.
    #[arg(long, default_value = "/delay/1")]
    pub path: String,
    /// Use an already running test server at this loopback address (e.g. one started
    /// with `asyncbench serve`) instead of starting one in-process.
    #[arg(long, value_name = "ADDR")]
    pub server: Option<SocketAddr>,
    /// Where the run directory is created.
    #[arg(long, default_value_os_t = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"))]
    pub results: PathBuf,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::List { scenarios } => {
            let all = scenario::load_dir(&scenarios).map_err(Failure::usage)?;
            for s in &all {
                let h = s.header();
                println!("{}", h.name);
                println!("  guide:    {}", h.guide_section);
                println!("  variants: {}", h.variants.join(", "));
                println!(
                    "  runtimes: {}",
                    h.runtimes
                        .iter()
                        .map(|r| if r.legacy() {
                            format!("{r} (legacy)")
                        } else {
                            r.to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                println!("  params:   {}", s.describe());
                println!("  cases:    {}", s.cases().len());
            }
            Ok(())
        }
        Command::Serve {
            addr,
            threads,
            allow_non_loopback,
        } => {
            if !addr.ip().is_loopback() {
                if !allow_non_loopback {
                    return Err(Failure::usage(anyhow::anyhow!(
                        "--addr {addr}: not a loopback address (127.0.0.0/8 or ::1); add --allow-non-loopback to bind it anyway"
                    )));
                }
                eprintln!(
                    "asyncbench: warning: serving on {addr}, reachable from other machines; /stall and /flaky answer loopback clients only"
                );
            }
            let cfg = ServerConfig {
                addr,
                threads: threads as usize,
                allow_non_loopback,
                ..ServerConfig::default()
            };
            serve_until_ctrl_c(cfg)?;
            Ok(())
        }
        Command::Run(args) => {
            let RunArgs {
                scenarios_only,
                runtimes,
                variants,
                batches,
                warmup,
                workers,
                scenarios,
                results,
                server,
                rate,
                max_throughput,
                duration,
                connections,
                path,
            } = *args;
            use crate::scenario::catalog::http_load::{HttpLoad, LoadMode};
            let mode = match (rate, max_throughput) {
                (Some(r), _) => Some(LoadMode::Rate(r)),
                (None, true) => Some(LoadMode::MaxThroughput),
                (None, false) => None,
            };
            if !path.starts_with('/') {
                return Err(Failure::usage(anyhow::anyhow!("--path {path}: must start with /")));
            }
            if mode.is_some()
                && let Some(r) = runtimes.iter().find(|r| r.as_async().is_none())
            {
                return Err(Failure::usage(anyhow::anyhow!(
                    "--runtime {r}: load runs need an async runtime (tokio-ct, tokio-mt, async-std, smol-ct, smol-mt)"
                )));
            }
            let load = mode.map(|m| {
                let rts = if runtimes.is_empty() {
                    Flavor::all_async()
                } else {
                    runtimes.clone()
                };
                HttpLoad::new(m, connections, &path, rts, std::time::Duration::from_secs(10))
            });
            let (batches, warmup) = if load.is_some() {
                (duration, warmup)
            } else {
                (batches, warmup)
            };
            if let Some(a) = server
                && !a.ip().is_loopback()
            {
                return Err(Failure::usage(anyhow::anyhow!(
                    "--server {a}: load is only ever sent to loopback (127.0.0.0/8 or ::1)"
                )));
            }
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let path = cli_run::run(RunOpts {
                scenarios_dir: scenarios,
                results_root: results,
                only_scenarios: scenarios_only,
                only_runtimes: runtimes,
                only_variants: variants,
                batches,
                warmup,
                workers: workers.map(|w| w as usize),
                command,
                server,
                load,
            })?;
            report::publish(&path);
            println!("{}", path.display());
            Ok(())
        }
        Command::Plot { run, results } => {
            let dir = resolve_run(&results, run.as_deref()).map_err(Failure::usage)?;
            let charts = report::plot(&dir).map_err(report_failure)?;
            for c in charts.values() {
                println!("{}", c.svg.display());
                println!("{}", c.png.display());
            }
            Ok(())
        }
        Command::Report { run, results } => {
            let dir = resolve_run(&results, run.as_deref()).map_err(Failure::usage)?;
            let files = report::report(&dir).map_err(report_failure)?;
            println!("{}", files.markdown.display());
            println!("{}", files.html.display());
            Ok(())
        }
        Command::Compare {
            a,
            b,
            threshold,
            alpha,
            fail_on_regression,
            results,
        } => {
            let a = resolve_run(&results, Some(&a)).map_err(Failure::usage)?;
            let b = resolve_run(&results, Some(&b)).map_err(Failure::usage)?;
            let opts = CompareOpts {
                threshold_pct: threshold,
                alpha,
            };
            let c = compare::compare(&a, &b, opts).map_err(Failure::usage)?;
            print!("{}", compare_output::render(&c));
            let regressions = c.count(Verdict::Regression);
            if fail_on_regression && regressions > 0 {
                return Err(Failure::from(anyhow::anyhow!(
                    "{regressions} regression(s) beyond {threshold}% (--fail-on-regression)"
                )));
            }
            Ok(())
        }
    }
}

/// A report error keeps its own exit code: 2 for a missing or corrupt input file.
fn report_failure(e: ReportError) -> Failure {
    Failure {
        code: e.exit_code(),
        error: e.into(),
    }
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a percentage in 0..=1000"))
    }
}

fn parse_alpha(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("{v} is not a significance level in (0, 1)"))
    }
}
