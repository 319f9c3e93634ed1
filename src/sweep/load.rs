//! The load generator of the server side: the project's event-loop
//! generator ([`PacedGenerator`]: each thread owns its connections and their
//! schedules in one epoll loop) on threads of its own, pinned apart from the
//! runtime under test, which is the *server* here.
//!
//! The caller (running on the runtime under test, or anywhere) awaits
//! windows; each comes with what the generator itself spent, so a step where
//! the generator, not the server, was the bottleneck can be marked from the
//! generator's own figures alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::client::{PacedGenerator, PacedSpec, PacedWindow};
use crate::measure::Batch;
use crate::measure::placement::CpuSet;

/// What the generator is, as reports name it.
pub const GENERATOR: &str = "asyncbench's event-loop generator (epoll + timerfd, one loop per thread)";
/// The generator's own send lag, as an extra histogram of each batch.
pub const SEND_LAG: &str = "generator_send_lag";

/// What the load threads are told.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub server: SocketAddr,
    pub path: Arc<str>,
    pub connections: u64,
    /// Requests per second over all connections; `None`: closed loop (each connection sends
    /// its next request as its reply arrives).
    pub rate: Option<u64>,
    pub window: Duration,
    pub timeout: Duration,
    /// Where the generator runs: one thread per CPU of the set, each pinned
    /// to its CPU (more threads where cores allow); `None`: one unpinned thread.
    pub cpus: Option<CpuSet>,
}

impl LoadSpec {
    fn paced(&self) -> PacedSpec {
        let threads = match &self.cpus {
            Some(set) => set.cpus().iter().map(|&c| Some(CpuSet::new([c]))).collect(),
            None => vec![None],
        };
        PacedSpec {
            server: self.server,
            path: self.path.to_string(),
            connections: self.connections,
            rate: self.rate,
            timeout: self.timeout,
            window: self.window,
            threads,
            spin: crate::client::paced::DEFAULT_SPIN,
            coalesce: crate::client::paced::DEFAULT_COALESCE,
        }
    }
}

/// One window as the generator saw it.
pub struct Window {
    pub batch: Batch,
    /// The busiest generator thread's CPU over the window as a share of its
    /// core (1.0 = one core busy the whole window).
    pub generator_cpu: f64,
    /// The same less the time it spun waiting for a due send: what it could not give back
    /// ([`PacedWindow::max_thread_busy`]); generator-bound reads this.
    pub generator_busy: f64,
    /// All generator threads' CPU time over the window.
    pub generator_cpu_time: Duration,
    /// Requests written in the window.
    pub sent: u64,
}

impl Window {
    fn of(w: PacedWindow, rate: Option<u64>) -> Window {
        let span = w.span.as_secs_f64().max(1e-9);
        let mut b = Batch {
            wall: w.span,
            ..Batch::default()
        };
        b.values.push(("achieved_rps", w.completed() as f64 / span));
        if let Some(rate) = rate {
            b.values.push((super::bench_knee::RATE_VALUE, rate as f64));
        }
        b.latencies = w.corrected;
        b.errors = w.errors;
        b.extra.push(("latency_uncorrected", w.uncorrected));
        b.extra.push((SEND_LAG, w.send_lag));
        Window {
            batch: b,
            generator_cpu: w.max_thread_cpu,
            generator_busy: w.max_thread_busy,
            generator_cpu_time: w.cpu,
            sent: w.sent,
        }
    }
}

/// A running generator. Dropping it stops its threads (every connection closes).
pub struct LoadThread {
    generator: PacedGenerator,
    rate: Option<u64>,
    /// The generator threads' CPU sets as read back from the kernel.
    pub placed_on: Option<CpuSet>,
}

impl LoadThread {
    pub fn start(spec: LoadSpec) -> Result<LoadThread, String> {
        let generator = PacedGenerator::start(spec.paced())?;
        let placed: Vec<usize> = generator
            .placed_on
            .iter()
            .flatten()
            .flat_map(|c| c.cpus().to_vec())
            .collect();
        Ok(LoadThread {
            placed_on: (!placed.is_empty()).then(|| CpuSet::new(placed)),
            generator,
            rate: spec.rate,
        })
    }

    pub fn threads(&self) -> usize {
        self.generator.threads()
    }

    /// The next window. An error only if the generator is gone.
    pub async fn window(&mut self) -> Result<Window, String> {
        Ok(Window::of(self.generator.window().await?, self.rate))
    }

    /// The first window that begins at or after `at` (its number and when it begins).
    pub fn first_window_from(&self, at: std::time::Instant) -> (u64, std::time::Instant) {
        self.generator.first_window_from(at)
    }

    /// Window `index`, the stale earlier ones dropped ([`PacedGenerator::window_number`]).
    pub async fn window_number(&mut self, index: u64) -> Result<Window, String> {
        Ok(Window::of(self.generator.window_number(index).await?, self.rate))
    }
}
