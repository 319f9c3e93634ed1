//! The runtime comparison of one scenario: per variant, one bar per runtime for the mean batch
//! wall time, a whisker for its 95% confidence interval, and the variant's ideal (the lower
//! bound the scenario states) as a dashed reference line across the group.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::data::RunData;
use crate::report::format::TimeUnit;
use crate::report::palette::{self, RuntimeStyle};

/// One bar: a runtime's mean batch time in one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub variant: usize,
    pub runtime: usize,
    pub mean_ns: f64,
    pub ci_low_ns: f64,
    pub ci_high_ns: f64,
}

/// The chart's data, independent of any file.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchChart {
    pub scenario: String,
    pub variants: Vec<String>,
    pub runtimes: Vec<RuntimeStyle>,
    pub bars: Vec<Bar>,
    /// Ideal batch time per variant, where the scenario states one.
    pub ideal_ns: Vec<Option<f64>>,
}

impl BatchChart {
    /// Gathers the batch statistics of every case of `scenario` in `run`.
    pub fn from_run(run: &RunData, scenario: &str) -> BatchChart {
        let variants: Vec<String> = run.variants(scenario).into_iter().map(str::to_string).collect();
        // Runtimes in palette order, those with at least one batch time only.
        let mut runtimes: Vec<RuntimeStyle> = Vec::new();
        for rt in run.runtimes() {
            let with_wall = variants
                .iter()
                .filter_map(|v| run.primary(scenario, v, rt))
                .find(|r| r.wall_ns.is_some());
            if let Some(row) = with_wall {
                runtimes.push(palette::style(rt, row.legacy));
            }
        }
        let mut bars = Vec::new();
        let mut ideal_ns = Vec::new();
        for (vi, variant) in variants.iter().enumerate() {
            let rows: Vec<_> = runtimes
                .iter()
                .enumerate()
                .filter_map(|(ri, s)| run.primary(scenario, variant, &s.name).map(|r| (ri, r)))
                .collect();
            ideal_ns.push(rows.iter().find_map(|(_, r)| r.ideal_ns).map(|n| n as f64));
            for (ri, row) in rows {
                if let Some(w) = &row.wall_ns {
                    bars.push(Bar {
                        variant: vi,
                        runtime: ri,
                        mean_ns: w.mean,
                        ci_low_ns: w.ci95_low,
                        ci_high_ns: w.ci95_high,
                    });
                }
            }
        }
        BatchChart {
            scenario: scenario.to_string(),
            variants,
            runtimes,
            bars,
            ideal_ns,
        }
    }

    fn title(&self) -> String {
        format!("{}: batch time per variant (mean, 95% CI)", self.scenario)
    }
}

impl Chart for BatchChart {
    fn stem(&self) -> String {
        format!("{}__batch", render::file_part(&self.scenario))
    }

    fn size(&self) -> (u32, u32) {
        // Room for a readable variant name under each group.
        let w = 160 + 130 * self.variants.len().max(1) as u32;
        (w.clamp(900, 2400), 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let finite = |v: f64| v.is_finite().then_some(v);
        let top = self
            .bars
            .iter()
            .flat_map(|b| [b.mean_ns, b.ci_high_ns])
            .chain(self.ideal_ns.iter().flatten().copied())
            .filter_map(finite)
            .fold(0.0_f64, f64::max);
        if self.bars.is_empty() || top <= 0.0 {
            return render::draw_empty(root, &self.title(), "no batch times recorded");
        }
        let unit = TimeUnit::for_value(top);
        let (_, y_max) = render::safe_range(0.0, top * 1.12 / unit.ns, (0.0, 1.0));
        let groups = self.variants.len().max(1);
        let names = self.variants.clone();
        let mut legend: Vec<LegendEntry> = self
            .runtimes
            .iter()
            .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Bar))
            .collect();
        if self.ideal_ns.iter().flatten().any(|v| v.is_finite() && *v > 0.0) {
            legend.push(LegendEntry::new("ideal (lower bound)", REFERENCE, Swatch::Dashed));
        }
        legend.push(LegendEntry::new("95% CI of the mean", REFERENCE, Swatch::Line));
        let area = render::header(root, &self.title(), &legend)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                render::Ticked::new(0.0..groups as f64, (0..groups).map(|i| i as f64 + 0.5).collect()),
                0.0..y_max,
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| names.get(x.floor() as usize).cloned().unwrap_or_default())
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .y_desc(format!("batch wall time ({})", unit.name))
            .axis_desc_style((FONT, LABEL_SIZE))
            .draw()?;

        let n_rt = self.runtimes.len().max(1) as f64;
        let width = 0.8 / n_rt;
        let scale = |ns: f64| ns / unit.ns;
        for (ri, style) in self.runtimes.iter().enumerate() {
            let colour = style.colour;
            let bars: Vec<&Bar> = self
                .bars
                .iter()
                .filter(|b| b.runtime == ri && b.mean_ns.is_finite() && b.mean_ns >= 0.0)
                .collect();
            let left = |b: &Bar| b.variant as f64 + 0.1 + width * ri as f64;
            chart.draw_series(bars.iter().map(|b| {
                let x0 = left(b);
                Rectangle::new(
                    [(x0 + width * 0.06, 0.0), (x0 + width * 0.94, scale(b.mean_ns))],
                    colour.filled(),
                )
            }))?;
            // Whiskers: the confidence interval of the mean, with caps.
            let whiskers = bars
                .iter()
                .filter(|b| b.ci_low_ns.is_finite() && b.ci_high_ns.is_finite() && b.ci_high_ns > b.ci_low_ns);
            for b in whiskers {
                let xc = left(b) + width / 2.0;
                let cap = (width * 0.25).min(0.04);
                let (lo, hi) = (scale(b.ci_low_ns.max(0.0)), scale(b.ci_high_ns));
                let ink = REFERENCE.stroke_width(1);
                chart.draw_series([
                    PathElement::new(vec![(xc, lo), (xc, hi)], ink),
                    PathElement::new(vec![(xc - cap, lo), (xc + cap, lo)], ink),
                    PathElement::new(vec![(xc - cap, hi), (xc + cap, hi)], ink),
                ])?;
            }
        }

        let ideals: Vec<(usize, f64)> = self
            .ideal_ns
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.and_then(finite).filter(|v| *v > 0.0).map(|v| (i, scale(v))))
            .collect();
        chart.draw_series(ideals.iter().map(|&(i, y)| {
            DashedPathElement::new(
                vec![(i as f64 + 0.04, y), (i as f64 + 0.96, y)],
                6,
                4,
                REFERENCE.stroke_width(2),
            )
        }))?;
        Ok(())
    }
}
