//! The runtime comparison of one scenario: per variant, one bar per runtime for the row's
//! published value (`results::figures::value`: the mean over rounds), a whisker for its 95%
//! interval over rounds, an unstable row as a pale box over its range of rounds (no bar), and the
//! variant's ideal (the lower bound the scenario states) as a dashed reference line.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::marks::{self, Along, Mark};
use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::data::RunData;
use crate::report::format::TimeUnit;
use crate::report::palette::{self, RuntimeStyle};
use crate::results::figures::{self, ValueFigure};

/// One bar: a runtime's published value in one variant, or its range of rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub variant: usize,
    pub runtime: usize,
    /// The published figure (ns): value and interval, or range when the row is unstable.
    pub mark: Mark,
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
    /// What the bars' values are (each kind once, in order of appearance).
    pub figures: Vec<ValueFigure>,
    /// True when some whisker is an interval over batches (a run made before rounds).
    pub over_batches: bool,
}

impl BatchChart {
    /// Gathers the published value of every case of `scenario` in `run`.
    pub fn from_run(run: &RunData, scenario: &str) -> BatchChart {
        let variants: Vec<String> = run.variants(scenario).into_iter().map(str::to_string).collect();
        // Runtimes in palette order, those with at least one published value only.
        let mut runtimes: Vec<RuntimeStyle> = Vec::new();
        for rt in run.runtimes() {
            let with_value = variants
                .iter()
                .filter_map(|v| run.primary(scenario, v, rt))
                .find(|r| figures::value(r).is_some());
            if let Some(row) = with_value {
                runtimes.push(palette::style(rt, row.legacy));
            }
        }
        let mut bars = Vec::new();
        let mut ideal_ns = Vec::new();
        let mut kinds = Vec::new();
        let mut over_batches = false;
        for (vi, variant) in variants.iter().enumerate() {
            let rows: Vec<_> = runtimes
                .iter()
                .enumerate()
                .filter_map(|(ri, s)| run.primary(scenario, variant, &s.name).map(|r| (ri, r)))
                .collect();
            ideal_ns.push(rows.iter().find_map(|(_, r)| r.ideal_ns).map(|n| n as f64));
            for (ri, row) in rows {
                let Some(v) = figures::value(row) else { continue };
                if !kinds.contains(&v.figure) {
                    kinds.push(v.figure);
                }
                over_batches |= v.rounds == 0 && v.interval.is_some();
                bars.push(Bar {
                    variant: vi,
                    runtime: ri,
                    mark: Mark::of(&v, 1.0),
                });
            }
        }
        BatchChart {
            scenario: scenario.to_string(),
            variants,
            runtimes,
            bars,
            ideal_ns,
            figures: kinds,
            over_batches,
        }
    }

    /// What the y axis reads: "mean batch time", or each kind of value the bars are.
    fn value_label(&self) -> String {
        if self.figures.is_empty() {
            return ValueFigure::MeanBatch.label().to_string();
        }
        let labels: Vec<&str> = self.figures.iter().map(|f| f.label()).collect();
        labels.join(" or ")
    }

    fn title(&self) -> String {
        let what = if self.figures.iter().all(|f| *f == ValueFigure::MeanBatch) {
            "batch time".to_string()
        } else {
            self.value_label()
        };
        format!("{}: {what} per variant (mean over rounds)", self.scenario)
    }

    /// The legend's entries for the marks the chart draws.
    fn legend(&self) -> Vec<LegendEntry> {
        let mut legend: Vec<LegendEntry> = self
            .runtimes
            .iter()
            .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Bar))
            .collect();
        if self.ideal_ns.iter().flatten().any(|v| v.is_finite() && *v > 0.0) {
            legend.push(LegendEntry::new("ideal (lower bound)", REFERENCE, Swatch::Dashed));
        }
        let whisker = self
            .bars
            .iter()
            .any(|b| matches!(b.mark, Mark::Value { interval: Some(_), .. }));
        if whisker {
            let words = if self.over_batches {
                "whisker: 95% interval over rounds (over batches in a run made before rounds)"
            } else {
                marks::WHISKER_LEGEND
            };
            legend.push(LegendEntry::new(words, REFERENCE, Swatch::Whisker));
        }
        if self.bars.iter().any(|b| matches!(b.mark, Mark::Range { .. })) {
            legend.push(LegendEntry::new(marks::RANGE_LEGEND, REFERENCE, Swatch::Range));
        }
        legend
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
            .flat_map(|b| b.mark.extent())
            .chain(self.ideal_ns.iter().flatten().copied())
            .filter_map(finite)
            .fold(0.0_f64, f64::max);
        if self.bars.is_empty() || top <= 0.0 {
            return render::draw_empty(root, &self.title(), "no published values recorded");
        }
        let unit = TimeUnit::for_value(top);
        let (_, y_max) = render::safe_range(0.0, top * 1.12 / unit.ns, (0.0, 1.0));
        let groups = self.variants.len().max(1);
        let names = self.variants.clone();
        let area = render::header(root, &self.title(), &self.legend())?;
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
            .y_desc(format!("{} ({})", self.value_label(), unit.name))
            .axis_desc_style((FONT, LABEL_SIZE))
            .draw()?;

        let n_rt = self.runtimes.len().max(1) as f64;
        let width = 0.8 / n_rt;
        let scale = |ns: f64| ns / unit.ns;
        for (ri, style) in self.runtimes.iter().enumerate() {
            let colour = style.colour;
            for b in self.bars.iter().filter(|b| b.runtime == ri) {
                let x0 = b.variant as f64 + 0.1 + width * ri as f64;
                let xc = x0 + width / 2.0;
                match b.mark {
                    Mark::Range { lo, hi } => {
                        let r = (scale(lo.max(0.0)), scale(hi));
                        marks::range_box(&mut chart, Along::Y, r, xc, width * 0.44, colour)?;
                    }
                    Mark::Value { value, interval } => {
                        if !(value.is_finite() && value >= 0.0) {
                            continue;
                        }
                        chart.draw_series([Rectangle::new(
                            [(x0 + width * 0.06, 0.0), (x0 + width * 0.94, scale(value))],
                            colour.filled(),
                        )])?;
                        if let Some((lo, hi)) = interval.filter(|(lo, hi)| hi > lo) {
                            let cap = (width * 0.25).min(0.04);
                            marks::whisker(&mut chart, Along::Y, (scale(lo.max(0.0)), scale(hi)), xc, cap)?;
                        }
                    }
                }
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
