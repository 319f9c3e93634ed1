//! One run: the in-process test server, the run directory (rewritten after
//! every finished round so an interrupted run keeps what finished), and the
//! conversion of recorded samples into summary entries.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::measure::host_rule::{Disturbed, HostRule};
use crate::measure::{HarnessFloor, RoundFigures, host_probe, measure_floor, steal};
use crate::results::{self, CaseFailure, CaseResult, CriterionEstimate, CriterionRound, RunDir, RunMode, ScenarioInfo};
use crate::scenario::{Bench, CaseRecord, CaseSpec, Env, ScenarioDef};
use crate::server::{ServerConfig, TestServer};
use crate::stats::two_stage::RoundPlan;

use super::criterion_suite::SuiteMode;
use super::progress::Progress;
use super::watchdog::Guarded;
use crate::measure::placement::{self, CpuSet, PlacementInfo, Plan};

mod rows;
pub mod stage_two;

impl From<SuiteMode> for RunMode {
    fn from(m: SuiteMode) -> RunMode {
        match m {
            SuiteMode::Bench => RunMode::Criterion,
            SuiteMode::Quick => RunMode::CriterionQuick,
            SuiteMode::Test => RunMode::Test,
            SuiteMode::Other => RunMode::Other,
        }
    }
}

/// CPU sets that cannot be applied (unknown CPUs, overlapping sets): bad
/// input, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadPlacement(pub String);

pub struct SessionOpts {
    /// Where run directories go (`results/` by default).
    pub results_root: PathBuf,
    /// The command line that started the run, recorded for reproduction.
    pub command: String,
    /// How the entry point drives the cases; recorded in the summary for the report.
    pub mode: RunMode,
    /// Worker threads for the multi-thread flavours (None: one per core).
    pub workers: Option<usize>,
    /// Build profile the harness was compiled with.
    pub profile: String,
    /// Number of cases, for the progress display.
    pub total_cases: u64,
    /// Use this already running server (loopback) instead of starting one.
    pub external_server: Option<std::net::SocketAddr>,
    /// Rounds per case (`None`: each scenario's own default).
    pub rounds: Option<u32>,
    /// Seed of the per-round case order (`None`: drawn at random and recorded).
    pub seed: Option<u64>,
    /// CPU sets for the in-process server and the side under test (`None`:
    /// planned from the machine's size, see [`placement::plan`]).
    pub server_cpus: Option<CpuSet>,
    pub client_cpus: Option<CpuSet>,
}

/// A case between its first round and the end of its scenario.
struct Pending {
    case: CaseSpec,
    rec: CaseRecord,
    rounds: Vec<(u32, RoundFigures)>,
    /// Each round's criterion estimate, labelled with its round (never one as the row's).
    criterion: Vec<CriterionRound>,
    /// The runtime's name when it is not one of ours (the guide's Python:
    /// "asyncio", "uvloop"); `case` is then the Rust case it mirrors.
    external: Option<&'static str>,
    /// The two-stage plan of its rounds, once stage 1 is over (`cargo bench` only).
    plan: Option<RoundPlan>,
}

impl Pending {
    /// A copy to turn into rows now, while this one keeps collecting rounds.
    fn snapshot(&self) -> Pending {
        Pending {
            case: self.case.clone(),
            rec: self.rec.clone(),
            rounds: self.rounds.clone(),
            criterion: self.criterion.clone(),
            external: self.external,
            plan: self.plan.clone(),
        }
    }

    /// Whether `r` is one of this case's rows.
    fn owns(&self, scenario: &str, r: &CaseResult) -> bool {
        r.scenario == scenario && r.variant == self.case.variant && r.runtime == self.runtime()
    }
}

impl Pending {
    fn is(&self, case: &CaseSpec, external: Option<&'static str>) -> bool {
        self.case.variant == case.variant && self.case.flavor == case.flavor && self.external == external
    }

    fn runtime(&self) -> &'static str {
        self.external.unwrap_or(self.case.flavor.name())
    }

    /// Folds in one more round: its figures (taken before the merge), its record, and
    /// criterion's estimate for it labelled with the round's number.
    fn add_round(
        &mut self,
        rec: CaseRecord,
        position: u32,
        criterion: Option<CriterionEstimate>,
        (steal_pct, host_probe_ns, migrations): (Option<f64>, Option<f64>, Option<u64>),
    ) {
        let round = self.rounds.len() as u32;
        let figures = RoundFigures {
            steal_pct,
            host_probe_ns,
            migrations,
            ..rec.round_figures()
        };
        self.rounds.push((position, figures));
        self.criterion
            .extend(criterion.map(|estimate| CriterionRound { round, estimate }));
        self.rec.merge(rec);
    }
}

pub struct Session {
    pub env: Env,
    pub floor: HarnessFloor,
    /// The in-process server; `None` when the run targets an external one.
    server: Option<TestServer>,
    run: RunDir,
    results: Vec<CaseResult>,
    failures: Vec<CaseFailure>,
    /// The machine's CPU counters when the round in flight was prepared, for its steal.
    round_began: std::cell::Cell<Option<steal::CpuTicks>>,
    /// Each thread's migrations when the round in flight was prepared, and when its last batch
    /// ended (before its runtime shut down and took its threads' counts with it).
    round_migrations: std::cell::RefCell<std::collections::BTreeMap<libc::pid_t, u64>>,
    round_migrations_end: std::cell::RefCell<Option<std::collections::BTreeMap<libc::pid_t, u64>>>,
    /// The run's host readings and the rule that reruns a disturbed round (`measure::host_rule`).
    host_rule: HostRule,
    /// Rounds rerun under that rule: variant, flavour and the note their row carries.
    reruns: Vec<(String, crate::runtime::Flavor, String)>,
    pending: Vec<Pending>,
    /// The rows of the pending cases as of their last finished round, written
    /// with every summary so an interrupted run keeps them.
    provisional: Vec<CaseResult>,
    /// Cases that failed in some round: their later rounds are skipped.
    failed: Vec<(String, crate::runtime::Flavor)>,
    rounds: Option<u32>,
    seed: u64,
    plan: Option<Plan>,
    /// Each request kind's floor (by connection mode and path), measured the first time a
    /// finished case needs it.
    floors: std::collections::BTreeMap<(&'static str, String), Option<crate::client::RouteFloor>>,
    pub progress: Progress,
    /// The guide's Python side, when this run includes its rows ([`Session::enable_python`]).
    python: Option<crate::python::PythonSide>,
    /// Restores the starting thread's CPUs when the session ends.
    _restore: RestoreMask,
}

/// Puts the thread that started a session back on the CPUs it had: pinning is per thread, so
/// without this a second run in the same process (`asyncbench noise`'s B half) would plan its
/// placement from the client's one CPU ("cores: 2 → 1") instead of the machine's CPU set.
struct RestoreMask(Option<CpuSet>);

impl Drop for RestoreMask {
    fn drop(&mut self) {
        if let Some(set) = self.0.as_ref().filter(|s| !s.cpus().is_empty()) {
            let _ = placement::pin_current_thread(set);
        }
    }
}

impl Session {
    pub fn start(opts: SessionOpts) -> anyhow::Result<Session> {
        // Load scenarios open many sockets; best effort, the run works without.
        let _ = crate::server::raise_fd_limit();
        // Before any pinning: the cores reported are the machine's, not the client's share.
        let mut env_info = results::env::collect(&opts.profile, Path::new(env!("CARGO_MANIFEST_DIR")));
        let allowed = CpuSet::allowed().unwrap_or_default();
        // Before any pinning, so an early error return restores the mask too.
        let restore = RestoreMask(Some(allowed.clone()));
        let plan =
            placement::plan(&allowed, opts.server_cpus.clone(), opts.client_cpus.clone()).map_err(BadPlacement)?;
        let mut placement = PlacementInfo {
            applied: false,
            server_cpus: plan.as_ref().map(|p| p.server.clone()),
            client_cpus: plan.as_ref().map(|p| p.client.clone()),
            multi_thread_cpus: plan.as_ref().map(|p| p.multi_thread.clone()),
            note: match &plan {
                None => format!("{} CPU(s) available: server and client share them", allowed.len()),
                Some(_) if opts.server_cpus.is_some() || opts.client_cpus.is_some() => "as asked".into(),
                Some(_) if allowed.len() < 4 => format!(
                    "{} CPUs: the server on its own CPU, the harness and current-thread runtimes on another, \
                     multi-thread runtimes on all (they share a CPU with the server)",
                    allowed.len()
                ),
                Some(_) => "the server on a quarter of the CPUs, everything under test on the rest".into(),
            },
            server_threads: Vec::new(),
        };
        // The precise timer thread (pacer and probes) starts before any
        // pinning, so it may run on every CPU: on the client's alone it would
        // queue behind the runtime it paces and report that as lateness.
        let _ = crate::measure::clock::PreciseTimer::shared();
        // Threads inherit their creator's mask: pin this thread for the
        // server's start, then for the side under test.
        let pinned = |set: &CpuSet| placement::pin_current_thread(set);
        let server = match opts.external_server {
            Some(_) => None,
            None => {
                let pin = plan.as_ref().map(|p| pinned(&p.server));
                let s = TestServer::start(ServerConfig::default()).context("cannot start the test server")?;
                placement.applied = matches!(pin, Some(Ok(())));
                if let Some(Err(e)) = pin {
                    placement.note = format!("placement could not be applied: {e}");
                }
                Some(s)
            }
        };
        if let Some(p) = &plan {
            if let Err(e) = pinned(&p.client) {
                placement.applied = false;
                placement.note = format!("placement could not be applied: {e}");
            } else if opts.external_server.is_some() {
                placement.applied = true;
                placement.note = format!("external server; {}", placement.note);
            }
        }
        // Offload threads (blocking pools, rayon, dedicated threads) run where a user's unpinned
        // ones could: the multi-thread set, never confined to a current-thread loop's CPU.
        let offload = plan
            .as_ref()
            .filter(|_| placement.applied)
            .map(|p| p.multi_thread.clone());
        if let Some(set) = &offload {
            placement.note = format!("{}; offload threads on {set}", placement.note);
        }
        crate::runtime::offload::set_cpus(offload);
        // A thread names itself once it first runs (std sets the name from inside it), so on a
        // busy machine the server's may not carry their names yet: wait for them, briefly.
        let server_threads = || -> Vec<String> {
            placement::threads()
                .into_iter()
                .filter(|t| t.name.starts_with("asyncbench-serv"))
                .map(|t| format!("{} {} on {}", t.tid, t.name, t.cpus))
                .collect()
        };
        placement.server_threads = server_threads();
        for _ in 0..100 {
            if !placement.server_threads.is_empty() || server.is_none() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            placement.server_threads = server_threads();
        }
        let server_addr = match (&server, opts.external_server) {
            (Some(s), _) => s.addr(),
            (None, Some(a)) => a,
            (None, None) => unreachable!("one of the two is set above"),
        };
        let floor = measure_floor();
        env_info.placement = Some(placement.clone());
        // An external server (perhaps on another host) says what it is: recorded beside ours.
        if let Some(addr) = opts.external_server {
            let answer = crate::server::fetch_fingerprint(addr, std::time::Duration::from_secs(10));
            if let Err(e) = &answer {
                progress_warning(&format!("the server at {addr} gave no fingerprint: {e}"));
            }
            env_info.remote_server = Some(results::env::RemoteServer {
                addr: addr.to_string(),
                loopback: addr.ip().is_loopback(),
                fingerprint: answer.as_ref().ok().cloned().map(Box::new),
                fingerprint_error: answer.err(),
            });
        }
        let mut run = RunDir::create(&opts.results_root, env_info, opts.command, opts.mode)
            .with_context(|| format!("cannot create a run directory under {}", opts.results_root.display()))?;
        run.set_harness(floor);
        run.set_cost_info(crate::measure::cost::info());
        super::interrupt::set_run_dir(run.path());
        let seed = opts.seed.unwrap_or_else(|| fastrand::u64(..));
        let progress = Progress::new(opts.total_cases);
        progress.line(&format!(
            "asyncbench: run {} → {} (server {}, harness floor: timer {:.0} ns, record {:.0} ns)",
            run.id(),
            run.path().display(),
            server_addr,
            floor.timer_ns,
            floor.record_ns
        ));
        Ok(Session {
            env: Env {
                server: server_addr,
                workers: opts.workers,
            },
            floor,
            server,
            run,
            results: Vec::new(),
            failures: Vec::new(),
            round_began: std::cell::Cell::new(None),
            round_migrations: Default::default(),
            round_migrations_end: Default::default(),
            host_rule: HostRule::default(),
            reruns: Vec::new(),
            pending: Vec::new(),
            provisional: Vec::new(),
            failed: Vec::new(),
            rounds: opts.rounds,
            seed,
            plan,
            floors: Default::default(),
            progress,
            python: None,
            _restore: restore,
        })
    }

    /// The floor of one kind of request (the fastest of many blocking GETs of its path over its
    /// connection mode), measured once per run, between cases so nothing else loads the server.
    fn route_floor(&mut self, req: &crate::scenario::Requests) -> Option<crate::client::RouteFloor> {
        let key = (req.conn.name(), req.path.clone());
        if let Some(f) = self.floors.get(&key) {
            return f.clone();
        }
        let f = crate::client::route_floor(self.env.server, &req.path, req.conn);
        self.floors.insert(key, f.clone());
        f
    }

    /// Rounds for a scenario whose file asks for `default`: the option wins.
    pub fn rounds_for(&self, default: u32) -> u32 {
        self.rounds.unwrap_or(default).max(1)
    }

    /// Records the rounds and order seed of this run (once the entry point
    /// knows its round count).
    pub fn note_rounds(&mut self, rounds: u32) {
        self.run.set_rounds(rounds, self.seed);
    }

    /// The seed of the run's round orders.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The order the cases of `scenario` run in, round `round`: a shuffle
    /// seeded by the run's seed, the scenario and the round, so drift over
    /// a run hits every runtime alike and the order can be reproduced.
    pub fn round_order(&self, scenario: &str, round: u32, n: usize) -> Vec<usize> {
        super::order::shuffled(self.seed, scenario, round, n)
    }

    /// The figures of `case`'s rounds so far (its primary figure, in the order they ran), for
    /// planning its stage 2; `None` when it has no finished round.
    pub fn round_means(&self, case: &CaseSpec) -> Option<Vec<f64>> {
        let p = self.pending.iter().find(|p| p.is(case, None))?;
        Some(
            p.rounds
                .iter()
                .filter_map(|(pos, f)| case.value.round(*pos, None, f))
                .map(|r| r.mean)
                .collect(),
        )
    }

    /// Keeps `case`'s two-stage plan for its primary row, and puts it on the row's provisional
    /// copy too (no files rewritten: stage 2's budget counts rounds, not bookkeeping), so an
    /// interrupted run writes it.
    pub fn set_plan(&mut self, s: &dyn ScenarioDef, case: &CaseSpec, plan: RoundPlan) {
        let Some(p) = self.pending.iter_mut().find(|p| p.is(case, None)) else {
            return;
        };
        let name = &s.header().name;
        if let Some(row) = self
            .provisional
            .iter_mut()
            .find(|r| p.owns(name, r) && r.metric == crate::report::data::PRIMARY_METRIC)
        {
            row.round_plan = Some(plan.clone());
        }
        p.plan = Some(plan);
    }

    /// Whether an earlier round of this case failed (later rounds are skipped).
    pub fn case_failed(&self, case: &CaseSpec) -> bool {
        self.failed.iter().any(|(v, f)| *v == case.variant && *f == case.flavor)
    }

    /// Builds the case on its runtime behind a watchdog, with the case's
    /// threads on the CPUs the plan gives its flavour (a new thread inherits
    /// its creator's mask, so this thread is pinned for the build and
    /// restored after).
    pub fn prepare(&self, s: &dyn ScenarioDef, case: &CaseSpec, limit: std::time::Duration) -> Result<Guarded, String> {
        // Current-thread runtimes stay beside the harness; everything that
        // runs on several threads (multi-thread runtimes, blocking baselines)
        // gets the multi-thread set.
        self.round_began.set(steal::CpuTicks::now());
        *self.round_migrations.borrow_mut() = placement::migrations_by_thread();
        *self.round_migrations_end.borrow_mut() = None;
        crate::measure::foreign::set_case_uses(case.flavor.process_threads());
        let one_thread = case.flavor.as_async().is_some_and(|a| a.single_threaded());
        let wide = self.plan.as_ref().filter(|_| !one_thread);
        if let Some(p) = wide {
            let _ = placement::pin_current_thread(&p.multi_thread);
        }
        let built: Result<Box<dyn Bench>, String> = s.prepare(case, &self.env);
        let guarded =
            built.and_then(|b| Guarded::new(b, limit).map_err(|e| format!("cannot start the case's thread: {e}")));
        if let Some(p) = wide {
            let _ = placement::pin_current_thread(&p.client);
        }
        guarded
    }

    /// The round in flight ran its last batch: reads its threads' migrations back now, while
    /// its runtime's threads are still alive (their counts leave with them at shutdown).
    pub fn round_measured(&self) {
        *self.round_migrations_end.borrow_mut() = Some(placement::migrations_by_thread());
    }

    pub fn run_path(&self) -> &Path {
        self.run.path()
    }

    /// The in-process server, if this run started one.
    pub fn server(&self) -> Option<&TestServer> {
        self.server.as_ref()
    }

    /// Keeps one round of a case; the case becomes summary rows when its
    /// scenario ends ([`end_scenario`](Self::end_scenario)). `position` is
    /// where it ran in its round's order. A round that recorded nothing
    /// fails the case.
    pub fn record_round(
        &mut self,
        s: &dyn ScenarioDef,
        case: &CaseSpec,
        rec: CaseRecord,
        position: u32,
        criterion: Option<CriterionEstimate>,
    ) {
        self.record_round_as(s, case, None, rec, position, criterion, false);
    }

    /// [`record_round`](Self::record_round) under the rerun rule (`measure::host_rule`): when
    /// the host was disturbed while the round ran, the round is not kept and the reason is
    /// returned, so the caller runs it again once (and records the rerun with
    /// [`record_round`](Self::record_round), which keeps it whatever it reads). The row's
    /// notes name each rerun.
    pub fn record_round_or_rerun(
        &mut self,
        s: &dyn ScenarioDef,
        case: &CaseSpec,
        rec: CaseRecord,
        position: u32,
        criterion: Option<CriterionEstimate>,
    ) -> Option<Disturbed> {
        self.record_round_as(s, case, None, rec, position, criterion, true)
    }

    /// [`record_round`](Self::record_round) for a runtime outside the registry
    /// (the guide's Python side): `case` is the Rust case it mirrors (its
    /// ideal and unit apply), `runtime` the name its rows carry.
    pub fn record_external_round(
        &mut self,
        s: &dyn ScenarioDef,
        case: &CaseSpec,
        runtime: &'static str,
        rec: CaseRecord,
        position: u32,
    ) {
        self.record_round_as(s, case, Some(runtime), rec, position, None, false);
    }

    #[allow(clippy::too_many_arguments)]
    fn record_round_as(
        &mut self,
        s: &dyn ScenarioDef,
        case: &CaseSpec,
        external: Option<&'static str>,
        rec: CaseRecord,
        position: u32,
        criterion: Option<CriterionEstimate>,
        may_rerun: bool,
    ) -> Option<Disturbed> {
        self.describe(s);
        // The round began when `prepare` built it (Rust cases; the Python side's rounds run
        // in their own process and are not prepared here).
        let began = self.round_began.take().filter(|_| external.is_none());
        let steal_pct = began.and_then(|t0| steal::CpuTicks::now()?.steal_pct_since(t0));
        if rec.batches() == 0 {
            match external {
                Some(rt) => self.fail_external(s, &case.variant, rt, "no samples were recorded".into()),
                None => self.fail(s, case, "no samples were recorded".into()),
            }
            return None;
        }
        // The host's speed as the round ends, on the harness's thread still warm from it
        // (one probe, about 4 ms, per round the session ran itself and recorded).
        let migrations = external
            .is_none()
            .then(|| {
                let end = self
                    .round_migrations_end
                    .take()
                    .unwrap_or_else(placement::migrations_by_thread);
                placement::migrations_between(&self.round_migrations.take(), &end)
            })
            .flatten();
        let host = (steal_pct, external.is_none().then(host_probe::probe_ns), migrations);
        let disturbed = self.host_rule.judge(host.0, host.1);
        let round = self.round_means(case).map_or(0, |m| m.len()) + 1;
        if may_rerun && let Some(why) = disturbed {
            self.progress.line(&format!(
                "asyncbench: {}/{}/{}: round {round} is rerun: {why}",
                s.header().name,
                case.variant,
                case.flavor
            ));
            self.reruns.push((
                case.variant.clone(),
                case.flavor,
                format!("round {round} was rerun: {why}"),
            ));
            return Some(why);
        }
        match self.pending.iter_mut().find(|p| p.is(case, external)) {
            Some(p) => p.add_round(rec, position, criterion, host),
            None => {
                let mut p = Pending {
                    case: case.clone(),
                    rec: CaseRecord::default(),
                    rounds: Vec::new(),
                    criterion: Vec::new(),
                    external,
                    plan: None,
                };
                p.add_round(rec, position, criterion, host);
                self.pending.push(p);
            }
        }
        self.checkpoint(&s.header().name, case, external);
        None
    }

    /// Writes the rows of `case` from its rounds so far (and its histograms),
    /// with everything else recorded, so the files on disk hold every
    /// finished round whatever happens next.
    fn checkpoint(&mut self, scenario: &str, case: &CaseSpec, external: Option<&'static str>) {
        let Some(p) = self
            .pending
            .iter()
            .find(|p| p.is(case, external))
            .map(Pending::snapshot)
        else {
            return;
        };
        self.provisional.retain(|r| !p.owns(scenario, r));
        let before = self.results.len();
        self.finalize(scenario, p);
        let rows = self.results.split_off(before);
        self.provisional.extend(rows);
        self.save();
    }

    /// [`flush`](Self::flush) with the provisional rows; a failed write is a
    /// warning (the next round's write retries it).
    fn save(&mut self) {
        let results = std::mem::take(&mut self.results);
        let failures = std::mem::take(&mut self.failures);
        if let Err(e) = self.run.push_with(results, failures, &self.provisional) {
            self.progress.line(&format!("asyncbench: warning: {e}"));
        }
    }

    /// The round of `case` in flight when Ctrl-C came was dropped: the case
    /// keeps its finished rounds; one with none is named as interrupted.
    pub fn drop_interrupted(&mut self, s: &dyn ScenarioDef, case: &CaseSpec) {
        let label = format!("{}/{}/{}", s.header().name, case.variant, case.flavor);
        match self.pending.iter().find(|p| p.is(case, None)) {
            Some(p) => self.progress.line(&format!(
                "asyncbench: interrupted: {label}: its unfinished round was dropped; its {} finished round(s) are kept",
                p.rounds.len()
            )),
            None => self.fail(
                s,
                case,
                "interrupted by Ctrl-C before its first round finished (its unfinished round was dropped)".into(),
            ),
        }
    }

    pub fn fail(&mut self, s: &dyn ScenarioDef, case: &CaseSpec, error: String) {
        self.describe(s);
        // A case that failed in any round is a failed case: its other rounds go.
        self.pending.retain(|p| !p.is(case, None));
        let name = &s.header().name;
        let runtime = case.flavor.name();
        self.provisional
            .retain(|r| !(&r.scenario == name && r.variant == case.variant && r.runtime == runtime));
        self.failed.push((case.variant.clone(), case.flavor));
        self.progress.line(&format!(
            "asyncbench: {}/{}/{} failed: {error}",
            s.header().name,
            case.variant,
            case.flavor
        ));
        self.failures.push(CaseFailure {
            scenario: s.header().name.clone(),
            variant: case.variant.clone(),
            runtime: case.flavor.name().to_string(),
            error,
        });
        self.save();
    }

    /// A case of an external runtime failed (or never ran): a failure row,
    /// and its rounds so far are dropped.
    pub fn fail_external(&mut self, s: &dyn ScenarioDef, variant: &str, runtime: &str, error: String) {
        self.describe(s);
        self.pending
            .retain(|p| !(p.external.is_some_and(|e| e == runtime) && p.case.variant == variant));
        let name = &s.header().name;
        self.provisional
            .retain(|r| !(&r.scenario == name && r.variant == variant && r.runtime == runtime));
        self.progress.line(&format!(
            "asyncbench: {}/{variant}/{runtime} failed: {error}",
            s.header().name
        ));
        self.failures.push(CaseFailure {
            scenario: s.header().name.clone(),
            variant: variant.to_string(),
            runtime: runtime.to_string(),
            error,
        });
        self.save();
    }

    /// Includes the guide's Python rows (asyncio, uvloop) when `side` is one, and
    /// records its versions in env.json; otherwise prints the one line saying why
    /// they were skipped and how to enable them.
    pub fn enable_python(&mut self, side: Result<crate::python::PythonSide, String>) {
        match side {
            Ok(side) => {
                if let Err(e) = self.run.set_python_env(side.versions.clone()) {
                    self.progress.line(&format!("asyncbench: warning: {e}"));
                }
                self.progress.line(&format!(
                    "asyncbench: asyncio/uvloop rows from {} (Python {})",
                    side.python.display(),
                    side.versions.get("python").map(String::as_str).unwrap_or("?")
                ));
                self.python = Some(side);
            }
            Err(reason) => {
                self.progress.line(&crate::python::skip_line(&reason));
                self.run.set_python_skipped(reason);
            }
        }
    }

    /// Runs the Python side of `s`, if this run includes it, for `rounds` rounds; `variants`
    /// (label prefixes, empty: all) limits its cases.
    pub fn run_python(&mut self, s: &dyn ScenarioDef, rounds: u32, variants: &[String]) {
        use crate::python::record::Outcome;
        let Some(side) = self.python.clone() else {
            return;
        };
        if !crate::python::has_python_side(&s.header().name) {
            return;
        }
        self.progress.line(&format!(
            "asyncbench: {}: the guide's Python on {}",
            s.header().name,
            crate::python::RUNTIMES.join(" and ")
        ));
        let run_path = self.run_path().to_path_buf();
        let found = crate::python::run_scenario(&run_path, self.env.server, s, &side, (rounds, self.seed), variants);
        for o in found {
            match o {
                Outcome::Round {
                    case,
                    runtime,
                    rec,
                    position,
                } => self.record_external_round(s, &case, runtime, *rec, position),
                Outcome::Failed {
                    variant,
                    runtime,
                    error,
                } => self.fail_external(s, &variant, &runtime, error),
            }
        }
    }

    /// Keeps the scenario's guide section and parameters in the summary, for the report.
    fn describe(&mut self, s: &dyn ScenarioDef) {
        let h = s.header();
        self.run.describe_scenario(
            &h.name,
            ScenarioInfo {
                guide_section: h.guide_section.clone(),
                description: s.describe(),
                comparisons: s.comparisons(),
                gate_pct: h.gate_pct,
                left_out: s
                    .left_out()
                    .into_iter()
                    .map(|(c, reason)| crate::results::summary::LeftOutCase {
                        variant: c.variant,
                        runtime: c.flavor.name().to_string(),
                        reason,
                    })
                    .collect(),
            },
        );
    }

    /// Turns the scenario's cases into summary rows (in the scenario's own
    /// case order) and rewrites the run's summary with everything so far.
    pub fn end_scenario(&mut self, s: &dyn ScenarioDef) -> anyhow::Result<()> {
        let name = s.header().name.clone();
        let mut pending = std::mem::take(&mut self.pending);
        let order = s.cases();
        // External runtimes' rows follow the last Rust row of their variant.
        pending.sort_by_key(|p| {
            let at = match p.external {
                None => order
                    .iter()
                    .position(|c| c.variant == p.case.variant && c.flavor == p.case.flavor),
                Some(_) => order.iter().rposition(|c| c.variant == p.case.variant),
            };
            (at.unwrap_or(usize::MAX), p.external.is_some())
        });
        // The final rows replace the provisional ones.
        self.provisional.clear();
        for p in pending {
            self.finalize(&name, p);
        }
        self.failed.clear();
        self.flush()
    }

    /// Rewrites the run's summary with everything recorded so far.
    fn flush(&mut self) -> anyhow::Result<()> {
        let results = std::mem::take(&mut self.results);
        let failures = std::mem::take(&mut self.failures);
        self.run.push(results, failures)?;
        Ok(())
    }

    /// Ends an interrupted run: everything recorded is written, the run stays
    /// partial and `latest` stays where it was. Returns the run directory.
    pub fn stop(mut self) -> anyhow::Result<PathBuf> {
        // Rows of a scenario that did not reach `end_scenario` stay as last written.
        let rows = std::mem::take(&mut self.provisional);
        self.results.extend(rows);
        self.flush()?;
        self.progress.done();
        let path = self.run.path().to_path_buf();
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        Ok(path)
    }

    /// Marks the run complete and moves `results/latest` to it.
    pub fn finish(self) -> anyhow::Result<PathBuf> {
        self.finish_if(|_| true)
    }

    /// [`Session::finish`], repointing `latest` only if `move_latest` approves the run's
    /// complete summary.
    pub fn finish_if(mut self, move_latest: impl FnOnce(&results::Summary) -> bool) -> anyhow::Result<PathBuf> {
        self.flush()?;
        self.progress.done();
        let latest = move_latest(self.run.summary());
        let path = self.run.complete(latest)?;
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        Ok(path)
    }
}

/// A warning before the run's progress exists.
fn progress_warning(msg: &str) {
    eprintln!("asyncbench: warning: {msg}");
}
