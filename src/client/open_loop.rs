//! The load generator's pacing: open loop at a constant rate (wrk2's method)
//! or closed loop as fast as replies allow, over C connections. What a
//! connection sends is the caller's ([`Request`]); when it is sent and how
//! its latency is counted is decided here.
//!
//! Open loop: connection k of C sends its i-th request at the *intended*
//! time `start + (k + i·C) / rate` ([`Schedule::due`]); if the previous
//! response came back late, the next request goes out at once, late.
//! Latency is recorded twice: from the intended send time (corrected for
//! coordinated omission) and from the actual send (uncorrected). A
//! closed-loop client that waits for each reply sends less while the server
//! is stuck, so a stall never reaches the uncorrected histogram; the
//! corrected one counts every request that should have been sent during it.
//! Method: G. Tene, "How NOT to Measure Latency" (2015), and wrk2's README
//! (github.com/giltene/wrk2).
//!
//! Send times come from the [precise timer](crate::measure::clock), never from the
//! runtime under test (tokio's timer would add up to a millisecond to every
//! send and charge it to the server as queueing). The generator's own
//! lateness (actual − intended send) is recorded as `generator_lateness`.
//! Each connection keeps its own schedule for the whole run: a batch is one
//! second of wall clock, closing on the schedule's second boundaries, with
//! no barrier between windows; a request belongs to the window it completes in.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::measure::clock::PreciseTimer;
use crate::measure::{Batch, ErrorCounts, OpError};
use crate::runtime::Runtime;

/// The window one batch covers.
pub const WINDOW: Duration = Duration::from_secs(1);
/// A generator whose lateness p99 exceeds this fell behind its schedule:
/// the run says so (its corrected latencies still count from the intended
/// times, but the load offered was not the load asked for).
pub const LATENESS_BOUND: Duration = Duration::from_millis(1);

/// Open loop at `rate` requests/s, or closed loop as fast as replies allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadMode {
    Rate(u64),
    MaxThroughput,
}

/// What one connection of the generator sends, again and again.
pub trait Request: Clone + Send + Sync + 'static {
    /// What one send returns; judged by [`check`](Request::check) only
    /// after the clock is read, so judging it is not part of the latency.
    type Outcome: Send;
    fn send(&self) -> impl Future<Output = Self::Outcome> + Send;
    /// `Ok` when the outcome counts as a success, else why not.
    fn check(outcome: Self::Outcome) -> Result<(), OpError>;
}

/// wrk2's schedule: request i of connection k is due at
/// `start + (k + i·C) / rate`, in whole nanoseconds from integer arithmetic
/// so no error accumulates over a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub start: Instant,
    pub rate: u64,
    pub connections: u64,
}

impl Schedule {
    pub fn offset(&self, k: u64, i: u64) -> Duration {
        let n = u128::from(k) + u128::from(i) * u128::from(self.connections);
        let ns = n * 1_000_000_000 / u128::from(self.rate.max(1));
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    pub fn due(&self, k: u64, i: u64) -> Instant {
        self.start + self.offset(k, i)
    }
}

/// One completed request, as its connection saw it.
struct Done {
    /// When its reply (or its error) came back: the window it belongs to.
    at: Instant,
    /// From the intended send (corrected) and from the actual send.
    latency: Result<(Duration, Duration), OpError>,
    /// Actual − intended send, open loop only.
    lateness: Option<Duration>,
}

/// What the connections have completed and no window has taken yet.
type Sink = Vec<Done>;

/// A running generator: its connection tasks live from the first window to
/// the drop of this value.
pub struct Generator<R: Runtime> {
    sink: Arc<Mutex<Sink>>,
    stop: Arc<AtomicBool>,
    clock: PreciseTimer,
    start: Instant,
    /// Windows of the schedule closed so far.
    window: u32,
    window_len: Duration,
    /// Where the last window closed: the next one starts there.
    last_cut: Instant,
    asked: Option<u64>,
    _tasks: Vec<R::Handle<()>>,
}

impl<R: Runtime> Drop for Generator<R> {
    fn drop(&mut self) {
        // Dropping a handle detaches its task (async-std's global executor
        // would keep it running into the next case): the flag ends them.
        self.stop.store(true, Ordering::Release);
    }
}

impl<R: Runtime> Generator<R> {
    /// Spawns one task per connection on `rt`, each on its own schedule.
    pub fn start<Q: Request>(rt: &R, clock: &PreciseTimer, conns: &[Q], mode: LoadMode) -> Generator<R> {
        // A little ahead, so the first sends are not late by the spawn itself.
        let start = Instant::now() + Duration::from_millis(2);
        let sink = Arc::new(Mutex::new(Sink::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let c = conns.len() as u64;
        let tasks = conns
            .iter()
            .enumerate()
            .map(|(k, req)| {
                let (req, sink, stop, clock) = (req.clone(), sink.clone(), stop.clone(), clock.clone());
                let pace = match mode {
                    LoadMode::Rate(rate) => Some(Schedule {
                        start,
                        rate,
                        connections: c,
                    }),
                    LoadMode::MaxThroughput => None,
                };
                rt.spawn(connection(req, pace, k as u64, clock, sink, stop))
            })
            .collect();
        Generator {
            sink,
            stop,
            clock: clock.clone(),
            start,
            window: 0,
            window_len: WINDOW,
            last_cut: start,
            asked: match mode {
                LoadMode::Rate(r) => Some(r),
                LoadMode::MaxThroughput => None,
            },
            _tasks: tasks,
        }
    }

    /// Windows of `len` instead of [`WINDOW`] (a short `cargo bench` case
    /// wants many small batches).
    pub fn with_window(mut self, len: Duration) -> Self {
        self.window_len = len.max(Duration::from_millis(1));
        self
    }

    /// Waits until the next window of the schedule closes and returns what
    /// completed since the previous one closed. Called late (a caller that
    /// paused between batches), it closes at the first boundary after now:
    /// the window is then longer, and its rate is counted over its real length.
    pub async fn window(&mut self) -> Batch {
        let now = Instant::now();
        let next = self.window + 1;
        let mut until = self.start + self.window_len * next;
        self.window = next;
        if until < now {
            let len = self.window_len.as_nanos().max(1);
            let n = (now - self.start).as_nanos() / len + 1;
            self.window = u32::try_from(n).unwrap_or(u32::MAX);
            until = self.start + self.window_len * self.window;
        }
        let from = self.last_cut;
        self.last_cut = until;
        self.clock.sleep_until(until).await;
        // The window is cut by completion time, not by when this task woke:
        // woken late (a busy runtime), it must not take a request that came
        // back after `until` — that one is the next window's.
        let taken = take_until(&self.sink, until);
        let span = until.saturating_duration_since(from).max(Duration::from_nanos(1));
        let (mut corrected, mut uncorrected, mut lateness) = (Vec::new(), Vec::new(), Vec::new());
        let mut errors = ErrorCounts::default();
        for d in taken {
            match d.latency {
                Ok((c, u)) => {
                    corrected.push(c);
                    uncorrected.push(u);
                }
                Err(e) => errors.record(&e),
            }
            lateness.extend(d.lateness);
        }
        let mut b = Batch {
            wall: span,
            latencies: corrected,
            errors,
            ..Batch::default()
        };
        let done = b.latencies.len() as f64;
        b.values.push(("achieved_rps", done / span.as_secs_f64()));
        if let Some(r) = self.asked {
            b.values.push(("asked_rps", r as f64));
            b.extra.push(("generator_lateness", lateness));
        }
        b.extra.push(("latency_uncorrected", uncorrected));
        b
    }
}

/// Takes from `sink` what completed at or before `until`; what came back
/// later stays for the next window.
fn take_until(sink: &Mutex<Sink>, until: Instant) -> Sink {
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    let (mine, later): (Sink, Sink) = std::mem::take(&mut *sink).into_iter().partition(|d| d.at <= until);
    *sink = later;
    mine
}

/// Drives one connection until `stop`: paced by `pace` (open loop) or back
/// to back (closed loop).
async fn connection<Q: Request>(
    req: Q,
    pace: Option<Schedule>,
    k: u64,
    clock: PreciseTimer,
    sink: Arc<Mutex<Sink>>,
    stop: Arc<AtomicBool>,
) {
    let mut i = 0u64;
    while !stop.load(Ordering::Acquire) {
        let intended = match pace {
            Some(s) => {
                let due = s.due(k, i);
                clock.sleep_until(due).await;
                Some(due)
            }
            None => None,
        };
        let sent = Instant::now();
        let r = req.send().await;
        let done = Instant::now();
        let latency = Q::check(r).map(|()| (done - intended.unwrap_or(sent), done - sent));
        let lateness = intended.map(|due| sent.saturating_duration_since(due));
        sink.lock().unwrap_or_else(PoisonError::into_inner).push(Done {
            at: done,
            latency,
            lateness,
        });
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_woken_late_takes_only_what_completed_before_it_closed() {
        let until = Instant::now();
        let done = |at| Done {
            at,
            latency: Ok((Duration::ZERO, Duration::ZERO)),
            lateness: None,
        };
        let ns = Duration::from_nanos(1);
        let sink = Mutex::new(vec![
            done(until + ns),
            done(until - ns),
            done(until),
            done(until + 5 * ns),
        ]);
        let taken: Vec<Instant> = take_until(&sink, until).iter().map(|d| d.at).collect();
        assert_eq!(taken, [until - ns, until]);
        let left: Vec<Instant> = sink.lock().unwrap().iter().map(|d| d.at).collect();
        assert_eq!(left, [until + ns, until + 5 * ns], "the next window's, in order");
    }

    #[test]
    fn schedule_is_exact_and_interleaves_connections() {
        let start = Instant::now();
        let s = Schedule {
            start,
            rate: 3,
            connections: 2,
        };
        // 3 requests/s over 2 connections: the merged sends are 1/3 s apart.
        let mut all: Vec<Duration> = (0..2).flat_map(|k| (0..6).map(move |i| s.offset(k, i))).collect();
        all.sort();
        for (n, d) in all.iter().enumerate() {
            assert_eq!(d.as_nanos(), n as u128 * 1_000_000_000 / 3);
        }
        assert_eq!(s.due(1, 0) - start, Duration::from_nanos(333_333_333));
        // A day into a run at 1 M/s nothing has drifted: exactly 86 400 s.
        let fast = Schedule {
            start,
            rate: 1_000_000,
            connections: 16,
        };
        assert_eq!(fast.offset(0, 86_400 * 1_000_000 / 16), Duration::from_secs(86_400));
    }
}
