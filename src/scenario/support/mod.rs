//! Pieces several scenarios share (scenarios never import each other):
//! request patterns, victims and CPU jobs, backoff schedules, queues, the
//! generic chat and echo servers, task groups, server probes.

pub mod backoff;
pub(crate) mod chat_client;
pub mod cpu_job;
pub mod fetch;
pub mod group;
pub mod probe;
pub mod queues;
pub mod server_probe;
pub mod servers;
pub mod victims;
