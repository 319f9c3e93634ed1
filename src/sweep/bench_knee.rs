//! The knee table of a `cargo bench` run: the http_server scenario's rows
//! (one per route × offered rate × runtime) read as a short sweep, for the
//! report to put first in its section. Each row carries its route and its
//! offered rate as figures (`values`: [`Route::figure`], `asked_rps`), so
//! nothing here reads a variant label.

use std::collections::BTreeMap;
use std::time::Duration;

use super::knee::{self, Knee, Point};
use crate::results::summary::CaseResult;
use crate::server::under_test::Route;

/// The scenario whose rows this reads.
pub const SCENARIO: &str = "http_server";
/// The value each http_server row carries: the SLO its knee is judged by.
pub const SLO_VALUE: &str = "slo_p99_us";

/// The value each row carries: the rate the generator was asked for, requests/s.
pub const RATE_VALUE: &str = "asked_rps";

/// One row of the table: route, runtime, the knee, the SLO (µs) and the rates tried.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchKnee {
    /// The request path, e.g. `/burn/50`.
    pub route: String,
    pub runtime: String,
    pub knee: Knee,
    pub slo_us: f64,
    pub rates: Vec<u64>,
}

/// Knees per route and runtime from a run's primary (`latency`) rows.
pub fn knees(rows: &[CaseResult]) -> Vec<BenchKnee> {
    let mut groups: BTreeMap<(String, String), (Vec<Point>, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.scenario == SCENARIO && r.metric == "latency") {
        let (Some(route), Some(&rate)) = (Route::from_figures(&r.values), r.values.get(RATE_VALUE)) else {
            continue;
        };
        let rate = rate.round() as u64;
        let Some(p) = r.latency_ns.as_ref() else { continue };
        let slo = r.values.get(SLO_VALUE).copied().unwrap_or(0.0);
        let e = groups
            .entry((route.path(), r.runtime.clone()))
            .or_insert((Vec::new(), slo));
        e.0.push(Point {
            rate,
            achieved: r.values.get("achieved_rps").copied().unwrap_or(0.0),
            p99: Duration::from_nanos(p.p99),
            errors: r.errors,
            // What the generator could not give back; a run recorded before `generator_busy`
            // existed has only its CPU share.
            generator_bound: r
                .values
                .get("generator_busy")
                .or_else(|| r.values.get("generator_cpu"))
                .copied()
                .unwrap_or(0.0)
                >= knee::GENERATOR_CPU_BOUND,
            // A bench row is the mean of its rounds, each a case of its own: there is no step
            // to run again, so the host canary is shown beside the row, not applied here.
            host_disturbed: false,
        });
    }
    groups
        .into_iter()
        .map(|((route, runtime), (points, slo_us))| {
            let slo = Duration::from_secs_f64(slo_us.max(0.0) / 1e6);
            let mut rates: Vec<u64> = points.iter().map(|p| p.rate).collect();
            rates.sort_unstable();
            BenchKnee {
                knee: knee::knee(&points, slo, Duration::MAX),
                route,
                runtime,
                slo_us,
                rates,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row at `rate` whose variant label says nothing: route and rate are read from its values.
    fn row(rate: u64, runtime: &str, p99_us: u64, achieved: f64) -> CaseResult {
        let (route, one) = Route::Immediate.figure();
        CaseResult {
            scenario: SCENARIO.into(),
            variant: "label-not-read".into(),
            runtime: runtime.into(),
            metric: "latency".into(),
            latency_ns: Some(crate::results::summary::Percentiles {
                p99: p99_us * 1000,
                ..Default::default()
            }),
            values: [
                ("achieved_rps".to_string(), achieved),
                (SLO_VALUE.to_string(), 5000.0),
                (RATE_VALUE.to_string(), rate as f64),
                (route.to_string(), one),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn planted_rows_give_their_knee() {
        let rows = vec![
            row(2000, "tokio-ct", 300, 2000.0),
            row(8000, "tokio-ct", 900, 8000.0),
            row(32_000, "tokio-ct", 9000, 31_000.0),
            row(2000, "smol-ct", 6000, 2000.0),
            // Another route on the same runtime is a curve of its own.
            {
                let mut r = row(2000, "tokio-ct", 300, 2000.0);
                r.values.remove(Route::Immediate.figure().0);
                r.values.insert("route_burn_us".into(), 50.0);
                r
            },
            // Another scenario's row is ignored.
            CaseResult {
                scenario: "udp_echo".into(),
                ..row(9, "tokio-ct", 1, 9.0)
            },
        ];
        let k = knees(&rows);
        assert_eq!(k.len(), 3);
        let smol = &k[0];
        assert_eq!((smol.runtime.as_str(), smol.knee.rate), ("smol-ct", 0));
        let tokio = &k[1];
        assert_eq!(
            (tokio.route.as_str(), tokio.knee.rate, tokio.knee.first_fail),
            ("/", 8000, Some(32_000))
        );
        assert_eq!(tokio.knee.p99_us, 900.0);
        assert_eq!(tokio.slo_us, 5000.0);
        assert_eq!(tokio.rates, [2000, 8000, 32_000]);
        assert_eq!((k[2].route.as_str(), k[2].rates.as_slice()), ("/burn/50", &[2000][..]));
    }
}
