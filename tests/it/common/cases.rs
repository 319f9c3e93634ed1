//! Running every case of a loaded scenario through the same `Bench` path as `cargo bench`, and
//! the environments the tests run them in.

use asyncbench::measure::Recorder;
use asyncbench::runtime::{AsyncFlavor, Flavor};
use asyncbench::scenario::{CaseRecord, Env, ScenarioDef};
use asyncbench::server::TestServer;

/// One case's recorded batches.
pub struct CaseOutcome {
    /// `scenario/variant/runtime`, for assertion messages.
    pub label: String,
    pub variant: String,
    pub flavor: Flavor,
    /// Recorded batches (warm-up batches excluded).
    pub batches: u64,
    pub rec: CaseRecord,
}

impl CaseOutcome {
    /// An async runtime that runs every task on one thread.
    pub fn single_threaded(&self) -> bool {
        self.flavor.as_async().is_some_and(AsyncFlavor::single_threaded)
    }

    /// The per-batch mean of a value the scenario reported; panics naming the case without it.
    pub fn value(&self, key: &str) -> f64 {
        self.rec
            .value(key)
            .unwrap_or_else(|| panic!("{}: no value {key}", self.label))
    }

    /// An extra metric's recorder; panics naming the case without it.
    pub fn extra(&self, metric: &str) -> &Recorder {
        self.rec
            .extra
            .get(metric)
            .unwrap_or_else(|| panic!("{}: no metric {metric}", self.label))
    }

    pub fn mean_wall_ns(&self) -> f64 {
        self.rec.busy.as_nanos() as f64 / self.batches as f64
    }

    pub fn mean_wall_ms(&self) -> f64 {
        self.mean_wall_ns() / 1e6
    }
}

/// Runs every case of `s`: one unrecorded warm-up batch (connections, pools and files set up),
/// then `batches` recorded ones.
pub fn run_cases(s: &dyn ScenarioDef, env: &Env, batches: u64) -> Vec<CaseOutcome> {
    run(s, env, 1, batches)
}

/// Runs every case of `s` for `batches` recorded batches with no warm-up, for tests whose
/// counts include what the first batch leaves behind.
pub fn run_cases_cold(s: &dyn ScenarioDef, env: &Env, batches: u64) -> Vec<CaseOutcome> {
    run(s, env, 0, batches)
}

fn run(s: &dyn ScenarioDef, env: &Env, warm: u64, batches: u64) -> Vec<CaseOutcome> {
    let mut out = Vec::new();
    for case in s.cases() {
        let label = format!("{}/{}/{}", s.header().name, case.variant, case.flavor);
        let mut bench = s.prepare(&case, env).unwrap_or_else(|e| panic!("{label}: {e}"));
        if warm > 0 {
            bench
                .run(warm, None)
                .unwrap_or_else(|e| panic!("{label}: warm-up: {e}"));
        }
        let mut rec = CaseRecord::default();
        bench
            .run(batches, Some(&mut rec))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        out.push(CaseOutcome {
            label,
            variant: case.variant.clone(),
            flavor: case.flavor,
            batches,
            rec,
        });
    }
    out
}

/// Two workers for the multi-thread runtimes, against `server`.
pub fn env(server: &TestServer) -> Env {
    Env {
        server: server.addr(),
        workers: Some(2),
    }
}

/// For scenarios that never talk to the HTTP test server.
pub fn env_no_server() -> Env {
    Env {
        server: "127.0.0.1:9".parse().unwrap(),
        workers: Some(2),
    }
}

/// A port nothing listens on: every HTTP request fails to connect.
pub fn env_dead_server() -> Env {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = dead.local_addr().unwrap();
    drop(dead);
    Env {
        server,
        workers: Some(2),
    }
}
