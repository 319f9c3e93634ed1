//! One scaling curve chart per pattern of `asyncbench scale`: x = N, y = the per-operation
//! figure, both log scales; a line per runtime (the mean over rounds) with its 95% round interval
//! as a band, and the ideal dashed (or, where the pattern has none, each curve's value at its
//! smallest N, dashed thin in its colour: the line a flat curve would follow). Failed points are
//! never drawn.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use super::sweep_latency::decades;
use crate::report::palette::{self, RuntimeStyle};
use crate::scale::PatternResult;

/// One curve: its style and its measured points (N, mean, interval low, interval high).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub style: RuntimeStyle,
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScalingChart {
    pub pattern: String,
    pub title: String,
    pub figure: String,
    pub ideal: Option<f64>,
    pub curves: Vec<Curve>,
}

impl ScalingChart {
    pub fn new(p: &PatternResult) -> ScalingChart {
        let curves = p
            .series
            .iter()
            .map(|s| {
                let style = palette::style(&s.runtime, false);
                // The runtime's own label (async-std marked legacy) unless a worker count is in it.
                let label = if s.label == s.runtime {
                    style.label.clone()
                } else {
                    s.label.clone()
                };
                Curve {
                    style,
                    label,
                    points: s
                        .points
                        .iter()
                        .filter(|pt| pt.failure.is_none())
                        .filter_map(|pt| {
                            let v = pt.value.as_ref()?;
                            Some((pt.n as f64, v.mean, v.ci_low, v.ci_high))
                        })
                        .collect(),
                }
            })
            .collect();
        ScalingChart {
            pattern: p.pattern.name().to_string(),
            title: p.title.clone(),
            figure: p.figure.clone(),
            ideal: p.ideal,
            curves,
        }
    }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl Chart for ScalingChart {
    fn stem(&self) -> String {
        format!("scaling__{}", render::file_part(&self.pattern))
    }

    fn size(&self) -> (u32, u32) {
        (1000, 620)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = format!("{}: mean over rounds, band = 95% interval", self.title);
        let all = || self.curves.iter().flat_map(|c| c.points.iter());
        let (x_lo, x_hi) = all()
            .map(|p| p.0)
            .filter(|x| positive(*x))
            .fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let (y_lo, y_hi) = all()
            .flat_map(|p| [p.1, p.2, p.3])
            .chain(self.ideal)
            .filter(|y| positive(*y))
            .fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
        if x_hi <= 0.0 || y_hi <= 0.0 {
            return render::draw_empty(root, &title, "no point measured");
        }
        let reference = match self.ideal {
            Some(_) => "ideal",
            None => "flat: each curve's value at its smallest N",
        };
        let legend: Vec<LegendEntry> = self
            .curves
            .iter()
            .map(|c| LegendEntry::new(c.label.clone(), c.style.colour, Swatch::Line))
            .chain([LegendEntry::new(reference, REFERENCE, Swatch::Dashed)])
            .collect();
        let area = render::header(root, &title, &legend)?;
        let (xr, yr) = (decades(x_lo, x_hi.max(x_lo * 10.0)), decades(y_lo, y_hi));
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(xr.clone().log_scale(), yr.clone().log_scale())?;
        chart
            .configure_mesh()
            .x_desc("N")
            .y_desc(self.figure.as_str())
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, LABEL_SIZE))
            .x_label_formatter(&|x| crate::scale::bend::n_text(x.round() as u64))
            .y_label_formatter(&|y| crate::scale::output::num(*y))
            .light_line_style(WHITE)
            .draw()?;
        let clamp = |y: f64| y.clamp(yr.start, yr.end);
        for c in &self.curves {
            let colour = c.style.colour;
            let pts: Vec<_> = c.points.iter().filter(|p| positive(p.0) && positive(p.1)).collect();
            if pts.len() > 1 {
                let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, clamp(p.3))).collect();
                band.extend(pts.iter().rev().map(|p| (p.0, clamp(p.2.max(yr.start)))));
                chart.draw_series([Polygon::new(band, colour.mix(0.18).filled())])?;
            }
            for p in &pts {
                // A whisker too, so a single point (or a band hidden under another) still shows it.
                chart.draw_series([PathElement::new(
                    vec![(p.0, clamp(p.2.max(yr.start))), (p.0, clamp(p.3))],
                    colour.stroke_width(1),
                )])?;
            }
            chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, colour.filled())))?;
            if self.ideal.is_none()
                && let Some(base) = pts.first().map(|p| p.1)
            {
                chart.draw_series([DashedPathElement::new(
                    vec![(xr.start, base), (xr.end, base)],
                    4,
                    4,
                    colour.mix(0.7).stroke_width(1),
                )])?;
            }
        }
        if let Some(i) = self.ideal.filter(|i| positive(*i)) {
            chart.draw_series([DashedPathElement::new(
                vec![(xr.start, i), (xr.end, i)],
                6,
                4,
                REFERENCE.stroke_width(2),
            )])?;
        }
        Ok(())
    }
}
