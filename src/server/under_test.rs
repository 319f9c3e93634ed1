//! The server under test: one hyper 1 HTTP/1.1 server, written once and
//! generic over [`Runtime`], that runs *on* the runtime being measured (unlike
//! the test server in this folder, which runs on its own tokio threads).
//! Its routes model service work: an immediate reply, a timer wait on the
//! runtime's own timer, a CPU burn, a body of a given size. Both the
//! `http_server` scenario and `asyncbench sweep` serve with it.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};

use crate::runtime::{Listener, Runtime, first_of};

/// Route bounds: what a request may ask of the server.
pub const MAX_DELAY_US: u64 = 10_000_000;
pub const MAX_BURN_US: u64 = 1_000_000;
pub const MAX_BODY_BYTES: u64 = 16 << 20;
/// Connections the server keeps open at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 10_000;

/// The bodies of `/body/{n}` are slices of this (zeroed, so it costs no
/// binary size and no per-request fill).
static BODY: [u8; MAX_BODY_BYTES as usize] = [0; MAX_BODY_BYTES as usize];

/// The `values` keys [`Route::figure`] writes, one per kind of route.
pub const ROUTE_FIGURES: [&str; 5] = [
    "route_immediate",
    "route_delay_us",
    "route_burn_us",
    "route_body_bytes",
    "route_panic",
];

/// What one request asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Immediate,
    Delay(Duration),
    Burn(Duration),
    Body(usize),
    /// Panics in the handler: only on servers started with `panic_route`
    /// (tests of error accounting).
    Panic,
}

impl Route {
    /// Parses a request path; the error names the value and its range.
    pub fn parse(path: &str, panic_route: bool) -> Result<Route, (StatusCode, String)> {
        let num = |what: &str, v: &str, hi: u64, unit: &str| -> Result<u64, (StatusCode, String)> {
            match v.parse::<u64>() {
                Ok(n) if n <= hi => Ok(n),
                _ => Err((
                    StatusCode::BAD_REQUEST,
                    format!("/{what}/{v}: allowed 0..={hi} {unit}\n"),
                )),
            }
        };
        let mut parts = path.trim_start_matches('/').splitn(2, '/');
        match (parts.next().unwrap_or(""), parts.next()) {
            ("", None) | ("immediate", None) => Ok(Route::Immediate),
            ("delay", Some(v)) => Ok(Route::Delay(Duration::from_micros(num(
                "delay",
                v,
                MAX_DELAY_US,
                "µs",
            )?))),
            ("burn", Some(v)) => Ok(Route::Burn(Duration::from_micros(num("burn", v, MAX_BURN_US, "µs")?))),
            ("body", Some(v)) => Ok(Route::Body(num("body", v, MAX_BODY_BYTES, "bytes")? as usize)),
            ("panic", None) if panic_route => Ok(Route::Panic),
            _ => Err((
                StatusCode::NOT_FOUND,
                format!("{path}: routes are /, /delay/{{µs}}, /burn/{{µs}}, /body/{{bytes}}\n"),
            )),
        }
    }

    /// The route as one figure a result row carries in its `values` (name, value): what the
    /// report reads back with [`Route::from_figures`], so no reader parses a variant label.
    pub fn figure(self) -> (&'static str, f64) {
        match self {
            Route::Immediate => (ROUTE_FIGURES[0], 1.0),
            Route::Delay(d) => (ROUTE_FIGURES[1], d.as_micros() as f64),
            Route::Burn(d) => (ROUTE_FIGURES[2], d.as_micros() as f64),
            Route::Body(n) => (ROUTE_FIGURES[3], n as f64),
            Route::Panic => (ROUTE_FIGURES[4], 1.0),
        }
    }

    /// The route a row's `values` name by [`Route::figure`]; `None` unless exactly one route
    /// figure is there (a row of another scenario, or of a run made before rows carried it).
    pub fn from_figures(values: &BTreeMap<String, f64>) -> Option<Route> {
        let mut found = ROUTE_FIGURES.iter().filter_map(|&k| values.get(k).map(|&v| (k, v)));
        let (k, v) = found.next()?;
        if found.next().is_some() || !(v.is_finite() && v >= 0.0) {
            return None;
        }
        let n = v.round() as u64;
        Some(match k {
            "route_immediate" => Route::Immediate,
            "route_delay_us" => Route::Delay(Duration::from_micros(n)),
            "route_burn_us" => Route::Burn(Duration::from_micros(n)),
            "route_body_bytes" => Route::Body(usize::try_from(n).ok()?),
            _ => Route::Panic,
        })
    }

    pub fn path(self) -> String {
        match self {
            Route::Immediate => "/".into(),
            Route::Delay(d) => format!("/delay/{}", d.as_micros()),
            Route::Burn(d) => format!("/burn/{}", d.as_micros()),
            Route::Body(n) => format!("/body/{n}"),
            Route::Panic => "/panic".into(),
        }
    }
}

/// The server's options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerOpts {
    pub panic_route: bool,
}

/// A server running on the runtime under test. Dropping it stops the accept
/// loop and every connection (each selects on the same stop channel).
pub struct RuntimeServer {
    addr: SocketAddr,
    _stop: async_channel::Sender<()>,
}

impl RuntimeServer {
    /// Listens on an ephemeral loopback port and serves on `rt`.
    pub async fn start<R: Runtime>(rt: &R, opts: ServerOpts) -> io::Result<RuntimeServer> {
        let listener = rt.listen(([127, 0, 0, 1], 0).into()).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = async_channel::bounded::<()>(1);
        drop(rt.spawn(accept_loop(rt.clone(), listener, stopped, opts)));
        Ok(RuntimeServer { addr, _stop: stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Resolves when the server's [`RuntimeServer`] is dropped.
async fn until_stopped(stop: &async_channel::Receiver<()>) {
    let _ = stop.recv().await;
}

async fn accept_loop<R: Runtime>(rt: R, l: R::Listener, stop: async_channel::Receiver<()>, opts: ServerOpts) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let accepted = first_of(async { Some(l.accept().await) }, async {
            until_stopped(&stop).await;
            None
        })
        .await;
        match accepted {
            None => return,
            Some(Ok((sock, _))) => {
                if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    drop(sock);
                    continue;
                }
                open.fetch_add(1, Ordering::Relaxed);
                let (rt2, stop2, open2) = (rt.clone(), stop.clone(), open.clone());
                drop(rt.spawn(async move {
                    connection(rt2, sock, &stop2, opts).await;
                    open2.fetch_sub(1, Ordering::Relaxed);
                }));
            }
            // Out of descriptors and the like: pause rather than spin.
            Some(Err(_)) => rt.sleep(Duration::from_millis(1)).await,
        }
    }
}

/// Serves one connection until the client closes it or the server stops.
/// A panicking handler unwinds this task: the runtime catches it and the
/// socket closes, so the client sees a reset, never a hang.
async fn connection<R: Runtime>(rt: R, sock: R::Tcp, stop: &async_channel::Receiver<()>, opts: ServerOpts) {
    // smol-hyper's futures-io adapter for every runtime alike (R::Tcp is
    // futures-io on all of them), so no runtime gets a different I/O path.
    let io = smol_hyper::rt::FuturesIo::new(sock);
    let svc = service_fn(move |req| handle(rt.clone(), req, opts));
    let mut b = http1::Builder::new();
    // The header-read timeout needs a hyper Timer; loopback clients of our own
    // generator do not dribble headers, and the stop channel bounds the rest.
    b.header_read_timeout(None);
    let conn = b.serve_connection(io, svc);
    first_of(
        async {
            let _ = conn.await;
        },
        until_stopped(stop),
    )
    .await;
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r
}

async fn handle<R: Runtime>(
    rt: R,
    req: Request<Incoming>,
    opts: ServerOpts,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let route = match Route::parse(req.uri().path(), opts.panic_route) {
        Ok(r) => r,
        Err((status, msg)) => return Ok(reply(status, Bytes::from(msg))),
    };
    Ok(match route {
        Route::Immediate => reply(StatusCode::OK, Bytes::from_static(b"ok")),
        Route::Delay(d) => {
            rt.sleep(d).await;
            reply(StatusCode::OK, Bytes::from_static(b"ok"))
        }
        Route::Burn(d) => {
            // Service work that holds the executor thread, as a CPU-bound
            // handler does.
            let t0 = Instant::now();
            while t0.elapsed() < d {
                std::hint::spin_loop();
            }
            reply(StatusCode::OK, Bytes::from_static(b"ok"))
        }
        Route::Body(n) => reply(StatusCode::OK, Bytes::from_static(&BODY[..n])),
        Route::Panic => panic!("the /panic route panicked, as asked"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_with_their_bounds() {
        assert_eq!(Route::parse("/", false), Ok(Route::Immediate));
        assert_eq!(
            Route::parse("/burn/20", false),
            Ok(Route::Burn(Duration::from_micros(20)))
        );
        assert_eq!(Route::parse("/body/16", false), Ok(Route::Body(16)));
        let (status, msg) = Route::parse("/delay/10000001", false).unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(msg.contains("10000001") && msg.contains("0..=10000000"), "{msg}");
        assert_eq!(Route::parse("/panic", false).unwrap_err().0, StatusCode::NOT_FOUND);
        assert_eq!(Route::parse("/panic", true), Ok(Route::Panic));
        for r in [Route::Immediate, Route::Delay(Duration::from_micros(7)), Route::Body(3)] {
            assert_eq!(Route::parse(&r.path(), false), Ok(r));
        }
    }

    #[test]
    fn a_route_survives_its_figure() {
        for r in [
            Route::Immediate,
            Route::Delay(Duration::from_micros(1000)),
            Route::Burn(Duration::from_micros(50)),
            Route::Body(16384),
        ] {
            let (k, v) = r.figure();
            let values: BTreeMap<String, f64> = [(k.to_string(), v), ("asked_rps".into(), 2000.0)].into();
            assert_eq!(Route::from_figures(&values), Some(r));
        }
        assert_eq!(Route::from_figures(&BTreeMap::new()), None);
        let two: BTreeMap<String, f64> = [("route_immediate".into(), 1.0), ("route_burn_us".into(), 5.0)].into();
        assert_eq!(Route::from_figures(&two), None);
    }
}
