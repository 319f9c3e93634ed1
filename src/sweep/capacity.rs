//! The generator's own capacity as a figure: its CPU per paced request and
//! the highest rate it paces cleanly, measured against a [`Sink`] that costs
//! almost nothing per request, so what is left is the generator. A sweep
//! records it in `sweep.json` and `run --rate` prints it. Its rates double to
//! the first that is not clean, then bisect between that and the last clean
//! one, so the generator's limit lies between the highest clean rate and the
//! lowest that was not; a sweep step in that range is judged by its own
//! generator figures.
//!
//! "Clean" is one definition shared with the sweep: not generator-bound by
//! [`super::generator_bound`] (busiest thread under 90% of its core, own send
//! lag p99 ≤ 1 ms), achieved ≥ 99% of offered, no errors.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Pcts;
use super::knee::SATURATED_BELOW;
use crate::client::sink::Sink;
use crate::client::{PacedGenerator, PacedSpec};
use crate::measure::placement::CpuSet;

/// Connections of the capacity probe (the sweep's default too).
pub const CONNECTIONS: u64 = 16;

/// One offered rate against the sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapacityStep {
    pub offered_rps: u64,
    pub achieved_rps: f64,
    /// The busiest generator thread's CPU share of its core.
    pub cpu_share: f64,
    /// All generator threads' CPU time per request sent, µs.
    pub cpu_us_per_request: f64,
    /// The generator's own send lag.
    pub send_lag: Pcts,
    pub errors: u64,
    pub clean: bool,
}

/// The generator's capacity on this machine, as measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Capacity {
    /// The highest offered rate that was clean (0: none was).
    pub highest_clean_rps: u64,
    /// CPU per paced request at that rate, µs (all generator threads).
    pub cpu_us_per_request: Option<f64>,
    pub threads: usize,
    pub connections: u64,
    pub generator_cpus: Option<String>,
    pub sink_cpus: Option<String>,
    pub steps: Vec<CapacityStep>,
}

impl Capacity {
    /// The lowest rate tried above the highest clean one that was not clean: the generator's
    /// limit lies below it.
    pub fn lowest_unclean(&self) -> Option<u64> {
        self.steps
            .iter()
            .filter(|s| !s.clean && s.offered_rps > self.highest_clean_rps)
            .map(|s| s.offered_rps)
            .min()
    }

    /// One line for a terminal. It names the event-loop generator (the
    /// sweep's and `http_server`'s load): `run --rate`'s `http_load` paces
    /// with the runtime-generic generator instead, whose cost this is not.
    pub fn line(&self) -> String {
        let cpu = self
            .cpu_us_per_request
            .map_or("—".to_string(), |c| format!("{c:.2} µs of CPU per paced request"));
        // The probe's limit lies between its highest clean rate and the lowest above it that was
        // not clean: both are said, or a rate between them reads as past the generator.
        let above = match self.lowest_unclean() {
            Some(r) => format!(", not at {r}/s"),
            None if self.steps.is_empty() => String::new(),
            None => " (the highest rate tried)".to_string(),
        };
        format!(
            "event-loop load generator's capacity (the sweep's and http_server's load; against a near-zero-cost sink, {} thread(s) on CPUs {}): clean up to {} requests/s{above}, {cpu}",
            self.threads,
            self.generator_cpus.as_deref().unwrap_or("any"),
            self.highest_clean_rps
        )
    }
}

/// What to measure with.
#[derive(Debug, Clone)]
pub struct CapacityOpts {
    /// One generator thread per entry (as [`PacedSpec::threads`]).
    pub threads: Vec<Option<CpuSet>>,
    pub sink_cpus: Option<CpuSet>,
    pub connections: u64,
    /// Offered rates, rising; the probe stops after the first unclean one.
    pub rates: Vec<u64>,
    /// Then this many bisection steps between the last clean rate and the first unclean one.
    pub refine: u32,
    /// Measured windows per rate (one more is a discarded warm-up).
    pub windows: u32,
    pub window: Duration,
}

impl CapacityOpts {
    /// 10k, 20k, … 320k requests/s, then 2 bisection steps (a limit between 80k and 160k is
    /// bounded within 20k), 2 windows of 250 ms each (about 6 s).
    pub fn quick(threads: Vec<Option<CpuSet>>, sink_cpus: Option<CpuSet>) -> CapacityOpts {
        CapacityOpts {
            threads,
            sink_cpus,
            connections: CONNECTIONS,
            rates: (0..6).map(|i| 10_000u64 << i).collect(),
            refine: 2,
            windows: 2,
            window: Duration::from_millis(250),
        }
    }
}

/// The highest clean rate: `rates` in turn to the first that `clean` says is not, then `refine`
/// bisection steps between the last clean one and that (nothing to bisect below the first).
fn search(rates: &[u64], refine: u32, mut clean: impl FnMut(u64) -> Result<bool, String>) -> Result<u64, String> {
    let (mut lo, mut hi) = (0, None);
    for &rate in rates {
        if !clean(rate)? {
            hi = Some(rate);
            break;
        }
        lo = rate;
    }
    if let Some(mut hi) = hi.filter(|_| lo > 0) {
        for _ in 0..refine {
            let mid = lo + (hi - lo) / 2;
            if mid <= lo || mid >= hi {
                break;
            }
            if clean(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    Ok(lo)
}

/// Runs the probe: per rate a fresh generator against one sink.
pub fn measure(o: &CapacityOpts) -> Result<Capacity, String> {
    let sink = Sink::start(o.sink_cpus.clone()).map_err(|e| format!("the capacity sink: {e}"))?;
    let mut steps: Vec<CapacityStep> = Vec::new();
    let mut placed = None;
    let mut threads = 0;
    let mut probe = |rate: u64| -> Result<CapacityStep, String> {
        let mut g = PacedGenerator::start(PacedSpec {
            server: sink.addr(),
            path: "/".into(),
            connections: o.connections,
            rate: Some(rate),
            timeout: Duration::from_secs(2),
            window: o.window,
            threads: o.threads.clone(),
            spin: crate::client::paced::DEFAULT_SPIN,
            coalesce: crate::client::paced::DEFAULT_COALESCE,
        })?;
        threads = g.threads();
        let cpus: Vec<usize> = g.placed_on.iter().flatten().flat_map(|c| c.cpus().to_vec()).collect();
        placed = (!cpus.is_empty()).then(|| CpuSet::new(cpus).to_string());
        g.window_blocking()?;
        let (mut lag, mut done, mut sent, mut errors) = (crate::sweep::new_hist(), 0u64, 0u64, 0u64);
        let (mut cpu, mut share, mut busy) = (Duration::ZERO, 0.0f64, 0.0f64);
        for _ in 0..o.windows.max(1) {
            let w = g.window_blocking()?;
            crate::sweep::record(&mut lag, &w.send_lag);
            done += w.completed();
            sent += w.sent;
            errors += w.errors.total();
            cpu += w.cpu;
            share = share.max(w.max_thread_cpu);
            busy = busy.max(w.max_thread_busy);
        }
        drop(g);
        let secs = o.window.as_secs_f64() * f64::from(o.windows.max(1));
        let send_lag = Pcts::of(&lag);
        let achieved = done as f64 / secs;
        // The sink shares no CPU with the generator when both are placed apart.
        let shares = o.sink_cpus.is_none();
        let clean = !super::generator_bound(busy, &send_lag, shares)
            && achieved >= SATURATED_BELOW * rate as f64
            && errors == 0;
        Ok(CapacityStep {
            offered_rps: rate,
            achieved_rps: achieved,
            cpu_share: share,
            cpu_us_per_request: cpu.as_secs_f64() * 1e6 / sent.max(1) as f64,
            send_lag,
            errors,
            clean,
        })
    };
    let lo = search(&o.rates, o.refine, |rate| {
        let step = probe(rate)?;
        let clean = step.clean;
        steps.push(step);
        Ok(clean)
    })?;
    let best = steps.iter().find(|s| s.clean && s.offered_rps == lo);
    Ok(Capacity {
        highest_clean_rps: best.map_or(0, |s| s.offered_rps),
        cpu_us_per_request: best.map(|s| s.cpu_us_per_request),
        threads,
        connections: o.connections,
        generator_cpus: placed,
        sink_cpus: o.sink_cpus.as_ref().map(|c| c.to_string()),
        steps,
    })
}

/// One closed-loop run of wrk (benches/generator_capacity.rs): its connections, the rate it
/// reached and its CPU per request, µs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkRun {
    pub conns: u64,
    pub rate: f64,
    pub cpu_us: f64,
}

/// The wrk run to set beside a client paced at `rate`: the slowest that ran at least as fast
/// (a client running faster sleeps less per request, so its CPU per request is no higher than
/// wrk's at `rate` would be: the comparison is not in the generator's favour); none when no wrk
/// run was that fast.
pub fn like_rate(runs: &[WrkRun], rate: f64) -> Option<WrkRun> {
    runs.iter()
        .filter(|w| w.rate >= rate)
        .min_by(|a, b| a.rate.total_cmp(&b.rate))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planted: a generator clean up to 100,000/s. The doubling rates stop at 160k; two
    /// bisection steps try 120k (not clean) and 100k (clean); a third would try 110k.
    #[test]
    fn the_probe_doubles_then_bisects_to_the_planted_limit() {
        let rates: Vec<u64> = (0..6).map(|i| 10_000u64 << i).collect();
        let run = |refine| {
            let mut tried = Vec::new();
            let lo = search(&rates, refine, |r| {
                tried.push(r);
                Ok(r <= 100_000)
            })
            .unwrap();
            (lo, tried)
        };
        assert_eq!(run(0), (80_000, vec![10_000, 20_000, 40_000, 80_000, 160_000]));
        let (lo, tried) = run(2);
        assert_eq!(lo, 100_000);
        assert_eq!(tried[5..], [120_000, 100_000]);
        assert_eq!(run(3).1[5..], [120_000, 100_000, 110_000]);
        // Not clean at the first rate: nothing below it to bisect.
        assert_eq!(search(&rates, 2, |_| Ok(false)).unwrap(), 0);
        // Clean everywhere: the highest rate tried, no bisection.
        assert_eq!(search(&rates, 2, |_| Ok(true)).unwrap(), 320_000);
    }

    fn step(offered_rps: u64, clean: bool) -> CapacityStep {
        CapacityStep {
            offered_rps,
            achieved_rps: offered_rps as f64,
            cpu_share: 0.5,
            cpu_us_per_request: 6.0,
            send_lag: Pcts::default(),
            errors: 0,
            clean,
        }
    }

    #[test]
    fn the_line_bounds_the_limit_by_the_lowest_rate_above_it_that_was_not_clean() {
        let c = Capacity {
            highest_clean_rps: 100_000,
            cpu_us_per_request: Some(6.0),
            threads: 1,
            connections: 16,
            generator_cpus: Some("1".into()),
            sink_cpus: Some("0".into()),
            steps: vec![
                step(80_000, true),
                step(160_000, false),
                step(120_000, false),
                step(100_000, true),
            ],
        };
        assert_eq!(c.lowest_unclean(), Some(120_000));
        assert!(
            c.line().contains("clean up to 100000 requests/s, not at 120000/s"),
            "{}",
            c.line()
        );
    }

    /// Planted: wrk at 16 connections (180k/s), 3 (32k/s) and 2 (21k/s). A client paced at
    /// 30k/s is set beside the 32k/s run, the slowest at least as fast; at 21k/s exactly, beside
    /// that run; past every run's rate, beside none.
    #[test]
    fn the_like_rate_wrk_run_is_the_slowest_at_least_as_fast() {
        let run = |conns, rate, cpu_us| WrkRun { conns, rate, cpu_us };
        let runs = [run(16, 180_000.0, 5.5), run(3, 32_000.0, 13.0), run(2, 21_000.0, 17.5)];
        assert_eq!(like_rate(&runs, 30_000.0).map(|w| w.conns), Some(3));
        assert_eq!(like_rate(&runs, 21_000.0).map(|w| w.conns), Some(2));
        assert_eq!(like_rate(&runs, 100_000.0).map(|w| w.conns), Some(16));
        assert_eq!(like_rate(&runs, 200_000.0), None);
    }
}
