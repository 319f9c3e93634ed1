//! One round of one scaling point: a fresh runtime, the pattern's set-up, warm-up batches, then
//! the recorded batches, each turned into the pattern's per-operation figures. The same
//! [`AsyncScenario`] trait the scenarios implement, so a pattern reuses a scenario's case as it
//! is (`FetchCase`, `ChatCase`, `IdleTasks`, `PipelineCase`).

use std::time::Duration;

use crate::measure::Batch;
use crate::runtime::{self, AsyncFlavor, Owned, Runtime, RuntimeVisitor};
use crate::scenario::driver::AsyncScenario;

/// What one batch says at one N.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchFigures {
    /// The pattern's per-operation figure, in its unit.
    pub value: f64,
    /// CPU of the side under test per operation over the batch's timed region, ns.
    pub cpu_ns_per_op: Option<f64>,
    /// Live heap bytes per task while the N waited (idle tasks only).
    pub bytes_per_task: Option<f64>,
}

/// How many operations a batch made (N, deliveries, items…) and its figure from them.
pub type Figure = fn(&Batch, u64) -> BatchFigures;

/// CPU per operation of `b`'s timed region, where its stopwatch counted one.
pub fn cpu_per_op(b: &Batch, ops: u64) -> Option<f64> {
    (b.cost.windows > 0 && b.cost.untimed_batches == 0 && ops > 0).then(|| b.cost.cpu_ns as f64 / ops as f64)
}

/// A round's plan.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub n: u64,
    pub warmup: u32,
    pub batches: u32,
    /// The whole round (set-up included) past this is a failure.
    pub limit: Duration,
}

struct RoundRun<S> {
    case: S,
    figure: Figure,
    plan: Plan,
}

impl<S: AsyncScenario> RuntimeVisitor for RoundRun<S> {
    type Output = Result<Vec<BatchFigures>, String>;

    fn visit<R: Runtime>(self, owned: Owned<R>) -> Self::Output {
        let rt = owned.rt();
        let RoundRun { case, figure, plan } = self;
        rt.block_on(async {
            let work = async {
                let mut st = case.setup(rt).await?;
                let mut out = Vec::with_capacity(plan.batches as usize);
                for i in 0..plan.warmup + plan.batches {
                    let b = case.batch(rt, &mut st).await;
                    if b.errors.total() > 0 {
                        return Err(format!("{} (batch {})", b.errors, i + 1));
                    }
                    if i >= plan.warmup {
                        out.push(figure(&b, plan.n));
                    }
                }
                Ok(out)
            };
            match rt.timeout(plan.limit, work).await {
                Ok(r) => r,
                Err(_) => Err(format!("timed out after {} s", plan.limit.as_secs())),
            }
        })
    }
}

/// Runs one round of `case` on a fresh `flavor` runtime (`workers` threads where it has a
/// choice): the recorded batches' figures, or why the round failed (an error in any batch, a
/// set-up that failed, the round past its limit).
pub fn run<S: AsyncScenario>(
    flavor: AsyncFlavor,
    workers: Option<usize>,
    case: S,
    figure: Figure,
    plan: Plan,
) -> Result<Vec<BatchFigures>, String> {
    runtime::visit(flavor, workers, RoundRun { case, figure, plan })
        .map_err(|e| format!("cannot start {flavor}: {e}"))?
}
