//! `SCALING.md`: a scale run's `scaling.json` as a report [`Document`] — the scorecard first (one
//! row per pattern: where each runtime bends, in words, and how far to trust it), then per
//! pattern its chart and its table — written by the same Markdown writer as `REPORT.md`. The
//! terminal prints the bend [`Table`].

use std::path::{Path, PathBuf};

use super::markdown;
use super::model::{Block, Document, Span, Table, anchor};
use crate::report::chart::render;
use crate::report::chart::scaling::ScalingChart;
use crate::results::atomic::write_atomic;
use crate::scale::bend::{Bend, n_text};
use crate::scale::output::{ScalingReport, num};
use crate::scale::{PatternResult, Point, Series};
use crate::stats::rounds::{RoundSummary, Stability};

pub const SCALING_MD: &str = "SCALING.md";

fn label(s: &Series) -> String {
    super::sweep::runtime_label(&s.label)
}

/// `3.1× [2.8–3.4]`.
fn ratio_text(r: f64, lo: f64, hi: f64) -> String {
    format!("{}× [{}–{}]", num(r), num(lo), num(hi))
}

/// What a bend is measured against, in words.
fn base_text(base_n: Option<u64>) -> String {
    match base_n {
        Some(n) => format!("its N = {} cost", n_text(n)),
        None => "the ideal".into(),
    }
}

/// A value over rounds as a cell: `12.3 [11.9–12.8]`, an unstable one as its range.
pub fn value_cell(v: &RoundSummary) -> String {
    match v.stability {
        Stability::Unstable | Stability::Bimodal => {
            let (lo, hi) = v
                .rounds
                .iter()
                .map(|r| r.mean)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
            format!("{}–{} (unstable)", num(lo), num(hi))
        }
        _ if v.count < 2 => num(v.mean),
        _ => format!("{} [{}–{}]", num(v.mean), num(v.ci_low), num(v.ci_high)),
    }
}

fn point_cell(p: &Point, f: impl Fn(&Point) -> Option<&RoundSummary>) -> String {
    match (&p.failure, f(p)) {
        (Some(_), _) => "failed".into(),
        (None, Some(v)) => value_cell(v),
        (None, None) => "—".into(),
    }
}

/// A bent curve as the scorecard sorts it: series, N, ratio, its interval, the base's N.
type BendRow<'a> = (&'a Series, u64, f64, f64, f64, Option<u64>);

/// The scorecard's answer for one pattern, in words.
pub fn answer(p: &PatternResult) -> String {
    let mut bends: Vec<BendRow<'_>> = p
        .series
        .iter()
        .filter_map(|s| match s.bend {
            Bend::Bends {
                n,
                base_n,
                ratio,
                ratio_low,
                ratio_high,
                ..
            } => Some((s, n, ratio, ratio_low, ratio_high, base_n)),
            _ => None,
        })
        .collect();
    bends.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
    let mut parts = Vec::new();
    if let Some((s, n, r, lo, hi, base_n)) = bends.first() {
        parts.push(format!(
            "{} bends first, at N = {} ({} {})",
            label(s),
            n_text(*n),
            ratio_text(*r, *lo, *hi),
            base_text(*base_n)
        ));
        let rest: Vec<String> = bends[1..]
            .iter()
            .map(|(s, n, r, ..)| format!("{} at {} ({}×)", label(s), n_text(*n), num(*r)))
            .collect();
        if !rest.is_empty() {
            parts.push(format!("then {}", rest.join(", ")));
        }
    }
    let flat: Vec<String> = p
        .series
        .iter()
        .filter_map(|s| match s.bend {
            Bend::Flat { to_n, max_ratio, .. } => {
                Some(format!("{} to N = {} (≤ {}×)", label(s), n_text(to_n), num(max_ratio)))
            }
            _ => None,
        })
        .collect();
    if !flat.is_empty() {
        parts.push(format!("flat: {}", flat.join(", ")));
    }
    let failed: Vec<String> = p
        .series
        .iter()
        .filter_map(|s| s.failed_at().map(|pt| format!("{} at N = {}", label(s), n_text(pt.n))))
        .collect();
    if !failed.is_empty() {
        parts.push(format!("failed: {}", failed.join(", ")));
    }
    if parts.is_empty() {
        "nothing measured".into()
    } else {
        parts.join("; ")
    }
}

/// How far to trust a pattern's answer: rounds, unstable and failed points, refused N.
pub fn trust(p: &PatternResult, rounds: u32) -> String {
    let pts = || p.series.iter().flat_map(|s| s.points.iter());
    let measured = pts().filter(|pt| pt.value.is_some()).count();
    let unstable = pts()
        .filter(|pt| {
            pt.value
                .as_ref()
                .is_some_and(|v| matches!(v.stability, Stability::Unstable | Stability::Bimodal))
        })
        .count();
    let failed = pts().filter(|pt| pt.failure.is_some()).count();
    let mut t = format!("{rounds} rounds per point; {unstable} of {measured} points unstable");
    if failed > 0 {
        t.push_str(&format!("; {failed} failed"));
    }
    for r in &p.refused {
        t.push_str(&format!("; N = {} refused (open files)", n_text(r.n)));
    }
    t
}

/// The scorecard: one row per pattern.
pub fn scorecard(rep: &ScalingReport) -> Table {
    Table {
        header: vec!["pattern".into(), "where it bends".into(), "trust".into()],
        right: vec![false; 3],
        rows: rep
            .patterns
            .iter()
            .map(|p| vec![p.pattern.name().into(), answer(p), trust(p, rep.settings.rounds)])
            .collect(),
    }
}

/// The bend table the terminal prints: a row per pattern and runtime.
pub fn bend_table(rep: &ScalingReport) -> Table {
    let mut rows = Vec::new();
    for p in &rep.patterns {
        for s in &p.series {
            let (at, ratio, base) = match &s.bend {
                Bend::Bends {
                    n,
                    base_n,
                    base,
                    ratio,
                    ratio_low,
                    ratio_high,
                } => (
                    format!("N = {}", n_text(*n)),
                    ratio_text(*ratio, *ratio_low, *ratio_high),
                    base_cell(*base, *base_n),
                ),
                Bend::Flat {
                    to_n,
                    base_n,
                    base,
                    max_ratio,
                } => (
                    format!("flat to N = {}", n_text(*to_n)),
                    format!("≤ {}×", num(*max_ratio)),
                    base_cell(*base, *base_n),
                ),
                Bend::NoData => ("—".into(), "—".into(), "—".into()),
            };
            let failed = s
                .failed_at()
                .map(|pt| format!("N = {}: {}", n_text(pt.n), pt.failure.as_deref().unwrap_or("")))
                .unwrap_or_else(|| "—".into());
            rows.push(vec![p.pattern.name().into(), label(s), at, ratio, base, failed]);
        }
    }
    Table {
        header: [
            "pattern",
            "runtime",
            "bends at",
            "× base [95% interval]",
            "base",
            "failed at",
        ]
        .map(String::from)
        .to_vec(),
        right: vec![false, false, false, true, true, false],
        rows,
    }
}

fn base_cell(base: f64, base_n: Option<u64>) -> String {
    match base_n {
        Some(n) => format!("{} at N = {}", num(base), n_text(n)),
        None => format!("ideal {}", num(base)),
    }
}

/// A pattern's points: a row per N, a column per runtime, for the figure `f`.
pub fn points_table(p: &PatternResult, f: impl Fn(&Point) -> Option<&RoundSummary> + Copy) -> Table {
    let mut header = vec!["N".to_string()];
    header.extend(p.series.iter().map(label));
    let rows = p
        .ladder
        .iter()
        .map(|&n| {
            let mut row = vec![n_text(n)];
            row.extend(p.series.iter().map(|s| match s.points.iter().find(|pt| pt.n == n) {
                Some(pt) => point_cell(pt, f),
                None if s.failed_at().is_some_and(|pt| pt.n < n) => "not run".into(),
                None => "—".into(),
            }));
            row
        })
        .collect();
    Table {
        right: std::iter::once(false).chain(p.series.iter().map(|_| true)).collect(),
        header,
        rows,
    }
}

fn heading(level: u8, text: impl Into<String>) -> Block {
    let text = text.into();
    Block::Heading {
        level,
        id: anchor(&text),
        text,
    }
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A chart drawn into `charts/`, paths relative to the run directory.
pub struct ScalingChartFile {
    pub pattern: String,
    pub svg: String,
    pub png: String,
}

/// The page of a scale run.
pub fn document(rep: &ScalingReport, charts: &[ScalingChartFile]) -> Document {
    let title = "How cost grows with concurrency".to_string();
    let mut context = format!(
        "Started {} on {} ({} cores); {} rounds per point, each on a fresh runtime; {:.0} s.",
        rep.started, rep.host, rep.cores, rep.settings.rounds, rep.secs
    );
    if rep.interrupted {
        context.push_str(" Interrupted (Ctrl-C): the points below finished, the rest never ran.");
    }
    let mut blocks = vec![
        heading(1, title.clone()),
        Block::Para(vec![text(context)]),
        Block::Table(scorecard(rep)),
        Block::Para(vec![
            Span::Strong("Where it bends: ".into()),
            text(format!(
                "the smallest N whose per-operation figure (mean over rounds) exceeds {}× its base — the \
                 pattern's ideal where it has one, else the runtime's own lowest value at a smaller N (a \
                 batch's fixed cost makes the smallest N dear, so growth counts from the low) while the low \
                 end of its 95% interval over rounds stays above the base; the ratio's interval is that \
                 interval divided by the base; \"flat\" when no N does. A failed point \
                 (an error, a set-up that failed, a round past {} s) is never drawn; its runtime stops there.",
                num(rep.settings.bend_factor),
                rep.settings.round_limit_secs
            )),
        ]),
    ];
    for p in &rep.patterns {
        blocks.push(heading(2, p.pattern.name()));
        blocks.push(Block::Para(vec![text(format!(
            "{}. Figure: {}; dashed: {}.",
            p.title, p.figure, p.expected
        ))]));
        if let Some(c) = charts.iter().find(|c| c.pattern == p.pattern.name()) {
            blocks.push(Block::Chart {
                svg: c.svg.clone(),
                png: c.png.clone(),
                alt: format!("{} vs N", p.pattern.name()),
            });
        }
        blocks.push(Block::Table(points_table(p, |pt| pt.value.as_ref())));
        blocks.push(Block::Para(vec![text("CPU per operation (ns):")]));
        blocks.push(Block::Table(points_table(p, |pt| pt.cpu_ns_per_op.as_ref())));
        if p.series
            .iter()
            .flat_map(|s| &s.points)
            .any(|pt| pt.bytes_per_task.is_some())
        {
            blocks.push(Block::Para(vec![text("Live heap bytes per task:")]));
            blocks.push(Block::Table(points_table(p, |pt| pt.bytes_per_task.as_ref())));
        }
        let failures: Vec<Vec<Span>> = p
            .series
            .iter()
            .filter_map(|s| {
                let pt = s.failed_at()?;
                Some(vec![text(format!(
                    "{} failed at N = {}: {}",
                    label(s),
                    n_text(pt.n),
                    pt.failure.as_deref().unwrap_or("")
                ))])
            })
            .chain(p.refused.iter().map(|r| vec![text(format!("refused: {}", r.why))]))
            .collect();
        if !failures.is_empty() {
            blocks.push(Block::List(failures));
        }
    }
    blocks.push(heading(2, "Bends"));
    blocks.push(Block::Table(bend_table(rep)));
    if !rep.notes.is_empty() {
        blocks.push(Block::List(rep.notes.iter().map(|n| vec![text(n)]).collect()));
    }
    blocks.push(Block::Para(vec![text("Reproduce:")]));
    blocks.push(Block::Code(rep.command.clone()));
    Document { title, blocks }
}

/// Draws one chart per pattern into `dir/charts/` and writes `dir/SCALING.md`; returns its
/// path. A chart that cannot be drawn is reported, not fatal.
pub fn write(dir: &Path, rep: &ScalingReport) -> Result<PathBuf, String> {
    let charts_dir = dir.join(crate::report::CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir).map_err(|e| format!("cannot create {}: {e}", charts_dir.display()))?;
    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let mut charts = Vec::new();
    for p in &rep.patterns {
        match render::render(&ScalingChart::new(p), &charts_dir) {
            Ok(done) => charts.push(ScalingChartFile {
                pattern: p.pattern.name().into(),
                svg: rel(&done.svg),
                png: rel(&done.png),
            }),
            Err(e) => eprintln!("asyncbench: warning: {e}"),
        }
    }
    let md = dir.join(SCALING_MD);
    write_atomic(&md, markdown::render(&document(rep, &charts)).as_bytes()).map_err(|e| e.to_string())?;
    Ok(md)
}
