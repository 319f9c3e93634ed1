//! Latency vs offered rate from a sweep: three panels (p50, p99, p99.9 from
//! the intended send time), x the offered rate and y the latency, both on log
//! scales; one line per runtime, one point per rate (the medians over its
//! repeats, marked by the verdict decided over them). A saturated step is drawn as a cross, a
//! generator-bound one as a hollow circle; the p99 panel carries the SLO and, with repeats, a
//! vertical bar from the lowest to the highest p99 of the repeats (the rates table's columns).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::palette::{self, RuntimeStyle};
use crate::sweep::RateVerdict;
use crate::sweep::knee::Verdict;
use crate::sweep::output::SweepReport;

/// One runtime's steps: (offered rate, [p50, p99, p99.9] µs, verdict), by rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub runtime: RuntimeStyle,
    pub points: Vec<(f64, [f64; 3], Verdict)>,
    /// Per point, the lowest and highest p99 of its repeats (µs).
    pub p99_range: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LatencyVsRateChart {
    pub route: String,
    pub slo_us: f64,
    /// Steps per rate: each point is the median over them.
    pub repeats: u32,
    pub lines: Vec<Line>,
}

pub const PANELS: [&str; 3] = ["p50", "p99", "p99.9"];

impl LatencyVsRateChart {
    pub fn new(rep: &SweepReport) -> LatencyVsRateChart {
        let lines = runtime_lines(rep, |v| {
            let point = (v.offered_rps as f64, [v.p50_us, v.p99_us, v.p999_us], v.verdict);
            (point, v.p99_us_range)
        })
        .into_iter()
        .map(|(runtime, steps)| {
            let (points, p99_range) = steps.into_iter().unzip();
            Line {
                runtime,
                points,
                p99_range,
            }
        })
        .collect();
        LatencyVsRateChart {
            route: rep.route.clone(),
            slo_us: rep.settings.slo_p99.as_secs_f64() * 1e6,
            repeats: rep.settings.repeats.max(1),
            lines,
        }
    }
}

/// Per runtime of a sweep, its style and what `point` reads of each rate (the medians over the
/// rate's repeats and the verdict decided over them), by rate: both sweep charts' lines.
pub fn runtime_lines<T>(rep: &SweepReport, point: impl Fn(&RateVerdict) -> T) -> Vec<(RuntimeStyle, Vec<T>)> {
    rep.runtimes
        .iter()
        .map(|r| (palette::style(&r.runtime, false), r.rates.iter().map(&point).collect()))
        .collect()
}

/// A legend entry per runtime line, then `last`.
pub fn runtime_legend<'a>(styles: impl Iterator<Item = &'a RuntimeStyle>, last: LegendEntry) -> Vec<LegendEntry> {
    styles
        .map(|s| LegendEntry::new(s.label.clone(), s.colour, Swatch::Line))
        .chain([last])
        .collect()
}

/// The route as a file-name part: `/burn/50` → `burn_50`, `/` → `root`.
pub fn route_part(route: &str) -> String {
    let r = route.trim_matches('/');
    if r.is_empty() {
        "root".into()
    } else {
        render::file_part(r)
    }
}

fn ok(x: f64, y: f64) -> bool {
    x.is_finite() && x > 0.0 && y.is_finite() && y > 0.0
}

/// A log axis range around `lo..hi` (both > 0), widened to whole decades.
pub fn decades(lo: f64, hi: f64) -> std::ops::Range<f64> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi >= lo) {
        return 1.0..10.0;
    }
    let a = 10f64.powf(lo.log10().floor());
    let b = 10f64.powf(hi.log10().ceil());
    if b > a { a..b } else { a..a * 10.0 }
}

impl Chart for LatencyVsRateChart {
    fn stem(&self) -> String {
        format!("sweep__{}__latency", route_part(&self.route))
    }

    fn size(&self) -> (u32, u32) {
        (1350, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = format!(
            "GET {}: latency vs offered rate (from intended send time, median of {} repeat{})",
            self.route,
            self.repeats,
            if self.repeats == 1 { "" } else { "s" }
        );
        let all = || self.lines.iter().flat_map(|l| l.points.iter());
        let xs = all().map(|p| p.0).filter(|x| x.is_finite() && *x > 0.0);
        let ranges = self.lines.iter().flat_map(|l| l.p99_range.iter().flatten().copied());
        let ys = (all().flat_map(|p| p.1))
            .chain(ranges)
            .filter(|y| y.is_finite() && *y > 0.0);
        let (x_lo, x_hi) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let (y_lo, y_hi) = ys
            .chain([self.slo_us].into_iter().filter(|s| *s > 0.0))
            .fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
        if x_hi <= 0.0 || y_hi <= 0.0 {
            return render::draw_empty(root, &title, "no steps recorded");
        }
        let mut legend = runtime_legend(
            self.lines.iter().map(|l| &l.runtime),
            LegendEntry::new("× saturated  ○ generator-bound", REFERENCE, Swatch::Dot),
        );
        if self.repeats > 1 {
            legend.push(LegendEntry::new(
                "p99 bar: lowest to highest p99 of the repeats",
                REFERENCE,
                Swatch::Whisker,
            ));
        }
        let area = render::header(root, &title, &legend)?;
        let (xr, yr) = (decades(x_lo, x_hi), decades(y_lo, y_hi));
        for (i, panel) in area.split_evenly((1, 3)).iter().enumerate() {
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .caption(PANELS[i], (FONT, LABEL_SIZE))
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(xr.clone().log_scale(), yr.clone().log_scale())?;
            chart
                .configure_mesh()
                .x_desc("offered requests/s")
                .y_desc(format!("{} latency (µs)", PANELS[i]))
                .x_label_style((FONT, TICK_SIZE))
                .y_label_style((FONT, TICK_SIZE))
                .axis_desc_style((FONT, LABEL_SIZE))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .light_line_style(WHITE)
                .draw()?;
            if i == 1 && self.slo_us > 0.0 {
                chart.draw_series(LineSeries::new(
                    [(xr.start, self.slo_us), (xr.end, self.slo_us)],
                    REFERENCE.stroke_width(1),
                ))?;
            }
            for l in &self.lines {
                let c = l.runtime.colour;
                let pts: Vec<(f64, f64, Verdict)> = l
                    .points
                    .iter()
                    .map(|p| (p.0, p.1[i], p.2))
                    .filter(|p| ok(p.0, p.1))
                    .collect();
                chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?;
                if i == 1 && self.repeats > 1 {
                    let bars = (l.points.iter().zip(&l.p99_range))
                        .filter(|(p, r)| ok(p.0, r[0]) && ok(p.0, r[1]) && r[1] > r[0])
                        .map(|(p, r)| PathElement::new(vec![(p.0, r[0]), (p.0, r[1])], c.stroke_width(1)));
                    chart.draw_series(bars)?;
                }
                for &(x, y, v) in &pts {
                    match v {
                        Verdict::Saturated => {
                            chart.draw_series([Cross::new((x, y), 6, c.stroke_width(2))])?;
                        }
                        Verdict::GeneratorBound => {
                            chart.draw_series([Circle::new((x, y), 6, c.stroke_width(2))])?;
                        }
                        _ => {
                            chart.draw_series([Circle::new((x, y), 3, c.filled())])?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_cover_whole_decades() {
        assert_eq!(decades(1500.0, 64_000.0), 1000.0..100_000.0);
        assert_eq!(decades(1000.0, 1000.0), 1000.0..10_000.0);
        assert_eq!(decades(f64::NAN, 1.0), 1.0..10.0);
        assert_eq!(route_part("/"), "root");
        assert!(!route_part("/burn/50").contains('/'));
    }
}
