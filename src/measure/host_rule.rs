//! The rerun rule: a round taken while the host was measurably slow, or while the hypervisor
//! stole time, is run again once.
//!
//! What it reads: only the two readings the harness takes around every round itself — the
//! hypervisor steal while the round ran ([`super::steal`]) and the host probe as it ended
//! ([`super::host_probe`]) — never the case's own figures. So whether a round is rerun does not
//! depend on how fast the case went, and it cannot favour one runtime: the cases of a round run
//! in a shuffled order, so a slow spell of the host meets every runtime alike, and the rerun
//! replaces the disturbed round with one of the same experiment (same case, same round number,
//! same measurement time). Each round is rerun at most once and the rerun stands whatever it
//! reads, so a host that stays slow costs one extra round per case, not a loop. A row names its
//! reruns in its notes.
//!
//! Thresholds, from the runs recorded on the 2-core CI VM:
//! - **steal ≥ 2%**: the rounds with at least 2% steal ran 33% slow on average (issue 40's
//!   measurement of two full runs on the CI VM), and a quiet round reads 0–1%;
//! - **probe ≥ 5% over the run's median**: a quiet host reads within about ±2.5% of its median
//!   (`host_probe`'s own measurement), so 5% is past its quiet spread; the median is of every
//!   probe of the run so far and needs [`MIN_PROBES`] of them first.

use crate::stats::Sample;

/// Steal at or above this share of the round's CPU time reruns it.
pub const STEAL_PCT: f64 = 2.0;
/// A probe this much slower than the run's median (percent) reruns the round.
pub const SLOW_PROBE_PCT: f64 = 5.0;
/// Probes the run must have taken before the probe's half of the rule applies.
pub const MIN_PROBES: usize = 5;

/// The run's host readings so far, and the rule that reads them.
#[derive(Debug, Clone, Default)]
pub struct HostRule {
    probes: Vec<f64>,
}

/// Why a round is rerun.
#[derive(Debug, Clone, PartialEq)]
pub enum Disturbed {
    /// The hypervisor stole this share (percent) of the round's CPU time.
    Steal(f64),
    /// The host probe read this much (percent) over the run's median.
    SlowHost(f64),
}

impl std::fmt::Display for Disturbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Disturbed::Steal(p) => write!(f, "{p:.1}% steal (≥ {STEAL_PCT}%)"),
            Disturbed::SlowHost(p) => write!(f, "host probe {p:+.1}% over the run's median (≥ {SLOW_PROBE_PCT}%)"),
        }
    }
}

impl HostRule {
    /// Takes one round's readings into the run's record and says whether the round was
    /// disturbed. Every probe joins the median, the disturbed ones too (they are readings of
    /// the host, whichever round they came from).
    pub fn judge(&mut self, steal_pct: Option<f64>, probe_ns: Option<f64>) -> Option<Disturbed> {
        let over = probe_ns.and_then(|p| self.over_median_pct(p));
        if let Some(p) = probe_ns.filter(|p| p.is_finite() && *p > 0.0) {
            self.probes.push(p);
        }
        if let Some(s) = steal_pct.filter(|s| *s >= STEAL_PCT) {
            return Some(Disturbed::Steal(s));
        }
        over.filter(|o| *o >= SLOW_PROBE_PCT).map(Disturbed::SlowHost)
    }

    /// How far (percent) `probe_ns` reads over the median of the probes before it.
    fn over_median_pct(&self, probe_ns: f64) -> Option<f64> {
        if self.probes.len() < MIN_PROBES {
            return None;
        }
        let median = Sample::new(self.probes.iter().copied()).ok()?.median();
        (median > 0.0).then(|| (probe_ns / median - 1.0) * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planted readings: quiet rounds pass, a round with 3% steal or a probe 8% slow is rerun,
    /// and the probe's half waits for five probes.
    #[test]
    fn steal_and_a_slow_probe_rerun_quiet_rounds_do_not() {
        let mut rule = HostRule::default();
        // Before five probes, even a slow one passes (no median yet); steal counts at once.
        assert_eq!(rule.judge(Some(0.0), Some(20_000.0)), None);
        assert_eq!(rule.judge(Some(3.0), Some(10_000.0)), Some(Disturbed::Steal(3.0)));
        for _ in 0..5 {
            assert_eq!(rule.judge(Some(0.5), Some(10_000.0)), None);
        }
        // Median of 20,000 and six 10,000s: 10,000. 4% slow passes, 8% is rerun.
        assert_eq!(rule.judge(Some(0.0), Some(10_400.0)), None);
        match rule.judge(Some(0.0), Some(10_800.0)) {
            Some(Disturbed::SlowHost(p)) => assert!((p - 8.0).abs() < 1e-9, "{p}"),
            other => panic!("a probe 8% slow must rerun the round, got {other:?}"),
        }
        // A faster probe never reruns; no readings (an external runtime's round) never do.
        assert_eq!(rule.judge(Some(0.0), Some(9_000.0)), None);
        assert_eq!(rule.judge(None, None), None);
    }
}
