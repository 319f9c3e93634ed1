//! Measurement: HDR recorders for every timed operation and the case
//! aggregates, failures by kind, the harness's own floor, CPU clocks, the
//! precise timer thread with the open-loop pacer and the responsiveness
//! probes built on it, and what a case costs (CPU, allocations, context
//! switches) beside its time.

pub mod alloc;
mod case;
pub mod clock;
pub mod cost;
pub mod cpu;
mod floor;
mod outcome;
pub mod percentile;
pub mod placement;
mod recorder;
pub mod task_metrics;

pub use case::{Batch, CaseRecord, LATENCY_P99, RoundFigure, RoundFigures};
pub use cost::{Cost, CostInfo, CostTotals};
pub use floor::{FloorExceeded, HarnessFloor, RouteFloor, check_floor, measure_floor, route_floor};
pub use outcome::{ErrorCounts, ErrorKind, OpError};
pub use recorder::{IntervalHist, Recorder};
