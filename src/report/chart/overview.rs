//! The overview: measured/ideal (the published mean batch time ÷ the scenario's stated lower
//! bound) for every scenario × variant × runtime in one dot plot. One row per scenario/variant
//! with an ideal, one dot per runtime with its 95% interval over rounds ÷ the ideal as a whisker
//! (an unstable row: its range of rounds ÷ the ideal, no dot), a log x axis and a reference line
//! at 1× (the ideal itself), so "how far from the best possible" reads across the catalogue.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::marks::{self, Mark};
use super::ratio_dots::{self, RatioAxis};
use super::render::{self, Chart, DrawResult};
use crate::report::data::RunData;
use crate::report::palette::RuntimeStyle;
use crate::results::CaseResult;
use crate::results::figures;

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
                        Some((ri, over_ideal(r)?, r.legacy))
                    })
                    .collect();
                out.push(format!("{scenario} / {variant}"), dots);
            }
        }
        let (rows, runtimes, dots) = out.finish();
        OverviewChart { rows, runtimes, dots }
    }
}

/// A row's published figure ÷ its ideal: value and interval, or its range when unstable. Only a
/// batch time has an ideal (the scenario's lower bound is a batch's), as `measured_over_ideal`.
pub fn over_ideal(r: &CaseResult) -> Option<Mark> {
    let v = figures::value(r).filter(|v| v.figure.is_batch_time())?;
    let ideal = r.ideal_ns.filter(|&i| i > 0)? as f64;
    Some(Mark::of(&v, 1.0 / ideal))
}

impl Chart for OverviewChart {
    fn stem(&self) -> String {
        "overview".to_string()
    }

    fn size(&self) -> (u32, u32) {
        ratio_dots::size(self.rows.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let any = (self.dots.iter()).any(|d| d.mark.extent().iter().all(|r| r.is_finite() && *r > 0.0));
        if self.rows.is_empty() || !any {
            return render::draw_empty(root, TITLE, "no case in this run states an ideal");
        }
        let axis = RatioAxis {
            title: TITLE,
            reference: "ideal (1×)",
            x_desc: "measured / ideal (log scale)",
            lo_at_most: 1.0,
            whisker: Some(marks::WHISKER_LEGEND),
        };
        ratio_dots::draw(root, &axis, &self.rows, &self.runtimes, &self.dots)
    }
}
