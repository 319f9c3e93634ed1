//! The text `asyncbench compare` prints: which runs, which tests (with their sources), what
//! differs in the environment, one aligned table row per compared case (pasteable into a design
//! review as Markdown), what only one run has, and the verdict counts with every regression's
//! reason.

use std::fmt::Write as _;

use crate::compare::{Comparison, Pair, RowChange, Verdict, change_pct};
use crate::report::doc::markdown;
use crate::report::doc::model::Table;
use crate::report::format;

/// Renders the comparison.
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "asyncbench compare");
    for (which, run) in [("A", &c.a), ("B", &c.b)] {
        let s = &run.summary.run;
        let _ = writeln!(out, "  {which}: {} ({}), mode {}", s.id, run.dir.display(), s.mode);
    }
    let _ = writeln!(
        out,
        "\nTests: Welch's t-test on per-batch wall times, from each summary's mean, standard deviation and batch \
         count (B. L. Welch, Biometrika 34, 1947), decides rows with batch times; the Mann-Whitney U test on \
         every recorded sample from the .hlog files (Mann & Whitney, Ann. Math. Statist. 18, 1947; normal \
         approximation, tie-corrected) decides other metrics. Regression: slower by more than {}% and \
         significant at alpha = {}, or errors where A had none.",
        c.opts.threshold_pct, c.opts.alpha
    );
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
    if c.rows.is_empty() {
        let _ = writeln!(out, "\nThe runs share no case.");
    } else {
        out.push('\n');
        out.push_str(&markdown::table(&table(&c.rows)));
    }
    for (which, list) in [("A", &c.only_a), ("B", &c.only_b)] {
        if !list.is_empty() {
            let _ = writeln!(out, "\nOnly in {which} (not compared):");
            for item in list.iter() {
                let _ = writeln!(out, "  - {item}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\nResult: {} regression(s), {} improvement(s), {} unchanged, {} inconclusive, of {} compared rows.",
        c.count(Verdict::Regression),
        c.count(Verdict::Improvement),
        c.count(Verdict::Unchanged),
        c.count(Verdict::Inconclusive),
        c.rows.len()
    );
    for v in [Verdict::Regression, Verdict::Improvement, Verdict::Inconclusive] {
        let rows: Vec<&RowChange> = c.rows.iter().filter(|r| r.verdict == v).collect();
        if !rows.is_empty() {
            let _ = writeln!(out, "{}:", capitalised(v.name()));
            for r in rows {
                let _ = writeln!(out, "  - {}: {}", case(r), r.reason);
            }
        }
    }
    let tests = c
        .rows
        .iter()
        .filter(|r| r.wall_test.is_some() || r.dist_test.is_some())
        .count();
    if tests > 0 {
        let _ = writeln!(
            out,
            "Note: {tests} rows were tested at alpha = {}; about {:.1} of them may look significant by chance \
             alone. A real regression reproduces when both runs are repeated.",
            c.opts.alpha,
            tests as f64 * c.opts.alpha
        );
    }
    out
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

fn p_of(t: &Option<crate::stats::TestResult>) -> String {
    t.as_ref().map_or(format::NONE.to_string(), |t| format::p_value(t.p))
}

fn table(rows: &[RowChange]) -> Table {
    let header = [
        "case",
        "batch mean A → B",
        "Δ",
        "Welch",
        "p50 A → B",
        "Δ",
        "Mann-Whitney",
        "p99 A → B",
        "Δ",
        "errors",
        "verdict",
    ];
    let mut right = vec![true; header.len()];
    right[0] = false;
    right[10] = false;
    Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        right,
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    case(r),
                    arrow(r.wall),
                    delta(r.wall),
                    p_of(&r.wall_test),
                    arrow(r.p50),
                    delta(r.p50),
                    p_of(&r.dist_test),
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
