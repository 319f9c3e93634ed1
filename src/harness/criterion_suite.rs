//! The criterion suite: one criterion group per scenario × variant, the
//! runtimes as the functions compared, timed through `iter_custom`. The same
//! batches feed the HDR recorders, so one `cargo bench` yields criterion's
//! statistics and the HDR tails from identical samples.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, SamplingMode};

use super::Session;
use super::interrupt;
use super::session::stage_two::{Budget, StageTwo};
use super::watchdog::{self, Guarded};
use crate::results::CriterionEstimate;
use crate::scenario::{CaseSpec, ScenarioDef};
use crate::stats::two_stage::{self, RoundPlan};

mod filter;
pub use filter::Filter;

/// How the bench binary was invoked (criterion reads the same flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteMode {
    /// `cargo bench`: full measurement.
    Bench,
    /// `cargo bench -- --quick`.
    Quick,
    /// `cargo test` (no `--bench` flag) or `--test`: each case runs once.
    Test,
    /// `--list` or `--profile-time`: nothing is recorded.
    Other,
}

impl SuiteMode {
    /// Mirrors criterion's own rule: `--bench` without `--test` measures.
    pub fn from_args(args: &[String]) -> SuiteMode {
        let has = |f: &str| args.iter().any(|a| a == f);
        if has("--list") || args.iter().any(|a| a.starts_with("--profile-time")) {
            SuiteMode::Other
        } else if !has("--bench") || has("--test") {
            SuiteMode::Test
        } else if has("--quick") {
            SuiteMode::Quick
        } else {
            SuiteMode::Bench
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SuiteMode::Bench => "criterion",
            SuiteMode::Quick => "criterion-quick",
            SuiteMode::Test => "test",
            SuiteMode::Other => "other",
        }
    }
}

/// One case inside criterion's closure.
struct Slot<'a> {
    guarded: Guarded,
    case: &'a CaseSpec,
    progress: &'a super::progress::Progress,
    label: String,
    first_call: Option<Instant>,
    warm_up: Duration,
    /// Quick mode: the first call (one cold batch: connections not yet
    /// pooled, caches cold) is criterion's only warm-up, so it is not recorded.
    skip_first_call: bool,
    /// Added to the watchdog's limit: criterion's own time budget per call.
    budget: Duration,
    /// Ctrl-C came while this round ran: it is dropped, earlier rounds kept.
    stopped: bool,
    /// Calls whose batches were recorded.
    recorded: u64,
}

impl Slot<'_> {
    /// criterion warms up by calling the routine until `warm_up_time` has
    /// passed, then measures; a call that starts after that instant belongs
    /// to the measurement, so only those calls feed the HDR recorders.
    fn run(&mut self, iters: u64) -> Duration {
        let now = Instant::now();
        let first = *self.first_call.get_or_insert_with(|| {
            // Announced on the first call: a case filtered out never gets one.
            self.progress.start(&self.label);
            now
        });
        // Ctrl-C: criterion gets token durations so it ends the benchmark quickly.
        if interrupt::interrupted() {
            self.stopped = true;
            return Duration::from_nanos(iters.max(1));
        }
        let first_of_all = now == first;
        let record = now.duration_since(first) >= self.warm_up && !(self.skip_first_call && first_of_all);
        let limit = watchdog::limit(self.case, iters, self.budget);
        self.recorded += u64::from(record);
        // A failed case hands criterion a token duration so it moves on
        // quickly; the case is reported as failed, never with these times.
        self.guarded
            .run(iters, record, limit)
            .unwrap_or(Duration::from_nanos(iters.max(1)))
    }
}

/// criterion's output directory, as criterion itself resolves it.
fn criterion_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(h);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// criterion's estimate for one benchmark, if it wrote one during this case
/// (an older file from a previous run is never reported as this run's).
fn read_estimate(group: &str, function: &str, since: SystemTime) -> Option<CriterionEstimate> {
    let safe = |s: &str| s.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
    let path = criterion_home()
        .join(safe(group))
        .join(safe(function))
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if modified < since {
        return None;
    }
    CriterionEstimate::read(&path).ok()
}

/// Rounds each case of `s` gets in this mode: test mode and quick mode run
/// two (enough to exercise the interleaving, fast enough for their budget).
pub fn rounds(session: &Session, s: &dyn ScenarioDef, mode: SuiteMode) -> u32 {
    rounds_in(session.rounds_for(s.header().rounds), mode)
}

/// `r` rounds as `mode` runs them.
pub fn rounds_in(r: u32, mode: SuiteMode) -> u32 {
    match mode {
        SuiteMode::Bench => r,
        _ => r.min(2),
    }
}

/// The group and function of a case's round as criterion names them: the benchmark id is
/// `<group>/<function>`, what criterion's filter matches.
fn bench_id(scenario: &str, case: &CaseSpec, round: u32, rounds: u32) -> (String, String) {
    let group = format!("{scenario}/{}", case.variant);
    let id = if rounds > 1 {
        format!("{}/r{}", case.flavor, round + 1)
    } else {
        case.flavor.name().to_string()
    };
    (group, id)
}

/// Rounds the suite will run before any stage 2: every case's stage-1 rounds that `filter`
/// leaves (`rounds`: the `ASYNCBENCH_ROUNDS` override).
pub fn planned_rounds(
    scenarios: &[Box<dyn ScenarioDef>],
    rounds: Option<u32>,
    mode: SuiteMode,
    filter: &Filter,
) -> u64 {
    let mut total = 0;
    for s in scenarios {
        let name = &s.header().name;
        let r = rounds_in(rounds.unwrap_or(s.header().rounds).max(1), mode);
        for case in s.cases() {
            total += (0..r)
                .filter(|&k| {
                    let (g, id) = bench_id(name, &case, k, r);
                    filter.matches(&format!("{g}/{id}"))
                })
                .count() as u64;
        }
    }
    total
}

/// One round of one case, as the loops below run it.
struct Round<'a> {
    scenario: &'a dyn ScenarioDef,
    case: &'a CaseSpec,
    /// 0-based round number and the case's position in that round's order.
    round: u32,
    position: u32,
    /// Stage-1 rounds: each round measures 1/`rounds` of the file's measurement time.
    rounds: u32,
}

/// What a round came to.
enum Ran {
    /// Not run: the filter dropped it or the case had failed before.
    No,
    /// Run (recorded, or failed), taking this long.
    Yes(Duration),
}

fn run_round(c: &mut Criterion, session: &mut Session, mode: SuiteMode, filter: &Filter, r: Round<'_>) -> Ran {
    let h = r.scenario.header();
    let (group_name, id) = bench_id(&h.name, r.case, r.round, r.rounds);
    // Dropped by the filter: counted nowhere, never built.
    if !filter.matches(&format!("{group_name}/{id}")) {
        return Ran::No;
    }
    if session.case_failed(r.case) {
        session.progress.skip_case();
        return Ran::No;
    }
    let started = Instant::now();
    // A round the host disturbed (`measure::host_rule`) is run again once; the rerun stands.
    // It gets a group of its own: criterion refuses a benchmark id twice within one group (the
    // rerun writes the same estimates file, so the round's criterion estimate is the rerun's).
    let mut did_run = false;
    for may_rerun in [mode == SuiteMode::Bench, false] {
        let mut g = c.benchmark_group(&group_name);
        // Batches take milliseconds to seconds: flat sampling keeps the
        // iteration count (and the run time) predictable.
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(h.criterion.sample_size)
            .measurement_time(Duration::from_secs_f64(
                h.criterion.measurement_secs / f64::from(r.rounds),
            ))
            .warm_up_time(Duration::from_secs_f64(h.criterion.warm_up_secs.max(0.001)));
        let ran = run_case(
            &mut g,
            r.scenario,
            r.case,
            session,
            mode,
            &group_name,
            &id,
            (r.position, r.rounds),
            may_rerun,
        );
        g.finish();
        match ran {
            Case::Rerun => {
                did_run = true;
                session.progress.add_rounds(1);
            }
            Case::Ran => {
                did_run = true;
                break;
            }
            Case::NotRun => break,
        }
        if interrupt::interrupted() {
            break;
        }
    }
    if did_run { Ran::Yes(started.elapsed()) } else { Ran::No }
}

/// Runs every case of `scenarios` under criterion and records them in
/// `session`: per scenario, R rounds, each a fresh runtime per case and the
/// cases (runtimes and variants) in a shuffled order of their own; then, under
/// `cargo bench`, stage 2 of the adaptive rounds (`stats::two_stage`) for the
/// rows whose MDE misses its target, within `budget`.
///
/// How rounds map onto criterion: every round of a case is its own
/// criterion benchmark, `<scenario>/<variant>/<runtime>/r<k>`, measured for
/// 1/R of the file's measurement time after its own warm-up, so criterion's
/// statistics, `--save-baseline` and `critcmp` work per round; asyncbench's
/// published value and interval come from the rounds together. A stage-2 round
/// is the same experiment (same measurement time) under the next `r<k>`.
pub fn run(
    c: &mut Criterion,
    scenarios: &[Box<dyn ScenarioDef>],
    session: &mut Session,
    mode: SuiteMode,
    filter: &Filter,
    budget: &mut Budget,
) -> anyhow::Result<()> {
    for s in scenarios {
        let h = s.header();
        let cases = s.cases();
        let r = rounds(session, s.as_ref(), mode);
        // The Python side runs only the variants a criterion filter left (all of them,
        // Python-only ones included, when it left the whole scenario).
        let mut ran: Vec<&str> = Vec::new();
        // What each case's rounds took, for stage 2's estimates.
        let mut took = vec![(Duration::ZERO, 0u32); cases.len()];
        let stage1 = Instant::now();
        super::cli_run::each_round_case(session, &h.name, r, &cases, |session, case, round, position| {
            let Some(idx) = cases.iter().position(|x| std::ptr::eq(x, case)) else {
                return;
            };
            let round = Round {
                scenario: s.as_ref(),
                case,
                round,
                position,
                rounds: r,
            };
            if let Ran::Yes(d) = run_round(c, session, mode, filter, round) {
                took[idx].0 += d;
                took[idx].1 += 1;
                if !ran.contains(&case.variant.as_str()) {
                    ran.push(&case.variant);
                }
            }
        });
        if mode == SuiteMode::Bench && r >= 2 && budget.enabled() && !interrupt::interrupted() {
            budget.earn(stage1.elapsed());
            stage_two(c, s.as_ref(), &cases, session, filter, budget, r, &took);
        }
        if !ran.is_empty() && !interrupt::interrupted() {
            let all = cases.iter().all(|c| ran.contains(&c.variant.as_str()));
            let only: Vec<String> = if all {
                Vec::new()
            } else {
                ran.iter().map(|v| v.to_string()).collect()
            };
            session.run_python(s.as_ref(), r, &only);
        }
        session.end_scenario(s.as_ref())?;
        if interrupt::interrupted() {
            // The caller ends the session ([`Session::stop`]) and reports what finished.
            return Err(super::Interrupted(session.run_path().to_path_buf()).into());
        }
    }
    Ok(())
}

/// Stage 2 of one scenario: plans every case that finished its `r` stage-1 rounds (Stein's
/// formula on their spread, toward its runtime's target), runs the extra rounds interleaved
/// round by round while `budget` has room, and records each row's plan.
#[allow(clippy::too_many_arguments)]
fn stage_two(
    c: &mut Criterion,
    s: &dyn ScenarioDef,
    cases: &[CaseSpec],
    session: &mut Session,
    filter: &Filter,
    budget: &mut Budget,
    r: u32,
    took: &[(Duration, u32)],
) {
    let name = s.header().name.clone();
    let mut plan = StageTwo::default();
    for (idx, case) in cases.iter().enumerate() {
        let Some(means) = session.round_means(case).filter(|m| m.len() == r as usize) else {
            continue;
        };
        let one_thread = case.flavor.as_async().is_some_and(|a| a.single_threaded());
        let p = RoundPlan::new(&means, two_stage::target_pct(one_thread));
        let (t, n) = took[idx];
        plan.add(idx, p, t / n.max(1));
    }
    let planned = plan.extra();
    session.progress.add_rounds(planned);
    let (started, left_at_start) = (Instant::now(), budget.left_secs());
    let mut extra = 0u32;
    'rounds: for k in plan.rounds() {
        for (position, idx) in plan.due(session.seed(), &name, k).into_iter().enumerate() {
            if interrupt::interrupted() {
                let dropped = plan.interrupt(k);
                session.progress.skip_rounds(u64::from(dropped));
                break 'rounds;
            }
            if let Err(dropped) = plan.admit(idx, k, budget) {
                session.progress.skip_rounds(u64::from(dropped));
                continue;
            }
            let round = Round {
                scenario: s,
                case: &cases[idx],
                round: k,
                position: position as u32,
                rounds: r,
            };
            if let Ran::Yes(d) = run_round(c, session, SuiteMode::Bench, filter, round) {
                budget.spend(d);
                extra += 1;
            }
        }
    }
    let kept: Vec<Option<u32>> = cases
        .iter()
        .map(|case| session.round_means(case).map(|m| m.len() as u32))
        .collect();
    let plans = plan.close(|i| kept[i]);
    let staged = plans.iter().filter(|(_, p)| p.planned > p.stage1).count();
    if staged > 0 {
        session.progress.line(&format!(
            "asyncbench: {name}: stage 2: {extra} of {} planned round(s) ran ({staged} of {} rows missed their MDE \
             target) in {:.1} s (budget {:.1} s)",
            planned,
            plans.len(),
            started.elapsed().as_secs_f64(),
            left_at_start.max(0.0)
        ));
    }
    for (idx, p) in plans {
        session.set_plan(s, &cases[idx], p);
    }
}

/// What [`run_case`] came to.
enum Case {
    /// Filtered out or a listing: nothing ran.
    NotRun,
    /// Ran: recorded, failed or interrupted.
    Ran,
    /// Ran, but the host disturbed it and it was not kept: run it again.
    Rerun,
}

#[allow(clippy::too_many_arguments)]
fn run_case(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    s: &dyn ScenarioDef,
    case: &CaseSpec,
    session: &mut Session,
    mode: SuiteMode,
    group_name: &str,
    id: &str,
    (position, rounds): (u32, u32),
    may_rerun: bool,
) -> Case {
    let label = format!("{group_name}/{id}");
    let crit = s.header().criterion;
    let budget = Duration::from_secs_f64(crit.measurement_secs / f64::from(rounds) + crit.warm_up_secs);
    let guarded = match session.prepare(s, case, watchdog::limit(case, 1, budget)) {
        Ok(g) => g,
        Err(e) => {
            session.fail(s, case, e);
            return Case::Ran;
        }
    };
    let warm_up = match mode {
        SuiteMode::Bench => Duration::from_secs_f64(s.header().criterion.warm_up_secs),
        // Test mode runs once; quick mode has no warm-up phase (it doubles
        // the iteration count from 1 until the estimate settles).
        _ => Duration::ZERO,
    };
    let skip_first_call = mode == SuiteMode::Quick;
    let since = SystemTime::now();
    let mut slot = Slot {
        guarded,
        case,
        progress: &session.progress,
        label,
        first_call: None,
        warm_up,
        skip_first_call,
        budget,
        stopped: false,
        recorded: 0,
    };
    g.bench_function(id, |b| b.iter_custom(|iters| slot.run(iters)));
    // Quick mode ends a case whose first (unrecorded, cold) call already used up criterion's
    // short budget — 10,000 OS threads, 100,000 tasks — with nothing recorded: one more batch,
    // outside criterion, so every case of a quick run has at least one.
    if mode == SuiteMode::Quick && slot.first_call.is_some() && slot.recorded == 0 {
        let limit = watchdog::limit(case, 1, budget);
        let _ = slot.guarded.run(1, true, limit);
    }
    let Slot {
        guarded,
        first_call,
        stopped,
        ..
    } = slot;
    if first_call.is_none() || mode == SuiteMode::Other {
        // Filtered out by the user's criterion filter, or a listing: it
        // leaves the count instead of counting as done.
        session.progress.skip_case();
        return Case::NotRun;
    }
    session.progress.finish_case();
    if stopped && guarded.failed.is_none() {
        let _ = guarded.finish();
        session.drop_interrupted(s, case);
        return Case::Ran;
    }
    if let Some(e) = guarded.failed.clone() {
        session.fail(s, case, e);
        return Case::Ran;
    }
    let estimate = match mode {
        SuiteMode::Bench | SuiteMode::Quick => read_estimate(group_name, id, since),
        _ => None,
    };
    session.round_measured();
    // Shuts the case's runtime down before the next case starts.
    match guarded.finish() {
        Some(rec) if may_rerun => {
            if session
                .record_round_or_rerun(s, case, rec, position, estimate)
                .is_some()
            {
                return Case::Rerun;
            }
        }
        Some(rec) => session.record_round(s, case, rec, position, estimate),
        None => session.fail(s, case, "the case did not shut down in time".into()),
    }
    Case::Ran
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The progress total under a filter counts the rounds of the cases it selects, from the
    /// real catalogue: `timeout` alone, one of its variants, one round, or nothing.
    #[test]
    fn planned_rounds_count_what_the_filter_selects() -> Result<(), Box<dyn std::error::Error>> {
        let all = crate::scenario::load_dir(&crate::scenario::default_dir())?;
        let timeout = all
            .iter()
            .find(|s| s.header().name == "timeout")
            .ok_or("timeout exists")?;
        let cases = timeout.cases();
        let r = timeout.header().rounds;
        let args = |a: &str| -> Vec<String> { ["suite", "--bench", a].iter().map(|s| s.to_string()).collect() };
        let total = |a: &str| -> Result<u64, String> {
            Ok(planned_rounds(
                &all,
                None,
                SuiteMode::Bench,
                &Filter::from_args(&args(a))?,
            ))
        };
        assert_eq!(total("^timeout/")?, cases.len() as u64 * u64::from(r));
        let variant = &cases[0].variant;
        let of_variant = cases.iter().filter(|c| &c.variant == variant).count() as u64;
        assert_eq!(total(&format!("^timeout/{variant}/"))?, of_variant * u64::from(r));
        assert_eq!(total(&format!("^timeout/{variant}/{}/r1$", cases[0].flavor))?, 1);
        assert_eq!(total("no-such-benchmark")?, 0);
        // No filter: every case's rounds; test mode runs two each.
        let everything: u64 = all
            .iter()
            .map(|s| s.cases().len() as u64 * u64::from(s.header().rounds.min(2)))
            .sum();
        assert_eq!(planned_rounds(&all, None, SuiteMode::Test, &Filter::All), everything);
        Ok(())
    }
}
