//! `task_memory` — the guide's "coroutines vs tasks vs threads" answered
//! with numbers: N tasks that each wait on a channel that never delivers,
//! spawned on each runtime through the one generic [`Runtime::spawn`], and
//! N OS threads waiting on a condition variable as the `threads` baseline.
//!
//! Per batch: bytes per task left live by the allocator (allocated − freed
//! while the N wait; needs the `count-allocs` feature), bytes per task of
//! resident memory growth (`/proc/self/statm`), time per task to spawn them
//! (until every one has started waiting) and to tear them down (close the
//! channel, every task returns, every handle is awaited).
//!
//! RSS is only meaningful if freed memory went back to the kernel: each
//! batch starts with `malloc_trim(0)` (glibc), so the allocator's cache of
//! the previous batch does not hide the growth. Thread stacks count in RSS
//! only for the pages a thread touched (a few KiB of its 2 MiB default).
//! The figures are per-batch means: one batch = one N.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::measure::alloc::{self, AllocCounts};
use crate::measure::cost::{Stopwatch, Timed};
use crate::results::{Comparison, Figure};
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench, BlockingBench};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};

/// Largest N for tasks: 1,000,000 fits in memory (a few hundred MB) but not in the suite's time
/// budget on a 2-core machine; the shipped file stops at 100,000.
pub const MAX_TASKS: u64 = 1_000_000;
/// Largest N for OS threads: each takes a kernel task and a stack mapping, and spawning tens of
/// thousands takes seconds per batch.
pub const MAX_THREADS: u64 = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// Each task awaits `recv()` on one shared channel whose sender stays open.
    IdleChannel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    tasks: Spanned<Vec<Spanned<u64>>>,
    max_threads: Spanned<u64>,
}

#[derive(Debug, Clone)]
pub struct TaskMemory {
    /// The N of each sub-case, ascending.
    pub tasks: Vec<u64>,
    /// The `threads` baseline runs only the Ns up to this.
    pub max_threads: u64,
}

impl Scenario for TaskMemory {
    const NAME: &'static str = "task_memory";
    type Params = Params;
    type Variant = Variant;

    fn runtimes() -> Vec<Flavor> {
        Flavor::all_async().into_iter().chain([Flavor::Threads]).collect()
    }

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let mut tasks = Vec::new();
        for n in p.tasks.get_ref() {
            tasks.push(src.range(n, "params.tasks", 1, MAX_TASKS)?);
        }
        if tasks.is_empty() {
            return Err(crate::param_error!(
                src,
                p.tasks,
                "give at least one N, each 1..={MAX_TASKS}"
            ));
        }
        tasks.sort_unstable();
        tasks.dedup();
        Ok(TaskMemory {
            tasks,
            max_threads: crate::param!(src, p.max_threads, 1, MAX_THREADS)?,
        })
    }

    fn cases(&self, _: Variant, flavor: Flavor) -> Vec<Case> {
        let threads = flavor == Flavor::Threads;
        self.tasks
            .iter()
            .enumerate()
            .filter(|(_, n)| !threads || **n <= self.max_threads)
            .map(|(i, &n)| {
                Case::new(n, if threads { "threads" } else { "tasks" })
                    .sub(i, format!("n{n}"))
                    .note(if threads {
                        format!("{n} OS threads (default stack) each waiting on one condition variable")
                    } else {
                        format!("{n} tasks each awaiting recv() on one async-channel whose sender stays open")
                    })
                    .note(
                        "latency samples are spawn time per task (one per batch); teardown_per_task is its own row; \
                         bytes_per_task_alloc (live bytes), allocs_per_task, bytes_per_task_rss in the scenario figures",
                    )
            })
            .collect()
    }

    fn prepare(&self, _: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let n = case.ops_per_batch;
        if case.flavor == Flavor::Threads {
            return Ok(Box::new(BlockingBench(move || threads_batch(n))));
        }
        driver::prepare_async(case, env, IdleTasks { n })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        let name = |n: u64| format!("idle_channel-n{n}");
        let mut out = Vec::new();
        if let (Some(&lo), Some(&hi)) = (self.tasks.first(), self.tasks.last())
            && hi > lo
        {
            out.push(Comparison::variants(
                name(hi),
                name(lo),
                format!("does spawning and tearing down cost more per task at N = {hi} than at N = {lo}?"),
            ));
            out.push(
                Comparison::variants(
                    name(hi),
                    name(lo),
                    format!("live bytes per task at N = {hi} vs N = {lo}"),
                )
                .on(Figure::Value("bytes_per_task_alloc".into())),
            );
        }
        for &n in &self.tasks {
            out.push(Comparison::runtimes(
                name(n),
                format!("coroutines vs tasks vs threads: spawn + teardown per task, N = {n}"),
            ));
            let bytes = Comparison::runtimes(
                name(n),
                format!("coroutines vs tasks vs threads: live bytes per task, N = {n}"),
            )
            .on(Figure::Value("bytes_per_task_alloc".into()));
            // The guide's question at the largest N: what an idle task costs.
            out.push(if Some(&n) == self.tasks.last() {
                bytes.headline()
            } else {
                bytes
            });
        }
        out
    }

    fn describe(&self) -> String {
        let ns: Vec<String> = self.tasks.iter().map(u64::to_string).collect();
        format!("N = {} idle tasks; threads up to {}", ns.join(", "), self.max_threads)
    }
}

/// Memory before the N were spawned: the allocator's totals and resident pages.
struct Footprint {
    alloc: Option<AllocCounts>,
    rss: Option<u64>,
}

impl Footprint {
    fn now() -> Footprint {
        trim();
        Footprint {
            alloc: alloc::counts(),
            rss: rss_bytes(),
        }
    }

    /// The per-task figures once the N are all waiting, plus the two times.
    /// `timed` is the stopwatch's region: spawn then teardown, the footprint reading between
    /// them paused out.
    fn batch(self, n: u64, timed: Timed, spawn: Duration, grown: (Option<AllocCounts>, Option<u64>)) -> Batch {
        let teardown = timed.wall.saturating_sub(spawn);
        let per = |x: f64| x / n as f64;
        let mut values = vec![
            ("tasks", n as f64),
            ("spawn_ns_per_task", per(spawn.as_nanos() as f64)),
            ("teardown_ns_per_task", per(teardown.as_nanos() as f64)),
        ];
        if let (Some(a), Some(b)) = (grown.0, self.alloc) {
            let d = a.since(b);
            values.push(("bytes_per_task_alloc", per(d.live_bytes() as f64)));
            values.push(("allocs_per_task", per(d.allocs as f64)));
        }
        if let (Some(a), Some(b)) = (grown.1, self.rss) {
            values.push(("bytes_per_task_rss", per(a as f64 - b as f64)));
        }
        Batch {
            wall: timed.wall,
            cost: timed.cost,
            latencies: vec![spawn / u32::try_from(n).unwrap_or(u32::MAX)],
            extra: vec![(
                "teardown_per_task",
                vec![teardown / u32::try_from(n).unwrap_or(u32::MAX)],
            )],
            values,
            ..Batch::default()
        }
    }
}

/// Resident set size from `/proc/self/statm` (pages × page size).
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Gives freed heap memory back to the kernel, so RSS growth is not hidden by memory the
/// allocator kept from the previous batch.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the C allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The async side, one code path for every runtime.
pub struct IdleTasks {
    pub n: u64,
}

impl AsyncScenario for IdleTasks {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        idle_tasks(rt, self.n).await
    }
}

/// Spawns `n` tasks that wait forever on a channel, measures them, tears them down.
pub async fn idle_tasks<R: Runtime>(rt: &R, n: u64) -> Batch {
    let mut handles = Vec::with_capacity(usize::try_from(n).unwrap_or(usize::MAX));
    let (tx, rx) = async_channel::bounded::<()>(1);
    let started = Arc::new(AtomicU64::new(0));
    let before = Footprint::now();
    let mut sw = Stopwatch::start();
    for _ in 0..n {
        let (rx, started) = (rx.clone(), started.clone());
        handles.push(rt.spawn(async move {
            started.fetch_add(1, Ordering::Relaxed);
            // Never delivers: the sender is only ever closed.
            let _ = rx.recv().await;
        }));
    }
    // Every task has been polled once and parked on the channel (the counter is bumped in the
    // same poll that registers the wait).
    while started.load(Ordering::Relaxed) < n {
        rt.yield_now().await;
    }
    sw.pause();
    let spawn = sw.elapsed();
    let grown = (alloc::counts(), rss_bytes());
    sw.resume();
    tx.close();
    for h in handles.drain(..) {
        let _ = h.await;
    }
    let timed = sw.stop();
    drop(rx);
    before.batch(n, timed, spawn, grown)
}

/// The `threads` baseline: `n` OS threads parked on one condition variable.
pub fn threads_batch(n: u64) -> Batch {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let started = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(usize::try_from(n).unwrap_or(usize::MAX));
    let before = Footprint::now();
    let mut sw = Stopwatch::start();
    for _ in 0..n {
        let (gate, started) = (gate.clone(), started.clone());
        let spawned = std::thread::Builder::new()
            .name("asyncbench-idle".into())
            .spawn(move || {
                let (lock, cv) = &*gate;
                let mut open = lock.lock().unwrap_or_else(|e| e.into_inner());
                started.fetch_add(1, Ordering::Relaxed);
                while !*open {
                    open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
                }
            });
        match spawned {
            Ok(h) => handles.push(h),
            // Out of threads: measure what did start and say so in the count.
            Err(_) => break,
        }
    }
    let spawned = handles.len() as u64;
    while started.load(Ordering::Relaxed) < spawned {
        std::thread::yield_now();
    }
    sw.pause();
    let spawn = sw.elapsed();
    let grown = (alloc::counts(), rss_bytes());
    sw.resume();
    *gate.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
    gate.1.notify_all();
    for h in handles {
        let _ = h.join();
    }
    let timed = sw.stop();
    let mut b = before.batch(spawned.max(1), timed, spawn, grown);
    if spawned < n {
        b.errors.add(crate::measure::ErrorKind::Io, n - spawned);
    }
    b
}
