//! `gather_vs_select` — the guide's "asyncio.wait() vs asyncio.gather()" and
//! `FIRST_COMPLETED`: M requests to `/delay/{Dᵢ}` with a spread of delays,
//! gathered (`join_all`), streamed as they complete, raced with the losers
//! cancelled, or raced with the losers left running. Reports time to the
//! first result (ideal min D), time to all (ideal max D), and — from the
//! server's `/stats`, not the client's belief — how long the losers'
//! connections stayed open after the first result.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Deserialize;
use toml::Spanned;

use crate::client::{ConnMode, HttpClient};
use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime, TaskHandle};
use crate::scenario::catalog::fetch_parallel::MAX_TIMEOUT_MS;
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::support::server_probe::ServerProbe;
use crate::scenario::{CaseSpec, Env, Ideal, ScenarioDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Variant {
    pub const NAMES: [&'static str; 4] = ["join_all", "as_completed", "select_cancel", "first_keep_running"];

    fn parse(s: &str) -> Option<Variant> {
        Some(match s {
            "join_all" => Variant::JoinAll,
            "as_completed" => Variant::AsCompleted,
            "select_cancel" => Variant::SelectCancel,
            "first_keep_running" => Variant::FirstKeepRunning,
            _ => return None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    delays_ms: Spanned<Vec<Spanned<u64>>>,
    timeout_ms: Spanned<u64>,
    cleanup_wait_ms: Spanned<u64>,
}

/// Most requests one batch may race.
pub const MAX_REQUESTS: usize = 1000;

#[derive(Debug, Clone)]
pub struct GatherVsSelect {
    header: Header,
    pub delays: Vec<Duration>,
    pub timeout: Duration,
    pub cleanup_wait: Duration,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &Variant::NAMES, &runtimes)?;
    let p = &f.params;
    let list = p.delays_ms.get_ref();
    if !(2..=MAX_REQUESTS).contains(&list.len()) {
        return Err(src.error(
            Some(p.delays_ms.span()),
            Some("params.delays_ms"),
            format!(
                "{} delays: allowed 2..={MAX_REQUESTS} (a race needs losers)",
                list.len()
            ),
        ));
    }
    let mut delays = Vec::with_capacity(list.len());
    for d in list {
        let ms = src.range(d, "params.delays_ms", 0, crate::server::MAX_DELAY_MS)?;
        delays.push(Duration::from_millis(ms));
    }
    let max_ms = delays.iter().max().map_or(0, |d| d.as_millis() as u64);
    // A request must be able to outlive the slowest delay.
    let timeout = src.range(
        &p.timeout_ms,
        "params.timeout_ms",
        max_ms + 1,
        MAX_TIMEOUT_MS.max(max_ms + 1),
    )?;
    let cleanup = src.range(&p.cleanup_wait_ms, "params.cleanup_wait_ms", 1, 60_000)?;
    Ok(Box::new(GatherVsSelect {
        header,
        delays,
        timeout: Duration::from_millis(timeout),
        cleanup_wait: Duration::from_millis(cleanup),
    }))
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl GatherVsSelect {
    fn min_max(&self) -> (Duration, Duration) {
        let min = self.delays.iter().min().copied().unwrap_or_default();
        let max = self.delays.iter().max().copied().unwrap_or_default();
        (min, max)
    }
}

impl ScenarioDef for GatherVsSelect {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let (min, max) = self.min_max();
        let first = Ideal {
            ns: ns(min),
            formula: format!("time to first = min(D) = {} ms", min.as_millis()),
        };
        let all = Ideal {
            ns: ns(max),
            formula: format!("time to all = max(D) = {} ms", max.as_millis()),
        };
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(variant) = Variant::parse(v) else { continue };
            let (ideal, note) = match variant {
                Variant::JoinAll => (
                    all.clone(),
                    "wall = time to all; time_to_first = when the caller gets its first result (gather: with the last)",
                ),
                Variant::AsCompleted => (first.clone(), "wall = time to first; time_to_all as extra metric"),
                Variant::SelectCancel => (
                    first.clone(),
                    "wall = time to first; abort = aborting the losers; loser_cleanup = first result → server sees every connection closed",
                ),
                Variant::FirstKeepRunning => (
                    first.clone(),
                    "wall = time to first; losers run on: time_to_all and loser_cleanup show how long (ideal max(D) - min(D))",
                ),
            };
            for &flavor in &self.header.runtimes {
                out.push(CaseSpec {
                    key: Default::default(),
                    variant: v.clone(),
                    flavor,
                    ideal: Some(ideal.clone()),
                    ops_per_batch: self.delays.len() as u64,
                    notes: vec![note.to_string(), "fresh connection per request".to_string()],
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let variant = Variant::parse(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let s = RaceCase {
            variant,
            paths: self
                .delays
                .iter()
                .map(|d| format!("/delay/{}", d.as_millis()).into())
                .collect(),
            min_max: self.min_max(),
            server: env.server,
            timeout: self.timeout,
            cleanup_wait: self.cleanup_wait,
        };
        driver::prepare_async(case, env, s)
    }

    fn describe(&self) -> String {
        let (min, max) = self.min_max();
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
    pub paths: Vec<Arc<str>>,
    pub min_max: (Duration, Duration),
    pub server: std::net::SocketAddr,
    pub timeout: Duration,
    pub cleanup_wait: Duration,
}

pub struct RaceState<R: Runtime> {
    /// Fresh mode: a request future drives its own connection, so dropping
    /// or aborting it closes the socket.
    client: HttpClient<R>,
    probe: ServerProbe<R>,
}

async fn fetch<R: Runtime>(client: &HttpClient<R>, path: &str) -> Result<Duration, String> {
    let t0 = Instant::now();
    match client.get(path).await {
        Ok(r) if r.is_success() => Ok(t0.elapsed()),
        Ok(r) => Err(format!("status {}", r.status)),
        Err(e) => Err(e.to_string()),
    }
}

impl AsyncScenario for RaceCase {
    type State<R: Runtime> = RaceState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<RaceState<R>, String> {
        let probe = ServerProbe::new(rt, self.server, self.timeout);
        if matches!(self.variant, Variant::SelectCancel | Variant::FirstKeepRunning) {
            // Best effort: an unreachable server shows up as batch errors.
            let _ = probe.settle(self.cleanup_wait).await;
        }
        Ok(RaceState {
            client: HttpClient::new(rt, self.server, ConnMode::Fresh, self.timeout),
            probe,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut RaceState<R>) -> Batch {
        let mut b = match self.variant {
            Variant::JoinAll => self.join_all(st).await,
            Variant::AsCompleted => self.as_completed(st).await,
            Variant::SelectCancel | Variant::FirstKeepRunning => self.race(rt, st).await,
        };
        let (min, max) = self.min_max;
        b.values.push(("ideal_first_ms", min.as_secs_f64() * 1e3));
        b.values.push(("ideal_all_ms", max.as_secs_f64() * 1e3));
        b
    }
}

impl RaceCase {
    async fn join_all<R: Runtime>(&self, st: &RaceState<R>) -> Batch {
        let t0 = Instant::now();
        let outcomes = futures::future::join_all(self.paths.iter().map(|p| fetch(&st.client, p))).await;
        let all = t0.elapsed();
        let mut b = Batch::from_outcomes(all, outcomes);
        // gather hands nothing over before the last result arrives.
        b.extra.push(("time_to_first", vec![all]));
        b
    }

    async fn as_completed<R: Runtime>(&self, st: &RaceState<R>) -> Batch {
        let t0 = Instant::now();
        let mut stream: FuturesUnordered<_> = self.paths.iter().map(|p| fetch(&st.client, p)).collect();
        let mut first = None;
        let mut outcomes = Vec::with_capacity(self.paths.len());
        while let Some(o) = stream.next().await {
            if o.is_ok() && first.is_none() {
                first = Some(t0.elapsed());
            }
            outcomes.push(o);
        }
        let all = t0.elapsed();
        let mut b = Batch::from_outcomes(first.unwrap_or(all), outcomes);
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
            Err(_) => {
                b.errors += 1;
                None
            }
        };
        let t0 = Instant::now();
        let mut set: FuturesUnordered<R::Handle<Result<Duration, String>>> = self
            .paths
            .iter()
            .map(|p| {
                let (c, p) = (st.client.clone(), p.clone());
                rt.spawn(async move { fetch(&c, &p).await })
            })
            .collect();
        let flat = |r: Result<Result<Duration, String>, _>| r.map_err(|e: crate::runtime::JoinError| e.to_string())?;
        while let Some(r) = set.next().await {
            match flat(r) {
                Ok(d) => {
                    b.latencies.push(d);
                    break;
                }
                Err(_) => b.errors += 1,
            }
        }
        let first_at = Instant::now();
        b.wall = first_at - t0;
        let losers = set.len();
        let mut wait = self.cleanup_wait;
        if self.variant == Variant::SelectCancel {
            futures::future::join_all(set.into_iter().map(TaskHandle::abort)).await;
            b.extra.push(("abort", vec![first_at.elapsed()]));
        } else {
            // Left running: awaited only to learn when the work really ended.
            while let Some(r) = set.next().await {
                match flat(r) {
                    Ok(d) => b.latencies.push(d),
                    Err(_) => b.errors += 1,
                }
            }
            b.extra.push(("time_to_all", vec![t0.elapsed()]));
            wait += self.min_max.1;
        }
        if let Some(base) = baseline {
            match st.probe.wait_open_at_most(base, first_at, wait).await {
                Ok(w) => {
                    if let Some(d) = w.closed_after {
                        b.extra.push(("loser_cleanup", vec![d]));
                    }
                    b.values.push(("losers_still_open_after_wait", w.still_open as f64));
                }
                Err(_) => b.errors += 1,
            }
        }
        b.values.push(("losers", losers as f64));
        b
    }
}
