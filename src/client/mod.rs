//! Clients for the test server: one runtime-agnostic hyper 1 HTTP/1.1 client
//! (the same code on every runtime; only the socket comes from the runtime),
//! a blocking `ureq` baseline, the load generators ([`open_loop`] on the
//! runtime under test, [`paced`] on a thread of its own) and the floor of a
//! route. Above `runtime` and `measure`: clients run on a runtime and record
//! into measure's recorders and error counts.

mod blocking;
mod evloop;
mod floor;
mod http;
pub mod open_loop;
pub mod paced;
mod raw;
pub mod sink;

pub use blocking::BlockingClient;
pub use floor::{RouteFloor, route_floor};
pub use http::{ConnMode, HttpClient};
pub use paced::{PacedGenerator, PacedSpec, PacedWindow};
pub use raw::RawGet;

use std::time::Duration;

use crate::measure::OpError;

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

/// How a failed request counts in a case's errors (measure sits below the clients and does not
/// know their error type).
impl From<ClientError> for OpError {
    fn from(e: ClientError) -> OpError {
        match e {
            ClientError::Connect { .. } => OpError::Connect(e.to_string()),
            ClientError::Timeout(d) => OpError::Timeout(d),
            ClientError::Closed => OpError::Closed(e.to_string()),
            // hyper reports resets and early EOFs as errors on the connection.
            ClientError::Http(ref h) if h.is_incomplete_message() || h.is_closed() || h.is_canceled() => {
                OpError::Closed(e.to_string())
            }
            ClientError::Http(_) | ClientError::Request(_) | ClientError::Blocking(_) => OpError::Io(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::ErrorKind;

    #[test]
    fn client_errors_map_to_kinds() {
        let refused = ClientError::Connect {
            addr: "127.0.0.1:1".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(OpError::from(refused).kind(), ErrorKind::Connect);
        assert_eq!(
            OpError::from(ClientError::Timeout(Duration::ZERO)).kind(),
            ErrorKind::Timeout
        );
        assert_eq!(OpError::from(ClientError::Closed).kind(), ErrorKind::Closed);
    }
}
