//! The figures a run ends with on the terminal (as wrk, oha and hyperfine do): one row per case
//! with its value, latency percentiles, throughput and ratios to its ideal and floor, the
//! cases' errors by kind, then the run's warnings. Read back from the summary just written, so
//! the table shows exactly what summary.json holds. Never coloured: it goes to logs as often as
//! to terminals.

use std::collections::BTreeSet;

use crate::report::data::PRIMARY_METRIC;
use crate::report::doc::markdown;
use crate::report::doc::model::Table;
use crate::report::format;
use crate::report::warnings::{self, Warning};
use crate::results::{CaseResult, Percentiles, RunMode, Summary, figures};

/// An open-loop run's latency from each request's actual send (the corrected one is primary).
const UNCORRECTED: &str = "latency_uncorrected";
/// An open-loop run's actual − intended send time.
const LATENESS: &str = "generator_lateness";
/// How many of the slowest cases vs their ideal a compact table shows.
const SLOWEST: usize = 10;

/// Which cases the table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every case (`asyncbench run`).
    All,
    /// Cases with errors, unstable cases and the slowest vs their ideal, then the counts
    /// (`cargo bench`, whose suite has hundreds of cases).
    Notable,
}

/// A case with no successful operation and at least one failed one.
pub fn failed(r: &CaseResult) -> bool {
    r.samples == 0 && r.errors > 0
}

/// True if any case failed to run or had failed operations.
pub fn has_errors(s: &Summary) -> bool {
    !s.failures.is_empty() || s.results.iter().any(|r| r.errors > 0)
}

/// How many cases failed (recorded failures and cases with no successful operation) and how
/// many more had some errors.
pub fn error_counts(s: &Summary) -> (usize, usize) {
    let primary = primary_rows(s);
    let failed_rows = primary.iter().filter(|r| failed(r)).count();
    let with_errors = primary.iter().filter(|r| r.errors > 0 && !failed(r)).count();
    (s.failures.len() + failed_rows, with_errors)
}

/// The table, the error lines and the warnings, each line ending in a newline.
pub fn render(s: &Summary, which: Rows) -> String {
    let all = primary_rows(s);
    let shown = match which {
        Rows::All => all.clone(),
        Rows::Notable => notable(&all),
    };
    let mut out = String::new();
    if !shown.is_empty() {
        out.push_str(&markdown::table(&table(s, &shown)));
    }
    if which == Rows::Notable {
        let unstable = all.iter().filter(|r| unstable(r)).count();
        let (failed, with_errors) = error_counts(s);
        out.push_str(&format!(
            "{} cases: {failed} failed, {with_errors} with errors, {unstable} unstable; shown: those and the {} \
             slowest vs their ideal (all in REPORT.md)\n",
            all.len(),
            SLOWEST.min(all.len())
        ));
    }
    for line in error_lines(s) {
        out.push_str(&line);
        out.push('\n');
    }
    // A terminal is not the report: the first few, then a count.
    const MAX_WARNINGS: usize = 12;
    let all = run_and_case_warnings(s, &shown);
    for w in all.iter().take(MAX_WARNINGS) {
        out.push_str(&format!("warning: {w}\n"));
    }
    if all.len() > MAX_WARNINGS {
        out.push_str(&format!(
            "warning: … and {} more in REPORT.md\n",
            all.len() - MAX_WARNINGS
        ));
    }
    out
}

/// One line per case with errors (counts by kind) and per failed case.
pub fn error_lines(s: &Summary) -> Vec<String> {
    let mut out: Vec<String> = primary_rows(s)
        .into_iter()
        .filter(|r| r.errors > 0)
        .map(|r| {
            let what = if failed(r) {
                "FAILED, no operation succeeded"
            } else {
                "errors"
            };
            format!(
                "asyncbench: {what}: {}: {} of {} operations failed ({})",
                case(r),
                r.errors,
                r.errors + r.samples,
                format::errors(r.errors, &r.errors_by_kind)
            )
        })
        .collect();
    out.extend(s.failures.iter().map(|f| {
        format!(
            "asyncbench: FAILED: {}/{}/{}: {}",
            f.scenario, f.variant, f.runtime, f.error
        )
    }));
    out
}

/// The run-wide warnings, then those of the shown cases; errors and failures have their own
/// lines above, so they are not repeated.
fn run_and_case_warnings(s: &Summary, shown: &[&CaseResult]) -> Vec<Warning> {
    let mut out = warnings::run_warnings(s);
    for r in shown {
        out.extend(
            warnings::case_warnings(r)
                .into_iter()
                .filter(|w| !matches!(w, Warning::Errors { .. })),
        );
    }
    out
}

/// Each case's own row, in the summary's order.
fn primary_rows(s: &Summary) -> Vec<&CaseResult> {
    s.results.iter().filter(|r| r.metric == PRIMARY_METRIC).collect()
}

fn unstable(r: &CaseResult) -> bool {
    figures::value(r).is_some_and(|v| !v.citable())
}

/// Cases with errors, unstable ones and the [`SLOWEST`] furthest from their ideal, in the
/// summary's order.
fn notable<'a>(all: &[&'a CaseResult]) -> Vec<&'a CaseResult> {
    let mut by_ratio: Vec<(usize, f64)> = all
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.measured_over_ideal.filter(|x| x.is_finite()).map(|x| (i, x)))
        .collect();
    by_ratio.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut keep: BTreeSet<usize> = by_ratio.into_iter().take(SLOWEST).map(|(i, _)| i).collect();
    keep.extend(
        all.iter()
            .enumerate()
            .filter(|(_, r)| r.errors > 0 || unstable(r))
            .map(|(i, _)| i),
    );
    keep.into_iter().map(|i| all[i]).collect()
}

fn case(r: &CaseResult) -> String {
    format!("{}/{}/{}", r.scenario, r.variant, r.runtime)
}

/// The row of `metric` belonging to the same case as `r`.
fn sibling<'a>(s: &'a Summary, r: &CaseResult, metric: &str) -> Option<&'a CaseResult> {
    s.results
        .iter()
        .find(|o| o.metric == metric && o.scenario == r.scenario && o.variant == r.variant && o.runtime == r.runtime)
}

fn percentile(r: Option<&CaseResult>, pick: fn(&Percentiles) -> u64) -> String {
    match r.and_then(|r| r.latency_ns.as_ref()) {
        Some(p) if r.is_some_and(|r| r.samples > 0) => format::duration(pick(p) as f64),
        _ => format::NONE.to_string(),
    }
}

/// "41.7 requests/s": the rate with what it counts.
fn throughput(r: &CaseResult) -> String {
    let rate = format::rate(r.throughput_per_s);
    match &r.throughput_unit {
        Some(unit) if rate != format::NONE => format!("{} {unit}/s", rate.trim_end_matches("/s")),
        _ => rate,
    }
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| format::NONE.to_string(), format::number)
}

fn table(s: &Summary, rows: &[&CaseResult]) -> Table {
    let open_loop = matches!(s.run.mode, RunMode::OpenLoop { .. });
    let mut header = vec![
        "case",
        "value",
        "p50",
        "p99",
        "max",
        "throughput",
        "/ideal",
        "/floor",
        "errors",
    ];
    if open_loop {
        header.extend(["p50 uncorr.", "p99 uncorr.", "asked/s", "achieved/s", "lateness p99"]);
    }
    let right = header
        .iter()
        .enumerate()
        .map(|(i, h)| i > 0 && *h != "errors")
        .collect();
    let rows = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                case(r),
                figures::short_text(r),
                percentile(Some(r), |p| p.p50),
                percentile(Some(r), |p| p.p99),
                percentile(Some(r), |p| p.max),
                throughput(r),
                format::ratio(r.measured_over_ideal),
                format::ratio(r.measured_over_floor),
                format::errors(r.errors, &r.errors_by_kind),
            ];
            if open_loop {
                let uncorrected = sibling(s, r, UNCORRECTED);
                cells.extend([
                    percentile(uncorrected, |p| p.p50),
                    percentile(uncorrected, |p| p.p99),
                    rate(r.values.get("asked_rps").copied()),
                    rate(r.values.get("achieved_rps").copied()),
                    percentile(sibling(s, r, LATENESS), |p| p.p99),
                ]);
            }
            cells
        })
        .collect();
    Table {
        header: header.into_iter().map(String::from).collect(),
        right,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::ErrorKind;
    use crate::results::WallStats;

    fn row(variant: &str, errors: u64, samples: u64, ratio: f64) -> CaseResult {
        CaseResult {
            scenario: "s".into(),
            variant: variant.into(),
            runtime: "tokio-ct".into(),
            metric: PRIMARY_METRIC.into(),
            samples,
            errors,
            errors_by_kind: [(ErrorKind::Connect, errors)]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
            latency_ns: Some(Percentiles {
                p50: 1_000_000,
                p99: 2_500_000,
                max: 9_000_000,
                ..Percentiles::default()
            }),
            wall_ns: WallStats::from_samples(&[10_000_000; 6]),
            measured_over_ideal: Some(ratio),
            throughput_per_s: Some(1234.0),
            throughput_unit: Some("requests".into()),
            ..CaseResult::default()
        }
    }

    fn summary(results: Vec<CaseResult>) -> Summary {
        let text = include_str!("../../results/reference/summary.json");
        let mut s: Summary = serde_json::from_str(text).expect("the reference summary parses");
        s.results = results;
        s.failures.clear();
        s
    }

    #[test]
    fn rows_carry_the_figures_and_errors_get_lines() {
        let s = summary(vec![row("ok", 0, 100, 1.2), row("dead", 5, 0, 1.0)]);
        let out = render(&s, Rows::All);
        assert!(out.contains("| s/ok/tokio-ct "), "{out}");
        assert!(out.contains("2.50 ms"), "{out}");
        assert!(out.contains("1.23k requests/s"), "{out}");
        assert!(out.contains("1.20×"), "{out}");
        assert!(
            out.contains(
                "asyncbench: FAILED, no operation succeeded: s/dead/tokio-ct: 5 of 5 operations failed (5 connect)"
            ),
            "{out}"
        );
        assert!(has_errors(&s));
        assert_eq!(error_counts(&s), (1, 0));
    }

    #[test]
    fn the_compact_table_keeps_errors_and_the_slowest() {
        let mut rows: Vec<CaseResult> = (0..30).map(|i| row(&format!("v{i}"), 0, 10, 1.0 + i as f64)).collect();
        rows[0].errors = 2;
        let s = summary(rows);
        let out = render(&s, Rows::Notable);
        assert!(out.contains("s/v0/"), "{out}");
        assert!(
            out.contains("s/v29/") && out.contains("s/v20/") && !out.contains("s/v19/"),
            "{out}"
        );
        assert!(out.contains("30 cases: 0 failed, 1 with errors, 0 unstable"), "{out}");
    }
}
