//! Runs a scenario's batches on one runtime and records what they measured.
//! Both entry points (the criterion suite and the CLI) drive scenarios
//! through [`Bench`], so they time exactly the same code.

use std::future::Future;
use std::io;
use std::time::Duration;

use crate::measure::cost::{Stopwatch, Timed};
use crate::measure::{Batch, CaseRecord};
use crate::runtime::{self, AsyncFlavor, Owned, Runtime, RuntimeVisitor};

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

/// What [`Bench::run`] does with each batch, whoever ran it: adds its wall time to the sum
/// criterion wants and records it.
fn count(b: &Batch, total: &mut Duration, rec: &mut Option<&mut CaseRecord>) {
    *total += b.wall;
    if let Some(r) = rec.as_deref_mut() {
        r.add(b);
    }
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
                // The root future gets the task-metrics wrapper too, as every spawned task does.
                let b = crate::measure::task_metrics::instrument(scenario.batch(rt, st)).await;
                count(&b, &mut total, &mut rec);
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
            count(&(self.0)(), &mut total, &mut rec);
        }
        Ok(total)
    }
}

/// Times `f` with a [`Stopwatch`], returning its output and its timed region.
pub async fn timed<F: Future>(f: F) -> (F::Output, Timed) {
    let sw = Stopwatch::start();
    let out = f.await;
    (out, sw.stop())
}
