//! `blocking_sleep` — the guide's "asyncio.sleep() vs time.sleep()" and
//! "cooperative multitasking": K tasks each wait S, once with the runtime's
//! sleep and once with `std::thread::sleep`, while unrelated keep-alive
//! requests (the victims) and the event-loop lag probe run beside them.
//!
//! The runtime's sleep parks only the task: all K waits overlap, the batch
//! takes ≈ S on every flavour and the loop stays free. A thread sleep holds
//! the worker thread: a one-thread flavour runs the K sleeps one after
//! another (≈ K·S) and nothing else — probe, victims, their connections —
//! runs meanwhile; a multi-thread flavour spreads them over its workers
//! (≈ ⌈K/workers⌉·S) and stalls only while every worker is held. On a
//! multi-thread flavour the probe may sit on a worker the stall does not
//! hold, and then truthfully reports a responsive runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::measure::LagProbe;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::support::victims::{LastFinish, VictimCfg, Watched, join_victims};
use crate::scenario::{CaseSpec, Env, Ideal, ScenarioDef};

/// How each of the K tasks waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The runtime's timer: the task is parked, the thread is free.
    RuntimeSleep,
    /// `std::thread::sleep` inside the task: the thread is held.
    ThreadSleep,
}

impl Wait {
    pub const NAMES: [&'static str; 2] = ["runtime_sleep", "thread_sleep"];

    fn parse(s: &str) -> Option<Wait> {
        match s {
            "runtime_sleep" => Some(Wait::RuntimeSleep),
            "thread_sleep" => Some(Wait::ThreadSleep),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    tasks: Spanned<u64>,
    sleep_ms: Spanned<u64>,
    victims: Spanned<u64>,
    victim_delay_ms: Spanned<u64>,
    probe_period_ms: Spanned<u64>,
    timeout_ms: Spanned<u64>,
}

pub const MAX_TASKS: u64 = 1_000;
pub const MAX_SLEEP_MS: u64 = 1_000;
/// K·S bound: a thread-sleep batch on a one-thread flavour lasts K·S.
pub const MAX_TOTAL_SLEEP_MS: u64 = 10_000;
/// A victim never issues more requests than this in one batch.
const MAX_VICTIM_REQUESTS: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct BlockingSleep {
    header: Header,
    pub tasks: u64,
    pub sleep: Duration,
    pub victims: VictimCfg,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &Wait::NAMES, &runtimes)?;
    let p = &f.params;
    let tasks = src.range(&p.tasks, "params.tasks", 1, MAX_TASKS)?;
    let sleep_ms = src.range(&p.sleep_ms, "params.sleep_ms", 1, MAX_SLEEP_MS)?;
    if tasks * sleep_ms > MAX_TOTAL_SLEEP_MS {
        return Err(src.error(
            Some(p.tasks.span()),
            Some("params.tasks"),
            format!(
                "tasks × sleep_ms = {} ms is too long: a thread-sleep batch on a one-thread runtime lasts that \
                 long; allowed at most {MAX_TOTAL_SLEEP_MS} ms",
                tasks * sleep_ms
            ),
        ));
    }
    let victims = VictimCfg::check(src, &p.victims, &p.victim_delay_ms, &p.probe_period_ms, &p.timeout_ms)?;
    Ok(Box::new(BlockingSleep {
        header,
        tasks,
        sleep: Duration::from_millis(sleep_ms),
        victims,
    }))
}

impl ScenarioDef for BlockingSleep {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let (k, s) = (self.tasks, self.sleep.as_millis());
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(wait) = Wait::parse(v) else { continue };
            let how = match wait {
                Wait::RuntimeSleep => format!(
                    "{k} tasks each await the runtime's sleep({s} ms): the waits overlap and the thread stays \
                     free, so ≈ S on every flavour"
                ),
                Wait::ThreadSleep => format!(
                    "{k} tasks each call std::thread::sleep({s} ms), holding their thread: expect ≈ K·S = {} ms \
                     on a one-thread flavour and ≈ ⌈K/workers⌉·S on a multi-thread one (`workers` in values); \
                     this is the expectation, the wall time is the measurement",
                    k * s as u64
                ),
            };
            for &flavor in &self.header.runtimes {
                out.push(CaseSpec {
                    key: Default::default(),
                    variant: v.clone(),
                    flavor,
                    ideal: Some(Ideal {
                        ns: u64::try_from(self.sleep.as_nanos()).unwrap_or(u64::MAX),
                        formula: format!("S = {s} ms"),
                    }),
                    ops_per_batch: k,
                    notes: vec![
                        how.clone(),
                        format!(
                            "latency = the victims: {} tasks issuing GET /delay/{} one after another over \
                             keep-alive for the whole batch",
                            self.victims.tasks,
                            self.victims.delay.as_millis()
                        ),
                        lag_note(&self.victims),
                    ],
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let wait = Wait::parse(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let s = SleepCase {
            wait,
            tasks: self.tasks,
            sleep: self.sleep,
            victims: self.victims.clone(),
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn describe(&self) -> String {
        format!(
            "K={} tasks × S={} ms; {}",
            self.tasks,
            self.sleep.as_millis(),
            self.victims.describe()
        )
    }
}

/// The note every hazard case carries about its `loop_lag` row.
pub(crate) fn lag_note(v: &VictimCfg) -> String {
    format!(
        "loop_lag: a task asking to wake every {} ms records how late each wake was, corrected for coordinated \
         omission (jHiccup); on multi-thread flavours it may run on a worker the stall does not hold; its own \
         cost is `probe_overhead_ns_per_wake` (process CPU per wake, measured in setup)",
        v.probe_period.as_millis()
    )
}

/// One blocking_sleep case: the same code on every runtime.
pub struct SleepCase {
    pub wait: Wait,
    pub tasks: u64,
    pub sleep: Duration,
    pub victims: VictimCfg,
    pub server: std::net::SocketAddr,
}

impl AsyncScenario for SleepCase {
    type State<R: Runtime> = Watched<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<Watched<R>, String> {
        Watched::setup(rt, self.server, &self.victims).await
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut Watched<R>) -> Batch {
        // Probe and victims first, so they are already waiting when the
        // sleepers arrive (a one-thread flavour runs tasks in spawn order).
        let probe = LagProbe::start(rt, self.victims.probe_period);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let victims = st.spawn_victims(rt, &self.victims, MAX_VICTIM_REQUESTS, &stop, &done);

        let t0 = Instant::now();
        let sleepers: Vec<_> = (0..self.tasks)
            .map(|_| {
                let (r, wait, s) = (rt.clone(), self.wait, self.sleep);
                rt.spawn(async move {
                    match wait {
                        Wait::RuntimeSleep => r.sleep(s).await,
                        Wait::ThreadSleep => std::thread::sleep(s),
                    }
                    Instant::now()
                })
            })
            .collect();
        let mut failed = 0u64;
        let mut last = LastFinish::default();
        for h in sleepers {
            match h.await {
                Ok(t) => last.add(t),
                Err(_) => failed += 1,
            }
        }
        // From the sleepers' own finish instants: the batch future itself
        // may be polled late on a busy one-thread executor.
        let wall = last.since(t0, t0.elapsed());

        stop.store(true, Ordering::Release);
        let (outcomes, _) = join_victims(victims).await;
        let lag = probe.stop().await;
        let requests = outcomes.len() as f64;
        let mut b = Batch::from_outcomes(wall, outcomes);
        b.errors += failed;
        b.extra.push(("loop_lag", lag.corrected()));
        b.values.push(("workers", rt.workers() as f64));
        b.values.push(("victim_requests", requests));
        if let Some(ns) = st.probe_ns_per_wake {
            b.values.push(("probe_overhead_ns_per_wake", ns));
        }
        b
    }
}
