//! A precise, runtime-neutral timer: one std thread wakes futures at exact
//! instants through their `Waker`, on every runtime alike.
//!
//! The open-loop pacer and the scheduling-delay probe need deadlines that do
//! not come from the runtime under test: tokio rounds every deadline up to
//! the next millisecond, so a pacer or probe built on `Runtime::sleep`
//! measures the timer, not the loop. This thread parks until shortly before
//! the earliest deadline, with the kernel's timer slack set to 1 ns
//! (prctl(2) PR_SET_TIMERSLACK; the default 50 µs slack would let the kernel
//! defer the wake-up), then spins the last [`SPIN`] so the wake lands on the
//! deadline. Each wake records the instant `wake()` was called, so a probe
//! can tell the timer's lateness (deadline → wake) from the runtime's
//! scheduling delay (wake → poll).
//!
//! Hand-written: the timer crates (async-io's, tokio's, futures-timer) either
//! belong to a runtime under test or sleep at millisecond granularity.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long before a deadline the thread stops sleeping and spins.
pub const SPIN: Duration = Duration::from_micros(60);

/// The state a waiting future and the timer thread share.
struct Slot {
    due: Instant,
    /// When the thread called `wake`, as nanoseconds after `due` + 1 (0: not yet).
    woke_after_ns: AtomicU64,
    waker: Mutex<Option<Waker>>,
}

struct Entry(Reverse<Instant>, u64, Arc<Slot>);

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0, Reverse(self.1)).cmp(&(o.0, Reverse(o.1)))
    }
}

struct Shared {
    heap: Mutex<(BinaryHeap<Entry>, u64)>,
    thread: OnceLock<Thread>,
    stop: AtomicBool,
    /// CPU time the timer thread has used, ns (for its share in reports).
    busy_ns: AtomicU64,
    /// How long before a deadline the thread spins ([`SPIN`] by default).
    spin: Duration,
}

/// A handle on a timer thread. Cheap to clone; the thread stops when the
/// last handle is dropped.
#[derive(Clone)]
pub struct PreciseTimer {
    shared: Arc<Shared>,
    _owner: Arc<Owner>,
}

/// Stops the thread when the last [`PreciseTimer`] goes.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
        if let Some(t) = self.0.thread.get() {
            t.unpark();
        }
    }
}

impl PreciseTimer {
    /// Starts a timer thread named `name`.
    pub fn start(name: &str) -> std::io::Result<PreciseTimer> {
        PreciseTimer::start_with_spin(name, SPIN)
    }

    /// Starts a timer thread that spins only the last `spin` before each
    /// deadline. The sweep's load generator passes zero: it shares one CPU
    /// with its timer, and at tens of thousands of sends per second a
    /// spinning timer would take that CPU from the sends it paces (its
    /// wakes are then tens of µs late, far inside the 1 ms lateness bound).
    pub fn start_with_spin(name: &str, spin: Duration) -> std::io::Result<PreciseTimer> {
        let shared = Arc::new(Shared {
            heap: Mutex::new((BinaryHeap::new(), 0)),
            thread: OnceLock::new(),
            stop: AtomicBool::new(false),
            busy_ns: AtomicU64::new(0),
            spin,
        });
        let s = shared.clone();
        let handle = thread::Builder::new().name(name.to_string()).spawn(move || run(&s))?;
        let _ = shared.thread.set(handle.thread().clone());
        Ok(PreciseTimer {
            _owner: Arc::new(Owner(shared.clone())),
            shared,
        })
    }

    /// The process's shared timer thread, started on first use: the pacer
    /// and the probes of every case use it.
    pub fn shared() -> std::io::Result<PreciseTimer> {
        static SHARED: OnceLock<PreciseTimer> = OnceLock::new();
        if let Some(t) = SHARED.get() {
            return Ok(t.clone());
        }
        let t = PreciseTimer::start("asyncbench-clock")?;
        Ok(SHARED.get_or_init(|| t).clone())
    }

    /// A future that completes at `due` (at once if `due` has passed) and
    /// yields the instant it was woken.
    pub fn sleep_until(&self, due: Instant) -> PreciseSleep {
        PreciseSleep {
            timer: self.shared.clone(),
            slot: None,
            due,
        }
    }

    /// CPU time the timer thread has spent so far.
    pub fn cpu_time(&self) -> Duration {
        Duration::from_nanos(self.shared.busy_ns.load(Ordering::Relaxed))
    }
}

/// What a [`PreciseSleep`] resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Woken {
    pub due: Instant,
    /// When the timer thread called `wake`; `due` itself if the deadline
    /// had already passed at the first poll (the wake it would have had: a
    /// probe that was held up then records its whole delay).
    pub woke: Instant,
}

pub struct PreciseSleep {
    timer: Arc<Shared>,
    slot: Option<Arc<Slot>>,
    due: Instant,
}

impl Future for PreciseSleep {
    type Output = Woken;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Woken> {
        let due = self.due;
        if let Some(slot) = &self.slot {
            let after = slot.woke_after_ns.load(Ordering::Acquire);
            if after > 0 {
                return Poll::Ready(Woken {
                    due,
                    woke: due + Duration::from_nanos(after - 1),
                });
            }
            if let Ok(mut w) = slot.waker.lock() {
                *w = Some(cx.waker().clone());
            }
            // The thread may have fired between the load and the store.
            let after = slot.woke_after_ns.load(Ordering::Acquire);
            if after > 0 {
                return Poll::Ready(Woken {
                    due,
                    woke: due + Duration::from_nanos(after - 1),
                });
            }
            return Poll::Pending;
        }
        let now = Instant::now();
        if now >= due {
            return Poll::Ready(Woken { due, woke: due });
        }
        let slot = Arc::new(Slot {
            due,
            woke_after_ns: AtomicU64::new(0),
            waker: Mutex::new(Some(cx.waker().clone())),
        });
        let earliest = {
            let Ok(mut g) = self.timer.heap.lock() else {
                return Poll::Pending;
            };
            let (heap, seq) = &mut *g;
            *seq += 1;
            let earlier = heap.peek().is_none_or(|e| due < e.0.0);
            heap.push(Entry(Reverse(due), *seq, slot.clone()));
            earlier
        };
        if earliest && let Some(t) = self.timer.thread.get() {
            t.unpark();
        }
        self.slot = Some(slot);
        Poll::Pending
    }
}

fn run(s: &Shared) {
    // Pacing and probing are the harness's work, not the side under test's.
    super::alloc::exclude_current_thread();
    // SAFETY: prctl with PR_SET_TIMERSLACK takes one unsigned long; failure
    // only costs precision.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
    let mut fire: Vec<Arc<Slot>> = Vec::new();
    while !s.stop.load(Ordering::Acquire) {
        let next = {
            let Ok(mut g) = s.heap.lock() else { return };
            let now = Instant::now();
            while g.0.peek().is_some_and(|e| e.0.0 <= now) {
                if let Some(Entry(_, _, slot)) = g.0.pop() {
                    fire.push(slot);
                }
            }
            g.0.peek().map(|e| e.0.0)
        };
        for slot in fire.drain(..) {
            let late = Instant::now().saturating_duration_since(slot.due);
            let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX - 1);
            slot.woke_after_ns.store(ns + 1, Ordering::Release);
            if let Some(w) = slot.waker.lock().ok().and_then(|mut w| w.take()) {
                w.wake();
            }
        }
        s.busy_ns.store(
            u64::try_from(super::cpu::thread_cpu_time().unwrap_or_default().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        match next {
            None => thread::park(),
            Some(due) => {
                let now = Instant::now();
                if due > now + s.spin {
                    thread::park_timeout(due - now - s.spin);
                } else {
                    while Instant::now() < due {
                        std::hint::spin_loop();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_wakes_early_and_reports_the_wake_instant() {
        let t = PreciseTimer::start("test-timer").unwrap();
        let start = Instant::now();
        let mut dues: Vec<Instant> = (0..200)
            .map(|i| start + Duration::from_micros(300 + (i * 7919) % 5000))
            .collect();
        dues.sort();
        let handles: Vec<_> = dues
            .iter()
            .map(|&d| {
                let s = t.sleep_until(d);
                thread::spawn(move || futures::executor::block_on(s))
            })
            .collect();
        for (h, d) in handles.into_iter().zip(dues) {
            let w = h.join().unwrap();
            assert_eq!(w.due, d);
            assert!(w.woke >= d, "woke before its deadline");
            assert!(Instant::now() >= d);
        }
    }

    #[test]
    fn a_past_deadline_is_ready_at_once() {
        let t = PreciseTimer::start("test-timer").unwrap();
        let past = Instant::now() - Duration::from_millis(5);
        let w = futures::executor::block_on(t.sleep_until(past));
        assert_eq!(w.woke, past);
    }

    #[test]
    fn an_earlier_deadline_registered_later_is_not_held_up() {
        let t = PreciseTimer::start("test-timer").unwrap();
        let late = t.sleep_until(Instant::now() + Duration::from_secs(30));
        let mut late = Box::pin(late);
        let waker = futures::task::noop_waker();
        assert!(late.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        let t0 = Instant::now();
        futures::executor::block_on(t.sleep_until(t0 + Duration::from_millis(2)));
        // Generous physical bound: far below the 30 s deadline queued first.
        assert!(t0.elapsed() < Duration::from_secs(10));
    }
}

#[cfg(test)]
mod precision {
    use super::*;
    /// `cargo test --release --lib clock_precision -- --ignored --nocapture`: prints the
    /// timer's lateness distribution on this machine (a figure, not an assertion).
    #[test]
    #[ignore]
    fn clock_precision() {
        let t = PreciseTimer::start("precision").unwrap();
        let mut late = Vec::new();
        let start = Instant::now();
        for i in 1..=2000u32 {
            let due = start + Duration::from_micros(1000) * i;
            let w = futures::executor::block_on(t.sleep_until(due));
            late.push((w.woke - due).as_nanos() as u64);
        }
        let late = crate::stats::Sample::new(late.into_iter().map(|ns| ns as f64)).unwrap();
        println!(
            "lateness ns: p50 {} p99 {} p999 {} max {}; timer cpu {:?} over {:?}",
            late.quantile(0.5),
            late.quantile(0.99),
            late.quantile(0.999),
            late.max(),
            t.cpu_time(),
            start.elapsed()
        );
    }
}
