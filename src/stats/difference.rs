//! The difference of two rows of one run, paired by round: what one adds to the other (a
//! timeout wrapper's cost: wrapped minus bare), with its interval.
//!
//! Round i of both rows ran in the same round of the shuffled order, so the per-round
//! difference Aᵢ − Bᵢ cancels what the round shared. Estimate: the mean of the differences;
//! interval: Student's paired t-interval on them (Student 1908, "The probable error of a mean",
//! Biometrika 6), df = pairs − 1.

use super::interval::{Interval, mean_interval};
use super::mean_sd;
use super::rounds::ALPHA;

/// A − B from paired rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// Mean of the per-round differences.
    pub estimate: f64,
    /// Its 95% interval; `None` with fewer than two pairs.
    pub interval: Option<Interval>,
    /// Rounds that paired (the first `min(len A, len B)`).
    pub pairs: usize,
}

/// A − B over paired rounds; `None` when no round pairs or a figure is not finite.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Option<Difference> {
    let n = a.len().min(b.len());
    if n == 0 || !a[..n].iter().chain(&b[..n]).all(|x| x.is_finite()) {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).take(n).map(|(x, y)| x - y).collect();
    let (mean, sd) = mean_sd(&d);
    let interval = mean_interval(mean, sd, n, 1.0 - ALPHA);
    Some(Difference {
        estimate: mean,
        interval,
        pairs: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_constant_difference_reads_back_with_a_closed_interval() {
        // Drift common to both rows cancels: every round adds exactly 85.
        let d = paired_difference(&[185.0, 285.0, 135.0], &[100.0, 200.0, 50.0]).unwrap();
        assert!((d.estimate - 85.0).abs() < 1e-9);
        let i = d.interval.unwrap();
        assert!((i.lo - 85.0).abs() < 1e-9 && (i.hi - 85.0).abs() < 1e-9);
    }

    #[test]
    fn interval_matches_a_hand_computation() {
        // Differences 10, 12, 14: mean 12, sd 2, t(0.975, 2) = 4.302653: 12 ± 4.968.
        let d = paired_difference(&[10.0, 12.0, 14.0], &[0.0, 0.0, 0.0]).unwrap();
        let Interval { lo, hi, .. } = d.interval.unwrap();
        let h = 4.302_653 * 2.0 / 3f64.sqrt();
        assert!(
            (lo - (12.0 - h)).abs() < 1e-4 && (hi - (12.0 + h)).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert_eq!(paired_difference(&[1.0], &[0.5]).unwrap().interval, None);
        assert!(paired_difference(&[], &[1.0]).is_none());
    }
}
