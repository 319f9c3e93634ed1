//! `Sample`: a set of measurements sorted once, owning the median and quantiles so that no
//! caller sorts for itself or picks its own convention (after criterion's
//! `stats::univariate::Sample`, which states its invariants the same way).
//!
//! Conventions, stated once:
//! - [`Sample::median`] is the midpoint median: the middle value, or the mean of the two middle
//!   values when the count is even (Hyndman & Fan 1996, type 7 at p = 0.5).
//! - [`Sample::upper_median`] is the upper median: the middle value, the upper of the two
//!   middle ones for an even count — for figures where the worse of a split must not be
//!   flattered (a sweep step's repeats, a counter's calibration).
//! - [`Sample::quantile`] is the nearest-rank quantile: the ⌈q·n⌉-th smallest value (Hyndman &
//!   Fan type 1, [`super::rank::nearest_rank`]).
//! - [`Sample::sd`] is the sample standard deviation (n − 1), and [`Sample::mean_estimate`] the
//!   mean with its Student t interval ([`super::interval`]).
//!
//! Every median and quantile of a list of measurements in the crate is taken here: a row's
//! rounds, `compare`'s noise figures, the harness and route floors, the counters' overhead
//! calibrations, a CPU job's calibration, a sweep step's repeats and a row's batch walls
//! (`WallStats`). Percentiles of an HDR histogram are [`super::hdr::percentile`]'s, by the
//! reference implementations' rule ([`super::rank::hdr_rank`]), not this one.

use std::cmp::Ordering;

use super::interval::{Estimate, mean_interval};
use super::rank::nearest_rank;

/// A non-empty sample of finite values in ascending order.
///
/// Invariants (checked by [`Sample::new`], relied on by every method): at least one value; no
/// NaN or infinity; `sorted` is ascending. So the median and quantiles are always defined and
/// never panic.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    sorted: Vec<f64>,
}

/// Why values do not make a [`Sample`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// No values at all.
    #[error("a sample needs at least one value")]
    Empty,
    /// A NaN or an infinity at this index of the input.
    #[error("value {0} of the sample is not a finite number")]
    NotFinite(usize),
}

impl Sample {
    /// Sorts `values` once; refuses an empty input or a non-finite value (naming its index).
    pub fn new(values: impl IntoIterator<Item = f64>) -> Result<Sample, SampleError> {
        let mut sorted: Vec<f64> = values.into_iter().collect();
        if sorted.is_empty() {
            return Err(SampleError::Empty);
        }
        if let Some(i) = sorted.iter().position(|v| !v.is_finite()) {
            return Err(SampleError::NotFinite(i));
        }
        sorted.sort_by(f64::total_cmp);
        Ok(Sample { sorted })
    }

    /// How many values (≥ 1).
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: a sample has at least one value (for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The values in ascending order.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    /// The largest value.
    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> f64 {
        self.sorted.iter().sum::<f64>() / self.sorted.len() as f64
    }

    /// The midpoint median: the middle value, or the mean of the two middle ones.
    pub fn median(&self) -> f64 {
        let n = self.sorted.len();
        if n % 2 == 1 {
            self.sorted[n / 2]
        } else {
            0.5 * (self.sorted[n / 2 - 1] + self.sorted[n / 2])
        }
    }

    /// The upper median: the middle value, or the upper of the two middle ones.
    pub fn upper_median(&self) -> f64 {
        self.sorted[self.sorted.len() / 2]
    }

    /// The nearest-rank quantile: the ⌈q·n⌉-th smallest value; `q` is clamped to 0..=1, and
    /// q = 0 gives the minimum.
    pub fn quantile(&self, q: f64) -> f64 {
        self.sorted[nearest_rank(q, self.sorted.len()) - 1]
    }

    /// The sample standard deviation (n − 1 denominator); 0 for a single value.
    pub fn sd(&self) -> f64 {
        let n = self.sorted.len();
        if n < 2 {
            return 0.0;
        }
        let mean = self.mean();
        let ss: f64 = self.sorted.iter().map(|x| (x - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    }

    /// The mean with its two-sided Student t interval at `level` (no interval for one value).
    pub fn mean_estimate(&self, level: f64) -> Estimate {
        let mean = self.mean();
        Estimate {
            value: mean,
            interval: mean_interval(mean, self.sd(), self.sorted.len(), level),
        }
    }

    /// Where `x` falls: how many values are ≤ `x`, over the count (the empirical CDF).
    pub fn fraction_at_or_below(&self, x: f64) -> f64 {
        let k = self.sorted.partition_point(|v| v.total_cmp(&x) != Ordering::Greater);
        k as f64 / self.sorted.len() as f64
    }
}

/// A mean kept as values arrive, for a figure every batch reports once where the values
/// themselves are not needed (a scenario value such as `cpu_jobs_per_s`): their sum and count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunningMean {
    sum: f64,
    count: u64,
}

impl RunningMean {
    /// Adds one value.
    pub fn add(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }

    /// Adds every value `other` holds (a later part of the same series).
    pub fn merge(&mut self, other: &RunningMean) {
        self.sum += other.sum;
        self.count += other.count;
    }

    /// The mean of the values added; `None` before any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// The midpoint median of `values`, or `None` when they do not make a [`Sample`] (none, or one
/// not finite).
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    Sample::new(values).ok().map(|s| s.median())
}

/// The upper median of `values` ([`Sample::upper_median`]), or `None` as for [`median`].
pub fn upper_median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    Sample::new(values).ok().map(|s| s.upper_median())
}

/// The nearest-rank `q`-quantile of `values`, or `None` as for [`median`].
pub fn quantile(values: impl IntoIterator<Item = f64>, q: f64) -> Option<f64> {
    Sample::new(values).ok().map(|s| s.quantile(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_values_give_their_median_and_quantiles() {
        let s = Sample::new([40.0, 10.0, 30.0, 20.0]).expect("four values");
        assert_eq!(s.sorted(), [10.0, 20.0, 30.0, 40.0]);
        assert_eq!((s.min(), s.max(), s.mean()), (10.0, 40.0, 25.0));
        assert_eq!((s.median(), s.upper_median()), (25.0, 30.0));
        assert!((s.sd() - (500.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let e = s.mean_estimate(0.95);
        let i = e.interval.expect("four values");
        // t(0.975, 3) = 3.182446, s/√4 = 6.454972: half width 20.542.
        assert!(
            (e.value - 25.0).abs() < 1e-12 && (i.hi - 25.0 - 20.542).abs() < 1e-3,
            "{i:?}"
        );
        // Nearest rank: ⌈0.5·4⌉ = 2nd, ⌈0.9·4⌉ = 4th, ⌈0.25·4⌉ = 1st.
        assert_eq!((s.quantile(0.5), s.quantile(0.9), s.quantile(0.25)), (20.0, 40.0, 10.0));
        assert_eq!((s.quantile(0.0), s.quantile(1.0), s.quantile(7.0)), (10.0, 40.0, 40.0));
        let odd = Sample::new([3.0, 1.0, 2.0]).expect("three values");
        assert_eq!((odd.median(), odd.upper_median(), odd.quantile(0.5)), (2.0, 2.0, 2.0));
        assert_eq!(s.fraction_at_or_below(20.0), 0.5);
        assert_eq!(s.fraction_at_or_below(5.0), 0.0);
        assert_eq!(median([40.0, 10.0, 30.0, 20.0]), Some(25.0));
        assert_eq!(quantile([40.0, 10.0, 30.0, 20.0], 0.9), Some(40.0));
        assert_eq!((median([]), quantile([f64::NAN], 0.5)), (None, None));
        let (mut m, mut more) = (RunningMean::default(), RunningMean::default());
        assert_eq!(m.mean(), None);
        m.add(1.0);
        m.add(2.0);
        more.add(6.0);
        m.merge(&more);
        assert_eq!(m.mean(), Some(3.0));
    }

    #[test]
    fn the_invariants_are_checked_at_the_door() {
        assert_eq!(Sample::new(Vec::new()), Err(SampleError::Empty));
        assert_eq!(Sample::new([1.0, f64::NAN]), Err(SampleError::NotFinite(1)));
        assert_eq!(Sample::new([f64::INFINITY]), Err(SampleError::NotFinite(0)));
        let one = Sample::new([7.0]).expect("one value");
        assert_eq!((one.median(), one.quantile(0.99), one.len()), (7.0, 7.0, 1));
        assert_eq!((one.sd(), one.mean_estimate(0.95).interval), (0.0, None));
        assert!(!one.is_empty());
    }

    #[test]
    fn quantiles_are_ordered_and_bracket_the_median_for_any_sample() {
        // A deterministic spread of sizes and values (an LCG), instead of a property-test crate.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for n in 1..60usize {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (x >> 40) as f64 / 7.0
                })
                .collect();
            let s = Sample::new(values.clone()).expect("non-empty");
            assert!(s.sorted().windows(2).all(|w| w[0] <= w[1]));
            let qs: Vec<f64> = [0.0, 0.1, 0.5, 0.9, 0.99, 1.0].map(|q| s.quantile(q)).to_vec();
            assert!(qs.windows(2).all(|w| w[0] <= w[1]), "{qs:?}");
            assert!(s.min() <= s.median() && s.median() <= s.max());
            assert!(s.quantile(0.5) <= s.median(), "nearest rank is the lower middle");
            assert!(
                values.contains(&s.quantile(0.9)),
                "a nearest-rank quantile is a sample value"
            );
            assert!((s.mean() - values.iter().sum::<f64>() / n as f64).abs() < 1e-9);
        }
    }
}
