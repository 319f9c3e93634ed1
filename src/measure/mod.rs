//! Measurement: HDR recorders for every timed operation, the harness's own
//! floor (what timing and recording cost), and the event-loop lag probe.

mod case;
pub mod clock;
mod floor;
pub mod lag;
pub mod open_loop;
mod outcome;
pub mod probe;
mod recorder;

pub use case::{Batch, CaseRecord};
pub use floor::{HarnessFloor, measure_floor};
pub use lag::{LagProbe, LagSamples, ProbeOverhead, probe_overhead};
pub use outcome::{ErrorCounts, ErrorKind, OpError};
pub use recorder::{IntervalHist, Recorder};
