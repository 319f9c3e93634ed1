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

/// The table, the error lines and the warnings, each line ending in a newline; narrow
/// (within [`MAX_WIDTH`] columns).
pub fn render(s: &Summary, which: Rows) -> String {
    render_with(s, which, false)
}

/// [`render`]; `wide` shows every column (`run --wide`), without folding.
pub fn render_with(s: &Summary, which: Rows, wide: bool) -> String {
    let all = primary_rows(s);
    let shown = match which {
        Rows::All => all.clone(),
        Rows::Notable => notable(&all),
    };
    let mut out = String::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for r in &shown {
        if !scenarios.contains(&r.scenario.as_str()) {
            scenarios.push(&r.scenario);
        }
    }
    for name in scenarios {
        let rows: Vec<&CaseResult> = shown.iter().copied().filter(|r| r.scenario == name).collect();
        out.push_str(&heading(name, &rows));
        out.push('\n');
        out.push_str(&markdown::table(&table(s, &rows, wide)));
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
    if which == Rows::All {
        for line in fastest_lines(s) {
            out.push_str(&line);
            out.push('\n');
        }
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
pub fn run_and_case_warnings(s: &Summary, shown: &[&CaseResult]) -> Vec<Warning> {
    // (The shared-cores warning comes only where a multi-threaded runtime ran.)
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

/// The warnings of a run as `--format json` prints them: the run's, then its cases'.
pub fn warning_texts(s: &Summary) -> Vec<String> {
    run_and_case_warnings(s, &primary_rows(s))
        .iter()
        .map(ToString::to_string)
        .collect()
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

/// The widest line a table may print without `--wide`: a common terminal.
pub const MAX_WIDTH: usize = 120;

/// One column: its header, alignment, whether the narrow layout keeps it, and its cells.
struct Col {
    head: String,
    right: bool,
    narrow: bool,
    cells: Vec<String>,
}

impl Col {
    fn new(head: &str, right: bool, narrow: bool, cells: Vec<String>) -> Col {
        Col {
            head: head.to_string(),
            right,
            narrow,
            cells,
        }
    }

    fn empty(&self) -> bool {
        self.cells.iter().all(|c| c == format::NONE)
    }
}

/// `rows` of one scenario as a table. The case column is `variant/runtime` (the scenario is
/// the heading above); the value column is named for the figure the rows publish. Narrow (not
/// `wide`), closed loop drops nothing but empty columns and moves a shared throughput unit
/// into the header; open loop, whose value is the p99 from the intended send, drops p99 (a
/// second p99), throughput (the achieved rate is its own column) and the ideal ratios.
fn table(s: &Summary, rows: &[&CaseResult], wide: bool) -> Table {
    let open_loop = matches!(s.run.mode, RunMode::OpenLoop { .. });
    let figure = shared(rows.iter().map(|r| figures::figure_of(r).label()));
    let unit = shared(rows.iter().map(|r| r.throughput_unit.as_deref().unwrap_or("")));
    let col = |f: &dyn Fn(&CaseResult) -> String| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let value_head = figure.unwrap_or("value");
    let (thr_head, thr_cells) = match unit.filter(|u| !u.is_empty() && !wide) {
        Some(u) => (format!("{u}/s"), col(&|r| rate(r.throughput_per_s))),
        None => ("throughput".to_string(), col(&throughput)),
    };
    let mut cols = vec![
        Col::new("case", false, true, col(&|r| format!("{}/{}", r.variant, r.runtime))),
        Col::new(value_head, true, true, col(&format::value_text)),
        Col::new("p50", true, true, col(&|r| percentile(Some(r), |p| p.p50))),
        Col::new("p99", true, !open_loop, col(&|r| percentile(Some(r), |p| p.p99))),
        Col::new("max", true, true, col(&|r| percentile(Some(r), |p| p.max))),
        Col::new(&thr_head, true, !open_loop, thr_cells),
        Col::new(
            "/ideal",
            true,
            !open_loop,
            col(&|r| format::ratio(r.measured_over_ideal)),
        ),
        Col::new(
            "/floor",
            true,
            !open_loop,
            col(&|r| format::ratio(r.measured_over_floor)),
        ),
        Col::new(
            "errors",
            false,
            true,
            col(&|r| format::errors(r.errors, &r.errors_by_kind)),
        ),
    ];
    if open_loop {
        cols.extend([
            Col::new(
                "p50 uncorr.",
                true,
                false,
                col(&|r| percentile(sibling(s, r, UNCORRECTED), |p| p.p50)),
            ),
            Col::new(
                "p99 uncorr.",
                true,
                true,
                col(&|r| percentile(sibling(s, r, UNCORRECTED), |p| p.p99)),
            ),
            Col::new(
                "asked/s",
                true,
                true,
                col(&|r| rate(r.values.get("asked_rps").copied())),
            ),
            Col::new(
                "achieved/s",
                true,
                true,
                col(&|r| rate(r.values.get("achieved_rps").copied())),
            ),
            Col::new(
                "lateness p99",
                true,
                true,
                col(&|r| percentile(sibling(s, r, LATENESS), |p| p.p99)),
            ),
        ]);
    }
    // Narrow: a column of dashes says nothing; the case and value columns always stay.
    cols.retain(|c| wide || (c.narrow && (c.head == "case" || c.head == value_head || !c.empty())));
    let n = rows.len();
    let build = |cols: &[Col]| Table {
        header: cols.iter().map(|c| c.head.clone()).collect(),
        right: cols.iter().map(|c| c.right).collect(),
        rows: (0..n)
            .map(|i| cols.iter().map(|c| c.cells[i].clone()).collect())
            .collect(),
    };
    if !wide {
        // Still too wide (long variant names, several throughput units): the secondary columns
        // go, least telling first, until it fits; `--wide` shows them.
        for drop in ["max", "/floor", "p50", "p50 uncorr.", "/ideal"] {
            if width(&build(&cols)) <= MAX_WIDTH {
                break;
            }
            cols.retain(|c| c.head != drop);
        }
    }
    build(&cols)
}

/// The widest line of `t` as markdown.
fn width(t: &Table) -> usize {
    markdown::table(t).lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The one value every item has, if they agree.
fn shared<'a>(mut items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let first = items.next()?;
    items.all(|x| x == first).then_some(first)
}

/// The line above a scenario's table: what its value column is and how to read it.
fn heading(scenario: &str, rows: &[&CaseResult]) -> String {
    let figure = shared(rows.iter().map(|r| figures::figure_of(r).over_rounds_label()));
    let rounds = rows.iter().filter_map(|r| r.rounds.as_ref().map(|x| x.count)).max();
    let mut h = format!("{scenario}:");
    if let Some(label) = figure {
        h.push_str(&format!(" value = {label}"));
    }
    if rounds.is_some_and(|n| n > 1) {
        h.push_str(" ± 95% interval");
    }
    if rows.iter().any(|r| unstable(r)) {
        h.push_str(&format!("; {} rounds disagree: range shown", format::RANGE_MARK));
    }
    h
}

/// The closing answer per scenario and variant, as hyperfine ends: the fastest runtime and how
/// many times faster it ran than each other, the paired per-round ratio with its 95% interval.
pub fn fastest_lines(s: &Summary) -> Vec<String> {
    let all = primary_rows(s);
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for r in &all {
        if !groups.contains(&(r.scenario.as_str(), r.variant.as_str())) {
            groups.push((&r.scenario, &r.variant));
        }
    }
    let mut out = Vec::new();
    for (scenario, variant) in groups {
        let mut rows: Vec<(&CaseResult, f64)> = all
            .iter()
            .filter(|r| r.scenario == scenario && r.variant == variant)
            .filter_map(|r| figures::value_ns(r).map(|v| (*r, v)))
            .collect();
        if rows.len() < 2 {
            continue;
        }
        rows.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, _) = rows[0];
        // A batch time is "faster"; a latency quantile is "lower".
        let (verb, than) = match figures::figure_of(best) {
            f if f.is_batch_time() => ("ran fastest".to_string(), "faster"),
            f => (format!("had the lowest {}", f.label()), "lower"),
        };
        let others: Vec<String> = rows[1..]
            .iter()
            .map(|(r, _)| {
                let ratio = match paired_ratio(&round_means(r), &round_means(best)) {
                    Some((x, Some((lo, hi)))) => {
                        let noise = if lo <= 1.0 { ", within noise" } else { "" };
                        format!("{}× ({}–{}{noise})", sig(x), sig(lo), sig(hi))
                    }
                    Some((x, None)) => format!("{}× (1 round, no interval)", sig(x)),
                    None => format::ratio(figures::ratio(figures::value_ns(r), figures::value_ns(best))),
                };
                let mark = if unstable(r) {
                    format!(" {}", format::RANGE_MARK)
                } else {
                    String::new()
                };
                format!("{ratio} {than} than {}{mark}", r.runtime)
            })
            .collect();
        let mark = if unstable(best) {
            format!(" {}", format::RANGE_MARK)
        } else {
            String::new()
        };
        out.push(wrap(
            &format!("{scenario}/{variant}: {}{mark} {verb}:", best.runtime),
            &others,
        ));
    }
    out
}

/// `head` then `parts` joined by ", ", broken into lines of at most [`MAX_WIDTH`] characters
/// (continuation lines indented).
fn wrap(head: &str, parts: &[String]) -> String {
    let mut out = head.to_string();
    let mut line = out.chars().count();
    for (i, p) in parts.iter().enumerate() {
        let piece = if i + 1 < parts.len() {
            format!("{p},")
        } else {
            p.clone()
        };
        let n = piece.chars().count();
        if line + 1 + n > MAX_WIDTH {
            out.push_str("\n   ");
            line = 3;
        }
        out.push(' ');
        out.push_str(&piece);
        line += 1 + n;
    }
    out
}

fn sig(x: f64) -> String {
    format::ratio(Some(x)).trim_end_matches('×').to_string()
}

/// A row's figure per round, in round order (rounds of one scenario pair by index).
fn round_means(r: &CaseResult) -> Vec<f64> {
    r.rounds
        .as_ref()
        .map(|x| x.rounds.iter().map(|r| r.mean).collect())
        .unwrap_or_default()
}

/// a/b over paired rounds, as the findings quote it ([`crate::stats::ratio::paired_ratio`]):
/// the geometric mean of the per-round ratios and its 95% interval.
fn paired_ratio(a: &[f64], b: &[f64]) -> Option<(f64, Option<(f64, f64)>)> {
    crate::stats::ratio::paired_ratio(a, b).map(|r| (r.estimate, r.interval.map(|i| (i.lo, i.hi))))
}

/// The run's closing lines: the first screen of its report (context, warnings, the scorecard
/// and the overall lines, from the same model as BRIEF.md), one line per question. `None` when
/// the run's summary cannot be read.
pub fn scorecard(run_dir: &std::path::Path) -> Option<String> {
    use crate::report::answers;
    use crate::report::doc::first_screen;
    let run = crate::report::data::RunData::load_summary(run_dir).ok()?;
    let all = answers::all(&run);
    let server = crate::report::doc::build::server(&run);
    let table = first_screen::scorecard(
        &answers::headlines(&all)
            .into_iter()
            .filter(|a| !(server.is_some() && a.scenario == crate::sweep::bench_knee::SCENARIO))
            .collect::<Vec<_>>(),
        server.as_ref(),
    );
    let mut out = format!("\nScorecard · {}\n", first_screen::context_line(&run.summary));
    for w in warnings::run_warnings(&run.summary) {
        out.push_str(&format!("  ⚠ {w}\n"));
    }
    for row in &table.rows {
        if let [q, answer, margin, trust] = row.as_slice() {
            out.push_str(&format!("  {q}\n      → {answer} · {margin} · trust {trust}\n"));
        }
    }
    for (use_, scenarios) in first_screen::USES {
        if let Some(l) = first_screen::overall(&all, scenarios) {
            out.push_str(&format!("  overall, {use_}: {l}\n"));
        }
    }
    out.push_str(&format!(
        "  (the same scorecard opens {}/BRIEF.md; the rule: {})\n",
        run_dir.display(),
        answers::VERDICT_RULE
    ));
    Some(out)
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
        assert!(out.contains("| ok/tokio-ct "), "{out}");
        assert!(out.contains("2.50 ms"), "{out}");
        assert!(out.contains(" requests/s |") && out.contains(" 1234 |"), "{out}");
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
    fn tables_fit_120_columns_name_the_value_and_show_unstable_rows_as_ranges() {
        let text = include_str!("../../results/reference/summary.json");
        let mut s: Summary = serde_json::from_str(text).expect("the reference summary parses");
        let out = render(&s, Rows::All);
        let widest = table_lines(&out).map(|l| l.chars().count()).max();
        assert!(widest.is_some_and(|w| w <= MAX_WIDTH), "{widest:?}\n{out}");
        assert!(
            out.contains("| mean batch time |") || out.contains(" mean batch time "),
            "{out}"
        );
        let unstable = primary_rows(&s).into_iter().find(|r| unstable(r)).cloned();
        if let Some(r) = unstable {
            assert!(out.contains(&format::value_text(&r)) && format::value_text(&r).contains(format::RANGE_MARK));
        }
        // Open loop: the value is the p99 from the intended send; still within 120 columns.
        s.run.mode = RunMode::OpenLoop {
            rate_per_s: 1000,
            connections: 16,
        };
        for r in &mut s.results {
            r.value_figure = Some(figures::ValueFigure::P99FromIntended);
            r.values.insert("asked_rps".into(), 1000.0);
            r.values.insert("achieved_rps".into(), 999.0);
        }
        let out = render(&s, Rows::All);
        let widest = table_lines(&out).map(|l| l.chars().count()).max();
        assert!(widest.is_some_and(|w| w <= MAX_WIDTH), "{widest:?}\n{out}");
        assert!(
            out.contains("p99 from intended send") && out.contains("achieved/s"),
            "{out}"
        );
        let wide = render_with(&s, Rows::All, true);
        assert!(wide.contains("p50 uncorr.") && wide.contains("throughput"), "{wide}");
    }

    /// The table's lines and the headings above them (warnings are prose and may wrap).
    fn table_lines(out: &str) -> impl Iterator<Item = &str> {
        out.lines()
            .filter(|l| !l.starts_with("warning:") && !l.starts_with("asyncbench:"))
    }

    #[test]
    fn the_shared_cores_warning_only_with_a_multi_thread_runtime() {
        let mut s = summary(vec![row("ok", 0, 100, 1.2)]);
        s.env.logical_cores = 2;
        let has = |s: &Summary| warning_texts(s).iter().any(|w| w.contains("multi-thread"));
        assert!(!has(&s), "tokio-ct alone: {:?}", warning_texts(&s));
        s.results[0].runtime = "tokio-mt".into();
        assert!(has(&s), "{:?}", warning_texts(&s));
    }

    #[test]
    fn the_closing_line_names_the_fastest_and_the_paired_ratio() {
        use crate::stats::rounds::{Round, summarize};
        let with_rounds = |runtime: &str, means: &[f64]| {
            let mut r = row("v", 0, 100, 1.0);
            r.runtime = runtime.into();
            r.rounds = summarize(Round::series(means, 300.0, 10));
            r
        };
        // Planted: smol-ct takes exactly twice tokio-ct's time in every round.
        let s = summary(vec![
            with_rounds("smol-ct", &[2000.0, 2200.0, 1800.0]),
            with_rounds("tokio-ct", &[1000.0, 1100.0, 900.0]),
        ]);
        let lines = fastest_lines(&s);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("s/v: tokio-ct ran fastest: 2.00× (2.00–2.00) faster than smol-ct"),
            "{lines:?}"
        );
    }

    #[test]
    fn the_compact_table_keeps_errors_and_the_slowest() {
        let mut rows: Vec<CaseResult> = (0..30).map(|i| row(&format!("v{i}"), 0, 10, 1.0 + i as f64)).collect();
        rows[0].errors = 2;
        let s = summary(rows);
        let out = render(&s, Rows::Notable);
        assert!(out.contains("| v0/"), "{out}");
        assert!(
            out.contains("| v29/") && out.contains("| v20/") && !out.contains("| v19/"),
            "{out}"
        );
        assert!(out.contains("30 cases: 0 failed, 1 with errors, 0 unstable"), "{out}");
    }
}
