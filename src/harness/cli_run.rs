//! `asyncbench run`: the same cases as the criterion suite, closed loop, a
//! fixed number of batches per round, R rounds per case with the cases of
//! each round in a shuffled order, without criterion.

use std::path::PathBuf;

use std::time::Duration;

use super::{Failure, Interrupted, Session, SessionOpts, interrupt};
use super::{options, watchdog};
use crate::client::open_loop::LATENESS_BOUND;
use crate::measure::placement::CpuSet;
use crate::results::RunMode;
use crate::runtime::Flavor;
use crate::scenario::catalog::http_load::LoadMode;
use crate::scenario::{self, CaseSpec, ScenarioDef};

/// What to run, already checked by `harness::options`.
#[derive(Debug, Clone)]
pub struct RunOpts {
    pub scenarios_dir: PathBuf,
    pub results_root: PathBuf,
    pub only_scenarios: Vec<String>,
    pub only_runtimes: Vec<Flavor>,
    pub only_variants: Vec<String>,
    pub batches: u64,
    pub warmup: u64,
    pub workers: Option<usize>,
    pub command: String,
    /// An already running test server (e.g. `asyncbench serve`) to use instead of the in-process one.
    pub server: Option<std::net::SocketAddr>,
    /// Open-loop or max-throughput load instead of the scenario files.
    pub load: Option<crate::scenario::catalog::http_load::HttpLoad>,
    /// Rounds per case (`None`: each scenario file's own); `batches` is per round.
    pub rounds: Option<u32>,
    /// Seed of the per-round case order (`None`: random, recorded in the summary).
    pub seed: Option<u64>,
    pub server_cpus: Option<CpuSet>,
    pub client_cpus: Option<CpuSet>,
    /// Errors are expected: exit 0 and repoint `latest` even when cases had errors.
    pub allow_errors: bool,
    /// `--task-metrics`: poll-duration and wake → poll histograms per case.
    pub task_metrics: bool,
    pub format: super::options::args::OutputFormat,
    /// `--wide`: every column of the table.
    pub wide: bool,
}

/// The scenarios `opts` runs from (its load, or the scenario files), once its filters are
/// known to select a case: an unknown scenario name or a filter that selects nothing is a
/// usage error naming it (`versions` checks this before it builds anything).
pub fn load_selection(opts: &RunOpts) -> Result<Vec<Box<dyn ScenarioDef>>, Failure> {
    let all: Vec<Box<dyn ScenarioDef>> = match &opts.load {
        Some(load) => vec![Box::new(load.clone())],
        None => {
            let tier = scenario::Tier::from_env().map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
            scenario::load_dir_in(&opts.scenarios_dir, tier).map_err(Failure::usage)?
        }
    };
    for name in &opts.only_scenarios {
        if !all.iter().any(|s| &s.header().name == name) {
            let known: Vec<&str> = all.iter().map(|s| s.header().name.as_str()).collect();
            return Err(Failure::usage(anyhow::anyhow!(
                "--scenario {name}: unknown scenario: {}{} holds {}",
                options::did_you_mean(name, known.iter().copied()),
                opts.scenarios_dir.display(),
                known.join(", ")
            )));
        }
    }
    let chosen: Vec<&dyn ScenarioDef> = all
        .iter()
        .filter(|s| opts.only_scenarios.is_empty() || opts.only_scenarios.contains(&s.header().name))
        .map(|s| s.as_ref())
        .collect();
    let any = chosen.iter().any(|s| s.cases().iter().any(|c| opts.selects(c)));
    if !any {
        return Err(Failure::usage(anyhow::anyhow!(nothing_selected(&chosen, opts))));
    }
    Ok(all)
}

impl RunOpts {
    /// Whether the `--runtime` and `--variant` filters (a prefix) take case `c`.
    fn selects(&self, c: &CaseSpec) -> bool {
        (self.only_runtimes.is_empty() || self.only_runtimes.contains(&c.flavor))
            && (self.only_variants.is_empty() || self.only_variants.iter().any(|v| c.variant.starts_with(v.as_str())))
    }
}

/// Runs the selected cases; returns the run directory.
pub fn run(opts: RunOpts) -> Result<PathBuf, Failure> {
    let all = load_selection(&opts)?;
    let chosen: Vec<&Box<dyn ScenarioDef>> = all
        .iter()
        .filter(|s| opts.only_scenarios.is_empty() || opts.only_scenarios.contains(&s.header().name))
        .collect();
    let selected = |s: &dyn ScenarioDef| s.cases().into_iter().filter(|c| opts.selects(c)).collect::<Vec<_>>();
    let rounds_of = |s: &dyn ScenarioDef| opts.rounds.unwrap_or(s.header().rounds).max(1);
    let total: u64 = chosen
        .iter()
        .map(|s| selected(s.as_ref()).len() as u64 * u64::from(rounds_of(s.as_ref())))
        .sum();
    if let Some(addr) = opts.server {
        // The routes the selected cases request where they declare one (their ideal's), or
        // the load run's --path.
        let routes: Vec<String> = match &opts.load {
            Some(l) => vec![l.load.path.to_string()],
            None => chosen
                .iter()
                .flat_map(|s| selected(s.as_ref()))
                .filter_map(|c| c.ideal.and_then(|i| i.route).map(|r| r.path))
                .collect(),
        };
        super::preflight::check(addr, &routes).map_err(|e| Failure::from(anyhow::anyhow!("--server {addr}: {e}")))?;
    }
    interrupt::install();
    crate::measure::task_metrics::set_enabled(opts.task_metrics);
    let mut session = Session::start(SessionOpts {
        results_root: opts.results_root.clone(),
        command: opts.command.clone(),
        mode: match &opts.load {
            Some(l) => match l.load.mode {
                LoadMode::Rate(rate_per_s) => RunMode::OpenLoop {
                    rate_per_s,
                    connections: l.load.connections,
                },
                LoadMode::MaxThroughput => RunMode::MaxThroughput {
                    connections: l.load.connections,
                },
            },
            None => RunMode::Cli,
        },
        workers: opts.workers,
        profile: if cfg!(debug_assertions) {
            "debug".into()
        } else {
            "release".into()
        },
        total_cases: total,
        external_server: opts.server,
        rounds: opts.rounds,
        seed: opts.seed,
        server_cpus: opts.server_cpus.clone(),
        client_cpus: opts.client_cpus.clone(),
    })
    .map_err(Failure::from_run)?;
    session.note_rounds(opts.rounds.unwrap_or(crate::scenario::file::DEFAULT_ROUNDS));
    // Issue 22: the event-loop generator's own capacity (the sweep's and
    // http_server's load), so an open-loop rate can be read against it.
    if let Some(l) = &opts.load
        && matches!(l.load.mode, LoadMode::Rate(_))
    {
        session.progress.line(&match crate::sweep::measure_capacity() {
            Ok(c) => format!("asyncbench: {} — not the generator of this run's --rate load (http_load paces on the runtime under test)", c.line()),
            Err(e) => format!("asyncbench: warning: the load generator's capacity was not measured: {e}"),
        });
    }
    // The CLI includes the Python rows only when asked (ASYNCBENCH_PYTHON=1).
    if std::env::var(crate::python::ENV_VAR).is_ok_and(|v| !v.is_empty() && v != "0") {
        let side = crate::python::detect(crate::python::PyMode::Full, true).map(|mut side| {
            side.batches = Some(opts.batches);
            side.warmup = Some(opts.warmup);
            side
        });
        session.enable_python(side);
    }
    for s in chosen {
        let cases = selected(s.as_ref());
        let r = rounds_of(s.as_ref());
        each_round_case(
            &mut session,
            &s.header().name,
            r,
            &cases,
            |session, case, _, position| run_round(session, s.as_ref(), case, position, &opts),
        );
        if !interrupt::interrupted() {
            // `--variant` filters (prefixes) apply to the Python cases too.
            session.run_python(s.as_ref(), r, &opts.only_variants);
        }
        session.end_scenario(s.as_ref())?;
        if interrupt::interrupted() {
            let path = session.stop()?;
            return Err(Failure::from_run(Interrupted(path).into()));
        }
    }
    // A run with errors stays complete but does not become `latest` unless they were expected.
    let allow_errors = opts.allow_errors;
    Ok(session.finish_if(|s| allow_errors || !crate::report::terminal::has_errors(s))?)
}

/// One round of one case: a fresh runtime, warm-up batches, then the
/// recorded ones, one per call so the watchdog bounds each batch and Ctrl-C
/// is noticed between batches.
/// The rounds of one scenario, as both entry points run them: round by round, each round's
/// cases in the session's order for it; `one(session, case, round, position)` runs a case
/// that has not failed yet. After Ctrl-C no new case starts, in this round or a later one.
pub(super) fn each_round_case<'c>(
    session: &mut Session,
    scenario: &str,
    rounds: u32,
    cases: &'c [CaseSpec],
    mut one: impl FnMut(&mut Session, &'c CaseSpec, u32, u32),
) {
    for round in 0..rounds {
        for (position, idx) in session
            .round_order(scenario, round, cases.len())
            .into_iter()
            .enumerate()
        {
            if interrupt::interrupted() {
                return;
            }
            let case = &cases[idx];
            if session.case_failed(case) {
                session.progress.skip_case();
                continue;
            }
            one(session, case, round, position as u32);
        }
    }
}

fn run_round(session: &mut Session, s: &dyn ScenarioDef, case: &CaseSpec, position: u32, opts: &RunOpts) {
    session
        .progress
        .start(&format!("{}/{}/{}", s.header().name, case.variant, case.flavor));
    let mut guarded = match session.prepare(s, case, watchdog::limit(case, 1, Duration::ZERO)) {
        Ok(g) => g,
        Err(e) => {
            session.fail(s, case, e);
            session.progress.finish_case();
            return;
        }
    };
    let mut stopped = false;
    for i in 0..opts.warmup + opts.batches {
        // Ctrl-C ends the round at this batch boundary; the round is dropped (a
        // shorter round is not the round the others are compared with).
        if interrupt::interrupted() {
            stopped = true;
            break;
        }
        if guarded
            .run(1, i >= opts.warmup, watchdog::limit(case, 1, Duration::ZERO))
            .is_none()
        {
            break;
        }
    }
    session.round_measured();
    match (guarded.failed.clone(), guarded.finish()) {
        (None, _) if stopped => session.drop_interrupted(s, case),
        (None, Some(rec)) => {
            warn_if_behind(session, case, &rec);
            session.record_round(s, case, rec, position, None)
        }
        (Some(e), _) => session.fail(s, case, e),
        (None, None) => session.fail(s, case, "the case did not shut down in time".into()),
    }
    session.progress.finish_case();
}

/// An open-loop generator that fell behind its schedule says so: its
/// corrected latencies are still honest, but the load offered was not the
/// load asked for.
fn warn_if_behind(session: &Session, case: &CaseSpec, rec: &crate::scenario::CaseRecord) {
    if let (Some(asked), Some(achieved)) = (rec.value("asked_rps"), rec.value("achieved_rps"))
        && achieved < 0.95 * asked
    {
        session.progress.line(&format!(
            "asyncbench: warning: {} could not keep up: asked {asked:.0} requests/s, achieved {achieved:.0}",
            case.flavor
        ));
    }
    if let Some(late) = rec.extra.get("generator_lateness")
        && !late.is_empty()
    {
        let p99 = crate::stats::hdr::percentile(late.histogram(), 99.0);
        if p99 > u64::try_from(LATENESS_BOUND.as_nanos()).unwrap_or(u64::MAX) {
            session.progress.line(&format!(
                "asyncbench: warning: {}: the load generator fell behind its schedule (generator lateness p99 \
                 {:.2} ms > {:.1} ms): requests went out late",
                case.flavor,
                p99 as f64 / 1e6,
                LATENESS_BOUND.as_secs_f64() * 1e3
            ));
        }
    }
}

/// Why the filters select no case: the first filter that matches nothing among the chosen
/// scenarios, with a "did you mean" and what exists; else the combination that is empty.
fn nothing_selected(chosen: &[&dyn ScenarioDef], opts: &RunOpts) -> String {
    // Cases the filters name that only the full tier runs: say so rather than call them absent.
    let tiered = chosen.iter().find_map(|s| {
        s.left_out()
            .into_iter()
            .find(|(c, _)| opts.selects(c))
            .map(|(c, why)| (s.header().name.clone(), c, why))
    });
    if let Some((scenario, c, why)) = tiered {
        return format!(
            "{scenario}/{}/{} is in the full tier, which this run leaves out: set {}=full to run it ({why})",
            c.variant,
            c.flavor,
            crate::scenario::Tier::ENV
        );
    }
    let names: Vec<&str> = chosen.iter().map(|s| s.header().name.as_str()).collect();
    let cases: Vec<CaseSpec> = chosen.iter().flat_map(|s| s.cases()).collect();
    let (mut variants, mut runtimes): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for c in &cases {
        if !variants.contains(&c.variant.as_str()) {
            variants.push(&c.variant);
        }
        if !runtimes.contains(&c.flavor.name()) {
            runtimes.push(c.flavor.name());
        }
    }
    // A typo is closer to the file's variant name (`join_all`) than to a case's label
    // (`join_all-fresh`): both are offered.
    let mut guesses: Vec<&str> = chosen
        .iter()
        .flat_map(|s| s.header().variants.iter().map(String::as_str))
        .collect();
    guesses.extend(variants.iter().copied());
    let within = if opts.only_scenarios.is_empty() {
        "any scenario".to_string()
    } else {
        names.join(", ")
    };
    for v in &opts.only_variants {
        if !variants.iter().any(|x| x.starts_with(v.as_str())) {
            return format!(
                "--variant {v} selects no case of {within}: {}variants (--variant takes a prefix): {}",
                options::did_you_mean(v, guesses.iter().copied()),
                variants.join(", ")
            );
        }
    }
    for r in &opts.only_runtimes {
        if !runtimes.contains(&r.name()) {
            return format!(
                "--runtime {r}: {within} does not run on {r}; runtimes there: {}",
                runtimes.join(", ")
            );
        }
    }
    let filters: Vec<String> = opts
        .only_variants
        .iter()
        .map(|v| format!("--variant {v}"))
        .chain(opts.only_runtimes.iter().map(|r| format!("--runtime {r}")))
        .collect();
    format!(
        "{} together select no case of {within} (each matches some case alone); variants: {}; runtimes: {}",
        filters.join(" "),
        variants.join(", "),
        runtimes.join(", ")
    )
}
