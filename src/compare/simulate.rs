//! The gate's false-alarm rate and power, simulated from a recorded run: every row's rounds give
//! its mean and between-round spread; each trial draws two runs of as many rounds from normal
//! distributions with those figures (a parametric bootstrap), optionally plants a known change in
//! one scenario's B rounds, and judges the pair with the very code `compare` uses (Welch on
//! rounds, BH per family, the threshold). Counting trials in which `--fail-on-regression` would
//! fail gives the false-alarm rate per run.
//!
//! What it leaves out, by construction: a drift between whole runs beyond the rounds' own spread
//! (another tenant, a frequency change between the two runs). Real A/A pairs (`asyncbench
//! noise`) measure that; this measures what the test itself contributes.

use serde::{Deserialize, Serialize};

use super::{CompareOpts, Verdict, compare_rows};
use crate::report::data::PRIMARY_METRIC;
use crate::results::{CaseResult, Summary};
use crate::stats::rounds::{self as round_stats, Round};

/// What the simulation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub run: String,
    pub trials: u32,
    /// Rows with ≥ 2 rounds (the others cannot be tested and never flag).
    pub rows: usize,
    pub gated_rows: usize,
    /// Trials in which an unplanted case value was called REGRESSION: the gate's false alarms.
    pub runs_failing_gate: u32,
    /// Mean over trials of unplanted rows called REGRESSION or improvement.
    pub false_flags_per_run: f64,
    /// Mean over trials of unplanted rows called significant at all (below the gate too).
    pub significant_per_run: f64,
    /// The planted change, when one was simulated: scenario, percent, its gated rows and the
    /// mean fraction of them called REGRESSION (improvement for a negative plant) and
    /// "within noise".
    pub plant: Option<SimulatedPlant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatedPlant {
    pub scenario: String,
    pub pct: f64,
    pub rows: usize,
    pub flagged_fraction: f64,
    pub within_noise_fraction: f64,
}

fn normal(rng: &mut fastrand::Rng) -> f64 {
    // Box–Muller.
    let (u, v) = (rng.f64().max(1e-300), rng.f64());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A copy of `r` whose rounds are drawn afresh around its recorded mean and spread, scaled by
/// `factor` (1 for no change).
fn redraw(r: &CaseResult, rng: &mut fastrand::Rng, factor: f64) -> Option<CaseResult> {
    let rs = r.rounds.as_ref().filter(|x| x.count >= 2)?;
    let rounds: Vec<Round> = rs
        .rounds
        .iter()
        .map(|x| Round {
            mean: factor * (rs.mean + rs.stddev * normal(rng)),
            ..*x
        })
        .collect();
    let mut out = r.clone();
    out.rounds = round_stats::summarize(rounds);
    Some(out)
}

impl Simulation {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Simulated from {} ({} trials, each a pair of runs drawn from its {} rows' round means and spreads): \
             --fail-on-regression would fail in {} of {} A/A pairs ({:.1}% per run); per run {:.2} rows flagged \
             past the gate and {:.2} significant at all, on average. Not included: drift between whole runs \
             beyond the rounds' spread (measure that with `asyncbench noise`).",
            self.run,
            self.trials,
            self.rows,
            self.runs_failing_gate,
            self.trials,
            100.0 * f64::from(self.runs_failing_gate) / f64::from(self.trials.max(1)),
            self.false_flags_per_run,
            self.significant_per_run,
        );
        if let Some(p) = &self.plant {
            s.push_str(&format!(
                " Planted {:+}% on {}: {:.1}% of its {} case values called {}, {:.1}% within noise.",
                p.pct,
                p.scenario,
                100.0 * p.flagged_fraction,
                p.rows,
                if p.pct > 0.0 { "REGRESSION" } else { "improvement" },
                100.0 * p.within_noise_fraction
            ));
        }
        s
    }
}

/// Simulates `trials` pairs of runs like `summary`'s; `plant` multiplies the rounds of one
/// scenario's rows in B by 1 + pct/100.
pub fn simulate(
    summary: &Summary,
    trials: u32,
    seed: u64,
    opts: CompareOpts,
    plant: Option<(&str, f64)>,
) -> Simulation {
    let mut rng = fastrand::Rng::with_seed(seed);
    let gates = super::scenario_gates(&[summary]);
    let testable: Vec<&CaseResult> = summary
        .results
        .iter()
        .filter(|r| r.rounds.as_ref().is_some_and(|x| x.count >= 2))
        .collect();
    let planted = |r: &CaseResult| plant.is_some_and(|(s, _)| r.scenario == s);
    let factor = plant.map_or(1.0, |(_, pct)| 1.0 + pct / 100.0);
    let want = if factor >= 1.0 {
        Verdict::Regression
    } else {
        Verdict::Improvement
    };
    let (mut failing, mut flags, mut significant) = (0u32, 0usize, 0usize);
    let (mut hit, mut missed, mut affected) = (0usize, 0usize, 0usize);
    for _ in 0..trials {
        let pairs: Vec<(CaseResult, CaseResult)> = testable
            .iter()
            .filter_map(|r| {
                let b_factor = if planted(r) { factor } else { 1.0 };
                Some((redraw(r, &mut rng, 1.0)?, redraw(r, &mut rng, b_factor)?))
            })
            .collect();
        let rows = compare_rows(pairs.iter().map(|(a, b)| (a, b, None)).collect(), opts, &gates);
        let mut failed = false;
        for row in &rows {
            let is_planted = plant.is_some_and(|(s, _)| row.scenario == s);
            let gated = row.metric == PRIMARY_METRIC;
            if is_planted {
                if gated {
                    affected += 1;
                    hit += usize::from(row.verdict == want);
                    missed += usize::from(row.verdict == Verdict::WithinNoise);
                }
                continue;
            }
            flags += usize::from(matches!(row.verdict, Verdict::Regression | Verdict::Improvement));
            significant += usize::from(row.verdict.significant());
            failed |= gated && row.verdict == Verdict::Regression;
        }
        failing += u32::from(failed);
    }
    let per_trial = |n: usize| n as f64 / f64::from(trials.max(1));
    Simulation {
        run: summary.run.id.clone(),
        trials,
        rows: testable.len(),
        gated_rows: testable.iter().filter(|r| r.metric == PRIMARY_METRIC).count(),
        runs_failing_gate: failing,
        false_flags_per_run: per_trial(flags),
        significant_per_run: per_trial(significant),
        plant: plant.map(|(scenario, pct)| SimulatedPlant {
            scenario: scenario.to_string(),
            pct,
            rows: affected / trials.max(1) as usize,
            flagged_fraction: hit as f64 / affected.max(1) as f64,
            within_noise_fraction: missed as f64 / affected.max(1) as f64,
        }),
    }
}
