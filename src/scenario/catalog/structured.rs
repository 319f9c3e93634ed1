//! `structured` — the guide's "Structured concurrency (TaskGroup)",
//! "Exception handling" and "Task cancellation and cleanup": a [`TaskGroup`]
//! of N children in which one fails at a known time F. Measures how long the
//! group takes from the failure to its exit with every sibling stopped, how
//! many children outlive the scope (must be 0) and how many sibling clean-up
//! guards ran (must be N-1); and, on the happy path, the cost per child.

use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::param;
use crate::results::{Comparison, Side};
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::group::{Census, ChildFailure, TaskGroup};
use crate::scenario::{Case, CaseSpec, Env, Ideal, Scenario, ScenarioError, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// One child fails after F; the N-1 siblings (working for S > F) must be
    /// cancelled and cleaned up before the group exits.
    OneFails,
    /// N children that succeed at once: what the group costs per child.
    AllSucceed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    children: Spanned<u64>,
    fail_after_ms: Spanned<u64>,
    sibling_work_ms: Spanned<u64>,
}

pub const MAX_CHILDREN: u64 = 100_000;
pub const MAX_MS: u64 = 60_000;

/// The checked parameters.
#[derive(Debug, Clone, Copy)]
pub struct Structured {
    pub children: usize,
    pub fail_after: Duration,
    pub sibling_work: Duration,
}

impl Scenario for Structured {
    const NAME: &'static str = "structured";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        // At least one sibling, or there is nothing to cancel.
        let children = param!(src, p.children, 2, MAX_CHILDREN)?;
        let fail_after = param!(src, p.fail_after_ms, 1, MAX_MS)?;
        // Siblings must still be working when the failure comes, or they
        // would finish instead of being cancelled.
        let lo = fail_after.saturating_mul(2);
        let sibling_work = param!(src, p.sibling_work_ms, lo, MAX_MS.max(lo))?;
        Ok(Structured {
            children: children as usize,
            fail_after: Duration::from_millis(fail_after),
            sibling_work: Duration::from_millis(sibling_work),
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let case = Case::new(self.children as u64, "children");
        vec![match v {
            Variant::OneFails => case
                .ideal(Ideal::of(
                    self.fail_after,
                    format!(
                        "F = {} ms (the failure; cancelling is ideally free)",
                        self.fail_after.as_millis()
                    ),
                ))
                .note("latency = failure → each sibling's clean-up guard ran; failure_to_exit = failure → group exit")
                .note(format!(
                    "tasks_leaked must be 0, cleanup_guards_run must be N-1 = {}",
                    self.children - 1
                )),
            Variant::AllSucceed => case.note("latency = group start → each child done; ns_per_child = wall / N"),
        }]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        driver::prepare_async(case, env, StructuredCase { variant, p: *self })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        // The two variants do different work (a failure and its cancellations vs N successes):
        // each is compared across runtimes, never with the other.
        vec![
            Comparison::runtimes_of(
                Side::metric("one_fails", "failure_to_exit"),
                "how soon after one child fails each runtime's group has cancelled the rest and exited, median per round",
            )
            .headline(),
            Comparison::runtimes("all_succeed", "what a task group costs per child on each runtime"),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "N={} children, one fails after F={} ms, siblings work S={} ms",
            self.children,
            self.fail_after.as_millis(),
            self.sibling_work.as_millis()
        )
    }
}

/// One structured case: the same code on every runtime.
#[derive(Debug, Clone, Copy)]
pub struct StructuredCase {
    pub variant: Variant,
    pub p: Structured,
}

impl AsyncScenario for StructuredCase {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _state: &mut ()) -> Batch {
        match self.variant {
            Variant::OneFails => self.one_fails(rt).await,
            Variant::AllSucceed => self.all_succeed(rt).await,
        }
    }
}

impl StructuredCase {
    async fn one_fails<R: Runtime>(&self, rt: &R) -> Batch {
        let census = Census::new();
        let sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        let mut group: TaskGroup<R, (), Instant> = TaskGroup::new(rt);
        let n = self.p.children;
        for i in 0..n {
            let mut alive = census.enter();
            let r = rt.clone();
            // The failing child is spawned last, so every sibling is already
            // running when it fails.
            if i + 1 == n {
                let f = self.p.fail_after;
                group.spawn(async move {
                    r.sleep(f).await;
                    alive.finish();
                    Err(Instant::now())
                });
            } else {
                let s = self.p.sibling_work;
                group.spawn(async move {
                    r.sleep(s).await;
                    alive.finish();
                    Ok(())
                });
            }
        }
        let exit = group.join().await;
        let timed = sw.stop();
        let exited = t0 + timed.wall;
        // Read at once: structured means nothing is left at this point.
        let leaked = census.live();
        let cleanups = census.cleanups();
        let mut b = Batch::timed(timed);
        match exit.failure {
            Some(ChildFailure::Failed(at)) => {
                b.latencies = census
                    .cleaned_at()
                    .into_iter()
                    .map(|c| c.saturating_duration_since(at))
                    .collect();
                b.extra
                    .push(("failure_to_exit", vec![exited.saturating_duration_since(at)]));
            }
            // The batch measured nothing: a child died instead of failing…
            Some(ChildFailure::Join(_)) => b.errors.add(ErrorKind::Join, 1),
            // …or the group ended without the planted failure.
            None => b.errors.add(ErrorKind::Invalid, 1),
        }
        // Siblings that ran to completion were not cancelled.
        let finished = exit.ok.len();
        b.values = vec![
            ("tasks_leaked", leaked as f64),
            ("cleanup_guards_run", cleanups as f64),
            ("expected_cleanup_guards", (n - 1) as f64),
            ("siblings_finished", finished as f64),
            ("siblings_cancelled", exit.cancelled as f64),
        ];
        b
    }

    async fn all_succeed<R: Runtime>(&self, rt: &R) -> Batch {
        let census = Census::new();
        let sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        let mut group: TaskGroup<R, Duration, ()> = TaskGroup::new(rt);
        let children = self.p.children;
        for _ in 0..children {
            let mut alive = census.enter();
            group.spawn(async move {
                alive.finish();
                Ok(t0.elapsed())
            });
        }
        let exit = group.join().await;
        let timed = sw.stop();
        let wall = timed.wall;
        let leaked = census.live();
        let n = children as f64;
        let mut b = Batch {
            wall,
            cost: timed.cost,
            // A child that did not finish was cancelled by the group (or failed).
            errors: [(ErrorKind::Join, (children - exit.ok.len()) as u64)]
                .into_iter()
                .collect(),
            latencies: exit.ok,
            ..Batch::default()
        };
        b.values = vec![
            ("ns_per_child", wall.as_nanos() as f64 / n),
            ("tasks_leaked", leaked as f64),
            ("cleanup_guards_run", census.cleanups() as f64),
        ];
        b
    }
}
