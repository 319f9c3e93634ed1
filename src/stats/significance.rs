//! Two-sample significance tests for `asyncbench compare` and the report's "at a glance" lines.
//!
//! - Welch's t-test on per-batch wall times, from each summary's mean, standard deviation and
//!   batch count. B. L. Welch, "The generalization of 'Student's' problem when several different
//!   population variances are involved", Biometrika 34 (1947) 28–35; degrees of freedom by the
//!   Welch–Satterthwaite equation. Batches are the harness's independent repetitions, so this is
//!   the test the verdict rests on where a case has batch times.
//! - The Mann–Whitney U test on every recorded sample, read back from the `.hlog` histograms.
//!   H. B. Mann & D. R. Whitney, "On a test of whether one of two random variables is
//!   stochastically larger than the other", Ann. Math. Statist. 18 (1947) 50–60; normal
//!   approximation with the tie correction (Hollander & Wolfe, Nonparametric Statistical
//!   Methods, 2nd ed., §4.1). Samples within a batch are not independent, so its p-value is
//!   optimistic; it decides only for metrics that have no batch statistics of their own.

use super::dist::{normal_two_sided, student_t_two_sided};

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// "Welch t" or "Mann–Whitney U".
    pub name: &'static str,
    /// t, or z for Mann–Whitney.
    pub statistic: f64,
    /// Degrees of freedom (Welch only).
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p: f64,
}

/// Welch's two-sided t-test of mean `a` vs mean `b`, from (mean, sample stddev, n). `None` when
/// either side has fewer than 2 samples or a non-finite figure.
pub fn welch(a: (f64, f64, u64), b: (f64, f64, u64)) -> Option<TestResult> {
    let ((m1, s1, n1), (m2, s2, n2)) = (a, b);
    if n1 < 2 || n2 < 2 || ![m1, s1, m2, s2].iter().all(|v| v.is_finite()) {
        return None;
    }
    let (n1, n2) = (n1 as f64, n2 as f64);
    let (v1, v2) = (s1 * s1 / n1, s2 * s2 / n2);
    let se2 = v1 + v2;
    if se2 <= 0.0 {
        // No spread on either side: the means are either identical or certainly different.
        #[allow(clippy::float_cmp)]
        let same = m1 == m2;
        let (t, p) = if same {
            (0.0, 1.0)
        } else {
            ((m2 - m1).signum() * f64::INFINITY, 0.0)
        };
        return Some(TestResult {
            name: "Welch t",
            statistic: t,
            df: Some(n1 + n2 - 2.0),
            p,
        });
    }
    let t = (m2 - m1) / se2.sqrt();
    let df = se2 * se2 / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
    Some(TestResult {
        name: "Welch t",
        statistic: t,
        df: Some(df),
        p: student_t_two_sided(t, df),
    })
}

/// The U statistics of two samples given as (value, count) pairs sorted by value (histogram
/// buckets: equal values are ties): U_a counts the pairs in which `a` is the larger (ties count
/// one half), so U_a + U_b = n_a · n_b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct URanks {
    pub u_a: f64,
    pub u_b: f64,
    pub n_a: f64,
    pub n_b: f64,
    /// Σ (t³ − t) over tie groups, for the variance's tie correction.
    pub ties: f64,
}

/// Ranks both samples in one merge pass (mid-ranks for ties).
pub fn u_ranks(a: &[(u64, u64)], b: &[(u64, u64)]) -> URanks {
    let na: f64 = a.iter().map(|&(_, c)| c as f64).sum();
    let nb: f64 = b.iter().map(|&(_, c)| c as f64).sum();
    let (mut i, mut j) = (0, 0);
    let (mut rank_sum_a, mut rank_sum_b, mut below, mut ties) = (0.0, 0.0, 0.0, 0.0);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        let mut ca = 0.0;
        while a.get(i).is_some_and(|x| x.0 == v) {
            ca += a[i].1 as f64;
            i += 1;
        }
        let mut cb = 0.0;
        while b.get(j).is_some_and(|y| y.0 == v) {
            cb += b[j].1 as f64;
            j += 1;
        }
        let t = ca + cb;
        // Tied values share the mean of the ranks they occupy.
        let mid_rank = below + (t + 1.0) / 2.0;
        rank_sum_a += ca * mid_rank;
        rank_sum_b += cb * mid_rank;
        ties += t * t * t - t;
        below += t;
    }
    URanks {
        u_a: rank_sum_a - na * (na + 1.0) / 2.0,
        u_b: rank_sum_b - nb * (nb + 1.0) / 2.0,
        n_a: na,
        n_b: nb,
        ties,
    }
}

/// Mann–Whitney U test between two samples given as (value, count) pairs sorted by value.
/// `None` if either side is empty.
pub fn mann_whitney(a: &[(u64, u64)], b: &[(u64, u64)]) -> Option<TestResult> {
    let URanks {
        u_a: u,
        n_a: na,
        n_b: nb,
        ties,
        ..
    } = u_ranks(a, b);
    if na < 1.0 || nb < 1.0 {
        return None;
    }
    let n = na + nb;
    let mean = na * nb / 2.0;
    let var = na * nb / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)).max(1.0));
    if var <= 0.0 {
        // Every value identical: no evidence of any difference.
        return Some(TestResult {
            name: "Mann–Whitney U",
            statistic: 0.0,
            df: None,
            p: 1.0,
        });
    }
    // Continuity correction of 1/2 toward the mean. U counts how often A beats B, so a positive
    // z here means B is larger (slower).
    let diff = mean - u;
    let z = (diff.abs() - 0.5).max(0.0) * diff.signum() / var.sqrt();
    Some(TestResult {
        name: "Mann–Whitney U",
        statistic: z,
        df: None,
        p: normal_two_sided(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn welch_matches_hand_computation() {
        // Means 10 and 12, s = 1 and 2, n = 10 each: se² = 0.1 + 0.4, t = 2/√0.5 = 2.828,
        // df = 0.25 / (0.01/9 + 0.16/9) = 13.24; p = 0.01403 (two-sided, by numerical integration
        // of the t density).
        let r = welch((10.0, 1.0, 10), (12.0, 2.0, 10)).map(|r| (r.statistic, r.df.unwrap_or(0.0), r.p));
        let Some((t, df, p)) = r else { panic!("n = 10 suffices") };
        assert!(close(t, 2.828_427, 1e-5) && close(df, 13.235_294, 1e-5), "{t} {df}");
        assert!(close(p, 0.014_03, 1e-4), "{p}");
        assert!(welch((1.0, 0.0, 1), (1.0, 0.0, 5)).is_none());
        assert_eq!(welch((5.0, 0.0, 3), (5.0, 0.0, 3)).map(|r| r.p), Some(1.0));
    }

    #[test]
    fn mann_whitney_small_sample_by_hand() {
        // A = {1,2,3}, B = {4,5,6}: ranks of A sum to 6, U = 0, mean 4.5, var = 9·7/12 = 5.25,
        // z = (4.5 - 0.5)/√5.25 = 1.7457, p = 0.0809.
        let a = [(1, 1), (2, 1), (3, 1)];
        let b = [(4, 1), (5, 1), (6, 1)];
        let r = mann_whitney(&a, &b).map(|r| (r.statistic, r.p));
        let Some((z, p)) = r else { panic!("non-empty samples") };
        assert!(close(z, 1.745_743, 1e-5) && close(p, 0.0809, 5e-4), "{z} {p}");
        assert_eq!(u_ranks(&a, &b).u_b, 9.0);
        // Identical samples: no difference.
        let same = mann_whitney(&a, &a).map(|r| r.p);
        assert!(same.is_some_and(|p| p > 0.9), "{same:?}");
        assert!(mann_whitney(&[], &b).is_none());
        // All values tied.
        assert_eq!(mann_whitney(&[(7, 5)], &[(7, 9)]).map(|r| r.p), Some(1.0));
    }
}
