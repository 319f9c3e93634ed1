//! `timeout` — the guide's `asyncio.timeout()`: what a runtime's timeout
//! wrapper costs an operation that finishes in time (measured against the
//! same operation unwrapped, interleaved in the same batch), and how late a
//! timeout that fires is (resumed-at minus deadline, ideal 0; the floor is
//! the timer's resolution).

use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::{CaseSpec, Env, Ideal, ScenarioDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `timeout(T, yield_now())` with T never reached, beside bare `yield_now()`.
    InTime,
    /// `timeout(d, pending())`: the deadline always fires.
    Fires,
}

impl Variant {
    pub const NAMES: [&'static str; 2] = ["in_time", "fires"];

    fn parse(s: &str) -> Option<Variant> {
        match s {
            "in_time" => Some(Variant::InTime),
            "fires" => Some(Variant::Fires),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    ops: Spanned<u64>,
    chunk: Spanned<u64>,
    in_time_deadline_ms: Spanned<u64>,
    fires: Spanned<u64>,
    deadline_ms: Spanned<u64>,
}

#[derive(Debug, Clone)]
pub struct TimeoutScenario {
    header: Header,
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

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header(src, &Variant::NAMES, &runtimes)?;
    let p = &f.params;
    let chunk = src.range(&p.chunk, "params.chunk", 1, 10_000)?;
    let ops = src.range(&p.ops, "params.ops", chunk, 10_000_000)?;
    let in_time = src.range(&p.in_time_deadline_ms, "params.in_time_deadline_ms", 1, 600_000)?;
    let fires = src.range(&p.fires, "params.fires", 1, 10_000)?;
    let deadline = src.range(&p.deadline_ms, "params.deadline_ms", 1, 10_000)?;
    Ok(Box::new(TimeoutScenario {
        header,
        ops,
        chunk,
        in_time_deadline: Duration::from_millis(in_time),
        fires,
        deadline: Duration::from_millis(deadline),
    }))
}

impl ScenarioDef for TimeoutScenario {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(variant) = Variant::parse(v) else { continue };
            let (ideal, ops, notes) = match variant {
                Variant::InTime => (
                    None,
                    self.ops,
                    vec![
                        format!(
                            "latency = per-op time of timeout(yield_now) (mean of {}-op chunks); unwrapped = the bare op; ideal overhead_ns_per_op = 0",
                            self.chunk
                        ),
                        "wall = the wrapped ops only".to_string(),
                    ],
                ),
                Variant::Fires => {
                    let total = self
                        .deadline
                        .saturating_mul(u32::try_from(self.fires).unwrap_or(u32::MAX));
                    (
                        Some(Ideal {
                            ns: u64::try_from(total.as_nanos()).unwrap_or(u64::MAX),
                            formula: format!("n·d = {} × {} ms", self.fires, self.deadline.as_millis()),
                        }),
                        self.fires,
                        vec![
                            "latency = lateness: resumed-at minus deadline (ideal 0; floor: timer resolution)"
                                .to_string(),
                            "fired_early must be 0".to_string(),
                        ],
                    )
                }
            };
            for &flavor in &self.header.runtimes {
                out.push(CaseSpec {
                    variant: v.clone(),
                    flavor,
                    ideal: ideal.clone(),
                    ops_per_batch: ops,
                    notes: notes.clone(),
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let variant = Variant::parse(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let s = TimeoutCase {
            variant,
            ops: self.ops,
            chunk: self.chunk,
            in_time_deadline: self.in_time_deadline,
            fires: self.fires,
            deadline: self.deadline,
        };
        driver::prepare_async(case, env, s)
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
    pub ops: u64,
    pub chunk: u64,
    pub in_time_deadline: Duration,
    pub fires: u64,
    pub deadline: Duration,
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
                Variant::InTime => case.in_time(&r, wf).await,
                Variant::Fires => case.fires(&r).await,
            }
        });
        task.await.unwrap_or_else(|e| Batch::failed(1, e.into()))
    }
}

impl TimeoutCase {
    async fn in_time<R: Runtime>(&self, rt: &R, wrapped_first: bool) -> Batch {
        let chunks = self.ops / self.chunk;
        let per = u32::try_from(self.chunk).unwrap_or(u32::MAX);
        let mut b = Batch::default();
        let mut plain = Vec::with_capacity(chunks as usize);
        let (mut plain_total, mut fired) = (Duration::ZERO, 0u64);
        for _ in 0..chunks {
            for wrapped in [wrapped_first, !wrapped_first] {
                let t0 = Instant::now();
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
                let took = t0.elapsed();
                if wrapped {
                    b.wall += took;
                    b.latencies.push(took / per);
                } else {
                    plain_total += took;
                    plain.push(took / per);
                }
            }
        }
        let n = (chunks * self.chunk) as f64;
        let wrapped_ns = b.wall.as_nanos() as f64 / n;
        let plain_ns = plain_total.as_nanos() as f64 / n;
        b.extra.push(("unwrapped", plain));
        // A deadline that fired here was missed by an op that should have
        // finished long before: a failure, not a measurement.
        b.errors.add(crate::measure::ErrorKind::Timeout, fired);
        b.values = vec![
            ("wrapped_ns_per_op", wrapped_ns),
            ("unwrapped_ns_per_op", plain_ns),
            ("overhead_ns_per_op", wrapped_ns - plain_ns),
        ];
        b
    }

    async fn fires<R: Runtime>(&self, rt: &R) -> Batch {
        let mut b = Batch::default();
        let (mut early, mut completed) = (0u64, 0u64);
        let t0 = Instant::now();
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
                Err(_) if resumed >= due => b.latencies.push(resumed - due),
                Err(_) => early += 1,
            }
        }
        b.wall = t0.elapsed();
        b.errors.add(crate::measure::ErrorKind::Invalid, early + completed);
        b.values = vec![
            ("fired_early", early as f64),
            ("deadline_ms", self.deadline.as_secs_f64() * 1e3),
        ];
        b
    }
}
