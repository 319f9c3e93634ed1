//! `retry_backoff` — the guide's "Robust retries with exponential backoff":
//! calls to the server's seeded `/flaky` route (failure probability p),
//! retried up to R attempts with a fixed, exponential or full-jitter wait.
//! Reports success rate, attempts per call, time spent waiting and the
//! end-to-end latency, each beside its analytic expectation ([`backoff`]).
//!
//! Every attempt names its `/flaky` key (call number · R + attempt), and the
//! jitter generator is seeded per call, so a run is reproducible and every
//! runtime and policy faces the same sequence of failures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Deserialize;
use toml::Spanned;

use crate::client::{ConnMode, HttpClient};
use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorCounts, OpError};
use crate::param;
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::backoff::{Policy, Schedule};
use crate::scenario::support::fetch::{Connection, MAX_TIMEOUT_MS};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    p: Spanned<f64>,
    max_attempts: Spanned<u32>,
    base_delay_ms: Spanned<u64>,
    max_delay_ms: Spanned<u64>,
    calls: Spanned<u64>,
    concurrency: Spanned<u64>,
    seed: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    connection: Spanned<Connection>,
}

pub const MAX_ATTEMPTS: u32 = 20;
pub const MAX_CALLS: u64 = 100_000;

/// The checked parameters.
#[derive(Debug, Clone, Copy)]
pub struct RetryBackoff {
    pub p: f64,
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    pub calls: u64,
    pub concurrency: usize,
    pub seed: u64,
    pub timeout: Duration,
    pub mode: ConnMode,
}

impl RetryBackoff {
    fn schedule(&self, policy: Policy) -> Schedule {
        Schedule {
            policy,
            base: self.base,
            cap: self.cap,
            attempts: self.attempts,
        }
    }
}

impl Scenario for RetryBackoff {
    const NAME: &'static str = "retry_backoff";
    type Params = Params;
    type Variant = Policy;

    fn check(q: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let p = param!(src, q.p, 0.0, 1.0)?;
        let attempts = param!(src, q.max_attempts, 1, MAX_ATTEMPTS)?;
        let base = param!(src, q.base_delay_ms, 1, 10_000)?;
        let cap = param!(src, q.max_delay_ms, base, 60_000)?;
        let calls = param!(src, q.calls, 1, MAX_CALLS)?;
        let concurrency = param!(src, q.concurrency, 1, calls)?;
        let timeout = param!(src, q.timeout_ms, 1, MAX_TIMEOUT_MS)?;
        Ok(RetryBackoff {
            p,
            attempts,
            base: Duration::from_millis(base),
            cap: Duration::from_millis(cap),
            calls,
            concurrency: concurrency as usize,
            seed: *q.seed.get_ref(),
            timeout: Duration::from_millis(timeout),
            mode: (*q.connection.get_ref()).into(),
        })
    }

    fn cases(&self, policy: Policy, _: Flavor) -> Vec<Case> {
        let e = self.schedule(policy).expect(self.p);
        vec![
            // Errors here are failed attempts, and exhausted calls no error: throughput counts
            // the calls that succeeded (one latency sample each).
            Case::new(self.calls, "calls")
                .count_samples()
                .note(format!(
                    "expected: success 1-p^R = {:.4}, attempts {:.3}, wait {:.3} ms per call (p = {}, R = {})",
                    e.success_rate,
                    e.attempts,
                    e.wait.as_secs_f64() * 1e3,
                    self.p,
                    self.attempts
                ))
                .note(
                    "latency = end-to-end time of the calls that succeeded; exhausted = calls that ran out of attempts",
                )
                .note("errors = transport errors and unexpected statuses only (a 503 is a failed attempt)"),
        ]
    }

    fn prepare(&self, policy: Policy, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = RetryCase {
            schedule: self.schedule(policy),
            p: *self,
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::variants(
                "exponential",
                "fixed",
                "exponential vs fixed backoff against the same flaky route, per call",
            ),
            Comparison::variants(
                "full_jitter",
                "exponential",
                "full jitter vs plain exponential backoff, per call",
            ),
            Comparison::runtimes("full_jitter", "which runtime retries fastest, per call"),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "p={}, R={}, base {} ms, cap {} ms, {} calls ({} in flight), seed {}",
            self.p,
            self.attempts,
            self.base.as_millis(),
            self.cap.as_millis(),
            self.calls,
            self.concurrency,
            self.seed
        )
    }
}

/// One retry_backoff case: the same code on every runtime.
pub struct RetryCase {
    pub schedule: Schedule,
    pub p: RetryBackoff,
    pub server: SocketAddr,
}

pub struct RetryState<R: Runtime> {
    client: HttpClient<R>,
    /// Calls made so far: the next call's number, so keys never repeat.
    next_call: u64,
}

/// What one call with retries did.
struct Call {
    succeeded: bool,
    attempts: u32,
    latency: Duration,
    /// Backoff the schedule asked for, and the time the sleeps really took.
    scheduled: Duration,
    slept: Duration,
    errors: ErrorCounts,
}

impl AsyncScenario for RetryCase {
    type State<R: Runtime> = RetryState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<RetryState<R>, String> {
        Ok(RetryState {
            client: HttpClient::new(rt, self.server, self.p.mode, self.p.timeout),
            next_call: 0,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut RetryState<R>) -> Batch {
        let first = st.next_call;
        st.next_call += self.p.calls;
        let client = &st.client;
        let sw = Stopwatch::start();
        let calls: Vec<Call> = futures::stream::iter(first..first + self.p.calls)
            .map(|id| self.call(rt, client, id))
            .buffer_unordered(self.p.concurrency)
            .collect()
            .await;
        let mut b = Batch::timed(sw.stop());
        let (mut ok, mut attempts) = (0u64, 0u64);
        let (mut scheduled, mut slept) = (Duration::ZERO, Duration::ZERO);
        let mut exhausted = Vec::new();
        for c in &calls {
            attempts += u64::from(c.attempts);
            scheduled += c.scheduled;
            slept += c.slept;
            b.errors.merge(&c.errors);
            if c.succeeded {
                ok += 1;
                b.latencies.push(c.latency);
            } else {
                exhausted.push(c.latency);
            }
        }
        b.extra.push(("exhausted", exhausted));
        let n = self.p.calls as f64;
        let e = self.schedule.expect(self.p.p);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        b.values = vec![
            ("success_rate", ok as f64 / n),
            ("expected_success_rate", e.success_rate),
            ("attempts_per_call", attempts as f64 / n),
            ("expected_attempts", e.attempts),
            ("wait_ms", ms(slept) / n),
            ("scheduled_wait_ms", ms(scheduled) / n),
            ("expected_wait_ms", ms(e.wait)),
        ];
        b
    }
}

impl RetryCase {
    async fn call<R: Runtime>(&self, rt: &R, client: &HttpClient<R>, id: u64) -> Call {
        let r = self.schedule.attempts;
        // One generator per call, seeded from the call's number: reproducible
        // whatever order concurrent calls run in.
        let (p, seed) = (self.p.p, self.p.seed);
        let mut rng = fastrand::Rng::with_seed(seed ^ id.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut c = Call {
            succeeded: false,
            attempts: 0,
            latency: Duration::ZERO,
            scheduled: Duration::ZERO,
            slept: Duration::ZERO,
            errors: ErrorCounts::default(),
        };
        let t0 = Instant::now();
        for attempt in 1..=r {
            c.attempts = attempt;
            let key = id.wrapping_mul(u64::from(r)).wrapping_add(u64::from(attempt - 1));
            let path = format!("/flaky?p={p}&seed={seed}&n={key}");
            match client.get(&path).await {
                Ok(reply) if reply.is_success() => {
                    c.succeeded = true;
                    break;
                }
                Ok(reply) if reply.status == 503 => {}
                // Still a failed attempt, but not one the schedule is about.
                Ok(reply) => c.errors.record(&OpError::Status(reply.status)),
                Err(e) => c.errors.record(&e.into()),
            }
            if attempt < r {
                let w = self.schedule.wait(attempt, &mut rng);
                let s0 = Instant::now();
                rt.sleep(w).await;
                c.slept += s0.elapsed();
                c.scheduled += w;
            }
        }
        c.latency = t0.elapsed();
        c
    }
}
