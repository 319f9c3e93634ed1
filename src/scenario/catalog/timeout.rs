//! `timeout` — the guide's `asyncio.timeout()`: what a runtime's timeout
//! wrapper costs an operation that finishes in time (measured against the
//! same operation unwrapped, interleaved in the same batch), and how late a
//! timeout that fires is (resumed-at minus deadline, ideal 0; the floor is
//! the timer's resolution).

use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::param;
use crate::results::{Comparison, Side};
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::{Case, CaseSpec, Env, Ideal, Scenario, ScenarioError, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `timeout(T, yield_now())` with T never reached, beside bare `yield_now()`.
    InTime,
    /// `timeout(d, pending())`: the deadline always fires.
    Fires,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    ops: Spanned<u64>,
    chunk: Spanned<u64>,
    in_time_deadline_ms: Spanned<u64>,
    fires: Spanned<u64>,
    deadline_ms: Spanned<u64>,
}

/// The checked parameters; also one case's configuration (with its variant).
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    /// Operations per batch, wrapped and unwrapped each.
    pub ops: u64,
    /// Operations timed together; one latency sample is a chunk's mean, so
    /// the clock's own cost (tens of ns) does not swamp a ~100 ns operation.
    pub chunk: u64,
    pub in_time_deadline: Duration,
    /// Timeouts that fire per batch, one after another.
    pub fires: u64,
    pub deadline: Duration,
}

impl Scenario for Timeout {
    const NAME: &'static str = "timeout";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let chunk = param!(src, p.chunk, 1, 10_000)?;
        Ok(Timeout {
            ops: param!(src, p.ops, chunk, 10_000_000)?,
            chunk,
            in_time_deadline: Duration::from_millis(param!(src, p.in_time_deadline_ms, 1, 600_000)?),
            fires: param!(src, p.fires, 1, 10_000)?,
            deadline: Duration::from_millis(param!(src, p.deadline_ms, 1, 10_000)?),
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        vec![match v {
            Variant::InTime => Case::new(self.ops, "wrapped ops")
                .note(format!(
                    "latency = per-op time of timeout(yield_now) (mean of {}-op chunks); unwrapped = the bare op; ideal overhead_ns_per_op = 0",
                    self.chunk
                ))
                .note("wall = the wrapped ops only"),
            Variant::Fires => Case::new(self.fires, "timeouts")
                .ideal(Ideal::times(
                    self.fires,
                    self.deadline,
                    format!("n·d = {} × {} ms", self.fires, self.deadline.as_millis()),
                ))
                .note("latency = lateness: resumed-at minus deadline (ideal 0; floor: timer resolution)")
                .note("fired_early must be 0"),
        }]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        driver::prepare_async(case, env, TimeoutCase { variant, p: *self })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::rows(
                Side::primary("in_time"),
                Side::metric("in_time", "unwrapped"),
                "what asyncio.timeout() adds to an op that finishes in time: wrapped (mean per op) minus the bare op \
                 (median of its per-op chunks per round)",
            )
            .added()
            .headline(),
            Comparison::runtimes(
                "in_time",
                "which runtime runs a wrapped op that finishes in time fastest (the whole op, not the wrapper alone), \
                 per wrapped op",
            ),
            Comparison::runtimes_of(
                Side::metric("fires", "latency"),
                "which runtime's timeout fires closest to its deadline, per timeout",
            ),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "in_time: {} ops in chunks of {}; fires: {} × {} ms deadlines",
            self.ops,
            self.chunk,
            self.fires,
            self.deadline.as_millis()
        )
    }
}

/// One timeout case: the same code on every runtime.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutCase {
    pub variant: Variant,
    pub p: Timeout,
}

impl AsyncScenario for TimeoutCase {
    /// Whether the next in_time batch starts with the wrapped chunk (the
    /// order alternates so neither side always runs on a colder cache).
    type State<R: Runtime> = bool;

    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<bool, String> {
        Ok(false)
    }

    async fn batch<R: Runtime>(&self, rt: &R, wrapped_first: &mut bool) -> Batch {
        *wrapped_first = !*wrapped_first;
        let (case, r, wf) = (*self, rt.clone(), *wrapped_first);
        // Measured inside a task, where application code meets the timer: on
        // the -mt flavours the root future of `block_on` is not on a worker.
        let task = rt.spawn(async move {
            match case.variant {
                Variant::InTime => case.p.in_time(&r, wf).await,
                Variant::Fires => case.p.fires(&r).await,
            }
        });
        task.await.unwrap_or_else(|e| Batch::failed(1, e.into()))
    }
}

impl Timeout {
    async fn in_time<R: Runtime>(&self, rt: &R, wrapped_first: bool) -> Batch {
        let chunks = self.ops / self.chunk;
        let per = u32::try_from(self.chunk).unwrap_or(u32::MAX);
        let mut b = Batch::default();
        let mut plain = Vec::with_capacity(chunks as usize);
        let (mut plain_total, mut fired) = (Duration::ZERO, 0u64);
        // The batch's wall and cost are the wrapped chunks only: its stopwatch runs during
        // them and is paused over the bare chunks between. The bare chunks get a stopwatch of
        // their own (its cost unused) so both sides pay the same clock reads around them.
        let (mut sw, mut bare) = (Stopwatch::paused(), Stopwatch::paused());
        let mut latencies = Vec::with_capacity(chunks as usize);
        for _ in 0..chunks {
            for wrapped in [wrapped_first, !wrapped_first] {
                let on = if wrapped { &mut sw } else { &mut bare };
                let before = on.elapsed();
                on.resume();
                if wrapped {
                    for _ in 0..self.chunk {
                        if rt.timeout(self.in_time_deadline, rt.yield_now()).await.is_err() {
                            fired += 1;
                        }
                    }
                } else {
                    for _ in 0..self.chunk {
                        rt.yield_now().await;
                    }
                }
                let on = if wrapped { &mut sw } else { &mut bare };
                on.pause();
                let took = on.elapsed() - before;
                if wrapped {
                    latencies.push(took / per);
                } else {
                    plain_total += took;
                    plain.push(took / per);
                }
            }
        }
        let timed = sw.stop();
        (b.wall, b.cost, b.latencies) = (timed.wall, timed.cost, latencies);
        let n = (chunks * self.chunk) as f64;
        let wrapped_ns = b.wall.as_nanos() as f64 / n;
        let plain_ns = plain_total.as_nanos() as f64 / n;
        b.extra.push(("unwrapped", plain));
        // A deadline that fired here was missed by an op that should have
        // finished long before: a failure, not a measurement.
        b.errors.add(ErrorKind::Timeout, fired);
        b.values = vec![
            ("wrapped_ns_per_op", wrapped_ns),
            ("unwrapped_ns_per_op", plain_ns),
            ("overhead_ns_per_op", wrapped_ns - plain_ns),
        ];
        b
    }

    async fn fires<R: Runtime>(&self, rt: &R) -> Batch {
        let (mut early, mut completed) = (0u64, 0u64);
        let mut latencies = Vec::new();
        let sw = Stopwatch::start();
        for _ in 0..self.fires {
            // Taken before the wrapper exists, so it is never later than the
            // runtime's own start of the deadline: a fire before
            // `start + d` is early by the runtime's own reckoning too.
            let start = Instant::now();
            let r = rt.timeout(self.deadline, futures::future::pending::<()>()).await;
            let resumed = Instant::now();
            let due = start + self.deadline;
            match r {
                Ok(()) => completed += 1,
                Err(_) if resumed >= due => latencies.push(resumed - due),
                Err(_) => early += 1,
            }
        }
        let mut b = Batch::timed(sw.stop());
        b.latencies = latencies;
        b.errors.add(ErrorKind::Invalid, early + completed);
        b.values = vec![
            ("fired_early", early as f64),
            ("deadline_ms", self.deadline.as_secs_f64() * 1e3),
        ];
        b
    }
}
