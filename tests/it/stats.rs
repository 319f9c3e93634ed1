//! Property tests of the statistics (`asyncbench::stats` and the wall-time interval built on
//! it): invariants that hold for any input, where the unit tests check values computed by hand.

use std::collections::BTreeMap;

use asyncbench::results::WallStats;
use asyncbench::stats::{self, mann_whitney, u_ranks, welch};
use proptest::prelude::*;

/// A histogram as `compare` hands it to Mann–Whitney: (value, count) sorted by value.
fn buckets() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::btree_map(0u64..2_000, 1u64..40, 1..60).prop_map(|m: BTreeMap<u64, u64>| m.into_iter().collect())
}

/// (mean, sample stddev, n) as a summary's `WallStats` gives them to Welch.
fn summary() -> impl Strategy<Value = (f64, f64, u64)> {
    (1.0f64..1e10, 0.0f64..1e9, 2u64..500)
}

proptest! {
    #[test]
    fn wall_time_interval_contains_the_mean(ns in prop::collection::vec(0u64..10_000_000_000_000, 1..300)) {
        let Some(w) = WallStats::from_samples(&ns) else { panic!("non-empty samples give statistics") };
        prop_assert!(w.ci95_low <= w.mean && w.mean <= w.ci95_high, "{w:?}");
        prop_assert!(w.min as f64 <= w.mean && w.mean <= w.max as f64, "{w:?}");
    }

    #[test]
    fn welch_is_symmetric_and_p_is_a_probability(a in summary(), b in summary()) {
        let (ab, ba) = (welch(a, b), welch(b, a));
        let (Some(ab), Some(ba)) = (ab, ba) else { panic!("n ≥ 2 on both sides") };
        prop_assert!((0.0..=1.0).contains(&ab.p), "{ab:?}");
        prop_assert!((ab.p - ba.p).abs() <= 1e-12, "{ab:?} vs {ba:?}");
        prop_assert_eq!(ab.statistic, -ba.statistic);
        prop_assert_eq!(ab.df, ba.df);
    }

    #[test]
    fn mann_whitney_u_counts_every_pair_once(a in buckets(), b in buckets()) {
        let r = u_ranks(&a, &b);
        let pairs = r.n_a * r.n_b;
        // Ranks are sums of halves, exact in f64 at these sizes.
        prop_assert_eq!(r.u_a + r.u_b, pairs);
        prop_assert!(r.u_a >= 0.0 && r.u_b >= 0.0, "{r:?}");
        let (Some(ab), Some(ba)) = (mann_whitney(&a, &b), mann_whitney(&b, &a)) else {
            panic!("non-empty samples")
        };
        prop_assert!((0.0..=1.0).contains(&ab.p), "{ab:?}");
        prop_assert!((ab.p - ba.p).abs() <= 1e-12, "{ab:?} vs {ba:?}");
    }

    #[test]
    fn critical_t_inverts_the_tail_and_falls_with_df(df in 1u32..5_000, alpha in 0.001f64..0.5) {
        let t = stats::student_t_critical(alpha, f64::from(df));
        let p = stats::student_t_two_sided(t, f64::from(df));
        prop_assert!((p - alpha).abs() <= 1e-9 * alpha.max(1e-3), "df={df} alpha={alpha}: t={t} p={p}");
        prop_assert!(stats::student_t_critical(alpha, f64::from(df + 1)) <= t);
    }
}
