//! "Rust vs the guide's Python": per scenario/variant that has an asyncio row, each other
//! runtime's published batch time divided by asyncio's (uvloop's too), one dot per runtime on a
//! log x axis with a reference line at 1× (asyncio itself). Left of the line is faster than the
//! guide's own asyncio code for the same unit of work on the same server.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::render::{self, Chart, DrawResult, FONT, LABEL_SIZE, LegendEntry, REFERENCE, Swatch, TICK_SIZE};
use crate::report::data::RunData;
use crate::report::palette::{self, RuntimeStyle};
use crate::results::CaseResult;
use crate::runtime::{ExternalFlavor, RuntimeEntry, RuntimeKind};

const TITLE: &str = "Rust vs the guide's Python: batch time ÷ asyncio's (1× = asyncio, left = faster)";
const ROW_PX: u32 = 24;
/// The runtime every ratio is taken against: the registry's first external entry (asyncio).
pub const BASE: &str = ExternalFlavor::NAMES[0];

/// One dot: a row (scenario/variant), a runtime and its time relative to asyncio.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub row: usize,
    pub runtime: usize,
    pub ratio: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PythonChart {
    /// "scenario / variant", top to bottom.
    pub rows: Vec<String>,
    pub runtimes: Vec<RuntimeStyle>,
    pub dots: Vec<Dot>,
}

/// A row's published value ([`crate::results::figures::value_ns`]), positive for a ratio.
pub fn published(r: &CaseResult) -> Option<f64> {
    crate::results::figures::value_ns(r).filter(|v| *v > 0.0)
}

impl PythonChart {
    pub fn from_run(run: &RunData) -> PythonChart {
        let others: Vec<&str> = run.runtimes().into_iter().filter(|r| *r != BASE).collect();
        let mut rows = Vec::new();
        let mut dots = Vec::new();
        let mut used = vec![false; others.len()];
        let mut runtimes: Vec<RuntimeStyle> = others.iter().map(|r| palette::style(r, false)).collect();
        for scenario in run.scenarios() {
            for variant in run.variants(scenario) {
                let Some(base) = run.primary(scenario, variant, BASE).and_then(published) else {
                    continue;
                };
                let mut row_dots = Vec::new();
                for (ri, rt) in others.iter().enumerate() {
                    let Some(r) = run.primary(scenario, variant, rt) else {
                        continue;
                    };
                    if let Some(v) = published(r) {
                        row_dots.push(Dot {
                            row: rows.len(),
                            runtime: ri,
                            ratio: v / base,
                        });
                        used[ri] = true;
                        if r.legacy {
                            runtimes[ri] = palette::style(rt, true);
                        }
                    }
                }
                // A row needs a Rust runtime: uvloop alone (a Python-only variant) is left to
                // the scenario's table.
                let has_rust = row_dots.iter().any(|d| {
                    !matches!(
                        RuntimeEntry::find(others[d.runtime]).map(|e| e.kind),
                        Some(RuntimeKind::External(_))
                    )
                });
                if has_rust {
                    rows.push(format!("{scenario} / {variant}"));
                    dots.extend(row_dots);
                }
            }
        }
        let keep: Vec<usize> = (0..runtimes.len()).filter(|&i| used[i]).collect();
        for d in &mut dots {
            d.runtime = keep.iter().position(|&k| k == d.runtime).unwrap_or(0);
        }
        let runtimes = keep.into_iter().map(|i| runtimes[i].clone()).collect();
        PythonChart { rows, runtimes, dots }
    }

    /// Whether the run has anything to compare with asyncio.
    pub fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }
}

impl Chart for PythonChart {
    fn stem(&self) -> String {
        "rust-vs-python".to_string()
    }

    fn size(&self) -> (u32, u32) {
        let h = 150 + ROW_PX * self.rows.len().max(4) as u32;
        (1000, h.min(4000))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        if self.dots.is_empty() {
            return render::draw_empty(root, TITLE, "no asyncio rows in this run");
        }
        let lo = self.dots.iter().map(|d| d.ratio).fold(f64::INFINITY, f64::min).min(0.5) * 0.8;
        let hi = self.dots.iter().map(|d| d.ratio).fold(0.0, f64::max).max(2.0) * 1.25;
        let (lo, hi) = render::safe_range(lo, hi, (0.1, 2.0));
        let n = self.rows.len();
        let labels = self.rows.clone();
        let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u32;
        let mut legend: Vec<LegendEntry> = self
            .runtimes
            .iter()
            .map(|r| LegendEntry::new(r.label.clone(), r.colour, Swatch::Dot))
            .collect();
        legend.push(LegendEntry::new("asyncio (1×)", REFERENCE, Swatch::Dashed));
        let area = render::header(root, TITLE, &legend)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size((longest * 8 + 16).clamp(120, 420))
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(ticks(lo, hi)),
                render::Ticked::new(0.0..n as f64, (0..n).map(|i| i as f64 + 0.5).collect()),
            )?;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| {
                let i = y.floor() as usize;
                n.checked_sub(i + 1)
                    .and_then(|r| labels.get(r))
                    .cloned()
                    .unwrap_or_default()
            })
            .x_label_formatter(&|x| tick_label(*x))
            .x_label_style((FONT, TICK_SIZE))
            .y_label_style((FONT, TICK_SIZE))
            .x_desc("batch time ÷ asyncio's (log scale)")
            .axis_desc_style((FONT, LABEL_SIZE))
            .draw()?;
        chart.draw_series([DashedPathElement::new(
            vec![(1.0, 0.0), (1.0, n as f64)],
            6,
            4,
            REFERENCE.stroke_width(2),
        )])?;
        let n_rt = self.runtimes.len().max(1) as f64;
        for (ri, style) in self.runtimes.iter().enumerate() {
            // Each runtime at its own height within the row, so equal ratios stay visible.
            let dy = 0.8 - 0.6 * (ri as f64 + 0.5) / n_rt;
            chart.draw_series(self.dots.iter().filter(|d| d.runtime == ri).map(|d| {
                Circle::new(
                    (d.ratio, (n - 1 - d.row.min(n - 1)) as f64 + dy),
                    5,
                    style.colour.filled(),
                )
            }))?;
        }
        Ok(())
    }
}

/// 1-2-5 ticks per decade over [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi && out.len() < 40 {
        out.extend(
            [1.0, 2.0, 5.0]
                .iter()
                .map(|s| s * decade)
                .filter(|t| *t >= lo && *t <= hi),
        );
        decade *= 10.0;
    }
    out
}

/// "0.01×", "0.5×", "2×": no trailing zeros.
fn tick_label(x: f64) -> String {
    let mut s = format!("{x:.3}");
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
    fn tick_labels_drop_trailing_zeros() {
        assert_eq!(tick_label(0.01), "0.01×");
        assert_eq!(tick_label(2.0), "2×");
        assert_eq!(tick_label(0.5), "0.5×");
    }

    #[test]
    fn ticks_are_one_two_five() {
        assert_eq!(ticks(0.08, 2.5), vec![0.1, 0.2, 0.5, 1.0, 2.0]);
    }
}
