//! Reads the test server's `/stats` from inside a scenario, so a scenario can
//! check what the *server* saw (e.g. that cancelled requests' connections
//! really closed) rather than trusting the client's side of the story.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::client::{ConnMode, HttpClient};
use crate::measure::OpError;
use crate::runtime::Runtime;
use crate::server::ServerStats;

/// Polls `/stats` over one kept-alive connection: it stays open, so it is a
/// constant part of `connections_open` and polling opens nothing new.
pub struct ServerProbe<R: Runtime> {
    rt: R,
    client: HttpClient<R>,
}

/// What waiting for connections to close found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseWait {
    /// How long until the server's open count was back at the target; `None`
    /// if it never was within the wait.
    pub closed_after: Option<Duration>,
    /// Connections above the target at the last look.
    pub still_open: u64,
}

/// Polls back-to-back for this long (closes usually land within
/// microseconds), then every [`SLOW_POLL`] so a leak does not flood the server.
const FAST_POLLING: Duration = Duration::from_millis(20);
const SLOW_POLL: Duration = Duration::from_millis(1);

impl<R: Runtime> ServerProbe<R> {
    pub fn new(rt: &R, server: SocketAddr, timeout: Duration) -> Self {
        ServerProbe {
            rt: rt.clone(),
            client: HttpClient::new(rt, server, ConnMode::KeepAlive, timeout),
        }
    }

    pub async fn stats(&self) -> Result<ServerStats, OpError> {
        let (reply, body) = self.client.get_body("/stats").await?;
        if !reply.is_success() {
            return Err(OpError::Status(reply.status));
        }
        serde_json::from_slice(&body).map_err(|e| OpError::Invalid(format!("/stats is not valid JSON: {e}")))
    }

    /// Waits (at most `max_wait`) until no connection but the probe's own is
    /// open, so connections a previous case left closing cannot be mistaken
    /// for this case's. Returns the open count it settled on.
    pub async fn settle(&self, max_wait: Duration) -> Result<u64, OpError> {
        let w = self.wait_open_at_most(1, Instant::now(), max_wait).await?;
        Ok(1 + w.still_open)
    }

    /// Polls until the server's `connections_open` is at most `target`,
    /// timing from `since`; gives up after `max_wait`.
    pub async fn wait_open_at_most(
        &self,
        target: u64,
        since: Instant,
        max_wait: Duration,
    ) -> Result<CloseWait, OpError> {
        let started = Instant::now();
        loop {
            let open = self.stats().await?.connections_open;
            if open <= target {
                return Ok(CloseWait {
                    closed_after: Some(since.elapsed()),
                    still_open: 0,
                });
            }
            let waited = started.elapsed();
            if waited >= max_wait {
                return Ok(CloseWait {
                    closed_after: None,
                    still_open: open - target,
                });
            }
            if waited >= FAST_POLLING {
                self.rt.sleep(SLOW_POLL).await;
            }
        }
    }
}
