//! The load generator's pacing: open loop at a constant rate (wrk2's method)
//! or closed loop as fast as replies allow, over C connections, one window
//! of schedule per batch. What a connection sends is the caller's
//! ([`Request`]); when it is sent and how its latency is counted is decided
//! here.
//!
//! Open loop: connection k of C sends its i-th request at the *intended*
//! time `start + (k + i·C) / rate`; if the previous response came back late,
//! the next request goes out at once, late. Latency is recorded twice: from
//! the intended send time (corrected for coordinated omission) and from the
//! actual send (uncorrected). A closed-loop client that waits for each reply
//! sends less while the server is stuck, so a stall never reaches the
//! uncorrected histogram; the corrected one counts every request that should
//! have been sent during it. Method: G. Tene, "How NOT to Measure Latency"
//! (2015), and wrk2's README (github.com/giltene/wrk2).
//!
//! One batch is one second of schedule, so the recorders' 1-second intervals
//! line up with the schedule and a stall is visible in time in the `.hlog`.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{Batch, ErrorCounts, OpError};
use crate::runtime::Runtime;

/// The window one batch covers.
pub const WINDOW: Duration = Duration::from_secs(1);

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

/// Where the generator is in its schedule: the origin, set by the first
/// window, and the next window's number.
#[derive(Debug, Default)]
pub struct Schedule {
    start: Option<Instant>,
    window: u32,
}

/// Runs the next window of the schedule: one task per connection, each
/// sending on its own schedule until the window ends. `latency` is counted
/// from the intended send time, `latency_uncorrected` from the actual send.
pub async fn run_window<R: Runtime, Q: Request>(rt: &R, conns: &[Q], mode: LoadMode, schedule: &mut Schedule) -> Batch {
    let start = *schedule.start.get_or_insert_with(Instant::now);
    let from = start + WINDOW * schedule.window;
    let until = from + WINDOW;
    schedule.window += 1;
    let t0 = Instant::now();
    let c = conns.len() as u64;
    let handles: Vec<_> = conns
        .iter()
        .enumerate()
        .map(|(k, req)| {
            let (req, rt2) = (req.clone(), rt.clone());
            rt.spawn(async move { connection(rt2, req, mode, k as u64, c, start, from, until).await })
        })
        .collect();
    let mut b = Batch::default();
    let mut uncorrected = Vec::new();
    for h in handles {
        match h.await {
            Ok(o) => {
                b.latencies.extend(o.corrected);
                uncorrected.extend(o.uncorrected);
                b.errors.merge(&o.errors);
            }
            Err(e) => b.errors.record(&e.into()),
        }
    }
    b.wall = t0.elapsed();
    let done = b.latencies.len() as f64;
    b.values.push(("achieved_rps", done / b.wall.as_secs_f64().max(1e-9)));
    if let LoadMode::Rate(r) = mode {
        b.values.push(("asked_rps", r as f64));
    }
    b.extra.push(("latency_uncorrected", uncorrected));
    b
}

/// What one connection did in one window.
#[derive(Default)]
struct ConnOutcome {
    corrected: Vec<Duration>,
    uncorrected: Vec<Duration>,
    errors: ErrorCounts,
}

/// Drives one connection through one window of the schedule.
#[allow(clippy::too_many_arguments)]
async fn connection<R: Runtime, Q: Request>(
    rt: R,
    req: Q,
    mode: LoadMode,
    k: u64,
    c: u64,
    start: Instant,
    from: Instant,
    until: Instant,
) -> ConnOutcome {
    let mut o = ConnOutcome::default();
    match mode {
        LoadMode::Rate(rate) => {
            // Connection k owns requests k, k+C, k+2C, …: period C/rate.
            let period = Duration::from_secs_f64(c as f64 / rate as f64);
            let offset = Duration::from_secs_f64(k as f64 / rate as f64);
            let first = (from.saturating_duration_since(start + offset).as_secs_f64() / period.as_secs_f64()).ceil();
            let mut i = first as u64;
            loop {
                let intended = start + offset + period.mul_f64(i as f64);
                if intended >= until {
                    break;
                }
                let now = Instant::now();
                if intended > now {
                    rt.sleep(intended - now).await;
                }
                let sent = Instant::now();
                let r = req.send().await;
                let done = Instant::now();
                match Q::check(r) {
                    Ok(()) => {
                        o.corrected.push(done - intended);
                        o.uncorrected.push(done - sent);
                    }
                    Err(e) => o.errors.record(&e),
                }
                i += 1;
            }
        }
        LoadMode::MaxThroughput => {
            while Instant::now() < until {
                let sent = Instant::now();
                let r = req.send().await;
                match Q::check(r) {
                    Ok(()) => {
                        let d = sent.elapsed();
                        o.corrected.push(d);
                        o.uncorrected.push(d);
                    }
                    Err(e) => o.errors.record(&e),
                }
            }
        }
    }
    o
}
