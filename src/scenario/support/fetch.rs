//! N GETs of one path issued the ways the guide compares (sequential awaits,
//! `gather`, `create_task`, a bounded gather), on any runtime or with blocking
//! `ureq`: `fetch_parallel` and `sync_vs_async` time the same code through
//! [`FetchCase`] and [`fetch_all_blocking`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;

use crate::client::{BlockingClient, ClientError, ConnMode, HttpClient, Reply};
use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, OpError};
use crate::runtime::Runtime;
use crate::scenario::Ideal;
use crate::scenario::driver::AsyncScenario;

/// Upper limits that keep a data file from asking for an absurd run.
pub const MAX_REQUESTS: u64 = 10_000;
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// How the N requests are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `for … { get().await }`: the guide's sequential awaits.
    Sequential,
    /// `join_all` of N futures on one task: the guide's `gather`.
    JoinAll,
    /// N spawned tasks, then their handles awaited: `create_task`.
    Spawned,
    /// At most k in flight (`buffer_unordered(k)`): a semaphore-bounded gather.
    Bounded(usize),
}

impl Pattern {
    /// The batch time if every request took exactly `d` and nothing else
    /// cost anything; its requests go over `conn`.
    pub fn ideal(self, n: u64, d: Duration, conn: ConnMode) -> Ideal {
        let ms = d.as_millis();
        let (waves, formula) = match self {
            Pattern::Sequential => (n, format!("N·D = {n} × {ms} ms")),
            Pattern::JoinAll | Pattern::Spawned => (1, format!("D = {ms} ms")),
            Pattern::Bounded(k) => {
                let w = n.div_ceil(k as u64);
                (w, format!("⌈N/k⌉·D = ⌈{n}/{k}⌉ × {ms} ms"))
            }
        };
        Ideal::requests(waves, d, &delay_path(d), conn, formula)
    }
}

/// A connection mode as scenario files spell it; serde rejects any other
/// name at its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    Fresh,
    Keepalive,
}

impl From<Connection> for ConnMode {
    fn from(c: Connection) -> ConnMode {
        match c {
            Connection::Fresh => ConnMode::Fresh,
            Connection::Keepalive => ConnMode::KeepAlive,
        }
    }
}

/// The path of the server route that answers after `d`.
pub fn delay_path(d: Duration) -> Arc<str> {
    format!("/delay/{}", d.as_millis()).into()
}

/// A GET's outcome, async or blocking: its time since `t0` when the reply is a success, else
/// the failure (a non-2xx status is one).
fn judged(reply: Result<Reply, ClientError>, t0: Instant) -> Result<Duration, OpError> {
    match reply {
        Ok(r) if r.is_success() => Ok(t0.elapsed()),
        Ok(r) => Err(OpError::Status(r.status)),
        Err(e) => Err(e.into()),
    }
}

/// One GET, timed from `t0` (its intended start); a non-2xx status is a
/// failure.
pub async fn timed_get<R: Runtime>(client: &HttpClient<R>, path: &str, t0: Instant) -> Result<Duration, OpError> {
    judged(client.get(path).await, t0)
}

/// One GET, timed from the future's first poll (a spawned request's clock
/// starts when its task runs, not when it was queued).
pub async fn fetch_one<R: Runtime>(client: &HttpClient<R>, path: &str) -> Result<Duration, OpError> {
    timed_get(client, path, Instant::now()).await
}

/// Issues `n` GETs of `path` with `pattern` and returns each one's outcome.
pub async fn fetch_all<R: Runtime>(
    rt: &R,
    client: &HttpClient<R>,
    pattern: Pattern,
    n: u64,
    path: &Arc<str>,
) -> Vec<Result<Duration, OpError>> {
    match pattern {
        Pattern::Sequential => {
            let mut out = Vec::with_capacity(n as usize);
            for _ in 0..n {
                out.push(fetch_one(client, path).await);
            }
            out
        }
        Pattern::JoinAll => futures::future::join_all((0..n).map(|_| fetch_one(client, path))).await,
        Pattern::Spawned => {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (c, p) = (client.clone(), path.clone());
                    rt.spawn(async move { fetch_one(&c, &p).await })
                })
                .collect();
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(h.await.unwrap_or_else(|e| Err(e.into())));
            }
            out
        }
        Pattern::Bounded(k) => {
            futures::stream::iter(0..n)
                .map(|_| fetch_one(client, path))
                .buffer_unordered(k)
                .collect()
                .await
        }
    }
}

/// One fetch case: the same code on every runtime.
#[derive(Debug, Clone)]
pub struct FetchCase {
    pub pattern: Pattern,
    pub mode: ConnMode,
    pub n: u64,
    pub path: Arc<str>,
    pub server: SocketAddr,
    pub timeout: Duration,
}

impl AsyncScenario for FetchCase {
    type State<R: Runtime> = HttpClient<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<HttpClient<R>, String> {
        Ok(HttpClient::new(rt, self.server, self.mode, self.timeout))
    }

    async fn batch<R: Runtime>(&self, rt: &R, client: &mut HttpClient<R>) -> Batch {
        let sw = Stopwatch::start();
        let outcomes = fetch_all(rt, client, self.pattern, self.n, &self.path).await;
        Batch::from_outcomes(sw.stop(), outcomes)
    }
}

fn blocking_one(client: &BlockingClient, path: &str) -> Result<Duration, OpError> {
    let t0 = Instant::now();
    judged(client.get(path), t0)
}

/// The blocking counterpart of [`FetchCase`]'s batch: sequential calls on
/// this thread, or (any concurrent pattern) one std thread per request.
pub fn fetch_all_blocking(client: &BlockingClient, pattern: Pattern, n: u64, path: &Arc<str>) -> Batch {
    let sw = Stopwatch::start();
    let outcomes: Vec<Result<Duration, OpError>> = if pattern == Pattern::Sequential {
        (0..n).map(|_| blocking_one(client, path)).collect()
    } else {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (c, path) = (client.clone(), path.clone());
                std::thread::Builder::new().spawn(move || blocking_one(&c, &path))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(OpError::Join("request thread panicked".into()))),
                Err(e) => Err(OpError::Io(format!("cannot spawn thread: {e}"))),
            })
            .collect()
    };
    Batch::from_outcomes(sw.stop(), outcomes)
}
