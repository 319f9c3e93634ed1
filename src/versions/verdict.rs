//! The verdicts of a version A/B, paired by round. The two builds ran alternately (A B B A …),
//! so A's round k and B's round k are the two processes that ran next to each other and saw the
//! same state of the host: their ratio cancels what the pair shared. Each row's change is the
//! project's paired ratio B/A over those pairs (`stats::ratio::paired_ratio`, a Student-t
//! interval on the log ratios) and its word is the project's one verdict rule
//! (`report::answers::verdict::judge`: real = the interval excludes 1 and the change exceeds the
//! larger of the rows' MDE and 2%). `compare`'s verdict words then say which way and whether
//! past the gate. These replace `compare`'s own verdicts (Welch on unpaired rounds), which would
//! throw the pairing away.

use crate::compare::{Comparison, RowChange, Verdict, gate_of, scenario_gates};
use crate::report::answers::mde_of;
use crate::report::answers::verdict::{Word, effect_pct, judge, ratio_words, threshold_pct};
use crate::results::CaseResult;
use crate::stats::ratio::{Ratio, paired_ratio};
use crate::stats::rounds::RoundSummary;

/// A's and B's round figures of one row, paired by the process that ran them (a round's
/// `position` is its process's index, which is its pair's; see `merge`), in pair order.
fn paired_rounds(a: Option<&RoundSummary>, b: Option<&RoundSummary>) -> (Vec<f64>, Vec<f64>) {
    let (Some(ra), Some(rb)) = (a, b) else {
        return (Vec::new(), Vec::new());
    };
    ra.rounds
        .iter()
        .filter_map(|x| {
            rb.rounds
                .iter()
                .find(|y| y.position == x.position)
                .map(|y| (x.mean, y.mean))
        })
        .unzip()
}

/// The row of `run` a comparison row speaks of.
fn row_of<'a>(run: &'a crate::report::data::RunData, r: &RowChange) -> Option<&'a CaseResult> {
    run.summary
        .results
        .iter()
        .find(|x| x.scenario == r.scenario && x.variant == r.variant && x.runtime == r.runtime && x.metric == r.metric)
}

/// B/A of a row paired by round and the MDE its verdict must pass; `None` where the row has
/// no pair of rounds with positive figures.
pub fn paired(c: &Comparison, r: &RowChange) -> Option<(Ratio, Option<f64>)> {
    let (a, b) = (row_of(&c.a, r)?, row_of(&c.b, r)?);
    let (ra, rb) = paired_rounds(a.rounds.as_ref(), b.rounds.as_ref());
    Some((paired_ratio(&rb, &ra)?, mde_of(a, b)))
}

/// `compare`'s verdict word and its reason for a paired ratio B/A, `gate` percent being the
/// row's regression gate.
pub fn verdict_of(ratio: Option<&Ratio>, mde_pct: Option<f64>, gate: f64) -> (Verdict, String) {
    let Some(r) = ratio else {
        return (
            Verdict::Inconclusive,
            "no pair of rounds with a figure on both sides".to_string(),
        );
    };
    let word = judge(r, mde_pct);
    let what = format!("B/A {} over {} pairs of rounds", ratio_words(r, word), r.pairs);
    let change = (r.estimate - 1.0) * 100.0;
    let thr = threshold_pct(mde_pct);
    match word {
        Word::NoClaim => (
            Verdict::Inconclusive,
            format!("{what}: one pair, no interval, no claim (--rounds ≥ 2)"),
        ),
        Word::Real if change > gate => (Verdict::Regression, format!("{what}: slower beyond the {gate}% gate")),
        Word::Real if change < -gate => (Verdict::Improvement, format!("{what}: faster beyond the {gate}% gate")),
        Word::Real if change > 0.0 => (
            Verdict::SlowerBelowGate,
            format!("{what}: real (past {thr:.1}%), under the {gate}% gate"),
        ),
        Word::Real => (
            Verdict::FasterBelowGate,
            format!("{what}: real (past {thr:.1}%), under the {gate}% gate"),
        ),
        Word::Similar if r.interval.is_some_and(|i| i.contains(1.0)) && effect_pct(r.estimate) > thr => (
            Verdict::Inconclusive,
            format!(
                "{what}: the interval holds 1, yet the change is past {thr:.1}% (the MDE or 2%); more rounds would decide"
            ),
        ),
        Word::Similar => (
            Verdict::WithinNoise,
            format!("{what}: not past {thr:.1}% (the larger of the MDE and 2%) with an interval excluding 1"),
        ),
    }
}

/// Replaces every row's verdict by its paired one; new errors where A had none stay a
/// regression, as in `compare`.
pub fn rejudge(c: &mut Comparison) {
    let gates = scenario_gates(&[&c.a.summary, &c.b.summary]);
    let judged: Vec<(Option<Ratio>, Option<f64>)> = c
        .rows
        .iter()
        .map(|r| paired(c, r).map_or((None, None), |(ratio, mde)| (Some(ratio), mde)))
        .collect();
    let opts = c.opts;
    for (row, (ratio, mde)) in c.rows.iter_mut().zip(judged) {
        let gate = gate_of(opts, &gates, &row.scenario);
        let (mut verdict, mut reason) = verdict_of(ratio.as_ref(), mde, gate);
        let (ea, eb) = row.errors;
        if ea == 0 && eb > 0 {
            verdict = Verdict::Regression;
            reason = format!("{eb} errors where A had none; {reason}");
        }
        row.verdict = verdict;
        row.reason = reason;
        row.change_pct = ratio.map(|r| (r.estimate - 1.0) * 100.0);
        row.mde_pct = mde;
        // Welch's p-values judged nothing here; the table shows none rather than a stale one.
        row.rounds_p = None;
        row.p_adjusted = None;
        row.rounds_to_decide = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    fn ratio(estimate: f64, lo: f64, hi: f64) -> Ratio {
        Ratio {
            estimate,
            interval: Some(Interval { lo, hi, level: 0.95 }),
            pairs: 6,
        }
    }

    #[test]
    fn the_paired_ratio_gets_compares_words_by_the_one_verdict_rule() {
        let v = |r: &Ratio, mde: Option<f64>| verdict_of(Some(r), mde, 5.0).0;
        assert_eq!(v(&ratio(1.20, 1.10, 1.30), Some(8.0)), Verdict::Regression);
        assert_eq!(v(&ratio(0.80, 0.75, 0.85), Some(8.0)), Verdict::Improvement);
        // Real (past 2% and the 3% MDE) but under the 5% gate.
        assert_eq!(v(&ratio(1.04, 1.03, 1.05), Some(3.0)), Verdict::SlowerBelowGate);
        assert_eq!(v(&ratio(0.96, 0.95, 0.97), Some(3.0)), Verdict::FasterBelowGate);
        // Excludes 1 but below the row's MDE: ≈ within noise, never a regression.
        assert_eq!(v(&ratio(1.20, 1.10, 1.30), Some(25.0)), Verdict::WithinNoise);
        // Excludes 1 by 1%: below the 2% floor.
        assert_eq!(v(&ratio(1.01, 1.005, 1.015), Some(0.5)), Verdict::WithinNoise);
        // Holds 1 with a change past the threshold: more rounds would decide.
        assert_eq!(v(&ratio(1.15, 0.95, 1.40), Some(10.0)), Verdict::Inconclusive);
        assert_eq!(v(&ratio(1.01, 0.98, 1.04), Some(10.0)), Verdict::WithinNoise);
        let one = Ratio {
            estimate: 2.0,
            interval: None,
            pairs: 1,
        };
        assert_eq!(v(&one, None), Verdict::Inconclusive);
        assert_eq!(verdict_of(None, None, 5.0).0, Verdict::Inconclusive);
    }

    /// Pairs are matched by process, not by index: a round B lacks does not shift the rest.
    #[test]
    fn rounds_pair_by_their_process() {
        use crate::stats::rounds::{Round, summarize};
        let round = |position: u32, mean: f64| Round {
            position,
            mean,
            stddev: 0.0,
            batches: 1,
            steal_pct: None,
            host_probe_ns: None,
            migrations: None,
        };
        let a = summarize(vec![round(0, 100.0), round(1, 200.0), round(2, 300.0)]);
        let b = summarize(vec![round(0, 110.0), round(2, 330.0)]);
        assert_eq!(
            paired_rounds(a.as_ref(), b.as_ref()),
            (vec![100.0, 300.0], vec![110.0, 330.0])
        );
    }
}
