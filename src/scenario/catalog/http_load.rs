//! `http_load` — open-loop load at a constant rate (wrk2's method) and a
//! closed-loop maximum-throughput mode, against one route of the test
//! server, on any runtime. Built from CLI options rather than a file.
//!
//! Open loop: connection k of C sends its i-th request at the *intended*
//! time `start + (k + i·C) / rate`; if the previous response came back late,
//! the next request goes out at once, late. Latency is recorded twice: from
//! the intended send time (corrected for coordinated omission) and from the
//! actual send (uncorrected). A closed-loop client that waits for each reply
//! sends less while the server is stuck, so a stall never reaches the
//! uncorrected histogram; the corrected one counts every request that should
//! have been sent during it. Method: G. Tene, "How NOT to Measure Latency"
//! (2015), and wrk2's README (github.com/giltene/wrk2).
//!
//! One batch is one second of schedule, so the recorders' 1-second intervals
//! line up with the schedule and a stall is visible in time in the `.hlog`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{ConnMode, HttpClient};
use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{CriterionSettings, Header};
use crate::scenario::{CaseSpec, Env, ScenarioDef};

/// The window one batch covers.
pub const WINDOW: Duration = Duration::from_secs(1);
/// Bounds on the options (checked by the CLI parser too).
pub const MAX_RATE: u64 = 1_000_000;
pub const MAX_CONNECTIONS: u64 = 10_000;

/// Open loop at `rate` requests/s, or closed loop as fast as replies allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadMode {
    Rate(u64),
    MaxThroughput,
}

#[derive(Debug, Clone)]
pub struct HttpLoad {
    header: Header,
    pub mode: LoadMode,
    pub connections: u64,
    pub path: Arc<str>,
    pub timeout: Duration,
}

impl HttpLoad {
    pub fn new(mode: LoadMode, connections: u64, path: &str, runtimes: Vec<Flavor>, timeout: Duration) -> HttpLoad {
        let variant = match mode {
            LoadMode::Rate(r) => format!("open_loop-{r}rps-c{connections}"),
            LoadMode::MaxThroughput => format!("max_throughput-c{connections}"),
        };
        HttpLoad {
            header: Header {
                name: "http_load".into(),
                guide_section: "Open-loop load (wrk2 method): latency corrected for coordinated omission".into(),
                path: "<command line>".into(),
                runtimes,
                variants: vec![variant],
                criterion: CriterionSettings {
                    sample_size: 10,
                    measurement_secs: 1.0,
                    warm_up_secs: 0.0,
                },
            },
            mode,
            connections,
            path: path.into(),
            timeout,
        }
    }
}

impl ScenarioDef for HttpLoad {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut notes = vec![format!(
            "GET {} over {} keep-alive connections",
            self.path, self.connections
        )];
        if let LoadMode::Rate(r) = self.mode {
            notes.push(format!(
                "open loop at {r} requests/s: `latency` counts from the intended send time (corrected), `latency_uncorrected` from the actual send"
            ));
        }
        self.header
            .runtimes
            .iter()
            .map(|&flavor| CaseSpec {
                key: Default::default(),
                variant: self.header.variants[0].clone(),
                flavor,
                ideal: None,
                ops_per_batch: match self.mode {
                    LoadMode::Rate(r) => r,
                    LoadMode::MaxThroughput => 0,
                },
                notes: notes.clone(),
            })
            .collect()
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = LoadCase {
            mode: self.mode,
            connections: self.connections,
            path: self.path.clone(),
            server: env.server,
            timeout: self.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn describe(&self) -> String {
        format!("{:?}, {} connections, GET {}", self.mode, self.connections, self.path)
    }
}

/// One runtime's load generator.
pub struct LoadCase {
    pub mode: LoadMode,
    pub connections: u64,
    pub path: Arc<str>,
    pub server: SocketAddr,
    pub timeout: Duration,
}

pub struct LoadState<R: Runtime> {
    clients: Vec<HttpClient<R>>,
    /// Schedule origin, set by the first batch.
    start: Option<Instant>,
    window: u32,
}

/// What one connection did in one window.
#[derive(Default)]
struct ConnOutcome {
    corrected: Vec<Duration>,
    uncorrected: Vec<Duration>,
    errors: u64,
}

impl AsyncScenario for LoadCase {
    type State<R: Runtime> = LoadState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<LoadState<R>, String> {
        // One client (one pooled connection) per connection, as wrk2 does.
        let clients = (0..self.connections)
            .map(|_| HttpClient::new(rt, self.server, ConnMode::KeepAlive, self.timeout))
            .collect();
        Ok(LoadState {
            clients,
            start: None,
            window: 0,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut LoadState<R>) -> Batch {
        let start = *st.start.get_or_insert_with(Instant::now);
        let from = start + WINDOW * st.window;
        let until = from + WINDOW;
        st.window += 1;
        let t0 = Instant::now();
        let c = self.connections;
        let handles: Vec<_> = st
            .clients
            .iter()
            .enumerate()
            .map(|(k, client)| {
                let (client, path, rt2, mode) = (client.clone(), self.path.clone(), rt.clone(), self.mode);
                rt.spawn(async move { connection(rt2, client, path, mode, k as u64, c, start, from, until).await })
            })
            .collect();
        let mut b = Batch::default();
        let mut uncorrected = Vec::new();
        for h in handles {
            match h.await {
                Ok(o) => {
                    b.latencies.extend(o.corrected);
                    uncorrected.extend(o.uncorrected);
                    b.errors += o.errors;
                }
                Err(_) => b.errors += 1,
            }
        }
        b.wall = t0.elapsed();
        let done = b.latencies.len() as f64;
        b.values.push(("achieved_rps", done / b.wall.as_secs_f64().max(1e-9)));
        if let LoadMode::Rate(r) = self.mode {
            b.values.push(("asked_rps", r as f64));
        }
        b.extra.push(("latency_uncorrected", uncorrected));
        b
    }
}

/// Drives one connection through one window of the schedule.
#[allow(clippy::too_many_arguments)]
async fn connection<R: Runtime>(
    rt: R,
    client: HttpClient<R>,
    path: Arc<str>,
    mode: LoadMode,
    k: u64,
    c: u64,
    start: Instant,
    from: Instant,
    until: Instant,
) -> ConnOutcome {
    let mut o = ConnOutcome::default();
    match mode {
        LoadMode::Rate(rate) => {
            // Connection k owns requests k, k+C, k+2C, …: period C/rate.
            let period = Duration::from_secs_f64(c as f64 / rate as f64);
            let offset = Duration::from_secs_f64(k as f64 / rate as f64);
            let first = (from.saturating_duration_since(start + offset).as_secs_f64() / period.as_secs_f64()).ceil();
            let mut i = first as u64;
            loop {
                let intended = start + offset + period.mul_f64(i as f64);
                if intended >= until {
                    break;
                }
                let now = Instant::now();
                if intended > now {
                    rt.sleep(intended - now).await;
                }
                let sent = Instant::now();
                let r = client.get(&path).await;
                let done = Instant::now();
                match r {
                    Ok(reply) if reply.is_success() => {
                        o.corrected.push(done - intended);
                        o.uncorrected.push(done - sent);
                    }
                    _ => o.errors += 1,
                }
                i += 1;
            }
        }
        LoadMode::MaxThroughput => {
            while Instant::now() < until {
                let sent = Instant::now();
                match client.get(&path).await {
                    Ok(reply) if reply.is_success() => {
                        let d = sent.elapsed();
                        o.corrected.push(d);
                        o.uncorrected.push(d);
                    }
                    _ => o.errors += 1,
                }
            }
        }
    }
    o
}
