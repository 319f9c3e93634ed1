//! `http_load` — load against one route of the test server, on any runtime:
//! open loop at a constant rate or closed loop at maximum throughput (the
//! pacing and how latency is counted: [`open_loop`]). Built from CLI options
//! rather than a file.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::client::RawGet;
use crate::client::open_loop::Generator;
use crate::measure::Batch;
use crate::measure::clock::PreciseTimer;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{CriterionSettings, Header};
use crate::scenario::{CaseKey, CaseSpec, Env, ScenarioDef};

pub use crate::client::open_loop::LoadMode;

/// Bounds on the options (checked by the CLI parser too).
pub const MAX_RATE: u64 = 1_000_000;
pub const MAX_CONNECTIONS: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct HttpLoad {
    header: Header,
    pub load: Load,
}

/// What the CLI asked for; also one runtime's case (with the server).
#[derive(Debug, Clone)]
pub struct Load {
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
                excluded: Vec::new(),
                variants: vec![variant],
                // One long open-loop stretch: its windows are the repeats.
                rounds: 1,
                gate_pct: None,
                full_tier: Vec::new(),
                tier: crate::scenario::file::Tier::Full,
                criterion: CriterionSettings {
                    sample_size: 10,
                    measurement_secs: 1.0,
                    warm_up_secs: 0.0,
                },
            },
            load: Load {
                mode,
                connections,
                path: path.into(),
                timeout,
            },
        }
    }
}

impl ScenarioDef for HttpLoad {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let l = &self.load;
        let mut notes = vec![format!("GET {} over {} keep-alive connections", l.path, l.connections)];
        if let LoadMode::Rate(r) = l.mode {
            notes.push(format!(
                "open loop at {r} requests/s, paced by a precise timer thread (not the runtime's timer): `latency` counts from the intended send time (corrected), `latency_uncorrected` from the actual send, `generator_lateness` is actual − intended send"
            ));
        }
        self.header
            .runtimes
            .iter()
            .map(|&flavor| CaseSpec {
                // The one variant this scenario has.
                key: CaseKey { variant: 0, sub: 0 },
                variant: self.header.variants[0].clone(),
                flavor,
                ideal: None,
                // Windows are whole seconds: the completed requests per second of window.
                ops_per_batch: 0,
                unit: "requests",
                notes: notes.clone(),
                // Each batch is a fixed window: its length is no result, the tail latency is.
                value: crate::results::figures::ValueFigure::P99FromIntended,
                count_samples: false,
            })
            .collect()
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let s = LoadCase {
            load: self.load.clone(),
            server: env.server,
        };
        driver::prepare_async(case, env, s)
    }

    fn describe(&self) -> String {
        let l = &self.load;
        format!("{:?}, {} connections, GET {}", l.mode, l.connections, l.path)
    }
}

/// One runtime's load generator.
pub struct LoadCase {
    pub load: Load,
    pub server: SocketAddr,
}

pub struct LoadState<R: Runtime> {
    generator: Generator<R>,
}

impl AsyncScenario for LoadCase {
    type State<R: Runtime> = LoadState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<LoadState<R>, String> {
        // One connection of its own per generator connection, as wrk2 does.
        let l = &self.load;
        let one = RawGet::new(rt, self.server, &l.path, l.timeout).map_err(|e| e.to_string())?;
        let conns: Vec<RawGet<R>> = (0..l.connections).map(|_| one.clone()).collect();
        let clock = PreciseTimer::shared().map_err(|e| format!("cannot start the pacing thread: {e}"))?;
        Ok(LoadState {
            generator: Generator::start(rt, &clock, &conns, l.mode),
        })
    }

    async fn batch<R: Runtime>(&self, _rt: &R, st: &mut LoadState<R>) -> Batch {
        // The wall is the generator's own window; the cost is counted over awaiting it.
        let sw = crate::measure::cost::Stopwatch::start();
        let mut b = st.generator.window().await;
        b.cost = sw.stop().cost;
        b
    }
}
