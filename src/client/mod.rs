//! Clients for the test server: one runtime-agnostic hyper 1 HTTP/1.1 client
//! (the same code on every runtime; only the socket comes from the runtime)
//! and a blocking `ureq` baseline.

mod blocking;
mod evloop;
mod http;
pub mod open_loop;
pub mod paced;
mod raw;
pub mod sink;

pub use blocking::BlockingClient;
pub use http::{ConnMode, HttpClient};
pub use paced::{PacedGenerator, PacedSpec, PacedWindow};
pub use raw::RawGet;

use std::time::Duration;

/// What a request returned. Non-2xx statuses are replies, not errors: the
/// scenario decides what counts as a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body_len: u64,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connect to {addr} failed: {source}")]
    Connect {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP error: {0}")]
    Http(#[from] hyper::Error),
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection closed before the response completed")]
    Closed,
    #[error("invalid request: {0}")]
    Request(String),
    #[error("blocking client: {0}")]
    Blocking(String),
}
