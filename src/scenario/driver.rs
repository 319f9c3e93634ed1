//! Runs a scenario's batches on one runtime and records what they measured.
//! Both entry points (the criterion suite and the CLI) drive scenarios
//! through [`Bench`], so they time exactly the same code.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use crate::measure::Recorder;
use crate::runtime::{self, AsyncFlavor, Owned, Runtime, RuntimeVisitor};

/// What one batch (one criterion iteration) measured.
#[derive(Debug, Default)]
pub struct Batch {
    /// The batch's wall time, measured by the scenario around the part that
    /// the scenario's ideal describes (setup excluded).
    pub wall: Duration,
    /// Per-operation latencies of the operations that succeeded.
    pub latencies: Vec<Duration>,
    /// Operations that failed (transport error, timeout, unexpected status).
    pub errors: u64,
    /// Further timed metrics of this batch, each its own HDR histogram and
    /// summary row, e.g. `("loop_lag", lateness of each probe wake)`.
    pub extra: Vec<(&'static str, Vec<Duration>)>,
    /// Scenario-specific figures for this batch (averaged over batches in
    /// the summary), e.g. `("cpu_jobs_per_s", 812.0)`.
    pub values: Vec<(&'static str, f64)>,
}

impl Batch {
    /// Builds a batch from per-operation outcomes.
    pub fn from_outcomes<E>(wall: Duration, outcomes: impl IntoIterator<Item = Result<Duration, E>>) -> Batch {
        let mut b = Batch {
            wall,
            ..Batch::default()
        };
        for o in outcomes {
            match o {
                Ok(d) => b.latencies.push(d),
                Err(_) => b.errors += 1,
            }
        }
        b
    }
}

/// Everything recorded for one scenario × variant × runtime.
pub struct CaseRecord {
    pub latency: Recorder,
    /// One recorder per extra metric, by name.
    pub extra: BTreeMap<&'static str, Recorder>,
    /// Sum and count of each value, for the per-batch mean.
    pub values: BTreeMap<&'static str, (f64, u64)>,
    pub wall: Recorder,
    /// Per-batch wall times, kept for the confidence interval (capped so
    /// memory stays bounded on very long runs).
    pub wall_samples: Vec<u64>,
    pub errors: u64,
    pub ops: u64,
    /// Sum of batch wall times, for throughput.
    pub busy: Duration,
}

const MAX_WALL_SAMPLES: usize = 1_000_000;

impl Default for CaseRecord {
    fn default() -> Self {
        CaseRecord {
            latency: Recorder::new(),
            extra: BTreeMap::new(),
            values: BTreeMap::new(),
            wall: Recorder::new(),
            wall_samples: Vec::new(),
            errors: 0,
            ops: 0,
            busy: Duration::ZERO,
        }
    }
}

impl CaseRecord {
    pub fn add(&mut self, b: &Batch) {
        self.wall.record(b.wall);
        if self.wall_samples.len() < MAX_WALL_SAMPLES {
            self.wall_samples
                .push(u64::try_from(b.wall.as_nanos()).unwrap_or(u64::MAX));
        }
        for l in &b.latencies {
            self.latency.record(*l);
        }
        for (name, ds) in &b.extra {
            let r = self.extra.entry(name).or_default();
            for d in ds {
                r.record(*d);
            }
            r.tick();
        }
        for (name, v) in &b.values {
            let e = self.values.entry(name).or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
        self.errors += b.errors;
        self.ops += b.latencies.len() as u64 + b.errors;
        self.busy += b.wall;
        self.latency.tick();
        self.wall.tick();
    }

    /// The per-batch mean of a scenario value, if any batch reported it.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.values.get(name).map(|(sum, n)| sum / (*n).max(1) as f64)
    }

    /// Every value's per-batch mean, for the summary.
    pub fn value_means(&self) -> BTreeMap<String, f64> {
        self.values
            .keys()
            .filter_map(|k| Some((k.to_string(), self.value(k)?)))
            .collect()
    }

    pub fn batches(&self) -> u64 {
        self.wall.len()
    }
}

/// A scenario ready to run on one runtime.
pub trait Bench: Send {
    /// Runs `iters` batches, records each into `rec`, and returns the sum of
    /// their wall times (what criterion's `iter_custom` wants).
    fn run(&mut self, iters: u64, rec: Option<&mut CaseRecord>) -> Result<Duration, String>;
}

/// A scenario written once for every async runtime.
pub trait AsyncScenario: Send + Sync + 'static {
    /// Per-runtime state kept across batches (clients, pools, servers).
    type State<R: Runtime>: Send;
    fn setup<R: Runtime>(&self, rt: &R) -> impl Future<Output = Result<Self::State<R>, String>> + Send;
    fn batch<R: Runtime>(&self, rt: &R, state: &mut Self::State<R>) -> impl Future<Output = Batch> + Send;
}

struct AsyncBench<R: Runtime, S: AsyncScenario> {
    // Field order matters: the state (clients, tasks' handles) goes before
    // the runtime that drives it.
    state: Option<S::State<R>>,
    scenario: S,
    owned: Owned<R>,
}

impl<R: Runtime, S: AsyncScenario> Bench for AsyncBench<R, S> {
    fn run(&mut self, iters: u64, mut rec: Option<&mut CaseRecord>) -> Result<Duration, String> {
        let rt = self.owned.rt();
        let scenario = &self.scenario;
        let state = &mut self.state;
        rt.block_on(async {
            if state.is_none() {
                *state = Some(scenario.setup(rt).await?);
            }
            let Some(st) = state.as_mut() else {
                return Err("scenario state missing".to_string());
            };
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let b = scenario.batch(rt, st).await;
                total += b.wall;
                if let Some(r) = rec.as_deref_mut() {
                    r.add(&b);
                }
            }
            Ok(total)
        })
    }
}

struct Make<S>(S);

impl<S: AsyncScenario> RuntimeVisitor for Make<S> {
    type Output = Box<dyn Bench>;
    fn visit<R: Runtime>(self, owned: Owned<R>) -> Box<dyn Bench> {
        Box::new(AsyncBench {
            state: None,
            scenario: self.0,
            owned,
        })
    }
}

/// Builds `scenario` on the case's runtime: the step every async scenario's
/// `prepare` ends with.
pub fn prepare_async<S: AsyncScenario>(
    case: &super::CaseSpec,
    env: &super::Env,
    scenario: S,
) -> Result<Box<dyn Bench>, String> {
    let flavor = case
        .flavor
        .as_async()
        .ok_or_else(|| format!("{} is not an async runtime", case.flavor))?;
    async_bench(flavor, env.workers, scenario).map_err(|e| format!("cannot start {flavor}: {e}"))
}

/// Builds `scenario` on the runtime `flavor`.
pub fn async_bench<S: AsyncScenario>(
    flavor: AsyncFlavor,
    workers: Option<usize>,
    scenario: S,
) -> io::Result<Box<dyn Bench>> {
    runtime::visit(flavor, workers, Make(scenario))
}

/// A blocking baseline: a closure that runs one batch.
pub struct BlockingBench<F: FnMut() -> Batch + Send>(pub F);

impl<F: FnMut() -> Batch + Send> Bench for BlockingBench<F> {
    fn run(&mut self, iters: u64, mut rec: Option<&mut CaseRecord>) -> Result<Duration, String> {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let b = (self.0)();
            total += b.wall;
            if let Some(r) = rec.as_deref_mut() {
                r.add(&b);
            }
        }
        Ok(total)
    }
}

/// Times `f`, returning its output and how long it took.
pub async fn timed<F: Future>(f: F) -> (F::Output, Duration) {
    let t0 = Instant::now();
    let out = f.await;
    (out, t0.elapsed())
}
