//! "Rust vs the guide's Python": per scenario/variant that has an asyncio row, each other
//! runtime's published batch time divided by asyncio's (uvloop's too), one dot per runtime on a
//! log x axis with a reference line at 1× (asyncio itself). Left of the line is faster than the
//! guide's own asyncio code for the same unit of work on the same server. A dot is the ratio of
//! the two published values, which has no published interval of its own, so no whisker; where
//! either row is unstable the mark is the range its rounds allow (row's smallest ÷ asyncio's
//! largest to row's largest ÷ asyncio's smallest), no dot.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::marks::Mark;
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

/// A row's published value ([`crate::results::figures::value`]) as (smallest, largest) it may be
/// quoted as: its range of rounds when unstable, else the value twice. Positive for a ratio.
pub fn published(r: &CaseResult) -> Option<(f64, f64)> {
    let v = crate::results::figures::value(r).filter(|v| v.value > 0.0)?;
    match v.range {
        Some((lo, hi)) if !v.citable() && lo > 0.0 => Some((lo, hi)),
        _ => Some((v.value, v.value)),
    }
}

/// A row's value ÷ asyncio's: the ratio of the published values where both are citable, else
/// the widest range their quoted figures allow.
pub fn ratio_mark(row: (f64, f64), base: (f64, f64)) -> Mark {
    if row.0 == row.1 && base.0 == base.1 {
        Mark::Value {
            value: row.0 / base.0,
            interval: None,
        }
    } else {
        Mark::Range {
            lo: row.0 / base.1,
            hi: row.1 / base.0,
        }
    }
}

impl PythonChart {
    pub fn from_run(run: &RunData) -> PythonChart {
        let mut out = ratio_dots::Rows::new(run.runtimes().into_iter().filter(|r| *r != BASE).collect());
        for scenario in run.scenarios() {
            for variant in run.variants(scenario) {
                let Some(base) = run.primary(scenario, variant, BASE).and_then(published) else {
                    continue;
                };
                let dots: Vec<(usize, Mark, bool)> = (out.names().iter().enumerate())
                    .filter_map(|(ri, rt)| {
                        let r = run.primary(scenario, variant, rt)?;
                        Some((ri, ratio_mark(published(r)?, base), r.legacy))
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
            x_desc: "batch time ÷ asyncio's (log scale; ratio of published values, no interval drawn)",
            lo_at_most: 0.5,
            whisker: None,
        };
        ratio_dots::draw(root, &axis, &self.rows, &self.runtimes, &self.dots)
    }
}
