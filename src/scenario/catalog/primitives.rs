//! `primitives` — the floor under every other scenario, from the guide's
//! "event loop", "coroutines vs tasks vs futures" and "async iterators": the
//! cost of spawn + join, of a yield, of a channel round trip between two
//! tasks, and of one item of an async stream, in nanoseconds per operation.
//!
//! Each batch runs n operations inside a task on the runtime (as server code
//! would) and is timed as a whole: one clock read per operation would cost
//! as much as the cheaper operations themselves (the harness's timer floor is
//! in summary.json). The HDR histogram therefore holds one sample per batch,
//! the batch's mean time per operation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::{CaseSpec, Env, ScenarioDef};

const VARIANTS: [&str; 4] = ["spawn_join", "yield_pingpong", "channel_pingpong", "stream_iter"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    ops: Spanned<u64>,
}

#[derive(Debug, Clone)]
pub struct Primitives {
    header: Header,
    pub ops: u64,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &VARIANTS, &runtimes)?;
    // At least 2: the ping-pongs split the work between two tasks.
    let ops = src.range(&f.params.ops, "params.ops", 2, 10_000_000)?;
    Ok(Box::new(Primitives { header, ops }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `spawn(async { i }).await`, one after another.
    SpawnJoin,
    /// Two tasks each calling `yield_now` n/2 times.
    YieldPingPong,
    /// Two tasks bouncing a value over a pair of capacity-1 channels.
    ChannelPingPong,
    /// `while let Some(x) = stream.next().await` over an `unfold` stream.
    StreamIter,
}

impl Op {
    fn parse(v: &str) -> Option<Op> {
        Some(match v {
            "spawn_join" => Op::SpawnJoin,
            "yield_pingpong" => Op::YieldPingPong,
            "channel_pingpong" => Op::ChannelPingPong,
            "stream_iter" => Op::StreamIter,
            _ => return None,
        })
    }

    fn note(self) -> &'static str {
        match self {
            Op::SpawnJoin => "one op = spawn a task returning a number and await its handle, one after another",
            Op::YieldPingPong => {
                "one op = one yield_now; two tasks yield n/2 times each (on one thread every yield switches to the other task; on several they may run side by side)"
            }
            Op::ChannelPingPong => {
                "one op = one round trip: task A sends over an async-channel of capacity 1, task B answers on another"
            }
            Op::StreamIter => {
                "one op = one item of a futures::stream::unfold stream (the guide's AsyncCounter without its sleep); no runtime call is involved, only polling"
            }
        }
    }
}

impl ScenarioDef for Primitives {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(op) = Op::parse(v) else { continue };
            for &flavor in &self.header.runtimes {
                out.push(CaseSpec {
                    key: Default::default(),
                    variant: v.clone(),
                    flavor,
                    ideal: None,
                    ops_per_batch: self.ops,
                    notes: vec![
                        op.note().into(),
                        format!(
                            "{} ops per batch timed as a whole; latency samples are per-batch means (ns per op, whole ns), one per batch; ns_per_op and ops_per_s are exact",
                            self.ops
                        ),
                        "throughput_per_s of this row counts batches; see ops_per_s".into(),
                        "the floor under the other scenarios: compare with the harness's timer floor in summary.json".into(),
                    ],
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let op = Op::parse(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let flavor = case
            .flavor
            .as_async()
            .ok_or_else(|| format!("{} is not an async runtime", case.flavor))?;
        driver::async_bench(flavor, env.workers, PrimitiveCase { op, ops: self.ops })
            .map_err(|e| format!("cannot start {flavor}: {e}"))
    }

    fn describe(&self) -> String {
        format!("{} ops per batch", self.ops)
    }
}

/// Runs `n` operations of `op`; returns the time they took and the failures.
pub async fn run_op<R: Runtime>(rt: &R, op: Op, n: u64) -> (Duration, u64) {
    let mut errors = 0;
    let t0 = Instant::now();
    match op {
        Op::SpawnJoin => {
            for i in 0..n {
                if rt.spawn(async move { black_box(i) }).await.is_err() {
                    errors += 1;
                }
            }
        }
        Op::YieldPingPong => {
            let r = rt.clone();
            let other = rt.spawn(async move {
                for _ in 0..n / 2 {
                    r.yield_now().await;
                }
            });
            for _ in 0..n - n / 2 {
                rt.yield_now().await;
            }
            if other.await.is_err() {
                errors += 1;
            }
        }
        Op::ChannelPingPong => {
            let (ping, ping_rx) = async_channel::bounded::<u64>(1);
            let (pong, pong_rx) = async_channel::bounded::<u64>(1);
            let echo = rt.spawn(async move {
                while let Ok(v) = ping_rx.recv().await {
                    if pong.send(v).await.is_err() {
                        return;
                    }
                }
            });
            for i in 0..n {
                let back = match ping.send(i).await {
                    Ok(()) => pong_rx.recv().await,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                };
                if back != Ok(i) {
                    errors += 1;
                }
            }
            drop(ping);
            if echo.await.is_err() {
                errors += 1;
            }
        }
        Op::StreamIter => {
            let s = futures::stream::unfold(0u64, move |i| async move { (i < n).then_some((i, i + 1)) });
            let mut s = std::pin::pin!(s);
            let (mut count, mut sum) = (0u64, 0u64);
            while let Some(x) = s.next().await {
                count += 1;
                sum = sum.wrapping_add(black_box(x));
            }
            black_box(sum);
            errors += n.abs_diff(count);
        }
    }
    (t0.elapsed(), errors)
}

/// One primitives case: the same code on every runtime.
pub struct PrimitiveCase {
    pub op: Op,
    pub ops: u64,
}

impl AsyncScenario for PrimitiveCase {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        let (op, n, r) = (self.op, self.ops, rt.clone());
        // Inside a task, as server code runs: on the multi-thread flavours
        // `block_on`'s own thread is not a worker.
        let Ok((wall, errors)) = rt.spawn(async move { run_op(&r, op, n).await }).await else {
            return Batch::failed(n, crate::measure::OpError::Join("the op task failed".into()));
        };
        let per_op = wall.as_secs_f64() * 1e9 / n as f64;
        Batch {
            wall,
            latencies: if errors < n {
                vec![Duration::from_nanos(per_op.round() as u64)]
            } else {
                Vec::new()
            },
            // A count that came out wrong (lost or extra items, a task that failed).
            errors: [(crate::measure::ErrorKind::Invalid, errors)].into_iter().collect(),
            extra: Vec::new(),
            values: vec![
                ("ns_per_op", per_op),
                ("ops_per_s", n as f64 / wall.as_secs_f64().max(1e-9)),
            ],
        }
    }
}
