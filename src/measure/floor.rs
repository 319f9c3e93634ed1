//! The harness's own floor: what one `Instant::now()` pair and one histogram
//! record cost on this machine, measured at start so reports can say which
//! differences are below the harness's resolution (as divan's
//! `Timer::precision` does), and the check that a floor bounds the figure it is under. The
//! floor of a server route is measured with a client, one layer up (`crate::client::RouteFloor`).

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
        timer_ns: crate::stats::median(timer).expect("21 finite timings"),
        record_ns: crate::stats::median(record).expect("21 finite timings"),
        timer_resolution_ns: resolution(),
    }
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
