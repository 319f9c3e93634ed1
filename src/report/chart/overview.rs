//! The overview: measured/ideal (mean batch time ÷ the scenario's stated lower bound) for every
//! scenario × variant × runtime in one dot plot. One row per scenario/variant with an ideal, one
//! dot per runtime, a log x axis and a reference line at 1× (the ideal itself), so "how far from
//! the best possible" reads across the whole catalogue at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ratio_dots::{self, RatioAxis};
use super::render::{self, Chart, DrawResult};
use crate::report::data::RunData;
use crate::report::palette::{self, RuntimeStyle};

const TITLE: &str = "measured / ideal per case (mean batch time ÷ lower bound; 1× = ideal)";
const ROW_PX: u32 = 24;

pub use super::ratio_dots::Dot;

#[derive(Debug, Clone, PartialEq)]
pub struct OverviewChart {
    /// "scenario / variant", top to bottom.
    pub rows: Vec<String>,
    pub runtimes: Vec<RuntimeStyle>,
    pub dots: Vec<Dot>,
}

impl OverviewChart {
    pub fn from_run(run: &RunData) -> OverviewChart {
        let all_runtimes = run.runtimes();
        let mut rows = Vec::new();
        let mut dots = Vec::new();
        let mut used = vec![false; all_runtimes.len()];
        let mut runtimes: Vec<RuntimeStyle> = all_runtimes.iter().map(|r| palette::style(r, false)).collect();
        for scenario in run.scenarios() {
            for variant in run.variants(scenario) {
                let mut row_dots = Vec::new();
                for (ri, rt) in all_runtimes.iter().enumerate() {
                    let Some(r) = run.primary(scenario, variant, rt) else {
                        continue;
                    };
                    if let Some(ratio) = r.measured_over_ideal.filter(|x| x.is_finite() && *x > 0.0) {
                        row_dots.push(Dot {
                            row: rows.len(),
                            runtime: ri,
                            ratio,
                        });
                        used[ri] = true;
                        if r.legacy {
                            runtimes[ri] = palette::style(rt, true);
                        }
                    }
                }
                if !row_dots.is_empty() {
                    rows.push(format!("{scenario} / {variant}"));
                    dots.extend(row_dots);
                }
            }
        }
        // Keep only runtimes that have a dot, re-indexing the dots to match.
        let keep: Vec<usize> = (0..runtimes.len()).filter(|&i| used[i]).collect();
        for d in &mut dots {
            d.runtime = keep.iter().position(|&k| k == d.runtime).unwrap_or(0);
        }
        let runtimes = keep.into_iter().map(|i| runtimes[i].clone()).collect();
        OverviewChart { rows, runtimes, dots }
    }
}

impl Chart for OverviewChart {
    fn stem(&self) -> String {
        "overview".to_string()
    }

    fn size(&self) -> (u32, u32) {
        let h = 150 + ROW_PX * self.rows.len().max(4) as u32;
        (1000, h.min(4000))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let ratios: Vec<f64> = self
            .dots
            .iter()
            .map(|d| d.ratio)
            .filter(|r| r.is_finite() && *r > 0.0)
            .collect();
        if self.rows.is_empty() || ratios.is_empty() {
            return render::draw_empty(root, TITLE, "no case in this run states an ideal");
        }
        let axis = RatioAxis {
            title: TITLE,
            reference: "ideal (1×)",
            x_desc: "measured / ideal (log scale)",
            lo_at_most: 1.0,
            fallback: (0.5, 2.0),
            ticks: ratio_ticks,
            label: ratio_label,
        };
        ratio_dots::draw(root, &axis, &self.rows, &self.runtimes, &self.dots)
    }
}

/// Ticks for a ratio axis: 1-2-5 decades, with 1.1/1.2/1.5/3 added while the range is narrow
/// enough for them to matter.
fn ratio_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let fine = hi / lo < 30.0;
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi && ticks.len() < 40 {
        let steps: &[f64] = if fine {
            &[1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        ticks.extend(steps.iter().map(|s| s * decade).filter(|t| *t >= lo && *t <= hi));
        decade *= 10.0;
    }
    ticks
}

/// "1×", "1.5×", "20×".
fn ratio_label(x: f64) -> String {
    let mut s = format!("{x:.2}");
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
    fn ratio_axis_ticks() {
        assert_eq!(ratio_ticks(0.8, 2.5), vec![1.0, 1.1, 1.2, 1.5, 2.0]);
        assert_eq!(
            ratio_ticks(0.8, 500.0),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(ratio_label(1.5), "1.5×");
        assert_eq!(ratio_label(20.0), "20×");
    }
}
