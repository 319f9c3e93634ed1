//! Ticks and labels for a log axis of ratios ("0.5×", "1×", "2×", "1.02×"): the densest set of
//! round values whose labels keep a clear gap on the axis's pixel width, so labels never run
//! into each other ("1×1.1×1.2×") however wide or narrow the range. Hand-written: plotters'
//! own log-axis key points pick ticks by count, not by the room their labels need.

/// Pixels one label character takes at the tick font size, with a margin between labels.
const CHAR_PX: f64 = 8.0;
const GAP_PX: f64 = 14.0;

/// Mantissas per decade, coarse to fine, for ranges that span a decade or more.
const LOG_LEVELS: [&[f64]; 4] = [
    &[1.0],
    &[1.0, 2.0, 5.0],
    &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
    &[1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
];

/// Ticks over `[lo, hi]` (positive, `lo < hi`) for an axis `width_px` wide: of the candidate
/// sets (powers of ten, 1-2-5 per decade, finer mantissas, then even linear steps for a narrow
/// range), the one with the most ticks whose neighbouring labels all fit apart.
pub fn ticks(lo: f64, hi: f64, width_px: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let span = (hi / lo).ln();
    let fits = |set: &[f64]| {
        set.windows(2).all(|w| {
            let gap = width_px * (w[1] / w[0]).ln() / span;
            let widest = label(w[0], set).chars().count().max(label(w[1], set).chars().count());
            gap >= widest as f64 * CHAR_PX + GAP_PX
        })
    };
    let mut best: Vec<f64> = Vec::new();
    for set in candidates(lo, hi) {
        if set.len() > best.len() && fits(&set) {
            best = set;
        }
    }
    best
}

/// Every candidate set of ticks within `[lo, hi]`, coarse to fine.
fn candidates(lo: f64, hi: f64) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    let (first, last) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
    // At the least, the two outermost powers of ten, or 1× alone.
    if first < last {
        out.push(vec![10f64.powi(first), 10f64.powi(last)]);
    }
    if (lo..=hi).contains(&1.0) {
        out.push(vec![1.0]);
    }
    // Very wide ranges: every second or third power of ten.
    for stride in [3, 2] {
        let first = first + (stride - first.rem_euclid(stride)) % stride;
        out.push((first..=last).step_by(stride as usize).map(|e| 10f64.powi(e)).collect());
    }
    for mantissas in LOG_LEVELS {
        let mut set = Vec::new();
        let mut decade = 10f64.powf(lo.log10().floor());
        while decade <= hi && set.len() < 200 {
            set.extend(
                mantissas
                    .iter()
                    .map(|m| round(m * decade))
                    .filter(|t| *t >= lo && *t <= hi),
            );
            decade *= 10.0;
        }
        out.push(set);
    }
    // Narrow ranges (within a decade) also get even linear steps: 0.95, 1, 1.05…
    let mut step = 10f64.powf((hi - lo).log10().floor());
    for _ in 0..6 {
        for f in [1.0, 0.5, 0.2] {
            let s = step * f;
            let first = (lo / s).ceil() as i64;
            let last = (hi / s).floor() as i64;
            if last >= first && last - first < 200 {
                out.push(
                    (first..=last)
                        .map(|k| round(k as f64 * s))
                        .filter(|t| *t > 0.0)
                        .collect(),
                );
            }
        }
        step /= 10.0;
    }
    out
}

/// `x` without the float noise of repeated multiplication (0.30000000000000004 → 0.3).
fn round(x: f64) -> f64 {
    let digits = 10f64.powi(9 - x.abs().log10().floor() as i32);
    (x * digits).round() / digits
}

/// The decimals a tick of `set` needs so that every tick of the set reads distinct and exact.
fn decimals(set: &[f64]) -> usize {
    (0..=6)
        .find(|&d| {
            set.iter()
                .all(|t| (format!("{t:.d$}").parse::<f64>().unwrap_or(f64::NAN) - t).abs() < t * 1e-9)
        })
        .unwrap_or(6)
}

/// The label of tick `x` in `set`: "0.5×", "1×", "1.05×".
pub fn label(x: f64, set: &[f64]) -> String {
    ratio_label(x, decimals(set))
}

/// "0.01×", "1.5×", "20×": `decimals` places, trailing zeros dropped.
pub fn ratio_label(x: f64, decimals: usize) -> String {
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    format!("{s}×")
}

/// The axis range that shows every value in `values` (positive, finite), 1× included, with a
/// margin on each side of `pad` (a factor, e.g. 1.15); `None` when no value is usable.
pub fn range(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .chain([1.0])
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    // A narrow range still shows some room either side of 1×.
    let (lo, hi) = (lo.min(1.0 / 1.02), hi.max(1.02));
    (lo < hi).then_some((lo / pad, hi * pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels of neighbouring ticks stay apart: the gap between any two is at least their text.
    fn assert_readable(lo: f64, hi: f64, width: f64) -> Vec<f64> {
        let t = ticks(lo, hi, width);
        assert!(t.len() >= 2, "{lo}..{hi} on {width}px: {t:?}");
        for w in t.windows(2) {
            let gap = width * (w[1] / w[0]).ln() / (hi / lo).ln();
            assert!(gap >= 4.0 * CHAR_PX, "{t:?}");
        }
        t
    }

    #[test]
    fn wide_ranges_read_one_two_five() {
        // The old overview's 0.8–500× on its plot width: no 1.1/1.2 crowding the 1× label.
        let t = assert_readable(0.8, 500.0, 760.0);
        assert_eq!(t, vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]);
        let t = assert_readable(0.8, 15.0, 760.0);
        assert!(!t.contains(&1.1) && !t.contains(&11.0), "{t:?}");
    }

    #[test]
    fn narrow_ranges_get_fine_readable_ticks() {
        let t = assert_readable(0.95, 1.12, 500.0);
        assert!(t.contains(&1.0), "{t:?}");
        let labels: Vec<String> = t.iter().map(|x| label(*x, &t)).collect();
        assert!(
            labels.contains(&"1.05×".to_string()) || labels.contains(&"1.02×".to_string()),
            "{labels:?}"
        );
        assert_readable(0.2, 3.0, 300.0);
    }

    #[test]
    fn very_wide_ranges_skip_decades() {
        assert!(ticks(1e-6, 1e7, 300.0).len() >= 2);
        assert_eq!(ticks(1e-3, 1e6, 300.0), vec![1e-3, 1.0, 1e3, 1e6]);
    }

    #[test]
    fn labels_drop_trailing_zeros() {
        assert_eq!(
            (ratio_label(1.5, 2), ratio_label(20.0, 2)),
            ("1.5×".into(), "20×".into())
        );
        assert_eq!(ratio_label(0.01, 3), "0.01×");
        assert_eq!(ratio_label(100.0, 0), "100×");
        assert_eq!(label(1.05, &[1.0, 1.05, 1.1]), "1.05×");
    }

    #[test]
    fn range_covers_values_and_one() {
        let (lo, hi) = range([2.0, 3.0, f64::NAN], 1.1).unwrap();
        assert!(lo < 1.0 && hi > 3.0);
        let (lo, hi) = range([], 1.1).unwrap();
        assert!(lo < 1.0 && hi > 1.0);
    }
}
