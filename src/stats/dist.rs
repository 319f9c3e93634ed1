//! Distribution functions: two-sided tail probabilities of Student's t and of the standard
//! normal, the critical value of t that confidence intervals use, and the upper tail of F.
//!
//! The distributions are the `statrs` crate's (`StudentsT`, `Normal`, `FisherSnedecor`):
//! P(|T| ≥ t) = 2·F_T(−|t|), P(|Z| ≥ z) = 2·Φ(−|z|) and t(1 − α/2, ν) = F_T⁻¹(1 − α/2), each
//! taken from the lower tail so that small p-values keep their digits. The tests below hold
//! them to published tables (NIST e-Handbook 1.3.6.7.2) and to R's `qt` to ten digits.

use statrs::distribution::{Continuous, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

/// Student's t with `df` degrees of freedom, or `None` where `df` is not a positive number.
fn students_t(df: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, df).ok()
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. NaN for a NaN `t` or a `df` that is
/// not positive; 0 for an infinite `t`.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    match students_t(df) {
        Some(d) if t.is_finite() => (2.0 * d.cdf(-t.abs())).clamp(0.0, 1.0),
        _ => f64::NAN,
    }
}

/// P(|Z| ≥ |z|) for a standard normal Z.
pub fn normal_two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let unit = Normal::standard();
    (2.0 * unit.cdf(-z.abs())).clamp(0.0, 1.0)
}

/// The t with P(|T| ≥ t) = `alpha` for Student's t with `df` degrees of freedom: the
/// t(1 − α/2, df) of a two-sided (1 − α) interval, e.g. 2.7764 for α = 0.05 and df = 4. NaN when
/// `df` is not positive or `alpha` not in (0, 1).
pub fn student_t_critical(alpha: f64, df: f64) -> f64 {
    if !(alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let Some(d) = students_t(df) else {
        return f64::NAN;
    };
    // statrs inverts through its inverse incomplete beta, which loses digits for large ν (about
    // 6e-5 relative at ν = 10⁶): two Newton steps on its own lower tail, F(−t) = α/2, restore
    // them (the tail is accurate there, and the step converges quadratically from that close).
    let mut t = d.inverse_cdf(1.0 - alpha / 2.0);
    for _ in 0..2 {
        let density = d.pdf(t);
        if !(t.is_finite() && density > 0.0) {
            break;
        }
        t += (d.cdf(-t) - alpha / 2.0) / density;
    }
    t
}

/// P(F > f) for an F(d1, d2) variable; 1 for f ≤ 0 or NaN (no evidence), NaN for degrees of
/// freedom that are not positive.
pub fn f_upper_tail(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || f <= 0.0 {
        return 1.0;
    }
    FisherSnedecor::new(d1, d2).map_or(f64::NAN, |d| d.sf(f).clamp(0.0, 1.0))
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
        assert!(close(normal_two_sided(1.959_964), 0.05, 1e-6));
    }

    #[test]
    fn critical_values_match_ten_digit_references() {
        // t(0.975, ν) to ten digits as R's `qt(0.975, ν)` prints them; for ν = 10⁶ the
        // Cornish–Fisher expansion z + (z³ + z)/4ν (A&S 26.7.5) gives the digits. The last,
        // t(0.995, 5), is a 1% two-sided value.
        for (df, t) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (4.0, 2.776_445_105),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (100.0, 1.983_971_519),
            (1000.0, 1.962_339_081),
            (1e6, 1.959_966_357),
        ] {
            let got = student_t_critical(0.05, df);
            assert!(close(got, t, 2e-8 * t), "df={df}: {got} vs {t}");
        }
        assert!(close(student_t_critical(0.01, 5.0), 4.032_142_984, 1e-7));
        assert!(student_t_critical(0.05, 0.0).is_nan());
        assert!(student_t_critical(1.0, 3.0).is_nan());
    }

    #[test]
    fn f_upper_tail_matches_tables() {
        // Upper 5% points of F (NIST e-Handbook table 1.3.6.7.3, to 4 decimals).
        for (f, d1, d2, p) in [(4.1028, 2.0, 10.0, 0.05), (3.0556, 4.0, 15.0, 0.05)] {
            let got = f_upper_tail(f, d1, d2);
            assert!(close(got, p, 2e-5), "F({d1}, {d2}) > {f}: {got}");
        }
        // With d1 = 2 the tail is closed-form, P(F > f) = (1 + 2f/d2)^(−d2/2): its 0.1% point.
        let f = 4.5 * (1000f64.powf(1.0 / 4.5) - 1.0);
        assert!(close(f_upper_tail(f, 2.0, 9.0), 0.001, 1e-12), "{f}");
        assert_eq!(
            (f_upper_tail(0.0, 2.0, 3.0), f_upper_tail(f64::NAN, 2.0, 3.0)),
            (1.0, 1.0)
        );
        assert!(f_upper_tail(1.0, 0.0, 3.0).is_nan());
    }
}
