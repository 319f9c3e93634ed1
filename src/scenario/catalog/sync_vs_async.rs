//! `sync_vs_async` — the guide's "Synchronous vs asynchronous requests": N
//! requests to `/delay/{D}` one after another and all at once, with blocking
//! `ureq` (sequential; one std thread per request) beside every async
//! runtime (sequential awaits; `join_all`). Ideal: N·D and D.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::client::{BlockingClient, ConnMode};
use crate::param;
use crate::results::Comparison;
use crate::runtime::Flavor;
use crate::scenario::driver::{self, Bench, BlockingBench};
use crate::scenario::support::fetch::{
    Connection, FetchCase, MAX_REQUESTS, MAX_TIMEOUT_MS, Pattern, delay_path, fetch_all_blocking,
};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    Sequential,
    Concurrent,
}

impl Variant {
    fn pattern(self) -> Pattern {
        match self {
            Variant::Sequential => Pattern::Sequential,
            Variant::Concurrent => Pattern::JoinAll,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    requests: Spanned<u64>,
    delay_ms: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    connection: Spanned<Connection>,
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct SyncVsAsync {
    pub requests: u64,
    pub delay: Duration,
    pub timeout: Duration,
    pub mode: ConnMode,
}

impl Scenario for SyncVsAsync {
    const NAME: &'static str = "sync_vs_async";
    type Params = Params;
    type Variant = Variant;

    /// The blocking baseline first, as the shipped file lists it.
    fn runtimes() -> Vec<Flavor> {
        std::iter::once(Flavor::Threads).chain(Flavor::all_async()).collect()
    }

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        Ok(SyncVsAsync {
            requests: param!(src, p.requests, 1, MAX_REQUESTS)?,
            delay: Duration::from_millis(param!(src, p.delay_ms, 0, crate::server::MAX_DELAY_MS)?),
            timeout: Duration::from_millis(param!(src, p.timeout_ms, 1, MAX_TIMEOUT_MS)?),
            mode: (*p.connection.get_ref()).into(),
        })
    }

    fn cases(&self, v: Variant, flavor: Flavor) -> Vec<Case> {
        let blocking = flavor == Flavor::Threads;
        let how = match (blocking, v) {
            (true, Variant::Sequential) => "blocking ureq calls on one thread".to_string(),
            (true, Variant::Concurrent) => format!("one std thread per request ({} threads)", self.requests),
            (false, Variant::Sequential) => "sequential awaits".to_string(),
            (false, Variant::Concurrent) => "join_all on one task".to_string(),
        };
        vec![
            Case::new(self.requests, "requests")
                .ideal(v.pattern().ideal(self.requests, self.delay, self.mode))
                .note(how),
        ]
    }

    fn prepare(&self, v: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let path = delay_path(self.delay);
        let (pattern, n) = (v.pattern(), self.requests);
        if case.flavor == Flavor::Threads {
            let client = BlockingClient::new(env.server, self.mode, self.timeout);
            return Ok(Box::new(BlockingBench(move || {
                fetch_all_blocking(&client, pattern, n, &path)
            })));
        }
        let s = FetchCase {
            pattern,
            mode: self.mode,
            n,
            path,
            server: env.server,
            timeout: self.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::variants(
                "concurrent",
                "sequential",
                format!(
                    "concurrent vs sequential: the same {} requests, per request",
                    self.requests
                ),
            ),
            Comparison::runtimes(
                "concurrent",
                "threads (a thread per request) vs each async runtime, concurrent, per request",
            )
            .headline(),
            Comparison::runtimes("sequential", "blocking vs async sequential requests, per request"),
        ]
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
