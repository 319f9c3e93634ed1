//! The server's precise timer for `/delay` and `/stall`: sleep coarse on a timerfd until a margin
//! before the deadline, then finish with a cooperative spin (re-check the clock, `yield_now`)
//! until the deadline has passed.
//!
//! Why the spin: on this 2-core VM a timerfd wake arrives ~35 µs late at p50 and 60–300 µs at p99
//! (the host delivering the interrupt to an idle vCPU; a C probe of timerfd + epoll alone shows
//! the same), so no timer by itself keeps p99 lateness under 50 µs. Sleeping coarse and spinning
//! the remainder is the technique of the spin_sleep crate (github.com/alexheretic/spin_sleep,
//! "accuracy" estimate + spin). Two changes for a server: the spin yields to tokio between checks,
//! so other requests on the same worker are still served while one waits; and the margin adapts
//! to the wake latency this machine shows (about the p99 of the last [`WINDOW`] wakes), so a
//! machine with fast wakes spins little. A dedicated timer thread was not taken: its wake-up
//! pays the same host latency, plus a second cross-thread wake-up into the runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::timerfd;

/// Wakes remembered to estimate the margin.
const WINDOW: usize = 128;
/// The margin covers this share of recent wakes; the rest end late by what exceeds it.
const MARGIN_QUANTILE: f64 = 0.99;
/// The margin is re-estimated after this many wakes (a sort of [`WINDOW`] values).
const REESTIMATE_EVERY: usize = 16;
/// Before any wake has been seen: above this VM's p90.
const INITIAL_MARGIN: Duration = Duration::from_micros(100);
/// Floor: the spin's own start-up (task poll, clock read) needs a few µs.
const MIN_MARGIN: Duration = Duration::from_micros(10);
/// Ceiling: on an overloaded machine wakes can be milliseconds late, and spinning that long per
/// request would take CPU from the runtime under test; beyond this, lateness shows instead.
const MAX_MARGIN: Duration = Duration::from_micros(250);

/// Shared by every request of one server.
#[derive(Debug)]
pub(crate) struct Timer {
    margin_ns: AtomicU64,
    recent: Mutex<Recent>,
}

#[derive(Debug)]
struct Recent {
    wake_ns: [u64; WINDOW],
    seen: usize,
}

impl Default for Timer {
    fn default() -> Self {
        Timer {
            margin_ns: AtomicU64::new(nanos(INITIAL_MARGIN)),
            recent: Mutex::new(Recent {
                wake_ns: [0; WINDOW],
                seen: 0,
            }),
        }
    }
}

impl Timer {
    /// Waits until `deadline` and returns the instant the wait ended, never before `deadline`.
    /// A deadline already past returns at once without touching a timer.
    ///
    /// Must run inside the server's tokio runtime (its I/O driver polls the timerfd). If no
    /// timerfd can be had (e.g. the process is out of file descriptors) the coarse step falls
    /// back to tokio's timer: late by up to ~2 ms, which the lateness histogram then shows.
    pub(crate) async fn sleep_until(&self, deadline: Instant) -> Instant {
        let now = Instant::now();
        if now >= deadline {
            return now;
        }
        if let Some(coarse) = deadline.checked_sub(self.margin())
            && coarse > now
        {
            match timerfd::sleep_until(coarse).await {
                Ok(woke) => self.observe(woke.saturating_duration_since(coarse)),
                // The spin below still guarantees the deadline.
                Err(_) => tokio::time::sleep_until(coarse.into()).await,
            }
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return now;
            }
            tokio::task::yield_now().await;
        }
    }

    /// How long before a deadline the coarse sleep ends.
    pub(crate) fn margin(&self) -> Duration {
        Duration::from_nanos(self.margin_ns.load(Ordering::Relaxed))
    }

    /// Remembers how late a coarse wake came, and now and then re-estimates the margin.
    fn observe(&self, late: Duration) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = recent.seen % WINDOW;
        recent.wake_ns[slot] = nanos(late);
        recent.seen += 1;
        if recent.seen % REESTIMATE_EVERY != 0 {
            return;
        }
        let mut sorted: Vec<u64> = recent.wake_ns[..recent.seen.min(WINDOW)].to_vec();
        drop(recent);
        sorted.sort_unstable();
        // Rank rule: the smallest value with at least MARGIN_QUANTILE of the samples at or below it.
        let rank = ((sorted.len() as f64) * MARGIN_QUANTILE).ceil() as usize;
        let q = sorted.get(rank.saturating_sub(1)).copied().unwrap_or(0);
        let margin = q.clamp(nanos(MIN_MARGIN), nanos(MAX_MARGIN));
        self.margin_ns.store(margin, Ordering::Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build();
        rt.expect("runtime")
    }

    #[test]
    fn never_wakes_before_the_deadline() {
        let timer = Timer::default();
        runtime().block_on(async {
            let mut rng = fastrand::Rng::with_seed(13);
            // Below, around and well above the margin, so both steps are exercised.
            for _ in 0..300 {
                let deadline = Instant::now() + Duration::from_micros(rng.u64(0..2_000));
                let woke = timer.sleep_until(deadline).await;
                assert!(woke >= deadline, "woke {:?} early", deadline - woke);
                assert!(Instant::now() >= deadline);
            }
        });
    }

    #[test]
    fn concurrent_waits_each_end_after_their_own_deadline() {
        let timer = Arc::new(Timer::default());
        runtime().block_on(async {
            let start = Instant::now();
            let waits: Vec<_> = (0..64u64)
                .map(|i| {
                    let deadline = start + Duration::from_micros(100 + 37 * i);
                    let timer = Arc::clone(&timer);
                    tokio::spawn(async move { (deadline, timer.sleep_until(deadline).await) })
                })
                .collect();
            for w in waits {
                let (deadline, woke) = w.await.expect("wait task");
                assert!(woke >= deadline);
            }
        });
    }

    #[test]
    fn the_bare_timerfd_never_wakes_early() {
        runtime().block_on(async {
            let mut rng = fastrand::Rng::with_seed(7);
            for _ in 0..100 {
                let deadline = Instant::now() + Duration::from_micros(rng.u64(1..1_500));
                let woke = timerfd::sleep_until(deadline).await.expect("timerfd");
                assert!(woke >= deadline);
            }
        });
    }

    #[test]
    fn a_past_deadline_returns_at_once_without_a_runtime_timer() {
        // No tokio runtime at all: a past deadline must not reach the timerfd.
        let past = Instant::now();
        let woke = futures_lite::future::block_on(Timer::default().sleep_until(past));
        assert!(woke >= past);
    }

    #[test]
    fn the_margin_follows_recent_wakes_within_its_bounds() {
        let timer = Timer::default();
        assert_eq!(timer.margin(), INITIAL_MARGIN);
        for _ in 0..WINDOW {
            timer.observe(Duration::from_micros(30));
        }
        assert_eq!(timer.margin(), Duration::from_micros(30));
        // One slow wake in a window is beyond the quantile; many are not.
        timer.observe(Duration::from_micros(200));
        for _ in 1..REESTIMATE_EVERY {
            timer.observe(Duration::from_micros(30));
        }
        assert_eq!(timer.margin(), Duration::from_micros(30));
        for _ in 0..WINDOW {
            timer.observe(Duration::from_millis(5));
        }
        assert_eq!(timer.margin(), MAX_MARGIN);
        for _ in 0..WINDOW {
            timer.observe(Duration::from_micros(1));
        }
        assert_eq!(timer.margin(), MIN_MARGIN);
    }
}
