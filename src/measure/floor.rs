//! The harness's own floor: what one `Instant::now()` pair and one histogram
//! record cost on this machine, measured at start so reports can say which
//! differences are below the harness's resolution (as divan's
//! `Timer::precision` does).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Recorder;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HarnessFloor {
    /// Median cost of reading the clock twice (start + stop of one timing).
    pub timer_ns: f64,
    /// Median cost of one `Recorder::record`.
    pub record_ns: f64,
    /// Smallest non-zero difference seen between consecutive clock reads.
    pub timer_resolution_ns: u64,
}

/// Takes the median over `rounds` rounds of `per_round` operations each; a
/// median over rounds shrugs off a round interrupted by the scheduler.
pub fn measure_floor() -> HarnessFloor {
    const ROUNDS: usize = 21;
    const PER_ROUND: u32 = 10_000;

    let mut timer = Vec::with_capacity(ROUNDS);
    let mut record = Vec::with_capacity(ROUNDS);
    let mut rec = Recorder::new();
    for _ in 0..ROUNDS {
        let t0 = Instant::now();
        for _ in 0..PER_ROUND {
            let a = Instant::now();
            black_box(a.elapsed());
        }
        timer.push(t0.elapsed().as_nanos() as f64 / f64::from(PER_ROUND));

        let t0 = Instant::now();
        for i in 0..PER_ROUND {
            rec.record_ns(black_box(1000 + u64::from(i)));
        }
        record.push(t0.elapsed().as_nanos() as f64 / f64::from(PER_ROUND));
    }
    HarnessFloor {
        timer_ns: median(&mut timer),
        record_ns: median(&mut record),
        timer_resolution_ns: resolution(),
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn resolution() -> u64 {
    let mut best = Duration::MAX;
    for _ in 0..10_000 {
        let a = Instant::now();
        let mut b = Instant::now();
        while b == a {
            b = Instant::now();
        }
        best = best.min(b - a);
    }
    u64::try_from(best.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn floor_is_positive_and_small() {
        let f = super::measure_floor();
        assert!(f.timer_ns > 0.0 && f.record_ns > 0.0);
        // Physical bound, not a performance assertion: a clock read that
        // costs a millisecond means the measurement is broken.
        assert!(f.timer_ns < 1_000_000.0, "{f:?}");
        assert!(f.timer_resolution_ns >= 1);
    }
}

/// What one route of the test server takes from a minimal client: a
/// blocking keep-alive GET, one at a time, measured in the run that uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteFloor {
    pub mean_ns: f64,
    pub samples: usize,
}

/// Measures `path`'s floor against `server`: three unrecorded requests, then
/// as many as fit in about 0.3 s (5 to 50). `None` if any request fails.
pub fn route_floor(server: std::net::SocketAddr, path: &str) -> Option<RouteFloor> {
    use crate::client::{BlockingClient, ConnMode};
    let client = BlockingClient::new(server, ConnMode::KeepAlive, Duration::from_secs(30));
    let one = || -> Option<Duration> {
        let t0 = Instant::now();
        let r = client.get(path).ok()?;
        r.is_success().then(|| t0.elapsed())
    };
    let mut warm = Duration::ZERO;
    for _ in 0..3 {
        warm = one()?;
    }
    let n = (Duration::from_millis(300).as_nanos() / warm.as_nanos().max(1)).clamp(5, 50) as usize;
    let mut total = Duration::ZERO;
    for _ in 0..n {
        total += one()?;
    }
    Some(RouteFloor {
        mean_ns: total.as_nanos() as f64 / n as f64,
        samples: n,
    })
}
