//! `asyncbench compare A B`: per scenario × variant × runtime × metric, what changed from run A
//! to run B and whether the change is real.
//!
//! Rows measured in rounds (every run since rounds exist) are judged at the level of rounds:
//! Welch's t-test on the two runs' round figures (the case's value — mean batch time per round —
//! on primary rows, the metric's median per round on the others). The p-values are adjusted per
//! family — one scenario's case values (what `--fail-on-regression` reads), or one scenario's
//! other metrics — by Benjamini–Hochberg, then multiplied by the number of such families
//! (Bonferroni), see `crate::stats::fdr` for why. A row recorded in one round only has no honest
//! between-run test and is inconclusive, never a regression.
//!
//! Rows of older runs without rounds fall back to Welch on per-batch wall times or the
//! Mann–Whitney U test on the `.hlog` samples (`crate::stats::significance`), labelled
//! batch-level (optimistic). The verdicts are in [`Verdict`].

mod judge;
pub mod noise;
pub mod output;
pub mod plant;
pub mod simulate;

pub use judge::{HOST_MOVED_PCT, STOLEN_PCT, rounds_to_decide};
use judge::{has_rounds, judge, measure};

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use hdrhistogram::Histogram;

use crate::measure::ErrorCounts;
use crate::report::data::PRIMARY_METRIC;
use crate::report::data::RunData;
use crate::results::{CaseResult, ResultsError, read_hlog};
use crate::stats::{self, TestResult, fdr};

/// Thresholds of the judgement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOpts {
    /// A slowdown smaller than this (percent) is never a regression, however significant.
    pub threshold_pct: f64,
    /// Significance level of each test.
    pub alpha: f64,
}

impl Default for CompareOpts {
    fn default() -> Self {
        CompareOpts {
            threshold_pct: 5.0,
            alpha: 0.05,
        }
    }
}

/// A row's verdict, in the words the table prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Slower by more than the gate's threshold, significant after adjustment (or errors where
    /// A had none). What `--fail-on-regression` fails on (primary rows).
    Regression,
    /// Faster by more than the threshold, significant.
    Improvement,
    /// Significantly slower, by less than the threshold: real, but under the gate.
    SlowerBelowGate,
    /// Significantly faster, by less than the threshold.
    FasterBelowGate,
    /// Not significant although larger than the row's minimum detectable effect, or no test was
    /// possible (one round): more rounds would decide it.
    Inconclusive,
    /// Not significant and smaller than the row's minimum detectable effect (rows without
    /// rounds: not significant and within the threshold).
    WithinNoise,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Regression,
        Verdict::Improvement,
        Verdict::SlowerBelowGate,
        Verdict::FasterBelowGate,
        Verdict::Inconclusive,
        Verdict::WithinNoise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regression => "REGRESSION",
            Verdict::Improvement => "improvement",
            Verdict::SlowerBelowGate => "slower, below the gate",
            Verdict::FasterBelowGate => "faster, below the gate",
            Verdict::Inconclusive => "inconclusive",
            Verdict::WithinNoise => "within noise",
        }
    }

    /// A significant change (either way, past the gate or not).
    pub fn significant(self) -> bool {
        matches!(
            self,
            Verdict::Regression | Verdict::Improvement | Verdict::SlowerBelowGate | Verdict::FasterBelowGate
        )
    }
}

/// A figure in A and in B.
pub type Pair = (Option<f64>, Option<f64>);

/// Relative change from a to b in percent.
pub fn change_pct((a, b): Pair) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && a.is_finite() && b.is_finite() => Some(100.0 * (b - a) / a),
        _ => None,
    }
}

/// One shared row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChange {
    pub scenario: String,
    pub variant: String,
    pub runtime: String,
    pub metric: String,
    /// The figure the verdict tested: the value's definition over rounds ("batch mean over
    /// rounds", "p99 from intended send over rounds"), "<metric> median"
    /// (its median per round, over rounds), "batch mean" / "<metric> p50" (runs without rounds),
    /// "…, 1 round" (untestable).
    pub tested: String,
    /// The tested figure's change from A to B, percent.
    pub change_pct: Option<f64>,
    /// Mean batch wall time (ns); only on primary rows.
    pub wall: Pair,
    pub wall_test: Option<TestResult>,
    pub p50: Pair,
    pub p99: Pair,
    /// Mann–Whitney U over every recorded sample.
    pub dist_test: Option<TestResult>,
    /// The rounds' figure in A and B (mean over rounds), where both runs have rounds.
    pub rounds: Pair,
    /// Rounds of the row in A and in B (0: the run has no rounds).
    pub round_counts: (u32, u32),
    /// Welch on the round figures: raw p-value.
    pub rounds_p: Option<f64>,
    /// The p-value the verdict used: Benjamini–Hochberg within its scenario's family, times the
    /// number of families (Bonferroni).
    pub p_adjusted: Option<f64>,
    /// The smallest change this pair of runs could detect on this row (percent, α 5%, power 80%).
    pub mde_pct: Option<f64>,
    /// Inconclusive rows: the rounds per run at which the measured change would be detectable.
    pub rounds_to_decide: Option<u32>,
    pub errors: (u64, u64),
    /// The same failures by kind (empty for summaries written before kinds were counted).
    pub errors_by_kind: (ErrorCounts, ErrorCounts),
    /// What the case cost per operation in A and in B (primary rows). Shown, not judged: cost is
    /// one total over each run's recorded batches, with no per-round spread to test against.
    pub cost: (Option<crate::measure::Cost>, Option<crate::measure::Cost>),
    pub verdict: Verdict,
    pub reason: String,
}

/// The comparison of two runs.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub a: RunData,
    pub b: RunData,
    pub opts: CompareOpts,
    pub rows: Vec<RowChange>,
    /// Cases (or whole scenarios) only one run has.
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
    /// Environment differences that may explain a change ("rustc: x → y").
    pub env_diffs: Vec<String>,
    /// How much slower B's rounds read the host probe than A's, percent: the median probe over
    /// every primary row's rounds of each run. `None` where either run has no probe.
    pub host_shift_pct: Option<f64>,
}

impl Comparison {
    pub fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }
}

type Key = (String, String, String, String);

fn key(r: &CaseResult) -> Key {
    (
        r.scenario.clone(),
        r.variant.clone(),
        r.runtime.clone(),
        r.metric.clone(),
    )
}

/// Loads both runs (failing, with the file named, on anything missing or corrupt) and compares
/// every row they share.
pub fn compare(a_dir: &Path, b_dir: &Path, opts: CompareOpts) -> Result<Comparison, ResultsError> {
    let a = RunData::load_summary(a_dir)?;
    let b = RunData::load_summary(b_dir)?;
    let mut pairs = Vec::new();
    for ra in &a.summary.results {
        let Some(rb) = b.summary.results.iter().find(|rb| key(rb) == key(ra)) else {
            continue;
        };
        // Samples only where rounds cannot decide (runs made before rounds existed).
        let dist_test = if has_rounds(ra) && has_rounds(rb) {
            None
        } else {
            match (samples(&a, ra)?, samples(&b, rb)?) {
                (Some(sa), Some(sb)) => stats::mann_whitney(&sa, &sb),
                _ => None,
            }
        };
        pairs.push((ra, rb, dist_test));
    }
    let rows = compare_rows(pairs, opts, &scenario_gates(&[&a.summary, &b.summary]));
    let (only_a, only_b) = (only_in(&a, &b), only_in(&b, &a));
    let env_diffs = env_diffs(&a, &b);
    let host_shift_pct = host_shift(&a, &b);
    Ok(Comparison {
        a,
        b,
        opts,
        rows,
        only_a,
        only_b,
        env_diffs,
        host_shift_pct,
    })
}

/// The run-level host probe shift ([`Comparison::host_shift_pct`]).
fn host_shift(a: &RunData, b: &RunData) -> Option<f64> {
    let median = |run: &RunData| {
        let probes = run
            .summary
            .results
            .iter()
            .filter(|r| r.metric == PRIMARY_METRIC)
            .flat_map(|r| {
                r.rounds
                    .iter()
                    .flat_map(|s| s.rounds.iter().filter_map(|x| x.host_probe_ns))
            });
        stats::sample::median(probes)
    };
    let (ma, mb) = (median(a)?, median(b)?);
    (ma > 0.0).then(|| (mb / ma - 1.0) * 100.0)
}

/// Scenario → its own regression gate (`gate_pct` of its file), the larger where the runs
/// differ: a scenario whose runs drift more from run to run than their rounds show is gated at
/// the drift its file states, not at the global threshold.
pub fn scenario_gates(runs: &[&crate::results::Summary]) -> Gates {
    let mut out = Gates::new();
    for s in runs {
        for (name, info) in &s.scenarios {
            if let Some(g) = info.gate_pct {
                let e = out.entry(name.clone()).or_insert(g);
                *e = e.max(g);
            }
        }
    }
    out
}

/// Scenario → its own gate, percent ([`scenario_gates`]).
pub type Gates = std::collections::BTreeMap<String, f64>;

/// The gate of a row of `scenario`: the larger of `--threshold` and the scenario's own.
pub fn gate_of(opts: CompareOpts, gates: &Gates, scenario: &str) -> f64 {
    gates
        .get(scenario)
        .map_or(opts.threshold_pct, |g| g.max(opts.threshold_pct))
}

/// The verdicts of matched rows (A's, B's, and their sample-level test where one was made).
pub(crate) fn compare_rows(
    pairs: Vec<(&CaseResult, &CaseResult, Option<TestResult>)>,
    opts: CompareOpts,
    gates: &Gates,
) -> Vec<RowChange> {
    let measured: Vec<judge::Measured> = pairs.into_iter().map(|(a, b, t)| measure(a, b, t)).collect();
    // One family per scenario and kind (its case values; its other metrics): BH inside, then
    // Bonferroni over the families of that kind (see `crate::stats::fdr` for why).
    let gated = |m: &judge::Measured| m.row.metric == PRIMARY_METRIC;
    let mut adjusted: Vec<Option<f64>> = vec![None; measured.len()];
    for kind in [true, false] {
        let mut families: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, m) in measured.iter().enumerate() {
            if gated(m) == kind && m.p.is_some() {
                families.entry(m.row.scenario.as_str()).or_default().push(i);
            }
        }
        let count = families.len() as f64;
        for members in families.values() {
            let ps: Vec<f64> = members.iter().filter_map(|&i| measured[i].p).collect();
            for (&i, adj) in members.iter().zip(fdr::benjamini_hochberg(&ps)) {
                adjusted[i] = Some((adj * count).min(1.0));
            }
        }
    }
    measured
        .into_iter()
        .zip(adjusted)
        .map(|(m, adj)| {
            let gate = gate_of(opts, gates, &m.row.scenario);
            judge(m, adj, gate, opts.alpha)
        })
        .collect()
}

/// Every recorded sample of a row as sorted (value, count) pairs, merged from its `.hlog`.
fn samples(run: &RunData, r: &CaseResult) -> Result<Option<Vec<(u64, u64)>>, ResultsError> {
    let Some(rel) = r.hlog.as_deref() else {
        return Ok(None);
    };
    let path = run.dir.join(rel);
    let corrupt = |msg: String| ResultsError::Corrupt {
        path: path.clone(),
        line: None,
        msg,
    };
    if !Path::new(rel)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Err(corrupt("histogram path leaves the run directory".into()));
    }
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        // Histograms are optional for compare (the reference run is committed without them):
        // the row then has no sample-level test.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ResultsError::Read {
                path: path.clone(),
                source,
            });
        }
    };
    let intervals = read_hlog(&bytes).map_err(corrupt)?;
    let mut total = Histogram::<u64>::new(3).map_err(|e| corrupt(e.to_string()))?;
    for (_, _, h) in &intervals {
        total
            .add(h)
            .map_err(|e| corrupt(format!("cannot merge intervals: {e:?}")))?;
    }
    let pairs: Vec<(u64, u64)> = total
        .iter_recorded()
        .map(|v| (total.highest_equivalent(v.value_iterated_to()), v.count_at_value()))
        .collect();
    Ok((!pairs.is_empty()).then_some(pairs))
}

pub(crate) fn signed(c: f64) -> String {
    crate::report::format::change_pct(c)
}

/// What `x` has that `y` lacks: whole scenarios, whole runtimes of a scenario, then single
/// cases, so a run with fewer runtimes yields one line per runtime rather than dozens.
fn only_in(x: &RunData, y: &RunData) -> Vec<String> {
    let y_keys: BTreeSet<Key> = y.summary.results.iter().map(key).collect();
    let mut out = Vec::new();
    for s in x.scenarios() {
        if !y.summary.results.iter().any(|r| r.scenario == s) {
            out.push(format!("scenario {s}"));
            continue;
        }
        for rt in x.runtimes() {
            let rows: Vec<&CaseResult> = x
                .summary
                .results
                .iter()
                .filter(|r| r.scenario == s && r.runtime == rt)
                .collect();
            if rows.is_empty() {
                continue;
            }
            if !y.summary.results.iter().any(|r| r.scenario == s && r.runtime == rt) {
                out.push(format!("{s} on {rt} (every variant)"));
                continue;
            }
            for r in rows.into_iter().filter(|r| !y_keys.contains(&key(r))) {
                out.push(format!("{} / {} / {} [{}]", r.scenario, r.variant, r.runtime, r.metric));
            }
        }
    }
    out
}

/// Environment facts that differ between the runs.
fn env_diffs(a: &RunData, b: &RunData) -> Vec<String> {
    let (ea, eb) = (&a.summary.env, &b.summary.env);
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let mut facts = vec![
        ("CPU", ea.cpu_model.clone(), eb.cpu_model.clone()),
        ("cores", ea.logical_cores.to_string(), eb.logical_cores.to_string()),
        ("kernel", ea.kernel.clone(), eb.kernel.clone()),
        ("rustc", ea.rustc.clone(), eb.rustc.clone()),
        ("profile", ea.profile.clone(), eb.profile.clone()),
        ("mode", a.summary.run.mode.to_string(), b.summary.run.mode.to_string()),
        ("git commit", opt(&ea.git_commit), opt(&eb.git_commit)),
    ];
    let names: BTreeSet<&String> = ea.crates.keys().chain(eb.crates.keys()).collect();
    for n in names {
        let get = |m: &std::collections::BTreeMap<String, String>| m.get(n).cloned().unwrap_or_else(|| "—".into());
        facts.push((
            "crate",
            format!("{n} {}", get(&ea.crates)),
            format!("{n} {}", get(&eb.crates)),
        ));
    }
    facts
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| format!("{what}: {x} → {y}"))
        .collect()
}
