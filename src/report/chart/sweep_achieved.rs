//! Achieved vs offered rate from a sweep, both on log scales, with the
//! diagonal (achieved = offered) for reference: where a runtime's line
//! leaves the diagonal, the server stopped keeping up. One point per rate:
//! the median achieved rate over its repeats.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use super::sweep_latency::{decades, runtime_legend, runtime_lines};
use crate::report::palette::RuntimeStyle;
use crate::sweep::knee::Verdict;
use crate::sweep::output::SweepReport;

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub runtime: RuntimeStyle,
    /// (offered, achieved, verdict) by offered rate.
    pub points: Vec<(f64, f64, Verdict)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AchievedChart {
    pub route: String,
    pub lines: Vec<Line>,
}

impl AchievedChart {
    pub fn new(rep: &SweepReport) -> AchievedChart {
        let lines = runtime_lines(rep, |v| (v.offered_rps as f64, v.achieved_rps, v.verdict))
            .into_iter()
            .map(|(runtime, points)| Line { runtime, points })
            .collect();
        AchievedChart {
            route: rep.route.clone(),
            lines,
        }
    }
}

impl Chart for AchievedChart {
    fn stem(&self) -> String {
        format!("sweep__{}__achieved", super::sweep_latency::route_part(&self.route))
    }

    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = format!("GET {}: achieved vs offered rate", self.route);
        let vals = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().flat_map(|p| [p.0, p.1]))
            .filter(|v| v.is_finite() && *v > 0.0);
        let (lo, hi) = vals.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        if hi <= 0.0 {
            return render::draw_empty(root, &title, "no steps recorded");
        }
        let legend = runtime_legend(
            self.lines.iter().map(|l| &l.runtime),
            LegendEntry::new("achieved = offered", REFERENCE, Swatch::Line),
        );
        let area = render::header(root, &title, &legend)?;
        let r = decades(lo, hi);
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(r.clone().log_scale(), r.clone().log_scale())?;
        chart
            .configure_mesh()
            .x_desc("offered requests/s")
            .y_desc("achieved requests/s")
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, LABEL_SIZE))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(r.start, r.start), (r.end, r.end)],
            REFERENCE.stroke_width(1),
        ))?;
        for l in &self.lines {
            let c = l.runtime.colour;
            let pts: Vec<_> = l.points.iter().filter(|p| p.0 > 0.0 && p.1 > 0.0).collect();
            chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?;
            for p in pts {
                if p.2 == Verdict::Saturated {
                    chart.draw_series([Cross::new((p.0, p.1), 6, c.stroke_width(2))])?;
                } else {
                    chart.draw_series([Circle::new((p.0, p.1), 3, c.filled())])?;
                }
            }
        }
        Ok(())
    }
}
