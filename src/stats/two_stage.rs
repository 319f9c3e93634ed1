//! Adaptive rounds: Stein's two-stage procedure (C. Stein 1945, "A two-sample test for a linear
//! hypothesis whose power is independent of the variance", Ann. Math. Statist. 16, 243–258; in
//! textbook form e.g. Desu & Raghavarao 1990, *Sample Size Methodology*, §2.4).
//!
//! Stage 1 runs every case n₀ rounds. Its round means give the spread s (n₀ − 1 degrees of
//! freedom), and the rounds a row needs so that a comparison of two runs with n rounds each
//! detects a change of δ (the target MDE, a fraction of the mean) at α two-sided with power
//! 1 − β are
//!
//! n = max(n₀, ⌈2 · ((t₁₋α/₂,n₀−1 + t₁₋β,n₀−1) · s / (δ · mean))²⌉).
//!
//! The t-quantiles at n₀ − 1 df (not the normal ones, not n − 1) are what make the power hold
//! whatever the true spread: s is itself an estimate from n₀ rounds. Stage 2 runs the
//! n − n₀ rounds left, up to a cap and within a time budget ([`plan`] and the suite's driver).
//! A row whose stage-1 spread already meets the target gets none.
//!
//! Assumptions: round means are independent draws of one normal distribution (rounds are
//! interleaved across cases so that drift hits all alike, see `harness::order`), and stage-2
//! rounds are the same experiment as stage-1 ones (same measurement time per round). The
//! published MDE after n rounds uses 2(n − 1) df, smaller t-quantiles than the plan's, so a row
//! that ran its planned rounds with an unchanged spread meets the target with room.

use serde::{Deserialize, Serialize};

use super::mean_sd;
use super::rounds::{ALPHA, POWER};
use super::student_t_critical;

/// Target MDE (percent of the value) of single-threaded runtimes' rows: one thread, least noise.
pub const TARGET_ONE_THREAD_PCT: f64 = 5.0;
/// Target MDE of every other row (multi-thread runtimes, async-std, blocking baselines): they
/// share the CPUs with the server and with each other, and are noisier by nature.
pub const TARGET_OTHER_PCT: f64 = 10.0;
/// Rounds a row may reach, as a multiple of its stage-1 rounds.
pub const CAP_FACTOR: u32 = 3;

/// The target MDE of a row whose runtime runs on one thread or not.
pub fn target_pct(single_threaded: bool) -> f64 {
    if single_threaded {
        TARGET_ONE_THREAD_PCT
    } else {
        TARGET_OTHER_PCT
    }
}

/// Rounds in all (stage 1 included) that Stein's formula asks for, so that two runs of that many
/// rounds detect `target_pct` at α and power 1 − β given the stage-1 round means `means`.
/// `None` when the stage-1 rounds cannot say (fewer than two, or a mean that is not positive).
pub fn rounds_needed(means: &[f64], target_pct: f64) -> Option<u32> {
    let n0 = means.len();
    if n0 < 2 || target_pct <= 0.0 {
        return None;
    }
    let (mean, sd) = mean_sd(means);
    if !(mean > 0.0 && mean.is_finite() && sd.is_finite()) {
        return None;
    }
    let df = n0 as f64 - 1.0;
    // One-sided quantile at 1 − β is the two-sided one at 2β.
    let t = student_t_critical(ALPHA, df) + student_t_critical(2.0 * (1.0 - POWER), df);
    let n = 2.0 * (t * sd / (target_pct / 100.0 * mean)).powi(2);
    // Far beyond any cap: the count saturates rather than overflowing.
    Some((n.ceil().min(f64::from(u32::MAX)) as u32).max(n0 as u32))
}

/// Why a row ran the rounds it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanReason {
    /// Stage 1's spread already meets the target: no stage-2 rounds.
    MetTarget,
    /// Stage 2 ran every round the formula asked for.
    Extended,
    /// The formula asked for more than the cap: the row ran the cap.
    Capped,
    /// The scenario's stage-2 time budget ran out before the row had its rounds.
    Budget,
    /// Ctrl-C stopped the run before the row had its rounds.
    Interrupted,
    /// Stage 1 cannot estimate a spread (fewer than two rounds, or no positive value): no stage 2.
    NoEstimate,
}

/// A row's rounds under the two-stage design: what stage 1 saw, what was planned, what ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoundPlan {
    /// Rounds of stage 1 (every case runs them).
    pub stage1: u32,
    /// The MDE (percent of the value) this row aims for.
    pub target_mde_pct: f64,
    /// The row's MDE after stage 1 (same formula as `rounds.mde_pct`); absent when stage 1 could
    /// not estimate one.
    pub stage1_mde_pct: Option<f64>,
    /// Rounds in all (stage 1 included) that Stein's formula asks for; absent when stage 1 could
    /// not estimate a spread.
    pub needed: Option<u32>,
    /// The most rounds a row may reach ([`CAP_FACTOR`] × stage 1).
    pub cap: u32,
    /// Rounds planned: `needed` limited by `cap` (stage 1 alone when nothing is needed).
    pub planned: u32,
    /// Rounds that ran and were kept (stage 1 and stage 2).
    pub ran: u32,
    /// Why `ran` is what it is.
    pub reason: PlanReason,
}

impl RoundPlan {
    /// The plan for a row whose stage 1 gave `means` (in percent terms `target_pct`).
    pub fn new(means: &[f64], target_pct: f64) -> RoundPlan {
        let stage1 = means.len() as u32;
        let cap = stage1.saturating_mul(CAP_FACTOR).max(stage1);
        let needed = rounds_needed(means, target_pct);
        let stage1_mde_pct = {
            let (mean, sd) = mean_sd(means);
            super::rounds::mde_pct(mean, sd, means.len())
        };
        RoundPlan {
            stage1,
            target_mde_pct: target_pct,
            stage1_mde_pct,
            needed,
            cap,
            planned: needed.map_or(stage1, |n| n.min(cap)),
            ran: stage1,
            reason: if needed.is_some() {
                PlanReason::MetTarget
            } else {
                PlanReason::NoEstimate
            },
        }
    }

    /// Stage-2 rounds the plan asks for.
    pub fn extra(&self) -> u32 {
        self.planned - self.stage1
    }

    /// Records how many rounds ran in the end (`stopped`: why it ended short, if it did) and
    /// sets the reason from it.
    pub fn close(&mut self, ran: u32, stopped: Option<PlanReason>) {
        self.ran = ran;
        self.reason = match (self.needed, stopped) {
            (None, _) => PlanReason::NoEstimate,
            (Some(_), Some(why)) if ran < self.planned => why,
            (Some(n), _) if n > self.cap => PlanReason::Capped,
            (Some(_), _) if self.planned > self.stage1 => PlanReason::Extended,
            _ => PlanReason::MetTarget,
        };
    }

    /// The rounds in a table cell: "3" (no stage 2), "3+3", "3+6 (cap; 21 needed)",
    /// "3+2 of 3+6 (budget)", "3+1 of 3+6 (interrupted)".
    pub fn short(&self) -> String {
        let stage2 = self.ran.saturating_sub(self.stage1);
        match self.reason {
            PlanReason::MetTarget | PlanReason::NoEstimate => self.ran.to_string(),
            PlanReason::Extended => format!("{}+{stage2}", self.stage1),
            PlanReason::Capped => format!("{}+{stage2} (cap; {} needed)", self.stage1, self.needed.unwrap_or(0)),
            PlanReason::Budget | PlanReason::Interrupted => format!(
                "{}+{stage2} of {}+{} ({})",
                self.stage1,
                self.stage1,
                self.extra(),
                if self.reason == PlanReason::Budget {
                    "budget"
                } else {
                    "interrupted"
                }
            ),
        }
    }

    /// "3+3 rounds (stage-1 MDE 8.1% > 5% target)" and the like, for compare and the report.
    pub fn describe(&self) -> String {
        let stage2 = self.ran.saturating_sub(self.stage1);
        let mde = self.stage1_mde_pct.map_or("?".to_string(), |m| format!("{m:.1}%"));
        let target = format!("{:.0}%", self.target_mde_pct);
        match self.reason {
            PlanReason::MetTarget => format!("{} rounds (stage-1 MDE {mde} ≤ {target} target)", self.ran),
            PlanReason::NoEstimate => format!("{} rounds (no spread to plan from)", self.ran),
            PlanReason::Extended => format!("{}+{stage2} rounds (stage-1 MDE {mde} > {target} target)", self.stage1),
            PlanReason::Capped => format!(
                "{}+{stage2} rounds (capped at {}; {} needed for {target})",
                self.stage1,
                self.cap,
                self.needed.unwrap_or(0)
            ),
            PlanReason::Budget => format!(
                "{}+{stage2} of {} planned rounds (stage-2 time budget spent)",
                self.stage1, self.planned
            ),
            PlanReason::Interrupted => format!(
                "{}+{stage2} of {} planned rounds (interrupted)",
                self.stage1, self.planned
            ),
        }
    }
}

/// The stage-2 time budget of a scenario: a share of what its stage 1 took, so the suite's
/// length grows by at most that share whatever the noise.
pub fn budget(stage1: std::time::Duration, share: f64) -> std::time::Duration {
    stage1.mul_f64(share.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three rounds with a planted relative spread `cv` (mean 100, sd = 100·cv exactly).
    fn planted(cv: f64) -> Vec<f64> {
        vec![100.0 - 100.0 * cv, 100.0, 100.0 + 100.0 * cv]
    }

    #[test]
    fn stage_two_rounds_are_what_the_formula_says() {
        // df 2: t(0.975) = 4.303, t(0.80) = 1.061; n = 2·(5.364·cv/0.05)².
        for (cv, expect) in [(0.01, 3), (0.02, 10), (0.03, 21)] {
            let t: f64 = 4.302_653 + 1.060_660;
            let by_hand = (2.0 * (t * cv / 0.05_f64).powi(2)).ceil().max(3.0) as u32;
            assert_eq!(by_hand, expect, "cv {cv}");
            assert_eq!(rounds_needed(&planted(cv), 5.0), Some(expect), "cv {cv}");
        }
        // A 10% target needs a quarter of the rounds (n ∝ 1/δ²).
        assert_eq!(rounds_needed(&planted(0.04), 10.0), Some(10));
    }

    #[test]
    fn a_quiet_row_gets_no_stage_two() {
        let mut p = RoundPlan::new(&[1000.0, 1000.5, 999.8], 5.0);
        assert_eq!(p.extra(), 0);
        p.close(3, None);
        assert_eq!(p.reason, PlanReason::MetTarget);
        let none = RoundPlan::new(&[1000.0, 1000.0, 1000.0], 5.0);
        assert_eq!((none.needed, none.extra()), (Some(3), 0));
        // Nothing to plan from: one round, or no positive value.
        assert_eq!(RoundPlan::new(&[1000.0], 5.0).reason, PlanReason::NoEstimate);
        assert_eq!(rounds_needed(&[0.0, 0.0], 5.0), None);
    }

    #[test]
    fn the_cap_and_the_reasons_hold() {
        // cv 3% needs 21 rounds; the cap is 9.
        let mut p = RoundPlan::new(&planted(0.03), 5.0);
        assert_eq!((p.needed, p.cap, p.planned, p.extra()), (Some(21), 9, 9, 6));
        p.close(9, None);
        assert_eq!(p.reason, PlanReason::Capped);
        assert!(
            p.describe().starts_with("3+6 rounds (capped at 9; 21 needed"),
            "{}",
            p.describe()
        );
        // The budget stops it at 5.
        p.close(5, Some(PlanReason::Budget));
        assert_eq!(p.reason, PlanReason::Budget);
        assert_eq!(p.short(), "3+2 of 3+6 (budget)");
        // cv 2% needs 10 with the 5% target, 3 with the 10% one.
        let mut q = RoundPlan::new(&planted(0.02), 5.0);
        assert_eq!(q.planned, 9);
        let mut r = RoundPlan::new(&planted(0.012), 5.0);
        assert_eq!((r.needed, r.planned), (Some(4), 4));
        r.close(4, None);
        assert_eq!(r.reason, PlanReason::Extended);
        q.close(9, Some(PlanReason::Interrupted));
        assert_eq!(q.reason, PlanReason::Capped, "ran everything planned: not cut short");
        assert_eq!(RoundPlan::new(&planted(0.02), 10.0).extra(), 0);
    }

    #[test]
    fn a_row_that_ran_its_plan_meets_the_target_with_an_unchanged_spread() {
        for cv in [0.012, 0.015, 0.02] {
            let n = rounds_needed(&planted(cv), 5.0).unwrap() as usize;
            let mde = crate::stats::rounds::mde_pct(100.0, 100.0 * cv, n).unwrap();
            assert!(mde <= 5.0, "cv {cv}: {n} rounds give MDE {mde}");
        }
    }

    #[test]
    fn budget_is_a_share_of_stage_one() {
        let b = budget(std::time::Duration::from_secs(100), 0.4);
        assert_eq!(b, std::time::Duration::from_secs(40));
        assert_eq!(
            budget(std::time::Duration::from_secs(100), -1.0),
            std::time::Duration::ZERO
        );
    }
}
