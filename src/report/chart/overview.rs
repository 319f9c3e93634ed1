//! The overview: measured/ideal (mean batch time ÷ the scenario's stated lower bound) for every
//! scenario × variant × runtime in one dot plot. One row per scenario/variant with an ideal, one
//! dot per runtime, a log x axis and a reference line at 1× (the ideal itself), so "how far from
//! the best possible" reads across the whole catalogue at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ratio_dots::{self, RatioAxis};
use super::render::{self, Chart, DrawResult};
use crate::report::data::RunData;
use crate::report::palette::RuntimeStyle;

const TITLE: &str = "measured / ideal per case (mean batch time ÷ lower bound; 1× = ideal)";

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
        let mut out = ratio_dots::Rows::new(run.runtimes());
        for scenario in run.scenarios() {
            for variant in run.variants(scenario) {
                let dots = (out.names().iter().enumerate())
                    .filter_map(|(ri, rt)| {
                        let r = run.primary(scenario, variant, rt)?;
                        let ratio = r.measured_over_ideal.filter(|x| x.is_finite() && *x > 0.0)?;
                        Some((ri, ratio, r.legacy))
                    })
                    .collect();
                out.push(format!("{scenario} / {variant}"), dots);
            }
        }
        let (rows, runtimes, dots) = out.finish();
        OverviewChart { rows, runtimes, dots }
    }
}

impl Chart for OverviewChart {
    fn stem(&self) -> String {
        "overview".to_string()
    }

    fn size(&self) -> (u32, u32) {
        ratio_dots::size(self.rows.len())
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
