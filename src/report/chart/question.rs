//! The chart of one guide question: one horizontal row per runtime (or runtime and pattern), a
//! dot at its ratio with a whisker for the published 95% interval over paired rounds, or a pale
//! range box for a row whose rounds disagree; a log x axis with a dashed line at 1×. Small
//! (640 px wide) so a brief can show it inline. The report computes the rows; this draws them.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::log_axis;
use super::marks::{self, Along};
use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::palette::RuntimeStyle;

/// The legend's words for a whisker on this chart (the ratio's interval is over paired rounds).
pub const WHISKER_LEGEND: &str = "whisker: 95% interval over paired rounds";
/// The legend's words for a range bar.
pub const RANGE_LEGEND: &str = "bar: unstable row, range of its rounds";

const WIDTH: u32 = 640;
const ROW_PX: u32 = 30;

/// One row of a question's chart: a ratio with its published interval, or a range.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    /// "tokio-ct", or "sequential-keepalive on threads".
    pub label: String,
    /// Colour of the runtime.
    pub style: RuntimeStyle,
    /// The ratio (1.0 for the best row of a "× best" chart).
    pub estimate: f64,
    /// The published 95% interval of the ratio; `None` = no whisker.
    pub interval: Option<(f64, f64)>,
    /// `Some` when the row is unstable: drawn as this range, no point.
    pub range: Option<(f64, f64)>,
}

impl QuestionRow {
    /// How the row is drawn: its range when it has one, else its estimate and interval.
    pub fn mark(&self) -> marks::Mark {
        match self.range {
            Some((lo, hi)) => marks::Mark::Range { lo, hi },
            None => marks::Mark::Value {
                value: self.estimate,
                interval: self.interval,
            },
        }
    }
}

/// One question's chart.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionChart {
    /// File stem under charts/, e.g. "q__fetch_parallel__3".
    pub id: String,
    pub title: String,
    /// X-axis label, e.g. "× fastest, per request (lower is better)".
    pub axis: String,
    pub rows: Vec<QuestionRow>,
}

impl QuestionChart {
    /// The plot's left margin: room for the longest row label.
    fn label_px(&self) -> u32 {
        let longest = self.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(8) as u32;
        (longest * 8 + 16).clamp(80, 280)
    }

    /// Every ratio the chart must show (estimates of drawn points, interval ends, range ends).
    fn extent(&self) -> Vec<f64> {
        self.rows.iter().flat_map(|r| r.mark().extent()).collect()
    }
}

impl Chart for QuestionChart {
    fn stem(&self) -> String {
        render::file_part(&self.id)
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 190 + ROW_PX * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let Some((lo, hi)) = log_axis::range(self.extent(), 1.08).filter(|_| !self.rows.is_empty()) else {
            return render::draw_empty(root, &self.title, "no rows to draw");
        };
        let legend = [
            LegendEntry::new(WHISKER_LEGEND, REFERENCE, Swatch::Whisker),
            LegendEntry::new(RANGE_LEGEND, REFERENCE, Swatch::Range),
            LegendEntry::new("1×", REFERENCE, Swatch::Dashed),
        ];
        let area = render::header(root, &self.title, &legend)?;
        let (margin, right) = (10, 24);
        let label_px = self.label_px();
        let plot_px = (WIDTH - label_px - margin - right) as f64;
        let ticks = log_axis::ticks(lo, hi, plot_px);
        let n = self.rows.len();
        let mut chart = ChartBuilder::on(&area)
            .margin(margin)
            .margin_right(right)
            .x_label_area_size(44)
            .y_label_area_size(label_px)
            // Row 0 at the top: the y axis runs from n down to 0.
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(ticks.clone()),
                render::Ticked::new(0.0..n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
            )?;
        let rows = &self.rows;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| {
                let i = y.floor() as usize;
                n.checked_sub(i + 1)
                    .and_then(|r| rows.get(r))
                    .map(|r| r.label.clone())
                    .unwrap_or_default()
            })
            .x_label_formatter(&|x| log_axis::label(*x, &ticks))
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .x_desc(self.axis.as_str())
            .axis_desc_style((FONT, LABEL_SIZE))
            .draw()?;
        chart.draw_series([DashedPathElement::new(
            vec![(1.0, 0.0), (1.0, n as f64)],
            6,
            4,
            REFERENCE.stroke_width(2),
        )])?;
        let positive = |(a, b): (f64, f64)| (a > 0.0 && b > 0.0).then_some((a, b));
        for (i, row) in rows.iter().enumerate() {
            let at = (n - 1 - i) as f64 + 0.5;
            match row.mark() {
                marks::Mark::Range { lo, hi } => {
                    if let Some(r) = positive((lo, hi)) {
                        marks::range_box(&mut chart, Along::X, r, at, 0.22, row.style.colour)?;
                    }
                }
                marks::Mark::Value { value, interval } => {
                    if let Some(w) = interval.and_then(positive) {
                        marks::whisker(&mut chart, Along::X, w, at, 0.18)?;
                    }
                    if value.is_finite() && value > 0.0 {
                        chart.draw_series([Circle::new((value, at), 5, row.style.colour.filled())])?;
                    }
                }
            }
        }
        Ok(())
    }
}
