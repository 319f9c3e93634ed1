//! The text `asyncbench compare` prints: which runs, which tests (with their sources), what
//! differs in the environment, one aligned table row per compared case (pasteable into a design
//! review as Markdown), what only one run has, and the verdict counts with every regression's
//! reason.

use std::fmt::Write as _;

use crate::compare::{Comparison, Pair, RowChange, Verdict, change_pct};
use crate::report::doc::markdown;
use crate::report::doc::model::Table;
use crate::report::format;

/// Renders the comparison, the methods in one line (see [`render_verbose`]).
pub fn render(c: &Comparison) -> String {
    render_with(c, false)
}

/// Renders a comparison whose verdicts another rule made (`asyncbench versions` pairs rounds),
/// with `tests` as its one line of methods in place of `compare`'s own.
pub fn render_judged_by(c: &Comparison, tests: &str) -> String {
    render_inner(c, Methods::Given(tests))
}

/// Which line (or paragraph) of methods a rendering carries.
#[derive(Clone, Copy)]
enum Methods<'a> {
    Short,
    Verbose,
    Given(&'a str),
}

/// Renders the comparison with the paragraph of methods and their sources (`compare --verbose`;
/// the report states it once).
pub fn render_verbose(c: &Comparison) -> String {
    render_with(c, true)
}

fn render_with(c: &Comparison, verbose: bool) -> String {
    render_inner(c, if verbose { Methods::Verbose } else { Methods::Short })
}

fn render_inner(c: &Comparison, methods_line: Methods<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "asyncbench compare");
    for (which, run) in [("A", &c.a), ("B", &c.b)] {
        let s = &run.summary.run;
        let _ = writeln!(out, "  {which}: {} ({}), mode {}", s.id, run.dir.display(), s.mode);
    }
    match methods_line {
        Methods::Verbose => out.push_str(&methods(c)),
        Methods::Short => {
            let _ = writeln!(
                out,
                "\nTests: Welch on round figures; p-values Benjamini-Hochberg within each scenario's family, times the \
                 number of families; MDE at alpha 5%, power 80% (--verbose: the methods and their sources)."
            );
        }
        Methods::Given(tests) => {
            let _ = writeln!(out, "\nTests: {tests}");
        }
    }
    if c.env_diffs.is_empty() {
        let _ = writeln!(out, "\nEnvironment: same machine, toolchain, mode and crate versions.");
    } else {
        let _ = writeln!(
            out,
            "\nEnvironment differs (changes may come from these, not the code):"
        );
        for d in &c.env_diffs {
            let _ = writeln!(out, "  - {d}");
        }
    }
    if let Some(shift) = c.host_shift_pct {
        // compare's own rule; verdicts made by another rule (versions pairs rounds) do not use it.
        let rule = if matches!(methods_line, Methods::Given(_)) {
            String::new()
        } else {
            format!(
                "; a row whose own rounds moved {}% or more in the direction of its change is not called where that \
                 shift could carry the change past the gate",
                crate::compare::HOST_MOVED_PCT
            )
        };
        let _ = writeln!(
            out,
            "Host probe: B's rounds ran the fixed workload {:.1}% {} than A's (median over each run's rounds){rule}.",
            shift.abs(),
            if shift >= 0.0 { "slower" } else { "faster" },
        );
    }
    if c.rows.is_empty() {
        let _ = writeln!(out, "\nThe runs share no case.");
    } else {
        out.push('\n');
        out.push_str(&markdown::table(&table(&c.rows)));
        if let Some(t) = cost_table(&c.rows) {
            let _ = writeln!(
                out,
                "\nCost per operation, A → B (side under test; one total per run, shown but not tested):\n"
            );
            out.push_str(&markdown::table(&t));
        }
    }
    for (which, list) in [("A", &c.only_a), ("B", &c.only_b)] {
        if !list.is_empty() {
            let _ = writeln!(out, "\nOnly in {which} (not compared):");
            for item in list.iter() {
                let _ = writeln!(out, "  - {item}");
            }
        }
    }
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| format!("{} {}", c.count(v), v.name()))
        .collect();
    let _ = writeln!(
        out,
        "\nResult: {}, of {} compared rows.",
        counts.join("; "),
        c.rows.len()
    );
    for v in [
        Verdict::Regression,
        Verdict::Improvement,
        Verdict::SlowerBelowGate,
        Verdict::FasterBelowGate,
        Verdict::Inconclusive,
    ] {
        let rows: Vec<&RowChange> = c.rows.iter().filter(|r| r.verdict == v).collect();
        if !rows.is_empty() {
            let _ = writeln!(out, "{}:", capitalised(v.name()));
            for r in rows {
                let _ = writeln!(out, "  - {}: {}", case(r), r.reason);
            }
        }
    }
    if let Some(noise) = crate::stats::median(c.rows.iter().filter_map(|r| r.mde_pct)) {
        let _ = writeln!(
            out,
            "Noise: the median row could detect a change of {:.1}% between these two runs (minimum detectable \
             effect from the rounds' spread; `asyncbench noise` measures it on this machine).",
            noise
        );
    }
    out
}

/// The tested figure in A and B: over rounds where both runs have them, else over batches.
fn figure(r: &RowChange) -> Pair {
    if r.rounds.0.is_some() && r.rounds.1.is_some() {
        r.rounds
    } else if r.wall.0.is_some() || r.wall.1.is_some() {
        r.wall
    } else {
        r.p50
    }
}

fn capitalised(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|f| f.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

fn case(r: &RowChange) -> String {
    let metric = if r.metric == crate::report::data::PRIMARY_METRIC {
        String::new()
    } else {
        format!(" [{}]", r.metric)
    };
    format!("{} / {} / {}{metric}", r.scenario, r.variant, r.runtime)
}

fn arrow((a, b): Pair) -> String {
    if a.is_none() && b.is_none() {
        return format::NONE.to_string();
    }
    format!("{} → {}", format::duration_opt(a), format::duration_opt(b))
}

fn delta(p: Pair) -> String {
    change_pct(p).map_or(format::NONE.to_string(), format::change_pct)
}

fn p_of(p: Option<f64>) -> String {
    p.map_or(format::NONE.to_string(), format::p_value)
}

fn table(rows: &[RowChange]) -> Table {
    let header = [
        "case",
        "tested",
        "A → B",
        "Δ",
        "MDE",
        "p (adj.)",
        "p50 A → B",
        "Δ",
        "p99 A → B",
        "Δ",
        "errors",
        "verdict",
    ];
    let mut right = vec![true; header.len()];
    right[0] = false;
    right[1] = false;
    right[11] = false;
    Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        right,
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    case(r),
                    r.tested.clone(),
                    arrow(figure(r)),
                    r.change_pct.map_or(format::NONE.to_string(), format::change_pct),
                    r.mde_pct.map_or(format::NONE.to_string(), |m| format!("{m:.1}%")),
                    p_of(r.p_adjusted),
                    arrow(r.p50),
                    delta(r.p50),
                    arrow(r.p99),
                    delta(r.p99),
                    format!(
                        "{} → {}",
                        format::errors(r.errors.0, &r.errors_by_kind.0),
                        format::errors(r.errors.1, &r.errors_by_kind.1)
                    ),
                    r.verdict.name().to_string(),
                ]
            })
            .collect(),
    }
}

/// The cost column group: CPU, allocations, bytes and context switches per operation, A → B,
/// for the rows where either run measured cost. `None` when neither did (older runs).
fn cost_table(rows: &[RowChange]) -> Option<Table> {
    let with: Vec<&RowChange> = rows
        .iter()
        .filter(|r| r.cost.0.is_some() || r.cost.1.is_some())
        .collect();
    if with.is_empty() {
        return None;
    }
    let header = [
        "case",
        "CPU/op A → B",
        "Δ",
        "allocs/op A → B",
        "bytes/op A → B",
        "cs/op A → B",
    ];
    let mut right = vec![true; header.len()];
    right[0] = false;
    let pair = |r: &RowChange, f: fn(&crate::measure::Cost) -> Option<f64>| -> Pair {
        (r.cost.0.as_ref().and_then(f), r.cost.1.as_ref().and_then(f))
    };
    let num = |(a, b): Pair| {
        let n = |v: Option<f64>| v.map_or(format::NONE.to_string(), format::number);
        format!("{} → {}", n(a), n(b))
    };
    Some(Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        right,
        rows: with
            .iter()
            .map(|r| {
                let cpu = pair(r, |c| Some(c.cpu_ns_per_op));
                vec![
                    case(r),
                    arrow(cpu),
                    delta(cpu),
                    num(pair(r, |c| c.allocs_per_op)),
                    num(pair(r, |c| c.bytes_per_op)),
                    num(pair(r, |c| Some(c.voluntary_cs_per_op + c.involuntary_cs_per_op))),
                ]
            })
            .collect(),
    })
}

/// The tests, the family correction and the verdicts, with their sources.
fn methods(c: &Comparison) -> String {
    let mut out = String::new();
    let gated = c
        .rows
        .iter()
        .filter(|r| r.metric == crate::report::data::PRIMARY_METRIC);
    let _ = writeln!(
        out,
        "\nTests: each row names the figure it tested: a case's value over rounds (\"batch mean over rounds\", \
         or \"p99 from intended send over rounds\" for open-loop rows), or \"<metric> median\", that metric's \
         median per round, over rounds. Both are judged by Welch's t-test on the round figures (B. L. Welch, Biometrika 34, 1947); rows of runs \
         without rounds fall back to Welch on per-batch wall times or the Mann-Whitney U test on the .hlog \
         samples (Mann & Whitney, Ann. Math. Statist. 18, 1947), which treat batches as independent and are \
         optimistic; a row with one round in either run is not tested. p-values are adjusted within families, \
         one per scenario for its case values ({} tested rows, the ones the gate reads) and one per scenario for \
         its other metrics ({} rows): Benjamini-Hochberg inside a family (J. R. Statist. Soc. B 57, 1995), \
         times the number of families (Bonferroni), so a change in one scenario cannot lower the bar in \
         another and an A/A pair fails the gate with probability at most alpha. MDE: the smallest change the rows' round spread detects at alpha 5%, power \
         80%.\nVerdicts: REGRESSION / improvement = significant at adjusted alpha = {} and beyond the {}% gate \
         (or errors where A had none); \"slower/faster, below the gate\" = significant, smaller than the gate; \
         \"within noise\" = not significant and smaller than the MDE; \"inconclusive\" = not significant yet \
         larger than the MDE (the rounds that would decide it are given), or untestable.",
        gated.filter(|r| r.p_adjusted.is_some()).count(),
        c.rows
            .iter()
            .filter(|r| r.metric != crate::report::data::PRIMARY_METRIC && r.p_adjusted.is_some())
            .count(),
        c.opts.alpha,
        c.opts.threshold_pct,
    );
    let own = super::scenario_gates(&[&c.a.summary, &c.b.summary]);
    let raised: Vec<String> = own
        .iter()
        .filter(|(_, g)| **g > c.opts.threshold_pct)
        .map(|(s, g)| format!("{s} {g}%"))
        .collect();
    if !raised.is_empty() {
        let _ = writeln!(
            out,
            "Scenario gates (their files' gate_pct, where larger than {}%: runs drift more than their rounds show): {}.",
            c.opts.threshold_pct,
            raised.join(", ")
        );
    }
    out
}
