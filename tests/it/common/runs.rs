//! Synthetic run directories for the report and compare tests: real `RunDir`s with real
//! `.hgrm`/`.hlog` files, filled with chosen samples instead of measured ones, so tests know the
//! exact figures and run in milliseconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use asyncbench::measure::{ErrorCounts, ErrorKind, HarnessFloor};
use asyncbench::results::{CaseResult, EnvInfo, Interval, Percentiles, RunDir, RunMode, ScenarioInfo, WallStats};
use hdrhistogram::Histogram;

/// One synthetic case (one summary row and its histograms).
#[derive(Debug, Clone)]
pub struct Case {
    pub scenario: &'static str,
    pub variant: &'static str,
    pub runtime: &'static str,
    pub metric: &'static str,
    pub latencies_ns: Vec<u64>,
    pub batches_ns: Vec<u64>,
    pub errors: ErrorCounts,
    pub ideal_ns: Option<u64>,
    pub values: Vec<(&'static str, f64)>,
}

impl Case {
    pub fn new(scenario: &'static str, variant: &'static str, runtime: &'static str) -> Case {
        Case {
            scenario,
            variant,
            runtime,
            metric: "latency",
            latencies_ns: spread(1_000_000, 200),
            batches_ns: spread(10_000_000, 10),
            errors: ErrorCounts::default(),
            ideal_ns: Some(8_000_000),
            values: Vec::new(),
        }
    }

    pub fn metric(mut self, metric: &'static str) -> Case {
        self.metric = metric;
        self
    }

    /// Every latency and batch time multiplied by `f` (a synthetic slowdown).
    pub fn scaled(mut self, f: f64) -> Case {
        self.latencies_ns = self.latencies_ns.iter().map(|&v| (v as f64 * f) as u64).collect();
        self.batches_ns = self.batches_ns.iter().map(|&v| (v as f64 * f) as u64).collect();
        self
    }
}

/// `n` values around `centre`, ±10%, deterministic (no two equal) so statistics are not
/// degenerate.
pub fn spread(centre: u64, n: usize) -> Vec<u64> {
    (0..n)
        .map(|i| {
            let k = (i * 7919) % n.max(1);
            let offset = (k as f64 / n.max(1) as f64 - 0.5) * 0.2;
            (centre as f64 * (1.0 + offset)) as u64
        })
        .collect()
}

/// The default catalogue: two scenarios, two variants, three runtimes (one legacy), a lag
/// metric and scenario values in `alpha`; one runtime, no ideal, errors in `beta`.
pub fn catalogue() -> Vec<Case> {
    let mut cases = Vec::new();
    for variant in ["join_all", "sequential"] {
        for rt in ["tokio-ct", "async-std", "smol-mt"] {
            let mut c = Case::new("alpha", variant, rt);
            c.values = vec![("tasks_leaked", 0.0)];
            cases.push(c.clone());
            cases.push(c.metric("loop_lag"));
        }
    }
    let mut b = Case::new("beta", "only", "tokio-mt");
    b.ideal_ns = None;
    b.errors = [(ErrorKind::Timeout, 2), (ErrorKind::Status, 1)].into_iter().collect();
    cases.push(b);
    cases
}

fn env() -> EnvInfo {
    EnvInfo {
        host: "testhost".into(),
        os: "linux".into(),
        arch: "x86_64".into(),
        kernel: "6.0".into(),
        cpu_model: "Test CPU".into(),
        logical_cores: 8,
        memory_bytes: 16 << 30,
        rustc: "rustc 1.88.0".into(),
        profile: "release".into(),
        git_commit: Some("0123456789abcdef".into()),
        git_dirty: Some(false),
        asyncbench_version: "0.1.0".into(),
        crates: BTreeMap::from([("tokio".to_string(), "1.47.1".to_string())]),
        load_avg_1m: Some(0.1),
        other_busy_pct: Some(1.0),
        placement: None,
        heap: None,
        remote_server: None,
        python: Default::default(),
    }
}

/// Writes a complete run of `cases` under `root` and returns its directory.
pub fn make_run(root: &Path, cases: &[Case]) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let mut run = RunDir::create(root, env(), "asyncbench run --batches 10".into(), RunMode::Cli)?;
    run.set_harness(HarnessFloor {
        timer_ns: 25.0,
        record_ns: 12.0,
        timer_resolution_ns: 20,
    });
    let mut rows = Vec::new();
    for c in cases {
        let mut h = Histogram::<u64>::new(3)?;
        for &v in &c.latencies_ns {
            h.record(v.max(1))?;
        }
        let iv = Interval {
            start_offset: Duration::ZERO,
            length: Duration::from_secs(1),
            hist: h.clone(),
        };
        let (hgrm, hlog) = if h.is_empty() {
            (None, None)
        } else {
            let (a, b) =
                run.write_histograms(c.scenario, c.variant, c.runtime, c.metric, &h, &[iv], SystemTime::now())?;
            (Some(a), Some(b))
        };
        let wall = WallStats::from_samples(&c.batches_ns);
        let primary = c.metric == "latency";
        rows.push(CaseResult {
            scenario: c.scenario.into(),
            variant: c.variant.into(),
            runtime: c.runtime.into(),
            metric: c.metric.into(),
            legacy: c.runtime == "async-std",
            samples: h.len(),
            errors: c.errors.total(),
            errors_by_kind: c.errors.clone(),
            latency_ns: (!h.is_empty()).then(|| Percentiles::from_histogram(&h)),
            measured_over_ideal: match (&wall, c.ideal_ns) {
                (Some(w), Some(i)) if primary => Some(w.mean / i as f64),
                _ => None,
            },
            throughput_per_s: wall.as_ref().filter(|_| primary).map(|w| 8.0 / (w.mean / 1e9)),
            wall_ns: wall,
            ideal_ns: c.ideal_ns.filter(|_| primary),
            ideal_formula: c.ideal_ns.filter(|_| primary).map(|_| "D = 8 ms".to_string()),
            hgrm,
            hlog,
            values: c.values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..CaseResult::default()
        });
        run.describe_scenario(
            c.scenario,
            ScenarioInfo {
                guide_section: format!("Guide section of {}", c.scenario),
                description: "N=8 requests".into(),
                ..ScenarioInfo::default()
            },
        );
    }
    run.push(rows, Vec::new())?;
    Ok(run.finish()?)
}
