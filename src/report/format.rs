//! Numbers as people read them in tables, charts and compare output: durations with an
//! automatic unit and three significant digits, ratios, rates and signed changes. Absent or
//! non-finite values print as "—", never as "NaN" or "inf".

use crate::measure::ErrorCounts;

/// Printed for a figure that does not exist (no samples, no ideal, a NaN).
pub const NONE: &str = "—";

/// A time unit for an axis: values in ns are divided by `ns` and labelled `name`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeUnit {
    pub ns: f64,
    pub name: &'static str,
}

const UNITS: [TimeUnit; 4] = [
    TimeUnit { ns: 1.0, name: "ns" },
    TimeUnit { ns: 1e3, name: "µs" },
    TimeUnit { ns: 1e6, name: "ms" },
    TimeUnit { ns: 1e9, name: "s" },
];

impl TimeUnit {
    /// The largest unit in which `ns` is at least 1 (ns for anything smaller or not finite).
    pub fn for_value(ns: f64) -> TimeUnit {
        let mut unit = UNITS[0];
        for u in UNITS {
            if ns.is_finite() && ns.abs() >= u.ns {
                unit = u;
            }
        }
        unit
    }
}

/// A duration in ns, e.g. "850 ns", "12.3 µs", "191 ms", "1.20 s".
pub fn duration(ns: f64) -> String {
    if !ns.is_finite() {
        return NONE.to_string();
    }
    let u = TimeUnit::for_value(ns);
    format!("{} {}", sig3(ns / u.ns), u.name)
}

/// A value with its interval, the unit written once where all three share it: "12.0 µs
/// [11.7–12.3]", else each with its own: "52.0 ms [−10.7 ms–115 ms]".
pub fn duration_interval(ns: f64, lo: f64, hi: f64) -> String {
    let u = TimeUnit::for_value(ns);
    let same = |x: f64| TimeUnit::for_value(x).name == u.name;
    if ns.is_finite() && same(lo) && same(hi) {
        format!(
            "{} {} [{}–{}]",
            sig3(ns / u.ns),
            u.name,
            sig3(lo / u.ns),
            sig3(hi / u.ns)
        )
    } else {
        format!("{} [{}–{}]", duration(ns), duration(lo), duration(hi))
    }
}

/// Optional duration.
pub fn duration_opt(ns: Option<f64>) -> String {
    ns.map_or_else(|| NONE.to_string(), duration)
}

/// Mean ± half-width of an interval, in the mean's unit: "192 ± 10.2 ms".
pub fn mean_pm(mean: f64, low: f64, high: f64) -> String {
    if !mean.is_finite() {
        return NONE.to_string();
    }
    let u = TimeUnit::for_value(mean);
    let half = (high - low) / 2.0;
    if !half.is_finite() {
        return duration(mean);
    }
    format!("{} ± {} {}", sig3(mean / u.ns), sig3(half / u.ns), u.name)
}

/// The range of a row whose rounds disagree, with the marker that says so: "665 µs … 996 µs ⚠".
/// What such a row is cited as instead of one number ([`cited`]).
pub fn range(low: f64, high: f64) -> String {
    format!("{} … {} {RANGE_MARK}", duration(low), duration(high))
}

/// A row's value as [`figures::citation`](crate::results::figures::citation) says to cite it:
/// "192 ± 10.2 ms", "12.0 ms (1 round)", "665 µs … 996 µs ⚠", "—".
pub fn cited(c: crate::results::figures::Citation) -> String {
    use crate::results::figures::Citation;
    match c {
        Citation::Absent => NONE.to_string(),
        Citation::Range(lo, hi) => range(lo, hi),
        Citation::Interval(v, lo, hi) => mean_pm(v, lo, hi),
        Citation::OneRound(v) => format!("{} (1 round)", duration(v)),
        Citation::Plain(v) => duration(v),
    }
}

/// The table cell of a row's value over rounds ([`crate::results::figures::citation`]).
pub fn value_text(r: &crate::results::CaseResult) -> String {
    cited(crate::results::figures::citation(r))
}

/// The short citation of a row's value ([`crate::results::figures::short_citation`]).
pub fn value_short(r: &crate::results::CaseResult) -> String {
    cited(crate::results::figures::short_citation(r))
}

/// Marks a figure shown as its range because its rounds disagree.
pub const RANGE_MARK: &str = "⚠";

/// A ratio such as measured/ideal: "1.20×".
pub fn ratio(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{}×", sig3(v)),
        _ => NONE.to_string(),
    }
}

/// Operations per second: "41.7/s", "12.3k/s", "1.05M/s".
pub fn rate(per_s: Option<f64>) -> String {
    match per_s {
        Some(v) if v.is_finite() && v >= 1e6 => format!("{}M/s", sig3(v / 1e6)),
        Some(v) if v.is_finite() && v >= 1e3 => format!("{}k/s", sig3(v / 1e3)),
        Some(v) if v.is_finite() => format!("{}/s", sig3(v)),
        _ => NONE.to_string(),
    }
}

/// A signed relative change in percent: "+12.3%", "-4.0%", "±0.0%".
pub fn change_pct(pct: f64) -> String {
    if !pct.is_finite() {
        return NONE.to_string();
    }
    if pct.abs() < 0.05 {
        return "±0.0%".to_string();
    }
    format!("{pct:+.1}%")
}

/// A p-value: "p=0.031", "p<0.001".
pub fn p_value(p: f64) -> String {
    if !p.is_finite() {
        NONE.to_string()
    } else if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

/// A row's failures: "0", or by kind ("6 timeout, 1 status"). Summaries written before kinds
/// were counted have only the total, printed alone; a total the kinds do not account for shows
/// the rest as unclassified.
pub fn errors(total: u64, by_kind: &ErrorCounts) -> String {
    let classified = by_kind.total();
    if total == 0 && classified == 0 {
        "0".to_string()
    } else if classified == 0 {
        total.to_string()
    } else if classified >= total {
        by_kind.to_string()
    } else {
        format!("{by_kind}, {} unclassified", total - classified)
    }
}

/// A plain number with three significant digits (whole numbers above 100 are kept whole).
pub fn number(v: f64) -> String {
    if v.is_finite() { sig3(v) } else { NONE.to_string() }
}

/// Three significant digits without a unit: 0.0123, 1.23, 12.3, 123, 1234.
pub fn sig3(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        // Enough decimals for three significant digits, capped so 1e-12 does not print 15 zeros.
        let decimals = (2 - a.log10().floor() as i32).clamp(3, 9) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(12_345.0), "12.3 µs");
        assert_eq!(duration(191_920_934.6), "192 ms");
        assert_eq!(duration(1_204_000_000.0), "1.20 s");
        assert_eq!(duration(0.0), "0 ns");
        assert_eq!(duration(f64::NAN), NONE);
        assert_eq!(duration_opt(None), NONE);
    }

    #[test]
    fn other_figures() {
        assert_eq!(mean_pm(191_920_934.6, 181_770_598.8, 202_071_270.4), "192 ± 10.2 ms");
        assert_eq!(ratio(Some(1.1995)), "1.20×");
        assert_eq!(ratio(Some(f64::INFINITY)), NONE);
        assert_eq!(rate(Some(41.68)), "41.7/s");
        assert_eq!(rate(Some(12_345.0)), "12.3k/s");
        assert_eq!(rate(Some(1_050_000.0)), "1.05M/s");
        assert_eq!(change_pct(12.34), "+12.3%");
        assert_eq!(change_pct(-4.0), "-4.0%");
        assert_eq!(change_pct(0.01), "±0.0%");
        assert_eq!(p_value(0.0312), "p=0.031");
        assert_eq!(p_value(1e-9), "p<0.001");
        assert_eq!(sig3(0.01234), "0.0123");
        assert_eq!(sig3(0.5), "0.500");
        assert_eq!(TimeUnit::for_value(5e6).name, "ms");
    }

    #[test]
    fn errors_by_kind() {
        use crate::measure::ErrorKind;
        let kinds: ErrorCounts = [(ErrorKind::Timeout, 6), (ErrorKind::Status, 1)].into_iter().collect();
        assert_eq!(errors(0, &ErrorCounts::default()), "0");
        assert_eq!(errors(7, &kinds), "1 status, 6 timeout");
        assert_eq!(errors(3, &ErrorCounts::default()), "3");
        assert_eq!(errors(9, &kinds), "1 status, 6 timeout, 2 unclassified");
    }
}
