//! The top of the report: **Findings** (per scenario the comparisons it declares to answer its
//! guide section, each on one unit of work with its ratio and interval over rounds, then the
//! run's largest effects: the widest real gaps between runtimes and the cases furthest from
//! their ideal) and **Contents** (a link to every section, scenario and variant). Every figure
//! is one the scenario sections below show; a row whose rounds disagree is shown as its range,
//! never as one mean.

use super::model::{Block, Span};
use super::tables::{Gap, gap_test, runtime_cell, timed};
use crate::report::data::{PRIMARY_METRIC, RunData};
use crate::report::format;
use crate::results::{CaseResult, Compared, Comparison, Figure, Side, figures};
use crate::stats::ratio::{Ratio, paired_ratio};

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

/// What a row's value is divided by to give its figure per unit of work (the definitions are
/// [`figures`]'s): a batch time by the operations one batch performs; a latency quantile or a
/// metric's median is per operation already (1), as is a batch time whose row does not say.
pub(crate) fn divisor(r: &CaseResult) -> f64 {
    match r.ops_per_batch {
        Some(n) if n > 0 && figures::figure_of(r).is_batch_time() => n as f64,
        _ => 1.0,
    }
}

/// "per request", "per batch", "median per round": what a row's per-unit figure is per.
pub fn per_label(r: &CaseResult) -> String {
    let figure = figures::figure_of(r);
    match (&r.throughput_unit, r.ops_per_batch) {
        // A batch of N concurrent operations divided by N is not one operation's latency: the
        // label says what was divided ("per sleep (batch ÷ 8)"), one at a time or not.
        (Some(u), Some(n)) if n > 0 && figure.is_batch_time() => format!("per {} (batch ÷ {n})", singular(u)),
        _ if figure.is_batch_time() => "per batch".into(),
        _ => figure.label().to_string(),
    }
}

/// "requests" → "request", "deliveries" → "delivery", "children" → "child".
fn singular(unit: &str) -> String {
    if let Some(s) = unit.strip_suffix("children") {
        format!("{s}child")
    } else if let Some(s) = unit.strip_suffix("ies") {
        format!("{s}y")
    } else {
        unit.strip_suffix('s').unwrap_or(unit).to_string()
    }
}

/// The row's figure in each round, per unit of work.
fn per_round(r: &CaseResult) -> Vec<f64> {
    let d = divisor(r);
    r.rounds
        .as_ref()
        .map(|x| x.rounds.iter().map(|k| k.mean / d).collect())
        .unwrap_or_default()
}

/// The row's value per unit of work.
fn per_unit_value(r: &CaseResult) -> Option<f64> {
    Some(figures::value_ns(r)? / divisor(r)).filter(|v| v.is_finite())
}

/// A row's value per unit of work as a reader may cite it ([`format::value_short`](crate::report::format::value_short) per unit):
/// the value when the rounds agree; when they disagree, their range with its marker, never
/// one number.
pub fn time_text(r: &CaseResult) -> String {
    let d = divisor(r);
    match figures::value(r) {
        Some(v) if !v.citable() => match v.range {
            Some((lo, hi)) => format::range(lo / d, hi / d),
            None => format::duration(v.value / d),
        },
        Some(v) => format::duration(v.value / d),
        None => format::NONE.to_string(),
    }
}

/// One row's figure for a comparison: its value, its per-round values (empty where the
/// figure has no rounds) and how to print it.
struct Read {
    point: f64,
    rounds: Vec<f64>,
    text: String,
}

fn read(r: &CaseResult, figure: &Figure) -> Option<Read> {
    let read = match figure {
        Figure::PerUnit => Read {
            point: per_unit_value(r)?,
            rounds: per_round(r),
            text: time_text(r),
        },
        Figure::Value(key) => {
            let v = *r.values.get(key)?;
            let text = if key.contains("bytes") {
                format!("{} B", format::number(v))
            } else {
                format::number(v)
            };
            Read {
                point: v,
                rounds: Vec::new(),
                text,
            }
        }
    };
    (read.point.is_finite() && read.point > 0.0).then_some(read)
}

/// a/b: paired over rounds where both have them, else the one-figure ratio without interval.
fn ratio_of(a: &Read, b: &Read) -> Option<Ratio> {
    if !a.rounds.is_empty() && !b.rounds.is_empty() {
        return paired_ratio(&a.rounds, &b.rounds);
    }
    Some(Ratio {
        estimate: a.point / b.point,
        interval: None,
        pairs: 0,
    })
}

/// "0.127× [0.121–0.133], a real difference" or "1.01× [1.00–1.02] ≈ (Δ +1.0%)": a ratio, its 95%
/// interval over rounds and what it says by the report's one verdict rule
/// ([`answers::judge`](crate::report::answers::judge)), given the rows' larger MDE.
pub fn ratio_text(r: &Ratio, mde_pct: Option<f64>) -> String {
    use crate::report::answers::{Word, judge, ratio_words};
    match (r.interval, judge(r, mde_pct)) {
        (Some(_), Word::Real) => format!("{}, a real difference", ratio_words(r, Word::Real)),
        (Some(_), w) => ratio_words(r, w),
        (None, _) if r.pairs == 1 => format!("{} (one round: no interval, no claim)", format::ratio(Some(r.estimate))),
        (None, _) => format!(
            "{} (one figure per row: no interval, no claim)",
            format::ratio(Some(r.estimate))
        ),
    }
}

/// "join_all-keepalive" or "in_time [unwrapped]".
pub(crate) fn side_label(s: &Side) -> String {
    if s.metric == PRIMARY_METRIC {
        s.variant.clone()
    } else {
        format!("{} [{}]", s.variant, s.metric)
    }
}

pub(crate) fn rows_of<'a>(run: &'a RunData, scenario: &str, s: &Side) -> Vec<&'a CaseResult> {
    run.case_rows(scenario, &s.variant, &s.metric)
        .into_iter()
        .filter(|r| r.samples > 0)
        .collect()
}

/// One declared comparison as a line, `None` when the run has no rows to compare.
pub fn comparison_line(run: &RunData, scenario: &str, c: &Comparison) -> Option<String> {
    let unit = |r: &CaseResult| match c.figure {
        Figure::PerUnit => per_label(r),
        Figure::Value(_) => "per row".into(),
    };
    match &c.compared {
        Compared::Rows { subject, baseline } => {
            let base = rows_of(run, scenario, baseline);
            let mut parts = Vec::new();
            let mut per = None;
            for s in rows_of(run, scenario, subject) {
                // The baseline of the same runtime, or its only row (a variant run on one runtime).
                let b =
                    base.iter()
                        .find(|b| b.runtime == s.runtime)
                        .or(if base.len() == 1 { base.first() } else { None });
                let Some(b) = b else { continue };
                let (Some(x), Some(y)) = (read(s, &c.figure), read(b, &c.figure)) else {
                    continue;
                };
                let Some(ratio) = ratio_of(&x, &y) else { continue };
                per.get_or_insert_with(|| unit(s));
                let against = if b.runtime == s.runtime {
                    String::new()
                } else {
                    format!(" on {}", runtime_cell(b))
                };
                parts.push(format!(
                    "{}: {} ({} vs {}{against}){}",
                    runtime_cell(s),
                    ratio_text(&ratio, crate::report::answers::mde_of(s, b)),
                    x.text,
                    y.text,
                    placement_text(s).map_or(String::new(), |p| format!(", {p}"))
                ));
            }
            let per = per?;
            Some(format!(
                "{} — {} / {} ({per}): {}.",
                c.question,
                side_label(subject),
                side_label(baseline),
                parts.join("; ")
            ))
        }
        Compared::Runtimes { side } => {
            let mut rows: Vec<(&CaseResult, Read)> = rows_of(run, scenario, side)
                .into_iter()
                .filter_map(|r| read(r, &c.figure).map(|x| (r, x)))
                .collect();
            rows.sort_by(|a, b| a.1.point.total_cmp(&b.1.point));
            let ((fast, f), rest) = rows.split_first()?;
            let lead = crate::report::answers::best_word(&c.figure);
            let head = format!(
                "{} — {} ({}): {lead} {} at {}",
                c.question,
                side_label(side),
                unit(fast),
                runtime_cell(fast),
                f.text
            );
            if rest.is_empty() {
                return Some(format!("{head} (one runtime: nothing to compare)."));
            }
            let parts: Vec<String> = rest
                .iter()
                .filter_map(|(r, x)| {
                    let ratio = ratio_of(x, f)?;
                    Some(format!(
                        "{} {} ({})",
                        runtime_cell(r),
                        ratio_text(&ratio, crate::report::answers::mde_of(r, fast)),
                        x.text
                    ))
                })
                .collect();
            Some(format!("{head}; against it: {}.", parts.join("; ")))
        }
    }
}

/// Where a row's offloaded work could run and how much CPU it asked for, from the values the
/// scenario read back (cpu_offload: the offload threads' masks, the loop's, and the jobs' CPU
/// demand = jobs completed per second × one job's CPU time alone): the reason an offload does or
/// does not leave the loop its CPU. `None` for rows without those values.
pub fn placement_text(r: &CaseResult) -> Option<String> {
    let v = |k: &str| r.values.get(k).copied();
    let (free, all) = (v("offload_cpus_not_loop")?, v("offload_cpus")?);
    let demand = v("cpu_jobs_per_s")? * v("cpu_job_ns")? / 1e9;
    let verdict = if demand > free {
        "more than the CPUs free of the loop, so job threads must have shared the loop's CPU"
    } else {
        "within the CPUs free of the loop, so they need not have shared its CPU (other load on the machine aside)"
    };
    Some(format!(
        "offload threads on {all:.0} CPUs, {free:.0} not the loop's (read back); the jobs used {demand:.2} CPUs' worth \
         (jobs/s × one job's CPU), {verdict}"
    ))
}

/// One scenario's lines, one per comparison it declared, for its own page.
pub fn scenario_lines_of(run: &RunData, scenario: &str) -> Vec<Vec<Span>> {
    let declared = run
        .summary
        .scenarios
        .get(scenario)
        .map(|i| i.comparisons.as_slice())
        .unwrap_or_default();
    let mut out: Vec<Vec<Span>> = declared
        .iter()
        .filter_map(|c| comparison_line(run, scenario, c))
        .map(|l| vec![text(l)])
        .collect();
    if out.is_empty() {
        let answer = open_loop_answer(run, scenario).unwrap_or_else(|| {
            if declared.is_empty() {
                ": the summary declares no comparison for it (written before scenarios declared theirs, or a run \
                 built from options); the tables below have the figures."
                    .to_string()
            } else {
                ": none of its declared comparisons has rows on both sides in this run.".to_string()
            }
        });
        out.push(vec![text(answer.trim_start_matches(": ").to_string())]);
    }
    out
}

/// An open-loop run without declared comparisons (`run --rate`: its rows carry an uncorrected
/// latency beside the corrected one) runs each batch for a fixed window, so its batch time says
/// nothing; its answer is the p99 of the corrected latency, lowest against highest case.
fn open_loop_answer(run: &RunData, scenario: &str) -> Option<String> {
    if !run.metrics(scenario).contains(&"latency_uncorrected") {
        return None;
    }
    let mut p99: Vec<(&str, &CaseResult, f64)> = run
        .variants(scenario)
        .into_iter()
        .flat_map(|v| {
            run.case_rows(scenario, v, PRIMARY_METRIC)
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
                    super::build::page_link(&heading, scenario),
                    text(format!(
                        ": {} takes {} as {} ({} against {}, {}; Welch on rounds, {} after correcting for {pairs:.0} \
                         pairs).",
                        runtime_cell(slow),
                        times(sv, fv),
                        runtime_cell(fast),
                        time_text(slow),
                        time_text(fast),
                        per_label(fast),
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

/// measured/ideal as a reader may cite it: the ratio when the rounds agree, else the range of
/// the rounds over the ideal.
fn over_ideal_text(r: &CaseResult, x: f64) -> String {
    match (figures::value(r), r.ideal_ns) {
        (Some(v), Some(i)) if !v.citable() && i > 0 => match v.range {
            Some((lo, hi)) => format!(
                "{}–{} {}",
                format::ratio(Some(lo / i as f64)),
                format::ratio(Some(hi / i as f64)),
                format::RANGE_MARK
            ),
            None => format::ratio(Some(x)),
        },
        _ => format::ratio(Some(x)),
    }
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
                super::build::page_link(&heading, &r.scenario),
                text(format!(
                    " on {}: {} its ideal ({}).",
                    runtime_cell(r),
                    over_ideal_text(r, x),
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
    let mut out = vec![heading(2, "Largest effects".into())];
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

#[cfg(test)]
mod tests {
    use super::*;

    fn offload_row(jobs_per_s: f64, job_ns: f64, not_loop: f64) -> CaseResult {
        let mut r = CaseResult::default();
        for (k, v) in [
            ("cpu_jobs_per_s", jobs_per_s),
            ("cpu_job_ns", job_ns),
            ("offload_cpus", 2.0),
            ("offload_cpus_not_loop", not_loop),
        ] {
            r.values.insert(k.into(), v);
        }
        r
    }

    /// Planted: 1,700 jobs/s of 0.9 ms each ask for 1.53 CPUs; with one CPU free of the loop the
    /// line says the loop's CPU was shared; 1,000 jobs/s (0.90 CPUs) fit.
    #[test]
    fn placement_text_states_the_demand_against_the_free_cpus() {
        let busy = placement_text(&offload_row(1_700.0, 900_000.0, 1.0)).unwrap();
        assert!(busy.contains("2 CPUs, 1 not the loop's"), "{busy}");
        assert!(busy.contains("1.53 CPUs' worth"), "{busy}");
        assert!(busy.contains("shared the loop's CPU"), "{busy}");
        let fits = placement_text(&offload_row(1_000.0, 900_000.0, 1.0)).unwrap();
        assert!(fits.contains("0.90 CPUs' worth") && fits.contains("within"), "{fits}");
        // On a -mt runtime the loop's mask is every CPU: nothing is free of it.
        let none = placement_text(&offload_row(1_000.0, 900_000.0, 0.0)).unwrap();
        assert!(none.contains("0 not the loop's") && none.contains("shared"), "{none}");
        assert_eq!(placement_text(&CaseResult::default()), None);
    }
}
