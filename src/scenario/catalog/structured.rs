//! `structured` — the guide's "Structured concurrency (TaskGroup)",
//! "Exception handling" and "Task cancellation and cleanup": a [`TaskGroup`]
//! of N children in which one fails at a known time F. Measures how long the
//! group takes from the failure to its exit with every sibling stopped, how
//! many children outlive the scope (must be 0) and how many sibling clean-up
//! guards ran (must be N-1); and, on the happy path, the cost per child.

use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::support::group::{Census, ChildFailure, TaskGroup};
use crate::scenario::{CaseSpec, Env, Ideal, ScenarioDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// One child fails after F; the N-1 siblings (working for S > F) must be
    /// cancelled and cleaned up before the group exits.
    OneFails,
    /// N children that succeed at once: what the group costs per child.
    AllSucceed,
}

impl Variant {
    pub const NAMES: [&'static str; 2] = ["one_fails", "all_succeed"];

    fn parse(s: &str) -> Option<Variant> {
        match s {
            "one_fails" => Some(Variant::OneFails),
            "all_succeed" => Some(Variant::AllSucceed),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    children: Spanned<u64>,
    fail_after_ms: Spanned<u64>,
    sibling_work_ms: Spanned<u64>,
}

pub const MAX_CHILDREN: u64 = 100_000;
pub const MAX_MS: u64 = 60_000;

#[derive(Debug, Clone)]
pub struct Structured {
    header: Header,
    pub children: usize,
    pub fail_after: Duration,
    pub sibling_work: Duration,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &Variant::NAMES, &runtimes)?;
    let p = &f.params;
    // At least one sibling, or there is nothing to cancel.
    let children = src.range(&p.children, "params.children", 2, MAX_CHILDREN)?;
    let fail_after = src.range(&p.fail_after_ms, "params.fail_after_ms", 1, MAX_MS)?;
    // Siblings must still be working when the failure comes, or they would
    // finish instead of being cancelled.
    let lo = fail_after.saturating_mul(2);
    let sibling_work = src.range(&p.sibling_work_ms, "params.sibling_work_ms", lo, MAX_MS.max(lo))?;
    Ok(Box::new(Structured {
        header,
        children: children as usize,
        fail_after: Duration::from_millis(fail_after),
        sibling_work: Duration::from_millis(sibling_work),
    }))
}

impl ScenarioDef for Structured {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(variant) = Variant::parse(v) else { continue };
            let (ideal, notes) = match variant {
                Variant::OneFails => (
                    Some(Ideal {
                        ns: u64::try_from(self.fail_after.as_nanos()).unwrap_or(u64::MAX),
                        formula: format!(
                            "F = {} ms (the failure; cancelling is ideally free)",
                            self.fail_after.as_millis()
                        ),
                    }),
                    vec![
                        "latency = failure → each sibling's clean-up guard ran; failure_to_exit = failure → group exit"
                            .to_string(),
                        format!(
                            "tasks_leaked must be 0, cleanup_guards_run must be N-1 = {}",
                            self.children - 1
                        ),
                    ],
                ),
                Variant::AllSucceed => (
                    None,
                    vec!["latency = group start → each child done; ns_per_child = wall / N".to_string()],
                ),
            };
            for &flavor in &self.header.runtimes {
                out.push(CaseSpec {
                    key: Default::default(),
                    variant: v.clone(),
                    flavor,
                    ideal: ideal.clone(),
                    ops_per_batch: self.children as u64,
                    notes: notes.clone(),
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let variant = Variant::parse(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let s = StructuredCase {
            variant,
            children: self.children,
            fail_after: self.fail_after,
            sibling_work: self.sibling_work,
        };
        driver::prepare_async(case, env, s)
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
pub struct StructuredCase {
    pub variant: Variant,
    pub children: usize,
    pub fail_after: Duration,
    pub sibling_work: Duration,
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
        let t0 = Instant::now();
        let mut group: TaskGroup<R, (), Instant> = TaskGroup::new(rt);
        for i in 0..self.children {
            let mut alive = census.enter();
            let r = rt.clone();
            // The failing child is spawned last, so every sibling is already
            // running when it fails.
            if i + 1 == self.children {
                let f = self.fail_after;
                group.spawn(async move {
                    r.sleep(f).await;
                    alive.finish();
                    Err(Instant::now())
                });
            } else {
                let s = self.sibling_work;
                group.spawn(async move {
                    r.sleep(s).await;
                    alive.finish();
                    Ok(())
                });
            }
        }
        let exit = group.join().await;
        let exited = Instant::now();
        // Read at once: structured means nothing is left at this point.
        let leaked = census.live();
        let cleanups = census.cleanups();
        let mut b = Batch {
            wall: exited - t0,
            ..Batch::default()
        };
        let failed_at = match exit.failure {
            Some(ChildFailure::Failed(at)) => Some(at),
            _ => None,
        };
        match failed_at {
            Some(at) => {
                b.latencies = census
                    .cleaned_at()
                    .into_iter()
                    .map(|c| c.saturating_duration_since(at))
                    .collect();
                b.extra
                    .push(("failure_to_exit", vec![exited.saturating_duration_since(at)]));
            }
            // The designated child did not fail first: the batch measured nothing.
            None => b.errors += 1,
        }
        // Siblings that ran to completion were not cancelled.
        let finished = exit.ok.len();
        b.values = vec![
            ("tasks_leaked", leaked as f64),
            ("cleanup_guards_run", cleanups as f64),
            ("expected_cleanup_guards", (self.children - 1) as f64),
            ("siblings_finished", finished as f64),
            ("siblings_cancelled", exit.cancelled as f64),
        ];
        b
    }

    async fn all_succeed<R: Runtime>(&self, rt: &R) -> Batch {
        let census = Census::new();
        let t0 = Instant::now();
        let mut group: TaskGroup<R, Duration, ()> = TaskGroup::new(rt);
        for _ in 0..self.children {
            let mut alive = census.enter();
            group.spawn(async move {
                alive.finish();
                Ok(t0.elapsed())
            });
        }
        let exit = group.join().await;
        let wall = t0.elapsed();
        let leaked = census.live();
        let n = self.children as f64;
        let mut b = Batch {
            wall,
            // A child that did not finish was cancelled by the group (or failed).
            errors: [(crate::measure::ErrorKind::Join, (self.children - exit.ok.len()) as u64)]
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
