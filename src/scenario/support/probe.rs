//! Two responsiveness probes on the runtime under test, never one:
//!
//! - `sched_delay`: the [precise timer](crate::measure::clock) (a thread outside the
//!   runtime) wakes a probe task through its `Waker` at exact instants; the
//!   task records wake → poll. A blocking call inside async code holds the
//!   thread the task needs, so the stall shows as delay on every runtime
//!   alike, whatever its timer.
//! - `timer_lateness`: how late the runtime's own `sleep` fires. tokio rounds
//!   every deadline up to the next millisecond, so about 1 ms here is a real
//!   property of tokio's timer, reported as such — not a blocked loop.
//!
//! Both keep a fixed cadence (`due += period`). A probe that was held up
//! finds its next deadlines already past: it takes them at once and records
//! poll − due for each, so a 50 ms stall under a 1 ms probe yields 50, 49,
//! 48, … ms — the coordinated-omission correction of HdrHistogram's
//! `recordValueWithExpectedInterval` (G. Tene, jHiccup), here at the cadence
//! the probe really had rather than an assumed one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::measure::clock::PreciseTimer;
use crate::runtime::{Runtime, TaskHandle};

/// A probe never keeps more samples than this (a 1 ms probe fills it in
/// about 17 minutes); later wakes are counted only.
const MAX_SAMPLES: usize = 1 << 20;

#[derive(Default)]
struct Sink {
    samples: Vec<Duration>,
    dropped: u64,
}

impl Sink {
    fn push(shared: &Mutex<Sink>, d: Duration) {
        let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if s.samples.len() < MAX_SAMPLES {
            s.samples.push(d);
        } else {
            s.dropped += 1;
        }
    }
}

/// What one probe saw between start and stop.
#[derive(Debug, Clone, Default)]
pub struct ProbeSamples {
    pub period: Duration,
    /// One entry per deadline, in order, already corrected as the module
    /// doc says.
    pub samples: Vec<Duration>,
    /// Deadlines not stored (buffer full).
    pub dropped: u64,
}

impl ProbeSamples {
    pub fn max(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }
    pub fn wakes(&self) -> u64 {
        self.samples.len() as u64 + self.dropped
    }
}

struct Running<R: Runtime> {
    task: R::Handle<()>,
    sink: Arc<Mutex<Sink>>,
}

impl<R: Runtime> Running<R> {
    async fn stop(self, period: Duration) -> ProbeSamples {
        self.task.abort().await;
        let mut s = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        ProbeSamples {
            period,
            samples: std::mem::take(&mut s.samples),
            dropped: s.dropped,
        }
    }
}

/// Both probes, started together before the work to watch.
pub struct Probes<R: Runtime> {
    sched: Running<R>,
    timer: Running<R>,
    period: Duration,
    clock: PreciseTimer,
    clock_cpu0: Duration,
}

/// What both probes saw, and what the precise timer thread cost meanwhile.
#[derive(Debug, Clone, Default)]
pub struct ProbeReport {
    pub sched_delay: ProbeSamples,
    pub timer_lateness: ProbeSamples,
    /// CPU time of the precise timer's thread while the probes ran.
    pub clock_cpu: Duration,
}

impl<R: Runtime> Probes<R> {
    /// Spawns both probes on `rt`; `clock` wakes the `sched_delay` one.
    /// `period` is raised to at least 10 µs rather than spin.
    pub fn start(rt: &R, clock: &PreciseTimer, period: Duration) -> Probes<R> {
        let period = period.max(Duration::from_micros(10));
        // The first deadline counts from now, not from the task's first poll:
        // a stall that starts before the probe gets a thread still shows.
        let first = Instant::now() + period;
        let sched = {
            let sink = Arc::new(Mutex::new(Sink::default()));
            let (s, c) = (sink.clone(), clock.clone());
            let task = rt.spawn(async move {
                let mut due = first;
                loop {
                    let w = c.sleep_until(due).await;
                    Sink::push(&s, Instant::now().saturating_duration_since(w.woke));
                    due += period;
                }
            });
            Running { task, sink }
        };
        let timer = {
            let sink = Arc::new(Mutex::new(Sink::default()));
            let (s, r) = (sink.clone(), rt.clone());
            let task = rt.spawn(async move {
                let mut due = first;
                loop {
                    let now = Instant::now();
                    if due > now {
                        r.sleep(due - now).await;
                    }
                    Sink::push(&s, Instant::now().saturating_duration_since(due));
                    due += period;
                }
            });
            Running { task, sink }
        };
        Probes {
            sched,
            timer,
            period,
            clock_cpu0: clock.cpu_time(),
            clock: clock.clone(),
        }
    }

    /// Cancels both probe tasks, waits until they are gone, and returns what they saw.
    pub async fn stop(self) -> ProbeReport {
        let clock_cpu = self.clock.cpu_time().saturating_sub(self.clock_cpu0);
        ProbeReport {
            sched_delay: self.sched.stop(self.period).await,
            timer_lateness: self.timer.stop(self.period).await,
            clock_cpu,
        }
    }
}

/// What the probes cost the runtime: process CPU over an idle `window` with
/// both probes running, minus the same window without, per second of
/// running (a share of one core). Everything else in the process must be
/// idle, as it is in a scenario's set-up. `None` without a process CPU clock.
pub async fn probe_cpu_share<R: Runtime>(
    rt: &R,
    clock: &PreciseTimer,
    period: Duration,
    window: Duration,
) -> Option<f64> {
    let c0 = crate::measure::cpu::process_cpu_time()?;
    rt.sleep(window).await;
    let idle = crate::measure::cpu::process_cpu_time()?.saturating_sub(c0);
    let probes = Probes::start(rt, clock, period);
    let (c1, t1) = (crate::measure::cpu::process_cpu_time()?, Instant::now());
    rt.sleep(window).await;
    let busy = crate::measure::cpu::process_cpu_time()?.saturating_sub(c1);
    let took = t1.elapsed();
    probes.stop().await;
    let extra = busy.as_secs_f64() - idle.as_secs_f64();
    Some((extra / took.as_secs_f64().max(1e-9)).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{AsyncFlavor, Owned, RuntimeVisitor, visit};

    const PERIOD: Duration = Duration::from_millis(1);
    const STALL: Duration = Duration::from_millis(20);

    struct Planted(PreciseTimer);
    impl RuntimeVisitor for Planted {
        type Output = ProbeReport;
        fn visit<R: Runtime>(self, owned: Owned<R>) -> ProbeReport {
            let rt = owned.rt().clone();
            let clock = self.0;
            owned.rt().block_on(async move {
                // Inside a task, as application code runs: on the -mt flavours
                // block_on's own thread is not a worker.
                let r = rt.clone();
                rt.spawn(async move {
                    let probes = Probes::start(&r, &clock, PERIOD);
                    r.sleep(Duration::from_millis(10)).await;
                    // The planted stall: a blocking call on the loop's thread.
                    r.spawn(async { std::thread::sleep(STALL) }).await.ok();
                    r.sleep(Duration::from_millis(10)).await;
                    probes.stop().await
                })
                .await
                .unwrap_or_default()
            })
        }
    }

    #[test]
    fn a_planted_stall_shows_in_sched_delay_on_every_runtime() {
        let clock = PreciseTimer::start("probe-test").unwrap();
        for flavor in AsyncFlavor::ALL {
            let seen = visit(flavor, Some(2), Planted(clock.clone())).unwrap();
            assert!(seen.sched_delay.wakes() > 0, "{flavor}: no sched_delay sample");
            assert!(seen.timer_lateness.wakes() > 0, "{flavor}: no timer_lateness sample");
            if flavor.single_threaded() {
                // The deadline the stall held up was due at most one period
                // after the stall began, so on a quiet machine it reads at
                // least STALL − PERIOD; sched_delay counts from the precise
                // timer's wake, and that thread is late too on a loaded
                // machine (CI), so the test holds most of the stall.
                assert!(
                    seen.sched_delay.max() >= STALL / 2,
                    "{flavor}: max sched_delay {:?} under a {STALL:?} stall",
                    seen.sched_delay.max()
                );
                // Every deadline during the stall is recorded (corrected), not one.
                let during = seen
                    .sched_delay
                    .samples
                    .iter()
                    .filter(|d| **d >= Duration::from_millis(5))
                    .count();
                assert!(during >= 10, "{flavor}: {during} samples ≥ 5 ms");
            }
        }
    }
}
