//! What a case cost the side under test over its measured window: CPU time
//! (total, user, system), allocations and bytes, voluntary and involuntary
//! context switches.
//!
//! Why "process minus excluded threads" rather than "sum over the threads
//! under test": runtimes start and end threads during a window (blocking
//! pools, the `threads` baseline), and a thread that has exited is gone from
//! `/proc/self/task` but its time stays in the process totals. The excluded
//! threads (the in-process test server, `asyncbench-serv…`, the precise
//! clock thread that paces and probes, `asyncbench-cloc…`, and the harness's
//! main thread when the case runs on a thread of its own) live for the
//! whole run, so subtracting them is exact.
//!
//! Clocks: total CPU is `CLOCK_PROCESS_CPUTIME_ID` minus each excluded
//! thread's CPU clock (the Linux per-thread clock id made from its tid, as
//! glibc's `pthread_getcpuclockid` does), both in ns of the kernel's
//! `sum_exec_runtime`. The user/system split is getrusage(RUSAGE_SELF) (µs)
//! minus the excluded threads' `/proc/self/task/TID/stat` utime/stime, which
//! come in clock ticks (10 ms at the usual 100 Hz): the split is therefore
//! only a proportion, meaningful over long windows, and is applied to the
//! exact total (user + sys = cpu); the total is exact to the ns. Context
//! switches: getrusage `ru_nvcsw`/`ru_nivcsw` minus the excluded threads'
//! `voluntary_ctxt_switches`/`nonvoluntary_ctxt_switches` from
//! `/proc/self/task/TID/status`.
//!
//! Reading the excluded threads costs a few file reads; [`Stopwatch`] reads
//! them before the process counters at its start and after them at its stop,
//! so that work (and its allocations) falls outside the window.
//!
//! The window is a batch's timed region: scenarios time it with a
//! [`Stopwatch`] instead of a bare `Instant`, and the stopwatch counts the
//! cost over exactly the segments its wall time adds up (per-batch set-up,
//! verification and the untimed half of an interleaved loop stay outside).
//! Pausing and resuming read only syscall clocks (the process CPU clock,
//! getrusage, the excluded threads' CPU clocks by tid, the allocator's
//! atomics), a few µs, so a loop that pauses per chunk is not slowed by
//! `/proc` reads between its timed chunks; the excluded threads' `/proc`
//! figures (their user/system ticks and context switches) are read once at
//! the stopwatch's start and once at its stop, so for a paused stopwatch they
//! are subtracted over its whole span. That is exact while those threads are
//! idle in the gaps, which holds for every scenario that pauses (in-process
//! loops with no server traffic); the CPU total is exact per segment in any
//! case. A segment opens and closes with the same two reads in the same
//! order, the process CPU clock and at once the wall clock, so the CPU window
//! is the wall window shifted by the time from a CPU sample to the wall read
//! after it: the stopwatch's own reads cancel between the two ends whatever
//! they cost (it grows with the thread count, and with cold caches). What is
//! left of them, measured per process thread count ([`segment_overhead_ns`]),
//! is taken off per segment, so CPU ≤ wall holds on one thread however often a
//! loop pauses.

use serde::{Deserialize, Serialize};

use super::alloc::{self, AllocCounts};
use crate::stats::Sample;

/// Prefixes of the names (as `/proc` shows them: 15 bytes at most) of the threads that are not the
/// side under test: the in-process test server, the precise clock, and `http_server`'s load
/// generator and its pacing clock (there the runtime under test is the server), and the host
/// canary (`measure::canary`).
pub const EXCLUDED_THREADS: &[&str] = &[
    "asyncbench-serv",
    "asyncbench-cloc",
    "asyncbench-load",
    "asyncbench-lpac",
    "asyncbench-cana",
];

/// Counters of the threads not under test, summed.
#[derive(Debug, Clone, Copy, Default)]
struct Excluded {
    cpu_ns: u64,
    user_ticks: u64,
    sys_ticks: u64,
    nvcsw: u64,
    nivcsw: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Process {
    cpu_ns: u64,
    user_ns: u64,
    sys_ns: u64,
    nvcsw: u64,
    nivcsw: u64,
}

/// What one or more windows cost, summed; [`CostTotals::per_op`] divides.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostTotals {
    pub windows: u64,
    pub cpu_ns: u64,
    /// Signed: the excluded threads' share is subtracted at tick resolution.
    pub user_ns: i64,
    pub sys_ns: i64,
    /// The excluded threads' user + system time that was subtracted, in whole ticks (ns): the
    /// uncertainty of the split grows with it.
    pub excluded_tick_ns: u64,
    /// `None` once any window ran without counting.
    pub allocs: Option<u64>,
    pub bytes: Option<u64>,
    pub voluntary_cs: u64,
    pub involuntary_cs: u64,
    /// Recorded batches that timed something (wall > 0) without a [`Stopwatch`]: their cost is
    /// not known, so the case's is not either ([`CostTotals::per_op`] gives `None`) rather than
    /// a figure over part of its batches.
    pub untimed_batches: u64,
}

impl CostTotals {
    pub fn add(&mut self, o: &CostTotals) {
        self.untimed_batches += o.untimed_batches;
        if o.windows == 0 {
            // Nothing measured there: an empty operand must not turn known counts into `None`.
            return;
        }
        let first = self.windows == 0;
        self.windows += o.windows;
        self.cpu_ns += o.cpu_ns;
        self.user_ns += o.user_ns;
        self.sys_ns += o.sys_ns;
        self.excluded_tick_ns += o.excluded_tick_ns;
        let sum = |a: Option<u64>, b: Option<u64>| if first { b } else { Some(a? + b?) };
        self.allocs = sum(self.allocs, o.allocs);
        self.bytes = sum(self.bytes, o.bytes);
        self.voluntary_cs += o.voluntary_cs;
        self.involuntary_cs += o.involuntary_cs;
    }

    /// The totals per operation; `None` when nothing was measured, or when some recorded batch
    /// was timed without a [`Stopwatch`] (its cost is unknown).
    ///
    /// `ops` is what the caller divides by: the harness passes the scenario's own operations
    /// (`ops_per_batch` × recorded batches, failed ones included), see `session/rows.rs`.
    pub fn per_op(&self, ops: u64) -> Option<Cost> {
        if self.windows == 0 || ops == 0 || self.untimed_batches > 0 {
            return None;
        }
        let n = ops as f64;
        let cpu = self.cpu_ns as f64 / n;
        // The split comes from tick-sampled counters (see the module doc): it
        // is applied as a proportion of the exact total, so user + sys = cpu,
        // and only where it means something: no share came out negative and
        // the excluded threads' tick-resolution time subtracted is at most a
        // tenth of the process's (else the server's work, known only to 10 ms
        // per thread, would decide the split; such a row gets none).
        let (u, s) = (self.user_ns as f64, self.sys_ns as f64);
        let raw = u + s + self.excluded_tick_ns as f64;
        let split =
            (u >= 0.0 && s >= 0.0 && u + s > 0.0 && self.excluded_tick_ns as f64 <= 0.1 * raw).then(|| u / (u + s));
        Some(Cost {
            ops,
            cpu_ns_per_op: cpu,
            user_ns_per_op: split.map(|share| cpu * share),
            sys_ns_per_op: split.map(|share| cpu * (1.0 - share)),
            allocs_per_op: self.allocs.map(|a| a as f64 / n),
            bytes_per_op: self.bytes.map(|b| b as f64 / n),
            voluntary_cs_per_op: self.voluntary_cs as f64 / n,
            involuntary_cs_per_op: self.involuntary_cs as f64 / n,
        })
    }
}

/// A case's cost per operation, in the summary beside its latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cost {
    /// Operations in the measured window (failed ones included: they cost too).
    pub ops: u64,
    /// CPU time of the side under test per operation (ns; see `cost_info.cpu_clock`).
    pub cpu_ns_per_op: f64,
    /// User/system split of it: `cpu_ns_per_op` in the proportion getrusage's
    /// (tick-sampled) user and system times give, so the two add up to it.
    /// `None` where the split is not known: the excluded threads' time, read in
    /// 10 ms ticks, was more than a tenth of the process's, or a share came out
    /// negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ns_per_op: Option<f64>,
    /// The system-time share of `cpu_ns_per_op` (ns); absent with `user_ns_per_op`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_ns_per_op: Option<f64>,
    /// Allocation calls per operation (`None` in a build without counting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocs_per_op: Option<f64>,
    /// Bytes requested per operation (`None` in a build without counting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_op: Option<f64>,
    /// Voluntary context switches (a thread blocked or yielded) per operation: getrusage's
    /// count for the process less the excluded (server) threads' own.
    pub voluntary_cs_per_op: f64,
    /// Involuntary context switches (the kernel preempted a thread) per operation, counted
    /// the same way.
    pub involuntary_cs_per_op: f64,
}

/// How the cost figures of a run were taken, written once in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CostInfo {
    /// The clocks behind `cpu_ns_per_op` and their resolution.
    pub cpu_clock: String,
    /// Resolution of the user/system split's subtracted share, ns (one clock tick).
    pub user_sys_resolution_ns: u64,
    /// Whether the counting allocator was built in (`count-allocs` feature).
    pub counting_allocs: bool,
    /// What counting adds to one allocation + free, ns (median; `None` without counting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_overhead_ns: Option<f64>,
    /// Threads whose cost is not the side under test's (name prefixes).
    pub excluded_threads: Vec<String>,
    /// CPU the stopwatch's own clock reads add to each timed segment beyond its wall time, ns:
    /// what is left of them once both windows open and close with the same reads (tens of ns;
    /// median of 300 empty segments, at the run's start; re-measured per thread count); it is taken off
    /// `cpu_ns_per_op` once per segment, so a loop that pauses per operation reads no more CPU
    /// than wall on one thread. `None` in summaries written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_overhead_ns: Option<u64>,
    /// The resolution of a batch's CPU figure, ns: how far one segment's residual strays from
    /// `segment_overhead_ns` (99th percentile of its distance from that median over the same
    /// 300 empty segments, at the run's start). On a one-thread row, CPU per op may read above
    /// wall per op by up to this over the ops of a batch without anything else having run.
    /// `None` in summaries written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_residual_spread_ns: Option<u64>,
    /// What this machine charges a thread for one sleep and wake-up with nothing else to do, ns
    /// of that thread's CPU: the median over 20 `epoll_wait`s of 5 ms on an empty epoll set, on
    /// a thread of its own at the run's start. A variant that blocks once per operation
    /// (fetch_parallel's sequential requests) pays about this per operation on top of its own
    /// work, and on a VM it is tens of µs, growing with the idle time; it is the platform's, not
    /// the runtime's. `None` in summaries written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_wake_cpu_ns: Option<f64>,
    /// Whether task metrics (`--task-metrics`) were recorded in this run.
    #[serde(default)]
    pub task_metrics: bool,
    /// What the task-metrics wrapper adds to one poll, ns (measured when they are on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_metrics_overhead_ns: Option<f64>,
}

/// Measures the counting allocator's overhead and states the clocks.
pub fn info() -> CostInfo {
    CostInfo {
        cpu_clock: format!(
            "CLOCK_PROCESS_CPUTIME_ID minus excluded threads' CPU clocks (resolution {} ns); user/sys: that \
             total split in the proportion of getrusage minus excluded threads' /proc stat ticks",
            clock_resolution_ns()
        ),
        user_sys_resolution_ns: tick_ns(),
        counting_allocs: alloc::ENABLED,
        alloc_overhead_ns: alloc::overhead_ns_per_alloc(),
        excluded_threads: EXCLUDED_THREADS
            .iter()
            .map(|s| s.to_string())
            .chain(["the harness's main thread (when the case runs on another)".to_string()])
            .chain([super::foreign::DESCRIPTION.to_string()])
            .collect(),
        segment_overhead_ns: Some(segment_overhead_ns()),
        segment_residual_spread_ns: Some(segment_residual_spread_ns()),
        idle_wake_cpu_ns: idle_wake_cpu_ns(),
        task_metrics: super::task_metrics::enabled(),
        task_metrics_overhead_ns: super::task_metrics::enabled().then(super::task_metrics::overhead_ns_per_poll),
    }
}

/// A batch's timed region: its wall time and what exactly that region cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timed {
    pub wall: std::time::Duration,
    pub cost: CostTotals,
}

impl Timed {
    /// The same region with its wall time taken from the work's own finish instants (a batch
    /// future polled late on a busy one-thread executor resumes after its work ended); the cost
    /// stays the stopwatch's, counted up to when the batch observed the end.
    pub fn with_wall(self, wall: std::time::Duration) -> Timed {
        Timed { wall, ..self }
    }
}

/// The syscall-only part of a snapshot, read at every start, pause and resume (the excluded
/// threads' CPU clocks are kept per tid in [`Stopwatch`]).
#[derive(Debug, Clone, Copy, Default)]
struct Fast {
    process: Process,
    alloc: Option<AllocCounts>,
}

/// Times the region a batch's wall figure covers and counts its cost over the same segments.
///
/// Scenarios use it in place of `Instant::now()` / `elapsed()`: [`Stopwatch::start`] before
/// the measured work, [`Stopwatch::stop`] after it, and for a loop that interleaves timed and
/// untimed work (timeout's wrapped and bare chunks) [`Stopwatch::paused`] with
/// [`Stopwatch::resume`] / [`Stopwatch::pause`] around each timed part. Hand-written: no crate
/// pairs a wall clock with the process's CPU, allocation and context-switch counters.
#[derive(Debug)]
pub struct Stopwatch {
    wall: std::time::Duration,
    totals: CostTotals,
    /// Excluded threads' `/proc` figures at the start (ticks, switches) and their tids.
    excluded: Excluded,
    tids: Vec<libc::pid_t>,
    /// Each excluded tid's CPU clock at the running segment's start (preallocated, reused).
    seg_tid_cpu: Vec<Option<u64>>,
    running: Option<(std::time::Instant, Fast)>,
    /// When the first segment started.
    first: Option<std::time::Instant>,
    /// Segments closed so far: each one's CPU window holds `overhead_ns` of the stopwatch's own
    /// clock reads, taken off at [`Stopwatch::stop`].
    segments: u64,
    /// [`segment_overhead_ns`] for the process's thread count when the stopwatch was made.
    overhead_ns: u64,
}

impl Stopwatch {
    /// A stopwatch already running.
    pub fn start() -> Stopwatch {
        let mut sw = Stopwatch::paused();
        sw.resume();
        sw
    }

    /// A stopwatch that counts nothing until [`Stopwatch::resume`].
    pub fn paused() -> Stopwatch {
        let (excluded, tids, threads) = read_excluded();
        Stopwatch::paused_with(excluded, tids, segment_overhead_for(threads))
    }

    fn paused_with(excluded: Excluded, tids: Vec<libc::pid_t>, overhead_ns: u64) -> Stopwatch {
        let n = tids.len();
        Stopwatch {
            wall: std::time::Duration::ZERO,
            totals: CostTotals::default(),
            excluded,
            tids,
            seg_tid_cpu: Vec::with_capacity(n),
            running: None,
            first: None,
            segments: 0,
            overhead_ns,
        }
    }

    /// Starts a timed segment (no effect if one is running).
    pub fn resume(&mut self) {
        if self.running.is_some() {
            return;
        }
        // Excluded clocks, process, allocator, wall: each read happens outside what the next
        // one starts counting (the reverse order closes a segment).
        self.seg_tid_cpu.clear();
        for &tid in &self.tids {
            self.seg_tid_cpu.push(thread_cpu_ns(tid));
        }
        // Allocator and getrusage first; then the CPU clock and at once the wall clock, the
        // same two reads in the same order as the pause closes with: each window runs from one
        // of its reads to the other, so the CPU window is the wall window shifted by the time
        // from a CPU sample to the wall read after it, nearly equal at both ends. A CPU window
        // opened first and closed last instead holds one clock syscall more than the wall per
        // segment, about 250 ns hot and ~1 µs with the caches cold after real work on this VM:
        // no one correction fits both (a hot calibration left file_read/std_sequential/threads
        // and timeout/in_time on tokio-ct reading CPU over wall by 0.2-0.4%; a cold one read
        // timeout's chunks 5% under their wall).
        let alloc = alloc::counts();
        let process = read_process(None);
        let now = std::time::Instant::now();
        self.first.get_or_insert(now);
        self.running = Some((now, Fast { process, alloc }));
    }

    /// Ends the running segment (no effect if none is).
    pub fn pause(&mut self) {
        let Some((t0, f)) = self.running.take() else {
            return;
        };
        // The CPU clock, then at once the wall clock (the order the segment opened in).
        let cpu_ns = process_clock_ns();
        self.wall += t0.elapsed();
        let p = read_process(Some(cpu_ns));
        let a = alloc::counts();
        // Only threads readable at both ends: one that exited mid-segment is not subtracted
        // (its time stays in the process total, as before), one that started is not either.
        let mut excluded = 0u64;
        for (&tid, &before) in self.tids.iter().zip(&self.seg_tid_cpu) {
            if let (Some(b), Some(e)) = (before, thread_cpu_ns(tid)) {
                excluded += e.saturating_sub(b);
            }
        }
        let d = |a: u64, b: u64| a.saturating_sub(b);
        let delta_alloc = match (a, f.alloc) {
            (Some(a), Some(b)) => Some(a.since(b)),
            _ => None,
        };
        self.segments += 1;
        let t = &mut self.totals;
        let first = t.windows == 0;
        t.windows = 1;
        t.cpu_ns += d(p.cpu_ns, f.process.cpu_ns).saturating_sub(excluded);
        t.user_ns += d(p.user_ns, f.process.user_ns) as i64;
        t.sys_ns += d(p.sys_ns, f.process.sys_ns) as i64;
        let sum = |acc: Option<u64>, x: Option<u64>| if first { x } else { Some(acc? + x?) };
        t.allocs = sum(t.allocs, delta_alloc.map(|c| c.allocs));
        t.bytes = sum(t.bytes, delta_alloc.map(|c| c.bytes));
        t.voluntary_cs += d(p.nvcsw, f.process.nvcsw);
        t.involuntary_cs += d(p.nivcsw, f.process.nivcsw);
    }

    /// When the first timed segment started (the `t0` that finish instants are measured from).
    pub fn started(&self) -> Option<std::time::Instant> {
        self.first
    }

    /// The wall time of the segments so far (the running one included).
    pub fn elapsed(&self) -> std::time::Duration {
        self.wall
            + self
                .running
                .as_ref()
                .map_or(std::time::Duration::ZERO, |(t0, _)| t0.elapsed())
    }

    /// Ends timing: the summed wall time and the cost over exactly those segments (one window),
    /// less the stopwatch's own clock reads ([`segment_overhead_ns`] per segment).
    pub fn stop(mut self) -> Timed {
        self.pause();
        let own = self.segments.saturating_mul(self.overhead_ns);
        self.totals.cpu_ns = self.totals.cpu_ns.saturating_sub(own);
        let x = read_excluded_of(&self.tids);
        let s = self.excluded;
        let tick = tick_ns() as i64;
        let d = |a: u64, b: u64| a.saturating_sub(b);
        let t = &mut self.totals;
        if t.windows == 0 {
            // Never resumed: nothing timed, nothing counted.
            return Timed::default();
        }
        let (ut, st) = (d(x.user_ticks, s.user_ticks), d(x.sys_ticks, s.sys_ticks));
        t.user_ns -= ut as i64 * tick;
        t.sys_ns -= st as i64 * tick;
        t.excluded_tick_ns += (ut + st) * tick as u64;
        t.voluntary_cs = t.voluntary_cs.saturating_sub(d(x.nvcsw, s.nvcsw));
        t.involuntary_cs = t.involuntary_cs.saturating_sub(d(x.nivcsw, s.nivcsw));
        Timed {
            wall: self.wall,
            cost: self.totals,
        }
    }
}

/// The CPU that one segment's own bookkeeping adds to its CPU window beyond its wall window, ns.
/// Both windows open on the process-CPU-clock read of [`Stopwatch::resume`] and the wall read
/// right after it, and close on the same two reads in [`Stopwatch::pause`], so what a clock read
/// costs (a syscall, a few hundred ns on a VM, ~1 µs with the caches cold after real work)
/// cancels between the ends; this is what does not (the ends' reads differ in what surrounds
/// them), tens of ns here.
///
/// The clock read's cost grows with the process's thread count: Linux sums every thread's
/// runtime for `CLOCK_PROCESS_CPUTIME_ID` (measured here: about 0.7 µs with 10 threads, 1.3 µs
/// with 50, 4.6 µs with 200, 22 µs with 1,000). So the residual is measured per thread count, the
/// first time a stopwatch is made at that count (outside any timed region): the median, over 300
/// fresh stopwatches of one empty segment each after 30 of warm-up (a few ms at most, more once
/// at 10,000 threads), of (CPU − wall), through the same [`Stopwatch`] code. The median rather
/// than the mean keeps a preempted or interrupted calibration segment from moving it. The summary
/// records the figure at the run's start (`cost_info.segment_overhead_ns`).
pub fn segment_overhead_ns() -> u64 {
    segment_residual_now().median
}

/// How far one segment's residual strays from [`segment_overhead_ns`], ns: the 99th percentile
/// of |residual − median| over the same 300 empty segments (100-250 ns on this VM, where the
/// median is 30-60 ns). A batch's CPU figure is exact to about this: on a one-thread row, CPU
/// per op over wall per op is 1 within this divided by the ops of a batch (measured: 33 µs
/// batches of primitives/stream_iter on -ct read −210 to +120 ns of CPU beside their wall from
/// run to run).
pub fn segment_residual_spread_ns() -> u64 {
    segment_residual_now().spread
}

/// The stopwatch's per-segment residual at the process's current thread count.
fn segment_residual_now() -> Residual {
    let threads = std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count());
    segment_residual_for(threads)
}

/// What is left of a segment's own clock reads ([`segment_overhead_ns`]) and its spread.
#[derive(Debug, Clone, Copy)]
struct Residual {
    median: u64,
    spread: u64,
}

/// [`segment_overhead_ns`] at `threads` threads.
fn segment_overhead_for(threads: usize) -> u64 {
    segment_residual_for(threads).median
}

/// The residual at `threads` threads, measured once per count.
fn segment_residual_for(threads: usize) -> Residual {
    static BY_THREADS: std::sync::Mutex<std::collections::BTreeMap<usize, Residual>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let mut cache = BY_THREADS.lock().unwrap_or_else(|e| e.into_inner());
    *cache.entry(threads).or_insert_with(|| {
        // Each sample is a batch's whole life, as scenarios use it: a fresh stopwatch over the
        // real excluded threads, one segment, stop. A tight resume/pause loop alone read
        // ~300-450 ns per batch less than a batch pays (stream_iter on -ct: CPU over wall by
        // that much per batch). The thread list is read once (at 10,000 threads a read is
        // 10,000 files); each stop still reads the excluded threads' /proc files, as a batch's
        // does.
        let (excluded, tids, _) = read_excluded();
        let mut per_segment = Vec::with_capacity(300);
        for i in 0..330 {
            let mut sw = Stopwatch::paused_with(excluded, tids.clone(), 0);
            sw.resume();
            let t = sw.stop();
            let cpu = t.cost.cpu_ns as i64;
            let wall = t.wall.as_nanos() as i64;
            if i >= 30 {
                per_segment.push(cpu - wall);
            }
        }
        // The upper median, and the p99 of the distances from it (nearest rank).
        let of = |xs: &[i64]| {
            let s = Sample::new(xs.iter().map(|&r| r as f64)).ok()?;
            let median = s.upper_median();
            let off = Sample::new(xs.iter().map(|&r| (r as f64 - median).abs())).ok()?;
            Some(Residual {
                median: median.max(0.0) as u64,
                spread: off.quantile(0.99) as u64,
            })
        };
        of(&per_segment).unwrap_or(Residual { median: 0, spread: 0 })
    })
}

/// See [`CostInfo::idle_wake_cpu_ns`]: one thread's CPU per 5 ms sleep in `epoll_wait` and its
/// wake-up (median of 20), measured on a fresh thread so nothing else it does is counted.
/// Hand-written on libc: the question is the kernel's own charge, so no runtime is in the way.
pub fn idle_wake_cpu_ns() -> Option<f64> {
    std::thread::spawn(|| {
        // SAFETY: plain syscalls on an fd this closure owns and closes.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return None;
        }
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        let mut per_wake = Vec::with_capacity(20);
        for _ in 0..21 {
            let c0 = super::cpu::thread_cpu_time()?;
            // SAFETY: `ev` is a valid buffer for one event; `ep` is open.
            unsafe { libc::epoll_wait(ep, &mut ev, 1, 5) };
            let c1 = super::cpu::thread_cpu_time()?;
            per_wake.push((c1 - c0).as_nanos() as f64);
        }
        // SAFETY: `ep` is ours and open.
        unsafe { libc::close(ep) };
        per_wake.remove(0); // the first wake also pays for the thread's start
        Sample::new(per_wake).ok().map(|s| s.upper_median())
    })
    .join()
    .ok()
    .flatten()
}

/// The process CPU clock, ns (0 if it cannot be read).
fn process_clock_ns() -> u64 {
    super::cpu::process_cpu_time().map_or(0, |d| d.as_nanos() as u64)
}

/// The process's counters. Without `clock_read` (a segment's start) the CPU clock is read after
/// getrusage; at its end the caller read it already, before the wall clock, and passes it.
fn read_process(clock_read: Option<u64>) -> Process {
    // SAFETY: `ru` is a valid, writable rusage; RUSAGE_SELF is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    Process {
        cpu_ns: clock_read.unwrap_or_else(process_clock_ns),
        user_ns: tv(ru.ru_utime),
        sys_ns: tv(ru.ru_stime),
        nvcsw: ru.ru_nvcsw as u64,
        nivcsw: ru.ru_nivcsw as u64,
    }
}

/// The excluded threads' counters, summed, their tids, and how many threads the process has.
fn read_excluded() -> (Excluded, Vec<libc::pid_t>, usize) {
    let mut tids = Vec::new();
    let mut threads = 0;
    // SAFETY: both calls only return ids of this process and thread.
    let (main, me) = (unsafe { libc::getpid() }, unsafe { libc::gettid() });
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            threads += 1;
            let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<libc::pid_t>().ok()) else {
                continue;
            };
            // The harness's main thread drives criterion and the watchdog while a case runs on a
            // thread of its own: not the side under test (sampled from /proc during a full
            // cargo bench: 41–56 ticks per 10 s, about 45 ms of CPU a second). A stopwatch
            // started on the main thread itself (a bench driven directly) counts it.
            if tid == main && me != main {
                tids.push(tid);
                continue;
            }
            let Ok(name) = std::fs::read_to_string(e.path().join("comm")) else {
                continue;
            };
            let name = name.trim_end();
            if EXCLUDED_THREADS.iter().any(|p| name.starts_with(p)) || super::foreign::is_foreign(name) {
                tids.push(tid);
            }
        }
    }
    (read_excluded_of(&tids), tids, threads)
}

/// The counters of the threads `tids`, summed (a thread gone since reads as nothing).
fn read_excluded_of(tids: &[libc::pid_t]) -> Excluded {
    let mut out = Excluded::default();
    for &tid in tids {
        let path = std::path::PathBuf::from(format!("/proc/self/task/{tid}"));
        out.cpu_ns += thread_cpu_ns(tid).unwrap_or(0);
        if let Ok(stat) = std::fs::read_to_string(path.join("stat"))
            && let Some((u, s)) = parse_stat_times(&stat)
        {
            out.user_ticks += u;
            out.sys_ticks += s;
        }
        if let Ok(status) = std::fs::read_to_string(path.join("status")) {
            out.nvcsw += status_field(&status, "voluntary_ctxt_switches:").unwrap_or(0);
            out.nivcsw += status_field(&status, "nonvoluntary_ctxt_switches:").unwrap_or(0);
        }
    }
    out
}

/// CPU time of thread `tid` of this process, ns. The clock id encoding is
/// the kernel's (`MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)`: `~tid << 3 |
/// PERTHREAD 4 | SCHED 2`), the one glibc's `pthread_getcpuclockid` returns.
fn thread_cpu_ns(tid: libc::pid_t) -> Option<u64> {
    let clock: libc::clockid_t = ((!tid) << 3) | 6;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid writable timespec; an invalid clock id only returns an error.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// utime and stime (fields 14 and 15) of a `/proc/…/stat` line; the name in
/// parentheses may hold spaces, so fields count from the last `)`.
fn parse_stat_times(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace().skip(11);
    Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
}

fn status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

fn tick_ns() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { 1_000_000_000 / hz as u64 } else { 10_000_000 }
}

fn clock_resolution_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid writable timespec.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc == 0 {
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_the_name() {
        let line = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 77 88 0 0 20";
        assert_eq!(parse_stat_times(line), Some((77, 88)));
    }

    #[test]
    fn reads_another_threads_cpu_clock() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::spawn(move || {
            // Burnt by this thread's own clock: wall time would depend on load.
            let t0 = crate::measure::cpu::thread_cpu_time().unwrap();
            while crate::measure::cpu::thread_cpu_time().unwrap() - t0 < std::time::Duration::from_millis(30) {
                std::hint::black_box(0u64);
            }
            // SAFETY: gettid has no memory effects.
            tx.send(unsafe { libc::gettid() }).unwrap();
            let _ = stop_rx.recv();
        });
        let tid = rx.recv().unwrap();
        let ns = thread_cpu_ns(tid).unwrap();
        stop_tx.send(()).unwrap();
        h.join().unwrap();
        assert!(ns >= 30_000_000, "{ns}");
    }

    /// Off the main thread (as every case runs, behind the watchdog) the process's main thread is
    /// excluded; tests run on worker threads, so this one is off it.
    #[test]
    fn the_main_thread_is_excluded_when_the_case_runs_elsewhere() {
        // SAFETY: both calls only return ids.
        let (main, me) = (unsafe { libc::getpid() }, unsafe { libc::gettid() });
        assert_ne!(main, me, "cargo test runs tests off the main thread");
        let (_, tids, _) = read_excluded();
        assert!(tids.contains(&main), "{tids:?}");
        assert!(!tids.contains(&me), "{tids:?}");
    }

    #[test]
    fn totals_divide_by_ops() {
        let mut t = CostTotals::default();
        t.add(&CostTotals {
            windows: 1,
            cpu_ns: 1000,
            allocs: Some(10),
            bytes: Some(640),
            ..CostTotals::default()
        });
        let c = t.per_op(10).unwrap();
        assert_eq!(
            (c.cpu_ns_per_op, c.allocs_per_op, c.bytes_per_op),
            (100.0, Some(1.0), Some(64.0))
        );
        assert!(CostTotals::default().per_op(10).is_none());
    }

    #[test]
    fn the_split_is_given_only_where_the_ticks_subtracted_are_small() {
        let totals = |user_ns, sys_ns, excluded_tick_ns| CostTotals {
            windows: 1,
            cpu_ns: 1_000_000_000,
            user_ns,
            sys_ns,
            excluded_tick_ns,
            ..CostTotals::default()
        };
        let c = totals(750_000_000, 250_000_000, 0).per_op(1).unwrap();
        assert_eq!(
            (c.user_ns_per_op, c.sys_ns_per_op),
            (Some(750_000_000.0), Some(250_000_000.0))
        );
        // The server's 10 ms ticks were half the process's time: the split is not known.
        let c = totals(500_000_000, 500_000_000, 1_000_000_000).per_op(1).unwrap();
        assert_eq!((c.user_ns_per_op, c.sys_ns_per_op), (None, None));
        // A share driven negative by the subtraction: not known either (it used to read 0).
        let c = totals(-10_000_000, 1_000_000_000, 50_000_000).per_op(1).unwrap();
        assert_eq!((c.user_ns_per_op, c.sys_ns_per_op), (None, None));
        assert_eq!(c.cpu_ns_per_op, 1_000_000_000.0);
    }
}
