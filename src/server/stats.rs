//! Counters the test server keeps: connections and requests (lock-free), the lateness of its
//! own timer, and the per-seed key counters behind unkeyed `/flaky` requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::Notify;

use crate::stats::hdr::percentile;

/// A snapshot of the server's counters, as served by `/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerStats {
    pub connections_open: u64,
    pub connections_accepted: u64,
    pub requests_served: u64,
    /// Connections closed at once because `max_connections` were open.
    #[serde(default)]
    pub connections_rejected: u64,
    /// How late the server released the responses it held (`/delay`, and requests held by a
    /// `/stall`): absent from the JSON of servers older than the precise timer, then all zero.
    #[serde(default)]
    pub timer_lateness: TimerLateness,
}

/// Distribution of (actual wake − deadline) over every timed hold, in nanoseconds;
/// percentiles follow HdrHistogram's rank rule, at 3 significant digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerLateness {
    pub count: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    /// How long before a deadline the timer's coarse sleep currently ends (the rest is spun):
    /// the CPU the precision costs per hold, adapted to this machine's wake latency.
    #[serde(default)]
    pub spin_margin_ns: u64,
}

/// Live counters shared by the accept loop, every connection and the owning handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    open: AtomicU64,
    accepted: AtomicU64,
    served: AtomicU64,
    rejected: AtomicU64,
    lateness: Lateness,
    /// Woken whenever a connection closes, so shutdown can wait for the count to hit zero.
    closed: Notify,
}

impl Counters {
    /// Counts a freshly accepted connection; the count drops again when the guard does,
    /// which covers every way a connection ends (clean close, client reset, task cancelled).
    pub(crate) fn connection_opened(self: &Arc<Self>) -> ConnectionGuard {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(Arc::clone(self))
    }

    pub(crate) fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    pub(crate) fn connection_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_served(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how late a timed hold ended.
    pub(crate) fn timer_woke(&self, late: Duration) {
        let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
        let mut h = self.lateness.0.lock().unwrap_or_else(PoisonError::into_inner);
        // `record` grows the auto-resizing histogram (`saturating_record` would clamp to its
        // current top instead); only a resize failure lands in the cap.
        if h.record(ns).is_err() {
            h.saturating_record(ns);
        }
    }

    pub(crate) fn snapshot(&self) -> ServerStats {
        ServerStats {
            connections_open: self.open.load(Ordering::Relaxed),
            connections_accepted: self.accepted.load(Ordering::Relaxed),
            requests_served: self.served.load(Ordering::Relaxed),
            connections_rejected: self.rejected.load(Ordering::Relaxed),
            timer_lateness: self.lateness.summary(),
        }
    }

    /// Resolves once no connection is open.
    pub(crate) async fn all_closed(&self) {
        loop {
            // Register before checking so a close between the check and the await is not missed.
            let notified = self.closed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.open.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// The timer-lateness histogram; a lock is fine: it is taken once per timed hold.
#[derive(Debug)]
struct Lateness(Mutex<Histogram<u64>>);

impl Default for Lateness {
    fn default() -> Self {
        let h = Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"));
        Lateness(Mutex::new(h))
    }
}

impl Lateness {
    fn summary(&self) -> TimerLateness {
        let h = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if h.is_empty() {
            return TimerLateness::default();
        }
        TimerLateness {
            count: h.len(),
            p50_ns: percentile(&h, 50.0),
            p99_ns: percentile(&h, 99.0),
            p999_ns: percentile(&h, 99.9),
            max_ns: h.max(),
            spin_margin_ns: 0,
        }
    }
}

/// Held by a connection task for the connection's whole life.
#[derive(Debug)]
pub(crate) struct ConnectionGuard(Arc<Counters>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.closed.notify_waiters();
    }
}

/// Next key per seed for `/flaky` requests that do not name one, so a client that
/// only sends a seed still walks a reproducible sequence 0, 1, 2, …
#[derive(Debug, Default)]
pub(crate) struct FlakyKeys {
    next: Mutex<HashMap<u64, u64>>,
}

impl FlakyKeys {
    /// Bounds memory against clients that send a fresh seed per request; clearing
    /// (rather than evicting) restarts every sequence, which only matters to clients
    /// juggling more seeds than this at once.
    pub(crate) const MAX_SEEDS: usize = 10_000;

    pub(crate) fn next(&self, seed: u64) -> u64 {
        // A panic while holding this lock cannot leave the map inconsistent, so poisoning is ignored.
        let mut map = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= Self::MAX_SEEDS && !map.contains_key(&seed) {
            map.clear();
        }
        let slot = map.entry(seed).or_insert(0);
        let key = *slot;
        *slot = slot.wrapping_add(1);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_tracks_open_connections() {
        let c = Arc::new(Counters::default());
        let a = c.connection_opened();
        let b = c.connection_opened();
        c.request_served();
        assert_eq!(
            c.snapshot(),
            ServerStats {
                connections_open: 2,
                connections_accepted: 2,
                requests_served: 1,
                connections_rejected: 0,
                timer_lateness: TimerLateness::default(),
            }
        );
        drop(a);
        drop(b);
        assert_eq!(c.snapshot().connections_open, 0);
        assert_eq!(c.snapshot().connections_accepted, 2);
    }

    #[test]
    fn lateness_summarises_every_recorded_wake() {
        let c = Counters::default();
        for us in 1..=1000 {
            c.timer_woke(Duration::from_micros(us));
        }
        let l = c.snapshot().timer_lateness;
        assert_eq!(l.count, 1000);
        // 3 significant digits: each figure within 0.1% of the exact rank.
        let near = |got: u64, want: u64| got.abs_diff(want) <= want / 1000 + 1;
        assert!(near(l.p50_ns, 500_000), "{l:?}");
        assert!(near(l.p99_ns, 990_000), "{l:?}");
        assert!(near(l.p999_ns, 999_000), "{l:?}");
        assert!(near(l.max_ns, 1_000_000), "{l:?}");
        assert!(l.p50_ns <= l.p99_ns && l.p99_ns <= l.p999_ns && l.p999_ns <= l.max_ns);
    }

    #[test]
    fn stats_without_lateness_still_decode() {
        let old = r#"{"connections_open":1,"connections_accepted":2,"requests_served":3}"#;
        let stats: ServerStats = serde_json::from_str(old).expect("old /stats JSON");
        assert_eq!(stats.timer_lateness, TimerLateness::default());
    }

    #[test]
    fn flaky_keys_count_per_seed_and_stay_bounded() {
        let keys = FlakyKeys::default();
        assert_eq!((keys.next(1), keys.next(1), keys.next(2), keys.next(1)), (0, 1, 0, 2));
        for seed in 100..100 + FlakyKeys::MAX_SEEDS as u64 {
            keys.next(seed);
        }
        let len = keys.next.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(len <= FlakyKeys::MAX_SEEDS, "{len}");
        // Seed 1 was dropped by the clear, so its sequence restarts.
        assert_eq!(keys.next(1), 0);
    }
}
