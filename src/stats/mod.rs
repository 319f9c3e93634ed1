//! Significance tests for `asyncbench compare`, from what a run records:
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
//!
//! The Student t distribution function comes from the regularized incomplete beta function
//! (Abramowitz & Stegun 26.7.1 with 26.5.27), evaluated by its continued fraction (A&S 26.5.8)
//! with the modified Lentz method; ln Γ by Lanczos' approximation (C. Lanczos, SIAM J. Numer.
//! Anal. B 1 (1964) 86–96, g = 7, coefficients as tabulated by P. Godfrey); the normal tail by
//! A&S 7.1.26 (absolute error below 1.5e-7, far below any α anyone uses).

pub mod rounds;

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

/// Mann–Whitney U test between two samples given as (value, count) pairs sorted by value
/// (histogram buckets: equal values are ties). `None` if either side is empty.
pub fn mann_whitney(a: &[(u64, u64)], b: &[(u64, u64)]) -> Option<TestResult> {
    let na: f64 = a.iter().map(|&(_, c)| c as f64).sum();
    let nb: f64 = b.iter().map(|&(_, c)| c as f64).sum();
    if na < 1.0 || nb < 1.0 {
        return None;
    }
    let n = na + nb;
    let (mut i, mut j) = (0, 0);
    let (mut rank_sum_a, mut below, mut ties) = (0.0, 0.0, 0.0);
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
        rank_sum_a += ca * (below + (t + 1.0) / 2.0);
        ties += t * t * t - t;
        below += t;
    }
    let u = rank_sum_a - na * (na + 1.0) / 2.0;
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

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !(t.is_finite() && df.is_finite() && df > 0.0) {
        return if t.is_infinite() { 0.0 } else { f64::NAN };
    }
    reg_inc_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// P(|Z| ≥ |z|) for a standard normal Z: erfc(|z|/√2).
pub fn normal_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// erfc(x) for x ≥ 0, A&S 7.1.26.
fn erfc(x: f64) -> f64 {
    const P: f64 = 0.327_591_1;
    const A: [f64; 5] = [
        0.254_829_592,
        -0.284_496_736,
        1.421_413_741,
        -1.453_152_027,
        1.061_405_429,
    ];
    let t = 1.0 / (1.0 + P * x);
    let poly = A.iter().rev().fold(0.0, |acc, a| (acc + a) * t);
    poly * (-x * x).exp()
}

/// Regularized incomplete beta I_x(a, b).
pub(crate) fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry
    // I_x(a,b) = 1 - I_{1-x}(b,a) on the other side.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of A&S 26.5.8 by the modified Lentz method.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-14;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        // Even step d_{2m}, then odd step d_{2m+1}.
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9); reflection below 1/2.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_distribution_matches_tables() {
        // Two-sided 5% critical values (NIST e-Handbook table 1.3.6.7.2) give p = 0.05.
        for (t, df) in [(12.706, 1.0), (2.776, 4.0), (2.228, 10.0), (2.042, 30.0), (1.960, 1e6)] {
            let p = student_t_two_sided(t, df);
            assert!(close(p, 0.05, 2e-4), "t={t} df={df}: p={p}");
        }
        assert!(close(student_t_two_sided(0.0, 7.0), 1.0, 1e-12));
        // ln Γ(n) = ln (n-1)!, Γ(1/2) = √π.
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-10));
        assert!(close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-10));
        assert!(close(normal_two_sided(1.959_964), 0.05, 1e-6));
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
        // Identical samples: no difference.
        let same = mann_whitney(&a, &a).map(|r| r.p);
        assert!(same.is_some_and(|p| p > 0.9), "{same:?}");
        assert!(mann_whitney(&[], &b).is_none());
        // All values tied.
        assert_eq!(mann_whitney(&[(7, 5)], &[(7, 9)]).map(|r| r.p), Some(1.0));
    }
}
