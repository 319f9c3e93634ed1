//! Measurement: HDR recorders for every timed operation and the case
//! aggregates, failures by kind, the harness's own floor, CPU clocks and CPU
//! placement, the precise timer thread, task metrics, and what a case costs
//! (CPU, allocations, context switches) beside its time, and the hypervisor steal while a
//! round ran.
//!
//! The instruments every other layer carries, so this folder names none of
//! them (only `stats`): the runtimes wrap their spawns in [`task_metrics`] and
//! pin offload threads with [`placement`]; what *runs on* a runtime is above
//! it — the load generators (`client::open_loop`, `client::paced`), the route
//! floor (`client::RouteFloor`) and the responsiveness probes
//! (`scenario::support::probe`).

pub mod alloc;
pub mod canary;
mod case;
pub mod clock;
pub mod cost;
pub mod cpu;
mod floor;
pub mod foreign;
pub mod heap;
pub mod host_probe;
pub mod host_rule;
mod outcome;
pub mod placement;
mod recorder;
pub mod steal;
pub mod task_metrics;

pub use case::{Batch, CaseRecord, LATENCY_P50, LATENCY_P99, RoundFigure, RoundFigures};
pub use cost::{Cost, CostInfo, CostTotals};
pub use floor::{FloorExceeded, HarnessFloor, check_floor, measure_floor};
pub use outcome::{ErrorCounts, ErrorKind, OpError};
pub use recorder::{IntervalHist, Recorder};
