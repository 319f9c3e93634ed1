//! The hyper 1 client used by every async runtime.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};

use super::{ClientError, Reply};
use crate::runtime::Runtime;

/// How connections are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnMode {
    /// A new TCP connection per request, closed after the response.
    Fresh,
    /// Idle connections are kept and reused (HTTP/1.1 keep-alive).
    KeepAlive,
}

impl ConnMode {
    pub fn name(self) -> &'static str {
        match self {
            ConnMode::Fresh => "fresh",
            ConnMode::KeepAlive => "keepalive",
        }
    }
}

type Sender = SendRequest<Empty<Bytes>>;

/// A GET-only client for the test server. Cheap to clone: clones share the
/// keep-alive pool.
#[derive(Clone)]
pub struct HttpClient<R: Runtime> {
    rt: R,
    addr: SocketAddr,
    host: Arc<str>,
    mode: ConnMode,
    timeout: Duration,
    idle: Arc<Mutex<Vec<Sender>>>,
}

impl<R: Runtime> HttpClient<R> {
    pub fn new(rt: &R, addr: SocketAddr, mode: ConnMode, timeout: Duration) -> Self {
        HttpClient {
            rt: rt.clone(),
            addr,
            host: addr.to_string().into(),
            mode,
            timeout,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn mode(&self) -> ConnMode {
        self.mode
    }

    /// GETs `path` and reads the whole body. Every request is bounded by the
    /// client's timeout; no outcome panics.
    pub async fn get(&self, path: &str) -> Result<Reply, ClientError> {
        self.request(path, None).await
    }

    /// Like [`get`](Self::get), but also returns the body (at most
    /// [`MAX_KEPT_BODY`] bytes are kept), e.g. to parse `/stats`.
    pub async fn get_body(&self, path: &str) -> Result<(Reply, Vec<u8>), ClientError> {
        let mut body = Vec::new();
        let reply = self.request(path, Some(&mut body)).await?;
        Ok((reply, body))
    }

    async fn request(&self, path: &str, keep: Option<&mut Vec<u8>>) -> Result<Reply, ClientError> {
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, &*self.host)
            .body(Empty::<Bytes>::new())
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let work = async {
            match self.mode {
                ConnMode::Fresh => self.fresh(req, keep).await,
                ConnMode::KeepAlive => self.pooled(req, keep).await,
            }
        };
        match self.rt.timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Timeout(self.timeout)),
        }
    }

    async fn handshake(
        &self,
    ) -> Result<(Sender, impl Future<Output = Result<(), hyper::Error>> + Send + use<R>), ClientError> {
        let io = self
            .rt
            .connect_http(self.addr)
            .await
            .map_err(|source| ClientError::Connect {
                addr: self.addr,
                source,
            })?;
        Ok(http1::handshake(io).await?)
    }

    /// The connection is driven inside this future rather than spawned, so
    /// dropping the request (a cancelled select loser) closes the socket at
    /// once and the server sees it go.
    async fn fresh(&self, req: hyper::Request<Empty<Bytes>>, keep: Option<&mut Vec<u8>>) -> Result<Reply, ClientError> {
        let (mut sender, conn) = self.handshake().await?;
        let exchange = async move { exchange(&mut sender, req, keep).await };
        let drive = async move {
            conn.await?;
            Err(ClientError::Closed)
        };
        crate::runtime::first_of(exchange, drive).await
    }

    async fn pooled(
        &self,
        req: hyper::Request<Empty<Bytes>>,
        keep: Option<&mut Vec<u8>>,
    ) -> Result<Reply, ClientError> {
        let mut sender = match self.take_idle() {
            Some(s) => s,
            None => {
                let (sender, conn) = self.handshake().await?;
                // Pooled connections outlive one request, so they run as
                // their own task; it ends when the last sender is dropped.
                drop(self.rt.spawn(conn));
                sender
            }
        };
        let reply = exchange(&mut sender, req, keep).await?;
        if !sender.is_closed()
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push(sender);
        }
        Ok(reply)
    }

    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(s) = idle.pop() {
            // `exchange` waits for readiness; a connection busy finishing its
            // last response is still worth reusing.
            if !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    /// Drops every idle connection (their tasks then end).
    pub fn close_idle(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// Bodies kept by [`HttpClient::get_body`] are cut at this size: it is for
/// small JSON answers, and `/bytes` can be 64 MiB.
pub(super) const MAX_KEPT_BODY: usize = 1 << 20;

async fn exchange(
    sender: &mut Sender,
    req: hyper::Request<Empty<Bytes>>,
    mut keep: Option<&mut Vec<u8>>,
) -> Result<Reply, ClientError> {
    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut body_len = 0u64;
    // Count the body frame by frame rather than buffering it: /bytes can
    // be 64 MiB.
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            body_len += data.len() as u64;
            if let Some(buf) = keep.as_deref_mut() {
                let room = MAX_KEPT_BODY.saturating_sub(buf.len());
                buf.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
    }
    Ok(Reply { status, body_len })
}
