//! One row's verdict: what its two runs measured (round figures, or batches and samples for
//! runs without rounds), then — once every row's p-value is in and adjusted — the verdict.

use super::{CompareOpts, RowChange, Verdict, change_pct, signed};
use crate::report::data::PRIMARY_METRIC;
use crate::results::{CaseResult, figures};
use crate::stats::rounds::{self as round_stats, RoundSummary};
use crate::stats::{self, TestResult};

pub(super) fn has_rounds(r: &CaseResult) -> bool {
    r.rounds.as_ref().is_some_and(|x| x.count >= 2)
}

/// What a row's two runs measured, before the verdict (which needs every
/// row's p-value for the adjustment).
pub(super) struct Measured {
    row: RowChange,
    figure: &'static str,
    change: Option<f64>,
    pub(super) p: Option<f64>,
    test_name: &'static str,
}

pub(super) fn measure(a: &CaseResult, b: &CaseResult, dist_test: Option<TestResult>) -> Measured {
    let (fa, fb) = (figures::figure_of(a), figures::figure_of(b));
    // Batch times are the value only where both runs publish one (not an open-loop window).
    let (wa, wb) = if a.metric == PRIMARY_METRIC && fa.is_batch_time() && fb.is_batch_time() {
        (a.wall_ns.as_ref(), b.wall_ns.as_ref())
    } else {
        (None, None)
    };
    let wall = (wa.map(|w| w.mean), wb.map(|w| w.mean));
    let wall_test = match (wa, wb) {
        (Some(x), Some(y)) => stats::welch((x.mean, x.stddev, x.batches), (y.mean, y.stddev, y.batches)),
        _ => None,
    };
    let pct = |r: &CaseResult, f: fn(&crate::results::Percentiles) -> u64| r.latency_ns.as_ref().map(|p| f(p) as f64);
    let p50 = (pct(a, |p| p.p50), pct(b, |p| p.p50));
    let p99 = (pct(a, |p| p.p99), pct(b, |p| p.p99));
    let both: Option<(&RoundSummary, &RoundSummary)> = match (&a.rounds, &b.rounds) {
        // Round figures compare only when both runs mean the same figure by them.
        (Some(x), Some(y)) if x.count >= 2 && y.count >= 2 && fa == fb => Some((x, y)),
        _ => None,
    };
    let rounds = (a.rounds.as_ref().map(|r| r.mean), b.rounds.as_ref().map(|r| r.mean));
    let (rounds_p, mde_pct) = match both {
        Some((x, y)) => {
            // The spread of both runs pooled, at the smaller round count.
            let sd = ((x.stddev.powi(2) + y.stddev.powi(2)) / 2.0).sqrt();
            let r = x.count.min(y.count) as usize;
            (round_stats::welch_rounds(x, y), round_stats::mde_pct(x.mean, sd, r))
        }
        None => (None, None),
    };
    let (figure, change, p, test_name) = match (both, wall_test) {
        (Some(_), _) => (fa.over_rounds_label(), change_pct(rounds), rounds_p, "Welch on rounds"),
        (None, Some(t)) => ("batch mean", change_pct(wall), Some(t.p), "batch-level Welch"),
        (None, None) => (
            "p50",
            change_pct(p50),
            dist_test.map(|t| t.p),
            "sample-level Mann-Whitney",
        ),
    };
    Measured {
        row: RowChange {
            scenario: a.scenario.clone(),
            variant: a.variant.clone(),
            runtime: a.runtime.clone(),
            metric: a.metric.clone(),
            wall,
            wall_test,
            p50,
            p99,
            dist_test,
            rounds,
            rounds_p,
            p_adjusted: None,
            mde_pct,
            errors: (a.errors, b.errors),
            errors_by_kind: (a.errors_by_kind.clone(), b.errors_by_kind.clone()),
            cost: (a.cost, b.cost),
            verdict: Verdict::Unchanged,
            reason: String::new(),
        },
        figure,
        change,
        p,
        test_name,
    }
}

pub(super) fn judge(m: Measured, p_adjusted: Option<f64>, opts: CompareOpts) -> RowChange {
    let Measured {
        mut row,
        figure,
        change,
        test_name,
        ..
    } = m;
    row.p_adjusted = p_adjusted;
    let within_noise = |c: f64| row.mde_pct.filter(|mde| c.abs() < *mde);
    let (mut verdict, mut reason) = match (change, p_adjusted) {
        (None, _) => (Verdict::Inconclusive, "no figure to compare".to_string()),
        (Some(c), _) if within_noise(c).is_some() => (
            Verdict::Unchanged,
            format!(
                "{figure} {}: within noise (minimum detectable effect {:.1}%)",
                signed(c),
                within_noise(c).unwrap_or_default()
            ),
        ),
        (Some(c), None) if c.abs() > opts.threshold_pct => (
            Verdict::Inconclusive,
            format!(
                "{figure} {} but no test possible (fewer than 2 rounds or batches, or no samples)",
                signed(c)
            ),
        ),
        (Some(_), None) => (Verdict::Unchanged, format!("{figure} within ±{}%", opts.threshold_pct)),
        (Some(c), Some(p)) => {
            let sig = p < opts.alpha;
            let what = format!(
                "{figure} {} ({test_name}, Holm-adjusted {})",
                signed(c),
                crate::report::format::p_value(p)
            );
            if sig && c > opts.threshold_pct {
                (
                    Verdict::Regression,
                    format!("{what}: slower beyond {}%", opts.threshold_pct),
                )
            } else if sig && c < -opts.threshold_pct {
                (Verdict::Improvement, what)
            } else if !sig && c.abs() > opts.threshold_pct {
                (
                    Verdict::Inconclusive,
                    format!("{what}: not significant; more rounds would tell"),
                )
            } else {
                (Verdict::Unchanged, what)
            }
        }
    };
    let (ea, eb) = row.errors;
    if ea == 0 && eb > 0 {
        verdict = Verdict::Regression;
        let kinds = if row.errors_by_kind.1.is_empty() {
            String::new()
        } else {
            format!(" ({})", crate::report::format::errors(eb, &row.errors_by_kind.1))
        };
        reason = format!("{eb} errors{kinds} where A had none; {reason}");
    }
    row.verdict = verdict;
    row.reason = reason;
    row
}
