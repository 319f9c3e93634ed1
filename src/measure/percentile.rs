//! The value at a percentile, by the rank rule of HdrHistogram's reference
//! implementations, so a third-party decoder of our `.hlog` files reads the
//! same p50/p99 as `summary.json`.
//!
//! The rule (HdrHistogram_py `get_value_at_percentile` and
//! `get_target_count_at_percentile`, the Python package the project checks
//! against; HdrHistogram C's `hdr_value_at_percentile` is the same): the
//! target rank is `⌊p/100 · N + 0.5⌋`, at least 1; walk the buckets until
//! the running count reaches it; report the highest value equivalent to
//! that bucket. The Rust crate's `value_at_quantile` takes `⌈q · N⌉`
//! instead, one rank higher whenever `p/100 · N` has a fractional part
//! between 0 and ½ (p95 of 11 values: rank 10 here, 11 there; worked in the
//! tests below). Java's current `getValueAtPercentile` rounds up (ceil)
//! like the Rust crate; where the
//! two references differ we follow the Python one the acceptance checks use.

use hdrhistogram::Histogram;

/// The target rank of percentile `p` among `n` values (1-based).
pub fn target_rank(p: f64, n: u64) -> u64 {
    let p = p.clamp(0.0, 100.0);
    (((p * n as f64) / 100.0 + 0.5) as u64).max(1)
}

/// The value at percentile `p` (0–100) of `h`; 0 for an empty histogram.
pub fn percentile(h: &Histogram<u64>, p: f64) -> u64 {
    if h.is_empty() {
        return 0;
    }
    let target = target_rank(p, h.len());
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
