//! The value at a percentile of an HdrHistogram, by the reference implementations' rank rule
//! ([`super::rank::hdr_rank`], where the rule and its sources are stated): walk the buckets
//! until the running count reaches the target rank and report the highest value equivalent to
//! that bucket (the lowest for p0). Also the value between the rows of a printed distribution
//! (`.hgrm`), [`value_between_rows`].

use hdrhistogram::Histogram;

use super::rank::hdr_rank;

/// The value at percentile `p` (0–100) of `h`; 0 for an empty histogram.
pub fn percentile(h: &Histogram<u64>, p: f64) -> u64 {
    if h.is_empty() {
        return 0;
    }
    let target = hdr_rank(p, h.len());
    let mut running = 0u64;
    for v in h.iter_recorded() {
        running += v.count_at_value();
        if running >= target {
            let at = v.value_iterated_to();
            return if p > 0.0 {
                h.highest_equivalent(at)
            } else {
                h.lowest_equivalent(at)
            };
        }
    }
    h.highest_equivalent(h.max())
}

/// The value at quantile `q` (a fraction) from a printed percentile distribution: `(value,
/// quantile)` points in increasing quantile, as an `.hgrm` file lists them.
///
/// Each point says "the value at quantile p is v" exactly, so at a printed percentile this
/// returns the histogram's value. Between printed percentiles it interpolates linearly between
/// the neighbouring points (the true value lies between them, and the rows are dense where it
/// matters: 5 ticks per halving of the distance to 100%). Below the first point it returns the
/// first value, above the last the last (the max). `None` for no points or a NaN `q`.
pub fn value_between_rows(points: &[(f64, f64)], q: f64) -> Option<f64> {
    if q.is_nan() {
        return None;
    }
    let (first, last) = (points.first()?, points.last()?);
    if q <= first.1 {
        return Some(first.0);
    }
    if q >= last.1 {
        return Some(last.0);
    }
    // First point at or above q; it exists and is not points[0] given the checks above.
    let hi = points.iter().position(|r| r.1 >= q)?;
    let (v1, p1) = points[hi.checked_sub(1)?];
    let (v2, p2) = points[hi];
    if p2 <= p1 {
        return Some(v2);
    }
    Some(v1 + (v2 - v1) * (q - p1) / (p2 - p1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for &v in values {
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn worked_by_hand() {
        // 1..=10 (exact below 2048 at 3 digits): p50 → rank ⌊5.5⌋ = 5 → 5;
        // p90 → ⌊9.5⌋ = 9 → 9; p99 → ⌊10.4⌋ = 10 → 10; p0 → rank 1 → 1.
        let h = hist(&(1..=10).collect::<Vec<_>>());
        assert_eq!(percentile(&h, 50.0), 5);
        assert_eq!(percentile(&h, 90.0), 9);
        assert_eq!(percentile(&h, 99.0), 10);
        assert_eq!(percentile(&h, 0.0), 1);
        // 1..=11: p90 → ⌊10.4⌋ = 10 → 10, where ceil(9.9) = 10 too; p95 →
        // ⌊10.95⌋ = 10 → 10 while the crate's ceil(10.45) = 11 → 11.
        let h = hist(&(1..=11).collect::<Vec<_>>());
        assert_eq!(percentile(&h, 95.0), 10);
        assert_eq!(h.value_at_quantile(0.95), 11);
        // Three values: p50 → ⌊2.0⌋ = 2 → 20.
        let h = hist(&[10, 20, 30]);
        assert_eq!(percentile(&h, 50.0), 20);
        assert_eq!(percentile(&hist(&[]), 50.0), 0);
    }

    #[test]
    fn bucket_values_are_the_highest_equivalent() {
        // 10 000 000 ns lands in a bucket 8 192 wide at 3 digits.
        let h = hist(&[10_000_000]);
        assert_eq!(percentile(&h, 50.0), h.highest_equivalent(10_000_000));
    }
}
