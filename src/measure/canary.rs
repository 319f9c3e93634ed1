//! The host canary: what the host did to this machine's CPUs while a window ran, seen by a
//! thread that does nothing but sleep.
//!
//! One thread per CPU it is given, each pinned there, sleeps to absolute deadlines
//! [`PERIOD`] apart (`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`) and records how late
//! it woke into one HDR histogram. Where the process may, the threads run `SCHED_FIFO` (the
//! lowest real-time priority) with no timer slack, so a busy thread of ours on the same CPU —
//! a saturated server, a spinning generator — cannot delay their wake; what still can is the
//! host (a vCPU descheduled, a late timer interrupt) and the kernel's non-preemptible work.
//! So a stall the canary saw is the host's, not the code under test's: the sweep reads it to
//! tell a host-disturbed step from a server failure (`sweep::knee`), and http_server rows
//! carry it beside their latency. Without `SCHED_FIFO` (no permission) the canary still runs,
//! at normal priority, and says so: its lateness then includes our own threads' load.
//!
//! Cost: one wake per period per CPU, a few µs each; the thread's name
//! (`asyncbench-canary`) keeps its CPU out of the side under test's cost (`measure::cost`),
//! though a wake that preempts a running thread of the side under test counts as one of its
//! involuntary context switches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::placement::{self, CpuSet};

/// How long the canary sleeps between wakes.
pub const PERIOD: Duration = Duration::from_millis(1);
/// The canary threads' name (as `/proc` shows it, 15 bytes: `asyncbench-cana`).
pub const THREAD_NAME: &str = "asyncbench-canary";

struct Shared {
    stop: AtomicBool,
    hist: Mutex<Histogram<u64>>,
    /// Every thread got `SCHED_FIFO`.
    realtime: AtomicBool,
}

/// What the canary saw over one window.
#[derive(Debug, Clone)]
pub struct CanaryWindow {
    /// Wake lateness of every wake (ns), all CPUs together.
    pub lateness: Histogram<u64>,
    /// The canary ran `SCHED_FIFO` on every CPU (else at normal priority).
    pub realtime: bool,
}

/// Running canary threads; dropping it stops and joins them.
pub struct Canary {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

fn new_hist() -> Histogram<u64> {
    Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

impl Canary {
    /// Starts one canary thread on each CPU of `cpus` (one unpinned thread for an empty set).
    pub fn start(cpus: &CpuSet) -> std::io::Result<Canary> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            hist: Mutex::new(new_hist()),
            realtime: AtomicBool::new(true),
        });
        let on: Vec<Option<usize>> = if cpus.is_empty() {
            vec![None]
        } else {
            cpus.cpus().iter().map(|&c| Some(c)).collect()
        };
        let mut threads = Vec::new();
        for cpu in on {
            let s = shared.clone();
            let t = std::thread::Builder::new()
                .name(THREAD_NAME.into())
                .spawn(move || run(&s, cpu))?;
            threads.push(t);
        }
        Ok(Canary { shared, threads })
    }

    /// Starts a canary on every CPU any thread of this process may use (the caller may be
    /// pinned to one side: the host can stall either).
    pub fn on_process_cpus() -> std::io::Result<Canary> {
        let all = CpuSet::new(placement::threads().into_iter().flat_map(|t| t.cpus.cpus().to_vec()));
        let cpus = if all.is_empty() {
            CpuSet::allowed().unwrap_or_else(|_| CpuSet::new([]))
        } else {
            all
        };
        Canary::start(&cpus)
    }

    /// What the canary saw since it started or since the last `take`, and starts a new window.
    pub fn take(&self) -> CanaryWindow {
        let mut h = self.shared.hist.lock().unwrap_or_else(|e| e.into_inner());
        CanaryWindow {
            lateness: std::mem::replace(&mut *h, new_hist()),
            realtime: self.shared.realtime.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn now() -> libc::timespec {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t
}

fn ns(t: &libc::timespec) -> i128 {
    t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128
}

fn at(ns: i128) -> libc::timespec {
    libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    }
}

/// Makes the calling thread `SCHED_FIFO` at the lowest priority with no timer slack; false
/// where the process may not.
fn make_realtime() -> bool {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: 0 is the calling thread; `param` is a valid sched_param.
    let ok = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } == 0;
    if ok {
        // Real-time threads get no slack anyway; said explicitly for kernels that differ.
        let slack_ns: libc::c_ulong = 1;
        // SAFETY: PR_SET_TIMERSLACK takes an unsigned long.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, slack_ns) };
    }
    ok
}

fn run(s: &Shared, cpu: Option<usize>) {
    if let Some(c) = cpu {
        let _ = placement::pin_current_thread(&CpuSet::new([c]));
    }
    if !make_realtime() {
        s.realtime.store(false, Ordering::Relaxed);
    }
    let period = PERIOD.as_nanos() as i128;
    let mut due = ns(&now()) + period;
    while !s.stop.load(Ordering::Acquire) {
        let t = at(due);
        // SAFETY: valid timespec; a null remainder is allowed with TIMER_ABSTIME.
        let rc = unsafe { libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &t, std::ptr::null_mut()) };
        if rc == libc::EINTR {
            continue;
        }
        let woke = ns(&now());
        let late = u64::try_from((woke - due).max(1)).unwrap_or(u64::MAX);
        {
            let mut h = s.hist.lock().unwrap_or_else(|e| e.into_inner());
            let _ = h.record(late);
        }
        // One sample per stall: after a long one the next deadline is a period from now, not
        // the missed ones in a row.
        due = (due + period).max(woke + period / 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_are_recorded_and_taken_per_window() {
        let c = Canary::start(&CpuSet::new([])).unwrap();
        std::thread::sleep(Duration::from_millis(60));
        let w = c.take();
        // About 60 wakes; generous bounds for a loaded machine.
        assert!((5..=200).contains(&w.lateness.len()), "{} wakes", w.lateness.len());
        let w2 = c.take();
        assert!(w2.lateness.len() < w.lateness.len() + 200);
    }
}
