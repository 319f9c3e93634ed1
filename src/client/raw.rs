//! The load generator's fastest request: a GET over one owned keep-alive
//! connection, HTTP/1.1 framed by hand around `httparse` (the parser hyper
//! itself uses). Hand-written because the profile of the hyper path
//! (`perf record -e task-clock`, `run --max-throughput`) showed its client
//! dispatch — a channel and a oneshot per request between `SendRequest` and
//! the connection, the body through another channel — as what kept the
//! generator below wrk, which frames requests the same way as this file.
//!
//! Scope, deliberately small: the request is preformatted once; a response
//! needs `Content-Length` (the test server and the http_server scenario
//! always send it); `Transfer-Encoding: chunked` is reported as an error, not
//! misread; `Connection: close` closes after the response.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};

use super::open_loop::Request;
use super::{ClientError, Reply};
use crate::measure::OpError;
use crate::runtime::Runtime;

/// The most header bytes a response may have.
pub(super) const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

/// A GET of one path over one connection, reopened when it closes. A clone
/// shares the target but opens a connection of its own.
pub struct RawGet<R: Runtime> {
    rt: R,
    target: Arc<Target>,
    live: Mutex<Option<Conn<R>>>,
}

struct Target {
    addr: std::net::SocketAddr,
    request: Vec<u8>,
    timeout: Duration,
}

struct Conn<R: Runtime> {
    sock: R::Tcp,
    buf: Vec<u8>,
}

impl<R: Runtime> Clone for RawGet<R> {
    fn clone(&self) -> Self {
        RawGet {
            rt: self.rt.clone(),
            target: self.target.clone(),
            live: Mutex::new(None),
        }
    }
}

/// What a response head says about the body.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) status: u16,
    pub(super) len: usize,
    pub(super) content_length: u64,
    pub(super) close: bool,
}

/// Parses a response head from `buf`: `Ok(None)` when more bytes are needed.
pub(super) fn parse_head(buf: &[u8]) -> Result<Option<Head>, ClientError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(ClientError::Request(format!("bad response head: {e}"))),
    };
    let (mut content_length, mut close) = (None, false);
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok());
            content_length = Some(v.ok_or_else(|| ClientError::Request("bad Content-Length".into()))?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(ClientError::Request(
                "chunked responses are not supported by the load generator".into(),
            ));
        } else if h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close") {
            close = true;
        }
    }
    Ok(Some(Head {
        status: resp.code.unwrap_or(0),
        len,
        content_length: content_length.unwrap_or(0),
        close,
    }))
}

impl<R: Runtime> RawGet<R> {
    /// A request for `path` on `addr`; a path that is not a plain
    /// origin-form path is an error here, before any load starts.
    pub fn new(rt: &R, addr: std::net::SocketAddr, path: &str, timeout: Duration) -> Result<Self, ClientError> {
        if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(ClientError::Request(format!(
                "{path:?}: a path starting with / without spaces or control characters"
            )));
        }
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes();
        Ok(RawGet {
            rt: rt.clone(),
            target: Arc::new(Target { addr, request, timeout }),
            live: Mutex::new(None),
        })
    }

    async fn exchange(&self, c: &mut Conn<R>) -> Result<(Reply, bool), ClientError> {
        let closed = |_: std::io::Error| ClientError::Closed;
        c.sock.write_all(&self.target.request).await.map_err(closed)?;
        c.buf.clear();
        let mut chunk = [0u8; 4096];
        let head = loop {
            let n = c.sock.read(&mut chunk).await.map_err(closed)?;
            if n == 0 {
                return Err(ClientError::Closed);
            }
            c.buf.extend_from_slice(&chunk[..n]);
            if let Some(h) = parse_head(&c.buf)? {
                break h;
            }
            if c.buf.len() > MAX_HEAD {
                return Err(ClientError::Request(format!("response head over {MAX_HEAD} bytes")));
            }
        };
        let mut body = (c.buf.len() - head.len) as u64;
        while body < head.content_length {
            let n = c.sock.read(&mut chunk).await.map_err(closed)?;
            if n == 0 {
                return Err(ClientError::Closed);
            }
            body += n as u64;
        }
        if body > head.content_length {
            // Bytes past the response: nothing was pipelined, so the stream is confused.
            return Err(ClientError::Request("bytes after the response body".into()));
        }
        Ok((
            Reply {
                status: head.status,
                body_len: body,
            },
            head.close,
        ))
    }

    async fn get(&self) -> Result<Reply, ClientError> {
        let t = &self.target;
        let work = async {
            let taken = self.live.lock().unwrap_or_else(PoisonError::into_inner).take();
            let mut c = match taken {
                Some(c) => c,
                None => Conn {
                    sock: self
                        .rt
                        .connect(t.addr)
                        .await
                        .map_err(|source| ClientError::Connect { addr: t.addr, source })?,
                    buf: Vec::with_capacity(4096),
                },
            };
            let (reply, close) = self.exchange(&mut c).await?;
            if !close {
                *self.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(c);
            }
            Ok(reply)
        };
        match self.rt.timeout(t.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Timeout(t.timeout)),
        }
    }
}

impl<R: Runtime> Request for RawGet<R> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_with_their_body_length() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ndate: x\r\n\r\nok";
        let h = parse_head(ok).unwrap().unwrap();
        assert_eq!(
            (h.status, h.len, h.content_length, h.close),
            (200, ok.len() - 2, 2, false)
        );
        assert_eq!(parse_head(&ok[..20]).unwrap(), None);
        let close = b"HTTP/1.1 503 x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let h = parse_head(close).unwrap().unwrap();
        assert_eq!((h.status, h.content_length, h.close), (503, 0, true));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }
}
