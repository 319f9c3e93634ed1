//! The latency percentile spectrum of one scenario × variant × metric, the classic
//! HdrHistogram plot: x is 1/(1-percentile) on a log scale, labelled p50, p90 … p99.99, so each
//! decade is "one more nine"; y is the latency; one line per runtime, read from the `.hgrm`
//! files. The same kind draws the responsiveness probes (metrics `sched_delay`, `timer_lateness`) and any other timed
//! metric a scenario records. A line is a row's whole distribution (its `.hgrm`), not its
//! published value, so no whisker or range belongs on it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, Swatch, TICK_SIZE};
use crate::report::data::RunData;
use crate::report::format::TimeUnit;
use crate::report::palette::{self, RuntimeStyle};

/// The x axis always reaches p99.99 (x = 10⁴), the last label the reader expects, and goes
/// further only when a line has data beyond it.
const MIN_X_MAX: f64 = 1e4;
/// Beyond p99.9999 a benchmark has no business plotting.
const MAX_X_MAX: f64 = 1e7;

/// One runtime's spectrum: (1/(1-q), value in ns) points in increasing q.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub runtime: RuntimeStyle,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumChart {
    pub scenario: String,
    pub variant: String,
    pub metric: String,
    pub lines: Vec<Line>,
}

impl SpectrumChart {
    /// The spectrum of every runtime of one scenario × variant × metric that has an `.hgrm`.
    pub fn from_run(run: &RunData, scenario: &str, variant: &str, metric: &str) -> SpectrumChart {
        let lines = run
            .case_rows(scenario, variant, metric)
            .into_iter()
            .filter_map(|row| {
                let rows = run.hgrm(row)?;
                Some(Line {
                    runtime: palette::style(&row.runtime, row.legacy),
                    // The 100% row has no finite 1/(1-q); the max is in the tables instead, as
                    // HdrHistogram's own plotter does. `.hgrm` values are microseconds.
                    points: rows
                        .iter()
                        .filter(|(_, q, _)| *q < 1.0)
                        .map(|&(us, q, _)| (1.0 / (1.0 - q), us * 1e3))
                        .collect(),
                })
            })
            .collect();
        SpectrumChart {
            scenario: scenario.to_string(),
            variant: variant.to_string(),
            metric: metric.to_string(),
            lines,
        }
    }

    fn title(&self) -> String {
        format!("{} / {}: {} by percentile", self.scenario, self.variant, self.metric)
    }
}

/// The label of a decade on the x axis: 1 → "min", 2 → "p50", 10 → "p90", 100 → "p99" …
pub fn percentile_label(x: f64) -> String {
    if !(x.is_finite() && x >= 1.0) {
        return String::new();
    }
    if x < 1.5 {
        return "min".to_string();
    }
    let q = 100.0 * (1.0 - 1.0 / x);
    // Shortest decimal that names the tick (99.9, not 99.900000001).
    let mut s = format!("{q:.6}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("p{s}")
}

impl Chart for SpectrumChart {
    fn stem(&self) -> String {
        [&self.scenario, &self.variant, &self.metric]
            .map(|s| render::file_part(s))
            .join("__")
    }

    fn size(&self) -> (u32, u32) {
        (900, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let ok = |&(x, y): &(f64, f64)| x.is_finite() && x >= 1.0 && y.is_finite() && y >= 0.0;
        let lines: Vec<(&RuntimeStyle, Vec<(f64, f64)>)> = self
            .lines
            .iter()
            .map(|l| (&l.runtime, l.points.iter().copied().filter(ok).collect::<Vec<_>>()))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        let y_top = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
            .fold(0.0, f64::max);
        if lines.is_empty() {
            return render::draw_empty(root, &self.title(), "no samples recorded");
        }
        let x_data = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|&(x, _)| x))
            .fold(1.0, f64::max);
        // Round up to a whole decade so the last label sits at the axis end.
        let x_max = 10f64.powf(x_data.log10().ceil()).clamp(MIN_X_MAX, MAX_X_MAX);
        let unit = TimeUnit::for_value(y_top);
        let y_min = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
            .fold(f64::INFINITY, f64::min);
        // Start at zero unless every value sits high above it: then a zero-based axis squashes
        // the runtimes into one flat band, and the tick labels carry the offset instead.
        let y_floor = if y_min > 0.5 * y_top {
            y_min - (y_top - y_min).max(y_top * 0.02) * 0.5
        } else {
            0.0
        };
        let (y_lo, y_max) = render::safe_range(
            y_floor / unit.ns,
            (y_top + (y_top - y_floor) * 0.08) / unit.ns,
            (0.0, 1.0),
        );

        let mut ticks = vec![1.0, 2.0];
        let mut d = 10.0;
        while d <= x_max {
            ticks.push(d);
            d *= 10.0;
        }
        let legend: Vec<LegendEntry> = lines
            .iter()
            .map(|(r, _)| LegendEntry::new(r.label.clone(), r.colour, Swatch::Line))
            .collect();
        let area = render::header(root, &self.title(), &legend)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d((1.0..x_max).log_scale().with_key_points(ticks), y_lo..y_max)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| percentile_label(*x))
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .x_desc("percentile (log scale of 1/(1-p))")
            .y_desc(format!("{} ({})", self.metric, unit.name))
            .axis_desc_style((FONT, LABEL_SIZE))
            .light_line_style(WHITE)
            .draw()?;
        for (style, points) in lines {
            let points: Vec<(f64, f64)> = points.into_iter().map(|(x, y)| (x, y / unit.ns)).collect();
            if points.len() < 3 {
                // Too few points for a line to show: mark them.
                let marks = points.iter().map(|&p| Circle::new(p, 4, style.colour.filled()));
                chart.draw_series(marks)?;
            }
            chart.draw_series(LineSeries::new(points, style.colour.stroke_width(2)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_are_labelled_as_percentiles() {
        let labels: Vec<String> = [1.0, 2.0, 10.0, 100.0, 1e3, 1e4, 1e5].map(percentile_label).to_vec();
        assert_eq!(labels, ["min", "p50", "p90", "p99", "p99.9", "p99.99", "p99.999"]);
        assert_eq!(percentile_label(f64::NAN), "");
        assert_eq!(percentile_label(0.5), "");
    }
}
