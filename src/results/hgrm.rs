//! The `.hgrm` percentile-distribution text: writing it in exactly the layout of the reference
//! Java `AbstractHistogram.outputPercentileDistribution(out, 5, scalingRatio)` (so the files
//! load in HdrHistogram's online plotter and other `.hgrm` tools), and parsing it back.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

/// Ticks per half distance to 100%, the Java default used by every `.hgrm` producer.
const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Renders `h` as an `.hgrm` percentile distribution.
///
/// Each value is divided by `value_unit_scaling` for output. asyncbench records nanoseconds and
/// publishes `.hgrm` files in microseconds, the unit HdrHistogram's plotter assumes, so callers
/// pass `1000.0`. A non-finite or non-positive scaling is treated as `1.0` rather than printing
/// "Infinity" everywhere.
///
/// Rows come from the crate's `iter_quantiles(5)`, which mirrors Java's `PercentileIterator`:
/// the percentile column is the level iterated to, the value is the highest value equivalent to
/// the bucket where that level was reached, and the final step jumps to exactly 100%, printed
/// without the `1/(1-Percentile)` column as Java does. Numbers are formatted like Java's
/// `Formatter` (HALF_UP on the shortest round-trip digits). An empty histogram yields the
/// header and footer only.
pub fn write_hgrm(h: &Histogram<u64>, value_unit_scaling: f64) -> String {
    let scaling = if value_unit_scaling.is_finite() && value_unit_scaling > 0.0 {
        value_unit_scaling
    } else {
        1.0
    };
    let digits = usize::from(h.sigfig());
    let mut out = String::new();
    // Java: "%12s %14s %10s %14s\n\n"
    let _ = write!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );

    // Java's iterator yields nothing for an empty histogram; skip the crate's walk over every
    // empty bucket for the same result.
    if !h.is_empty() {
        let mut total: u64 = 0;
        for step in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            // The crate reports the count added since the previous step; Java prints the
            // running total ("TotalCount").
            total = total.saturating_add(step.count_since_last_iteration());
            let value = java_fixed(step.value_iterated_to() as f64 / scaling, digits);
            let q = step.quantile_iterated_to();
            // The crate marks the final step by setting the iterated-to quantile to exactly 1.0
            // (quantile.rs, `reached_end`), matching Java's `!= 100.0` test.
            #[allow(clippy::float_cmp)]
            let last = q == 1.0;
            if last {
                // Java: "%12.{d}f %2.12f %10d\n"
                let _ = writeln!(out, "{value:>12} {:>2} {total:>10}", java_fixed(q, 12));
            } else {
                // Java: "%12.{d}f %2.12f %10d %14.2f\n"
                let inverse = java_fixed(1.0 / (1.0 - q), 2);
                let _ = writeln!(out, "{value:>12} {:>2} {total:>10} {inverse:>14}", java_fixed(q, 12));
            }
        }
    }

    // Java: "#[Mean    = %12.{d}f, StdDeviation   = %12.{d}f]\n" and so on.
    let _ = writeln!(
        out,
        "#[Mean    = {:>12}, StdDeviation   = {:>12}]",
        java_fixed(h.mean() / scaling, digits),
        java_fixed(h.stdev() / scaling, digits)
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12}, Total count    = {:>12}]",
        java_fixed(h.max() as f64 / scaling, digits),
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_bucket_count(h)
    );
    out
}

/// Java prints its `subBucketCount`, which the crate keeps private. Both lay the counts array out
/// as `(bucket_count + 1) * sub_bucket_count / 2` slots (Rust `num_bins`, Java
/// `getLengthForNumberOfBuckets`), so it follows from the public `distinct_values()`.
fn sub_bucket_count(h: &Histogram<u64>) -> usize {
    2 * h.distinct_values() / (usize::from(h.buckets()) + 1)
}

/// Formats `v` with `prec` decimals the way Java's `%.{prec}f` does, which differs from Rust's
/// `{:.prec$}` on ties: Java (`FormattedFloatingDecimal`) starts from the shortest decimal
/// digits that round-trip the double (what `Double.toString` prints) and rounds those HALF_UP,
/// so `%.2f` of 0.125 is "0.13" and of 1.005 is "1.01", where Rust prints "0.12" and "1.00".
/// Rust's `{:e}` gives the same shortest digits.
pub(crate) fn java_fixed(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // |v| = 0.d1d2d3... × 10^(exp+1); the first `keep` digits form the integer |v| × 10^prec.
    let keep = exp + 1 + prec as i64;
    let mut scaled: Vec<u8> = match usize::try_from(keep) {
        Ok(k) => (0..k).map(|i| digits.get(i).copied().unwrap_or(0)).collect(),
        Err(_) => Vec::new(),
    };
    let round_up = usize::try_from(keep)
        .ok()
        .and_then(|k| digits.get(k))
        .is_some_and(|&d| d >= 5);
    if round_up {
        let mut i = scaled.len();
        loop {
            if i == 0 {
                scaled.insert(0, 1);
                break;
            }
            i -= 1;
            if scaled[i] == 9 {
                scaled[i] = 0;
            } else {
                scaled[i] += 1;
                break;
            }
        }
    }
    while scaled.len() < prec + 1 {
        scaled.insert(0, 0);
    }
    let split = scaled.len() - prec;
    let mut s = String::with_capacity(scaled.len() + 2);
    if v < 0.0 {
        s.push('-');
    }
    s.extend(scaled[..split].iter().map(|d| char::from(b'0' + d)));
    if prec > 0 {
        s.push('.');
        s.extend(scaled[split..].iter().map(|d| char::from(b'0' + d)));
    }
    s
}

/// One parsed `.hgrm` row: (value in the file's unit, percentile as a fraction 0..=1,
/// cumulative total count).
pub type HgrmRow = (f64, f64, u64);

/// Parses the rows of an `.hgrm` text (ours or Java's). The header, blank lines and `#` footer
/// lines are skipped; any other line must have 3 or 4 numeric columns. Errors name the 1-based
/// line number.
pub fn parse_hgrm(text: &str) -> Result<Vec<HgrmRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("Value") {
            continue;
        }
        let cols: Vec<&str> = trimmed.split_whitespace().collect();
        if !(3..=4).contains(&cols.len()) {
            return Err(format!(
                "line {}: expected 3 or 4 columns, found {}: {trimmed:?}",
                i + 1,
                cols.len()
            ));
        }
        let bad = |what: &str, s: &str| format!("line {}: bad {what} {s:?}", i + 1);
        let value: f64 = cols[0].parse().map_err(|_| bad("value", cols[0]))?;
        let pct: f64 = cols[1].parse().map_err(|_| bad("percentile", cols[1]))?;
        let count: u64 = cols[2].parse().map_err(|_| bad("total count", cols[2]))?;
        if !(0.0..=1.0).contains(&pct) {
            return Err(bad("percentile (must be a fraction 0..1)", cols[1]));
        }
        if rows.last().is_some_and(|&(_, p, _): &HgrmRow| pct < p) {
            return Err(bad("percentile (rows must be in increasing order)", cols[1]));
        }
        rows.push((value, pct, count));
    }
    Ok(rows)
}

/// The value at quantile `q` (a fraction, e.g. 0.99 for p99) from parsed `.hgrm` rows: at a
/// printed percentile the histogram's own value, linear between rows
/// ([`crate::stats::hdr::value_between_rows`]). `None` for no rows or a NaN `q`.
pub fn value_at_percentile(rows: &[HgrmRow], q: f64) -> Option<f64> {
    let points: Vec<(f64, f64)> = rows.iter().map(|&(v, p, _)| (v, p)).collect();
    crate::stats::hdr::value_between_rows(&points, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_fixed_matches_java_formatter() {
        // Expected strings are what Java's String.format(Locale.US, "%.Nf", v) prints.
        assert_eq!(java_fixed(0.125, 2), "0.13");
        assert_eq!(java_fixed(1.005, 2), "1.01");
        assert_eq!(java_fixed(2.5, 0), "3");
        assert_eq!(java_fixed(0.0625, 3), "0.063");
        assert_eq!(java_fixed(1000.0, 3), "1000.000");
        assert_eq!(java_fixed(0.0, 12), "0.000000000000");
        assert_eq!(java_fixed(9.9995, 3), "10.000");
        assert_eq!(java_fixed(0.0004, 3), "0.000");
        assert_eq!(java_fixed(0.0005, 3), "0.001");
        assert_eq!(java_fixed(1.0 / 0.9, 2), "1.11");
        assert_eq!(java_fixed(123456789.0, 1), "123456789.0");
        assert_eq!(java_fixed(-1.5, 1), "-1.5");
        assert_eq!(java_fixed(f64::INFINITY, 2), "Infinity");
        // Java pads the shortest digits with zeros where Rust prints the exact binary value.
        assert_eq!(java_fixed(12345.6789, 12), "12345.678900000000");
        assert_eq!(format!("{:.12}", 12345.6789), "12345.678900000001");
        // Otherwise, away from ties, both agree.
        for v in [0.3, 2.047, 1.0 / 3.0, 12345.6789, 1e-7, 7e15, 0.984375] {
            for prec in [0, 2, 3] {
                assert_eq!(java_fixed(v, prec), format!("{v:.prec$}"), "{v} {prec}");
            }
        }
    }

    #[test]
    fn parse_rejects_garbage_with_line_number() {
        let err = parse_hgrm("       Value     Percentile TotalCount 1/(1-Percentile)\n\n 1.0 x 3\n");
        assert!(err.is_err_and(|e| e.starts_with("line 3:")));
        assert!(parse_hgrm("1.0 0.5\n").is_err());
        assert!(parse_hgrm("1.0 0.5 2\n1.0 0.4 3\n").is_err());
        assert_eq!(parse_hgrm("").map(|r| r.len()), Ok(0));
    }

    #[test]
    fn interpolates_between_rows() {
        let rows = [(1.0, 0.0, 1), (2.0, 0.5, 5), (4.0, 1.0, 10)];
        assert_eq!(value_at_percentile(&rows, 0.5), Some(2.0));
        assert_eq!(value_at_percentile(&rows, 0.75), Some(3.0));
        assert_eq!(value_at_percentile(&rows, 2.0), Some(4.0));
        assert_eq!(value_at_percentile(&rows, -1.0), Some(1.0));
        assert_eq!(value_at_percentile(&[], 0.5), None);
        assert_eq!(value_at_percentile(&rows, f64::NAN), None);
    }

    #[test]
    fn hgrm_of_empty_histogram_is_header_and_footer() -> Result<(), Box<dyn std::error::Error>> {
        let text = write_hgrm(&Histogram::new_with_bounds(1, 3_600_000_000_000, 3)?, 1000.0);
        let expected = "       Value     Percentile TotalCount 1/(1-Percentile)

#[Mean    =        0.000, StdDeviation   =        0.000]
#[Max     =        0.000, Total count    =            0]
#[Buckets =           32, SubBuckets     =         2048]
";
        assert_eq!(text, expected);
        assert_eq!(parse_hgrm(&text)?.len(), 0);
        // An auto-resizing histogram (the crate's smallest layout) must not panic either.
        let small = Histogram::<u64>::new(3)?;
        assert!(write_hgrm(&small, 1000.0).contains("Total count    =            0]"));
        Ok(())
    }
}
