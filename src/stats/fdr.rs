//! False-discovery-rate control for `compare`'s gate: the Benjamini–Hochberg step-up procedure
//! (Y. Benjamini & Y. Hochberg, "Controlling the false discovery rate: a practical and powerful
//! approach to multiple testing", J. R. Statist. Soc. B 57 (1995) 289–300), as adjusted p-values
//! (the "BH" adjustment of R's `p.adjust`), each compared with α directly.
//!
//! How `compare` uses it, and why (figures from simulated pairs of the reference run's rows,
//! `asyncbench noise --simulate results/reference`): one family per scenario, BH inside it, and
//! the adjusted p multiplied by the number of families (Bonferroni across scenarios).
//! - Not Holm over every row: with hundreds of rows and three rounds Holm needs p ≲ α/m, which a
//!   t-test with 4 degrees of freedom rarely reaches; real changes came out "not significant".
//! - BH inside a scenario keeps power as the number of real changes grows: a planted change
//!   moves dozens of one scenario's rows at once, and BH's threshold grows with them.
//! - Not one BH family over every row: the same growth then lowers the bar in every other
//!   scenario, and a planted +10% on fetch_parallel made other scenarios' rows fail the gate in
//!   about 1 in 5 simulated pairs. Per-scenario families keep a real change in one scenario from
//!   making another look changed.
//! - Bonferroni over the families: under the complete null (an A/A pair) BH controls the
//!   probability of any false discovery in its family at its level (for independent or
//!   positively dependent tests, Benjamini & Yekutieli, Ann. Statist. 29 (2001) 1165–1188), so
//!   each family at α/F keeps the whole run's false-alarm probability at α or below.

/// BH-adjusted p-values, in the input order: `p_(i) · m / i` made monotone from the largest down,
/// capped at 1. A row is a discovery at level α when its adjusted p is below α.
pub fn benjamini_hochberg(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&i, &j| ps[i].total_cmp(&ps[j]));
    let mut out = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let adj = (ps[i] * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(adj);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_by_hand() {
        // p = 0.01, 0.04, 0.03, 0.5 (m = 4): sorted 0.01·4/1 = 0.04, 0.03·4/2 = 0.06,
        // 0.04·4/3 = 0.0533, 0.5·4/4 = 0.5; step-up minimum from the top: 0.04, 0.0533, 0.0533, 0.5.
        let adj = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.5];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[0.9, 2.0]), [1.0, 1.0]);
    }

    /// Under the complete null (uniform p-values) any discovery is a false alarm, and BH makes
    /// one in about α of the families; with 40 real effects among 400 rows it finds them where
    /// Holm finds few.
    #[test]
    fn bh_family_error_under_the_null_and_power_with_many_effects() {
        let mut rng = fastrand::Rng::with_seed(11);
        let trials = 2000;
        let alarms = (0..trials)
            .filter(|_| {
                let ps: Vec<f64> = (0..400).map(|_| rng.f64()).collect();
                benjamini_hochberg(&ps).iter().any(|&p| p < 0.05)
            })
            .count();
        let rate = alarms as f64 / trials as f64;
        assert!((0.03..=0.07).contains(&rate), "family-wise false-alarm rate {rate}");
        // 40 rows with p = 0.002 each (a real change, t-tested on few rounds), 360 null rows.
        let mut ps: Vec<f64> = (0..360).map(|_| rng.f64()).collect();
        ps.extend(std::iter::repeat_n(0.002, 40));
        let bh = benjamini_hochberg(&ps).iter().filter(|&&p| p < 0.05).count();
        let holm = crate::stats::rounds::holm(&ps).iter().filter(|&&p| p < 0.05).count();
        assert!(bh >= 40 && holm == 0, "BH {bh}, Holm {holm}");
    }
}
