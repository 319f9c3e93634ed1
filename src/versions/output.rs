//! COMPARE.md of a version A/B and the terminal's copy of its first screen: one line of
//! context (crate, versions as asked and resolved, machine, toolchain, duration, commit), the
//! warnings that bear on trust, a scorecard of what changed (each case's change paired by
//! round, with its interval, and `compare`'s verdict), then `compare`'s own per-case text.

use std::fmt::Write as _;

use crate::compare::output as compare_output;
use crate::compare::{Comparison, HOST_MOVED_PCT, RowChange, Verdict};
use crate::report::data::PRIMARY_METRIC;
use crate::report::format;

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

/// B's change from A on one case, paired by round: the geometric mean of B_k / A_k over the
/// pairs, with its 95% Student-t interval (computed on the logarithms), percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedChange {
    pub pct: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub pairs: usize,
}

/// The paired change of a row from its rounds in each run (`None` without two pairs).
pub fn paired(c: &Comparison, r: &RowChange) -> Option<PairedChange> {
    let rounds = |run: &crate::report::data::RunData| {
        run.summary
            .results
            .iter()
            .find(|x| {
                x.scenario == r.scenario && x.variant == r.variant && x.runtime == r.runtime && x.metric == r.metric
            })
            .and_then(|x| x.rounds.as_ref())
            .map(|s| s.rounds.iter().map(|x| x.mean).collect::<Vec<f64>>())
    };
    paired_change(&rounds(&c.a)?, &rounds(&c.b)?)
}

/// [`PairedChange`] of round figures `b[k]` against `a[k]` (pairs with a non-positive figure
/// are skipped); `None` with fewer than two pairs.
pub fn paired_change(a: &[f64], b: &[f64]) -> Option<PairedChange> {
    let (a, b): (Vec<f64>, Vec<f64>) = a.iter().zip(b).filter(|(x, y)| **x > 0.0 && **y > 0.0).unzip();
    if a.len() < 2 {
        return None;
    }
    // The ratio B/A paired by round is the report's own (stats::ratio), as a percent change.
    let r = crate::stats::ratio::paired_ratio(&b, &a)?;
    let pct = |x: f64| (x - 1.0) * 100.0;
    Some(PairedChange {
        pct: pct(r.estimate),
        low: r.interval.map(|i| pct(i.lo)),
        high: r.interval.map(|i| pct(i.hi)),
        pairs: r.pairs,
    })
}

fn paired_text(p: Option<PairedChange>) -> String {
    match p {
        Some(PairedChange {
            pct,
            low: Some(lo),
            high: Some(hi),
            ..
        }) => format!(
            "{} [{}, {}]",
            format::change_pct(pct),
            format::change_pct(lo),
            format::change_pct(hi)
        ),
        Some(p) => format::change_pct(p.pct),
        None => format::NONE.to_string(),
    }
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
    if c.rows.iter().any(|r| r.reason.contains("not called")) {
        out.push(
            "some rows were not called because a round lost CPU to steal or the host moved (see their reasons)".into(),
        );
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
            paired_text(paired(c, r)),
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
    let _ = writeln!(
        out,
        "\nThe verdicts are `compare`'s (Welch on the round figures, family-adjusted); the paired change is the \
         geometric mean of B's round over A's in the same pair (the two processes that ran next to each other), \
         with a Student-t interval on the logarithms, per row and not adjusted for the number of rows (of 20 \
         unchanged rows, about one interval misses 0 by chance; the verdict is the adjusted judgement).\n\n## \
         Per case\n"
    );
    out.push_str(&compare_output::render(c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_ratio_per_pair_is_the_paired_change() {
        // Every pair 10% slower in B, whatever the host did to the pair: +10%, no spread.
        let p = paired_change(&[100.0, 200.0, 150.0], &[110.0, 220.0, 165.0]).unwrap();
        assert!((p.pct - 10.0).abs() < 1e-9, "{p:?}");
        assert!((p.low.unwrap() - 10.0).abs() < 1e-9 && (p.high.unwrap() - 10.0).abs() < 1e-9);
        // Ratios 1.05 and 1.15, twice: log mean 0.094276, sd 0.052523 over 4 pairs,
        // t(0.975, 3) = 3.182446: [exp(0.010703) − 1, exp(0.177849) − 1] = [+1.08%, +19.46%].
        let p = paired_change(&[100.0; 4], &[105.0, 115.0, 105.0, 115.0]).unwrap();
        assert!((p.pct - 9.890).abs() < 0.01, "{p:?}");
        assert!((p.low.unwrap() - 1.076).abs() < 0.01, "{p:?}");
        assert!((p.high.unwrap() - 19.465).abs() < 0.01, "{p:?}");
        assert_eq!(p.pairs, 4);
        // A non-positive figure leaves its pair out; one pair is no interval.
        assert_eq!(paired_change(&[0.0, 100.0], &[1.0, 110.0]), None);
    }
}
