//! The scenarios, one file each, written once for every runtime. Each file
//! names the guide section it comes from.

pub mod blocking_sleep;
pub mod chat_broadcast;
pub mod cpu_offload;
pub mod fetch_parallel;
pub mod file_read;
pub mod gather_vs_select;
pub mod http_load;
pub mod http_server;
pub mod pipeline;
pub mod primitives;
pub mod retry_backoff;
pub mod structured;
pub mod sync_vs_async;
pub mod task_memory;
pub mod timeout;
pub mod udp_echo;
