//! Confidence intervals of a mean over independent repeats (the batches of a case).
//!
//! Source: the Student t interval for a mean, mean ± t(1 − α/2, n − 1) · s/√n
//! (NIST/SEMATECH e-Handbook of Statistical Methods, §7.2.2.1), with t computed exactly
//! ([`super::dist::student_t_critical`]) rather than read from a rounded table.

use super::dist::student_t_critical;

/// The confidence level of every interval asyncbench reports.
pub const LEVEL_95: f64 = 0.95;

/// Half-width of the two-sided `level` interval of the mean of `n` samples whose sample
/// standard deviation is `stddev`. `None` for n < 2, where the spread is unknown.
pub fn t_half_width(stddev: f64, n: usize, level: f64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let t = student_t_critical(1.0 - level, (n - 1) as f64);
    Some(t * stddev / (n as f64).sqrt())
}

/// Mean and sample standard deviation (n − 1); the deviation is 0 for fewer than two values.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
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
    }
}
