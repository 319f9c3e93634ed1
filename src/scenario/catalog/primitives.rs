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
use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::{Stopwatch, Timed};
use crate::measure::{Batch, ErrorCounts, ErrorKind, OpError};
use crate::param;
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};

/// The operation a variant times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `spawn(async { i }).await`, one after another.
    SpawnJoin,
    /// Two tasks each calling `yield_now` n/2 times.
    YieldPingpong,
    /// Two tasks bouncing a value over a pair of capacity-1 channels.
    ChannelPingpong,
    /// `while let Some(x) = stream.next().await` over an `unfold` stream.
    StreamIter,
}

impl Variant {
    fn note(self) -> &'static str {
        match self {
            Variant::SpawnJoin => "one op = spawn a task returning a number and await its handle, one after another",
            Variant::YieldPingpong => {
                "one op = one yield_now; two tasks yield n/2 times each (on one thread every yield switches to the other task; on several they may run side by side)"
            }
            Variant::ChannelPingpong => {
                "one op = one round trip: task A sends over an async-channel of capacity 1, task B answers on another"
            }
            Variant::StreamIter => {
                "one op = one item of a futures::stream::unfold stream (the guide's AsyncCounter without its sleep); no runtime call is involved, only polling"
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    ops: Spanned<u64>,
}

/// The checked parameters.
#[derive(Debug, Clone, Copy)]
pub struct Primitives {
    /// Operations per batch.
    pub ops: u64,
}

impl Scenario for Primitives {
    const NAME: &'static str = "primitives";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        // At least 2: the ping-pongs split the work between two tasks.
        Ok(Primitives {
            ops: param!(src, p.ops, 2, 10_000_000)?,
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        vec![
            Case::new(self.ops, "ops")
                .note(v.note())
                .note(format!(
                    "{} ops per batch timed as a whole; latency samples are per-batch means (ns per op, whole ns), one per batch; ns_per_op is exact",
                    self.ops
                ))
                .note("the floor under the other scenarios: compare with the harness's timer floor in summary.json"),
        ]
    }

    fn prepare(&self, op: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        driver::prepare_async(case, env, PrimitiveCase { op, ops: self.ops })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        <Variant as crate::scenario::VariantName>::ALL
            .iter()
            .map(|v| {
                Comparison::runtimes(
                    <&str>::from(*v),
                    format!("{}: what each runtime charges per operation", <&str>::from(*v)),
                )
            })
            .collect()
    }

    fn describe(&self) -> String {
        format!("{} ops per batch", self.ops)
    }
}

/// Runs `n` operations of `op`; returns their timed region and the failures.
pub async fn run_op<R: Runtime>(rt: &R, op: Variant, n: u64) -> (Timed, ErrorCounts) {
    // Plain counters while timing; sorted into kinds after.
    let (mut failed_tasks, mut wrong) = (0u64, 0u64);
    let sw = Stopwatch::start();
    match op {
        Variant::SpawnJoin => {
            for i in 0..n {
                if rt.spawn(async move { black_box(i) }).await.is_err() {
                    failed_tasks += 1;
                }
            }
        }
        Variant::YieldPingpong => {
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
                failed_tasks += 1;
            }
        }
        Variant::ChannelPingpong => {
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
                        wrong += 1;
                        break;
                    }
                };
                if back != Ok(i) {
                    wrong += 1;
                }
            }
            drop(ping);
            if echo.await.is_err() {
                failed_tasks += 1;
            }
        }
        Variant::StreamIter => {
            let s = futures::stream::unfold(0u64, move |i| async move { (i < n).then_some((i, i + 1)) });
            let mut s = std::pin::pin!(s);
            let (mut count, mut sum) = (0u64, 0u64);
            while let Some(x) = s.next().await {
                count += 1;
                sum = sum.wrapping_add(black_box(x));
            }
            black_box(sum);
            wrong += n.abs_diff(count);
        }
    }
    let timed = sw.stop();
    // A count that came out wrong (lost or extra items) is invalid; a task
    // that panicked or was cancelled is a join failure.
    let errors = [(ErrorKind::Join, failed_tasks), (ErrorKind::Invalid, wrong)]
        .into_iter()
        .collect();
    (timed, errors)
}

/// One primitives case: the same code on every runtime.
pub struct PrimitiveCase {
    pub op: Variant,
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
        let Ok((timed, errors)) = rt.spawn(async move { run_op(&r, op, n).await }).await else {
            return Batch::failed(n, OpError::Join("the op task failed".into()));
        };
        let wall = timed.wall;
        let per_op = wall.as_secs_f64() * 1e9 / n as f64;
        Batch {
            wall,
            cost: timed.cost,
            latencies: if errors.total() < n {
                vec![Duration::from_nanos(per_op.round() as u64)]
            } else {
                Vec::new()
            },
            errors,
            extra: Vec::new(),
            values: vec![
                ("ns_per_op", per_op),
                ("ops_per_s", n as f64 / wall.as_secs_f64().max(1e-9)),
            ],
        }
    }
}
