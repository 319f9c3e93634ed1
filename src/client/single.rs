//! The load generator's HTTP request: one keep-alive connection per
//! generator connection, owned outright (wrk's model), for the open-loop
//! [`Request`] trait.
//!
//! Cheaper per request than the pooled [`HttpClient`](super::HttpClient),
//! as profiled with `perf record -e task-clock` on `run --max-throughput`:
//! the connection is driven inside the request's own future (no connection
//! task to wake and schedule twice per request, no pool lock), and the URI
//! and Host header are parsed once, not per request.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::client::conn::http1::{self, Connection};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request as HttpRequest, Uri};

use super::http::{Sender, exchange};
use super::{ClientError, Reply};
use crate::measure::OpError;
use crate::measure::open_loop::Request;
use crate::runtime::{Runtime, first_of};

type Conn<R> = Pin<Box<Connection<<R as Runtime>::HttpIo, Empty<Bytes>>>>;

/// A GET of one path over one connection, reopened when it closes. A clone
/// shares the target but opens a connection of its own.
pub struct SingleConn<R: Runtime> {
    rt: R,
    target: Arc<Target>,
    live: Mutex<Option<(Sender, Conn<R>)>>,
}

struct Target {
    addr: std::net::SocketAddr,
    uri: Uri,
    host: HeaderValue,
    timeout: Duration,
}

impl<R: Runtime> Clone for SingleConn<R> {
    fn clone(&self) -> Self {
        SingleConn {
            rt: self.rt.clone(),
            target: self.target.clone(),
            live: Mutex::new(None),
        }
    }
}

impl<R: Runtime> SingleConn<R> {
    /// A request for `path` on `addr`; a bad path is an error here, before
    /// any load starts.
    pub fn new(rt: &R, addr: std::net::SocketAddr, path: &str, timeout: Duration) -> Result<Self, ClientError> {
        let uri: Uri = path.parse().map_err(|e| ClientError::Request(format!("{path}: {e}")))?;
        let host = HeaderValue::from_str(&addr.to_string()).map_err(|e| ClientError::Request(e.to_string()))?;
        Ok(SingleConn {
            rt: rt.clone(),
            target: Arc::new(Target {
                addr,
                uri,
                host,
                timeout,
            }),
            live: Mutex::new(None),
        })
    }

    async fn open(&self) -> Result<(Sender, Conn<R>), ClientError> {
        let io = self
            .rt
            .connect_http(self.target.addr)
            .await
            .map_err(|source| ClientError::Connect {
                addr: self.target.addr,
                source,
            })?;
        let (sender, conn) = http1::Builder::new().writev(false).handshake(io).await?;
        Ok((sender, Box::pin(conn)))
    }

    async fn get(&self) -> Result<Reply, ClientError> {
        let t = &self.target;
        let work = async {
            let taken = self.live.lock().unwrap_or_else(PoisonError::into_inner).take();
            let (mut sender, mut conn) = match taken {
                Some(l) => l,
                None => self.open().await?,
            };
            let mut req = HttpRequest::new(Empty::<Bytes>::new());
            *req.uri_mut() = t.uri.clone();
            req.headers_mut().insert(HOST, t.host.clone());
            // The connection is polled only while a request is out: between
            // requests an HTTP/1 connection has nothing to do.
            let reply = first_of(exchange(&mut sender, req, None), async {
                (&mut conn).await?;
                Err(ClientError::Closed)
            })
            .await?;
            if !sender.is_closed() {
                *self.live.lock().unwrap_or_else(PoisonError::into_inner) = Some((sender, conn));
            }
            Ok(reply)
        };
        // Boxed: the exchange's state is large, and each layer of futures
        // (timeout, select, the generator's loop) would otherwise copy all of
        // it when it moves in — perf showed that memmove at the top of the
        // generator's own profile; one small allocation costs less.
        match self.rt.timeout(t.timeout, Box::pin(work)).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Timeout(t.timeout)),
        }
    }
}

impl<R: Runtime> Request for SingleConn<R> {
    type Outcome = Result<Reply, ClientError>;

    fn send(&self) -> impl Future<Output = Self::Outcome> + Send {
        self.get()
    }

    fn check(outcome: Self::Outcome) -> Result<(), OpError> {
        match outcome {
            Ok(reply) if reply.is_success() => Ok(()),
            Ok(reply) => Err(OpError::Status(reply.status)),
            Err(e) => Err(e.into()),
        }
    }
}
