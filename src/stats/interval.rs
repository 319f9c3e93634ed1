//! One shape for every interval asyncbench states ([`Interval`]: ends and confidence level),
//! one for a figure with its interval ([`Estimate`]), and the Student t interval of a mean over
//! independent repeats (the rounds of a row, the batches of a case).
//!
//! Source: the Student t interval for a mean, mean ± t(1 − α/2, n − 1) · s/√n
//! (NIST/SEMATECH e-Handbook of Statistical Methods, §7.2.2.1), with t computed exactly
//! ([`super::dist::student_t_critical`]) rather than read from a rounded table.

use super::dist::student_t_critical;

/// The confidence level of every interval asyncbench reports.
pub const LEVEL_95: f64 = 0.95;

/// A two-sided confidence interval `[lo, hi]` at confidence `level` (0.95 for 95%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    pub level: f64,
}

impl Interval {
    /// Whether `x` lies within the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// The interval carried through an increasing function (e.g. `exp` of an interval of
    /// logarithms): the level is unchanged because the ends map to the ends.
    pub fn map_increasing(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval {
            lo: f(self.lo),
            hi: f(self.hi),
            level: self.level,
        }
    }
}

/// A figure and its interval; `interval` is `None` where the spread is unknown (one repeat).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub interval: Option<Interval>,
}

/// Half-width of the two-sided `level` interval of the mean of `n` samples whose sample
/// standard deviation is `stddev`. `None` for n < 2, where the spread is unknown.
pub fn t_half_width(stddev: f64, n: usize, level: f64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let t = student_t_critical(1.0 - level, (n - 1) as f64);
    Some(t * stddev / (n as f64).sqrt())
}

/// The two-sided Student t interval at `level` of a mean `mean` of `n` independent values with
/// sample standard deviation `stddev`; `None` for n < 2.
pub fn mean_interval(mean: f64, stddev: f64, n: usize, level: f64) -> Option<Interval> {
    let h = t_half_width(stddev, n, level)?;
    Some(Interval {
        lo: mean - h,
        hi: mean + h,
        level,
    })
}

/// Mean and sample standard deviation (n − 1); the deviation is 0 for fewer than two values.
/// Unlike [`super::Sample`] it takes any values: a NaN or infinity comes out in the mean, for
/// callers that must keep a non-finite figure visible rather than drop the row.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The pooled standard deviation of two groups of equal size with deviations `a` and `b`:
/// √((a² + b²)/2), the spread a two-sample power calculation uses.
pub fn pooled_sd(a: f64, b: f64) -> f64 {
    ((a * a + b * b) / 2.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_by_hand() {
        // s = √10, n = 5: t(0.975, 4) = 2.776445, half width = 2.776445 · √2 = 3.926486.
        let h = t_half_width(10f64.sqrt(), 5, LEVEL_95);
        assert!(h.is_some_and(|h| (h - 3.926_486).abs() < 1e-5), "{h:?}");
        assert_eq!(t_half_width(1.0, 1, LEVEL_95), None);
        assert_eq!(t_half_width(0.0, 3, LEVEL_95), Some(0.0));
        let i = mean_interval(14.0, 10f64.sqrt(), 5, LEVEL_95).expect("n = 5");
        assert!((i.lo - (14.0 - 3.926_486)).abs() < 1e-5 && (i.hi - (14.0 + 3.926_486)).abs() < 1e-5);
        assert_eq!(i.level, LEVEL_95);
        assert!(i.contains(14.0) && !i.contains(20.0));
        assert_eq!(mean_interval(1.0, 0.0, 1, LEVEL_95), None);
    }

    #[test]
    fn a_log_interval_maps_back_with_its_level() {
        let i = Interval {
            lo: 0.0,
            hi: 2f64.ln(),
            level: 0.9,
        }
        .map_increasing(f64::exp);
        assert!((i.lo - 1.0).abs() < 1e-12 && (i.hi - 2.0).abs() < 1e-12 && i.level == 0.9);
        assert!((pooled_sd(3.0, 4.0) - 12.5f64.sqrt()).abs() < 1e-12);
    }
}
