//! The ratio of two rows of one run, with its interval over rounds: what a finding quotes.
//!
//! Rounds of two rows of one scenario run interleaved, case by case, in the same round index
//! (one fresh runtime each, the order shuffled per round), so round i of row A and round i of
//! row B saw the same state of the machine. The per-round ratio Aᵢ/Bᵢ cancels what the two
//! shared (a busy minute hits both); its logarithm is what is averaged, because ratios compose
//! by multiplication and A/B and B/A must give reciprocal answers.
//!
//! - Estimate: the geometric mean of the per-round ratios, exp(mean of ln(Aᵢ/Bᵢ)) — the
//!   summary of normalised benchmark ratios Fleming & Wallace argue for (1986, "How not to lie
//!   with statistics: the correct way to summarize benchmark results", CACM 29(3)).
//! - Interval: Student's paired t-interval (Student 1908, "The probable error of a mean",
//!   Biometrika 6) on the log ratios, df = pairs − 1, transformed back with exp: a 95% interval
//!   for the ratio of the two rows' geometric means.
//! - A difference is real when that interval excludes 1; with one pair there is no interval
//!   and nothing is claimed.

use super::interval::{Interval, mean_interval};
use super::mean_sd;
use super::rounds::ALPHA;

/// A/B from paired rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// Geometric mean of the per-round ratios.
    pub estimate: f64,
    /// The 95% interval of the ratio; `None` with fewer than two pairs.
    pub interval: Option<Interval>,
    /// Rounds that paired (the first `min(len A, len B)`: a case that failed skips its later
    /// rounds, so its rounds are a prefix of the run's).
    pub pairs: usize,
}

/// Whether a ratio says the rows differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The interval excludes 1.
    Real,
    /// The interval contains 1: the rounds do not tell the rows apart.
    WithinNoise,
    /// One pair of rounds: no interval, no claim.
    Unknown,
}

impl Ratio {
    pub fn verdict(&self) -> Verdict {
        match self.interval {
            Some(i) if !i.contains(1.0) => Verdict::Real,
            Some(_) => Verdict::WithinNoise,
            None => Verdict::Unknown,
        }
    }
}

/// A/B over paired rounds: `a[i]` and `b[i]` are the two rows' figures in round i (same unit
/// of work). `None` when no round pairs or a figure is not a positive finite number (a ratio of
/// zero or negative times means nothing).
pub fn paired_ratio(a: &[f64], b: &[f64]) -> Option<Ratio> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let ok = |x: &f64| x.is_finite() && *x > 0.0;
    if !a[..n].iter().all(ok) || !b[..n].iter().all(ok) {
        return None;
    }
    let logs: Vec<f64> = a.iter().zip(b).take(n).map(|(x, y)| (x / y).ln()).collect();
    let (mean, sd) = mean_sd(&logs);
    let interval = mean_interval(mean, sd, n, 1.0 - ALPHA).map(|i| i.map_increasing(f64::exp));
    Some(Ratio {
        estimate: mean.exp(),
        interval,
        pairs: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_planted_ratio_reads_back_exactly_with_a_closed_interval() {
        // Round-to-round drift common to both rows cancels: every round's ratio is 2.
        let r = paired_ratio(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!((r.estimate - 2.0).abs() < 1e-12);
        let Interval { lo, hi, level } = r.interval.unwrap();
        assert!((lo - 2.0).abs() < 1e-12 && (hi - 2.0).abs() < 1e-12 && level == 0.95);
        assert_eq!((r.pairs, r.verdict()), (3, Verdict::Real));
    }

    #[test]
    fn interval_matches_a_hand_computation() {
        // ln ratios ln 2, ln 2.2, ln 1.8: mean m, sd s, t(0.975, 2) = 4.302653.
        let logs = [2f64.ln(), 2.2f64.ln(), 1.8f64.ln()];
        let m = logs.iter().sum::<f64>() / 3.0;
        let s = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 2.0).sqrt();
        let h = 4.302653 * s / 3f64.sqrt();
        let r = paired_ratio(&[2.0, 2.2, 1.8], &[1.0, 1.0, 1.0]).unwrap();
        let Interval { lo, hi, .. } = r.interval.unwrap();
        assert!((r.estimate - m.exp()).abs() < 1e-12);
        assert!((lo - (m - h).exp()).abs() < 1e-5, "{lo}");
        assert!((hi - (m + h).exp()).abs() < 1e-5, "{hi}");
        assert_eq!(r.verdict(), Verdict::Real);
    }

    #[test]
    fn ratios_that_straddle_one_are_within_noise_and_invert_exactly() {
        let (a, b) = ([1.1, 0.9, 1.05], [1.0, 1.0, 1.0]);
        let ab = paired_ratio(&a, &b).unwrap();
        assert_eq!(ab.verdict(), Verdict::WithinNoise);
        let ba = paired_ratio(&b, &a).unwrap();
        assert!((ab.estimate * ba.estimate - 1.0).abs() < 1e-12);
        let (x, y) = (ab.interval.unwrap(), ba.interval.unwrap());
        assert!((x.lo * y.hi - 1.0).abs() < 1e-12 && (x.hi * y.lo - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_pair_claims_nothing_and_bad_figures_give_none() {
        let r = paired_ratio(&[3.0], &[1.0, 5.0]).unwrap();
        assert_eq!((r.pairs, r.interval, r.verdict()), (1, None, Verdict::Unknown));
        assert!(paired_ratio(&[], &[1.0]).is_none());
        assert!(paired_ratio(&[1.0, 0.0], &[1.0, 1.0]).is_none());
        assert!(paired_ratio(&[1.0, f64::NAN], &[1.0, 1.0]).is_none());
    }
}
