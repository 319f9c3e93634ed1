//! Stage 2 of `cargo bench`'s adaptive rounds (the design: `stats::two_stage`): which cases get
//! another round, in what order, and whether the time budget still has room for it. Stage-2
//! rounds interleave across cases as stage-1 ones do: round k runs every case that still needs
//! a k-th round, in the round's own shuffled order, before any case gets round k + 1, so each
//! noisy row gets its extra rounds at the same pace and the same moments of the machine.

use std::time::Duration;

use crate::stats::two_stage::{PlanReason, RoundPlan};

/// Stage 2's default share of stage 1's time, chosen for the suite's 15-minute budget on the
/// 2-core reference machine. At 0.4 two full runs took 16:53 and 17:48 (2026-12-02, with the
/// guide's Python rows), at 0.2 13:19 and 14:54. Since criterion's per-round bootstrap was cut
/// from 100,000 to 5,000 resamples (`harness::CRITERION_RESAMPLES`, about 0.1 s a round, a
/// tenth of a run's rounds' time), stage 1 is shorter and stage 2 gets the time it freed; since
/// the multi-thread rows of six scenarios moved to the full tier (`ASYNCBENCH_TIER=full`), stage
/// 1 is shorter again and stage 2 gets half of it.
/// 0.4 since five scenarios' stage 1 got longer (six rounds, more measurement each: their MDE is
/// set by measurement time per case) and task_memory's task rows twice as long: 0.5 would have
/// taken the suite past 15 minutes.
pub const DEFAULT_SHARE: f64 = 0.4;

/// The suite's stage-2 time: each scenario's stage 1 earns `share` of its own length, and what
/// a scenario leaves unspent carries over to the next, so a noisy scenario may use a quiet one's
/// share. Stage 2 as a whole never spends more than `share` × all of stage 1 plus, at most, the
/// overrun of the last round it admitted.
#[derive(Debug, Clone)]
pub struct Budget {
    share: f64,
    left_secs: f64,
}

impl Budget {
    pub fn new(share: f64) -> Budget {
        Budget {
            share: share.max(0.0),
            left_secs: 0.0,
        }
    }

    /// Whether stage 2 runs at all.
    pub fn enabled(&self) -> bool {
        self.share > 0.0
    }

    /// A scenario's stage 1 took `stage1`: its share joins the budget.
    pub fn earn(&mut self, stage1: Duration) {
        self.left_secs += crate::stats::two_stage::budget(stage1, self.share).as_secs_f64();
    }

    fn fits(&self, estimate: Duration) -> bool {
        estimate.as_secs_f64() <= self.left_secs
    }

    pub fn spend(&mut self, d: Duration) {
        self.left_secs -= d.as_secs_f64();
    }

    /// Seconds left (negative after an overrun).
    pub fn left_secs(&self) -> f64 {
        self.left_secs
    }
}

struct Row {
    idx: usize,
    plan: RoundPlan,
    /// What one of its rounds cost in stage 1 (mean), the estimate of a stage-2 round.
    per_round: Duration,
    /// Rounds admitted so far, stage 1 included.
    admitted: u32,
    stopped: Option<PlanReason>,
}

impl Row {
    /// For priority: the time its whole plan of Stein's n rounds would take, at its stage-1
    /// cost per round. The less time a row needs to reach its target, the sooner it gets it:
    /// between rows of equal cost that is the one that needs fewer rounds, and a cheap row
    /// that needs many rounds goes before an expensive one that needs a few. Counted in rounds
    /// alone, task_memory's `threads` row at 10,000 threads (about 10 s a round) took the
    /// budget before its current-thread rows (about 0.15 s a round), which kept their 3 rounds
    /// and a 15-80% MDE.
    fn need(&self) -> Duration {
        self.per_round * self.plan.needed.unwrap_or(self.plan.stage1)
    }

    /// What the rest of its plan would cost.
    fn owed(&self) -> Duration {
        if self.stopped.is_some() {
            return Duration::ZERO;
        }
        self.per_round * self.plan.planned.saturating_sub(self.admitted)
    }
}

/// One scenario's stage 2.
#[derive(Default)]
pub struct StageTwo {
    rows: Vec<Row>,
}

impl StageTwo {
    /// Plans case `idx` (index in the scenario's cases) from its stage-1 rounds.
    pub fn add(&mut self, idx: usize, plan: RoundPlan, per_round: Duration) {
        let plan_stage1 = plan.stage1;
        self.rows.push(Row {
            idx,
            plan,
            per_round,
            admitted: plan_stage1,
            stopped: None,
        });
    }

    /// Stage-2 rounds planned in all (for the progress total).
    pub fn extra(&self) -> u64 {
        self.rows.iter().map(|r| u64::from(r.plan.extra())).sum()
    }

    /// The rounds stage 2 goes through: from the end of stage 1 to the largest plan.
    pub fn rounds(&self) -> std::ops::Range<u32> {
        let start = self.rows.iter().map(|r| r.plan.stage1).min().unwrap_or(0);
        let end = self.rows.iter().map(|r| r.plan.planned).max().unwrap_or(0);
        start..end.max(start)
    }

    /// The cases (indices) that run round `k` (0-based), in its shuffled order.
    pub fn due(&self, seed: u64, scenario: &str, k: u32) -> Vec<usize> {
        let due: Vec<usize> = self
            .rows
            .iter()
            .filter(|r| r.stopped.is_none() && r.plan.stage1 <= k && k < r.plan.planned)
            .map(|r| r.idx)
            .collect();
        super::super::order::shuffled(seed, scenario, k, due.len())
            .into_iter()
            .map(|i| due[i])
            .collect()
    }

    /// Whether case `idx` may run its round `k` within `budget`; a refusal stops the case and
    /// returns how many of its planned rounds will not run. Rows nearer their target come
    /// first: a row is admitted only if the budget covers its round after the rest of every
    /// plan that needs less time than its own ([`Row::need`]), so a short budget completes the plans it can
    /// complete instead of spreading thin over rows that would miss their target anyway. The
    /// order of the round is unchanged (still the shuffle).
    pub fn admit(&mut self, idx: usize, k: u32, budget: &Budget) -> Result<(), u32> {
        let Some(at) = self.rows.iter().position(|r| r.idx == idx) else {
            return Ok(());
        };
        let need = self.rows[at].need();
        let ahead: Duration = self
            .rows
            .iter()
            .filter(|r| r.idx != idx && r.need() < need)
            .map(Row::owed)
            .sum();
        let row = &mut self.rows[at];
        if budget.fits(row.per_round + ahead) {
            row.admitted += 1;
            return Ok(());
        }
        row.stopped = Some(PlanReason::Budget);
        Err(row.plan.planned.saturating_sub(k))
    }

    /// Ctrl-C: every case still short of its plan stops; returns the rounds that will not run
    /// after round `k` (0-based, the one that was cut).
    pub fn interrupt(&mut self, k: u32) -> u32 {
        let mut dropped = 0;
        for r in self
            .rows
            .iter_mut()
            .filter(|r| r.stopped.is_none() && k < r.plan.planned)
        {
            r.stopped = Some(PlanReason::Interrupted);
            dropped += r.plan.planned - k;
        }
        dropped
    }

    /// Each planned case's plan, closed with the rounds it kept (`kept(idx)`).
    pub fn close(self, kept: impl Fn(usize) -> Option<u32>) -> Vec<(usize, RoundPlan)> {
        self.rows
            .into_iter()
            .filter_map(|mut r| {
                let ran = kept(r.idx)?;
                r.plan.close(ran, r.stopped);
                Some((r.idx, r.plan))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cv: f64, target: f64) -> RoundPlan {
        RoundPlan::new(&[100.0 - 100.0 * cv, 100.0, 100.0 + 100.0 * cv], target)
    }

    /// The driver's loop, without criterion: each admitted round costs `cost` of case `idx`.
    fn drive(st: &mut StageTwo, budget: &mut Budget, cost: impl Fn(usize) -> Duration) -> Vec<u32> {
        let mut ran = vec![3u32; 3];
        for k in st.rounds() {
            for idx in st.due(7, "s", k) {
                if st.admit(idx, k, budget).is_ok() {
                    budget.spend(cost(idx));
                    ran[idx] += 1;
                }
            }
        }
        ran
    }

    #[test]
    fn quiet_rows_get_none_noisy_ones_theirs_up_to_the_cap() {
        let mut st = StageTwo::default();
        st.add(0, plan(0.001, 5.0), Duration::from_secs(1)); // quiet
        st.add(1, plan(0.012, 5.0), Duration::from_secs(1)); // needs 4
        st.add(2, plan(0.05, 5.0), Duration::from_secs(1)); // needs 58, cap 9
        assert_eq!(st.extra(), 1 + 6);
        assert_eq!(st.rounds(), 3..9);
        let mut budget = Budget::new(1.0);
        budget.earn(Duration::from_secs(100));
        let ran = drive(&mut st, &mut budget, |_| Duration::from_secs(1));
        assert_eq!(ran, vec![3, 4, 9]);
        let plans = st.close(|i| Some(ran[i]));
        let reasons: Vec<PlanReason> = plans.iter().map(|(_, p)| p.reason).collect();
        assert_eq!(
            reasons,
            vec![PlanReason::MetTarget, PlanReason::Extended, PlanReason::Capped]
        );
    }

    #[test]
    fn the_budget_holds_and_is_shared_round_by_round() {
        let mut st = StageTwo::default();
        st.add(0, plan(0.05, 5.0), Duration::from_secs(2));
        st.add(1, plan(0.05, 5.0), Duration::from_secs(2));
        st.add(2, plan(0.001, 5.0), Duration::from_secs(2));
        // 0.5 × 20 s = 10 s: five rounds of 2 s, spread over both noisy rows in turn.
        let mut budget = Budget::new(0.5);
        budget.earn(Duration::from_secs(20));
        let ran = drive(&mut st, &mut budget, |_| Duration::from_secs(2));
        assert_eq!(ran[0] + ran[1], 6 + 5);
        assert!(ran[0].abs_diff(ran[1]) <= 1, "{ran:?}");
        assert!(budget.left_secs() >= 0.0);
        let plans = st.close(|i| Some(ran[i]));
        assert!(plans[..2].iter().all(|(_, p)| p.reason == PlanReason::Budget));
        // No share: stage 2 is off.
        assert!(!Budget::new(0.0).enabled());
    }

    /// A short budget completes the plan nearest its target before a far one gets rounds.
    #[test]
    fn the_budget_goes_first_to_the_rows_nearest_their_target() {
        let mut st = StageTwo::default();
        st.add(0, plan(0.05, 5.0), Duration::from_secs(1)); // needs 58: far
        st.add(1, plan(0.012, 5.0), Duration::from_secs(1)); // needs 4: near
        st.add(2, plan(0.016, 5.0), Duration::from_secs(1)); // needs 6
        let mut budget = Budget::new(1.0);
        budget.earn(Duration::from_secs(5));
        let ran = drive(&mut st, &mut budget, |_| Duration::from_secs(1));
        // 5 s: one round for row 1 and three for row 2 complete both; row 0 gets the last one.
        assert_eq!(ran, vec![4, 4, 6]);
        let plans = st.close(|i| Some(ran[i]));
        let reasons: Vec<PlanReason> = plans.iter().map(|(_, p)| p.reason).collect();
        assert_eq!(
            reasons,
            vec![PlanReason::Budget, PlanReason::Extended, PlanReason::Extended]
        );
    }

    /// Nearness is counted in time: a cheap row that needs many rounds goes before an
    /// expensive one that needs a few.
    #[test]
    fn the_budget_goes_first_to_the_rows_that_need_the_least_time() {
        let mut st = StageTwo::default();
        st.add(0, plan(0.016, 5.0), Duration::from_secs(10)); // needs 6 rounds of 10 s: 60 s
        st.add(1, plan(0.05, 5.0), Duration::from_millis(100)); // needs 58 rounds of 0.1 s: 5.8 s
        let mut budget = Budget::new(1.0);
        budget.earn(Duration::from_secs(12));
        let ran = drive(&mut st, &mut budget, |i| {
            [Duration::from_secs(10), Duration::from_millis(100)][i]
        });
        // 12 s: the cheap row's six rounds (its cap, 0.6 s), then one 10 s round of the other.
        assert_eq!(ran[1], 9);
        assert_eq!(ran[0], 4);
        assert!(budget.left_secs() >= 0.0, "{}", budget.left_secs());
    }

    #[test]
    fn an_interrupt_stops_every_unfinished_plan() {
        let mut st = StageTwo::default();
        st.add(0, plan(0.05, 5.0), Duration::from_secs(1));
        st.add(1, plan(0.001, 5.0), Duration::from_secs(1));
        assert_eq!(st.interrupt(4), 5);
        let plans = st.close(|i| Some([4, 3][i]));
        assert_eq!(plans[0].1.reason, PlanReason::Interrupted);
        assert_eq!(plans[1].1.reason, PlanReason::MetTarget);
    }
}
