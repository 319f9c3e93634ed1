//! The patterns `asyncbench scale` grows, each written once and generic over the runtime: where a
//! scenario already has the code (gathered requests, idle tasks, chat fan-out, producers) its
//! case is reused as it is; spawn + join of N tasks, N timers and the planted self-test are here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::round::{self, BatchFigures, Plan, cpu_per_op};
use crate::client::ConnMode;
use crate::measure::Batch;
use crate::measure::cost::Stopwatch;
use crate::runtime::{AsyncFlavor, Runtime};
use crate::scenario::catalog::chat_broadcast::{self, ChatBroadcast, ChatCase};
use crate::scenario::catalog::pipeline::{Kind, Pipeline};
use crate::scenario::catalog::task_memory::IdleTasks;
use crate::scenario::driver::AsyncScenario;
use crate::scenario::support::fetch::{FetchCase, Pattern as FetchPattern, delay_path};
use crate::scenario::support::queues::AsyncChannel;

/// The server delay D behind every gathered request: long beside a loopback round trip, so
/// N = 1 sits near its ideal, short enough for many batches.
pub const GATHER_DELAY: Duration = Duration::from_millis(10);
/// How long each of the N timers sleeps.
pub const TIMER_SLEEP: Duration = Duration::from_millis(10);
/// Items each batch of the producers pattern sends in all (at least one per producer).
pub const PRODUCER_ITEMS: u64 = 10_000;
/// The planted self-test: from this N on, each task spins [`PLANT_NS_PER_N`] × N ns.
pub const PLANT_FROM: u64 = 100;
pub const PLANT_NS_PER_N: u64 = 10_000;
/// Lines each fan-out batch sends (one at a time, each awaited at every receiver).
const FANOUT_LINES: u32 = 1;
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A pattern: what grows with N and what one operation is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Pattern {
    /// N GETs of `/delay/D` gathered with `join_all` over a warm keep-alive pool.
    Gather,
    /// N tasks spawned, then every handle awaited.
    SpawnJoin,
    /// N tasks each sleeping [`TIMER_SLEEP`] at once: how late each wakes.
    Timers,
    /// N tasks parked on a channel (task_memory's code): spawn + teardown per task, bytes per task.
    IdleTasks,
    /// A chat server on the runtime under test and N + 1 clients: one line to N receivers.
    Fanout,
    /// N producers sending into one bounded async-channel, one consumer.
    Producers,
    /// Self-test, not in the default set: spawn + join whose tasks spin a planted N-proportional
    /// time from N = [`PLANT_FROM`], so the report must find the bend there.
    Planted,
}

/// What a pattern's figure is and how far it goes.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub title: &'static str,
    /// The per-operation figure with its unit, as a column header.
    pub figure: &'static str,
    /// The figure's ideal where the physics gives one (drawn dashed, the bend's base).
    pub ideal: Option<f64>,
    /// What the dashed line is where there is no ideal.
    pub expected: &'static str,
    /// The largest N the pattern takes.
    pub max_n: u64,
    /// Open files each unit of N holds (two ends of a loopback connection in this process).
    pub fds_per_n: u64,
}

impl Pattern {
    /// The patterns a plain `asyncbench scale` runs.
    pub const DEFAULT: [Pattern; 6] = [
        Pattern::Gather,
        Pattern::SpawnJoin,
        Pattern::Timers,
        Pattern::IdleTasks,
        Pattern::Fanout,
        Pattern::Producers,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn spec(self) -> Spec {
        let flat = "flat: its value at the smallest N";
        match self {
            Pattern::Gather => Spec {
                title: "N concurrent requests gathered over keep-alive (batch ÷ D)",
                figure: "batch ÷ D",
                ideal: Some(1.0),
                expected: "ideal: batch = D",
                max_n: 10_000,
                fds_per_n: 2,
            },
            Pattern::SpawnJoin => Spec {
                title: "spawn + join of N tasks (time per task)",
                figure: "ns per task",
                ideal: None,
                expected: flat,
                max_n: 100_000,
                fds_per_n: 0,
            },
            Pattern::Timers => Spec {
                title: "N timers of 10 ms firing together (lateness per timer)",
                figure: "µs late (mean)",
                ideal: None,
                expected: flat,
                max_n: 100_000,
                fds_per_n: 0,
            },
            Pattern::IdleTasks => Spec {
                title: "N idle tasks (spawn + teardown per task; bytes per task)",
                figure: "ns per task",
                ideal: None,
                expected: flat,
                max_n: 100_000,
                fds_per_n: 0,
            },
            Pattern::Fanout => Spec {
                title: "chat fan-out to N receivers (delivery latency)",
                figure: "µs per delivery (mean)",
                ideal: None,
                expected: flat,
                max_n: 10_000,
                fds_per_n: 2,
            },
            Pattern::Producers => Spec {
                title: "a channel with N producers (time per item)",
                figure: "ns per item",
                ideal: None,
                expected: flat,
                max_n: 100_000,
                fds_per_n: 0,
            },
            Pattern::Planted => Spec {
                title: "self-test: spawn + join with a planted O(N) cost per task from N = 100",
                figure: "ns per task",
                ideal: None,
                expected: flat,
                max_n: 100,
                fds_per_n: 0,
            },
        }
    }

    /// Every name `--pattern` takes.
    pub fn names() -> String {
        use strum::VariantArray;
        Pattern::VARIANTS
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn parse(s: &str) -> Option<Pattern> {
        use strum::VariantArray;
        Pattern::VARIANTS.iter().copied().find(|p| p.name() == s)
    }

    /// Runs one round of this pattern at `plan.n` on a fresh `flavor` runtime.
    pub fn round(
        self,
        flavor: AsyncFlavor,
        workers: Option<usize>,
        server: Option<SocketAddr>,
        plan: Plan,
    ) -> Result<Vec<BatchFigures>, String> {
        let n = plan.n;
        match self {
            Pattern::Gather => {
                let server = server.ok_or("no test server")?;
                let case = FetchCase {
                    pattern: FetchPattern::JoinAll,
                    mode: ConnMode::KeepAlive,
                    n,
                    path: delay_path(GATHER_DELAY),
                    server,
                    timeout: IO_TIMEOUT,
                };
                round::run(flavor, workers, case, gather_figures, plan)
            }
            Pattern::SpawnJoin => round::run(flavor, workers, SpawnJoin { n, spin: None }, per_task, plan),
            Pattern::Planted => {
                let spin = (n >= PLANT_FROM).then(|| Duration::from_nanos(PLANT_NS_PER_N * n));
                round::run(flavor, workers, SpawnJoin { n, spin }, per_task, plan)
            }
            Pattern::Timers => round::run(flavor, workers, Timers { n }, timer_figures, plan),
            Pattern::IdleTasks => round::run(flavor, workers, IdleTasks { n }, idle_figures, plan),
            Pattern::Fanout => {
                let case = ChatCase {
                    variant: chat_broadcast::Variant::Fanout,
                    p: ChatBroadcast {
                        clients: u32::try_from(n + 1).map_err(|_| "N too large")?,
                        messages: FANOUT_LINES,
                        line_bytes: 64,
                        timeout: IO_TIMEOUT,
                    },
                };
                round::run(flavor, workers, case, latency_figures, plan)
            }
            Pattern::Producers => {
                let producers = u32::try_from(n).map_err(|_| "N too large")?;
                let p = Pipeline {
                    producers,
                    consumers: 1,
                    items: u32::try_from(PRODUCER_ITEMS.div_ceil(n)).unwrap_or(1),
                    capacity: 1024,
                    kinds: vec![Kind::Bounded],
                    timeout: IO_TIMEOUT,
                };
                round::run(flavor, workers, p.case::<AsyncChannel>(true), per_item, plan)
            }
        }
    }
}

fn gather_figures(b: &Batch, n: u64) -> BatchFigures {
    BatchFigures {
        value: b.wall.as_secs_f64() / GATHER_DELAY.as_secs_f64(),
        cpu_ns_per_op: cpu_per_op(b, n),
        bytes_per_task: None,
    }
}

fn per_task(b: &Batch, n: u64) -> BatchFigures {
    BatchFigures {
        value: b.wall.as_nanos() as f64 / n.max(1) as f64,
        cpu_ns_per_op: cpu_per_op(b, n),
        bytes_per_task: None,
    }
}

fn idle_figures(b: &Batch, n: u64) -> BatchFigures {
    BatchFigures {
        bytes_per_task: b.values.iter().find(|(k, _)| *k == "bytes_per_task_alloc").map(|v| v.1),
        ..per_task(b, n)
    }
}

/// Mean of the batch's operation latencies, µs, per delivery (or per timer).
fn latency_figures(b: &Batch, _: u64) -> BatchFigures {
    let ops = b.latencies.len() as u64;
    let sum: f64 = b.latencies.iter().map(Duration::as_secs_f64).sum();
    BatchFigures {
        value: 1e6 * sum / ops.max(1) as f64,
        cpu_ns_per_op: cpu_per_op(b, ops),
        bytes_per_task: None,
    }
}

fn timer_figures(b: &Batch, n: u64) -> BatchFigures {
    BatchFigures {
        cpu_ns_per_op: cpu_per_op(b, n),
        ..latency_figures(b, n)
    }
}

fn per_item(b: &Batch, _: u64) -> BatchFigures {
    let items = b.latencies.len() as u64;
    BatchFigures {
        value: b.wall.as_nanos() as f64 / items.max(1) as f64,
        cpu_ns_per_op: cpu_per_op(b, items),
        bytes_per_task: None,
    }
}

/// Spawns `n` tasks, then awaits every handle; each task spins `spin` first where planted.
struct SpawnJoin {
    n: u64,
    spin: Option<Duration>,
}

impl AsyncScenario for SpawnJoin {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        let spin = self.spin;
        let sw = Stopwatch::start();
        let handles: Vec<_> = (0..self.n)
            .map(|i| {
                rt.spawn(async move {
                    if let Some(d) = spin {
                        // A known CPU cost: busy until `d` has passed on this task's thread.
                        let t0 = Instant::now();
                        while t0.elapsed() < d {
                            std::hint::spin_loop();
                        }
                    }
                    std::hint::black_box(i)
                })
            })
            .collect();
        let mut failed = 0;
        for h in handles {
            failed += u64::from(h.await.is_err());
        }
        let mut b = Batch::timed(sw.stop());
        b.errors.add(crate::measure::ErrorKind::Join, failed);
        b
    }
}

/// `n` tasks, each sleeping [`TIMER_SLEEP`] from its first poll; each one's lateness.
struct Timers {
    n: u64,
}

impl AsyncScenario for Timers {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        let sw = Stopwatch::start();
        let handles: Vec<_> = (0..self.n)
            .map(|_| {
                let r = rt.clone();
                rt.spawn(async move {
                    let due = Instant::now() + TIMER_SLEEP;
                    r.sleep(TIMER_SLEEP).await;
                    Instant::now().saturating_duration_since(due)
                })
            })
            .collect();
        let mut outcomes = Vec::with_capacity(handles.len());
        for h in handles {
            outcomes.push(h.await);
        }
        Batch::from_outcomes(sw.stop(), outcomes)
    }
}

/// The batches per round at `n`: enough operations to average over at small N, two (a
/// within-round spread) at large N, where rounds buy more than batches (DESIGN: the spread lies
/// between runtime instances) and a batch of 10k connections takes seconds.
pub fn batches_for(n: u64) -> u32 {
    u32::try_from(1_000u64.div_ceil(n.max(1)).clamp(2, 10)).unwrap_or(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_batches_are_bounded() {
        for p in Pattern::DEFAULT.into_iter().chain([Pattern::Planted]) {
            assert_eq!(Pattern::parse(p.name()), Some(p));
        }
        assert_eq!(Pattern::parse("nope"), None);
        assert_eq!(batches_for(1), 10);
        assert_eq!(batches_for(1_000), 2);
        assert_eq!(batches_for(100_000), 2);
    }
}
