//! The top of the report: **Findings** (per scenario its one-line answer with its number, then
//! the run's largest effects: the widest real gaps between runtimes and the cases furthest from
//! their ideal) and **Contents** (a link to every section, scenario and variant). Every figure is
//! one the scenario sections below show; nothing here is computed differently.

use super::model::{Block, Span};
use super::tables::{Gap, gap_test, runtime_cell, timed};
use crate::report::data::{PRIMARY_METRIC, RunData};
use crate::report::format;

/// How many of the run's largest effects of each kind Findings lists.
pub const TOP: usize = 5;

/// The heading text of a scenario's section (its anchor is derived from it).
pub fn scenario_heading(scenario: &str) -> String {
    format!("Scenario {scenario}")
}

/// The heading text of a variant's section.
pub fn variant_heading(scenario: &str, variant: &str) -> String {
    format!("{scenario} / {variant}")
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A link to the section headed `heading`.
pub fn link(label: impl Into<String>, heading: &str) -> Span {
    Span::Link {
        text: label.into(),
        id: super::model::anchor(heading),
        heading: heading.to_string(),
    }
}

/// One line per scenario: with several variants, the fastest variant (on its fastest runtime)
/// against the slowest; with one, its fastest runtime against its slowest.
pub fn scenario_lines(run: &RunData) -> Vec<Vec<Span>> {
    let mut out = Vec::new();
    for scenario in run.scenarios() {
        if let Some(answer) = open_loop_answer(run, scenario) {
            out.push(vec![link(scenario, &scenario_heading(scenario)), text(answer)]);
            continue;
        }
        let mut best: Vec<(&str, &crate::results::CaseResult, f64)> = Vec::new();
        let mut single = None;
        for variant in run.variants(scenario) {
            let t = timed(run, scenario, variant);
            if let Some(&(r, v)) = t.first() {
                best.push((variant, r, v));
            }
            if t.len() > 1 {
                single = Some(t);
            }
        }
        best.sort_by(|a, b| a.2.total_cmp(&b.2));
        let answer = match (best.first(), best.last()) {
            (Some(f), Some(s)) if best.len() > 1 => format!(
                ": {} is fastest, {} on {}{}; {} takes {}, {} on {}.",
                f.0,
                format::duration(f.2),
                runtime_cell(f.1),
                ideal(f.1),
                s.0,
                times(s.2, f.2),
                format::duration(s.2),
                runtime_cell(s.1),
            ),
            (Some(f), _) => match single.as_ref().and_then(|t| t.last()) {
                Some(&(slow, sv)) => format!(
                    ": {} fastest at {}{}; slowest {} at {} ({}).",
                    runtime_cell(f.1),
                    format::duration(f.2),
                    ideal(f.1),
                    runtime_cell(slow),
                    format::duration(sv),
                    times(sv, f.2)
                ),
                None => format!(": {} at {}{}.", runtime_cell(f.1), format::duration(f.2), ideal(f.1)),
            },
            _ => ": no case finished with a successful operation.".to_string(),
        };
        out.push(vec![link(scenario, &scenario_heading(scenario)), text(answer)]);
    }
    out
}

/// An open-loop scenario (its rows carry an uncorrected latency beside the corrected one, as
/// `http_server` and `run --rate` do) runs each batch for a fixed window, so its batch time says
/// nothing; its answer is the p99 of the corrected latency, lowest against highest case.
fn open_loop_answer(run: &RunData, scenario: &str) -> Option<String> {
    if !run.metrics(scenario).contains(&"latency_uncorrected") {
        return None;
    }
    let mut p99: Vec<(&str, &crate::results::CaseResult, f64)> = run
        .variants(scenario)
        .into_iter()
        .flat_map(|v| {
            run.case_rows(scenario, v, crate::report::data::PRIMARY_METRIC)
                .into_iter()
                .filter(|r| r.samples > 0)
                // The row's published p99 (per round, mean over rounds: results/figures.rs);
                // rows written before they published one: the p99 of all their samples.
                .filter_map(move |r| match crate::results::figures::figure_of(r) {
                    crate::results::figures::ValueFigure::P99FromIntended => {
                        crate::results::figures::value_ns(r).map(|p| (v, r, p))
                    }
                    _ => r.latency_ns.as_ref().map(|l| (v, r, l.p99 as f64)),
                })
        })
        .collect();
    p99.sort_by(|a, b| a.2.total_cmp(&b.2));
    let (lo, hi) = (p99.first()?, p99.last()?);
    Some(format!(
        ": open loop, p99 from the intended send time: lowest {} on {} at {}; highest {} on {} at {} ({}).",
        lo.0,
        runtime_cell(lo.1),
        format::duration(lo.2),
        hi.0,
        runtime_cell(hi.1),
        format::duration(hi.2),
        times(hi.2, lo.2)
    ))
}

fn ideal(r: &crate::results::CaseResult) -> String {
    r.measured_over_ideal
        .filter(|x| x.is_finite())
        .map(|x| format!(" ({} its ideal)", format::ratio(Some(x))))
        .unwrap_or_default()
}

/// "8.02× as long": how many times `a` is `b` ("the same" when they agree to 3 significant digits).
fn times(a: f64, b: f64) -> String {
    if b > 0.0 && a / b < 1.005 {
        "the same time (to 3 digits)".to_string()
    } else if b > 0.0 {
        format!("{}× as long", format::sig3(a / b))
    } else {
        format::NONE.to_string()
    }
}

/// The variants whose slowest runtime differs most from their fastest, among those where the
/// difference passes the report's test (Welch on rounds, corrected for every pair, above the
/// minimum detectable effect): (slowest/fastest, line).
pub fn largest_runtime_gaps(run: &RunData) -> Vec<Vec<Span>> {
    let mut gaps = Vec::new();
    for scenario in run.scenarios() {
        for variant in run.variants(scenario) {
            let t = timed(run, scenario, variant);
            let (Some(&(fast, fv)), Some(&(slow, sv))) = (t.first(), t.last()) else {
                continue;
            };
            if t.len() < 2 || fv <= 0.0 {
                continue;
            }
            if let Gap::Real { p, pairs } = gap_test(fast, slow, t.len()) {
                let heading = super::findings::variant_heading(scenario, variant);
                let line = vec![
                    link(&heading, &heading),
                    text(format!(
                        ": {} takes {} as {} ({} against {}; Welch on rounds, {} after correcting for {pairs:.0} \
                         pairs).",
                        runtime_cell(slow),
                        times(sv, fv),
                        runtime_cell(fast),
                        format::duration(sv),
                        format::duration(fv),
                        format::p_value(p)
                    )),
                ];
                gaps.push((sv / fv, line));
            }
        }
    }
    gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    gaps.into_iter().take(TOP).map(|(_, l)| l).collect()
}

/// The cases furthest from their ideal (measured/ideal, largest first).
pub fn furthest_from_ideal(run: &RunData) -> Vec<Vec<Span>> {
    let mut rows: Vec<_> = run
        .summary
        .results
        .iter()
        .filter(|r| r.metric == PRIMARY_METRIC && r.samples > 0)
        .filter_map(|r| r.measured_over_ideal.filter(|x| x.is_finite()).map(|x| (x, r)))
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    // One line per variant (its worst runtime), so one slow variant does not fill the list.
    let mut seen = std::collections::BTreeSet::new();
    rows.retain(|(_, r)| seen.insert((r.scenario.clone(), r.variant.clone())));
    rows.into_iter()
        .take(TOP)
        .map(|(x, r)| {
            let heading = variant_heading(&r.scenario, &r.variant);
            vec![
                link(&heading, &heading),
                text(format!(
                    " on {}: {} its ideal ({}).",
                    runtime_cell(r),
                    format::ratio(Some(x)),
                    // The formula usually ends in its value ("N·D = 160 ms"); else give it.
                    match (&r.ideal_formula, r.ideal_ns) {
                        (Some(f), _) if f.contains('=') => f.clone(),
                        (Some(f), n) => format!("{f} = {}", format::duration_opt(n.map(|n| n as f64))),
                        (None, n) => format!("ideal {}", format::duration_opt(n.map(|n| n as f64))),
                    }
                )),
            ]
        })
        .collect()
}

/// The Findings section's blocks (its heading included).
pub fn findings(run: &RunData, heading: &mut impl FnMut(u8, String) -> Block) -> Vec<Block> {
    let mut out = vec![heading(2, "Findings".into())];
    out.push(Block::Para(vec![text(
        "Per scenario, the one-line answer of this run: the fastest variant (on its fastest runtime) against the \
         slowest, each as measured (mean batch time over rounds). Each links to its section, where the tables, \
         charts and tests behind it are.",
    )]));
    out.push(Block::List(scenario_lines(run)));
    let gaps = largest_runtime_gaps(run);
    out.push(heading(3, "Largest differences between runtimes".into()));
    if gaps.is_empty() {
        out.push(Block::Para(vec![text(
            "None passed the test: no variant's slowest runtime differs from its fastest by more than noise \
             (Welch on rounds, corrected for every pair, and at least the minimum detectable effect).",
        )]));
    } else {
        out.push(Block::Para(vec![text(
            "The variants whose slowest runtime differs most from their fastest, among the differences that are \
             real (Welch on rounds, corrected for every pair, and at least the minimum detectable effect):",
        )]));
        out.push(Block::List(gaps));
    }
    let far = furthest_from_ideal(run);
    if !far.is_empty() {
        out.push(heading(3, "Furthest from the ideal".into()));
        out.push(Block::List(far));
    }
    let s = &run.summary;
    let (failed, with_errors) = (
        s.failures.len()
            + s.results
                .iter()
                .filter(|r| r.metric == PRIMARY_METRIC && r.samples == 0 && r.errors > 0)
                .count(),
        s.results
            .iter()
            .filter(|r| r.metric == PRIMARY_METRIC && r.samples > 0 && r.errors > 0)
            .count(),
    );
    if failed + with_errors > 0 {
        out.push(Block::Para(vec![
            Span::Strong("Errors: ".into()),
            text(format!(
                "{failed} case(s) failed and {with_errors} more had errors; each scenario's warnings name them."
            )),
        ]));
    }
    out
}

/// The Contents section: every top-level section, and per scenario its variants.
pub fn contents(run: &RunData, sections: &[&str]) -> Vec<Vec<Span>> {
    let mut items: Vec<Vec<Span>> = Vec::new();
    for s in sections {
        items.push(vec![link(*s, s)]);
    }
    for scenario in run.scenarios() {
        let mut item = vec![
            link(scenario_heading(scenario), &scenario_heading(scenario)),
            text(": "),
        ];
        for (i, variant) in run.variants(scenario).into_iter().enumerate() {
            if i > 0 {
                item.push(text(" · "));
            }
            item.push(link(variant, &variant_heading(scenario, variant)));
        }
        items.push(item);
    }
    items.push(vec![link("Reproduce", "Reproduce")]);
    items
}
