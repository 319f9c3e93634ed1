//! `blocking_sleep` — the guide's "asyncio.sleep() vs time.sleep()" and
//! "cooperative multitasking": K tasks each wait S, once with the runtime's
//! sleep and once with `std::thread::sleep`, while unrelated keep-alive
//! requests (the victims) and the responsiveness probes (sched_delay, timer_lateness) run beside them.
//!
//! The runtime's sleep parks only the task: all K waits overlap, the batch
//! takes ≈ S on every flavour and the loop stays free. A thread sleep holds
//! the worker thread: a one-thread flavour runs the K sleeps one after
//! another (≈ K·S) and nothing else — probe, victims, their connections —
//! runs meanwhile; a multi-thread flavour spreads them over its workers
//! (≈ ⌈K/workers⌉·S) and stalls only while every worker is held. On a
//! multi-thread flavour the probe may sit on a worker the stall does not
//! hold, and then truthfully reports a responsive runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::results::{Comparison, Side};
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::probe::Probes;
use crate::scenario::support::victims::{LastFinish, MAX_VICTIM_REQUESTS, VictimCfg, Watched, join_victims};
use crate::scenario::{Case, CaseSpec, Env, Ideal, Scenario, ScenarioError, Source};
use crate::{param, param_error};

/// How each of the K tasks waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Wait {
    /// The runtime's timer: the task is parked, the thread is free.
    RuntimeSleep,
    /// `std::thread::sleep` inside the task: the thread is held.
    ThreadSleep,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
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

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct BlockingSleep {
    pub tasks: u64,
    pub sleep: Duration,
    pub victims: VictimCfg,
}

impl Scenario for BlockingSleep {
    const NAME: &'static str = "blocking_sleep";
    type Params = Params;
    type Variant = Wait;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let tasks = param!(src, p.tasks, 1, MAX_TASKS)?;
        let sleep_ms = param!(src, p.sleep_ms, 1, MAX_SLEEP_MS)?;
        if tasks * sleep_ms > MAX_TOTAL_SLEEP_MS {
            return Err(param_error!(
                src,
                p.tasks,
                "tasks × sleep_ms = {} ms is too long: a thread-sleep batch on a one-thread runtime lasts that \
                 long; allowed at most {MAX_TOTAL_SLEEP_MS} ms",
                tasks * sleep_ms
            ));
        }
        let victims = VictimCfg::check(src, &p.victims, &p.victim_delay_ms, &p.probe_period_ms, &p.timeout_ms)?;
        Ok(BlockingSleep {
            tasks,
            sleep: Duration::from_millis(sleep_ms),
            victims,
        })
    }

    fn cases(&self, wait: Wait, _: Flavor) -> Vec<Case> {
        let (k, s) = (self.tasks, self.sleep.as_millis());
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
        vec![
            Case::new(k, "sleeps")
                .ideal(Ideal::of(self.sleep, format!("S = {s} ms")))
                .note(how)
                .note(format!(
                    "latency = the victims: {} tasks issuing GET /delay/{} one after another over \
                     keep-alive for the whole batch",
                    self.victims.tasks,
                    self.victims.delay.as_millis()
                ))
                .note(self.victims.lag_note()),
        ]
    }

    fn prepare(&self, wait: Wait, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = SleepCase {
            wait,
            p: self.clone(),
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::variants(
                "thread_sleep",
                "runtime_sleep",
                "time.sleep vs asyncio.sleep: K tasks sleeping S, batch ÷ K",
            ),
            Comparison::rows(
                Side::metric("thread_sleep", "sched_delay"),
                Side::metric("runtime_sleep", "sched_delay"),
                "does a blocking sleep stall the loop? wake-to-poll delay of a probe task, median per round",
            )
            .headline(),
        ]
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

/// One blocking_sleep case: the same code on every runtime.
pub struct SleepCase {
    pub wait: Wait,
    pub p: BlockingSleep,
    pub server: SocketAddr,
}

impl AsyncScenario for SleepCase {
    type State<R: Runtime> = Watched<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<Watched<R>, String> {
        Watched::setup(rt, self.server, &self.p.victims).await
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut Watched<R>) -> Batch {
        // Probe and victims first, so they are already waiting when the
        // sleepers arrive (a one-thread flavour runs tasks in spawn order).
        let probe = Probes::start(rt, &st.clock, self.p.victims.probe_period);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let victims = st.spawn_victims(rt, &self.p.victims, MAX_VICTIM_REQUESTS, &stop, &done);

        let sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        let sleepers: Vec<_> = (0..self.p.tasks)
            .map(|_| {
                let (r, wait, s) = (rt.clone(), self.wait, self.p.sleep);
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
        let timed = sw.stop();
        let timed = timed.with_wall(last.since(t0, timed.wall));

        stop.store(true, Ordering::Release);
        let (outcomes, _) = join_victims(victims).await;
        let lag = probe.stop().await;
        let requests = outcomes.len() as f64;
        let mut b = Batch::from_outcomes(timed, outcomes);
        b.errors.add(ErrorKind::Join, failed);
        st.add_probe_rows(&mut b, lag, rt.workers());
        b.values.push(("victim_requests", requests));
        b
    }
}
