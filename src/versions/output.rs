//! COMPARE.md of a version A/B and the terminal's copy of its first screen: one line of
//! context (crate, versions as asked and resolved, machine, toolchain, duration, commit), the
//! warnings that bear on trust, a scorecard of what changed (each case's change paired by
//! round, with its interval, and its verdict from `verdict`), then `compare`'s per-case text
//! carrying those verdicts.

use std::fmt::Write as _;

use crate::compare::output as compare_output;
use crate::compare::{Comparison, HOST_MOVED_PCT, RowChange, Verdict};
use crate::report::data::PRIMARY_METRIC;
use crate::report::format;
use crate::stats::ratio::Ratio;

use super::verdict;

/// How the verdicts were reached, for COMPARE.md and its per-case section.
const TESTS: &str = "each case's change B/A is paired by round (A's round k and B's round k are the two processes \
that ran next to each other), as the geometric mean of the per-pair ratios with a 95% Student-t interval on their \
logarithms; verdicts by the report's rule: real = the interval excludes 1 and the change exceeds the larger of the \
rows' MDE and 2%, then REGRESSION / improvement past the gate, slower / faster below it; \"within noise\" = not \
real; \"inconclusive\" = the interval holds 1 yet the change is past that threshold, or one pair. Intervals are per \
row, not adjusted for the number of rows. p-values: none (no Welch test judged these rows).";

/// What the session knows beyond the two runs.
#[derive(Debug, Clone)]
pub struct Context {
    pub krate: String,
    /// As asked on the command line.
    pub asked: (String, String),
    /// As each side's lockfile resolved the crate.
    pub resolved: (String, String),
    /// Wall time of the session, builds included.
    pub duration_s: f64,
    /// Pairs of rounds that finished; fewer than asked when interrupted.
    pub pairs: (u32, u32),
    /// Both sides ran one build (their lockfiles were the same).
    pub one_build: bool,
}

/// "+9.9% [+1.1%, +19.5%]": a paired ratio B/A as a percent change with its interval.
fn pct_text(r: &Ratio) -> String {
    let pct = |x: f64| format::change_pct((x - 1.0) * 100.0);
    match r.interval {
        Some(i) => format!("{} [{}, {}]", pct(r.estimate), pct(i.lo), pct(i.hi)),
        None => pct(r.estimate),
    }
}

fn paired_text(c: &Comparison, r: &RowChange) -> String {
    verdict::paired(c, r).map_or(format::NONE.to_string(), |(ratio, _)| pct_text(&ratio))
}

fn case(r: &RowChange) -> String {
    format!("{} / {} / {}", r.scenario, r.variant, r.runtime)
}

/// The context line.
fn context_line(c: &Comparison, ctx: &Context) -> String {
    let env = &c.a.summary.env;
    let asked = |a: &str, r: &str| {
        if a == r {
            a.to_string()
        } else {
            format!("{a} (resolved {r})")
        }
    };
    let commit = match (&env.git_commit, env.git_dirty) {
        (Some(h), Some(true)) => format!("{} dirty", &h[..h.len().min(10)]),
        (Some(h), _) => format!("{} clean", &h[..h.len().min(10)]),
        (None, _) => "no git commit".to_string(),
    };
    format!(
        "{} {} → {} · {} ({} logical cores) · {} · {:.0} s, {}{} pairs of rounds · {commit}",
        ctx.krate,
        asked(&ctx.asked.0, &ctx.resolved.0),
        asked(&ctx.asked.1, &ctx.resolved.1),
        env.cpu_model,
        env.logical_cores,
        env.rustc,
        ctx.duration_s,
        ctx.pairs.0,
        if ctx.pairs.0 == ctx.pairs.1 {
            String::new()
        } else {
            format!(" of {}", ctx.pairs.1)
        },
    )
}

/// The warnings that bear on trust, as lines.
pub fn warnings(c: &Comparison, ctx: &Context) -> Vec<String> {
    let mut out = Vec::new();
    if ctx.pairs.0 < ctx.pairs.1 {
        out.push(format!(
            "interrupted: {} of {} pairs of rounds finished; verdicts rest on those",
            ctx.pairs.0, ctx.pairs.1
        ));
    }
    if ctx.pairs.0 < 3 {
        out.push(format!(
            "{} pairs of rounds: too few for a test to find anything but a large change (--rounds)",
            ctx.pairs.0
        ));
    }
    if let Some(shift) = c.host_shift_pct.filter(|s| s.abs() >= HOST_MOVED_PCT) {
        out.push(format!(
            "the host probe read {:.1}% {} in B's rounds than in A's although they alternated",
            shift.abs(),
            if shift > 0.0 { "slower" } else { "faster" }
        ));
    }
    let other_env: Vec<&String> = c.env_diffs.iter().filter(|d| !d.starts_with("crate:")).collect();
    if !other_env.is_empty() {
        let list: Vec<&str> = other_env.iter().map(|s| s.as_str()).collect();
        out.push(format!(
            "the sides' environments differ beyond crates: {}",
            list.join("; ")
        ));
    }
    let errors: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.errors.0 + r.errors.1 > 0)
        .map(|r| format!("{} ({} → {})", case(r), r.errors.0, r.errors.1))
        .collect();
    if !errors.is_empty() {
        out.push(format!("cases with errors: {}", errors.join(", ")));
    }
    if !c.only_a.is_empty() || !c.only_b.is_empty() {
        out.push(format!(
            "cases only one side has (not compared): {}",
            c.only_a.iter().chain(&c.only_b).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// The first screen: context, warnings, scorecard.
pub fn first_screen(c: &Comparison, ctx: &Context) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", context_line(c, ctx));
    let crates: Vec<&String> = c.env_diffs.iter().filter(|d| d.starts_with("crate:")).collect();
    if crates.is_empty() {
        let build = if ctx.one_build {
            " (one build ran both sides)"
        } else {
            ""
        };
        let _ = writeln!(out, "Resolved crates: the same on both sides{build}.");
    } else {
        let list: Vec<&str> = crates.iter().map(|s| s.trim_start_matches("crate: ")).collect();
        let _ = writeln!(out, "Resolved crates, A → B: {}.", list.join("; "));
    }
    let warns = warnings(c, ctx);
    if !warns.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &warns {
            let _ = writeln!(out, "  - {w}");
        }
    }
    let primary: Vec<&RowChange> = c.rows.iter().filter(|r| r.metric == PRIMARY_METRIC).collect();
    let count = |v: Verdict| primary.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        out,
        "\nScorecard ({} cases, B vs A): {} regressions, {} improvements, {} slower/faster below the gate, {} \
         within noise (≈), {} inconclusive.",
        primary.len(),
        count(Verdict::Regression),
        count(Verdict::Improvement),
        count(Verdict::SlowerBelowGate) + count(Verdict::FasterBelowGate),
        count(Verdict::WithinNoise),
        count(Verdict::Inconclusive),
    );
    let _ = writeln!(
        out,
        "\n| case | tested | Δ B vs A, paired by round [95% interval] | MDE | verdict |\n| --- | --- | ---: | ---: | --- |"
    );
    let mut rows = primary.clone();
    rows.sort_by_key(|r| r.verdict);
    for r in rows {
        let verdict = if r.verdict == Verdict::WithinNoise {
            "≈ within noise"
        } else {
            r.verdict.name()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {verdict} |",
            case(r),
            r.tested,
            paired_text(c, r),
            r.mde_pct.map_or(format::NONE.to_string(), |m| format!("{m:.1}%")),
        );
    }
    out
}

/// COMPARE.md: the first screen, then `compare`'s own per-case text.
pub fn compare_md(c: &Comparison, ctx: &Context) -> String {
    let mut out = format!(
        "# {} {} → {}: asyncbench versions\n\n",
        ctx.krate, ctx.asked.0, ctx.asked.1
    );
    out.push_str(&first_screen(c, ctx));
    let _ = writeln!(out, "\nHow: {TESTS}\n\n## Per case\n");
    out.push_str(&compare_output::render_judged_by(c, TESTS));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ratio::paired_ratio;

    #[test]
    fn a_planted_ratio_per_pair_is_the_paired_change() {
        // Every pair 10% slower in B, whatever the host did to the pair: +10%, no spread.
        let r = paired_ratio(&[110.0, 220.0, 165.0], &[100.0, 200.0, 150.0]).unwrap();
        assert_eq!(pct_text(&r), format!("{0} [{0}, {0}]", format::change_pct(10.0)));
        // Ratios 1.05 and 1.15, twice: log mean 0.094276, sd 0.052523 over 4 pairs,
        // t(0.975, 3) = 3.182446: [exp(0.010703) − 1, exp(0.177849) − 1] = [+1.08%, +19.46%].
        let r = paired_ratio(&[105.0, 115.0, 105.0, 115.0], &[100.0; 4]).unwrap();
        let i = r.interval.unwrap();
        assert!((r.estimate - 1.09890).abs() < 1e-4, "{r:?}");
        assert!((i.lo - 1.01076).abs() < 1e-4 && (i.hi - 1.19465).abs() < 1e-4, "{r:?}");
        assert_eq!(r.pairs, 4);
    }
}
