//! `cpu_offload` — the guide's "Running blocking code safely" (to_thread /
//! run_in_executor) and "when asyncio is not the best choice": J tasks keep
//! a fixed CPU job (see [`cpu_job`](super::cpu_job)) running while victim
//! tasks issue R keep-alive requests each, one after another; the job runs
//! inline on the executor, on the runtime's blocking pool, on rayon, or on
//! one dedicated thread. `no_load` runs the same victims with no job at all:
//! its victim latency and scheduling delay are the reference the other variants are
//! compared with (same run, same runtime, measured the same way).
//!
//! The load is sustained, not a fixed count: job tasks start a new job as
//! soon as the last one returns, until the victims are done, so every victim
//! request meets the load and the job count per batch is itself measured
//! (`cpu_jobs`, `cpu_jobs_per_s`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorCounts, ErrorKind, OpError};
use crate::results::{Comparison, Side};
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::cpu_job::{Job, Place};
use crate::scenario::support::probe::Probes;
use crate::scenario::support::victims::{LastFinish, MAX_VICTIM_REQUESTS, VictimCfg, Watched, join_victims};
use crate::scenario::{Case, CaseSpec, Env, Ideal, Scenario, ScenarioError, Source};
use crate::{param, param_error};

/// Where the job tasks send the CPU job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// No job at all: the reference.
    NoLoad,
    Inline,
    BlockingPool,
    Rayon,
    DedicatedThread,
}

impl Variant {
    fn note(self, j: u64) -> String {
        match self {
            Variant::NoLoad => "no CPU job: this variant's victim latency and sched_delay are the reference for the \
                                others (same run, same runtime)"
                .into(),
            Variant::Inline => {
                format!("{j} job tasks run the job on the executor thread itself, then yield: CPU work on the loop")
            }
            Variant::BlockingPool => format!(
                "{j} job tasks hand the job to the runtime's blocking pool (Runtime::spawn_blocking) and await it"
            ),
            Variant::Rayon => format!(
                "{j} job tasks hand the job to a rayon pool (rayon's default size, one thread per core) and await \
                 a futures oneshot"
            ),
            Variant::DedicatedThread => format!(
                "{j} job tasks send the job to one dedicated std thread (one job at a time) and await a oneshot"
            ),
        }
    }

    /// Starts what the variant's place needs; `None` for `no_load`.
    fn place(self) -> Result<Option<Place>, String> {
        Ok(match self {
            Variant::NoLoad => None,
            Variant::Inline => Some(Place::Inline),
            Variant::BlockingPool => Some(Place::blocking_pool()),
            Variant::Rayon => Some(Place::rayon()?),
            Variant::DedicatedThread => Some(Place::dedicated()?),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    job_kib: Spanned<u64>,
    job_passes: Spanned<u64>,
    jobs_in_flight: Spanned<u64>,
    victims: Spanned<u64>,
    victim_requests: Spanned<u64>,
    victim_delay_ms: Spanned<u64>,
    probe_period_ms: Spanned<u64>,
    timeout_ms: Spanned<u64>,
}

pub const MAX_JOB_KIB: u64 = 16 * 1024;
pub const MAX_JOB_PASSES: u64 = 10_000;
pub const MAX_JOBS_IN_FLIGHT: u64 = 256;
/// R·D bound: the victims' unloaded time per batch.
pub const MAX_VICTIM_TIME_MS: u64 = 10_000;
/// A job task never runs more jobs than this in one batch (memory bound).
const MAX_JOBS_PER_TASK: usize = 1_000_000;

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct CpuOffload {
    pub job_kib: u64,
    pub job_passes: u32,
    pub jobs_in_flight: u64,
    pub victim_requests: u64,
    pub victims: VictimCfg,
}

impl Scenario for CpuOffload {
    const NAME: &'static str = "cpu_offload";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let job_kib = param!(src, p.job_kib, 1, MAX_JOB_KIB)?;
        let job_passes = param!(src, p.job_passes, 1, MAX_JOB_PASSES)?;
        let jobs_in_flight = param!(src, p.jobs_in_flight, 1, MAX_JOBS_IN_FLIGHT)?;
        let victim_requests = param!(src, p.victim_requests, 1, MAX_VICTIM_REQUESTS)?;
        let victims = VictimCfg::check(src, &p.victims, &p.victim_delay_ms, &p.probe_period_ms, &p.timeout_ms)?;
        let unloaded_ms = victim_requests * victims.delay.as_millis() as u64;
        if unloaded_ms > MAX_VICTIM_TIME_MS {
            return Err(param_error!(
                src,
                p.victim_requests,
                "victim_requests × victim_delay_ms = {unloaded_ms} ms is too long for one batch; allowed at most \
                 {MAX_VICTIM_TIME_MS} ms"
            ));
        }
        Ok(CpuOffload {
            job_kib,
            job_passes: job_passes as u32,
            jobs_in_flight,
            victim_requests,
            victims,
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let (r, d) = (self.victim_requests, self.victims.delay);
        let case = Case::new(r * self.victims.tasks as u64, "victim requests")
            .ideal(Ideal::requests(
                r,
                d,
                &crate::scenario::support::fetch::delay_path(d),
                // The victims' client keeps its connections alive (support/victims.rs).
                crate::client::ConnMode::KeepAlive,
                format!("R·D = {r} × {} ms (the victims, unloaded)", d.as_millis()),
            ))
            .note(v.note(self.jobs_in_flight))
            .note(format!(
                "latency = the victims: {} tasks × {r} GET /delay/{} one after another over keep-alive; \
                     wall = until the victims finish",
                self.victims.tasks,
                d.as_millis()
            ))
            .note(
                "job tasks start a new job as soon as the last returns, until the victims finish, and yield \
                     after each (the await a handler has between CPU chunks; without it inline jobs would \
                     never let a one-thread loop serve the victims); cpu_job row = submit→result per job; \
                     cpu_job_ns = one job alone on one thread (median of 5, measured in setup)",
            )
            .note(self.victims.lag_note());
        let offloads = matches!(v, Variant::BlockingPool | Variant::Rayon | Variant::DedicatedThread);
        vec![if offloads {
            case.note(
                "offload threads (blocking pool, rayon, dedicated thread) run on the multi-thread CPU set, \
                     not the loop's: offload_threads = threads that ran jobs, offload_threads_off_loop_cpus = \
                     of those, allowed a CPU the batch's thread (the loop, on -ct) is not, offload_cpus / \
                     loop_cpus = CPUs in their masks, read back with sched_getaffinity, offload_cpus_not_loop = \
                     of the offload CPUs, those outside the loop's mask; the jobs' CPU demand is cpu_jobs_per_s × \
                     cpu_job_ns (CPUs' worth of jobs completed per second): where it exceeds \
                     offload_cpus_not_loop, job threads must share the loop's CPU",
            )
        } else {
            case
        }]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = OffloadCase {
            variant,
            p: self.clone(),
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        let mut out = Vec::new();
        for v in ["inline", "blocking_pool", "rayon", "dedicated_thread"] {
            let c = Comparison::variants(
                v,
                "no_load",
                format!("with CPU jobs run {v}: the victims' requests against no CPU load, per victim request"),
            );
            // The guide's question: does offloading (to_thread) keep the other requests fast?
            out.push(if v == "blocking_pool" { c.headline() } else { c });
            out.push(Comparison::rows(
                Side::metric(v, "sched_delay"),
                Side::metric("no_load", "sched_delay"),
                format!("with CPU jobs run {v}: the loop's wake-to-poll delay against no CPU load, median per round"),
            ));
        }
        out
    }

    fn describe(&self) -> String {
        format!(
            "job {} KiB × {} passes, J={} in flight, R={} requests per victim; {}",
            self.job_kib,
            self.job_passes,
            self.jobs_in_flight,
            self.victim_requests,
            self.victims.describe()
        )
    }
}

/// One cpu_offload case: the same code on every runtime.
pub struct OffloadCase {
    pub variant: Variant,
    pub p: CpuOffload,
    pub server: SocketAddr,
}

pub struct OffloadState<R: Runtime> {
    watched: Watched<R>,
    job: Job,
    /// The job's result, which every run must reproduce.
    expected: u64,
    cpu_job_ns: f64,
    /// `None` for `no_load`.
    place: Option<Place>,
}

/// What one job task did in a batch.
struct JobTally {
    latencies: Vec<Duration>,
    errors: ErrorCounts,
    /// When the task's last job returned.
    finished: Instant,
}

impl AsyncScenario for OffloadCase {
    type State<R: Runtime> = OffloadState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<OffloadState<R>, String> {
        let place = self.variant.place()?;
        let watched = Watched::setup(rt, self.server, &self.p.victims).await?;
        let job = Job::new(self.p.job_kib, self.p.job_passes);
        // Measured here, with nothing else running, on the calling thread.
        let (cpu_job_ns, expected) = job.calibrate(5);
        Ok(OffloadState {
            watched,
            job,
            expected,
            cpu_job_ns,
            place,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut OffloadState<R>) -> Batch {
        let probe = Probes::start(rt, &st.watched.clock, self.p.victims.probe_period);
        let stop = Arc::new(AtomicBool::new(false));
        let sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        // The load first: the victims arrive at a runtime already busy.
        let job_tasks: Vec<_> = st
            .place
            .iter()
            .flat_map(|place| (0..self.p.jobs_in_flight).map(move |_| place.clone()))
            .map(|place| {
                let (r, job, expected, stop) = (rt.clone(), st.job.clone(), st.expected, stop.clone());
                rt.spawn(async move {
                    let mut t = JobTally {
                        latencies: Vec::new(),
                        errors: ErrorCounts::default(),
                        finished: Instant::now(),
                    };
                    while !stop.load(Ordering::Acquire) && t.latencies.len() < MAX_JOBS_PER_TASK {
                        let j0 = Instant::now();
                        match place.run(&r, &job).await {
                            Ok(h) if h == expected => t.latencies.push(j0.elapsed()),
                            Ok(_) => t.errors.add(ErrorKind::Invalid, 1),
                            Err(e) => t.errors.record(&e),
                        }
                        t.finished = Instant::now();
                        r.yield_now().await;
                    }
                    t
                })
            })
            .collect();
        // Each victim issues exactly R requests (never stopped early); the
        // last one to finish stops the load.
        let never = Arc::new(AtomicBool::new(false));
        let victims = st
            .watched
            .spawn_victims(rt, &self.p.victims, self.p.victim_requests, &never, &stop);
        let (outcomes, victims_done) = join_victims(victims).await;
        // From the victims' own finish instants: the batch future itself is
        // polled late on a one-thread executor busy with the load.
        // The timed region (and its cost) ends here: what follows (stopping the load, joining
        // it, the probe) is bookkeeping.
        let timed = sw.stop();
        let timed = timed.with_wall(victims_done.since(t0, timed.wall));

        stop.store(true, Ordering::Release);
        let loaded = !job_tasks.is_empty();
        let mut jobs = Vec::new();
        let mut job_errors = ErrorCounts::default();
        let mut jobs_done = LastFinish::default();
        for h in job_tasks {
            match h.await {
                Ok(t) => {
                    jobs.extend(t.latencies);
                    job_errors.merge(&t.errors);
                    jobs_done.add(t.finished);
                }
                Err(e) => job_errors.record(&OpError::from(e)),
            }
        }
        let load_time = jobs_done.since(t0, t0.elapsed());
        let lag = probe.stop().await;

        let mut b = Batch::from_outcomes(timed, outcomes);
        b.errors.merge(&job_errors);
        st.watched.add_probe_rows(&mut b, lag, rt.workers());
        if loaded {
            b.values.push(("cpu_jobs", jobs.len() as f64));
            b.values
                .push(("cpu_jobs_per_s", jobs.len() as f64 / load_time.as_secs_f64().max(1e-9)));
            b.values.push(("cpu_job_ns", st.cpu_job_ns));
            b.extra.push(("cpu_job", jobs));
        }
        if let Some(seen) = st.place.as_ref().and_then(Place::seen) {
            b.values.extend(offload_placement(&seen.tids()));
        }
        b
    }
}

/// Where the offload threads were allowed to run, read back from the kernel
/// (sched_getaffinity of each thread that ran a job) beside the batch thread's own mask: the
/// loop's on a current-thread runtime.
fn offload_placement(tids: &[libc::pid_t]) -> Vec<(&'static str, f64)> {
    use crate::measure::placement::{CpuSet, affinity_of};
    let Ok(me) = affinity_of(0) else {
        return Vec::new();
    };
    let masks: Vec<CpuSet> = tids.iter().filter_map(|&t| affinity_of(t).ok()).collect();
    let off_loop = masks
        .iter()
        .filter(|m| m.cpus().iter().any(|c| !me.cpus().contains(c)))
        .count();
    let union = CpuSet::new(masks.iter().flat_map(|m| m.cpus().to_vec()));
    let free = union.cpus().iter().filter(|c| !me.cpus().contains(c)).count();
    vec![
        ("offload_threads", masks.len() as f64),
        ("offload_threads_off_loop_cpus", off_loop as f64),
        ("offload_cpus", union.len() as f64),
        ("offload_cpus_not_loop", free as f64),
        ("loop_cpus", me.len() as f64),
    ]
}
