//! The verdict rule and the trust rule, stated once: when a ratio or a difference between two
//! rows is a real difference, how it is written, and what the reader is told about both.
//!
//! A ratio is a *real* difference when its 95% interval over paired rounds excludes 1 **and** the
//! difference exceeds the larger of the two rows' minimum detectable effect and [`FLOOR_PCT`];
//! anything else reads "≈" with its measured Δ. With no interval (one round, or one figure per
//! row) nothing is claimed. A difference (A − B) is judged the same way against 0.

use crate::report::format;
use crate::stats::difference::Difference;
use crate::stats::ratio::Ratio;

/// The smallest difference, percent, called real whatever the rows' MDE: below it a difference
/// is too small to matter in a design review even when the rounds resolve it.
pub const FLOOR_PCT: f64 = 2.0;

/// What a ratio says, by [`judge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Word {
    /// The interval excludes 1 and the difference passes the threshold.
    Real,
    /// No real difference: the interval holds 1, or the difference is below the threshold.
    Similar,
    /// No interval (one round, or one figure per row): no claim.
    NoClaim,
}

/// How large a ratio is as a difference, percent, either way round: 1.25× and 0.8× are both 25%.
pub fn effect_pct(ratio: f64) -> f64 {
    (ratio.max(1.0 / ratio) - 1.0) * 100.0
}

/// The threshold a difference must pass: the larger of the rows' MDE and [`FLOOR_PCT`].
pub fn threshold_pct(mde_pct: Option<f64>) -> f64 {
    mde_pct.filter(|m| m.is_finite()).unwrap_or(0.0).max(FLOOR_PCT)
}

/// The verdict rule (module docs): real needs an interval that excludes 1 and an effect above
/// [`threshold_pct`].
pub fn judge(r: &Ratio, mde_pct: Option<f64>) -> Word {
    match r.interval {
        None => Word::NoClaim,
        Some(i) if !i.contains(1.0) && effect_pct(r.estimate) > threshold_pct(mde_pct) => Word::Real,
        Some(_) => Word::Similar,
    }
}

/// "0.127× [0.121–0.133]" or "1.01× [1.00–1.01] ≈ (Δ +1.0%)": a ratio with its interval and, when it
/// is not real, the "≈" mark with its measured Δ.
pub fn ratio_words(r: &Ratio, word: Word) -> String {
    let x = format::ratio(Some(r.estimate));
    let iv = r.interval.map_or(String::new(), |i| {
        format!(" [{}–{}]", format::sig3(i.lo), format::sig3(i.hi))
    });
    match word {
        Word::Real => format!("{x}{iv}"),
        Word::Similar => format!("{x}{iv} ≈ (Δ {})", format::change_pct((r.estimate - 1.0) * 100.0)),
        // The verdict column and the answer say "no claim"; the figure stays bare.
        Word::NoClaim => x,
    }
}

/// Largest MDE (percent) of a "high" trust answer: the 10% target of DESIGN.md's power budget.
pub const MDE_HIGH_PCT: f64 = 10.0;
/// Above this MDE (percent) an answer is "low" trust: its rows cannot tell a difference of half
/// their value from noise.
pub const MDE_LOW_PCT: f64 = 50.0;

/// The rule behind the trust column, stated once for the reader.
pub const TRUST_RULE: &str = "trust: high = intervals over ≥ 2 paired rounds, every row stable, every MDE ≤ 10%; \
medium = a row unstable (quoted as its range) or an MDE up to 50%; low = no interval, or an MDE over 50%";

/// The verdict rule, stated once for the reader.
pub const VERDICT_RULE: &str = "real = the 95% interval over paired rounds excludes 1 and the difference exceeds \
the larger of the rows' MDE and 2%; otherwise ≈ with its measured Δ; no interval, no claim";

/// The verdict rule for a difference: real when its interval excludes 0 and it exceeds the
/// threshold as a share of the baseline (the same rule as [`judge`], on A − B instead of A/B).
pub fn judge_difference(d: &Difference, baseline: f64, mde_pct: Option<f64>) -> Word {
    match d.interval {
        None => Word::NoClaim,
        Some(i) if !i.contains(0.0) && 100.0 * d.estimate.abs() / baseline > threshold_pct(mde_pct) => Word::Real,
        Some(_) => Word::Similar,
    }
}

/// "+85.0 ns [70.1 ns–99.9 ns]" (≈ and its Δ when not real).
pub fn difference_words(d: &Difference, word: Word) -> String {
    let signed = |v: f64| {
        if v < 0.0 {
            format!("−{}", format::duration(-v))
        } else {
            format!("+{}", format::duration(v))
        }
    };
    let iv = d
        .interval
        .map_or(String::new(), |i| format!(" [{} to {}]", signed(i.lo), signed(i.hi)));
    match word {
        Word::Real => format!("{}{iv}", signed(d.estimate)),
        Word::Similar => format!("≈ {}{iv}", signed(d.estimate)),
        Word::NoClaim => signed(d.estimate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(estimate: f64, lo: f64, hi: f64) -> Ratio {
        Ratio {
            estimate,
            interval: Some(crate::stats::Interval { lo, hi, level: 0.95 }),
            pairs: 3,
        }
    }

    /// The issue's own examples: a 1% difference whose interval excludes 1 is ≈, not real; a 7×
    /// one is real; an interval that holds 1 is ≈ whatever its estimate.
    #[test]
    fn real_needs_an_interval_past_one_and_an_effect_past_the_threshold() {
        assert_eq!(judge(&ratio(1.01, 1.004, 1.016), Some(0.5)), Word::Similar);
        assert_eq!(judge(&ratio(7.0, 6.8, 7.2), Some(3.0)), Word::Real);
        assert_eq!(judge(&ratio(1.44, 0.90, 2.29), Some(20.0)), Word::Similar);
        // Past 1 but below the row's MDE of 30%: ≈.
        assert_eq!(judge(&ratio(1.25, 1.1, 1.4), Some(30.0)), Word::Similar);
        // Faster reads the same way: 0.5× is a 100% difference.
        assert_eq!(judge(&ratio(0.5, 0.45, 0.55), Some(10.0)), Word::Real);
        let none = Ratio {
            estimate: 3.0,
            interval: None,
            pairs: 1,
        };
        assert_eq!(judge(&none, None), Word::NoClaim);
        assert_eq!(
            ratio_words(&ratio(1.01, 1.004, 1.016), Word::Similar),
            "1.01× [1.00–1.02] ≈ (Δ +1.0%)"
        );
    }
}
