//! Measurement: HDR recorders for every timed operation and the harness's own
//! floor (what timing and recording cost).

mod floor;
mod recorder;

pub use floor::{HarnessFloor, measure_floor};
pub use recorder::{IntervalHist, Recorder};
