//! The blocking baseline: `ureq` (no TLS: plain HTTP to loopback).

use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::Duration;

use super::{ClientError, ConnMode, Reply};

/// A blocking client; `Clone` shares the agent (and its keep-alive pool)
/// between threads.
#[derive(Clone)]
pub struct BlockingClient {
    agent: ureq::Agent,
    addr: SocketAddr,
    base: String,
    timeout: Duration,
}

impl BlockingClient {
    pub fn new(addr: SocketAddr, mode: ConnMode, timeout: Duration) -> Self {
        let idle = match mode {
            ConnMode::Fresh => 0,
            ConnMode::KeepAlive => 64,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_idle_connections(idle)
            .max_idle_connections_per_host(idle)
            .build()
            .into();
        BlockingClient {
            agent,
            addr,
            base: format!("http://{addr}"),
            timeout,
        }
    }

    pub fn get(&self, path: &str) -> Result<Reply, ClientError> {
        let url = format!("{}{}", self.base, path);
        let mut resp = self.agent.get(&url).call().map_err(|e| self.error(e))?;
        let status = resp.status().as_u16();
        let mut reader = resp.body_mut().as_reader();
        let mut buf = [0u8; 16 * 1024];
        let mut body_len = 0u64;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => body_len += n as u64,
                // ureq hands its own errors (a timeout) back wrapped in io::Error.
                Err(e) => return Err(self.error(ureq::Error::from(e))),
            }
        }
        Ok(Reply { status, body_len })
    }

    /// The same kinds the async client reports, so a refused or reset
    /// connection counts alike on `threads` and on every runtime.
    fn error(&self, e: ureq::Error) -> ClientError {
        use io::ErrorKind as K;
        match e {
            ureq::Error::Timeout(_) => ClientError::Timeout(self.timeout),
            ureq::Error::Io(source) => match source.kind() {
                K::ConnectionRefused => ClientError::Connect {
                    addr: self.addr,
                    source,
                },
                K::TimedOut => ClientError::Timeout(self.timeout),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => ClientError::Closed,
                _ => ClientError::Blocking(source.to_string()),
            },
            ureq::Error::ConnectionFailed => ClientError::Connect {
                addr: self.addr,
                source: io::Error::other(e.to_string()),
            },
            other => ClientError::Blocking(other.to_string()),
        }
    }
}
