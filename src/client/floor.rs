//! The floor of a server route: the fastest of many requests from a minimal blocking client,
//! one at a time, on a fresh or a kept-alive connection. Every row's measured/floor divides by
//! it, so it must be a lower bound ([`crate::measure::check_floor`]).

use std::time::{Duration, Instant};

use super::{BlockingClient, ConnMode};

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
    let s = crate::stats::Sample::new(ns).ok()?;
    Some(RouteFloor {
        path: path.to_string(),
        conn,
        min_ns: s.min(),
        p50_ns: s.median(),
        samples: n,
    })
}
