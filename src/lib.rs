//! asyncbench: the same async scenarios on tokio, async-std and smol (plus
//! blocking baselines) against a local hyper test server, measured with
//! HdrHistogram and criterion.

#![warn(unreachable_pub)]

pub mod cli;
pub mod client;
pub mod compare;
pub mod export;
pub mod harness;
pub mod measure;
pub mod python;
pub mod report;
pub mod results;
pub mod runtime;
pub mod scale;
pub mod scenario;
pub mod server;
pub mod stats;
pub mod sweep;
pub mod versions;
