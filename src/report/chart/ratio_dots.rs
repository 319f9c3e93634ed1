//! What the overview (measured/ideal) and the Python chart (÷ asyncio) share: one row per
//! scenario/variant, one mark per runtime at its own height within the row (a dot with its
//! interval as a whisker, or an unstable row's range box), a log x axis of ratios whose tick
//! labels never overlap, and a dashed reference line at 1×. Each chart keeps its own title, axis
//! words and range; the drawing is written once here.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::log_axis;
use super::marks::{self, Along, Mark};
use super::render::{self, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::palette::{self, RuntimeStyle};

/// One mark: a row (scenario/variant), a runtime (index into the chart's runtimes) and its
/// ratio with its interval, or its range when the row is unstable.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub row: usize,
    pub runtime: usize,
    pub mark: Mark,
}

/// A chart of this kind as its rows are collected: the runtimes it may show, and which got a
/// dot (only those reach the legend; a legacy runtime's label says so).
pub struct Rows<'a> {
    names: Vec<&'a str>,
    styles: Vec<RuntimeStyle>,
    used: Vec<bool>,
    labels: Vec<String>,
    dots: Vec<Dot>,
}

impl<'a> Rows<'a> {
    pub fn new(names: Vec<&'a str>) -> Rows<'a> {
        Rows {
            styles: names.iter().map(|r| palette::style(r, false)).collect(),
            used: vec![false; names.len()],
            names,
            labels: Vec::new(),
            dots: Vec::new(),
        }
    }

    /// The runtimes, in the order a dot's `runtime` indexes them.
    pub fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// Adds the row `label` with its dots, each (runtime index, mark, the runtime is legacy);
    /// a row with no dot is left out.
    pub fn push(&mut self, label: String, dots: Vec<(usize, Mark, bool)>) {
        if dots.is_empty() {
            return;
        }
        let row = self.labels.len();
        for (runtime, mark, legacy) in dots {
            self.used[runtime] = true;
            if legacy {
                self.styles[runtime] = palette::style(self.names[runtime], true);
            }
            self.dots.push(Dot { row, runtime, mark });
        }
        self.labels.push(label);
    }

    /// (rows top to bottom, the runtimes that have a dot, the dots re-indexed to them).
    pub fn finish(self) -> (Vec<String>, Vec<RuntimeStyle>, Vec<Dot>) {
        let keep: Vec<usize> = (0..self.names.len()).filter(|&i| self.used[i]).collect();
        let mut dots = self.dots;
        for d in &mut dots {
            d.runtime = keep.iter().position(|&k| k == d.runtime).unwrap_or(0);
        }
        let styles = keep.into_iter().map(|i| self.styles[i].clone()).collect();
        (self.labels, styles, dots)
    }
}

/// The pixel size of a chart of this kind with `rows` rows.
pub fn size(rows: usize) -> (u32, u32) {
    let h = 170 + ROW_PX * rows.max(4) as u32;
    (WIDTH, h.min(4000))
}

const WIDTH: u32 = 1000;
const ROW_PX: u32 = 24;
const MARGIN: u32 = 12;
const MARGIN_RIGHT: u32 = 30;

/// How one chart of this kind labels and bounds its axis.
pub struct RatioAxis {
    pub title: &'static str,
    /// The legend's name for the 1× line ("ideal (1×)").
    pub reference: &'static str,
    pub x_desc: &'static str,
    /// The axis reaches down to at least this ratio (before the margin).
    pub lo_at_most: f64,
    /// The legend's words for a whisker; `None` when the chart draws none.
    pub whisker: Option<&'static str>,
}

/// True for a ratio a log axis can show.
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// `mark` as a log axis can show it: `None` for a value or range that is not a positive ratio;
/// an interval that is not is dropped (the point still stands).
fn drawable(mark: Mark) -> Option<Mark> {
    match mark {
        Mark::Value { value, interval } => positive(value).then_some(Mark::Value {
            value,
            interval: interval.filter(|&(l, h)| positive(l) && positive(h)),
        }),
        Mark::Range { lo, hi } => (positive(lo) && positive(hi)).then_some(mark),
    }
}

/// Draws `dots` over `rows` (top to bottom) in the colours of `runtimes`. Marks that are not
/// positive finite ratios are left out; the caller draws the empty chart when there are none.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axis: &RatioAxis,
    rows: &[String],
    runtimes: &[RuntimeStyle],
    dots: &[Dot],
) -> DrawResult<DB> {
    let dots: Vec<Dot> = dots
        .iter()
        .filter_map(|d| {
            let mark = drawable(d.mark)?;
            Some(Dot { mark, ..d.clone() })
        })
        .collect();
    let extent = dots.iter().flat_map(|d| d.mark.extent()).chain([axis.lo_at_most]);
    let (lo, hi) = log_axis::range(extent, 1.2).unwrap_or((0.5, 2.0));
    let n = rows.len();
    let longest = rows.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u32;
    let label_px = (longest * 8 + 16).clamp(120, 420);
    let mut legend: Vec<LegendEntry> = runtimes
        .iter()
        .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Dot))
        .collect();
    legend.push(LegendEntry::new(axis.reference, REFERENCE, Swatch::Dashed));
    let has_whisker = dots
        .iter()
        .any(|d| matches!(d.mark, Mark::Value { interval: Some(_), .. }));
    if let Some(words) = axis.whisker.filter(|_| has_whisker) {
        legend.push(LegendEntry::new(words, REFERENCE, Swatch::Whisker));
    }
    if dots.iter().any(|d| matches!(d.mark, Mark::Range { .. })) {
        legend.push(LegendEntry::new(marks::RANGE_LEGEND, REFERENCE, Swatch::Range));
    }
    let area = render::header(root, axis.title, &legend)?;
    let plot_px = WIDTH.saturating_sub(label_px + MARGIN + MARGIN_RIGHT) as f64;
    let ticks = log_axis::ticks(lo, hi, plot_px);
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(40)
        .y_label_area_size(label_px)
        // Row 0 at the top: the y axis runs from n down to 0.
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(ticks.clone()),
            render::Ticked::new(0.0..n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
        )?;
    chart
        .configure_mesh()
        .y_label_formatter(&|y| {
            let i = y.floor() as usize;
            n.checked_sub(i + 1)
                .and_then(|r| rows.get(r))
                .cloned()
                .unwrap_or_default()
        })
        .x_label_formatter(&|x| log_axis::label(*x, &ticks))
        .x_label_style((FONT, TICK_SIZE))
        .y_label_style((FONT, TICK_SIZE))
        .x_desc(axis.x_desc)
        .axis_desc_style((FONT, LABEL_SIZE))
        .draw()?;
    chart.draw_series([DashedPathElement::new(
        vec![(1.0, 0.0), (1.0, n as f64)],
        6,
        4,
        REFERENCE.stroke_width(2),
    )])?;
    let n_rt = runtimes.len().max(1) as f64;
    // Each runtime at its own height within the row, so equal ratios do not hide one another.
    let slot = 0.6 / n_rt;
    for (ri, style) in runtimes.iter().enumerate() {
        let dy = 0.8 - slot * (ri as f64 + 0.5);
        for d in dots.iter().filter(|d| d.runtime == ri) {
            let at = (n - 1 - d.row.min(n - 1)) as f64 + dy;
            match d.mark {
                Mark::Range { lo, hi } => {
                    // Tall enough to read as a box beside a dot, even with many runtimes to a row.
                    let half = (slot * 0.5).clamp(0.07, 0.12);
                    marks::range_box(&mut chart, Along::X, (lo, hi), at, half, style.colour)?;
                }
                Mark::Value { value, interval } => {
                    if let Some(w) = interval {
                        marks::whisker(&mut chart, Along::X, w, at, (slot * 0.4).min(0.12))?;
                    }
                    chart.draw_series([Circle::new((value, at), 5, style.colour.filled())])?;
                }
            }
        }
    }
    Ok(())
}
