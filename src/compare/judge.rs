//! One row's verdict: what its two runs measured (round figures, or batches and samples for
//! runs without rounds), then — once every row's p-value is in and adjusted — the verdict in
//! plain words (see [`Verdict`]).

use super::{RowChange, Verdict, change_pct, signed};
use crate::report::data::PRIMARY_METRIC;
use crate::results::{CaseResult, figures};
use crate::stats::rounds::{self as round_stats, RoundSummary};
use crate::stats::two_stage::RoundPlan;
use crate::stats::{self, TestResult};

/// Rounds per run beyond which `compare` stops counting how many would decide a row.
pub(super) const MAX_ROUNDS_TO_DECIDE: u32 = 50;

/// A round that lost this share of the machine's CPU time (percent) to hypervisor steal is
/// not a measurement of the code: a row with one in either run is not called significant.
/// On the 2-core CI VM (full run 20261202T134205Z) rounds read 0–2% when quiet and 2–8% for
/// whole scenarios while the host was busy (a steady tax both runs of a pair tend to share);
/// bursts reach 12–18% — those are what this cut is for.
pub const STOLEN_PCT: f64 = 10.0;

/// "B round 2 lost 19.1%" for the worst stolen round of either run, `None` without one.
fn stolen(a: &CaseResult, b: &CaseResult) -> Option<String> {
    let worst = |r: &CaseResult| {
        r.rounds.as_ref().and_then(|s| {
            s.rounds
                .iter()
                .enumerate()
                .filter_map(|(i, x)| x.steal_pct.filter(|p| *p >= STOLEN_PCT).map(|p| (i, p)))
                .max_by(|x, y| x.1.total_cmp(&y.1))
        })
    };
    let (wa, wb) = (worst(a), worst(b));
    let pick = match (wa, wb) {
        (Some(x), Some(y)) if y.1 > x.1 => ("B", y),
        (Some(x), _) => ("A", x),
        (None, Some(y)) => ("B", y),
        (None, None) => return None,
    };
    let (run, (i, pct)) = pick;
    Some(format!(
        "{run} round {} lost {pct:.1}% of the machine's CPU time to hypervisor steal",
        i + 1
    ))
}

/// A row whose rounds read the host probe ([`crate::measure::host_probe`]) this much slower
/// (or faster) in one run than in the other, in percent, has moved host: a significant change
/// in the same direction that the host's shift could carry (what is left of it once divided
/// by the shift is within the gate) is not called. The probe reads within about ±2.5% of its
/// median when the VM is quiet (p10–p90 of single probes), and a row's figure is the mean over
/// its rounds (3 or more), so a quiet pair moves well under this.
pub const HOST_MOVED_PCT: f64 = 5.0;

/// Mean host-probe reading over a row's rounds, `None` where no round has one.
fn probe_mean(r: &CaseResult) -> Option<f64> {
    let probes = r.rounds.as_ref()?.rounds.iter().filter_map(|x| x.host_probe_ns);
    stats::sample::Sample::new(probes).ok().map(|s| s.mean())
}

/// How much slower (positive) B's rounds read the host probe than A's, percent.
fn host_shift(a: &CaseResult, b: &CaseResult) -> Option<f64> {
    let (pa, pb) = (probe_mean(a)?, probe_mean(b)?);
    (pa > 0.0).then(|| (pb / pa - 1.0) * 100.0)
}

/// "the host probe read 12.0% slower in B over this row's rounds; +2.7% once divided by it"
/// where the host moved [`HOST_MOVED_PCT`] or more in the direction of the row's change `c`
/// and the change divided by the host's shift is within the gate `thr`; `None` otherwise.
fn host_moved(shift: Option<f64>, c: Option<f64>, thr: f64) -> Option<String> {
    let (shift, c) = (shift?, c?);
    let left = ((1.0 + c / 100.0) / (1.0 + shift / 100.0) - 1.0) * 100.0;
    (shift.abs() >= HOST_MOVED_PCT && shift.signum() == c.signum() && left.abs() <= thr).then(|| {
        format!(
            "the host probe read {:.1}% {} in B over this row's rounds; {} once divided by it",
            shift.abs(),
            if shift > 0.0 { "slower" } else { "faster" },
            signed(left)
        )
    })
}

pub(super) fn has_rounds(r: &CaseResult) -> bool {
    r.rounds.as_ref().is_some_and(|x| x.count >= 2)
}

/// A row recorded in rounds but only one: no between-run test is honest for it (its batches
/// share one runtime instance and one moment of the machine, so testing them calls any drift
/// significant).
fn one_round(r: &CaseResult) -> bool {
    r.rounds.as_ref().is_some_and(|x| x.count < 2)
}

/// What a row's two runs measured, before the verdict (which needs every
/// row's p-value for the adjustment).
pub(super) struct Measured {
    pub(super) row: RowChange,
    change: Option<f64>,
    pub(super) p: Option<f64>,
    test_name: &'static str,
    /// Pooled round spread and the mean, for the rounds an inconclusive row would need.
    spread: Option<(f64, f64)>,
    /// Each run's adaptive-round plan of the row (cargo bench), for the verdict's words.
    plans: (Option<RoundPlan>, Option<RoundPlan>),
    /// The worst round of either run that lost [`STOLEN_PCT`] or more to hypervisor steal.
    stolen: Option<String>,
    /// How much slower B's rounds read the host probe than A's, percent ([`host_shift`]).
    host_shift: Option<f64>,
}

pub(super) fn measure(a: &CaseResult, b: &CaseResult, dist_test: Option<TestResult>) -> Measured {
    let primary = a.metric == PRIMARY_METRIC;
    let (fa, fb) = (figures::figure_of(a), figures::figure_of(b));
    // Batch times are the value only where both runs publish one (not an open-loop window).
    let (wa, wb) = if primary && fa.is_batch_time() && fb.is_batch_time() {
        (a.wall_ns.as_ref(), b.wall_ns.as_ref())
    } else {
        (None, None)
    };
    let wall = (wa.map(|w| w.mean), wb.map(|w| w.mean));
    let single = one_round(a) || one_round(b);
    let wall_test = match (wa, wb) {
        (Some(x), Some(y)) if !single => stats::welch((x.mean, x.stddev, x.batches), (y.mean, y.stddev, y.batches)),
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
    let (rounds_p, mde_pct, spread) = match both {
        Some((x, y)) => {
            // The spread of both runs pooled, at the smaller round count.
            let sd = stats::pooled_sd(x.stddev, y.stddev);
            let r = x.count.min(y.count) as usize;
            (
                round_stats::welch_rounds(x, y),
                round_stats::mde_pct(x.mean, sd, r),
                Some((x.mean, sd)),
            )
        }
        None => (None, None, None),
    };
    let metric_median = || format!("{} median", a.metric);
    let (tested, change, p, test_name) = match (both, wall_test) {
        // The value as the row defines it (batch mean, or p99 from the intended send…).
        (Some(_), _) if primary => (
            fa.over_rounds_label().to_string(),
            change_pct(rounds),
            rounds_p,
            "Welch on rounds",
        ),
        (Some(_), _) => (metric_median(), change_pct(rounds), rounds_p, "Welch on rounds"),
        (None, _) if single => (
            if primary {
                format!("{}, 1 round", fa.label())
            } else {
                format!("{}, 1 round", a.metric)
            },
            change_pct(rounds).or(if primary { change_pct(wall) } else { change_pct(p50) }),
            None,
            "none",
        ),
        (None, Some(t)) => (
            "batch mean".to_string(),
            change_pct(wall),
            Some(t.p),
            "batch-level Welch",
        ),
        (None, None) => (
            format!("{} p50", a.metric),
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
            tested,
            change_pct: change,
            wall,
            wall_test,
            p50,
            p99,
            dist_test,
            rounds,
            round_counts: (
                a.rounds.as_ref().map_or(0, |r| r.count),
                b.rounds.as_ref().map_or(0, |r| r.count),
            ),
            rounds_p,
            p_adjusted: None,
            mde_pct,
            rounds_to_decide: None,
            errors: (a.errors, b.errors),
            errors_by_kind: (a.errors_by_kind.clone(), b.errors_by_kind.clone()),
            cost: (a.cost, b.cost),
            verdict: Verdict::WithinNoise,
            reason: String::new(),
        },
        change,
        p,
        test_name,
        spread,
        plans: (a.round_plan.clone(), b.round_plan.clone()),
        stolen: stolen(a, b),
        host_shift: host_shift(a, b),
    }
}

/// The fewest rounds per run, more than the `have` that did not decide it, at which a change of
/// `change_pct` would be detected with 80% power (α 5%) at this spread: where the minimum
/// detectable effect falls to the change.
pub fn rounds_to_decide(mean: f64, sd: f64, change_pct: f64, have: u32) -> Option<u32> {
    (have.max(1) + 1..=MAX_ROUNDS_TO_DECIDE)
        .find(|&r| round_stats::mde_pct(mean, sd, r as usize).is_some_and(|m| m <= change_pct.abs()))
}

/// `thr`: the row's gate, percent (`--threshold`, or its scenario's own where larger).
pub(super) fn judge(m: Measured, p_adjusted: Option<f64>, thr: f64, alpha: f64) -> RowChange {
    let Measured {
        mut row,
        change,
        test_name,
        spread,
        plans: m_plans,
        stolen,
        host_shift,
        ..
    } = m;
    row.p_adjusted = p_adjusted;
    let figure = row.tested.clone();
    let (mut verdict, mut reason) = match (change, p_adjusted) {
        (None, _) => (Verdict::Inconclusive, format!("{figure}: no figure to compare")),
        (Some(c), None) if test_name == "none" => (
            Verdict::Inconclusive,
            format!(
                "{figure} {}: one round in a run, so no test between the runs (give the scenario rounds ≥ 2)",
                signed(c)
            ),
        ),
        (Some(c), None) if c.abs() > thr => (
            Verdict::Inconclusive,
            format!(
                "{figure} {}: no test possible (fewer than 2 batches, or no samples)",
                signed(c)
            ),
        ),
        (Some(c), None) => (
            Verdict::WithinNoise,
            format!("{figure} {}: no test possible, within ±{thr}%", signed(c)),
        ),
        (Some(c), Some(p)) => {
            let sig = p < alpha;
            let what = format!(
                "{figure} {} ({test_name}, family-adjusted {})",
                signed(c),
                crate::report::format::p_value(p)
            );
            if sig && c > thr {
                (Verdict::Regression, format!("{what}: slower beyond the {thr}% gate"))
            } else if sig && c < -thr {
                (Verdict::Improvement, format!("{what}: faster beyond the {thr}% gate"))
            } else if sig && c > 0.0 {
                (
                    Verdict::SlowerBelowGate,
                    format!("{what}: significant, under the {thr}% gate"),
                )
            } else if sig && c < 0.0 {
                (
                    Verdict::FasterBelowGate,
                    format!("{what}: significant, under the {thr}% gate"),
                )
            } else {
                match row.mde_pct {
                    Some(mde) if c.abs() < mde => (
                        Verdict::WithinNoise,
                        format!("{what}: smaller than the minimum detectable effect {mde:.1}%"),
                    ),
                    Some(mde) => {
                        let have = row.round_counts.0.min(row.round_counts.1);
                        row.rounds_to_decide = spread.and_then(|(mean, sd)| rounds_to_decide(mean, sd, c, have));
                        let more = match row.rounds_to_decide {
                            Some(r) => format!("{r} rounds per run would detect it with 80% power"),
                            None => format!("more than {MAX_ROUNDS_TO_DECIDE} rounds per run would be needed"),
                        };
                        (
                            Verdict::Inconclusive,
                            format!(
                                "{what}: not significant, yet larger than the minimum detectable effect {mde:.1}%; {more}"
                            ),
                        )
                    }
                    // Batch- or sample-level rows of runs without rounds have no MDE: the
                    // threshold decides what is too large to leave unexplained.
                    None if c.abs() <= thr => {
                        (Verdict::WithinNoise, format!("{what}: not significant, within ±{thr}%"))
                    }
                    None => (
                        Verdict::Inconclusive,
                        format!("{what}: not significant; rounds would tell (this run has none)"),
                    ),
                }
            }
        }
    };
    let host = host_moved(host_shift, change, thr);
    if let Some(why) = stolen.or(host).filter(|_| verdict.significant()) {
        verdict = Verdict::Inconclusive;
        reason = format!("{reason}; not called: {why} (rerun on a quiet machine)");
    }
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
    row.reason = match rounds_note(&m_plans) {
        Some(note) => format!("{reason}; {note}"),
        None => reason,
    };
    row
}

/// "rounds: A 3, B 3+3 (stage-1 MDE 8.1% > 5% target)" where either run gave the row stage-2
/// rounds or planned some (cargo bench's adaptive rounds); `None` otherwise.
fn rounds_note(plans: &(Option<RoundPlan>, Option<RoundPlan>)) -> Option<String> {
    let staged = |p: &Option<RoundPlan>| p.as_ref().is_some_and(|p| p.planned > p.stage1);
    if !staged(&plans.0) && !staged(&plans.1) {
        return None;
    }
    let side = |p: &Option<RoundPlan>| p.as_ref().map_or("no plan".to_string(), RoundPlan::describe);
    Some(format!("rounds: A {}, B {}", side(&plans.0), side(&plans.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row that ran stage-2 rounds says so beside its verdict; rows without a plan, or whose
    /// stage 1 met the target, get no note.
    #[test]
    fn the_rounds_note_names_each_runs_plan() {
        let quiet = RoundPlan::new(&[100.0, 100.1, 99.9], 5.0);
        let mut noisy = RoundPlan::new(&[98.8, 100.0, 101.2], 5.0);
        noisy.close(4, None);
        assert_eq!(rounds_note(&(None, None)), None);
        assert_eq!(rounds_note(&(Some(quiet.clone()), None)), None);
        let note = rounds_note(&(Some(quiet), Some(noisy))).unwrap();
        assert!(
            note.starts_with("rounds: A 3 rounds (stage-1 MDE") && note.contains("B 3+1 rounds (stage-1 MDE"),
            "{note}"
        );
    }

    #[test]
    fn rounds_to_decide_is_where_the_mde_meets_the_change() {
        // sd 2% of the mean: with 3 rounds the MDE is (2.776 + 0.941)·2·√(2/3) ≈ 6.1%, so a 6.5%
        // change is decided at 3 rounds and a 3% one needs more.
        assert_eq!(rounds_to_decide(100.0, 2.0, 6.5, 2), Some(3));
        // Never fewer than one more round than the run had.
        assert_eq!(rounds_to_decide(100.0, 2.0, 6.5, 3), Some(4));
        let r = rounds_to_decide(100.0, 2.0, 3.0, 3).unwrap_or(0);
        assert!(round_stats::mde_pct(100.0, 2.0, r as usize).is_some_and(|m| m <= 3.0));
        assert!(round_stats::mde_pct(100.0, 2.0, r as usize - 1).is_some_and(|m| m > 3.0));
        assert_eq!(rounds_to_decide(100.0, 50.0, 1.0, 3), None);
    }
}
