//! `gather_vs_select` — the guide's "asyncio.wait() vs asyncio.gather()" and
//! `FIRST_COMPLETED`: M requests to `/delay/{Dᵢ}` with a spread of delays,
//! gathered (`join_all`), streamed as they complete, raced with the losers
//! cancelled, or raced with the losers left running. Reports time to the
//! first result (ideal min D), time to all (ideal max D), and — from the
//! server's `/stats`, not the client's belief — how long the losers'
//! connections stayed open after the first result.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Deserialize;
use toml::Spanned;

use crate::client::{ConnMode, HttpClient};
use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, OpError};
use crate::results::{Comparison, Side};
use crate::runtime::{Flavor, JoinError, Runtime, TaskHandle};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::fetch::{MAX_TIMEOUT_MS, delay_path, fetch_one};
use crate::scenario::support::server_probe::ServerProbe;
use crate::scenario::{Case, CaseSpec, Env, Ideal, Scenario, ScenarioError, Source};
use crate::{param, param_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `join_all` on one task: every result at once (the guide's gather).
    JoinAll,
    /// A `FuturesUnordered` stream on one task: results as they complete.
    AsCompleted,
    /// M spawned tasks; the first result wins and the rest are aborted
    /// (`wait(FIRST_COMPLETED)` then `cancel()` the pending ones).
    SelectCancel,
    /// M spawned tasks; the first result is used, the rest keep running.
    FirstKeepRunning,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    delays_ms: Spanned<Vec<Spanned<u64>>>,
    timeout_ms: Spanned<u64>,
    cleanup_wait_ms: Spanned<u64>,
}

/// Most requests one batch may race.
pub const MAX_REQUESTS: usize = 1000;

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct GatherVsSelect {
    pub delays: Vec<Duration>,
    /// min(D) and max(D): the ideals of time to first and time to all.
    pub min_max: (Duration, Duration),
    pub timeout: Duration,
    pub cleanup_wait: Duration,
}

impl Scenario for GatherVsSelect {
    const NAME: &'static str = "gather_vs_select";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let list = p.delays_ms.get_ref();
        if !(2..=MAX_REQUESTS).contains(&list.len()) {
            return Err(param_error!(
                src,
                p.delays_ms,
                "{} delays: allowed 2..={MAX_REQUESTS} (a race needs losers)",
                list.len()
            ));
        }
        let mut delays = Vec::with_capacity(list.len());
        for d in list {
            let ms = src.range(d, "params.delays_ms", 0, crate::server::MAX_DELAY_MS)?;
            delays.push(Duration::from_millis(ms));
        }
        let min = delays.iter().min().copied().unwrap_or_default();
        let max = delays.iter().max().copied().unwrap_or_default();
        let max_ms = max.as_millis() as u64;
        // A request must be able to outlive the slowest delay.
        let timeout = param!(src, p.timeout_ms, max_ms + 1, MAX_TIMEOUT_MS.max(max_ms + 1))?;
        let cleanup = param!(src, p.cleanup_wait_ms, 1, 60_000)?;
        Ok(GatherVsSelect {
            delays,
            min_max: (min, max),
            timeout: Duration::from_millis(timeout),
            cleanup_wait: Duration::from_millis(cleanup),
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let (min, max) = self.min_max;
        let path = |d| crate::scenario::support::fetch::delay_path(d);
        let first = Ideal::requests(
            1,
            min,
            &path(min),
            ConnMode::Fresh,
            format!("time to first = min(D) = {} ms", min.as_millis()),
        );
        let all = Ideal::requests(
            1,
            max,
            &path(max),
            ConnMode::Fresh,
            format!("time to all = max(D) = {} ms", max.as_millis()),
        );
        let (ideal, note) = match v {
            Variant::JoinAll => (
                all,
                "wall = time to all; time_to_first = when the caller gets its first result (gather: with the last)",
            ),
            Variant::AsCompleted => (first, "wall = time to first; time_to_all as extra metric"),
            Variant::SelectCancel => (
                first,
                "wall = time to first; abort = aborting the losers; loser_cleanup = first result → server sees every connection closed",
            ),
            Variant::FirstKeepRunning => (
                first,
                "wall = time to first; losers run on: time_to_all and loser_cleanup show how long (ideal max(D) - min(D))",
            ),
        };
        vec![
            // One race (or gather) per batch: its requests are not the unit,
            // the batch time is time-to-first for some variants.
            Case::new(1, "races")
                .ideal(ideal)
                .note(note)
                .note("fresh connection per request"),
        ]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = RaceCase {
            variant,
            paths: self.delays.iter().map(|d| delay_path(*d)).collect(),
            p: self.clone(),
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::rows(
                Side::primary("select_cancel"),
                Side::metric("join_all", "time_to_first"),
                "wait(FIRST_COMPLETED) vs gather: when the caller gets its first result, per race",
            ),
            Comparison::variants(
                "as_completed",
                "select_cancel",
                "as_completed vs FIRST_COMPLETED + cancel: time to the first result, per race",
            ),
            Comparison::rows(
                Side::metric("first_keep_running", "loser_cleanup"),
                Side::metric("select_cancel", "loser_cleanup"),
                "cancelling the losers vs letting them run: until the server sees their connections closed, median \
                 per round",
            ),
            Comparison::runtimes("select_cancel", "which runtime races and cancels fastest, per race"),
        ]
    }

    fn describe(&self) -> String {
        let (min, max) = self.min_max;
        format!(
            "M={} requests, delays {}..{} ms, cleanup wait {} ms",
            self.delays.len(),
            min.as_millis(),
            max.as_millis(),
            self.cleanup_wait.as_millis()
        )
    }
}

/// One gather_vs_select case: the same code on every runtime.
pub struct RaceCase {
    pub variant: Variant,
    /// One `/delay/{Dᵢ}` per entry of `p.delays`.
    pub paths: Vec<Arc<str>>,
    pub p: GatherVsSelect,
    pub server: SocketAddr,
}

pub struct RaceState<R: Runtime> {
    /// Fresh mode: a request future drives its own connection, so dropping
    /// or aborting it closes the socket.
    client: HttpClient<R>,
    probe: ServerProbe<R>,
}

impl AsyncScenario for RaceCase {
    type State<R: Runtime> = RaceState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<RaceState<R>, String> {
        let probe = ServerProbe::new(rt, self.server, self.p.timeout);
        if matches!(self.variant, Variant::SelectCancel | Variant::FirstKeepRunning) {
            // Best effort: an unreachable server shows up as batch errors.
            let _ = probe.settle(self.p.cleanup_wait).await;
        }
        Ok(RaceState {
            client: HttpClient::new(rt, self.server, ConnMode::Fresh, self.p.timeout),
            probe,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut RaceState<R>) -> Batch {
        let mut b = match self.variant {
            Variant::JoinAll => self.join_all(st).await,
            Variant::AsCompleted => self.as_completed(st).await,
            Variant::SelectCancel | Variant::FirstKeepRunning => self.race(rt, st).await,
        };
        let (min, max) = self.p.min_max;
        b.values.push(("ideal_first_ms", min.as_secs_f64() * 1e3));
        b.values.push(("ideal_all_ms", max.as_secs_f64() * 1e3));
        b
    }
}

impl RaceCase {
    async fn join_all<R: Runtime>(&self, st: &RaceState<R>) -> Batch {
        let sw = Stopwatch::start();
        let outcomes = futures::future::join_all(self.paths.iter().map(|p| fetch_one(&st.client, p))).await;
        let timed = sw.stop();
        let all = timed.wall;
        let mut b = Batch::from_outcomes(timed, outcomes);
        // gather hands nothing over before the last result arrives.
        b.extra.push(("time_to_first", vec![all]));
        b
    }

    async fn as_completed<R: Runtime>(&self, st: &RaceState<R>) -> Batch {
        let mut sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        let mut stream: FuturesUnordered<_> = self.paths.iter().map(|p| fetch_one(&st.client, p)).collect();
        let mut first = false;
        let mut outcomes = Vec::with_capacity(self.paths.len());
        while let Some(o) = stream.next().await {
            if o.is_ok() && !first {
                // The timed region (wall = time to first) and its cost end here; the rest of
                // the stream is the extra time_to_all.
                sw.pause();
                first = true;
            }
            outcomes.push(o);
        }
        let all = t0.elapsed();
        let mut b = Batch::from_outcomes(sw.stop(), outcomes);
        b.extra.push(("time_to_all", vec![all]));
        b
    }

    /// The two spawned-task races: take the first success, then abort the
    /// losers or let them finish, and watch the server until their
    /// connections are closed.
    async fn race<R: Runtime>(&self, rt: &R, st: &RaceState<R>) -> Batch {
        let mut b = Batch::default();
        let baseline = match st.probe.stats().await {
            Ok(s) => Some(s.connections_open),
            Err(e) => {
                b.errors.record(&e);
                None
            }
        };
        let sw = Stopwatch::start();
        let t0 = sw.started().unwrap_or_else(Instant::now);
        let mut set: FuturesUnordered<R::Handle<Result<Duration, OpError>>> = self
            .paths
            .iter()
            .map(|p| {
                let (c, p) = (st.client.clone(), p.clone());
                rt.spawn(async move { fetch_one(&c, &p).await })
            })
            .collect();
        let flat = |r: Result<Result<Duration, OpError>, JoinError>| r?;
        while let Some(r) = set.next().await {
            match flat(r) {
                Ok(d) => {
                    b.latencies.push(d);
                    break;
                }
                Err(e) => b.errors.record(&e),
            }
        }
        let timed = sw.stop();
        let first_at = t0 + timed.wall;
        (b.wall, b.cost) = (timed.wall, timed.cost);
        let losers = set.len();
        let mut wait = self.p.cleanup_wait;
        if self.variant == Variant::SelectCancel {
            futures::future::join_all(set.into_iter().map(TaskHandle::abort)).await;
            b.extra.push(("abort", vec![first_at.elapsed()]));
        } else {
            // Left running: awaited only to learn when the work really ended.
            while let Some(r) = set.next().await {
                match flat(r) {
                    Ok(d) => b.latencies.push(d),
                    Err(e) => b.errors.record(&e),
                }
            }
            b.extra.push(("time_to_all", vec![t0.elapsed()]));
            wait += self.p.min_max.1;
        }
        if let Some(base) = baseline {
            match st.probe.wait_open_at_most(base, first_at, wait).await {
                Ok(w) => {
                    if let Some(d) = w.closed_after {
                        b.extra.push(("loser_cleanup", vec![d]));
                    }
                    b.values.push(("losers_still_open_after_wait", w.still_open as f64));
                }
                Err(e) => b.errors.record(&e),
            }
        }
        b.values.push(("losers", losers as f64));
        b
    }
}
