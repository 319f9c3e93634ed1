//! "Rust vs the guide's Python": per scenario/variant that has an asyncio row, each other
//! runtime's published batch time divided by asyncio's (uvloop's too), one dot per runtime on a
//! log x axis with a reference line at 1× (asyncio itself). Left of the line is faster than the
//! guide's own asyncio code for the same unit of work on the same server.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ratio_dots::{self, RatioAxis};
use super::render::{self, Chart, DrawResult};
use crate::report::data::RunData;
use crate::report::palette::RuntimeStyle;
use crate::results::CaseResult;
use crate::runtime::{ExternalFlavor, RuntimeEntry, RuntimeKind};

const TITLE: &str = "Rust vs the guide's Python: batch time ÷ asyncio's (1× = asyncio, left = faster)";
/// The runtime every ratio is taken against: the registry's first external entry (asyncio).
pub const BASE: &str = ExternalFlavor::NAMES[0];

/// One dot: a row (scenario/variant), a runtime and its time relative to asyncio.
pub use super::ratio_dots::Dot;

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
        let mut out = ratio_dots::Rows::new(run.runtimes().into_iter().filter(|r| *r != BASE).collect());
        for scenario in run.scenarios() {
            for variant in run.variants(scenario) {
                let Some(base) = run.primary(scenario, variant, BASE).and_then(published) else {
                    continue;
                };
                let dots: Vec<(usize, f64, bool)> = (out.names().iter().enumerate())
                    .filter_map(|(ri, rt)| {
                        let r = run.primary(scenario, variant, rt)?;
                        Some((ri, published(r)? / base, r.legacy))
                    })
                    .collect();
                // A row needs a Rust runtime: uvloop alone (a Python-only variant) is left to
                // the scenario's table.
                let has_rust = dots.iter().any(|&(ri, ..)| {
                    !matches!(
                        RuntimeEntry::find(out.names()[ri]).map(|e| e.kind),
                        Some(RuntimeKind::External(_))
                    )
                });
                if has_rust {
                    out.push(format!("{scenario} / {variant}"), dots);
                }
            }
        }
        let (rows, runtimes, dots) = out.finish();
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
        ratio_dots::size(self.rows.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        if self.dots.is_empty() {
            return render::draw_empty(root, TITLE, "no asyncio rows in this run");
        }
        let axis = RatioAxis {
            title: TITLE,
            reference: "asyncio (1×)",
            x_desc: "batch time ÷ asyncio's (log scale)",
            lo_at_most: 0.5,
            fallback: (0.1, 2.0),
            fine_ticks: false,
            decimals: 3,
        };
        ratio_dots::draw(root, &axis, &self.rows, &self.runtimes, &self.dots)
    }
}
