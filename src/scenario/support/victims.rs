//! What the hazard scenarios (`blocking_sleep`, `cpu_offload`) share: the
//! "victims" — unrelated keep-alive requests to the test server that run
//! beside the hazard and whose latency shows what it did to everyone else —
//! and the per-case setup that warms their connections and measures the lag
//! probe's own cost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use toml::Spanned;

use super::fetch::{MAX_TIMEOUT_MS, delay_path, timed_get};
use crate::client::{ConnMode, HttpClient};
use crate::measure::clock::PreciseTimer;
use crate::measure::{Batch, OpError};
use crate::runtime::{JoinError, Runtime};
use crate::scenario::file::{ScenarioError, Source};
use crate::scenario::support::probe::{ProbeReport, probe_cpu_share};

/// Upper bounds for the victim parameters.
pub const MAX_VICTIMS: u64 = 64;
pub const MAX_VICTIM_DELAY_MS: u64 = 1_000;
pub const MAX_PROBE_PERIOD_MS: u64 = 1_000;
/// A victim never issues more requests than this in one batch.
pub const MAX_VICTIM_REQUESTS: u64 = 10_000;
/// How long each half of the probe-overhead measurement idles.
const OVERHEAD_WINDOW: Duration = Duration::from_millis(50);

/// Validated victim and probe settings, common to both hazard scenarios.
#[derive(Debug, Clone)]
pub struct VictimCfg {
    /// Concurrent victim tasks, each issuing requests one after another.
    pub tasks: usize,
    /// Server-side delay of each victim request (`/delay/{ms}`).
    pub delay: Duration,
    pub probe_period: Duration,
    pub timeout: Duration,
}

impl VictimCfg {
    /// The four keys stay in each hazard scenario's own `Params` rather than in one
    /// `#[serde(flatten)]`ed mirror: through flatten, serde buffers the values and toml's
    /// `Spanned` no longer deserialises ("expected a spanned value"), so bad values would lose
    /// their line, and unknown keys their "expected one of" list.
    pub fn check(
        src: &Source<'_>,
        victims: &Spanned<u64>,
        victim_delay_ms: &Spanned<u64>,
        probe_period_ms: &Spanned<u64>,
        timeout_ms: &Spanned<u64>,
    ) -> Result<VictimCfg, ScenarioError> {
        let tasks = src.range(victims, "params.victims", 1, MAX_VICTIMS)?;
        let delay = src.range(victim_delay_ms, "params.victim_delay_ms", 0, MAX_VICTIM_DELAY_MS)?;
        let period = src.range(probe_period_ms, "params.probe_period_ms", 1, MAX_PROBE_PERIOD_MS)?;
        let timeout = src.range(timeout_ms, "params.timeout_ms", 1, MAX_TIMEOUT_MS)?;
        Ok(VictimCfg {
            tasks: tasks as usize,
            delay: Duration::from_millis(delay),
            probe_period: Duration::from_millis(period),
            timeout: Duration::from_millis(timeout),
        })
    }

    pub fn path(&self) -> Arc<str> {
        delay_path(self.delay)
    }

    /// One line for `describe`.
    pub fn describe(&self) -> String {
        format!(
            "victims {}× /delay/{} keep-alive, probes every {} ms",
            self.tasks,
            self.delay.as_millis(),
            self.probe_period.as_millis()
        )
    }

    /// The note every hazard case carries about its probe rows.
    pub fn lag_note(&self) -> String {
        format!(
            "sched_delay: a precise timer thread outside the runtime wakes a probe task every {p} ms through its \
             Waker; the row is wake → poll, so a blocked loop shows on every runtime alike. timer_lateness: how \
             late the runtime's own sleep({p} ms) fires, a property of its timer (tokio rounds deadlines up to \
             the next millisecond). Both keep a fixed cadence and count every deadline a stall held up \
             (coordinated omission). On multi-thread flavours the probe may run on a worker the stall does not \
             hold. Their own cost is `probe_cpu_share` (process CPU per second of probing, measured idle in setup)",
            p = self.probe_period.as_millis()
        )
    }
}

/// Per-case state of a hazard scenario: the victims' client (connections
/// already open) and the probe's measured cost on this runtime.
pub struct Watched<R: Runtime> {
    pub client: HttpClient<R>,
    pub path: Arc<str>,
    /// The precise timer that wakes the `sched_delay` probe.
    pub clock: PreciseTimer,
    /// Share of a core both probes cost, measured idle in setup (`None`:
    /// no process CPU clock on this platform).
    pub probe_cpu_share: Option<f64>,
}

impl<R: Runtime> Watched<R> {
    /// Opens `cfg.tasks` keep-alive connections (so no batch pays a
    /// handshake) and measures the probe's overhead while all is idle.
    pub async fn setup(rt: &R, server: std::net::SocketAddr, cfg: &VictimCfg) -> Result<Watched<R>, String> {
        let client = HttpClient::new(rt, server, ConnMode::KeepAlive, cfg.timeout);
        let path = cfg.path();
        let warm = futures::future::join_all((0..cfg.tasks).map(|_| timed_get(&client, &path, Instant::now()))).await;
        if let Some(Err(e)) = warm.into_iter().find(Result::is_err) {
            return Err(format!("victim warm-up request failed: {e}"));
        }
        let clock = PreciseTimer::shared().map_err(|e| format!("cannot start the probe's timer thread: {e}"))?;
        let share = probe_cpu_share(rt, &clock, cfg.probe_period, OVERHEAD_WINDOW).await;
        Ok(Watched {
            client,
            path,
            clock,
            probe_cpu_share: share,
        })
    }

    /// The rows every hazard batch carries beside its own: both probes' samples, the runtime's
    /// task threads and the probes' own cost.
    pub fn add_probe_rows(&self, b: &mut Batch, probes: ProbeReport, workers: usize) {
        b.extra.push(("sched_delay", probes.sched_delay.samples));
        b.extra.push(("timer_lateness", probes.timer_lateness.samples));
        b.values.push(("workers", workers as f64));
        if let Some(share) = self.probe_cpu_share {
            b.values.push(("probe_cpu_share", share));
        }
    }

    /// Spawns the victims: `cfg.tasks` tasks, each issuing requests one after
    /// another, at least one and at most `max_each`, stopping early once
    /// `stop` is set. The last victim to finish sets `done` (so a load can
    /// stop the moment the victims do, without waiting for the batch's own
    /// future to be polled).
    ///
    /// A victim's first request is timed from the spawn, not from the task's
    /// first poll: a runtime that leaves a new task queued behind busy ones
    /// delays that request just as much as a stalled response would
    /// (closed-loop intended start; later requests start the moment the
    /// previous one completes, in the same poll).
    pub fn spawn_victims(
        &self,
        rt: &R,
        cfg: &VictimCfg,
        max_each: u64,
        stop: &Arc<AtomicBool>,
        done: &Arc<AtomicBool>,
    ) -> Vec<R::Handle<VictimRun>> {
        let left = Arc::new(AtomicUsize::new(cfg.tasks));
        (0..cfg.tasks)
            .map(|_| {
                let (client, path) = (self.client.clone(), self.path.clone());
                let (stop, done, left) = (stop.clone(), done.clone(), left.clone());
                let spawned = Instant::now();
                rt.spawn(async move {
                    let mut outcomes = Vec::new();
                    for i in 0..max_each {
                        if i > 0 && stop.load(Ordering::Acquire) {
                            break;
                        }
                        let start = if i == 0 { spawned } else { Instant::now() };
                        outcomes.push(timed_get(&client, &path, start).await);
                    }
                    if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done.store(true, Ordering::Release);
                    }
                    VictimRun {
                        outcomes,
                        finished: Instant::now(),
                    }
                })
            })
            .collect()
    }
}

/// What one victim task did.
pub struct VictimRun {
    pub outcomes: Vec<Result<Duration, OpError>>,
    pub finished: Instant,
}

/// Finish instants of a group of tasks, read from the tasks themselves: the
/// batch's own future may be polled late (a one-thread executor busy with
/// other tasks polls it last), and that delay is not the tasks' time.
#[derive(Debug, Default, Clone, Copy)]
pub struct LastFinish(Option<Instant>);

impl LastFinish {
    pub fn add(&mut self, t: Instant) {
        self.0 = Some(self.0.map_or(t, |l| l.max(t)));
    }
    /// Time from `t0` to the last finish (`fallback` if none finished).
    pub fn since(self, t0: Instant, fallback: Duration) -> Duration {
        self.0.map_or(fallback, |l| l.saturating_duration_since(t0))
    }
}

/// Waits for every victim task and flattens their outcomes; a victim task
/// that failed to join counts as one error.
pub async fn join_victims<H>(handles: Vec<H>) -> (Vec<Result<Duration, OpError>>, LastFinish)
where
    H: std::future::Future<Output = Result<VictimRun, JoinError>>,
{
    let mut out = Vec::new();
    let mut last = LastFinish::default();
    for h in handles {
        match h.await {
            Ok(v) => {
                out.extend(v.outcomes);
                last.add(v.finished);
            }
            Err(e) => out.push(Err(e.into())),
        }
    }
    (out, last)
}
