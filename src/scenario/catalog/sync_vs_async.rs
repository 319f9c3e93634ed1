//! `sync_vs_async` — the guide's "Synchronous vs asynchronous requests": N
//! requests to `/delay/{D}` one after another and all at once, with blocking
//! `ureq` (sequential; one std thread per request) beside every async
//! runtime (sequential awaits; `join_all`). Ideal: N·D and D.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::client::{BlockingClient, ConnMode};
use crate::measure::Batch;
use crate::runtime::Flavor;
use crate::scenario::catalog::fetch_parallel::{self, MAX_REQUESTS, MAX_TIMEOUT_MS, Pattern};
use crate::scenario::driver::{self, Bench, BlockingBench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::{CaseSpec, Env, ScenarioDef};

const VARIANTS: [&str; 2] = ["sequential", "concurrent"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    requests: Spanned<u64>,
    delay_ms: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    connection: Spanned<String>,
}

#[derive(Debug, Clone)]
pub struct SyncVsAsync {
    header: Header,
    pub requests: u64,
    pub delay: Duration,
    pub timeout: Duration,
    pub mode: ConnMode,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let mut runtimes: Vec<Flavor> = Flavor::all_async();
    runtimes.push(Flavor::Threads);
    let header = f.header_legacy(src, &VARIANTS, &runtimes)?;
    let p = &f.params;
    let requests = src.range(&p.requests, "params.requests", 1, MAX_REQUESTS)?;
    let delay_ms = src.range(&p.delay_ms, "params.delay_ms", 0, crate::server::MAX_DELAY_MS)?;
    let timeout_ms = src.range(&p.timeout_ms, "params.timeout_ms", 1, MAX_TIMEOUT_MS)?;
    let one = Spanned::new(p.connection.span(), vec![p.connection.clone()]);
    let mode = fetch_parallel::parse_modes(src, &one, "params.connection")?[0];
    Ok(Box::new(SyncVsAsync {
        header,
        requests,
        delay: Duration::from_millis(delay_ms),
        timeout: Duration::from_millis(timeout_ms),
        mode,
    }))
}

fn pattern(variant: &str) -> Option<Pattern> {
    match variant {
        "sequential" => Some(Pattern::Sequential),
        "concurrent" => Some(Pattern::JoinAll),
        _ => None,
    }
}

impl ScenarioDef for SyncVsAsync {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for v in &self.header.variants {
            let Some(p) = pattern(v) else { continue };
            for &flavor in &self.header.runtimes {
                let how = match (flavor, p) {
                    (Flavor::Threads, Pattern::Sequential) => "blocking ureq calls on one thread".to_string(),
                    (Flavor::Threads, _) => format!("one std thread per request ({} threads)", self.requests),
                    (_, Pattern::Sequential) => "sequential awaits".to_string(),
                    (_, _) => "join_all on one task".to_string(),
                };
                out.push(CaseSpec {
                    key: Default::default(),
                    variant: v.clone(),
                    flavor,
                    ideal: Some(p.ideal(self.requests, self.delay)),
                    ops_per_batch: self.requests,
                    notes: vec![how],
                });
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let p = pattern(&case.variant).ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let path: Arc<str> = format!("/delay/{}", self.delay.as_millis()).into();
        match case.flavor {
            Flavor::Async(flavor) => {
                let s = fetch_parallel::FetchCase {
                    pattern: p,
                    mode: self.mode,
                    n: self.requests,
                    path,
                    server: env.server,
                    timeout: self.timeout,
                };
                driver::async_bench(flavor, env.workers, s).map_err(|e| format!("cannot start {flavor}: {e}"))
            }
            Flavor::Threads => {
                let client = BlockingClient::new(env.server, self.mode, self.timeout);
                let n = self.requests;
                Ok(Box::new(BlockingBench(move || blocking_batch(&client, p, n, &path))))
            }
            Flavor::Rayon => Err("rayon does not apply to sync_vs_async".into()),
        }
    }

    fn describe(&self) -> String {
        format!(
            "N={} requests, D={} ms, connection: {}",
            self.requests,
            self.delay.as_millis(),
            self.mode.name()
        )
    }
}

fn blocking_one(client: &BlockingClient, path: &str) -> Result<Duration, String> {
    let t0 = Instant::now();
    match client.get(path) {
        Ok(r) if r.is_success() => Ok(t0.elapsed()),
        Ok(r) => Err(format!("status {}", r.status)),
        Err(e) => Err(e.to_string()),
    }
}

/// The blocking counterpart of [`fetch_parallel::fetch_all`].
fn blocking_batch(client: &BlockingClient, p: Pattern, n: u64, path: &Arc<str>) -> Batch {
    let t0 = Instant::now();
    let outcomes: Vec<Result<Duration, String>> = if p == Pattern::Sequential {
        (0..n).map(|_| blocking_one(client, path)).collect()
    } else {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (c, path) = (client.clone(), path.clone());
                std::thread::Builder::new().spawn(move || blocking_one(&c, &path))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|_| Err("request thread panicked".into())),
                Err(e) => Err(format!("cannot spawn thread: {e}")),
            })
            .collect()
    };
    Batch::from_outcomes(t0.elapsed(), outcomes)
}
