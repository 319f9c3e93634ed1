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
            fine_ticks: true,
            decimals: 2,
        };
        ratio_dots::draw(root, &axis, &self.rows, &self.runtimes, &self.dots)
    }
}
