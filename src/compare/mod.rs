//! `asyncbench compare A B`: per scenario × variant × runtime × metric, what changed from run A
//! to run B and whether the change is real. The verdict rests on Welch's t-test of the per-batch
//! wall times (from each summary's mean, stddev and batch count) where a row has batch times,
//! and on a Mann–Whitney U test of the recorded samples (the `.hlog` histograms) for metrics
//! without their own batches; see `crate::stats::significance` for both tests and their
//! sources. A change is a regression when it is slower by more than the threshold *and*
//! significant at α, or when errors appear where there were none.

pub mod output;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use hdrhistogram::Histogram;

use crate::measure::ErrorCounts;
use crate::report::data::{PRIMARY_METRIC, RunData};
use crate::results::{CaseResult, ResultsError, read_hlog};
use crate::stats::{self, TestResult};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Regression,
    Improvement,
    /// Changed beyond the threshold but not significantly (or no test was possible).
    Inconclusive,
    Unchanged,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regression => "REGRESSION",
            Verdict::Improvement => "improvement",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unchanged => "unchanged",
        }
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
    /// Mean batch wall time (ns); only on primary rows.
    pub wall: Pair,
    pub wall_test: Option<TestResult>,
    pub p50: Pair,
    pub p99: Pair,
    /// Mann–Whitney U over every recorded sample.
    pub dist_test: Option<TestResult>,
    pub errors: (u64, u64),
    /// The same failures by kind (empty for summaries written before kinds were counted).
    pub errors_by_kind: (ErrorCounts, ErrorCounts),
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
    let a = RunData::load(a_dir)?;
    let b = RunData::load(b_dir)?;
    let mut rows = Vec::new();
    for ra in &a.summary.results {
        let Some(rb) = b.summary.results.iter().find(|rb| key(rb) == key(ra)) else {
            continue;
        };
        let dist_test = match (samples(&a, ra)?, samples(&b, rb)?) {
            (Some(sa), Some(sb)) => stats::mann_whitney(&sa, &sb),
            _ => None,
        };
        rows.push(judge(ra, rb, dist_test, opts));
    }
    let (only_a, only_b) = (only_in(&a, &b), only_in(&b, &a));
    let env_diffs = env_diffs(&a, &b);
    Ok(Comparison {
        a,
        b,
        opts,
        rows,
        only_a,
        only_b,
        env_diffs,
    })
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
    let bytes = fs::read(&path).map_err(|source| ResultsError::Read {
        path: path.clone(),
        source,
    })?;
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

fn judge(a: &CaseResult, b: &CaseResult, dist_test: Option<TestResult>, opts: CompareOpts) -> RowChange {
    let primary = a.metric == PRIMARY_METRIC;
    let (wa, wb) = if primary {
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
    // Batch times decide where they exist; otherwise the sample distribution (median).
    let (figure, change, test) = match wall_test {
        Some(t) => ("batch mean", change_pct(wall), Some(t)),
        None => ("p50", change_pct(p50), dist_test),
    };
    let (mut verdict, mut reason) = match (change, test) {
        (None, _) => (Verdict::Inconclusive, "no figure to compare".to_string()),
        (Some(c), None) if c.abs() > opts.threshold_pct => (
            Verdict::Inconclusive,
            format!(
                "{figure} {} but no test possible (fewer than 2 batches or no samples)",
                signed(c)
            ),
        ),
        (Some(_), None) => (Verdict::Unchanged, format!("{figure} within ±{}%", opts.threshold_pct)),
        (Some(c), Some(t)) => {
            let sig = t.p < opts.alpha;
            let what = format!(
                "{figure} {} ({}, {})",
                signed(c),
                t.name,
                crate::report::format::p_value(t.p)
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
                    format!("{what}: not significant; more batches would tell"),
                )
            } else {
                (Verdict::Unchanged, what)
            }
        }
    };
    if a.errors == 0 && b.errors > 0 {
        verdict = Verdict::Regression;
        let kinds = if b.errors_by_kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", crate::report::format::errors(b.errors, &b.errors_by_kind))
        };
        reason = format!("{} errors{kinds} where A had none; {reason}", b.errors);
    }
    RowChange {
        scenario: a.scenario.clone(),
        variant: a.variant.clone(),
        runtime: a.runtime.clone(),
        metric: a.metric.clone(),
        wall,
        wall_test,
        p50,
        p99,
        dist_test,
        errors: (a.errors, b.errors),
        errors_by_kind: (a.errors_by_kind.clone(), b.errors_by_kind.clone()),
        verdict,
        reason,
    }
}

fn signed(c: f64) -> String {
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
