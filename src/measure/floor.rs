//! The harness's own floor: what one `Instant::now()` pair and one histogram
//! record cost on this machine, measured at start so reports can say which
//! differences are below the harness's resolution (as divan's
//! `Timer::precision` does).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Recorder;
use crate::client::{BlockingClient, ConnMode};

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

/// A lower bound on one kind of request a case makes: one route of the test server, on a
/// fresh connection or a kept-alive one, from a minimal blocking client, one at a time. A row's
/// floor is the lower of this and the row's own fastest request of the kind.
///
/// The bound is the *fastest* of many such requests, not their mean: a mean of a handful
/// sits above the typical request (scheduler hiccups only add), so cases that ran close to
/// the ideal read measured/floor < 1, which no floor may allow.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteFloor {
    pub path: String,
    pub conn: ConnMode,
    /// The fastest request seen: the floor.
    pub min_ns: f64,
    /// Their median, for the report's context (not the bound).
    pub p50_ns: f64,
    pub samples: usize,
}

impl RouteFloor {
    /// How the floor of a row making `count` such requests was taken, for its notes; `own` is
    /// the row's own fastest request (its latency minimum), which bounds it when lower.
    pub fn describe(&self, count: u64, own: Option<f64>) -> String {
        let per = own.map_or(self.min_ns, |o| o.min(self.min_ns));
        let own = match own {
            Some(o) if o < self.min_ns => format!(
                "; this case's own fastest, {:.1} µs, is lower and is the floor",
                o / 1e3
            ),
            _ => String::new(),
        };
        format!(
            "floor: {count} × {:.1} µs = the fastest {} GET {}: of {} from a blocking client, one at a time, \
             {:.1} µs (their median {:.1} µs){own}",
            per / 1e3,
            self.conn.name(),
            self.path,
            self.samples,
            self.min_ns / 1e3,
            self.p50_ns / 1e3
        )
    }
}

/// Fewest and most samples a route floor takes, and the time it aims to spend: enough that
/// the fastest request is a settled minimum, bounded for the slow `/delay/40`-type routes.
const FLOOR_MIN_SAMPLES: u128 = 20;
const FLOOR_MAX_SAMPLES: u128 = 200;
const FLOOR_BUDGET: Duration = Duration::from_millis(400);

/// Measures the floor of `path` over `conn` against `server`: three unrecorded requests,
/// then as many as fit in about 0.4 s (20 to 200); the fastest is the floor. `None` if any
/// request fails.
pub fn route_floor(server: std::net::SocketAddr, path: &str, conn: ConnMode) -> Option<RouteFloor> {
    let client = BlockingClient::new(server, conn, Duration::from_secs(30));
    let one = || -> Option<Duration> {
        let t0 = Instant::now();
        let r = client.get(path).ok()?;
        r.is_success().then(|| t0.elapsed())
    };
    let mut warm = Duration::ZERO;
    for _ in 0..3 {
        warm = one()?;
    }
    let n = (FLOOR_BUDGET.as_nanos() / warm.as_nanos().max(1)).clamp(FLOOR_MIN_SAMPLES, FLOOR_MAX_SAMPLES) as usize;
    let mut ns = Vec::with_capacity(n);
    for _ in 0..n {
        ns.push(one()?.as_nanos() as f64);
    }
    ns.sort_by(f64::total_cmp);
    Some(RouteFloor {
        path: path.to_string(),
        conn,
        min_ns: ns[0],
        p50_ns: ns[(n - 1) / 2],
        samples: n,
    })
}

/// A floor above the figure it bounds: the floor is broken (or the row measured something
/// other than the requests its ideal names), never "the runtime was faster than nothing".
#[derive(Debug, Clone, PartialEq)]
pub struct FloorExceeded {
    pub floor_ns: f64,
    pub measured_ns: f64,
}

impl std::fmt::Display for FloorExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "floor {:.1} µs exceeds the measured {:.1} µs it bounds (measured/floor {:.3} < 1): the floor is not a \
             lower bound for this row",
            self.floor_ns / 1e3,
            self.measured_ns / 1e3,
            self.measured_ns / self.floor_ns
        )
    }
}

/// Checks that `floor_ns` bounds `measured_ns` from below.
pub fn check_floor(floor_ns: f64, measured_ns: f64) -> Result<(), FloorExceeded> {
    if floor_ns > measured_ns {
        Err(FloorExceeded { floor_ns, measured_ns })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod route_tests {
    use super::*;

    #[test]
    fn a_floor_above_its_row_is_caught() {
        assert!(check_floor(20.0e6, 20.1e6).is_ok());
        assert!(check_floor(20.1e6, 20.1e6).is_ok());
        let e = check_floor(20.2e6, 20.1e6);
        assert!(e.as_ref().is_err_and(|e| e.to_string().contains("exceeds")), "{e:?}");
    }
}
