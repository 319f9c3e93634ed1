//! `fetch_parallel` — the guide's "Fetching multiple URLs": N requests to
//! `/delay/{D}` awaited one after another, gathered with `join_all`, spawned
//! as tasks, or with at most k in flight; over fresh connections or a
//! keep-alive pool. Ideal: N·D, D, D, ⌈N/k⌉·D.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use toml::Spanned;

use crate::client::{ConnMode, HttpClient};
use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::{CaseSpec, Env, Ideal, ScenarioDef};

/// How the N requests are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `for … { get().await }`: the guide's sequential awaits.
    Sequential,
    /// `join_all` of N futures on one task: the guide's `gather`.
    JoinAll,
    /// N spawned tasks, then their handles awaited: `create_task`.
    Spawned,
    /// At most k in flight (`buffer_unordered(k)`): a semaphore-bounded gather.
    Bounded(usize),
}

impl Pattern {
    pub const NAMES: [&'static str; 4] = ["sequential", "join_all", "spawned", "bounded"];

    pub fn name(self) -> &'static str {
        match self {
            Pattern::Sequential => "sequential",
            Pattern::JoinAll => "join_all",
            Pattern::Spawned => "spawned",
            Pattern::Bounded(_) => "bounded",
        }
    }

    fn parse(s: &str, k: usize) -> Option<Pattern> {
        Some(match s {
            "sequential" => Pattern::Sequential,
            "join_all" => Pattern::JoinAll,
            "spawned" => Pattern::Spawned,
            "bounded" => Pattern::Bounded(k),
            _ => return None,
        })
    }

    /// The batch time if every request took exactly `d` and nothing else
    /// cost anything.
    pub fn ideal(self, n: u64, d: Duration) -> Ideal {
        let ms = d.as_millis();
        let (waves, formula) = match self {
            Pattern::Sequential => (n, format!("N·D = {n} × {ms} ms")),
            Pattern::JoinAll | Pattern::Spawned => (1, format!("D = {ms} ms")),
            Pattern::Bounded(k) => {
                let w = n.div_ceil(k as u64);
                (w, format!("⌈N/k⌉·D = ⌈{n}/{k}⌉ × {ms} ms"))
            }
        };
        Ideal {
            ns: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).saturating_mul(waves),
            formula,
        }
    }
}

/// One request, timed; a non-2xx status counts as a failure.
async fn fetch_one<R: Runtime>(client: &HttpClient<R>, path: &str) -> Result<Duration, String> {
    let t0 = Instant::now();
    match client.get(path).await {
        Ok(r) if r.is_success() => Ok(t0.elapsed()),
        Ok(r) => Err(format!("status {}", r.status)),
        Err(e) => Err(e.to_string()),
    }
}

/// Issues `n` GETs of `path` with `pattern` and returns each one's outcome.
/// Shared with `sync_vs_async`, so both scenarios time the same code.
pub async fn fetch_all<R: Runtime>(
    rt: &R,
    client: &HttpClient<R>,
    pattern: Pattern,
    n: u64,
    path: &Arc<str>,
) -> Vec<Result<Duration, String>> {
    match pattern {
        Pattern::Sequential => {
            let mut out = Vec::with_capacity(n as usize);
            for _ in 0..n {
                out.push(fetch_one(client, path).await);
            }
            out
        }
        Pattern::JoinAll => futures::future::join_all((0..n).map(|_| fetch_one(client, path))).await,
        Pattern::Spawned => {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (c, p) = (client.clone(), path.clone());
                    rt.spawn(async move { fetch_one(&c, &p).await })
                })
                .collect();
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(h.await.unwrap_or_else(|e| Err(e.to_string())));
            }
            out
        }
        Pattern::Bounded(k) => {
            futures::stream::iter(0..n)
                .map(|_| fetch_one(client, path))
                .buffer_unordered(k)
                .collect()
                .await
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    requests: Spanned<u64>,
    delay_ms: Spanned<u64>,
    bound: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    connections: Spanned<Vec<Spanned<String>>>,
}

/// Upper limits that keep a data file from asking for an absurd run.
pub const MAX_REQUESTS: u64 = 10_000;
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// Validated parameters.
#[derive(Debug, Clone)]
pub struct FetchParallel {
    header: Header,
    pub requests: u64,
    pub delay: Duration,
    pub bound: usize,
    pub timeout: Duration,
    pub connections: Vec<ConnMode>,
}

pub(crate) fn parse_modes(
    src: &Source<'_>,
    v: &Spanned<Vec<Spanned<String>>>,
    key: &str,
) -> Result<Vec<ConnMode>, ScenarioError> {
    let mut out = Vec::new();
    if v.get_ref().is_empty() {
        return Err(src.error(Some(v.span()), Some(key), "must list at least one of: fresh, keepalive"));
    }
    for m in v.get_ref() {
        let mode = match m.get_ref().as_str() {
            "fresh" => ConnMode::Fresh,
            "keepalive" => ConnMode::KeepAlive,
            other => {
                return Err(src.error(
                    Some(m.span()),
                    Some(key),
                    format!("unknown connection mode `{other}`: allowed fresh, keepalive"),
                ));
            }
        };
        if !out.contains(&mode) {
            out.push(mode);
        }
    }
    Ok(out)
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &Pattern::NAMES, &runtimes)?;
    let p = &f.params;
    let requests = src.range(&p.requests, "params.requests", 1, MAX_REQUESTS)?;
    let delay_ms = src.range(&p.delay_ms, "params.delay_ms", 0, crate::server::MAX_DELAY_MS)?;
    let bound = src.range(&p.bound, "params.bound", 1, requests)?;
    let timeout_ms = src.range(&p.timeout_ms, "params.timeout_ms", 1, MAX_TIMEOUT_MS)?;
    let connections = parse_modes(src, &p.connections, "params.connections")?;
    Ok(Box::new(FetchParallel {
        header,
        requests,
        delay: Duration::from_millis(delay_ms),
        bound: bound as usize,
        timeout: Duration::from_millis(timeout_ms),
        connections,
    }))
}

impl FetchParallel {
    fn pattern(&self, variant: &str) -> Option<(Pattern, ConnMode)> {
        let (p, c) = variant.rsplit_once('-')?;
        let mode = self.connections.iter().copied().find(|m| m.name() == c)?;
        Some((Pattern::parse(p, self.bound)?, mode))
    }
}

impl ScenarioDef for FetchParallel {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for v in &self.header.variants {
            for &mode in &self.connections {
                let variant = format!("{v}-{}", mode.name());
                let Some((pattern, _)) = self.pattern(&variant) else {
                    continue;
                };
                for &flavor in &self.header.runtimes {
                    out.push(CaseSpec {
                        key: Default::default(),
                        variant: variant.clone(),
                        flavor,
                        ideal: Some(pattern.ideal(self.requests, self.delay)),
                        ops_per_batch: self.requests,
                        notes: Vec::new(),
                    });
                }
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let (pattern, mode) = self
            .pattern(&case.variant)
            .ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let s = FetchCase {
            pattern,
            mode,
            n: self.requests,
            path: format!("/delay/{}", self.delay.as_millis()).into(),
            server: env.server,
            timeout: self.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn describe(&self) -> String {
        format!(
            "N={} requests, D={} ms, k={}, connections: {}",
            self.requests,
            self.delay.as_millis(),
            self.bound,
            self.connections.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        )
    }
}

/// One fetch_parallel case: the same code on every runtime.
pub struct FetchCase {
    pub pattern: Pattern,
    pub mode: ConnMode,
    pub n: u64,
    pub path: Arc<str>,
    pub server: std::net::SocketAddr,
    pub timeout: Duration,
}

impl AsyncScenario for FetchCase {
    type State<R: Runtime> = HttpClient<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<HttpClient<R>, String> {
        Ok(HttpClient::new(rt, self.server, self.mode, self.timeout))
    }

    async fn batch<R: Runtime>(&self, rt: &R, client: &mut HttpClient<R>) -> Batch {
        let t0 = Instant::now();
        let outcomes = fetch_all(rt, client, self.pattern, self.n, &self.path).await;
        Batch::from_outcomes(t0.elapsed(), outcomes)
    }
}
