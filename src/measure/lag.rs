//! The event-loop lag probe: a task on the runtime under test that asks to
//! wake every `period` and records how late each wake was. A blocking call
//! inside async code (a `std::thread::sleep`, a CPU loop without an await)
//! holds the thread the probe needs, so the stall shows up as lateness.
//!
//! The model is Gil Tene's jHiccup: sleep for a fixed interval, measure how
//! much longer than asked the sleep took, and correct for coordinated
//! omission the way HdrHistogram's `recordValueWithExpectedInterval` does (a
//! 50 ms stall seen by a 1 ms probe is one 50 ms wake plus the 49, 48, … ms
//! lateness the wakes it could not take would have had). Without that, a
//! stall would count once however long it lasted.
//!
//! On multi-thread flavours the probe task runs on whichever worker picks it
//! up: a stall that holds one worker can leave the probe on another, and the
//! probe then (rightly) reports a responsive runtime.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::runtime::{Runtime, TaskHandle};

/// The probe never keeps more samples than this (a 1 ms probe fills it in
/// about 17 minutes of continuous running); wakes past it are counted only.
const MAX_SAMPLES: usize = 1 << 20;

#[derive(Default)]
struct Shared {
    /// Lateness of each wake the probe actually took.
    raw: Vec<Duration>,
    /// Wakes not stored because the buffer was full.
    dropped: u64,
}

/// A running probe. Start it before the work to watch, stop it after.
pub struct LagProbe<R: Runtime> {
    task: R::Handle<()>,
    shared: Arc<Mutex<Shared>>,
    period: Duration,
}

/// What a probe saw between start and stop.
#[derive(Debug, Clone, Default)]
pub struct LagSamples {
    pub period: Duration,
    /// Lateness of each wake, in order (one entry per wake).
    pub raw: Vec<Duration>,
    /// Wakes that happened but were not stored (buffer full).
    pub dropped: u64,
}

impl<R: Runtime> LagProbe<R> {
    /// Spawns the probe on `rt`. `period` must be non-zero (the scenario
    /// files bound it); a zero period is raised to 1 µs rather than spin.
    pub fn start(rt: &R, period: Duration) -> LagProbe<R> {
        let period = period.max(Duration::from_micros(1));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let sink = shared.clone();
        let sleeper = rt.clone();
        // The first deadline counts from now, not from the task's first poll:
        // a stall that starts before the probe task gets a thread still shows.
        let first_due = Instant::now() + period;
        let task = rt.spawn(async move {
            let mut due = first_due;
            loop {
                let now = Instant::now();
                if due > now {
                    sleeper.sleep(due - now).await;
                } else {
                    sleeper.yield_now().await;
                }
                let woke = Instant::now();
                let late = woke.saturating_duration_since(due);
                {
                    let mut s = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    if s.raw.len() < MAX_SAMPLES {
                        s.raw.push(late);
                    } else {
                        s.dropped += 1;
                    }
                }
                // Next deadline from the actual wake (jHiccup's model); the
                // wakes a stall swallowed are restored by `corrected`.
                due = woke + period;
            }
        });
        LagProbe { task, shared, period }
    }

    /// Cancels the probe task, waits until it is gone, and returns what it saw.
    pub async fn stop(self) -> LagSamples {
        self.task.abort().await;
        let mut s = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        LagSamples {
            period: self.period,
            raw: std::mem::take(&mut s.raw),
            dropped: s.dropped,
        }
    }
}

impl LagSamples {
    pub fn wakes(&self) -> u64 {
        self.raw.len() as u64 + self.dropped
    }

    pub fn max(&self) -> Duration {
        self.raw.iter().copied().max().unwrap_or_default()
    }

    /// The lateness distribution corrected for coordinated omission: each
    /// wake late by `L ≥ 2·period` also stands for the wakes due during the
    /// stall, late by `L − period`, `L − 2·period`, … down to `period`
    /// (HdrHistogram's `recordValueWithExpectedInterval`). Bounded: a stall
    /// adds at most `L / period` samples, capped at [`MAX_SAMPLES`] in all.
    pub fn corrected(&self) -> Vec<Duration> {
        let mut out = Vec::with_capacity(self.raw.len());
        for &late in &self.raw {
            out.push(late);
            let mut missing = late.saturating_sub(self.period);
            while missing >= self.period && out.len() < MAX_SAMPLES {
                out.push(missing);
                missing -= self.period;
            }
        }
        out
    }
}

/// What the probe costs: CPU time of the whole process per probe wake, over
/// an otherwise idle window, minus the same window without the probe. On an
/// idle runtime each wake also pays for waking a parked thread (and, on a
/// virtual machine, the timer exits), so this is the expensive case: on a
/// busy runtime the thread is awake anyway.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeOverhead {
    /// CPU nanoseconds per wake (timer registration, the thread's wake-up,
    /// the task poll and the sample push). Clamped at 0: a negative
    /// difference is noise below the resolution of this method.
    pub ns_per_wake: f64,
    pub wakes: u64,
}

/// Measures the probe's own cost on `rt`: the process's CPU time over an
/// idle `window` is taken once without and once with the probe running.
/// Everything else in the process (the test server, other runtimes) must be
/// idle for the figure to mean anything, as it is in a scenario's setup.
/// `None` where the platform has no process CPU clock.
pub async fn probe_overhead<R: Runtime>(rt: &R, period: Duration, window: Duration) -> Option<ProbeOverhead> {
    let c0 = process_cpu_time()?;
    rt.sleep(window).await;
    let idle = process_cpu_time()?.saturating_sub(c0);

    let probe = LagProbe::start(rt, period);
    let c1 = process_cpu_time()?;
    rt.sleep(window).await;
    let busy = process_cpu_time()?.saturating_sub(c1);
    let seen = probe.stop().await;

    let wakes = seen.wakes();
    if wakes == 0 {
        return None;
    }
    let extra = busy.as_nanos() as f64 - idle.as_nanos() as f64;
    Some(ProbeOverhead {
        ns_per_wake: (extra / wakes as f64).max(0.0),
        wakes,
    })
}

/// CPU time consumed by every thread of this process so far.
#[cfg(unix)]
pub fn process_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a
    // constant every POSIX system defines; the call writes nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
pub fn process_cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(period_ms: u64, raw_ms: &[u64]) -> LagSamples {
        LagSamples {
            period: Duration::from_millis(period_ms),
            raw: raw_ms.iter().map(|&m| Duration::from_millis(m)).collect(),
            dropped: 0,
        }
    }

    #[test]
    fn correction_restores_the_wakes_a_stall_swallowed() {
        // A 5 ms stall seen by a 1 ms probe: 5, then 4, 3, 2, 1.
        let s = samples(1, &[0, 5, 0]);
        let ms: Vec<u128> = s.corrected().iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, vec![0, 5, 4, 3, 2, 1, 0]);
        assert_eq!(s.max(), Duration::from_millis(5));
        assert_eq!(s.wakes(), 3);
    }

    #[test]
    fn small_lateness_is_not_multiplied() {
        let s = samples(10, &[3, 9, 19]);
        let ms: Vec<u128> = s.corrected().iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, vec![3, 9, 19]);
    }

    #[test]
    fn process_cpu_time_advances_with_work() {
        let Some(a) = process_cpu_time() else { return };
        let mut x = 0u64;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let b = process_cpu_time().unwrap_or(a);
        assert!(b > a, "{a:?} → {b:?}");
    }
}
