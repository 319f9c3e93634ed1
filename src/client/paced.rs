//! The server side's load generator, as cheap per request as wrk: each
//! generator thread owns its connections and their schedules in one epoll
//! loop ([`evloop`](super::evloop)), and a due send is written on the loop
//! turn that finds it due — no wake-up across threads, no lock per request
//! (the runtime-generic [`Generator`](crate::client::open_loop::Generator)
//! paid a cross-thread wake per paced send, ~49 µs of generator CPU).
//!
//! Pacing: wrk2's schedule (request i of connection k is due at
//! `start + (k + i·C) / rate`, [`Schedule`]), every connection on the one
//! schedule whichever thread owns it, so T threads offer exactly the stream
//! one would. The loop sleeps in `epoll_pwait2` until the next due time
//! (a nanosecond timeout with 1 ns timer slack: tens of µs, not the
//! runtime's 1 ms wheel), waking `spin` early and polling the rest on a
//! pinned thread ([`looper`]).
//!
//! Coalescing ([`PacedSpec::coalesce`], off by default): a turn also sends
//! the requests due within the allowance, early, so sends due close together
//! share one wake. On this 2-core VM a sleep and its wake cost ~15 µs of the
//! thread's CPU, about three times a request's own work, and a paced client
//! wakes for its timer and for replies that a saturated closed loop (wrk's
//! 5-6 µs per request) never sleeps for. Paced at 30,000/s against the sink
//! (benches/generator_capacity.rs, 2026-12-06): 21 µs per request with no
//! spin and no coalescing, 17 µs coalescing within 50 µs (0.38 sleeps per
//! request, from 0.59), against wrk's 12.9 µs running closed loop at 32k/s on
//! 3 connections. The sweep keeps it off: every send at its time, a smooth
//! arrival process, and its generator-bound reads the busy share, which a
//! spinning loop keeps lower than a sleeping one. An early send is recorded in
//! `send_early` (and its lag is zero); its latency counts from the actual
//! send, since the reply can come before the intended time.
//!
//! Three histograms per window, all from this thread's clock:
//! - `corrected`: reply − intended send (coordinated omission corrected, as
//!   wrk2 and Tene's "How NOT to Measure Latency");
//! - `uncorrected`: reply − actual send;
//! - `send_lag`: actual send − the moment the send became possible (due
//!   *and* its connection free of the previous reply). A late reply delays
//!   the next send too, but that delay is the server's; this lag is only the
//!   generator's own, so "generator-bound" can be read from it alone.
//!
//! Per window also the thread's CPU time, its sleeps, and what the machine
//! took from it: time runnable but waiting on a run queue, and involuntary
//! context switches (a loaded machine's share of the send lag).
//!
//! Not the runtime under test: the generator is the load, not the subject.
//! HTTP/1.1 framed as in [`raw`](super::raw) (`Content-Length` bodies only).

mod looper;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::evloop::{EventFd, now_ns};
use crate::measure::ErrorCounts;
use crate::measure::placement::CpuSet;
use looper::Thread;

/// Generator threads' name: the cost counters leave threads of this name out
/// (`measure::cost::EXCLUDED_THREADS`), since the side under test is the server.
pub const THREAD_NAME: &str = "asyncbench-load";

/// The spin for a generator on its own core: a wake lands this early at
/// most, then polls to the due time. Below this VM's p50 timer lateness
/// (~36 µs), so most wakes are late anyway and spin nothing; the rest are
/// caught on time for at most 25 µs of CPU each.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(25);

/// How early a paced send may go so that sends due close together share one wake: none, so
/// every send goes at its time (the module doc says what coalescing saves and costs).
pub const DEFAULT_COALESCE: Duration = Duration::ZERO;

/// What the generator is asked for.
#[derive(Debug, Clone)]
pub struct PacedSpec {
    pub server: SocketAddr,
    pub path: String,
    pub connections: u64,
    /// Requests/s over all connections; `None`: closed loop (each connection
    /// sends again on its reply, as wrk does).
    pub rate: Option<u64>,
    pub timeout: Duration,
    pub window: Duration,
    /// One generator thread per entry, pinned to that set when given; the
    /// connections are dealt round-robin. Empty: one unpinned thread.
    pub threads: Vec<Option<CpuSet>>,
    /// Wake this long before a due send and poll the rest ([`DEFAULT_SPIN`]);
    /// applied on pinned threads only (a thread without its own core spins
    /// nothing, so it never takes CPU from the server it shares one with).
    pub spin: Duration,
    /// How early a send may go so that sends due close together share one
    /// wake ([`DEFAULT_COALESCE`]; zero: never before its time). Each early
    /// send is recorded in `send_early`; its latency counts from the actual
    /// send, never from the later intended time.
    pub coalesce: Duration,
}

/// One window of one generator thread.
#[derive(Debug, Default)]
struct Part {
    index: u64,
    corrected: Vec<Duration>,
    uncorrected: Vec<Duration>,
    send_lag: Vec<Duration>,
    send_early: Vec<Duration>,
    errors: ErrorCounts,
    sent: u64,
    cpu: Duration,
    /// Time in polls that found nothing to do while a send was due within the spin.
    spun: Duration,
    sleeps: u64,
    run_queue_wait: Duration,
    involuntary_switches: u64,
}

/// One window of the whole generator (every thread's part merged).
#[derive(Debug, Default)]
pub struct PacedWindow {
    pub index: u64,
    pub span: Duration,
    pub corrected: Vec<Duration>,
    pub uncorrected: Vec<Duration>,
    /// Open loop only (empty closed loop): how late each send went (zero for
    /// one on time or early).
    pub send_lag: Vec<Duration>,
    /// Open loop only: how early each send went (zero for one on time or
    /// late), within [`PacedSpec::coalesce`]. One entry per send, as `send_lag`.
    pub send_early: Vec<Duration>,
    pub errors: ErrorCounts,
    pub sent: u64,
    /// CPU time of all generator threads over the window.
    pub cpu: Duration,
    /// The busiest generator thread's CPU as a share of its core (1.0 = busy
    /// the whole window): the figure that says whether the generator ran out.
    pub max_thread_cpu: f64,
    /// Time the generator threads spun: polls that found no reply and no send due while
    /// waiting for a send within the spin (CPU spent by choice, given back when there is work).
    pub spun: Duration,
    /// The busiest thread's CPU less its spin, as a share of its core: the load it could not
    /// give back, the figure that says whether the generator ran out (a spinning generator's
    /// CPU share reads near 1 at any rate whose sends are closer together than its spin plus a
    /// wake).
    pub max_thread_busy: f64,
    /// Times the generator threads slept (waited with a timeout in the future).
    pub sleeps: u64,
    /// Time the generator threads were runnable but waiting for a CPU
    /// (`/proc/thread-self/schedstat`): the machine's, not the generator's.
    pub run_queue_wait: Duration,
    /// Involuntary context switches of the generator threads (preemptions).
    pub involuntary_switches: u64,
}

impl PacedWindow {
    pub fn completed(&self) -> u64 {
        self.corrected.len() as u64
    }
}

/// A running generator. Dropping it stops and joins its threads.
pub struct PacedGenerator {
    parts: async_channel::Receiver<Result<Part, String>>,
    stop: Arc<AtomicBool>,
    wakes: Vec<Arc<EventFd>>,
    joins: Vec<std::thread::JoinHandle<()>>,
    pending: BTreeMap<u64, Vec<Part>>,
    next: u64,
    window: Duration,
    /// Each thread's CPU set as read back from the kernel.
    pub placed_on: Vec<Option<CpuSet>>,
    /// The schedule's start (std clock), for callers that time windows.
    pub start: Instant,
}

impl Drop for PacedGenerator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for w in &self.wakes {
            w.notify();
        }
        for j in self.joins.drain(..) {
            let _ = j.join();
        }
    }
}

impl PacedGenerator {
    /// Starts the threads, opens every connection, then starts the schedule.
    /// A bad path, an unreachable server or an unpinnable CPU set is an error
    /// here, before any load.
    pub fn start(spec: PacedSpec) -> Result<PacedGenerator, String> {
        let path = &spec.path;
        if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(format!(
                "{path:?}: a path starting with / without spaces or control characters"
            ));
        }
        if spec.connections == 0 {
            return Err("0 connections: allowed 1 or more".into());
        }
        let request: Arc<[u8]> = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", spec.server)
            .into_bytes()
            .into();
        let sets = if spec.threads.is_empty() {
            vec![None]
        } else {
            spec.threads.clone()
        };
        let t = (sets.len() as u64).min(spec.connections) as usize;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, parts) = async_channel::unbounded();
        let (mut wakes, mut joins, mut starts, mut readies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (n, set) in sets.into_iter().take(t).enumerate() {
            let wake = Arc::new(EventFd::new().map_err(|e| format!("eventfd: {e}"))?);
            let (start_tx, start_rx) = std::sync::mpsc::channel::<Option<u64>>();
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let ks: Vec<u64> = (0..spec.connections).filter(|k| k % t as u64 == n as u64).collect();
            let th = Thread {
                spec: spec.clone(),
                request: request.clone(),
                ks,
                stop: stop.clone(),
                wake: wake.clone(),
                out: tx.clone(),
            };
            let j = std::thread::Builder::new()
                .name(THREAD_NAME.into())
                .spawn(move || th.run(set, ready_tx, start_rx))
                .map_err(|e| format!("cannot start a generator thread: {e}"))?;
            wakes.push(wake);
            joins.push(j);
            starts.push(start_tx);
            readies.push(ready_rx);
        }
        let mut g = PacedGenerator {
            parts,
            stop,
            wakes,
            joins,
            pending: BTreeMap::new(),
            next: 0,
            window: spec.window,
            placed_on: Vec::new(),
            start: Instant::now(),
        };
        let mut failed = None;
        for r in &readies {
            match r.recv() {
                Ok(Ok(placed)) => g.placed_on.push(placed),
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(_) => failed = failed.or(Some("a generator thread ended while starting".to_string())),
            }
        }
        if let Some(e) = failed {
            for s in &starts {
                let _ = s.send(None);
            }
            return Err(e);
        }
        // A little ahead, so the first sends are not late by the hand-over itself.
        let start = now_ns() + 2_000_000;
        g.start = Instant::now() + Duration::from_millis(2);
        for s in &starts {
            let _ = s.send(Some(start));
        }
        Ok(g)
    }

    pub fn threads(&self) -> usize {
        self.wakes.len()
    }

    fn take(&mut self, p: Result<Part, String>) -> Result<Option<PacedWindow>, String> {
        let p = p?;
        self.pending.entry(p.index).or_default().push(p);
        if self.pending.get(&self.next).map_or(0, Vec::len) < self.threads() {
            return Ok(None);
        }
        let parts = self.pending.remove(&self.next).unwrap_or_default();
        let mut w = PacedWindow {
            index: self.next,
            span: self.window,
            ..PacedWindow::default()
        };
        self.next += 1;
        for p in parts {
            w.corrected.extend(p.corrected);
            w.uncorrected.extend(p.uncorrected);
            w.send_lag.extend(p.send_lag);
            w.send_early.extend(p.send_early);
            w.errors.merge(&p.errors);
            w.sent += p.sent;
            w.cpu += p.cpu;
            w.spun += p.spun;
            w.sleeps += p.sleeps;
            w.run_queue_wait += p.run_queue_wait;
            w.involuntary_switches += p.involuntary_switches;
            let span = self.window.as_secs_f64().max(1e-9);
            w.max_thread_cpu = w.max_thread_cpu.max(p.cpu.as_secs_f64() / span);
            let busy = p.cpu.saturating_sub(p.spun);
            w.max_thread_busy = w.max_thread_busy.max(busy.as_secs_f64() / span);
        }
        Ok(Some(w))
    }

    /// The next window, awaited on any runtime (one wake per window, not per request).
    pub async fn window(&mut self) -> Result<PacedWindow, String> {
        loop {
            let p = self
                .parts
                .recv()
                .await
                .map_err(|_| "the load generator stopped".to_string())?;
            if let Some(w) = self.take(p)? {
                return Ok(w);
            }
        }
    }

    /// When window `index` begins (the std clock).
    pub fn window_begins(&self, index: u64) -> Instant {
        let w = self.window.max(Duration::from_millis(1));
        self.start + w.saturating_mul(u32::try_from(index).unwrap_or(u32::MAX))
    }

    /// The first window not yet handed out that begins at or after `at`, and when it begins.
    pub fn first_window_from(&self, at: Instant) -> (u64, Instant) {
        let w = self.window.max(Duration::from_millis(1)).as_nanos().max(1);
        let since = at.saturating_duration_since(self.start).as_nanos();
        let k = u64::try_from(since.div_ceil(w)).unwrap_or(u64::MAX).max(self.next);
        (k, self.window_begins(k))
    }

    /// Window `index`, dropping the earlier ones not yet handed out. A window
    /// that ran before its caller was waiting is stale: on a one-thread runtime the server
    /// under test is driven only while a batch awaits, so such a window measured a server
    /// nobody ran.
    pub async fn window_number(&mut self, index: u64) -> Result<PacedWindow, String> {
        loop {
            let w = self.window().await?;
            if w.index >= index {
                return Ok(w);
            }
        }
    }

    /// The next window, blocking the calling thread.
    pub fn window_blocking(&mut self) -> Result<PacedWindow, String> {
        loop {
            let p = self
                .parts
                .recv_blocking()
                .map_err(|_| "the load generator stopped".to_string())?;
            if let Some(w) = self.take(p)? {
                return Ok(w);
            }
        }
    }
}
