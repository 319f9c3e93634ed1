//! Measurement: HDR recorders for every timed operation, the harness's own
//! floor (what timing and recording cost), and the event-loop lag probe.

mod floor;
pub mod lag;
mod recorder;

pub use floor::{HarnessFloor, measure_floor};
pub use lag::{LagProbe, LagSamples, ProbeOverhead, probe_overhead};
pub use recorder::{IntervalHist, Recorder};
