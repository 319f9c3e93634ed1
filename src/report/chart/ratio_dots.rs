//! What the overview (measured/ideal) and the Python chart (÷ asyncio) share: one row per
//! scenario/variant, one dot per runtime at its own height within the row, a log x axis of
//! ratios and a dashed reference line at 1×. Each chart keeps its own title, axis words, range
//! and ticks; the drawing is written once here.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::render::{self, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::palette::{self, RuntimeStyle};

/// One dot: a row (scenario/variant), a runtime (index into the chart's runtimes) and its ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub row: usize,
    pub runtime: usize,
    pub ratio: f64,
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

    /// Adds the row `label` with its dots, each (runtime index, ratio, the runtime is legacy);
    /// a row with no dot is left out.
    pub fn push(&mut self, label: String, dots: Vec<(usize, f64, bool)>) {
        if dots.is_empty() {
            return;
        }
        let row = self.labels.len();
        for (runtime, ratio, legacy) in dots {
            self.used[runtime] = true;
            if legacy {
                self.styles[runtime] = palette::style(self.names[runtime], true);
            }
            self.dots.push(Dot { row, runtime, ratio });
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
    let h = 150 + ROW_PX * rows.max(4) as u32;
    (1000, h.min(4000))
}

const ROW_PX: u32 = 24;

/// How one chart of this kind labels and bounds its axis.
pub struct RatioAxis {
    pub title: &'static str,
    /// The legend's name for the 1× line ("ideal (1×)").
    pub reference: &'static str,
    pub x_desc: &'static str,
    /// The axis reaches down to at least this ratio (before the 0.8 margin).
    pub lo_at_most: f64,
    /// The range when the dots give none.
    pub fallback: (f64, f64),
    /// Add 1.1/1.2/1.5/3 between the 1-2-5 ticks while the range is narrow (under 30×).
    pub fine_ticks: bool,
    /// Decimals of the tick labels before trailing zeros are dropped.
    pub decimals: usize,
}

/// Draws `dots` over `rows` (top to bottom) in the colours of `runtimes`. Dots that are not a
/// positive finite ratio are left out; the caller draws the empty chart when there are none.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axis: &RatioAxis,
    rows: &[String],
    runtimes: &[RuntimeStyle],
    dots: &[Dot],
) -> DrawResult<DB> {
    let dots: Vec<&Dot> = dots.iter().filter(|d| d.ratio.is_finite() && d.ratio > 0.0).collect();
    let lo = dots
        .iter()
        .map(|d| d.ratio)
        .fold(f64::INFINITY, f64::min)
        .min(axis.lo_at_most)
        * 0.8;
    let hi = dots.iter().map(|d| d.ratio).fold(0.0, f64::max).max(2.0) * 1.25;
    let (lo, hi) = render::safe_range(lo, hi, axis.fallback);
    let n = rows.len();
    let longest = rows.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u32;
    let mut legend: Vec<LegendEntry> = runtimes
        .iter()
        .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Dot))
        .collect();
    legend.push(LegendEntry::new(axis.reference, REFERENCE, Swatch::Dashed));
    let area = render::header(root, axis.title, &legend)?;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(40)
        .y_label_area_size((longest * 8 + 16).clamp(120, 420))
        // Row 0 at the top: the y axis runs from n down to 0.
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(ticks(lo, hi, axis.fine_ticks)),
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
        .x_label_formatter(&|x| label(*x, axis.decimals))
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
    for (ri, style) in runtimes.iter().enumerate() {
        // Each runtime at its own height within the row, so equal ratios do not hide one another.
        let dy = 0.8 - 0.6 * (ri as f64 + 0.5) / n_rt;
        chart.draw_series(dots.iter().filter(|d| d.runtime == ri).map(|d| {
            Circle::new(
                (d.ratio, (n - 1 - d.row.min(n - 1)) as f64 + dy),
                5,
                style.colour.filled(),
            )
        }))?;
    }
    Ok(())
}

/// Ticks for a ratio axis: 1-2-5 per decade over [lo, hi], with 1.1/1.2/1.5/3 added when `fine`
/// and the range is narrow enough for them to matter.
fn ticks(lo: f64, hi: f64, fine: bool) -> Vec<f64> {
    let mut out = Vec::new();
    let fine = fine && hi / lo < 30.0;
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi && out.len() < 40 {
        let steps: &[f64] = if fine {
            &[1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        out.extend(steps.iter().map(|s| s * decade).filter(|t| *t >= lo && *t <= hi));
        decade *= 10.0;
    }
    out
}

/// "0.01×", "1.5×", "20×": `decimals` places, trailing zeros dropped.
fn label(x: f64, decimals: usize) -> String {
    let mut s = format!("{x:.decimals$}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s}×")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_axis_ticks_and_labels() {
        assert_eq!(ticks(0.8, 2.5, true), vec![1.0, 1.1, 1.2, 1.5, 2.0]);
        assert_eq!(
            ticks(0.8, 500.0, true),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(ticks(0.08, 2.5, false), vec![0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!((label(1.5, 2), label(20.0, 2)), ("1.5×".into(), "20×".into()));
        assert_eq!(
            (label(0.01, 3), label(2.0, 3), label(0.5, 3)),
            ("0.01×".into(), "2×".into(), "0.5×".into())
        );
    }
}
