//! Suspect numbers become warnings with something to do about them (as hyperfine's
//! `output/warnings.rs` does): a case with errors, too few batches, a wide confidence interval,
//! a failed case, and run-wide conditions (a loaded machine, server and runtimes sharing few
//! cores, a debug build, an interrupted run, uncommitted changes).

use crate::stats::rounds::Stability;
use std::fmt;

use crate::measure::ErrorCounts;
use crate::results::{CaseFailure, CaseResult, Summary};

/// Fewer batches than this and the confidence interval and tails mean little.
pub const MIN_BATCHES: u64 = 5;
/// A 95% CI half-width above this share of the mean (in %) is "wide".
pub const WIDE_CI_PCT: f64 = 10.0;
/// A 1-minute load average above this share of the cores means the run competed for CPU (read
/// only for runs that did not measure the other work directly).
pub const LOAD_PER_CORE: f64 = 0.5;
/// Other processes busy on more than this percent of the machine's CPU time at the start
/// (`env.other_busy_pct`) means the run competed for CPU.
pub const OTHER_BUSY_PCT: f64 = 10.0;
/// With fewer cores, the in-process test server and a multi-thread runtime compete for them.
pub const SHARED_CORES_BELOW: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// The run was interrupted: some scenarios are missing.
    PartialRun,
    /// Built without optimisations.
    DebugBuild { profile: String },
    /// Uncommitted changes: the git commit does not describe the code measured.
    DirtyTree,
    /// The machine was busy when the run started, by the load average (runs without
    /// `other_busy_pct`).
    MachineLoad { load: f64, cores: usize },
    /// Other processes kept this share of the machine's CPU busy when the run started.
    MachineBusy { pct: f64, cores: usize },
    /// The test server and the runtimes under test share few cores.
    SharedCores { cores: usize },
    /// A case could not run at all.
    CaseFailed { case: String, error: String },
    /// Some operations of a case failed.
    Errors {
        case: String,
        errors: u64,
        by_kind: ErrorCounts,
        samples: u64,
    },
    /// Too few batches for a meaningful CI.
    FewBatches { case: String, batches: u64 },
    /// The confidence interval is wide relative to the mean.
    WideCi { case: String, half_width_pct: f64 },
    /// The rounds disagree beyond their batches' spread (or fall into two groups).
    Unstable {
        case: String,
        bimodal: bool,
        low_ns: f64,
        high_ns: f64,
    },
    /// CPU placement was planned but not applied, or not possible.
    NoPlacement { note: String },
    /// A runtime allocates per operation where another runtime of the same variant does not
    /// (see `report::doc::cost::cost_warnings`).
    AllocatesPerOp {
        case: String,
        allocs_per_op: f64,
        best_runtime: String,
        best_allocs_per_op: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::PartialRun => write!(
                f,
                "The run did not finish (partial): scenarios after the interruption are missing. Re-run to \
                 complete it before citing it."
            ),
            Warning::DebugBuild { profile } => write!(
                f,
                "Built with the `{profile}` profile: unoptimised code distorts every figure. Use `cargo bench` \
                 or `cargo run --release -- run` for numbers to cite."
            ),
            Warning::DirtyTree => write!(
                f,
                "The work tree had uncommitted changes: the git commit alone does not reproduce this run. Commit \
                 first, then re-run."
            ),
            Warning::MachineLoad { load, cores } => write!(
                f,
                "The machine was busy when the run started (1-minute load {load:.2} on {cores} cores): other \
                 processes competed for CPU and inflate tails. Re-run on a quiet machine."
            ),
            Warning::MachineBusy { pct, cores } => write!(
                f,
                "The machine was busy when the run started: other processes used {pct:.0}% of its {cores} \
                 cores' CPU time: they competed for CPU and inflate tails. Re-run on a quiet machine."
            ),
            Warning::SharedCores { cores } => write!(
                f,
                "Only {cores} cores: the test server, the harness and multi-thread runtimes share them, so \
                 multi-thread figures include contention with the server. Compare runtimes on the same machine \
                 only; prefer 4 or more cores."
            ),
            Warning::CaseFailed { case, error } => {
                write!(
                    f,
                    "{case} failed and has no figures: {error}. Fix the cause and re-run it."
                )
            }
            Warning::Errors {
                case,
                errors,
                by_kind,
                samples,
            } => {
                write!(f, "{case}: {errors} operations failed (")?;
                if !by_kind.is_empty() {
                    write!(f, "{}; ", crate::report::format::errors(*errors, by_kind))?;
                }
                write!(
                    f,
                    "{samples} recorded). Its figures are not comparable with an error-free case: find the cause \
                     (timeouts, refused connections, server limits) before citing it."
                )
            }
            Warning::FewBatches { case, batches } => write!(
                f,
                "{case}: only {batches} batches; its confidence interval and tails are unreliable. Raise \
                 `sample_size` (cargo bench) or `--batches` (asyncbench run) to at least {MIN_BATCHES}."
            ),
            Warning::WideCi { case, half_width_pct } => write!(
                f,
                "{case}: the 95% confidence interval spans ±{half_width_pct:.0}% of the mean: batches varied a lot \
                 (noise, outliers, warm-up). Re-run on a quiet machine or raise `measurement_secs`."
            ),
            Warning::Unstable {
                case,
                bimodal,
                low_ns,
                high_ns,
            } => write!(
                f,
                "{case}: its rounds {} ({} … {}): do not cite one mean for it; cite the range, or find what \
                 differs between runtime instances (thread placement, a warm pool) and re-run with more rounds.",
                if *bimodal {
                    "fall into two separate groups"
                } else {
                    "disagree beyond their batches' spread"
                },
                crate::report::format::duration(*low_ns),
                crate::report::format::duration(*high_ns)
            ),
            Warning::NoPlacement { note } => write!(
                f,
                "CPU placement: {note}. The server's work may be charged to the runtimes under test."
            ),
            Warning::AllocatesPerOp {
                case,
                allocs_per_op,
                best_runtime,
                best_allocs_per_op,
            } => write!(
                f,
                "{case} allocates {} times per operation where {best_runtime} allocates {} times: its cost \
                 beside the latency is higher than the time alone shows. Check which layer allocates (task \
                 spawn, waker, buffer) before choosing it for a hot path.",
                crate::report::format::sig3(*allocs_per_op),
                crate::report::format::sig3(*best_allocs_per_op)
            ),
        }
    }
}

/// Conditions that concern the whole run.
pub fn run_warnings(s: &Summary) -> Vec<Warning> {
    let mut out = Vec::new();
    if s.run.partial {
        out.push(Warning::PartialRun);
    }
    if s.env.profile == "debug" || s.env.profile == "dev" {
        out.push(Warning::DebugBuild {
            profile: s.env.profile.clone(),
        });
    }
    if s.env.git_dirty == Some(true) {
        out.push(Warning::DirtyTree);
    }
    let cores = s.env.logical_cores;
    out.extend(machine_busy(&s.env));
    // About multi-thread runtimes sharing cores with the server: only where one ran.
    if cores > 0 && cores < SHARED_CORES_BELOW && s.results.iter().any(|r| multi_threaded(&r.runtime)) {
        out.push(Warning::SharedCores { cores });
    }
    if let Some(p) = &s.env.placement
        && !p.applied
    {
        out.push(Warning::NoPlacement { note: p.note.clone() });
    }
    out
}

/// Whether other work competed with the run: the other processes' measured CPU share where the
/// run recorded it, else (older runs) the 1-minute load average.
fn machine_busy(env: &crate::results::EnvInfo) -> Option<Warning> {
    let cores = env.logical_cores;
    match (env.other_busy_pct, env.load_avg_1m) {
        (Some(pct), _) => (pct > OTHER_BUSY_PCT).then_some(Warning::MachineBusy { pct, cores }),
        (None, Some(load)) if cores > 0 && load > LOAD_PER_CORE * cores as f64 => {
            Some(Warning::MachineLoad { load, cores })
        }
        (None, _) => None,
    }
}

/// "scenario / variant / runtime", as warnings name a case.
pub fn case_name(scenario: &str, variant: &str, runtime: &str) -> String {
    format!("{scenario} / {variant} / {runtime}")
}

/// Warnings about one case, from its primary row.
pub fn case_warnings(r: &CaseResult) -> Vec<Warning> {
    let case = case_name(&r.scenario, &r.variant, &r.runtime);
    let mut out = Vec::new();
    if let Some(x) = &r.rounds
        && matches!(x.stability, Stability::Unstable | Stability::Bimodal)
    {
        out.push(Warning::Unstable {
            case: case.clone(),
            bimodal: x.stability == Stability::Bimodal,
            low_ns: x.rounds.iter().map(|r| r.mean).fold(f64::INFINITY, f64::min),
            high_ns: x.rounds.iter().map(|r| r.mean).fold(f64::NEG_INFINITY, f64::max),
        });
    }
    if r.errors > 0 {
        out.push(Warning::Errors {
            case: case.clone(),
            errors: r.errors,
            by_kind: r.errors_by_kind.clone(),
            samples: r.samples,
        });
    }
    if let Some(w) = &r.wall_ns {
        if w.batches < MIN_BATCHES {
            out.push(Warning::FewBatches {
                case: case.clone(),
                batches: w.batches,
            });
        } else if w.mean > 0.0 {
            let half_width_pct = 100.0 * (w.ci95_high - w.ci95_low) / 2.0 / w.mean;
            if half_width_pct.is_finite() && half_width_pct > WIDE_CI_PCT {
                out.push(Warning::WideCi { case, half_width_pct });
            }
        }
    }
    out
}

/// A failed case as a warning.
pub fn failure_warning(f: &CaseFailure) -> Warning {
    Warning::CaseFailed {
        case: case_name(&f.scenario, &f.variant, &f.runtime),
        error: f.error.clone(),
    }
}

/// Whether `runtime` runs its tasks on several threads (a multi-thread runtime, async-std's
/// global executor, or a blocking baseline); the guide's Python runtimes are one thread.
pub fn multi_threaded(runtime: &str) -> bool {
    runtime
        .parse::<crate::runtime::Flavor>()
        .is_ok_and(|f| f.as_async().is_none_or(|a| !a.single_threaded()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::WallStats;

    fn row(errors: u64, batches: &[u64]) -> CaseResult {
        CaseResult {
            scenario: "s".into(),
            variant: "v".into(),
            runtime: "r".into(),
            metric: "latency".into(),
            samples: 100,
            errors,
            wall_ns: WallStats::from_samples(batches),
            ..CaseResult::default()
        }
    }

    /// A load average inflated by an earlier run's threads (238 on an idle 2-core machine)
    /// is not a busy machine when the run measured the other work; a spinning neighbour is.
    /// Runs without the measurement fall back to the load average.
    #[test]
    fn a_busy_machine_is_the_measured_other_work_not_the_load_average() {
        let env = |pct: Option<f64>, load: f64| crate::results::EnvInfo {
            logical_cores: 2,
            other_busy_pct: pct,
            load_avg_1m: Some(load),
            ..Default::default()
        };
        assert_eq!(machine_busy(&env(Some(1.5), 238.0)), None);
        let w = machine_busy(&env(Some(48.0), 0.2)).unwrap();
        assert_eq!(w, Warning::MachineBusy { pct: 48.0, cores: 2 });
        assert!(
            w.to_string()
                .contains("other processes used 48% of its 2 cores' CPU time"),
            "{w}"
        );
        assert!(matches!(
            machine_busy(&env(None, 3.0)),
            Some(Warning::MachineLoad { .. })
        ));
        assert_eq!(machine_busy(&env(None, 0.4)), None);
    }

    #[test]
    fn case_warnings_fire_on_suspect_numbers_only() {
        assert!(case_warnings(&row(0, &[100, 101, 99, 100, 100, 101])).is_empty());
        let mut failing = row(3, &[100, 100]);
        failing.errors_by_kind = [(crate::measure::ErrorKind::Timeout, 3)].into_iter().collect();
        let w = case_warnings(&failing);
        assert!(matches!(w[0], Warning::Errors { errors: 3, .. }));
        assert!(
            w[0].to_string()
                .contains("3 operations failed (3 timeout; 100 recorded)"),
            "{}",
            w[0]
        );
        assert!(matches!(w[1], Warning::FewBatches { batches: 2, .. }));
        let w = case_warnings(&row(0, &[10, 200, 10, 200, 10, 200]));
        assert!(matches!(w.as_slice(), [Warning::WideCi { .. }]), "{w:?}");
        assert!(w[0].to_string().contains("s / v / r"));
    }
}
