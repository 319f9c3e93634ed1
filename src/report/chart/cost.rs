//! Cost vs latency of one scenario: one point per variant × runtime, CPU time per operation of
//! the side under test (x) against the row's p50 latency (y), both on log axes (the variants of
//! one scenario differ by orders of magnitude), coloured by runtime. A point to the right of
//! another at the same height bought the same latency with more CPU. Both figures are the
//! row's cost-table columns (CPU over the measured window, p50 of the pooled histogram), not its
//! value over rounds, so no whisker or range is drawn for them.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, Swatch, TICK_SIZE};
use crate::report::data::RunData;
use crate::report::format;
use crate::report::palette::{self, RuntimeStyle};

/// One case: its CPU per operation and its p50 latency, ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub runtime: usize,
    pub variant: String,
    pub cpu_ns: f64,
    pub p50_ns: f64,
}

/// Above this many points the variant labels would overlap: points only.
const MAX_LABELS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct CostChart {
    pub scenario: String,
    pub runtimes: Vec<RuntimeStyle>,
    pub points: Vec<Point>,
}

impl CostChart {
    /// The primary rows of `scenario` that carry both a cost and a latency.
    pub fn from_run(run: &RunData, scenario: &str) -> CostChart {
        let mut runtimes: Vec<RuntimeStyle> = Vec::new();
        let mut points = Vec::new();
        for rt in run.runtimes() {
            for v in run.variants(scenario) {
                let Some(row) = run.primary(scenario, v, rt) else {
                    continue;
                };
                let (Some(c), Some(l)) = (&row.cost, &row.latency_ns) else {
                    continue;
                };
                let ri = match runtimes.iter().position(|s| s.name == rt) {
                    Some(i) => i,
                    None => {
                        runtimes.push(palette::style(rt, row.legacy));
                        runtimes.len() - 1
                    }
                };
                points.push(Point {
                    runtime: ri,
                    variant: v.to_string(),
                    cpu_ns: c.cpu_ns_per_op,
                    p50_ns: l.p50 as f64,
                });
            }
        }
        CostChart {
            scenario: scenario.to_string(),
            runtimes,
            points,
        }
    }

    /// Whether there is anything to draw (runs without cost have nothing).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn title(&self) -> String {
        format!("{}: CPU per operation vs p50 latency", self.scenario)
    }
}

impl Chart for CostChart {
    fn stem(&self) -> String {
        format!("{}__cost", render::file_part(&self.scenario))
    }

    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let pts: Vec<&Point> = self
            .points
            .iter()
            .filter(|p| p.cpu_ns.is_finite() && p.p50_ns.is_finite() && p.cpu_ns > 0.0 && p.p50_ns > 0.0)
            .collect();
        if pts.is_empty() {
            return render::draw_empty(root, &self.title(), "no case with both a cost and a latency");
        }
        let span = |v: &mut dyn Iterator<Item = f64>| {
            let (lo, hi) = v.fold((f64::INFINITY, 0.0_f64), |(a, b), x| (a.min(x), b.max(x)));
            // Half a decade of room either side; a single value still gets a range.
            (lo / 2.0, hi * 2.0)
        };
        let (x0, x1) = span(&mut pts.iter().map(|p| p.cpu_ns));
        let (y0, y1) = span(&mut pts.iter().map(|p| p.p50_ns));
        let legend: Vec<LegendEntry> = self
            .runtimes
            .iter()
            .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Dot))
            .collect();
        let area = render::header(root, &self.title(), &legend)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format::duration(*x))
            .y_label_formatter(&|y| format::duration(*y))
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .x_desc("CPU per operation, side under test (log)")
            .y_desc("p50 latency (log)")
            .axis_desc_style((FONT, LABEL_SIZE))
            .draw()?;
        for (ri, style) in self.runtimes.iter().enumerate() {
            let colour = style.colour;
            chart.draw_series(
                pts.iter()
                    .filter(|p| p.runtime == ri)
                    .map(|p| Circle::new((p.cpu_ns, p.p50_ns), 6, colour.filled())),
            )?;
            // Variant names only where they stay readable; the cost tables name every point.
            let labelled = pts.len() <= MAX_LABELS;
            chart.draw_series(pts.iter().filter(|p| labelled && p.runtime == ri).map(|p| {
                Text::new(
                    p.variant.clone(),
                    (p.cpu_ns * 1.08, p.p50_ns),
                    (FONT, TICK_SIZE - 2).into_font().color(&colour),
                )
            }))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_points_and_copes_with_none() {
        let dir = tempfile::tempdir().unwrap();
        let c = CostChart {
            scenario: "s".into(),
            runtimes: vec![palette::style("tokio-ct", false), palette::style("smol-ct", false)],
            points: vec![
                Point {
                    runtime: 0,
                    variant: "a".into(),
                    cpu_ns: 2_000.0,
                    p50_ns: 50_000.0,
                },
                Point {
                    runtime: 1,
                    variant: "a".into(),
                    cpu_ns: 4_000.0,
                    p50_ns: 52_000.0,
                },
            ],
        };
        let r = render::render(&c, dir.path()).unwrap();
        assert!(std::fs::read_to_string(&r.svg).unwrap().contains("<circle"));
        let empty = CostChart { points: vec![], ..c };
        assert!(empty.is_empty());
        render::render(&empty, dir.path()).unwrap();
    }
}
