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
//! one would. The loop sleeps in `epoll_wait` until a zero-slack timerfd
//! fires at the next due time (tens of µs, not the runtime's 1 ms wheel),
//! optionally spinning for the last `spin` before it on its own core.
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
//! Not the runtime under test: the generator is the load, not the subject.
//! HTTP/1.1 framed as in [`raw`](super::raw) (`Content-Length` bodies only).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::ClientError;
use super::evloop::{Epoll, EventFd, TimerFd, now_ns};
use super::open_loop::Schedule;
use super::raw::{MAX_HEAD, parse_head};
use crate::measure::cpu::thread_cpu_time;
use crate::measure::placement::{self, CpuSet};
use crate::measure::{ErrorCounts, OpError};

/// Generator threads' name: the cost counters leave threads of this name out
/// (`measure::cost::EXCLUDED_THREADS`), since the side under test is the server.
pub const THREAD_NAME: &str = "asyncbench-load";

const TIMER: u64 = 0;
const STOP: u64 = 1;
const FIRST_CONN: u64 = 2;
/// How often in-flight requests are checked against the timeout.
const TIMEOUT_SCAN_NS: u64 = 10_000_000;

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
    /// Poll without sleeping for the last this-long before a due send.
    pub spin: Duration,
}

/// One window of one generator thread.
#[derive(Debug, Default)]
struct Part {
    index: u64,
    corrected: Vec<Duration>,
    uncorrected: Vec<Duration>,
    send_lag: Vec<Duration>,
    errors: ErrorCounts,
    sent: u64,
    cpu: Duration,
}

/// One window of the whole generator (every thread's part merged).
#[derive(Debug, Default)]
pub struct PacedWindow {
    pub index: u64,
    pub span: Duration,
    pub corrected: Vec<Duration>,
    pub uncorrected: Vec<Duration>,
    /// Open loop only (empty closed loop).
    pub send_lag: Vec<Duration>,
    pub errors: ErrorCounts,
    pub sent: u64,
    /// CPU time of all generator threads over the window.
    pub cpu: Duration,
    /// The busiest generator thread's CPU as a share of its core (1.0 = busy
    /// the whole window): the figure that says whether the generator ran out.
    pub max_thread_cpu: f64,
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
            w.errors.merge(&p.errors);
            w.sent += p.sent;
            w.cpu += p.cpu;
            let share = p.cpu.as_secs_f64() / self.window.as_secs_f64().max(1e-9);
            w.max_thread_cpu = w.max_thread_cpu.max(share);
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

/// One connection of a generator thread.
struct Conn {
    k: u64,
    i: u64,
    sock: Option<TcpStream>,
    busy: bool,
    /// Intended send of request `i` (the schedule's time; closed loop: when it could go), ns.
    intended: u64,
    sent: u64,
    written: usize,
    /// Head bytes until the head parses; then only counted.
    buf: Vec<u8>,
    head: Option<(u16, u64, bool)>,
    body_seen: u64,
}

struct Thread {
    spec: PacedSpec,
    request: Arc<[u8]>,
    ks: Vec<u64>,
    stop: Arc<AtomicBool>,
    wake: Arc<EventFd>,
    out: async_channel::Sender<Result<Part, String>>,
}

type Ready = std::sync::mpsc::Sender<Result<Option<CpuSet>, String>>;

impl Thread {
    fn run(self, set: Option<CpuSet>, ready: Ready, start: std::sync::mpsc::Receiver<Option<u64>>) {
        // The generator is the harness's, not the side under test's (the server is).
        crate::measure::alloc::exclude_current_thread();
        let setup = || -> Result<Looper, String> {
            if let Some(s) = &set {
                placement::pin_current_thread(s)
                    .map_err(|e| format!("cannot pin the load generator to CPUs {s}: {e}"))?;
            }
            Looper::new(&self)
        };
        let mut lp = match setup() {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(placement::affinity_of(0).ok()));
        let Ok(Some(start)) = start.recv() else { return };
        if let Err(e) = lp.run(&self, start) {
            let _ = self.out.send_blocking(Err(format!("load generator: {e}")));
        }
    }
}

/// A generator thread's loop state.
struct Looper {
    ep: Epoll,
    timer: TimerFd,
    conns: Vec<Conn>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    part: Part,
    sched: Option<Schedule>,
    start: u64,
    events: Vec<(u64, u32)>,
}

fn offset_ns(s: &Schedule, k: u64, i: u64) -> u64 {
    u64::try_from(s.offset(k, i).as_nanos()).unwrap_or(u64::MAX)
}

fn dur(ns: u64) -> Duration {
    Duration::from_nanos(ns)
}

impl Looper {
    fn new(th: &Thread) -> Result<Looper, String> {
        let ep = Epoll::new().map_err(|e| format!("epoll: {e}"))?;
        let timer = TimerFd::new().map_err(|e| format!("timerfd: {e}"))?;
        ep.add(timer.raw(), libc::EPOLLIN as u32, TIMER)
            .map_err(|e| e.to_string())?;
        ep.add(th.wake.raw(), libc::EPOLLIN as u32, STOP)
            .map_err(|e| e.to_string())?;
        let mut lp = Looper {
            ep,
            timer,
            conns: Vec::new(),
            heap: BinaryHeap::new(),
            part: Part::default(),
            sched: th.spec.rate.map(|rate| Schedule {
                start: Instant::now(),
                rate,
                connections: th.spec.connections,
            }),
            start: 0,
            events: Vec::with_capacity(256),
        };
        for &k in &th.ks {
            lp.conns.push(Conn {
                k,
                i: 0,
                sock: None,
                busy: false,
                intended: 0,
                sent: 0,
                written: 0,
                buf: Vec::with_capacity(1024),
                head: None,
                body_seen: 0,
            });
            // Opened before the schedule starts: a server that is not there fails the start.
            let idx = lp.conns.len() - 1;
            lp.connect(idx, th).map_err(|e| e.to_string())?;
        }
        Ok(lp)
    }

    fn connect(&mut self, idx: usize, th: &Thread) -> Result<(), ClientError> {
        let addr = th.spec.server;
        let err = |source| ClientError::Connect { addr, source };
        // Blocking connect: on loopback it takes microseconds, and it only
        // happens at the start or after the server closed a connection.
        let s = TcpStream::connect_timeout(&addr, th.spec.timeout).map_err(err)?;
        s.set_nodelay(true).map_err(err)?;
        s.set_nonblocking(true).map_err(err)?;
        self.ep
            .add(s.as_raw_fd(), libc::EPOLLIN as u32, FIRST_CONN + idx as u64)
            .map_err(err)?;
        self.conns[idx].sock = Some(s);
        Ok(())
    }

    /// Request `c.i`'s intended send time: the schedule's (open loop) or now (closed loop).
    fn intended(&self, c: &Conn, now: u64) -> u64 {
        match &self.sched {
            Some(s) => self.start + offset_ns(s, c.k, c.i),
            None => now,
        }
    }

    fn run(&mut self, th: &Thread, start: u64) -> std::io::Result<()> {
        self.start = start;
        for idx in 0..self.conns.len() {
            let due = self.intended(&self.conns[idx], start);
            self.conns[idx].intended = due;
            self.heap.push(Reverse((due, idx)));
        }
        let window = u64::try_from(th.spec.window.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1_000_000);
        let spin = u64::try_from(th.spec.spin.as_nanos()).unwrap_or(0);
        let timeout = u64::try_from(th.spec.timeout.as_nanos()).unwrap_or(u64::MAX);
        let mut next_cut = start + window;
        let mut next_scan = start + TIMEOUT_SCAN_NS;
        let mut cut_cpu = thread_cpu_time().unwrap_or_default();
        while !th.stop.load(Ordering::Acquire) {
            let now = now_ns();
            let due = self.heap.peek().map_or(u64::MAX, |r| r.0.0);
            let wake_at = due.min(next_cut).min(next_scan);
            let wait_ms = if wake_at <= now.saturating_add(spin) {
                0
            } else {
                self.timer.arm_at(wake_at - spin)?;
                -1
            };
            self.events.clear();
            self.events.extend(self.ep.wait(wait_ms)?);
            for n in 0..self.events.len() {
                let (tok, ev) = self.events[n];
                match tok {
                    TIMER => self.timer.clear(),
                    STOP => {}
                    t => self.on_event((t - FIRST_CONN) as usize, ev, th),
                }
            }
            // Every due send, on this turn: the clock is read per send so a
            // late one is recorded as late as it was.
            while let Some(&Reverse((ready, idx))) = self.heap.peek() {
                let now = now_ns();
                if ready > now {
                    break;
                }
                self.heap.pop();
                self.send(idx, ready, now, th);
            }
            let now = now_ns();
            if now >= next_scan {
                self.expire(now, timeout, th);
                next_scan = now + TIMEOUT_SCAN_NS;
            }
            if now >= next_cut {
                let cpu = thread_cpu_time().unwrap_or_default();
                let mut p = std::mem::take(&mut self.part);
                p.cpu = cpu.saturating_sub(cut_cpu);
                cut_cpu = cpu;
                p.index = (next_cut - start) / window - 1;
                self.part.index = p.index + 1;
                if th.out.send_blocking(Ok(p)).is_err() {
                    return Ok(());
                }
                next_cut += window;
            }
        }
        Ok(())
    }

    /// Sends request `i` of connection `idx`, possible since `ready` (its
    /// intended time, or when its connection came free if that was later).
    fn send(&mut self, idx: usize, ready: u64, now: u64, th: &Thread) {
        if self.conns[idx].sock.is_none()
            && let Err(e) = self.connect(idx, th)
        {
            self.fail(idx, e.into(), now);
            return;
        }
        if self.sched.is_some() {
            self.part.send_lag.push(dur(now.saturating_sub(ready)));
        }
        let c = &mut self.conns[idx];
        c.sent = now;
        c.busy = true;
        c.written = 0;
        c.buf.clear();
        c.head = None;
        c.body_seen = 0;
        self.part.sent += 1;
        self.write(idx, th);
    }

    fn write(&mut self, idx: usize, th: &Thread) {
        let req = &th.request;
        let c = &mut self.conns[idx];
        let Some(sock) = c.sock.as_mut() else { return };
        loop {
            match sock.write(&req[c.written..]) {
                Ok(n) => {
                    c.written += n;
                    if c.written == req.len() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let fd = sock.as_raw_fd();
                    let _ = self
                        .ep
                        .modify(fd, (libc::EPOLLIN | libc::EPOLLOUT) as u32, FIRST_CONN + idx as u64);
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.fail(idx, ClientError::Closed.into(), now_ns());
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, idx: usize, ev: u32, th: &Thread) {
        let Some(c) = self.conns.get(idx) else { return };
        if c.sock.is_none() {
            return;
        }
        if ev & libc::EPOLLOUT as u32 != 0 && c.busy && c.written < th.request.len() {
            self.write(idx, th);
            let c = &self.conns[idx];
            if let Some(s) = &c.sock
                && c.written == th.request.len()
            {
                let _ = self
                    .ep
                    .modify(s.as_raw_fd(), libc::EPOLLIN as u32, FIRST_CONN + idx as u64);
            }
        }
        if ev & (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
            self.read(idx);
        }
    }

    fn read(&mut self, idx: usize) {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let c = &mut self.conns[idx];
            let Some(sock) = c.sock.as_mut() else { return };
            let n = match sock.read(&mut chunk) {
                Ok(0) => {
                    if c.busy {
                        self.fail(idx, ClientError::Closed.into(), now_ns());
                    } else {
                        // The server closed an idle keep-alive connection: reopened at the next send.
                        c.sock = None;
                    }
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    if c.busy {
                        self.fail(idx, ClientError::Closed.into(), now_ns());
                    } else {
                        c.sock = None;
                    }
                    return;
                }
            };
            if !c.busy {
                // Bytes with no request in flight: the stream is confused. The
                // connection is already scheduled, so it is only closed here.
                c.sock = None;
                self.part
                    .errors
                    .record(&OpError::Io("bytes from the server with no request in flight".into()));
                return;
            }
            if c.head.is_none() {
                c.buf.extend_from_slice(&chunk[..n]);
                match parse_head(&c.buf) {
                    Ok(Some(h)) => {
                        c.body_seen = (c.buf.len() - h.len) as u64;
                        c.head = Some((h.status, h.content_length, h.close));
                    }
                    Ok(None) if c.buf.len() > MAX_HEAD => {
                        let e = ClientError::Request(format!("response head over {MAX_HEAD} bytes"));
                        self.fail(idx, e.into(), now_ns());
                        return;
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        self.fail(idx, e.into(), now_ns());
                        return;
                    }
                }
            } else {
                c.body_seen += n as u64;
            }
            let Some((status, len, close)) = c.head else { continue };
            if c.body_seen > len {
                // Nothing was pipelined, so the stream is confused.
                let e = ClientError::Request("bytes after the response body".into());
                self.fail(idx, e.into(), now_ns());
                return;
            }
            if c.body_seen == len {
                self.complete(idx, status, close);
                return;
            }
        }
    }

    fn complete(&mut self, idx: usize, status: u16, close: bool) {
        let now = now_ns();
        let c = &mut self.conns[idx];
        if (200..300).contains(&status) {
            self.part.corrected.push(dur(now.saturating_sub(c.intended)));
            self.part.uncorrected.push(dur(now.saturating_sub(c.sent)));
        } else {
            self.part.errors.record(&OpError::Status(status));
        }
        if close {
            c.sock = None;
        }
        self.reschedule(idx, now, now);
    }

    /// Request `i` of `idx` failed (in flight, or its connect at send time):
    /// counted, the connection closed (reopened at its next send), and the
    /// next request scheduled.
    fn fail(&mut self, idx: usize, e: OpError, now: u64) {
        self.part.errors.record(&e);
        self.conns[idx].sock = None;
        // Closed loop: a short pause, so a server that is gone is not hammered in a hot loop.
        let free = if self.sched.is_none() { now + 1_000_000 } else { now };
        self.reschedule(idx, free, now);
    }

    /// The connection is free at `free`: its next request is intended at its
    /// schedule's time and possible at the later of that and `free` (wrk2's
    /// rule: a late reply sends the next request at once, late). The heap
    /// holds the possible time, so the send lag counts only the generator's
    /// own delay.
    fn reschedule(&mut self, idx: usize, free: u64, now: u64) {
        self.conns[idx].buf.clear();
        self.conns[idx].busy = false;
        self.conns[idx].i += 1;
        let intended = match &self.sched {
            Some(_) => self.intended(&self.conns[idx], now),
            None => free,
        };
        self.conns[idx].intended = intended;
        self.heap.push(Reverse((intended.max(free), idx)));
    }

    fn expire(&mut self, now: u64, timeout: u64, th: &Thread) {
        for idx in 0..self.conns.len() {
            let c = &self.conns[idx];
            if c.busy && now.saturating_sub(c.sent) > timeout {
                self.fail(idx, OpError::Timeout(th.spec.timeout), now);
            }
        }
    }
}
