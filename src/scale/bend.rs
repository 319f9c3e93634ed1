//! Where a scaling curve bends: the one rule every report of `asyncbench scale` reads.
//!
//! The base of a point is the pattern's ideal where it has one (gathered requests: batch ÷ D =
//! 1), else the curve's lowest value at any smaller N: a per-operation figure often falls first
//! as a batch's fixed cost (a cross-thread wake, a runtime waking) spreads over more operations,
//! and growth is measured from that low, not from N = 1's overhead. The curve bends at the
//! smallest measured N whose figure (the mean over rounds) exceeds [`BEND_FACTOR`] × its base
//! while the low end of its 95% interval stays above the base (a point whose rounds disagree so
//! much that no growth at all is within its interval is noise, not a bend: on a busy machine one
//! stalled round can double a mean); if none does, it is "flat to" its largest measured N. The ratio's interval is the point's 95%
//! round interval divided by the base's mean: the base's own spread is in the table beside it,
//! not folded in (its rounds and the point's come from different runtime instances, so there is
//! no pairing to exploit).

use serde::{Deserialize, Serialize};

/// A figure this many times its base has bent.
pub const BEND_FACTOR: f64 = 2.0;

/// One measured point of a curve: N, and the mean over rounds with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub n: u64,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// What [`bend`] found on one curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Bend {
    /// The figure at `n` exceeded [`BEND_FACTOR`] × `base`, the lowest value below `n`.
    Bends {
        n: u64,
        /// The N the base was measured at; absent where the base is the pattern's ideal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_n: Option<u64>,
        base: f64,
        /// The point's mean ÷ the base, and its interval ÷ the base.
        ratio: f64,
        ratio_low: f64,
        ratio_high: f64,
    },
    /// No measured point exceeded the threshold; `to_n` is the largest measured N, `base` the
    /// curve's lowest value (or the ideal).
    Flat {
        to_n: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_n: Option<u64>,
        base: f64,
        /// The largest ratio seen (each point's mean ÷ its base).
        max_ratio: f64,
    },
    /// No measured point (or a base that is not a positive number): nothing to say.
    NoData,
}

/// The rule (see the module doc). `points` in any order; only finite means count.
pub fn bend(points: &[CurvePoint], ideal: Option<f64>) -> Bend {
    let mut pts: Vec<CurvePoint> = points.iter().copied().filter(|p| p.mean.is_finite()).collect();
    pts.sort_by_key(|p| p.n);
    let Some(first) = pts.first().copied() else {
        return Bend::NoData;
    };
    // The running base: (value, the N it was measured at; None for the ideal).
    let mut base = match ideal {
        Some(i) => (i, None),
        None => (first.mean, Some(first.n)),
    };
    let mut max_ratio = 0.0f64;
    for p in &pts {
        if !(base.0.is_finite() && base.0 > 0.0) {
            return Bend::NoData;
        }
        let ratio = p.mean / base.0;
        // Past the factor, and not within the point's own round noise of no growth at all.
        if ratio > BEND_FACTOR && p.ci_low > base.0 {
            return Bend::Bends {
                n: p.n,
                base_n: base.1,
                base: base.0,
                ratio,
                ratio_low: p.ci_low / base.0,
                ratio_high: p.ci_high / base.0,
            };
        }
        max_ratio = max_ratio.max(ratio);
        if ideal.is_none() && p.mean < base.0 {
            base = (p.mean, Some(p.n));
        }
    }
    Bend::Flat {
        to_n: pts.last().map_or(first.n, |p| p.n),
        base_n: base.1,
        base: base.0,
        max_ratio,
    }
}

/// N as the reports write it: 1, 10, 100, 1k, 9k, 10k, 100k, 1.5k.
pub fn n_text(n: u64) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else if n >= 1000 && n.is_multiple_of(100) {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LADDER: [u64; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

    fn curve(f: impl Fn(u64) -> f64, spread: f64) -> Vec<CurvePoint> {
        LADDER
            .iter()
            .map(|&n| {
                let m = f(n);
                CurvePoint {
                    n,
                    mean: m,
                    ci_low: m * (1.0 - spread),
                    ci_high: m * (1.0 + spread),
                }
            })
            .collect()
    }

    /// A planted O(N) cost per operation, `base + k·N`, crosses 2 × its N = 1 value between
    /// the ladder's points (at N* = (100 + 2k)/k); the rule must name the first point past it.
    #[test]
    fn a_planted_linear_cost_is_found_at_its_n() {
        for (k, want) in [(0.0101, 10_000), (0.101, 1_000), (1.03, 100), (0.00101, 100_000)] {
            let pts = curve(|n| 100.0 + k * n as f64, 0.05);
            match bend(&pts, None) {
                Bend::Bends { n, base_n, ratio, .. } => {
                    assert_eq!(n, want, "k = {k}");
                    assert_eq!(base_n, Some(1));
                    assert!(ratio > 2.0, "{ratio}");
                }
                other => panic!("k = {k}: {other:?}"),
            }
        }
        // Just below the threshold at 100k: flat, to the last N.
        let pts = curve(|n| 100.0 + 0.00099 * n as f64, 0.05);
        assert!(
            matches!(bend(&pts, None), Bend::Flat { to_n: 100_000, .. }),
            "{:?}",
            bend(&pts, None)
        );
    }

    #[test]
    fn an_ideal_is_the_base_where_there_is_one() {
        // 1.1 × the ideal at N = 1, then 1.5×, 2.2×: bends at 100 against the ideal 1,
        // though 2.2 is not 2 × 1.1.
        let pts: Vec<CurvePoint> = [(1, 1.1), (10, 1.5), (100, 2.2)]
            .into_iter()
            .map(|(n, m)| CurvePoint {
                n,
                mean: m,
                ci_low: m - 0.1,
                ci_high: m + 0.1,
            })
            .collect();
        match bend(&pts, Some(1.0)) {
            Bend::Bends {
                n,
                base_n,
                ratio_low,
                ratio_high,
                ..
            } => {
                assert_eq!((n, base_n), (100, None));
                assert!((ratio_low - 2.1).abs() < 1e-9 && (ratio_high - 2.3).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(bend(&[], Some(1.0)), Bend::NoData);
    }

    /// One stalled round doubles a mean but leaves the interval reaching below the base: noise,
    /// not a bend; the same mean with a tight interval is one.
    #[test]
    fn a_point_within_its_noise_of_no_growth_is_not_a_bend() {
        let pt = |n, mean, ci_low| CurvePoint {
            n,
            mean,
            ci_low,
            ci_high: 2.0 * mean - ci_low,
        };
        let noisy = [pt(1, 100.0, 90.0), pt(10, 250.0, 50.0), pt(100, 120.0, 100.0)];
        assert!(
            matches!(bend(&noisy, None), Bend::Flat { to_n: 100, .. }),
            "{:?}",
            bend(&noisy, None)
        );
        let clear = [pt(1, 100.0, 90.0), pt(10, 250.0, 180.0)];
        assert!(
            matches!(bend(&clear, None), Bend::Bends { n: 10, .. }),
            "{:?}",
            bend(&clear, None)
        );
    }

    /// A fixed cost per batch makes N = 1 the dearest point; growth counts from the low.
    #[test]
    fn growth_is_measured_from_the_lowest_smaller_n() {
        let pts: Vec<CurvePoint> = [(1, 1000.0), (10, 100.0), (100, 150.0), (1_000, 250.0)]
            .into_iter()
            .map(|(n, m)| CurvePoint {
                n,
                mean: m,
                ci_low: m,
                ci_high: m,
            })
            .collect();
        match bend(&pts, None) {
            Bend::Bends { n, base_n, ratio, .. } => {
                assert_eq!((n, base_n), (1_000, Some(10)));
                assert!((ratio - 2.5).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        match bend(&pts[..3], None) {
            Bend::Flat {
                to_n,
                base_n,
                max_ratio,
                ..
            } => {
                assert_eq!((to_n, base_n), (100, Some(10)));
                assert!((max_ratio - 1.5).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(n_text(9_000), "9k");
        assert_eq!(n_text(1_500), "1.5k");
        assert_eq!(n_text(100), "100");
    }
}
