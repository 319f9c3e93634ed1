//! The two rank rules by which asyncbench picks a quantile out of ordered values, each named
//! once and used everywhere its kind of data is read:
//!
//! - [`nearest_rank`], for a list of measurements: the ⌈q·n⌉-th smallest value (Hyndman & Fan
//!   1996, "Sample quantiles in statistical packages", Am. Statist. 50, type 1). Every quantile
//!   of a [`super::Sample`], and the per-batch quantiles picked by [`select_nearest_rank`].
//! - [`hdr_rank`], for an HdrHistogram: the rank rule of HdrHistogram's reference
//!   implementations (HdrHistogram_py `get_target_count_at_percentile`, HdrHistogram C
//!   `hdr_value_at_percentile`): ⌊p/100 · n + ½⌋, at least 1. [`super::hdr::percentile`] walks
//!   a histogram to it, so a third-party decoder of our `.hlog` reads the same p50/p99 as
//!   `summary.json`. The Rust crate's own `value_at_quantile` takes ⌈q·n⌉ instead, one rank
//!   higher whenever p/100 · n has a fractional part in (0, ½) (p95 of 11 values: rank 10 here,
//!   11 there); Java's current `getValueAtPercentile` rounds up like the Rust crate. Where the
//!   references differ we follow the Python one the acceptance checks use.

/// The 1-based nearest rank of quantile `q` (clamped to 0..=1; NaN reads as 0) among `n ≥ 1`
/// values: ⌈q·n⌉, at least 1 and at most `n`.
pub fn nearest_rank(q: f64, n: usize) -> usize {
    let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
    ((q * n as f64).ceil() as usize).clamp(1, n.max(1))
}

/// The 1-based target rank of percentile `p` (0–100, clamped) among `n` histogram counts by
/// HdrHistogram's reference rule: ⌊p/100 · n + ½⌋, at least 1.
pub fn hdr_rank(p: f64, n: u64) -> u64 {
    let p = p.clamp(0.0, 100.0);
    (((p * n as f64) / 100.0 + 0.5) as u64).max(1)
}

/// The nearest-rank `q`-quantile of `values`, found by selection in O(n) rather than a sort
/// (for per-batch figures taken after every batch); reorders `values`. `None` when empty.
pub fn select_nearest_rank<T: Ord + Copy>(values: &mut [T], q: f64) -> Option<T> {
    if values.is_empty() {
        return None;
    }
    let rank = nearest_rank(q, values.len());
    Some(*values.select_nth_unstable(rank - 1).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_rules_by_hand() {
        // Four values: q = 0.5 → ⌈2⌉ = 2nd, 0.9 → ⌈3.6⌉ = 4th, 0 → 1st.
        assert_eq!(
            (nearest_rank(0.5, 4), nearest_rank(0.9, 4), nearest_rank(0.0, 4)),
            (2, 4, 1)
        );
        assert_eq!((nearest_rank(7.0, 4), nearest_rank(f64::NAN, 4)), (4, 1));
        // Eleven values: p95 → ⌊10.95⌋ = 10 by HDR's rule, ⌈10.45⌉ = 11 by the nearest rank.
        assert_eq!((hdr_rank(95.0, 11), nearest_rank(0.95, 11)), (10, 11));
        // Ten values: p50 → ⌊5.5⌋ = 5, p99 → ⌊10.4⌋ = 10, p0 → 1.
        assert_eq!((hdr_rank(50.0, 10), hdr_rank(99.0, 10), hdr_rank(0.0, 10)), (5, 10, 1));
    }

    #[test]
    fn selection_agrees_with_a_sorted_sample() {
        let mut xs = vec![9u64, 1, 7, 3, 5, 8, 2];
        let sorted = super::super::Sample::new(xs.iter().map(|&x| x as f64)).expect("values");
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            let got = select_nearest_rank(&mut xs, q).expect("non-empty");
            assert_eq!(got as f64, sorted.quantile(q), "q = {q}");
        }
        assert_eq!(select_nearest_rank::<u64>(&mut [], 0.5), None);
    }
}
