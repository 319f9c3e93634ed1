//! `asyncbench sweep`: the runtime as a server under rising open-loop load.
//!
//! Per runtime: the http_server scenario's server on that runtime, the
//! project's open-loop generator on its own thread and CPUs ([`load`]);
//! offered rates rise geometrically, each step open loop for a fixed time,
//! until a step saturates the server (achieved < 99% of offered, p99 past
//! the bound, or errors) or the generator is the bottleneck; then steps
//! bisect between the knee and the first failure ([`knee::refine`]). Each
//! rate runs `repeats` times back to back (each on a fresh runtime instance
//! and server, with a fresh generator and its own warm-up), its verdict
//! decided over them and the knee's interval spanning their disagreement
//! ([`knee::knee_over_repeats`]). Every step
//! keeps its corrected and uncorrected histograms (`.hgrm`, `.hlog`);
//! `sweep.json` is written by [`output`], `SWEEP.md` and the charts by the
//! report (`report::doc::sweep`).

pub mod bench_knee;
pub mod capacity;
pub mod knee;
pub mod load;
pub mod output;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::client::open_loop::LATENESS_BOUND;
use crate::measure::canary::Canary;
use crate::measure::placement::{self, CpuSet};
use crate::runtime::{self, AsyncFlavor, Owned, Runtime, RuntimeVisitor};
use crate::server::under_test::{Route, RuntimeServer, ServerOpts};
use crate::stats::hdr::percentile;
use knee::{Knee, Point, Verdict};
use load::{LoadSpec, LoadThread};

/// The sweep's settings (from the http_server file's `[params]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepSettings {
    pub connections: u64,
    #[serde(with = "micros")]
    #[schemars(with = "u64")]
    pub timeout: Duration,
    #[serde(with = "micros")]
    #[schemars(with = "u64")]
    pub slo_p99: Duration,
    pub start_rate: u64,
    pub max_rate: u64,
    pub growth: f64,
    #[serde(with = "micros")]
    #[schemars(with = "u64")]
    pub step: Duration,
    pub refine_steps: u32,
    #[serde(with = "micros")]
    #[schemars(with = "u64")]
    pub p99_bound: Duration,
    /// Steps per offered rate (schema 2): each rate's verdict is decided over them.
    pub repeats: u32,
}

/// Durations in these files are whole microseconds.
mod micros {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}

/// Latency percentiles of one histogram, µs.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Pcts {
    pub count: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Pcts {
    pub fn of(h: &Histogram<u64>) -> Pcts {
        let us = |ns: u64| ns as f64 / 1000.0;
        Pcts {
            count: h.len(),
            p50_us: us(percentile(h, 50.0)),
            p99_us: us(percentile(h, 99.0)),
            p999_us: us(percentile(h, 99.9)),
            max_us: us(if h.is_empty() { 0 } else { h.max() }),
        }
    }
}

/// One step of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Step {
    pub offered_rps: u64,
    pub achieved_rps: f64,
    pub secs: f64,
    /// From each request's intended send time (coordinated omission corrected).
    pub corrected: Pcts,
    /// From each request's actual send.
    pub uncorrected: Pcts,
    /// The generator's own send lag, µs: actual send − when the send became possible (due and
    /// its connection free of the previous reply), so a late reply, the server's, is not in it.
    pub lateness: Pcts,
    /// The generator's CPU over the step: its busiest thread's share of one
    /// core (max over windows).
    pub generator_cpu: f64,
    /// The same less the time it spun waiting for a due send (max over windows): the load it
    /// could not give back. Generator-bound reads this, not `generator_cpu`: a generator that
    /// spins reads near 100% CPU at any rate whose sends come closer than its spin plus a wake.
    /// Absent (read as `generator_cpu`) in sweeps written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_busy: Option<f64>,
    /// The generator's CPU time per request sent, all its threads, µs.
    #[serde(default)]
    pub generator_cpu_us_per_request: f64,
    /// Generator threads (each owning its connections in one event loop).
    #[serde(default)]
    pub generator_threads: usize,
    pub generator_bound: bool,
    /// The server's CPUs overlap the generator's: labelled, not excused.
    #[serde(default)]
    pub shares_cpu_with_generator: bool,
    /// What the server under test spent per completed request over the
    /// step's measured windows: the process's CPU clock, allocations and
    /// context switches minus the generator's threads (excluded by name,
    /// `measure::cost`), so only the runtime under test's threads count.
    #[serde(default)]
    pub server_cost: Option<crate::measure::cost::Cost>,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    /// This step's own verdict (one repeat); the rate's is decided over its repeats
    /// ([`RuntimeSweep::rates`]).
    pub verdict: Verdict,
    /// Which repeat of its rate this step is, from 0 (schema 2).
    pub repeat: u32,
    /// Which attempt at its repeat, from 0 (schema 4): a host-disturbed step is run again, at
    /// most [`knee::HOST_RETRIES`] times, under the same repeat number.
    #[serde(default)]
    pub attempt: u32,
    /// The host canary over the step's measured windows (schema 4): how late threads that only
    /// sleep woke, one per CPU of the sweep ([`crate::measure::canary`]); `None` where it could
    /// not start, or in older sweeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_canary: Option<HostCanary>,
    /// The canary saw a stall of at least [`knee::HOST_STALL_OF_SLO`] × the SLO (schema 4): the
    /// step's verdict is `host_disturbed`, read from the canary alone.
    #[serde(default)]
    pub host_disturbed: bool,
    /// A step of the refinement near the knee (not of the geometric pass).
    pub refine: bool,
    /// Histogram files of this step, relative to the sweep directory.
    pub files: Vec<String>,
}

impl Step {
    /// [`Step::generator_busy`], or the CPU share where a sweep predates it.
    pub fn generator_busy_or_cpu(&self) -> f64 {
        self.generator_busy.unwrap_or(self.generator_cpu)
    }

    /// Why a generator-bound step was: `busy 97%` (out of CPU), `own send lag p99 2804 µs, busy
    /// 31%` (late with CPU to spare), or both; `None` for a step that was not.
    pub fn generator_bound_reason(&self) -> Option<String> {
        if !self.generator_bound {
            return None;
        }
        let busy = self.generator_busy_or_cpu();
        let (out_of_cpu, late) = generator_bound_rules(busy, &self.lateness, self.shares_cpu_with_generator);
        let busy = format!("busy {:.0}%", busy * 100.0);
        Some(match (out_of_cpu, late) {
            (_, true) => format!("own send lag p99 {:.0} µs, {busy}", self.lateness.p99_us),
            _ => busy,
        })
    }

    pub fn point(&self) -> Point {
        Point {
            rate: self.offered_rps,
            achieved: self.achieved_rps,
            p99: Duration::from_secs_f64(self.corrected.p99_us / 1e6),
            errors: self.errors,
            generator_bound: self.generator_bound,
            host_disturbed: self.host_disturbed,
        }
    }
}

/// What the host canary saw over a step (schema 4).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct HostCanary {
    /// Wake lateness of the canary's 1 ms sleeps, all its CPUs together, µs; `max_us` is the
    /// longest stall, which [`knee::host_disturbed`] reads.
    pub lateness: Pcts,
    /// Every canary thread ran `SCHED_FIFO`, so our own threads could not delay it; false: at
    /// normal priority, its lateness includes our load.
    pub realtime: bool,
}

impl HostCanary {
    pub fn of(w: &crate::measure::canary::CanaryWindow) -> HostCanary {
        HostCanary {
            lateness: Pcts::of(&w.lateness),
            realtime: w.realtime,
        }
    }

    /// The longest stall it saw.
    pub fn max(&self) -> Duration {
        Duration::from_secs_f64(self.lateness.max_us.max(0.0) / 1e6)
    }
}

/// One offered rate over its repeats (schema 2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct RateVerdict {
    pub offered_rps: u64,
    /// Decided over the repeats ([`knee::decide`]: the most common kind, a tie never a pass).
    pub verdict: Verdict,
    /// Each repeat's own verdict, in the order they ran.
    pub repeats: Vec<Verdict>,
    /// The lowest and highest corrected p99 of the repeats, µs.
    pub p99_us_range: [f64; 2],
    /// Medians over the repeats ([`knee::median_of_repeats`]): achieved rate and corrected p50, p99,
    /// p99.9 (µs). What the charts draw per rate.
    pub achieved_rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
}

/// One runtime's sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct RuntimeSweep {
    pub runtime: String,
    pub workers: usize,
    pub steps: Vec<Step>,
    /// Every rate tried, by rate, with its verdict decided over its repeats (schema 2).
    pub rates: Vec<RateVerdict>,
    /// Read from `rates` ([`knee::knee_over_repeats`]); its interval spans the repeats.
    pub knee: Knee,
    /// CPUs of the runtime under test (the server here) and of the generator, as read back.
    pub server_cpus: Option<String>,
    pub generator_cpus: Option<String>,
    /// The same server driven closed loop after the rate steps (schema 3; `None` where it
    /// could not run, or in older sweeps).
    #[serde(default)]
    pub closed_loop: Option<ClosedLoop>,
    /// Why the closed-loop run is missing, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_loop_error: Option<String>,
    /// Why the sweep of this runtime ended early, if it did.
    #[serde(default)]
    pub failure: Option<String>,
}

/// The server under test driven closed loop by the same generator on the same CPUs: each of
/// the sweep's connections sends its next request as its reply arrives, for one step's length
/// after a warm-up window. The most this server serves with that many connections; a knee far
/// below it was stopped by something other than the server's throughput (the p99 SLO, which
/// open-loop queueing reaches before saturation, or the generator).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct ClosedLoop {
    /// Replies per second over the measured windows (their summed spans).
    pub achieved_rps: f64,
    pub secs: f64,
    /// Latency from each send (closed loop: the send is the intended one).
    pub latency: Pcts,
    /// The generator's busiest thread, its CPU share less spin (max over windows). At or past
    /// [`knee::GENERATOR_CPU_BOUND`] the rate is the generator's: a lower bound for the server.
    pub generator_busy: f64,
    pub generator_bound: bool,
    pub errors: u64,
}

/// What `asyncbench sweep` was asked for.
#[derive(Debug, Clone)]
pub struct SweepOpts {
    pub runtimes: Vec<AsyncFlavor>,
    pub route: Route,
    pub settings: SweepSettings,
    pub workers: Option<usize>,
    pub dir: PathBuf,
    /// Print a line per step.
    pub verbose: bool,
    /// The command line, recorded so the sweep can be reproduced.
    pub command: String,
}

/// Runs the sweep and assembles its report (the caller writes it).
pub fn run(opts: &SweepOpts) -> output::SweepReport {
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (generator_capacity, generator_capacity_error) = match measure_capacity() {
        Ok(c) => {
            if opts.verbose {
                eprintln!("asyncbench: {}", c.line());
            }
            (Some(c), None)
        }
        Err(e) => (None, Some(e)),
    };
    let runtimes = sweep_all(opts);
    output::SweepReport {
        schema_version: output::SCHEMA_VERSION,
        started,
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        command: opts.command.clone(),
        route: opts.route.path(),
        generator: format!("{} (open loop, wrk2 schedule)", load::GENERATOR),
        settings: opts.settings.clone(),
        runtimes,
        generator_capacity,
        generator_capacity_error,
        notes: vec![
            "Latency percentiles count from each request's intended send time (coordinated-omission corrected); `p99 uncorr.` from its actual send.".into(),
            "A step is generator-bound only by the generator's own figures: its busiest thread used ≥ 90% of its core, or its own send lag (actual send − when the send became possible: due and its connection free) had p99 > 1 ms on a CPU the server does not share. Replies are never read for it. Such a step is not the server's figure.".into(),
            "A step whose server runs on a CPU the generator also uses is labelled \"shares a CPU with the generator\": its figures count as the server's (not excused), but they are not the server alone.".into(),
            "The server uses smol-hyper's futures-io adapter on every runtime, so the I/O path is the same code for all.".into(),
        ],
    }
}

/// The CPUs this process may use: the union of every thread's mask (a
/// harness that pinned its own thread to the client side still has the test
/// server's threads on the other side), falling back to the calling thread's.
fn process_cpus() -> Option<CpuSet> {
    let all = CpuSet::new(placement::threads().into_iter().flat_map(|t| t.cpus.cpus().to_vec()));
    if all.is_empty() {
        CpuSet::allowed().ok()
    } else {
        Some(all)
    }
}

/// The planned placement of server and load ([`placement::load_plan`] over
/// this machine's cores), `None` where nothing can be apart.
fn plan() -> Option<placement::LoadPlan> {
    let p = placement::load_plan(&placement::Topology::read(&process_cpus()?));
    (!p.shared).then_some(p)
}

/// The CPUs the generator runs on (one thread per CPU of the set).
pub fn generator_cpus() -> Option<CpuSet> {
    plan().map(|p| p.generator_cpus())
}

/// Where the runtime under test (the server) runs: a one-thread runtime on
/// the subject's first CPU; a multi-thread one on the subject's CPUs, or on
/// every CPU where the subject has one (pinning its workers onto one CPU
/// would measure a misconfiguration; its steps then share a CPU with the
/// generator and say so).
fn subject_cpus(p: &placement::LoadPlan, single: bool, all: Option<&CpuSet>) -> CpuSet {
    match (single, all) {
        (true, _) => CpuSet::new(p.subject.cpus().first().copied()),
        (false, Some(all)) if p.subject.len() < 2 => all.clone(),
        (false, _) => p.subject.clone(),
    }
}

/// The generator's capacity where the sweep would run it: one thread per
/// generator CPU, the sink on the subject's first CPU.
pub fn measure_capacity() -> Result<capacity::Capacity, String> {
    let p = plan();
    let threads = match &p {
        Some(p) => p.generator.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    let sink = p.and_then(|p| p.subject.cpus().first().map(|&c| CpuSet::new([c])));
    capacity::measure(&capacity::CapacityOpts::quick(threads, sink))
}

/// Runs the sweep of every runtime in `opts`, writing each step's histograms
/// under `opts.dir`; the caller writes the report.
pub fn sweep_all(opts: &SweepOpts) -> Vec<RuntimeSweep> {
    // Planned once, before this thread pins itself to any side.
    let allowed = process_cpus();
    let plan = plan();
    let mut out = Vec::new();
    for &flavor in &opts.runtimes {
        if let Some(p) = &plan {
            // The runtime under test (the server here) on the subject's side;
            // its threads inherit the mask (see placement.rs).
            let _ = placement::pin_current_thread(&subject_cpus(p, flavor.single_threaded(), allowed.as_ref()));
        }
        out.push(sweep_one(
            opts,
            flavor,
            plan.as_ref().map(|p| p.generator_cpus()),
            allowed.as_ref(),
        ));
    }
    if let Some(all) = allowed {
        let _ = placement::pin_current_thread(&all);
    }
    out
}

/// One runtime's sweep. Every step (each repeat of each rate, and the closed loop) runs on a
/// fresh runtime instance and server ([`Fresh`]): how an instance lays out its memory and
/// places its tasks is part of what a repeat samples, so the knee's interval, spanning the
/// repeats, spans instances too. On one instance for the whole sweep, two sweeps on the same
/// machine disagreed beyond their intervals (smol-ct: every repeat at 64,000/s passed in one
/// and failed in the other, the canary quiet).
fn sweep_one(
    opts: &SweepOpts,
    flavor: AsyncFlavor,
    generator: Option<CpuSet>,
    canary_cpus: Option<&CpuSet>,
) -> RuntimeSweep {
    let s = &opts.settings;
    let mut r = RuntimeSweep {
        runtime: flavor.to_string(),
        workers: 0,
        steps: Vec::new(),
        rates: Vec::new(),
        knee: knee::knee(&[], s.slo_p99, s.p99_bound),
        // The server's threads inherit this thread's mask (see placement.rs).
        server_cpus: placement::affinity_of(0).ok().map(|c| c.to_string()),
        generator_cpus: None,
        closed_loop: None,
        closed_loop_error: None,
        failure: None,
    };
    // Started before any server, so its threads are up and pinned before any step.
    let canary = Canary::start(canary_cpus.unwrap_or(&CpuSet::new([]))).ok();
    let server_set = placement::affinity_of(0).ok();
    let ctx = StepCtx {
        opts,
        flavor,
        canary: canary.as_ref(),
        gen_cpus: &generator,
        server_cpus: &server_set,
    };
    for rate in knee::geometric(s.start_rate, s.growth, s.max_rate) {
        match run_rate(&mut r, &ctx, rate, false) {
            Some((v, cpu)) if !v.stops(cpu) => {}
            _ => break,
        }
    }
    if r.failure.is_none() {
        // Bisect between the knee and the first rate that failed, or the first the generator
        // could not drive ([`knee::next_refinement`]).
        for _ in 0..s.refine_steps {
            let k = knee::knee_over_repeats(&points(&r.steps), s.slo_p99, s.p99_bound);
            let Some(mid) = knee::next_refinement(&k) else {
                break;
            };
            if run_rate(&mut r, &ctx, mid, true).is_none() {
                break;
            }
        }
    }
    // After the rate steps, so they run as before on a host nobody has pushed yet.
    if r.failure.is_none() {
        match ctx.fresh(Job::ClosedLoop) {
            Ok((workers, Done::ClosedLoop(Ok(c)))) => {
                r.workers = workers;
                if opts.verbose {
                    eprintln!(
                        "asyncbench: {} GET {} closed loop on {} connections: {:.0}/s, p99 {:.0} µs{}",
                        r.runtime,
                        opts.route.path(),
                        s.connections,
                        c.achieved_rps,
                        c.latency.p99_us,
                        if c.generator_bound { " (generator-bound)" } else { "" }
                    );
                }
                r.closed_loop = Some(c);
            }
            Ok((_, Done::ClosedLoop(Err(e)))) | Err(e) => r.closed_loop_error = Some(e),
            Ok((_, Done::Step(_))) => unreachable!("a closed-loop job ends as one"),
        }
    }
    r.rates = rate_verdicts(&r.steps);
    r.knee = knee::knee_over_repeats(&points(&r.steps), s.slo_p99, s.p99_bound);
    r
}

/// What a step runs beside: the host canary, and where the generator and server run.
struct StepCtx<'a> {
    opts: &'a SweepOpts,
    flavor: AsyncFlavor,
    canary: Option<&'a Canary>,
    gen_cpus: &'a Option<CpuSet>,
    server_cpus: &'a Option<CpuSet>,
}

/// One piece of a sweep that runs against a server.
#[derive(Clone, Copy)]
enum Job {
    /// An open-loop step: (rate, repeat, attempt), and whether it refines the knee.
    Step((u64, u32, u32), bool),
    ClosedLoop,
}

/// What a [`Job`] came to.
enum Done {
    Step(Box<Result<(Step, Option<String>), String>>),
    ClosedLoop(Result<ClosedLoop, String>),
}

impl StepCtx<'_> {
    /// Runs `job` against a fresh server on a fresh instance of the runtime under test (built
    /// on this thread's CPUs, which its threads inherit); the instance's worker count and what
    /// the job came to, or why the runtime or its server could not start.
    fn fresh(&self, job: Job) -> Result<(usize, Done), String> {
        let v = Fresh { ctx: self, job };
        match runtime::visit(self.flavor, self.opts.workers, v) {
            Ok(r) => r,
            Err(e) => Err(format!("cannot start {}: {e}", self.flavor)),
        }
    }
}

/// The [`RuntimeVisitor`] behind [`StepCtx::fresh`].
struct Fresh<'a, 'b> {
    ctx: &'b StepCtx<'a>,
    job: Job,
}

impl RuntimeVisitor for Fresh<'_, '_> {
    type Output = Result<(usize, Done), String>;
    fn visit<R: Runtime>(self, owned: Owned<R>) -> Self::Output {
        let rt = owned.rt();
        let (ctx, o) = (self.ctx, self.ctx.opts);
        let done = rt.block_on(async {
            let server = RuntimeServer::start(rt, ServerOpts::default())
                .await
                .map_err(|e| format!("server: {e}"))?;
            let done = match self.job {
                Job::Step(at, refine) => Done::Step(Box::new(
                    step(o, &ctx.flavor.to_string(), ctx, &server, at, refine).await,
                )),
                Job::ClosedLoop => Done::ClosedLoop(closed_loop(o, &server, ctx.gen_cpus).await),
            };
            drop(server);
            Ok::<_, String>(done)
        })?;
        Ok((rt.workers(), done))
    }
}

/// Runs `rate`'s repeats into `r`; the verdict decided over them and the
/// generator's highest CPU share among them, or `None` (and `r.failure`) when
/// a step could not run. A host-disturbed step (the canary's rule alone) is run again, at most
/// [`knee::HOST_RETRIES`] times per repeat; it stays in `r.steps` and does not vote.
fn run_rate(r: &mut RuntimeSweep, ctx: &StepCtx<'_>, rate: u64, refine: bool) -> Option<(Verdict, f64)> {
    let (mut verdicts, mut cpu) = (Vec::new(), 0.0f64);
    for repeat in 0..ctx.opts.settings.repeats.max(1) {
        for attempt in 0..=knee::HOST_RETRIES {
            let (v, c) = run_step(r, ctx, (rate, repeat, attempt), refine)?;
            verdicts.push(v);
            if v != Verdict::HostDisturbed {
                cpu = cpu.max(c);
                break;
            }
        }
    }
    Some((knee::decide(&verdicts), cpu))
}

/// Runs one step into `r` on a fresh runtime instance and server; its verdict and the
/// generator's CPU share, or `None` (and `r.failure`) when the step could not run.
fn run_step(
    r: &mut RuntimeSweep,
    ctx: &StepCtx<'_>,
    (rate, repeat, attempt): (u64, u32, u32),
    refine: bool,
) -> Option<(Verdict, f64)> {
    let o = ctx.opts;
    let ran = match ctx.fresh(Job::Step((rate, repeat, attempt), refine)) {
        Ok((workers, Done::Step(ran))) => {
            r.workers = workers;
            *ran
        }
        Ok((_, Done::ClosedLoop(_))) => unreachable!("a step job ends as one"),
        Err(e) => Err(e),
    };
    match ran {
        Ok((st, cpus)) => {
            if o.verbose {
                eprintln!(
                    "asyncbench: {} GET {} at {rate}/s (repeat {}/{}{}): achieved {:.0}/s, p99 {:.0} µs, host canary max {}, {:?}",
                    r.runtime,
                    o.route.path(),
                    repeat + 1,
                    o.settings.repeats.max(1),
                    if attempt > 0 {
                        format!(", attempt {}", attempt + 1)
                    } else {
                        String::new()
                    },
                    st.achieved_rps,
                    st.corrected.p99_us,
                    st.host_canary
                        .map_or("—".into(), |c| format!("{:.0} µs", c.lateness.max_us)),
                    st.verdict
                );
            }
            r.generator_cpus = cpus;
            let v = (st.verdict, st.generator_busy_or_cpu());
            r.steps.push(st);
            Some(v)
        }
        Err(e) => {
            r.failure = Some(format!("step at {rate}/s: {e}"));
            None
        }
    }
}

fn points(steps: &[Step]) -> Vec<(u32, Point)> {
    steps.iter().map(|st| (st.repeat, st.point())).collect()
}

/// Every rate of `steps`, by rate, with the verdict decided over its repeats.
pub fn rate_verdicts(steps: &[Step]) -> Vec<RateVerdict> {
    let mut by_rate: BTreeMap<u64, Vec<&Step>> = BTreeMap::new();
    for st in steps {
        by_rate.entry(st.offered_rps).or_default().push(st);
    }
    by_rate
        .into_iter()
        .map(|(offered_rps, all)| {
            let repeats: Vec<Verdict> = all.iter().map(|st| st.verdict).collect();
            // The figures of the repeats that vote; a rate with nothing else keeps its disturbed ones.
            let counted: Vec<&Step> = all.iter().copied().filter(|st| !st.host_disturbed).collect();
            let sts = if counted.is_empty() { all } else { counted };
            let p99 = sts.iter().map(|st| st.corrected.p99_us);
            let med = |f: fn(&Step) -> f64| knee::median_of_repeats(sts.iter().map(|st| f(st)));
            RateVerdict {
                offered_rps,
                verdict: knee::decide(&repeats),
                repeats,
                p99_us_range: [p99.clone().fold(f64::INFINITY, f64::min), p99.fold(0.0, f64::max)],
                achieved_rps: med(|st| st.achieved_rps),
                p50_us: med(|st| st.corrected.p50_us),
                p99_us: med(|st| st.corrected.p99_us),
                p999_us: med(|st| st.corrected.p999_us),
            }
        })
        .collect()
}

pub(crate) fn new_hist() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

/// One open-loop step at `rate` (its `repeat`-th, `attempt`-th try): a fresh generator, a
/// 1-second warm-up window, then 1-second windows for `settings.step`, the host canary read
/// over the same windows.
async fn step(
    o: &SweepOpts,
    runtime: &str,
    ctx: &StepCtx<'_>,
    server: &RuntimeServer,
    (rate, repeat, attempt): (u64, u32, u32),
    refine: bool,
) -> Result<(Step, Option<String>), String> {
    let (gen_cpus, server_cpus) = (ctx.gen_cpus, ctx.server_cpus);
    let s = &o.settings;
    let mut load = LoadThread::start(LoadSpec {
        server: server.addr(),
        path: o.route.path().into(),
        connections: s.connections,
        rate: Some(rate),
        window: Duration::from_secs(1),
        timeout: s.timeout,
        cpus: gen_cpus.clone(),
    })?;
    // The stopwatch's one-off calibration at this thread count
    // ([`crate::measure::cost::segment_overhead_ns`]: tens of milliseconds on this thread, which
    // serves the requests of a current-thread runtime) is done now, with the generator's threads
    // up, so that it falls in the warm-up window. Left to the stopwatch made at the measured
    // windows' start, it stalled the server there: in eight two-runtime sweeps all 16 first steps
    // (each runtime's 1,000/s, repeat 0) read a 30-44 ms response in their first measured window
    // with the canary quiet, a p99 over the SLO in 5 of them.
    crate::measure::cost::segment_overhead_ns();
    // The first window is warm-up (connections opening, the server's
    // runtime waking to a new rate): run, not recorded.
    load.window().await?;
    // What the canary saw before the measured windows is not this step's.
    if let Some(c) = ctx.canary {
        c.take();
    }
    let (wall0, t0) = (SystemTime::now(), Instant::now());
    let cost = crate::measure::cost::Stopwatch::start();
    let windows = s.step.as_secs().max(1);
    let (mut corr, mut unc, mut late) = (new_hist(), new_hist(), new_hist());
    let mut intervals: [Vec<crate::results::hlog::Interval>; 2] = [Vec::new(), Vec::new()];
    let mut errors = crate::measure::ErrorCounts::default();
    let (mut gen_cpu, mut gen_busy): (f64, f64) = (0.0, 0.0);
    let (mut gen_time, mut sent) = (Duration::ZERO, 0u64);
    let mut prev = t0;
    for _ in 0..windows {
        let w = load.window().await?;
        let now = Instant::now();
        gen_cpu = gen_cpu.max(w.generator_cpu);
        gen_busy = gen_busy.max(w.generator_busy);
        gen_time += w.generator_cpu_time;
        sent += w.sent;
        errors.merge(&w.batch.errors);
        let mut wc = new_hist();
        record(&mut wc, &w.batch.latencies);
        let mut wu = new_hist();
        for (name, v) in &w.batch.extra {
            match *name {
                "latency_uncorrected" => record(&mut wu, v),
                load::SEND_LAG => record(&mut late, v),
                _ => {}
            }
        }
        corr.add(&wc).map_err(|e| e.to_string())?;
        unc.add(&wu).map_err(|e| e.to_string())?;
        for (i, h) in [wc, wu].into_iter().enumerate() {
            intervals[i].push(crate::results::hlog::Interval {
                start_offset: prev - t0,
                length: now - prev,
                hist: h,
            });
        }
        prev = now;
    }
    let server_cost = cost.stop().cost;
    let host_canary = ctx.canary.map(|c| HostCanary::of(&c.take()));
    let host_disturbed = host_canary.is_some_and(|c| knee::host_disturbed(c.max(), s.slo_p99));
    let cpus = load.placed_on.as_ref().map(|c| c.to_string());
    let threads = load.threads();
    let shares = match (&load.placed_on, server_cpus.as_ref()) {
        (Some(g), Some(sv)) => !g.is_disjoint(sv),
        // Unplaced: both float over every CPU.
        _ => true,
    };
    drop(load);
    let secs = (prev - t0).as_secs_f64().max(1e-9);
    let corrected = Pcts::of(&corr);
    let uncorrected = Pcts::of(&unc);
    let lateness = Pcts::of(&late);
    let generator_bound = generator_bound(gen_busy, &lateness, shares);
    let mut st = Step {
        offered_rps: rate,
        achieved_rps: corrected.count as f64 / secs,
        secs,
        corrected,
        uncorrected,
        lateness,
        generator_cpu: gen_cpu,
        generator_busy: Some(gen_busy),
        generator_cpu_us_per_request: gen_time.as_secs_f64() * 1e6 / sent.max(1) as f64,
        generator_threads: threads,
        generator_bound,
        shares_cpu_with_generator: shares,
        server_cost: server_cost.per_op(corrected.count),
        errors: errors.total(),
        errors_by_kind: errors.iter().map(|(k, n)| (k.name().to_string(), n)).collect(),
        verdict: Verdict::Pass,
        repeat,
        attempt,
        host_canary,
        host_disturbed,
        refine,
        files: Vec::new(),
    };
    st.verdict = Verdict::of(&st.point(), s.slo_p99, s.p99_bound);
    st.files = output::write_step_hists(
        &o.dir,
        (runtime, rate, repeat, attempt),
        wall0,
        [&corr, &unc],
        &intervals,
    )?;
    Ok((st, cpus))
}

/// [`ClosedLoop`]: a fresh closed-loop generator on `gen_cpus`, a warm-up window, then one
/// step's length of 1-second windows.
async fn closed_loop(o: &SweepOpts, server: &RuntimeServer, gen_cpus: &Option<CpuSet>) -> Result<ClosedLoop, String> {
    let s = &o.settings;
    let mut load = LoadThread::start(LoadSpec {
        server: server.addr(),
        path: o.route.path().into(),
        connections: s.connections,
        rate: None,
        window: Duration::from_secs(1),
        timeout: s.timeout,
        cpus: gen_cpus.clone(),
    })?;
    load.window().await?;
    let (mut lat, mut errors) = (new_hist(), 0u64);
    let (mut span, mut busy) = (Duration::ZERO, 0.0f64);
    for _ in 0..s.step.as_secs().max(1) {
        let w = load.window().await?;
        record(&mut lat, &w.batch.latencies);
        errors += w.batch.errors.total();
        span += w.batch.wall;
        busy = busy.max(w.generator_busy);
    }
    drop(load);
    let secs = span.as_secs_f64().max(1e-9);
    let latency = Pcts::of(&lat);
    Ok(ClosedLoop {
        achieved_rps: latency.count as f64 / secs,
        secs,
        latency,
        generator_busy: busy,
        generator_bound: busy >= knee::GENERATOR_CPU_BOUND,
        errors,
    })
}

/// Generator-bound, from the generator's own figures only (never from
/// replies): its busiest thread out of CPU (`busy`: its CPU less the time it
/// spun waiting for a due send, which it gives back when there is work), or
/// its own send lag (which
/// excludes waiting for replies) past [`LATENESS_BOUND`]. On a CPU the
/// server shares, lag is the server preempting the generator: labelled, not
/// excused, so only the CPU rule applies there.
pub fn generator_bound(busy: f64, own_lag: &Pcts, shares_cpu: bool) -> bool {
    let (out_of_cpu, late) = generator_bound_rules(busy, own_lag, shares_cpu);
    out_of_cpu || late
}

/// Which of [`generator_bound`]'s two rules hold: (its busiest thread out of CPU, its own send
/// lag past the bound). A step late with the generator far from busy was delayed by the machine
/// or its host (a late wake), not by its own work: a report names the rule.
pub fn generator_bound_rules(busy: f64, own_lag: &Pcts, shares_cpu: bool) -> (bool, bool) {
    (
        busy >= knee::GENERATOR_CPU_BOUND,
        !shares_cpu && own_lag.p99_us > LATENESS_BOUND.as_secs_f64() * 1e6,
    )
}

pub(crate) fn record(h: &mut Histogram<u64>, v: &[Duration]) {
    for d in v {
        let _ = h.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(p99_us: f64) -> Pcts {
        Pcts {
            count: 100,
            p99_us,
            ..Pcts::default()
        }
    }

    #[test]
    fn generator_bound_is_read_from_the_generator_alone() {
        // Out of CPU: bound, shared or not.
        assert!(generator_bound(0.95, &lag(10.0), false));
        assert!(generator_bound(0.95, &lag(10.0), true));
        // Its own sends late on a CPU of its own: bound.
        assert!(generator_bound(0.3, &lag(2000.0), false));
        // The same lag where the server shares its CPU is the server
        // preempting it: labelled, not excused.
        assert!(!generator_bound(0.3, &lag(2000.0), true));
        assert!(!generator_bound(0.3, &lag(50.0), false));
    }
}
