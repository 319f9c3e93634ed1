//! `http_server` — the runtime as a *server*: one hyper 1 HTTP/1.1 server,
//! written once and generic over [`Runtime`], with routes that model service
//! work (an immediate reply, a timer wait on the runtime's own timer, a CPU
//! burn, a body of a given size). The load comes from the project's open-loop
//! generator on its own thread, runtime and CPUs ([`crate::sweep::load`]),
//! never from the runtime under test.
//!
//! In `cargo bench` each case is one fixed offered rate from the file's
//! `bench_rates` (a short sweep); `asyncbench sweep` is the thorough one
//! (rising rates until saturation, knee at the file's SLO).

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
use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::param;
use crate::results::Comparison;
use crate::runtime::{Flavor, Listener, Runtime, first_of};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};
use crate::sweep::SweepSettings;
use crate::sweep::load::{LoadSpec, LoadThread};

/// Route bounds: what a request may ask of the server.
pub const MAX_DELAY_US: u64 = 10_000_000;
pub const MAX_BURN_US: u64 = 1_000_000;
pub const MAX_BODY_BYTES: u64 = 16 << 20;
/// Connections the server keeps open at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Offered rates a step may ask for.
pub const MAX_RATE: u64 = 1_000_000;

/// The bodies of `/body/{n}` are slices of this (zeroed, so it costs no
/// binary size and no per-request fill).
static BODY: [u8; MAX_BODY_BYTES as usize] = [0; MAX_BODY_BYTES as usize];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `/`: reply at once (the server's own overhead).
    Immediate,
    /// `/delay/{delay_us}`: wait on the runtime's timer, then reply.
    Delay,
    /// `/burn/{burn_us}`: spin the executor thread, then reply.
    Burn,
    /// `/body/{body_bytes}`: reply with a body of that size.
    Body,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    delay_us: Spanned<u64>,
    burn_us: Spanned<u64>,
    body_bytes: Spanned<u64>,
    connections: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    slo_p99_us: Spanned<u64>,
    bench_rates: Spanned<Vec<Spanned<u64>>>,
    bench_window_ms: Spanned<u64>,
    sweep_start_rps: Spanned<u64>,
    sweep_max_rps: Spanned<u64>,
    sweep_growth_pct: Spanned<u64>,
    sweep_step_secs: Spanned<u64>,
    sweep_refine_steps: Spanned<u64>,
    sweep_p99_bound_us: Spanned<u64>,
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct HttpServer {
    pub delay: Duration,
    pub burn: Duration,
    pub body_bytes: usize,
    pub bench_rates: Vec<u64>,
    pub bench_window: Duration,
    pub sweep: SweepSettings,
}

impl HttpServer {
    pub fn route(&self, v: Variant) -> Route {
        match v {
            Variant::Immediate => Route::Immediate,
            Variant::Delay => Route::Delay(self.delay),
            Variant::Burn => Route::Burn(self.burn),
            Variant::Body => Route::Body(self.body_bytes),
        }
    }

    /// Reads `path` as an http_server file (the sweep needs the typed
    /// parameters, not a loaded case list).
    pub fn load(path: &std::path::Path) -> Result<HttpServer, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            path: path.to_path_buf(),
            line: None,
            col: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        let src = Source { path, text: &text };
        let f: crate::scenario::file::FileMirror<Params> = src.parse()?;
        if f.scenario.get_ref() != Self::NAME {
            return Err(src.error(
                Some(f.scenario.span()),
                Some("scenario"),
                format!("`{}`: the sweep needs an http_server file", f.scenario.get_ref()),
            ));
        }
        Self::check(&f.params, &src)
    }
}

impl Scenario for HttpServer {
    const NAME: &'static str = "http_server";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let list = p.bench_rates.get_ref();
        if !(1..=8).contains(&list.len()) {
            return Err(crate::param_error!(
                src,
                p.bench_rates,
                "{} rates: allowed 1..=8 (the cargo bench sweep is short)",
                list.len()
            ));
        }
        let mut bench_rates = Vec::new();
        for r in list {
            bench_rates.push(src.range(r, "params.bench_rates", 1, MAX_RATE)?);
        }
        let start = param!(src, p.sweep_start_rps, 1, MAX_RATE)?;
        let sweep = SweepSettings {
            connections: param!(src, p.connections, 1, 1000)?,
            timeout: Duration::from_millis(param!(src, p.timeout_ms, 1, 60_000)?),
            slo_p99: Duration::from_micros(param!(src, p.slo_p99_us, 1, 10_000_000)?),
            start_rate: start,
            max_rate: param!(src, p.sweep_max_rps, start, MAX_RATE)?,
            growth: 1.0 + param!(src, p.sweep_growth_pct, 5, 900)? as f64 / 100.0,
            step: Duration::from_secs(param!(src, p.sweep_step_secs, 1, 600)?),
            refine_steps: param!(src, p.sweep_refine_steps, 0, 10)? as u32,
            p99_bound: Duration::from_micros(param!(src, p.sweep_p99_bound_us, 1, 60_000_000)?),
        };
        Ok(HttpServer {
            delay: Duration::from_micros(param!(src, p.delay_us, 0, MAX_DELAY_US)?),
            burn: Duration::from_micros(param!(src, p.burn_us, 0, MAX_BURN_US)?),
            body_bytes: param!(src, p.body_bytes, 0, MAX_BODY_BYTES)? as usize,
            bench_rates,
            bench_window: Duration::from_millis(param!(src, p.bench_window_ms, 10, 10_000)?),
            sweep,
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let path = self.route(v).path();
        self.bench_rates
            .iter()
            .enumerate()
            .map(|(i, &rate)| {
                Case::new(0, "requests")
                    .value(crate::results::figures::ValueFigure::P99FromIntended)
                    .sub(i, format!("{rate}rps"))
                    .note(format!(
                        "the runtime under test is the server (GET {path}); an open-loop generator (tokio-ct, its own thread and CPUs) offers {rate} requests/s over {} keep-alive connections",
                        self.sweep.connections
                    ))
                    .note("`latency` counts from each request's intended send time (corrected for coordinated omission), `latency_uncorrected` from its actual send; `generator_cpu` is the generator's CPU share of one core")
            })
            .collect()
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let rate = *self
            .bench_rates
            .get(case.key.sub)
            .ok_or_else(|| format!("case {} has no rate", case.variant))?;
        let s = ServerCase {
            slo: self.sweep.slo_p99,
            route: self.route(variant),
            rate,
            window: self.bench_window,
            connections: self.sweep.connections,
            timeout: self.sweep.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        // An open-loop row's value is its p99 from the intended send time per round: compared
        // across runtimes round by round.
        self.bench_rates
            .iter()
            .flat_map(|rate| {
                <Variant as crate::scenario::VariantName>::ALL.iter().map(move |v| {
                    Comparison::runtimes(
                        format!("{}-{rate}rps", <&str>::from(*v)),
                        format!(
                            "which runtime serves {} at {rate} requests/s with the lowest p99",
                            <&str>::from(*v)
                        ),
                    )
                })
            })
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "bench rates {:?}/s, delay {} µs, burn {} µs, body {} B, {} connections, SLO p99 {} µs",
            self.bench_rates,
            self.delay.as_micros(),
            self.burn.as_micros(),
            self.body_bytes,
            self.sweep.connections,
            self.sweep.slo_p99.as_micros()
        )
    }
}

/// One case: the server on the runtime under test at one offered rate.
pub struct ServerCase {
    pub slo: Duration,
    pub route: Route,
    pub rate: u64,
    pub window: Duration,
    pub connections: u64,
    pub timeout: Duration,
}

pub struct ServerState {
    // Field order: the load stops before the server does.
    load: LoadThread,
    _server: RuntimeServer,
}

impl AsyncScenario for ServerCase {
    type State<R: Runtime> = ServerState;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<ServerState, String> {
        let server = RuntimeServer::start(rt, ServerOpts::default())
            .await
            .map_err(|e| format!("server on the runtime under test: {e}"))?;
        let load = LoadThread::start(LoadSpec {
            server: server.addr(),
            path: self.route.path().into(),
            connections: self.connections,
            rate: self.rate,
            window: self.window,
            timeout: self.timeout,
            cpus: crate::sweep::generator_cpus(),
        })?;
        Ok(ServerState { load, _server: server })
    }

    async fn batch<R: Runtime>(&self, _rt: &R, st: &mut ServerState) -> Batch {
        // The cost is the server runtime's over the awaited window (the generator's threads
        // are excluded by name, see measure::cost); the wall stays the generator's window.
        let sw = Stopwatch::start();
        let window = st.load.window().await;
        let cost = sw.stop().cost;
        match window {
            Ok(w) => {
                let mut b = w.batch;
                b.cost = cost;
                b.values.push(("generator_cpu", w.generator_cpu));
                // Constant per case: the report's knee table judges by it.
                b.values
                    .push((crate::sweep::bench_knee::SLO_VALUE, self.slo.as_secs_f64() * 1e6));
                b
            }
            Err(_) => {
                let mut b = Batch {
                    wall: self.window,
                    cost,
                    ..Batch::default()
                };
                b.errors.add(ErrorKind::Join, 1);
                b
            }
        }
    }
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
}
