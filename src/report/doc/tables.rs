//! The report's tables and the one-line answers built from them: the environment fingerprint,
//! one table per scenario × variant (runtime rows), tables for further metrics and scenario
//! figures, and "at a glance" lines naming the fastest and slowest runtime of each variant.

use std::collections::BTreeSet;

use super::model::Table;
use crate::report::data::RunData;
use crate::report::format::{self, NONE};
use crate::report::palette;
use crate::results::{CaseResult, Summary, figures};
use crate::stats::rounds::Stability;

fn table(header: &[&str], right: &[bool]) -> Table {
    Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        right: right.to_vec(),
        rows: Vec::new(),
    }
}

pub fn runtime_cell(r: &CaseResult) -> String {
    palette::style(&r.runtime, r.legacy).label
}

/// Machine, toolchain and versions: what a cited number depends on.
pub fn environment(s: &Summary) -> Table {
    let e = &s.env;
    let mut t = table(&["what", "value"], &[false, false]);
    let gib = e.memory_bytes as f64 / f64::from(1u32 << 30);
    let commit = match (&e.git_commit, e.git_dirty) {
        (Some(c), Some(true)) => format!("{c} (uncommitted changes)"),
        (Some(c), _) => c.clone(),
        (None, _) => NONE.to_string(),
    };
    let crates: Vec<String> = e.crates.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let rows = [
        (
            "machine",
            format!(
                "{} ({}), {} logical cores, {gib:.1} GiB",
                e.cpu_model, e.host, e.logical_cores
            ),
        ),
        ("system", format!("{} {} {}", e.os, e.arch, e.kernel)),
        (
            "other work at start",
            e.other_busy_pct.map_or(NONE.to_string(), |p| {
                format!("{p:.0}% of the machine's CPU time used by other processes")
            }),
        ),
        (
            "load at start",
            e.load_avg_1m
                .map_or(NONE.to_string(), |l| format!("{l:.2} (1-minute average)")),
        ),
        (
            "allocator",
            e.heap
                .clone()
                .unwrap_or_else(|| "the C library's defaults (thresholds not held)".to_string()),
        ),
        ("toolchain", format!("{}, profile {}", e.rustc, e.profile)),
        ("asyncbench", format!("{} at {commit}", e.asyncbench_version)),
        (
            "crates",
            if crates.is_empty() {
                NONE.to_string()
            } else {
                crates.join(", ")
            },
        ),
    ];
    t.rows = rows.into_iter().map(|(k, v)| vec![k.to_string(), v]).collect();
    if let Some(r) = &e.remote_server {
        let where_ = if r.loopback { "this host" } else { "another host" };
        let what = match (&r.fingerprint, &r.fingerprint_error) {
            (Some(f), _) => format!(
                "{} ({where_}): {} ({}), {} logical cores, {} {}, {} server thread(s), at {}",
                r.addr,
                f.env.cpu_model,
                f.env.host,
                f.env.logical_cores,
                f.env.os,
                f.env.kernel,
                f.threads,
                f.env.git_commit.as_deref().unwrap_or(NONE)
            ),
            (None, Some(err)) => format!("{} ({where_}): no fingerprint ({err})", r.addr),
            (None, None) => format!("{} ({where_})", r.addr),
        };
        t.rows.push(vec!["external server".to_string(), what]);
    }
    t
}

/// The main table of one scenario × variant: one row per runtime.
pub fn case_table(rows: &[&CaseResult]) -> Table {
    // The rows of one scenario × variant publish the same figure; the column says which.
    let what = rows
        .first()
        .map_or(figures::ValueFigure::MeanBatch, |r| figures::figure_of(r));
    let value_header = format!("{} over rounds ± 95% CI", what.label());
    let mut t = table(
        &[
            "runtime",
            &value_header,
            "rounds",
            "MDE",
            "p50",
            "p99",
            "max",
            "batch mean ± 95% CI",
            "throughput",
            "measured/ideal",
            "measured/floor",
            "errors",
            "samples",
        ],
        &[
            false, true, false, true, true, true, true, true, true, true, true, true, true,
        ],
    );
    for r in rows {
        let p = r.latency_ns.as_ref();
        let pct = |f: fn(&crate::results::Percentiles) -> u64| format::duration_opt(p.map(|p| f(p) as f64));
        t.rows.push(vec![
            runtime_cell(r),
            format::value_text(r),
            rounds_cell(r),
            r.rounds
                .as_ref()
                .and_then(|x| x.mde_pct)
                .map_or(NONE.to_string(), |m| format!("{m:.1}%")),
            pct(|p| p.p50),
            pct(|p| p.p99),
            pct(|p| p.max),
            r.wall_ns.as_ref().map_or(NONE.to_string(), |w| {
                if w.batches < 2 {
                    // One batch has no spread: an interval of ±0 would claim a precision it lacks.
                    format!("{} (1 batch)", format::duration(w.mean))
                } else {
                    format::mean_pm(w.mean, w.ci95_low, w.ci95_high)
                }
            }),
            match (&r.throughput_unit, r.throughput_per_s) {
                // "41.7/s" → "41.7 requests/s": the figure says what it counts.
                (Some(u), Some(_)) => format::rate(r.throughput_per_s).replace("/s", &format!(" {u}/s")),
                _ => format::rate(r.throughput_per_s),
            },
            format::ratio(r.measured_over_ideal),
            format::ratio(r.measured_over_floor),
            format::errors(r.errors, &r.errors_by_kind),
            r.samples.to_string(),
        ]);
    }
    t
}

/// Round count and stability, e.g. `3, stable` or `3, ⚠ unstable`.
fn rounds_cell(r: &CaseResult) -> String {
    let Some(x) = &r.rounds else {
        return NONE.to_string();
    };
    let s = match x.stability {
        Stability::Stable => "stable",
        Stability::Unstable => "⚠ unstable",
        Stability::Bimodal => "⚠ bimodal",
        Stability::Unknown => "—",
    };
    // Under cargo bench's adaptive rounds: stage 1 + stage 2, and why it stopped where it did.
    let count = r.round_plan.as_ref().map_or(x.count.to_string(), |p| p.short());
    format!("{count}, {s}")
}

/// A further timed metric (sched_delay, time to first, …): its median over rounds (the row's
/// value, with its stability) and its distribution per runtime.
pub fn metric_table(rows: &[&CaseResult]) -> Table {
    let mut t = table(
        &[
            "runtime",
            "median over rounds ± 95% CI",
            "rounds",
            "samples",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max",
            "mean",
        ],
        &[false, true, false, true, true, true, true, true, true, true],
    );
    for r in rows {
        let p = r.latency_ns.as_ref();
        let d = |v: Option<f64>| format::duration_opt(v);
        t.rows.push(vec![
            runtime_cell(r),
            format::value_text(r),
            rounds_cell(r),
            r.samples.to_string(),
            d(p.map(|p| p.p50 as f64)),
            d(p.map(|p| p.p90 as f64)),
            d(p.map(|p| p.p99 as f64)),
            d(p.map(|p| p.p999 as f64)),
            d(p.map(|p| p.max as f64)),
            d(p.map(|p| p.mean)),
        ]);
    }
    t
}

/// Scenario-specific figures (`values`: mean per batch), one column per name; `None` when no
/// runtime has any.
pub fn values_table(rows: &[&CaseResult]) -> Option<Table> {
    let names: BTreeSet<&str> = rows.iter().flat_map(|r| r.values.keys().map(String::as_str)).collect();
    if names.is_empty() {
        return None;
    }
    let mut header = vec!["runtime"];
    header.extend(names.iter().copied());
    let mut right = vec![true; header.len()];
    right[0] = false;
    let mut t = table(&header, &right);
    for r in rows {
        let mut row = vec![runtime_cell(r)];
        row.extend(
            names
                .iter()
                .map(|n| r.values.get(*n).map_or(NONE.to_string(), |v| format::number(*v))),
        );
        t.rows.push(row);
    }
    Some(t)
}

/// The distinct notes of a variant's cases, in order.
pub fn notes(rows: &[&CaseResult]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in rows.iter().flat_map(|r| r.notes.iter()) {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

/// Significance level for the "at a glance" judgements.
const SIGNIFICANCE: f64 = 0.05;

/// One line per variant naming its fastest and slowest runtime by mean batch time, and whether
/// the difference between them is significant; then the fastest and slowest variant overall.
/// Is the fastest-vs-slowest gap more than noise? The two were picked after the fact out of
/// `k` runtimes, so the test is Welch on their round figures with a Bonferroni correction for
/// all k(k−1)/2 pairs (picking the extremes is testing every pair at once), and a gap below
/// the rows' minimum detectable effect is within noise.
fn extremes_verdict(fast: &CaseResult, slow: &CaseResult, k: usize) -> String {
    match gap_test(fast, slow, k) {
        Gap::Real { p, pairs } => format!(
            " — a real difference (Welch on rounds, {} after correcting for {pairs:.0} pairs)",
            format::p_value(p)
        ),
        Gap::Noise { p, pairs, mde } => format!(
            " — within noise (Welch on rounds, {} after correcting for {pairs:.0} pairs; minimum detectable \
             effect {mde:.1}%)",
            format::p_value(p)
        ),
        Gap::TooFewRounds => " — too few rounds to test the difference".to_string(),
        Gap::NoRounds => " — measured in fewer than 2 rounds: no test of the difference".to_string(),
    }
}

/// The verdict on the gap between the fastest and the slowest of `k` runtimes ([`extremes_verdict`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gap {
    /// Significant after the correction for `pairs` pairs, and at least the minimum detectable effect.
    Real {
        p: f64,
        pairs: f64,
    },
    Noise {
        p: f64,
        pairs: f64,
        mde: f64,
    },
    TooFewRounds,
    NoRounds,
}

pub fn gap_test(fast: &CaseResult, slow: &CaseResult, k: usize) -> Gap {
    let pairs = (k * (k - 1) / 2).max(1) as f64;
    match (&fast.rounds, &slow.rounds) {
        (Some(a), Some(b)) if a.count >= 2 && b.count >= 2 => {
            let gap = if a.mean > 0.0 {
                100.0 * (b.mean - a.mean) / a.mean
            } else {
                f64::NAN
            };
            let mde = a.mde_pct.unwrap_or(0.0).max(b.mde_pct.unwrap_or(0.0));
            let p = crate::stats::rounds::welch_rounds(a, b).map(|p| (p * pairs).min(1.0));
            match p {
                Some(p) if p < SIGNIFICANCE && gap >= mde => Gap::Real { p, pairs },
                Some(p) => Gap::Noise { p, pairs, mde },
                None => Gap::TooFewRounds,
            }
        }
        _ => Gap::NoRounds,
    }
}

/// A variant's cases that have a value, fastest first, each with its value (mean over rounds,
/// else mean batch).
pub fn timed<'a>(run: &'a RunData, scenario: &str, variant: &str) -> Vec<(&'a CaseResult, f64)> {
    let rows = run.case_rows(scenario, variant, crate::report::data::PRIMARY_METRIC);
    let mut timed: Vec<(&CaseResult, f64)> = rows
        .iter()
        .filter_map(|r| figures::value_ns(r).map(|m| (*r, m)))
        .collect();
    timed.sort_by(|a, b| a.1.total_cmp(&b.1));
    timed
}

pub fn at_a_glance(run: &RunData, scenario: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut best_per_variant: Vec<(&str, &CaseResult, f64)> = Vec::new();
    for variant in run.variants(scenario) {
        let timed = timed(run, scenario, variant);
        let (Some(&(fast, fm)), Some(&(slow, sm))) = (timed.first(), timed.last()) else {
            continue;
        };
        best_per_variant.push((variant, fast, fm));
        let ideal = fast
            .measured_over_ideal
            .map(|x| format!(", {} ideal", format::ratio(Some(x))))
            .unwrap_or_default();
        let mut line = format!(
            "{variant}: fastest {} at {}{ideal}",
            runtime_cell(fast),
            format::value_short(fast)
        );
        if timed.len() > 1 {
            let pct = if fm > 0.0 { 100.0 * (sm - fm) / fm } else { f64::NAN };
            let verdict = extremes_verdict(fast, slow, timed.len());
            line.push_str(&format!(
                "; slowest {} at {} ({}){verdict}",
                runtime_cell(slow),
                format::value_short(slow),
                format::change_pct(pct),
            ));
        }
        lines.push(line + ".");
    }
    if best_per_variant.len() > 1 {
        best_per_variant.sort_by(|a, b| a.2.total_cmp(&b.2));
        if let (Some(f), Some(s)) = (best_per_variant.first(), best_per_variant.last()) {
            lines.push(format!(
                "Across variants: best {} ({} on {}); slowest, even on its fastest runtime, {} ({} on {}).",
                f.0,
                format::value_short(f.1),
                runtime_cell(f.1),
                s.0,
                format::value_short(s.1),
                runtime_cell(s.1)
            ));
        }
    }
    lines
}
