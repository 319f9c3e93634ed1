//! The local HTTP/1.1 test server every scenario talks to: hyper 1 on its own tokio runtime and threads, so it never competes with the runtime under test for an executor.

mod delay;
mod fingerprint;
mod handler;
mod routes;
mod stats;
mod timer;
mod timerfd;
pub mod under_test;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use delay::{BareUnit, DURATION_UNITS, DelayError, DurationError, MAX_DELAY, parse_delay, parse_duration};
pub use fingerprint::{ENV_ROUTE, ServerFingerprint, fetch_fingerprint};
pub use routes::{Route, RouteError, STATUS_RANGE, flaky_fails, parse_route};
pub use stats::{ServerStats, TimerLateness};
pub use timer::MAX_SPIN;

use handler::handle;
use stats::{ConnectionGuard, Counters, FlakyKeys};

/// Longest `/delay/{D}` and `/stall/{D}` accepted, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;
/// Largest `/bytes/{n}` body served.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Default listen backlog.
pub const LISTEN_BACKLOG: i32 = 4096;

/// Default cap on concurrently served connections (the load test holds 10 000).
pub const MAX_CONNECTIONS: usize = 16_384;
/// Default time a client gets to send a request head (and an idle keep-alive
/// connection to stay open).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head accepted (hyper's read buffer); larger heads get 431.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long shutdown lets connections finish before the runtime cancels them.
const GRACE: Duration = Duration::from_millis(250);
/// Upper bound on waiting for the runtime's threads once tasks are cancelled.
const RUNTIME_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause after a failed accept: errors like EMFILE persist, and retrying at once would spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Worker threads of the server's own runtime; 0 is treated as 1.
    pub threads: usize,
    pub backlog: i32,
    /// Connections served at once; more are accepted and closed at once
    /// (counted in `connections_rejected`) so a flood cannot exhaust the
    /// process's file descriptors.
    pub max_connections: usize,
    /// A client must send a complete request head within this time, and an
    /// idle keep-alive connection is closed after it: slow or silent clients
    /// cannot pin connections.
    pub header_read_timeout: Duration,
    /// Binding a non-loopback address must be asked for explicitly.
    pub allow_non_loopback: bool,
    /// Fault controls (`/stall`, `/flaky`) answer non-loopback clients too. Off by default:
    /// a server reachable from other machines must not let them freeze or fail it unasked.
    pub allow_remote_faults: bool,
    /// Most CPU the precise timer may spin per timed hold to meet its deadline (see
    /// `timer.rs`); zero trades precision (~35 µs late at p50 here) for no spinning at all.
    pub max_spin: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            threads: 1,
            backlog: LISTEN_BACKLOG,
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
            allow_non_loopback: false,
            allow_remote_faults: false,
            max_spin: MAX_SPIN,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "refusing to listen on {0}: not a loopback address (127.0.0.0/8 or ::1); pass the explicit non-loopback flag to allow it"
    )]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("cannot start the server runtime: {0}")]
    Runtime(io::Error),
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(io::Error),
    #[error("cannot print the listening address: {0}")]
    Output(io::Error),
}

/// State every connection task shares.
#[derive(Debug, Default)]
struct Shared {
    counters: Arc<Counters>,
    flaky: FlakyKeys,
    timer: timer::Timer,
    /// Responses are held until this instant (set by `/stall/{D}`).
    stall_until: std::sync::Mutex<Option<Instant>>,
    max_connections: usize,
    allow_remote_faults: bool,
    /// `/env`'s body: the listening address and thread count now, the environment collected
    /// on the first request (it runs git and rustc).
    fingerprint: std::sync::OnceLock<bytes::Bytes>,
    threads: usize,
    addr: Option<SocketAddr>,
}

impl Shared {
    fn stats(&self) -> ServerStats {
        let mut stats = self.counters.snapshot();
        stats.timer_lateness.spin_margin_ns = u64::try_from(self.timer.margin().as_nanos()).unwrap_or(u64::MAX);
        stats
    }
}

/// A running server; stops on [`TestServer::shutdown`] or drop.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
    runtime: Option<Runtime>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts the server on a fresh multi-thread tokio runtime with `cfg.threads` worker
    /// threads (named "asyncbench-server"); returns once it is listening.
    pub fn start(cfg: ServerConfig) -> Result<TestServer, ServerError> {
        if !cfg.addr.ip().is_loopback() && !cfg.allow_non_loopback {
            return Err(ServerError::NotLoopback(cfg.addr));
        }
        let bind_err = |source| ServerError::Bind { addr: cfg.addr, source };
        // Bind before building the runtime so the common failure (port taken) never has to
        // drop a runtime, which panics if the caller is itself inside one.
        let std_listener = bind(cfg.addr, cfg.backlog).map_err(bind_err)?;
        let addr = std_listener.local_addr().map_err(bind_err)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.threads.max(1))
            .thread_name("asyncbench-server")
            // The server's allocations are not the side under test's.
            .on_thread_start(crate::measure::alloc::exclude_current_thread)
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let registered = {
            let _ctx = runtime.enter();
            TcpListener::from_std(std_listener)
        };
        let listener = match registered {
            Ok(listener) => listener,
            Err(source) => {
                runtime.shutdown_background();
                return Err(bind_err(source));
            }
        };
        let shared = Arc::new(Shared {
            max_connections: cfg.max_connections.max(1),
            timer: timer::Timer::new(cfg.max_spin),
            allow_remote_faults: cfg.allow_remote_faults,
            threads: cfg.threads.max(1),
            addr: Some(addr),
            ..Shared::default()
        });
        let (stop, stop_rx) = watch::channel(false);
        let limits = Limits {
            header_read_timeout: cfg.header_read_timeout,
        };
        let accept_task = runtime.spawn(accept_loop(listener, Arc::clone(&shared), stop_rx, limits));
        Ok(TestServer {
            addr,
            shared,
            stop,
            accept_task: Some(accept_task),
            runtime: Some(runtime),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Stops accepting, closes connections and shuts the runtime down, waiting at most
    /// about 1.25 s. Dropping the server does the same.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        self.stop.send_replace(true);
        // Blocking inside an async context panics in tokio; there we can only cut loose.
        if tokio::runtime::Handle::try_current().is_ok() {
            runtime.shutdown_background();
            return;
        }
        let accept_task = self.accept_task.take();
        let counters = Arc::clone(&self.shared.counters);
        runtime.block_on(async move {
            let drained = async {
                if let Some(task) = accept_task {
                    let _ = task.await;
                }
                counters.all_closed().await;
            };
            let _ = tokio::time::timeout(GRACE, drained).await;
        });
        runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Raises this process's open-file limit to the hard limit the system
/// allows (each connection is a file descriptor; 10 000 connections need more
/// than the usual soft limit of 1024). Returns the limit now in force.
pub fn raise_fd_limit() -> io::Result<u64> {
    raise_fd_limit_to(u64::MAX).map(|l| l.soft)
}

/// RLIMIT_NOFILE: the soft limit before a raise, after it, and the hard limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimits {
    pub soft_before: u64,
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft open-file limit to `want`, capped at the hard limit, if it is below (a
/// `want` of 0 only reads the limits).
pub fn raise_fd_limit_to(want: u64) -> io::Result<FdLimits> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let target = want.min(lim.rlim_max);
    if lim.rlim_cur < target {
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(FdLimits {
        soft_before: lim.rlim_cur,
        soft: lim.rlim_cur.max(target),
        hard: lim.rlim_max,
    })
}

/// Runs a standalone server until Ctrl-C, printing `listening on http://ADDR` to stdout
/// once bound so scripts can read the port. Blocks the calling thread, so call it from
/// plain `main`, not from inside an async runtime.
pub fn serve_until_ctrl_c(cfg: ServerConfig) -> Result<(), ServerError> {
    // Best effort: without it the server still runs, with fewer connections.
    let _ = raise_fd_limit();
    let server = TestServer::start(cfg)?;
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {}", server.base_url())
        .and_then(|()| out.flush())
        .map_err(ServerError::Output)?;
    drop(out);
    let waited = match &server.runtime {
        Some(rt) => rt.block_on(tokio::signal::ctrl_c()),
        None => Ok(()),
    };
    server.shutdown();
    waited.map_err(ServerError::Signal)
}

fn bind(addr: SocketAddr, backlog: i32) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    // The usual 128 overflows on bursts of connects and shows up as 1 s SYN-retransmit outliers.
    socket.listen(backlog)?;
    Ok(socket.into())
}

/// Per-connection limits from the config.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>, limits: Limits) {
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                if shared.counters.open() >= shared.max_connections as u64 {
                    shared.counters.connection_rejected();
                    drop(stream);
                    continue;
                }
                let guard = shared.counters.connection_opened();
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    guard,
                    Arc::clone(&shared),
                    stop.clone(),
                    limits,
                ));
            }
            // The peer gave up between SYN and accept; nothing to report.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
            Err(e) => {
                eprintln!("asyncbench server: accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    _guard: ConnectionGuard,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) {
    // Latency benchmarks must not wait on Nagle; failure only costs latency, so it is ignored.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| handle(req, peer, Arc::clone(&shared)));
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        // A client closing mid-request must end the connection at once (and drop the
        // guard) rather than leave a half-closed socket waiting on a slow handler.
        .half_close(false)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let stopping = tokio::select! {
        // Connection errors are the client's business (resets, malformed requests).
        _ = conn.as_mut() => false,
        // Only a flag leaves the select: the watch guard it yields is not Send across an await.
        _ = stop.wait_for(|stopped| *stopped) => true,
    };
    if stopping {
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(GRACE, conn).await;
    }
}
