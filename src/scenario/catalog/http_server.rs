//! `http_server` — the runtime as a *server*: the server under test
//! ([`crate::server::under_test`], one hyper handler generic over [`Runtime`])
//! on each runtime, its routes modelling service work. The load comes from
//! the project's open-loop generator on its own thread, runtime and CPUs
//! ([`crate::sweep::load`]), never from the runtime under test.
//!
//! In `cargo bench` each case is one fixed offered rate from the file's
//! `bench_rates` (a short sweep); `asyncbench sweep` is the thorough one
//! (rising rates until saturation, knee at the file's SLO).

use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::canary::Canary;
use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::param;
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};
use crate::server::under_test::{MAX_BODY_BYTES, MAX_BURN_US, MAX_DELAY_US, Route, RuntimeServer, ServerOpts};
use crate::sweep::SweepSettings;
use crate::sweep::load::{LoadSpec, LoadThread};

/// Offered rates a step may ask for.
pub const MAX_RATE: u64 = 1_000_000;
/// Steps per offered rate a sweep may ask for.
pub const MAX_REPEATS: u64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `/`: reply at once (the server's own overhead).
    Immediate,
    /// `/delay/{delay_us}`: wait on the runtime's timer, then reply.
    Delay,
    /// `/burn/{burn_us}`: spin the executor thread, then reply.
    Burn,
    /// `/body/{body_bytes}`: reply with a body of that size.
    Body,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    delay_us: Spanned<u64>,
    burn_us: Spanned<u64>,
    body_bytes: Spanned<u64>,
    connections: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    slo_p99_us: Spanned<u64>,
    bench_rates: Spanned<Vec<Spanned<u64>>>,
    bench_window_ms: Spanned<u64>,
    sweep_start_rps: Spanned<u64>,
    sweep_max_rps: Spanned<u64>,
    sweep_growth_pct: Spanned<u64>,
    sweep_step_secs: Spanned<u64>,
    sweep_refine_steps: Spanned<u64>,
    sweep_p99_bound_us: Spanned<u64>,
    sweep_repeats: Spanned<u64>,
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct HttpServer {
    pub delay: Duration,
    pub burn: Duration,
    pub body_bytes: usize,
    pub bench_rates: Vec<u64>,
    pub bench_window: Duration,
    pub sweep: SweepSettings,
}

impl HttpServer {
    pub fn route(&self, v: Variant) -> Route {
        match v {
            Variant::Immediate => Route::Immediate,
            Variant::Delay => Route::Delay(self.delay),
            Variant::Burn => Route::Burn(self.burn),
            Variant::Body => Route::Body(self.body_bytes),
        }
    }

    /// Reads `path` as an http_server file (the sweep needs the typed
    /// parameters, not a loaded case list).
    pub fn load(path: &std::path::Path) -> Result<HttpServer, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            path: path.to_path_buf(),
            line: None,
            col: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        let src = Source { path, text: &text };
        let f: crate::scenario::file::FileMirror<Params> = src.parse()?;
        if f.scenario.get_ref() != Self::NAME {
            return Err(src.error(
                Some(f.scenario.span()),
                Some("scenario"),
                format!("`{}`: the sweep needs an http_server file", f.scenario.get_ref()),
            ));
        }
        Self::check(&f.params, &src)
    }
}

impl Scenario for HttpServer {
    const NAME: &'static str = "http_server";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let list = p.bench_rates.get_ref();
        if !(1..=8).contains(&list.len()) {
            return Err(crate::param_error!(
                src,
                p.bench_rates,
                "{} rates: allowed 1..=8 (the cargo bench sweep is short)",
                list.len()
            ));
        }
        let mut bench_rates = Vec::new();
        for r in list {
            bench_rates.push(src.range(r, "params.bench_rates", 1, MAX_RATE)?);
        }
        let start = param!(src, p.sweep_start_rps, 1, MAX_RATE)?;
        let sweep = SweepSettings {
            connections: param!(src, p.connections, 1, 1000)?,
            timeout: Duration::from_millis(param!(src, p.timeout_ms, 1, 60_000)?),
            slo_p99: Duration::from_micros(param!(src, p.slo_p99_us, 1, 10_000_000)?),
            start_rate: start,
            max_rate: param!(src, p.sweep_max_rps, start, MAX_RATE)?,
            growth: 1.0 + param!(src, p.sweep_growth_pct, 5, 900)? as f64 / 100.0,
            step: Duration::from_secs(param!(src, p.sweep_step_secs, 1, 600)?),
            refine_steps: param!(src, p.sweep_refine_steps, 0, 10)? as u32,
            p99_bound: Duration::from_micros(param!(src, p.sweep_p99_bound_us, 1, 60_000_000)?),
            repeats: param!(src, p.sweep_repeats, 1, MAX_REPEATS)? as u32,
        };
        Ok(HttpServer {
            delay: Duration::from_micros(param!(src, p.delay_us, 0, MAX_DELAY_US)?),
            burn: Duration::from_micros(param!(src, p.burn_us, 0, MAX_BURN_US)?),
            body_bytes: param!(src, p.body_bytes, 0, MAX_BODY_BYTES)? as usize,
            bench_rates,
            bench_window: Duration::from_millis(param!(src, p.bench_window_ms, 10, 10_000)?),
            sweep,
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let path = self.route(v).path();
        self.bench_rates
            .iter()
            .enumerate()
            .map(|(i, &rate)| {
                Case::new(0, "requests")
                    .value(crate::results::figures::ValueFigure::P50FromIntended)
                    .sub(i, format!("{rate}rps"))
                    .note(format!(
                        "the runtime under test is the server (GET {path}); the project's event-loop generator (epoll + timerfd, its own threads and CPUs) offers {rate} requests/s over {} keep-alive connections",
                        self.sweep.connections
                    ))
                    .note("the value is the median (p50) of `latency` per round; its p99 is in the row's percentiles, beside `host_wake_lateness`: how late a thread that only sleeps 1 ms at a time woke on each CPU over the same windows (the host's timer jitter and stalls, `measure::canary`)")
                    .note("`latency` counts from each request's intended send time (corrected for coordinated omission), `latency_uncorrected` from its actual send; `generator_send_lag` is the generator's own delay (actual send − when the send became possible: due and its connection free); `generator_cpu` is the busiest generator thread's CPU share of its core, `generator_busy` the same less the time it spun waiting for a due send (what generator-bound reads)")
            })
            .collect()
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let rate = *self
            .bench_rates
            .get(case.key.sub)
            .ok_or_else(|| format!("case {} has no rate", case.variant))?;
        let s = ServerCase {
            slo: self.sweep.slo_p99,
            route: self.route(variant),
            rate,
            window: self.bench_window,
            connections: self.sweep.connections,
            timeout: self.sweep.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        // A server row's value is its median latency from the intended send time per round:
        // compared across runtimes round by round.
        self.bench_rates
            .iter()
            .flat_map(|rate| {
                <Variant as crate::scenario::VariantName>::ALL.iter().map(move |v| {
                    Comparison::runtimes(
                        format!("{}-{rate}rps", <&str>::from(*v)),
                        format!(
                            "which runtime serves {} at {rate} requests/s with the lowest median latency",
                            <&str>::from(*v)
                        ),
                    )
                })
            })
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "bench rates {:?}/s, delay {} µs, burn {} µs, body {} B, {} connections, SLO p99 {} µs",
            self.bench_rates,
            self.delay.as_micros(),
            self.burn.as_micros(),
            self.body_bytes,
            self.sweep.connections,
            self.sweep.slo_p99.as_micros()
        )
    }
}

/// One case: the server on the runtime under test at one offered rate.
pub struct ServerCase {
    pub slo: Duration,
    pub route: Route,
    pub rate: u64,
    pub window: Duration,
    pub connections: u64,
    pub timeout: Duration,
}

pub struct ServerState {
    // Field order: the load stops before the server does.
    load: LoadThread,
    _server: RuntimeServer,
    /// The host canary on every CPU of the process; `None` where it could not start.
    canary: Option<Canary>,
}

/// The further metric of each window: the host canary's wake lateness.
pub const HOST_WAKE_LATENESS: &str = "host_wake_lateness";

impl AsyncScenario for ServerCase {
    type State<R: Runtime> = ServerState;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<ServerState, String> {
        let server = RuntimeServer::start(rt, ServerOpts::default())
            .await
            .map_err(|e| format!("server on the runtime under test: {e}"))?;
        let load = LoadThread::start(LoadSpec {
            server: server.addr(),
            path: self.route.path().into(),
            connections: self.connections,
            rate: Some(self.rate),
            window: self.window,
            timeout: self.timeout,
            cpus: crate::sweep::generator_cpus(),
        })?;
        Ok(ServerState {
            load,
            _server: server,
            canary: Canary::on_process_cpus().ok(),
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut ServerState) -> Batch {
        // A batch is a window that begins once it waits: between batches a one-thread runtime
        // does not run its server, so a window of that time (or the part of one before the
        // call) measured a server nobody ran. The runtime runs (its sleep) until the window
        // begins, serving the tail of the window in progress, which is not this batch's.
        let (index, begins) = st.load.first_window_from(Instant::now());
        let wait = begins.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            rt.sleep(wait).await;
        }
        // The cost is the server runtime's over the awaited window (the generator's threads
        // are excluded by name, see measure::cost): from when the sleep returned (at most the
        // runtime's timer lateness into the window, ~1 ms on tokio) to the window's end; the
        // wall stays the generator's window.
        if let Some(c) = &st.canary {
            c.take();
        }
        let sw = Stopwatch::start();
        let window = st.load.window_number(index).await;
        let cost = sw.stop().cost;
        let canary = st.canary.as_ref().map(|c| samples(&c.take().lateness));
        match window {
            Ok(w) => {
                let mut b = w.batch;
                b.cost = cost;
                b.extra.extend(canary.map(|v| (HOST_WAKE_LATENESS, v)));
                b.values.push(("generator_cpu", w.generator_cpu));
                b.values.push(("generator_busy", w.generator_busy));
                // The route as data (the rate is `asked_rps`): the knee table groups by them.
                b.values.push(self.route.figure());
                // Constant per case: the report's knee table judges by it.
                b.values
                    .push((crate::sweep::bench_knee::SLO_VALUE, self.slo.as_secs_f64() * 1e6));
                b
            }
            Err(_) => {
                let mut b = Batch {
                    wall: self.window,
                    cost,
                    ..Batch::default()
                };
                b.errors.add(ErrorKind::Join, 1);
                b
            }
        }
    }
}

/// A histogram's recorded values back as one duration per count (the canary records about a
/// hundred a window per CPU).
fn samples(h: &hdrhistogram::Histogram<u64>) -> Vec<Duration> {
    h.iter_recorded()
        .flat_map(|v| std::iter::repeat_n(Duration::from_nanos(v.value_iterated_to()), v.count_at_value() as usize))
        .collect()
}
