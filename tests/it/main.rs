//! The integration tests, one binary (one link of the crate instead of
//! eighteen): each module is one area, `common` holds the shared fixtures.

// First, so its macros (`each_runtime!`) are in scope in every module below.
#[macro_use]
mod common;

mod browser;
mod charts;
mod chat_load;
mod cli_options;
mod compare;
mod coordination;
mod cost;
mod docs;
mod export;
mod faults;
mod fuzz;
mod hazards;
mod http_server;
mod interrupts;
mod load;
mod mistakes;
mod module_graph;
mod open_loop;
mod python;
mod queues_files;
mod registry;
mod report;
mod results;
mod rounds;
mod runtimes;
mod scale;
mod scenario_files;
mod scenarios;
mod schema;
mod server;
mod server_lifecycle;
mod server_limits;
mod server_timing;
mod servers;
mod snapshots;
mod stats;
mod stats_home;
mod summary_cli;
mod task_group;
mod truth_answers;
mod truth_charts;
mod truth_cost;
mod truth_figures;
mod truth_findings;
mod truth_gate;
mod truth_generator;
mod truth_host;
mod truth_wire;
mod two_hosts;
mod versions;
