//! What clap parses from the command line, as typed (ripgrep's LowArgs): one type per command's
//! flags, their help text and value parsers. [`super::check`] turns them into checked options;
//! nothing here judges a value beyond its type. `crate::cli` owns the root parser and the dispatch.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;
use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};

use super::{BATCHES, CONNECTIONS, DURATION, RATE, ROUNDS, SERVER_THREADS, WARMUP, WORKERS};
use crate::runtime::{EXTERNAL_HOW_TO_ENABLE, Flavor, RuntimeEntry, RuntimeKind};
use crate::scenario;

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
        /// Allow a non-loopback --addr, e.g. 0.0.0.0:8080 for clients on other hosts (`run --server
        /// HOST:PORT --allow-remote`); prints a warning. Fault controls (/stall, /flaky) still
        /// answer only loopback clients unless --allow-remote-faults.
        #[arg(long)]
        allow_non_loopback: bool,
        /// Let non-loopback clients use the fault controls /stall and /flaky too (needed by the
        /// retry_backoff scenario and stall tests run from another host).
        #[arg(long)]
        allow_remote_faults: bool,
        #[arg(long, default_value_t = 1, help = SERVER_THREADS.help("Server worker threads"))]
        threads: u64,
    },
    /// Runs scenarios closed-loop for a fixed number of batches and writes a run directory.
    Run(Box<RunArgs>),
    /// Redraws every chart of a saved run from its files (nothing is re-run).
    ///
    /// Writes <RUN>/charts/overview, <scenario>__batch and <scenario>__<variant>__<metric>
    /// (each .svg and .png). Exits 2 if the run's summary.json or a histogram it names is
    /// missing or corrupt; nothing is overwritten then.
    Plot {
        #[command(flatten)]
        saved: SavedRunArg,
    },
    /// Writes BRIEF.md, REPORT.md, a self-contained index.html and a page per scenario in a
    /// saved run, with every chart.
    ///
    /// Every document opens with the same first screen: one line of context (machine, cores,
    /// rustc and runtime versions, duration, commit), the warnings that bear on trust, and the
    /// scorecard (per guide question the answer, its margin with interval and how far to trust
    /// it). BRIEF.md adds the scorecard's questions (a table and a chart each); REPORT.md every
    /// question, the largest effects, environment, method and links to the per-scenario pages
    /// (scenarios/<name>.md and .html: tables, charts and warnings). Exits 2 if a file of the run
    /// is missing or corrupt; nothing is overwritten then.
    Report {
        #[command(flatten)]
        saved: SavedRunArg,
        /// Also print BRIEF.md (paste-ready Markdown: tables and linked SVG charts) on stdout.
        #[arg(long)]
        brief: bool,
    },
    /// Measures this harness's noise floor on this machine: runs the selection twice, back to
    /// back (an A/A pair), compares the two and reports how many rows compare would flag, the
    /// median and p90 run-to-run change, and each row's minimum detectable effect.
    ///
    /// Takes the options of `run` (select a few scenarios for a quick figure). Writes noise.json
    /// into the second run (its REPORT.md then shows the figures) and prints the verdict. Both
    /// halves plan their CPU placement from the machine's CPU set; a pair whose cores or
    /// placement differ is refused (exit 2). With --plant, B runs with one scenario parameter
    /// changed (a planted A/B self-test of the gate); with --simulate, nothing runs.
    Noise(Box<NoiseArgs>),
    /// Compares two saved runs: what changed per case, and whether it is significant.
    ///
    /// Rows measured in rounds are judged by Welch's t-test on their round figures, with the
    /// p-values adjusted within one family per scenario (Benjamini–Hochberg inside, times the
    /// number of families); a change below the row's minimum detectable effect is within noise. Runs without rounds fall back to batch- or
    /// sample-level tests. A regression is a slowdown beyond --threshold and the MDE that is
    /// significant at --alpha after adjustment, or new errors. Cases only one run has
    /// are listed, not compared. Exits 1 on a regression with --fail-on-regression (for CI), 2
    /// if a file of either run is missing or corrupt.
    Compare {
        /// The baseline run (directory, summary.json or run id under --results).
        a: PathBuf,
        /// The run to judge against the baseline.
        b: PathBuf,
        /// Slowdowns below this many percent never count as regressions.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        /// Significance level of each test.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Exit with code 1 if a case's own value regressed or errors appeared.
        #[arg(long)]
        fail_on_regression: bool,
        /// The two runs are repeats of one commit (an A/A pair): also print the noise floor
        /// they show (rows flagged, run-to-run change, minimum detectable effects).
        #[arg(long)]
        aa: bool,
        /// Print the paragraph of methods (tests, family correction, verdicts) with their sources;
        /// without it, one line names them.
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        results: ResultsArg,
    },
    /// Exports a saved run for a benchmark-tracking tool: Bencher (`--format bmf`) or the
    /// GitHub Action github-action-benchmark (`--format github-action-benchmark`, its
    /// `customSmallerIsBetter` JSON).
    ///
    /// Each case is named scenario/variant/runtime; its value is the one summary.json
    /// publishes (its figure over rounds — the mean batch time, or the p99 from the intended
    /// send time on open-loop rows — in ns, with its 95% interval), beside its
    /// operations' p50/p99/max, throughput and errors (see the README's "Tracking runs over
    /// time"). Cases with no successful operation are left out and named on stderr. Exits 2 if
    /// the run's summary.json is missing or corrupt.
    Export {
        #[command(flatten)]
        saved: SavedRunArg,
        /// The tracking tool's format.
        #[arg(long, value_enum)]
        format: crate::export::ExportFormat,
        /// Write to this file (atomically) instead of stdout.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Serves HTTP on each runtime under test and sweeps the offered load: latency vs offered
    /// rate per runtime, the knee (highest rate with p99 under the SLO) and charts.
    ///
    /// The server is the http_server scenario's (one hyper handler, generic over the runtime); the
    /// load is the project's open-loop generator on its own thread and CPUs. Rates rise
    /// geometrically from the file's `sweep_start_rps` until a step saturates the server
    /// (achieved < 99% of offered, p99 past the bound, or errors) or the generator falls behind,
    /// then bisect near the knee. Writes sweep.json, SWEEP.md (knee table first), charts/ and
    /// hist/ (corrected and uncorrected .hgrm/.hlog per step) into <results>/sweep-<time>-<host>/.
    Sweep(Box<SweepArgs>),
    /// Did a dependency upgrade change the patterns? Builds the suite once per version of a
    /// crate and runs the two builds alternately, round by round, then compares them.
    ///
    /// Each version is resolved by cargo (`cargo update -p <crate> --precise <version>`) in a
    /// scratch copy of Cargo.toml and Cargo.lock under target/versions/ (the project's own
    /// lockfile is never touched); where a locked package's requirement blocks the version,
    /// that package is unlocked too and cargo picks a release of it that accepts the version,
    /// everything else staying as locked (what moved is printed and named in each side's
    /// environment). Each side is built in release in a target directory of its own; two
    /// versions that resolve to the same lockfile are built once. The builds then run in
    /// alternating order, one process per round (A B B A A B …, the same case order and CPU
    /// placement for both processes of a pair), and each side's rounds are gathered into a run
    /// directory. Each case's change B/A is paired by round (the two processes of a pair) with
    /// its 95% interval, and judged by the report's verdict rule (real = the interval excludes
    /// 1 and the change exceeds the larger of the MDE and 2%) in `compare`'s words (REGRESSION
    /// past the gate). Writes <results>/versions-<crate>-<A>-<B>-<time>/ with A/, B/ (run
    /// directories: `asyncbench export` takes them), rounds/ and COMPARE.md (the versions, the
    /// machine, warnings, a scorecard of what changed, then the per-case table), and prints the
    /// scorecard. Exits 2 before building on a crate the project does not resolve, a version
    /// that does not exist or that no unlocking lets cargo resolve (cargo's reason and the
    /// blocking requirement are quoted), or a filter that selects nothing; 1 if a side does
    /// not build (naming it; the other side's build is kept) or on a regression with
    /// --fail-on-regression; 130 on Ctrl-C (the finished pairs of rounds are compared).
    Versions(Box<VersionsArgs>),
    /// Measures how the cost per operation grows with concurrency: each pattern at N = 1, 10, 100,
    /// … on every runtime, with intervals over rounds, and where each runtime bends.
    ///
    /// Patterns: gather (N requests gathered over keep-alive, batch ÷ D), spawn_join, timers
    /// (lateness of N timers), idle_tasks (time and bytes per task), fanout (chat line to N
    /// receivers), producers (a channel with N producers); `planted` is a self-test. Each point is
    /// --rounds rounds, each on a fresh runtime. The bend is the smallest N whose figure exceeds 2×
    /// its base (the ideal, else its value at the smallest N). The soft open-file limit is raised
    /// to what the ladder needs; an N past the hard limit is refused and named. Writes
    /// scaling.json, SCALING.md (scorecard first) and charts/ into <results>/scale-<time>-<host>/;
    /// Ctrl-C keeps the finished points (exit 130).
    Scale(Box<ScaleArgs>),
}

/// Options of `asyncbench versions`, as typed; `harness::options` checks them.
#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    /// A crate in the project's resolved graph (Cargo.lock), e.g. tokio, async-executor, hyper.
    #[arg(value_name = "CRATE")]
    pub krate: String,
    /// The baseline version.
    pub a: String,
    /// The version judged against it.
    pub b: String,
    /// Only these scenarios (repeatable). Default: all.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios_only: Vec<String>,
    /// Only these runtimes (repeatable).
    #[arg(long = "runtime", value_name = "RUNTIME", value_parser = FlavorParser)]
    pub runtimes: Vec<Flavor>,
    /// Only variants starting with this text (repeatable), e.g. join_all.
    #[arg(long = "variant", value_name = "VARIANT")]
    pub variants: Vec<String>,
    #[arg(long, default_value_t = 6, help = ROUNDS.help("Rounds per version, each in a fresh process, the versions alternating"))]
    pub rounds: u64,
    #[arg(long, default_value_t = 10, help = BATCHES.help("Recorded batches per case and round"))]
    pub batches: u64,
    #[arg(long, default_value_t = 1, help = WARMUP.help("Unrecorded warm-up batches per case and round"))]
    pub warmup: u64,
    /// CPUs for the in-process test server (default: planned from the machine's size, the same
    /// for every round).
    #[arg(long, value_name = "CPUS")]
    pub server_cpus: Option<String>,
    /// CPUs for the harness and the runtimes under test; disjoint from --server-cpus.
    #[arg(long, value_name = "CPUS")]
    pub client_cpus: Option<String>,
    /// Directory of scenario files.
    #[arg(long, default_value_os_t = scenario::default_dir())]
    pub scenarios: PathBuf,
    /// Slowdowns below this many percent never count as regressions.
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
    /// Exit with code 1 if a case's own value regressed or errors appeared.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Run this already built asyncbench on both sides instead of building (the A/A self-check
    /// without a build): only when both versions are the one the project's Cargo.lock holds.
    /// With --patch-b it stands for side A only.
    #[arg(long, value_name = "PATH")]
    pub binary: Option<PathBuf>,
    /// Planted self-test of the build path: build B with crate NAME replaced by the local copy
    /// at PATH (`[patch.crates-io]` in B's scratch manifest), e.g. a copy with a known cost
    /// added, so the session must find it.
    #[arg(long, value_name = "NAME=PATH")]
    pub patch_b: Option<String>,
    /// Planted self-test: run B with this scenario parameter changed, e.g.
    /// `timeout.deadline_ms=+50%`, so the session must find a change.
    #[arg(long, value_name = "SCENARIO.PARAM=+PCT%")]
    pub plant: Option<String>,
    #[command(flatten)]
    pub results: ResultsArg,
}

/// Options of `asyncbench scale`, as typed; `harness::options` checks them.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// Only these patterns (repeatable). Default: every pattern but `planted`.
    #[arg(long = "pattern", value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Only these runtimes (repeatable). Default: the five async runtimes.
    #[arg(long = "runtime", value_name = "RUNTIME", value_parser = FlavorParser)]
    pub runtimes: Vec<Flavor>,
    /// Largest N [1..=1000000] (each pattern also stops at its own cap) (default: 100000).
    #[arg(long)]
    pub max_n: Option<u64>,
    /// Rounds per point, each on a fresh runtime [2..=20] (default: 3).
    #[arg(long)]
    pub rounds: Option<u64>,
    /// Worker counts for the multi-thread runtimes, the second axis (repeatable) [1..=1024]
    /// (default: one per core).
    #[arg(long = "workers", value_name = "N")]
    pub workers: Vec<u64>,
    /// No line per point on stderr.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub results: ResultsArg,
}

/// Options of `asyncbench sweep`, as typed; `harness::options` checks them.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Only these runtimes (repeatable). Default: the five async runtimes.
    #[arg(long = "runtime", value_name = "RUNTIME", value_parser = FlavorParser)]
    pub runtimes: Vec<Flavor>,
    /// The route every step requests: immediate (GET /), delay, burn or body (sizes from the file).
    #[arg(long, default_value = "immediate", value_parser = parse_route)]
    pub route: crate::scenario::catalog::http_server::Variant,
    /// The http_server scenario file (default: scenarios/http_server.toml).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Seconds of open-loop load per step [1..=600] (default: the file's sweep_step_secs).
    #[arg(long)]
    pub step_secs: Option<u64>,
    /// First offered rate, requests/s [1..=1000000] (default: the file's sweep_start_rps).
    #[arg(long)]
    pub start_rate: Option<u64>,
    /// Highest offered rate, requests/s [1..=1000000] (default: the file's sweep_max_rps).
    #[arg(long)]
    pub max_rate: Option<u64>,
    /// Bisection steps near the knee [0..=10] (default: the file's sweep_refine_steps).
    #[arg(long)]
    pub refine: Option<u64>,
    /// Steps per offered rate, its verdict decided over them [1..=20] (default: the file's sweep_repeats).
    #[arg(long)]
    pub repeats: Option<u64>,
    /// Worker threads of the multi-thread runtimes [1..=1024] (default: one per core).
    #[arg(long)]
    pub workers: Option<u64>,
    /// No line per step on stderr.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub results: ResultsArg,
}

/// `--route`: a variant name of the http_server scenario.
fn parse_route(s: &str) -> Result<crate::scenario::catalog::http_server::Variant, String> {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    crate::scenario::catalog::http_server::Variant::deserialize(s.into_deserializer())
        .map_err(|e: serde::de::value::Error| format!("{e} (allowed: {})", super::sweep_route_names()))
}

/// Options of `asyncbench noise`: those of `run`, the planted self-test and the simulation.
#[derive(Debug, clap::Args)]
pub struct NoiseArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Planted A/B self-test: run B with this scenario parameter changed, e.g.
    /// `fetch_parallel.delay_ms=+10%` (the server delay of every request of that scenario); the
    /// output gives the fraction of that scenario's case values flagged and of the other rows
    /// falsely flagged.
    #[arg(long, value_name = "SCENARIO.PARAM=+PCT%")]
    pub plant: Option<String>,
    /// Run nothing: simulate A/A pairs (with --plant, planted pairs) from the round means and spreads
    /// recorded in this saved run directory, and print the gate's false-alarm rate per run.
    #[arg(long, value_name = "RUN_DIR")]
    pub simulate: Option<PathBuf>,
    /// Pairs of runs the simulation draws, 1..=100000.
    #[arg(long, default_value_t = 1000)]
    pub trials: u64,
}

/// Options of `asyncbench run`, as typed; `harness::options` checks them.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Only these scenarios (repeatable). Default: all.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios_only: Vec<String>,
    /// Only these runtimes (repeatable).
    #[arg(long = "runtime", value_name = "RUNTIME", value_parser = FlavorParser)]
    pub runtimes: Vec<Flavor>,
    /// Only variants starting with this text (repeatable), e.g. join_all.
    #[arg(long = "variant", value_name = "VARIANT")]
    pub variants: Vec<String>,
    #[arg(long, default_value_t = 10, help = BATCHES.help("Recorded batches per case"))]
    pub batches: u64,
    #[arg(long, default_value_t = 1, help = WARMUP.help("Unrecorded warm-up batches per case"))]
    pub warmup: u64,
    #[arg(long, help = WORKERS.help("Worker threads for the multi-thread runtimes (default: one per core)"))]
    pub workers: Option<u64>,
    /// Directory of scenario files.
    #[arg(long, default_value_os_t = scenario::default_dir())]
    pub scenarios: PathBuf,
    #[arg(long, conflicts_with = "max_throughput", help = RATE.help(
        "Open loop: send this many requests per second in total (wrk2's method; latency is recorded from \
         each request's intended send time and, uncorrected, from its actual send). Replaces the scenario \
         files with a load run against --path"
    ))]
    pub rate: Option<u64>,
    /// Closed loop as fast as replies allow, on --connections keep-alive connections.
    #[arg(long)]
    pub max_throughput: bool,
    #[arg(long, default_value = "10", value_name = "DURATION", help = DURATION.help(
        "Load per runtime (with --rate or --max-throughput), whole seconds: 5s, 5000ms, or a bare number of \
         seconds; batches are 1 s each"
    ))]
    pub duration: String,
    #[arg(long, default_value_t = 16, help = CONNECTIONS.help("Keep-alive connections for load runs"))]
    pub connections: u64,
    /// Route requested by load runs.
    #[arg(long, default_value = "/delay/1")]
    pub path: String,
    /// Use an already running test server at this address (one started with `asyncbench serve`)
    /// instead of starting one in-process. Loopback unless --allow-remote. Its `/env`
    /// fingerprint is recorded in env.json.
    #[arg(long, value_name = "ADDR")]
    pub server: Option<SocketAddr>,
    /// Allow --server on another host (IP:PORT of `asyncbench serve --addr 0.0.0.0:PORT
    /// --allow-non-loopback`): load then leaves this machine.
    #[arg(long, requires = "server")]
    pub allow_remote: bool,
    #[arg(long, help = ROUNDS.help(
        "Rounds per case, each on a fresh runtime with the cases in a shuffled order (default: the scenario \
         file's `rounds`, 3); --batches is per round"
    ))]
    pub rounds: Option<u64>,
    /// Seed of the shuffled case order (default: random; the summary records it so an order can be replayed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// CPUs for the in-process test server, e.g. `1` or `2-3` (default: planned from the machine's size
    /// and recorded in env.json).
    #[arg(long, value_name = "CPUS")]
    pub server_cpus: Option<String>,
    /// CPUs for the harness and the runtimes under test, e.g. `0` or `0-1`; disjoint from --server-cpus.
    #[arg(long, value_name = "CPUS")]
    pub client_cpus: Option<String>,
    /// Keep a run whose cases had errors or failed: exit 0 and repoint results/latest at it
    /// (without it such a run exits 1 and `latest` stays where it was).
    #[arg(long)]
    pub allow_errors: bool,
    /// Record every task's poll durations and wake → poll delays (rows `poll_duration` and
    /// `wake_to_poll`), the same wrapper on every runtime; off by default: it costs a lock and two
    /// clock reads per poll (measured and written in summary.json's `cost_info`).
    #[arg(long)]
    pub task_metrics: bool,
    /// What to print at the end: a table on stderr (`table`), or as JSON on stdout (`json`) an
    /// object with `run_dir`, `partial`, `results` (summary.json's rows) and `warnings` (the
    /// run's warnings as the table prints them).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Every column of the end-of-run table (by default it fits 120 columns: empty columns and,
    /// for open-loop runs, the second p99, throughput and ideal ratios are left out).
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub results: ResultsArg,
}

/// What `run` prints at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
}

/// `--results`, the same on every command that writes or reads runs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ResultsArg {
    #[arg(long, value_name = "DIR", help = super::results_help(), long_help = super::results_long_help())]
    pub results: Option<PathBuf>,
}

/// The saved run that `plot` and `report` work on.
#[derive(Debug, Clone, clap::Args)]
pub struct SavedRunArg {
    /// Run directory, its summary.json, or a run id under --results. Default: the latest
    /// complete run.
    pub run: Option<PathBuf>,
    #[command(flatten)]
    pub results: ResultsArg,
}

/// Parses a runtime name with the registry's error (which lists the allowed names) and offers
/// the registry's names and help lines to `--help` and shell completion.
#[derive(Debug, Clone, Copy)]
struct FlavorParser;

impl TypedValueParser for FlavorParser {
    type Value = Flavor;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<Flavor, clap::Error> {
        StringValueParser::new()
            .try_map(|s| {
                s.parse::<Flavor>().map_err(|e| match RuntimeEntry::find(&s) {
                    // An external entry (the guide's Python) is not built here: say how to get it.
                    Some(
                        entry @ RuntimeEntry {
                            kind: RuntimeKind::External(_),
                            ..
                        },
                    ) => format!(
                        "`{s}` is {}, not a Rust runtime: its rows join a run on their own; to get them, {}",
                        entry.help, EXTERNAL_HOW_TO_ENABLE
                    ),
                    _ => match super::closest(&s, Flavor::ALL.iter().map(|f| f.name())) {
                        Some(k) => format!("{e}; did you mean `{k}`?"),
                        None => e.to_string(),
                    },
                })
            })
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(Flavor::ALL.into_iter().map(|f| {
            let help = match f.legacy_note() {
                Some(note) => format!("{}; legacy: {note}", f.help()),
                None => f.help().to_string(),
            };
            PossibleValue::new(f.name()).help(help)
        })))
    }
}
