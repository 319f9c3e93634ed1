//! One generator thread's event loop: its connections, their schedules and
//! the turn that sends every due request ([`super`] says what is measured).
//!
//! A turn: wait (sleep until the next wake, or just look when it is due),
//! handle the ready sockets (replies, unfinished writes), then send every
//! request due by now, reading the clock per send so a late one is recorded
//! as late as it was. [`Due`] holds the sends waiting for their time and says
//! when to wake, the pure part of the loop that the tests plant times into.
//!
//! The wake: at `due − spin`, then poll (`epoll_wait` with no timeout, which
//! still reads replies as they come) to the due time. `spin` bounds what one
//! early wake costs; a wake that lands late (the usual case on a VM, whose
//! timer interrupts come ~36 µs late at p50) costs no spin at all, and a send
//! due within `spin` of the previous one goes out on the same run of turns
//! with no sleep between (the sends due close together are coalesced).
//! With a coalescing allowance a turn sends early what is due within it, so a
//! wake serves the sends of the next tens of µs too ([`PacedSpec::coalesce`]).
//!
//! Replies wake the loop as they come. Sleeping deaf to them while none can
//! hold up a send (reading them at the next wake, timed by the kernel's
//! `SO_TIMESTAMPNS` receive stamp) was tried (branch h34-deaf-sleep): it
//! halved the wakes but raised the own send lag 4× at p50 and the 30k/s p99
//! from ~150 µs to ~7 ms on this VM, since the wakes replies give the loop
//! also serve sends that a late timer wake alone would leave waiting.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::super::ClientError;
use super::super::evloop::{Epoll, EventFd, min_timer_slack, now_ns};
use super::super::raw::{MAX_HEAD, parse_head};
use super::{PacedSpec, Part};
use crate::client::open_loop::Schedule;
use crate::measure::OpError;
use crate::measure::cpu::thread_cpu_time;
use crate::measure::placement::{self, CpuSet};

const STOP: u64 = 0;
const FIRST_CONN: u64 = 1;
/// How often in-flight requests are checked against the timeout.
const TIMEOUT_SCAN_NS: u64 = 10_000_000;

/// The sends waiting for their time: `(possible at, connection)`, earliest first.
#[derive(Debug, Default)]
pub(super) struct Due(BinaryHeap<Reverse<(u64, usize)>>);

impl Due {
    pub(super) fn push(&mut self, at: u64, idx: usize) {
        self.0.push(Reverse((at, idx)));
    }

    /// The earliest send possible by `now`, taken off.
    pub(super) fn pop_due(&mut self, now: u64) -> Option<(u64, usize)> {
        let &Reverse((at, idx)) = self.0.peek()?;
        if at > now {
            return None;
        }
        self.0.pop();
        Some((at, idx))
    }

    /// When the loop should next look: `spin` before the next send, or at
    /// `other` (the window cut, the timeout scan) if that is sooner. At or
    /// before now: just look, do not sleep.
    pub(super) fn wake_at(&self, other: u64, spin: u64) -> u64 {
        self.0
            .peek()
            .map_or(u64::MAX, |r| r.0.0.saturating_sub(spin))
            .min(other)
    }
}

/// The next request of a connection free at `free`: `(intended, possible)`.
/// Intended at its schedule's time (`scheduled`; closed loop: none, so at
/// `free`), possible at the later of that and `free` (wrk2's rule: a late
/// reply sends the next request at once, late). The send lag is counted from
/// the possible time, so it is the generator's own delay only.
pub(super) fn next_send(scheduled: Option<u64>, free: u64) -> (u64, u64) {
    let intended = scheduled.unwrap_or(free);
    (intended, intended.max(free))
}

/// This thread's time waiting on a run queue (runnable, not running) and
/// its involuntary context switches: how much of its lag was the machine's.
fn sched_counters() -> (Duration, u64) {
    // "cpu_ns run_delay_ns timeslices" (Documentation/scheduler/sched-stats.rst).
    let wait = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .map_or(Duration::ZERO, Duration::from_nanos);
    // SAFETY: a valid, writable rusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_THREAD fills `ru` for the calling thread.
    let nivcsw = if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } == 0 {
        ru.ru_nivcsw as u64
    } else {
        0
    };
    (wait, nivcsw)
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

pub(super) struct Thread {
    pub(super) spec: PacedSpec,
    pub(super) request: Arc<[u8]>,
    pub(super) ks: Vec<u64>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) wake: Arc<EventFd>,
    pub(super) out: async_channel::Sender<Result<Part, String>>,
}

pub(super) type Ready = std::sync::mpsc::Sender<Result<Option<CpuSet>, String>>;

impl Thread {
    pub(super) fn run(self, set: Option<CpuSet>, ready: Ready, start: std::sync::mpsc::Receiver<Option<u64>>) {
        // The generator is the harness's, not the side under test's (the server is).
        crate::measure::alloc::exclude_current_thread();
        min_timer_slack();
        // Spinning only where the thread has its own core: a pinned thread's
        // set is the generator's, placed apart from the server by the caller.
        let spin = if set.is_some() {
            u64::try_from(self.spec.spin.as_nanos()).unwrap_or(0)
        } else {
            0
        };
        let setup = || -> Result<Looper, String> {
            if let Some(s) = &set {
                placement::pin_current_thread(s)
                    .map_err(|e| format!("cannot pin the load generator to CPUs {s}: {e}"))?;
            }
            Looper::new(&self, spin)
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
    conns: Vec<Conn>,
    due: Due,
    part: Part,
    sched: Option<Schedule>,
    start: u64,
    spin: u64,
    /// Sends due within this many ns of now go on this turn ([`PacedSpec::coalesce`]).
    coalesce: u64,
    events: Vec<(u64, u32)>,
    /// The receive buffer every read uses ([`Looper::read`]).
    chunk: Vec<u8>,
}

fn offset_ns(s: &Schedule, k: u64, i: u64) -> u64 {
    u64::try_from(s.offset(k, i).as_nanos()).unwrap_or(u64::MAX)
}

fn dur(ns: u64) -> Duration {
    Duration::from_nanos(ns)
}

impl Looper {
    fn new(th: &Thread, spin: u64) -> Result<Looper, String> {
        let ep = Epoll::new().map_err(|e| format!("epoll: {e}"))?;
        ep.add(th.wake.raw(), libc::EPOLLIN as u32, STOP)
            .map_err(|e| e.to_string())?;
        let mut lp = Looper {
            ep,
            conns: Vec::new(),
            due: Due::default(),
            part: Part::default(),
            sched: th.spec.rate.map(|rate| Schedule {
                start: Instant::now(),
                rate,
                connections: th.spec.connections,
            }),
            start: 0,
            spin,
            coalesce: if th.spec.rate.is_some() {
                u64::try_from(th.spec.coalesce.as_nanos()).unwrap_or(0)
            } else {
                0
            },
            events: Vec::with_capacity(256),
            chunk: vec![0; 16 * 1024],
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

    /// Request `c.i`'s time on the schedule (open loop only).
    fn scheduled(&self, c: &Conn) -> Option<u64> {
        self.sched.as_ref().map(|s| self.start + offset_ns(s, c.k, c.i))
    }

    fn run(&mut self, th: &Thread, start: u64) -> std::io::Result<()> {
        self.start = start;
        for idx in 0..self.conns.len() {
            let (intended, possible) = next_send(self.scheduled(&self.conns[idx]), start);
            self.conns[idx].intended = intended;
            self.due.push(possible, idx);
        }
        let window = u64::try_from(th.spec.window.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1_000_000);
        let timeout = u64::try_from(th.spec.timeout.as_nanos()).unwrap_or(u64::MAX);
        let mut next_cut = start + window;
        let mut next_scan = start + TIMEOUT_SCAN_NS;
        let mut cut_cpu = thread_cpu_time().unwrap_or_default();
        let mut cut_sched = sched_counters();
        let mut now = now_ns();
        while !th.stop.load(Ordering::Acquire) {
            let wake = self.due.wake_at(next_cut.min(next_scan), self.spin);
            self.events.clear();
            let (turn_began, polled) = (now, wake <= now);
            if polled {
                self.events.extend(self.ep.wait(0)?);
            } else {
                self.part.sleeps += 1;
                self.events.extend(self.ep.wait_until(wake)?);
            }
            // The window closes before this turn's events are read: a reply
            // read after the cut completed in the next window (its latency is
            // taken at the same instant), even if epoll returned it late.
            now = now_ns();
            if now >= next_cut {
                let cpu = thread_cpu_time().unwrap_or_default();
                let sched = sched_counters();
                let mut p = std::mem::take(&mut self.part);
                p.cpu = cpu.saturating_sub(cut_cpu);
                p.run_queue_wait = sched.0.saturating_sub(cut_sched.0);
                p.involuntary_switches = sched.1.saturating_sub(cut_sched.1);
                (cut_cpu, cut_sched) = (cpu, sched);
                p.index = (next_cut - start) / window - 1;
                self.part.index = p.index + 1;
                if th.out.send_blocking(Ok(p)).is_err() {
                    return Ok(());
                }
                next_cut += window;
            }
            for n in 0..self.events.len() {
                let (tok, ev) = self.events[n];
                if tok != STOP {
                    self.on_event((tok - FIRST_CONN) as usize, ev, th);
                }
            }
            // Every due send, on this turn, and those due within the coalescing allowance.
            now = now_ns();
            let mut sent = false;
            while let Some((ready, idx)) = self.due.pop_due(now + self.coalesce) {
                self.send(idx, ready, now, th);
                sent = true;
                now = now_ns();
            }
            if now >= next_scan {
                self.expire(now, timeout, th);
                next_scan = now + TIMEOUT_SCAN_NS;
            }
            // A poll that found no reply and had no send due is the spin: CPU the loop chose to
            // burn waiting for a send, which it gives back as soon as there is work.
            if polled && self.events.is_empty() && !sent {
                self.part.spun += dur(now.saturating_sub(turn_began));
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
            self.part.send_early.push(dur(ready.saturating_sub(now)));
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

    /// Reads what connection `idx` has, into the loop's one receive buffer (a fresh zeroed
    /// 16 KiB array per read was 2% of the loop's profile samples at 120k requests/s).
    fn read(&mut self, idx: usize) {
        let mut chunk = std::mem::take(&mut self.chunk);
        self.read_into(idx, &mut chunk);
        self.chunk = chunk;
    }

    fn read_into(&mut self, idx: usize, chunk: &mut [u8]) {
        loop {
            let c = &mut self.conns[idx];
            let Some(sock) = c.sock.as_mut() else { return };
            let n = match sock.read(chunk) {
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
            // From the intended send, or from the actual one if it went early: a coalesced send's
            // reply can come before its intended time, and no latency is shorter than its wire.
            self.part
                .corrected
                .push(dur(now.saturating_sub(c.intended.min(c.sent))));
            self.part.uncorrected.push(dur(now.saturating_sub(c.sent)));
        } else {
            self.part.errors.record(&OpError::Status(status));
        }
        if close {
            c.sock = None;
        }
        self.reschedule(idx, now);
    }

    /// Request `i` of `idx` failed (in flight, or its connect at send time):
    /// counted, the connection closed (reopened at its next send), and the
    /// next request scheduled.
    fn fail(&mut self, idx: usize, e: OpError, now: u64) {
        self.part.errors.record(&e);
        self.conns[idx].sock = None;
        // Closed loop: a short pause, so a server that is gone is not hammered in a hot loop.
        let free = if self.sched.is_none() { now + 1_000_000 } else { now };
        self.reschedule(idx, free);
    }

    /// The connection is free at `free`: its next request goes on the heap
    /// at its possible time ([`next_send`]).
    fn reschedule(&mut self, idx: usize, free: u64) {
        self.conns[idx].buf.clear();
        self.conns[idx].busy = false;
        self.conns[idx].i += 1;
        let (intended, possible) = next_send(self.scheduled(&self.conns[idx]), free);
        self.conns[idx].intended = intended;
        self.due.push(possible, idx);
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

#[cfg(test)]
mod tests {
    use super::*;

    const US: u64 = 1_000;

    /// 3 connections at 30,000/s from t = 1 ms: request i of connection k
    /// is due at 1 ms + (k + 3i) · 33.3 µs (wrk2's schedule).
    fn planted() -> (Schedule, u64) {
        let s = Schedule {
            start: Instant::now(),
            rate: 30_000,
            connections: 3,
        };
        (s, 1_000 * US)
    }

    #[test]
    fn a_turn_sends_every_due_request_in_time_order_and_none_early() {
        let (s, t0) = planted();
        let mut d = Due::default();
        for k in 0..3 {
            d.push(t0 + offset_ns(&s, k, 0), k as usize);
        }
        // A turn 40 µs after the start (a timer wake landed late): the first
        // two (due at 0 and 33.3 µs) go, the third (66.7 µs) waits.
        let now = t0 + 40 * US;
        assert_eq!(d.pop_due(now), Some((t0, 0)));
        assert_eq!(d.pop_due(now), Some((t0 + 33_333, 1)));
        assert_eq!(d.pop_due(now), None);
        // Without spin the loop sleeps to the third's due time itself...
        assert_eq!(d.wake_at(u64::MAX, 0), t0 + 66_666);
        // ...with a 25 µs spin it wakes 25 µs before, then polls to it.
        assert_eq!(d.wake_at(u64::MAX, 25 * US), t0 + 41_666);
        // A window cut sooner than that is the wake.
        assert_eq!(d.wake_at(t0 + 50 * US, 0), t0 + 50 * US);
    }

    #[test]
    fn a_send_due_within_the_spin_is_polled_for_not_slept_for() {
        let (s, t0) = planted();
        let mut d = Due::default();
        d.push(t0 + offset_ns(&s, 2, 0), 2);
        // 20 µs before it with a 25 µs spin: the wake is already past (poll).
        let now = t0 + 66_666 - 20 * US;
        assert!(d.wake_at(u64::MAX, 25 * US) <= now);
        // Without spin it would sleep (wake in the future).
        assert!(d.wake_at(u64::MAX, 0) > now);
        // Polled to its time, it goes then, with no lag.
        assert_eq!(d.pop_due(t0 + 66_665), None);
        assert_eq!(d.pop_due(t0 + 66_666), Some((t0 + 66_666, 2)));
        // Nothing waiting: no wake but the other deadline.
        assert_eq!(d.wake_at(u64::MAX, 25 * US), u64::MAX);
    }

    #[test]
    fn a_late_reply_makes_the_next_send_possible_late_but_intended_on_schedule() {
        let (s, t0) = planted();
        let sched = t0 + offset_ns(&s, 1, 1); // 1 ms + 133.3 µs
        // On time: intended = possible = the schedule's time.
        assert_eq!(next_send(Some(sched), t0 + 50 * US), (sched, sched));
        // The reply came 200 µs after the start: possible then, intended still on schedule
        // (its corrected latency counts from `sched`, its send lag from the reply).
        assert_eq!(next_send(Some(sched), t0 + 200 * US), (sched, t0 + 200 * US));
        // Closed loop: both at the reply.
        assert_eq!(next_send(None, t0 + 7 * US), (t0 + 7 * US, t0 + 7 * US));
    }
}
