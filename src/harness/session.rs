//! One run: the in-process test server, the run directory (rewritten after
//! every scenario so an interrupted run keeps what finished), and the
//! conversion of recorded samples into summary entries.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;

use crate::measure::{HarnessFloor, Recorder, measure_floor};
use crate::results::{
    self, CaseFailure, CaseResult, CriterionEstimate, Interval, Percentiles, RunDir, RunMode, ScenarioInfo, WallStats,
};
use crate::scenario::{CaseRecord, CaseSpec, Env, ScenarioDef};
use crate::server::{ServerConfig, TestServer};

use super::criterion_suite::SuiteMode;
use super::progress::Progress;

impl From<SuiteMode> for RunMode {
    fn from(m: SuiteMode) -> RunMode {
        match m {
            SuiteMode::Bench => RunMode::Criterion,
            SuiteMode::Quick => RunMode::CriterionQuick,
            SuiteMode::Test => RunMode::Test,
            SuiteMode::Other => RunMode::Other,
        }
    }
}

pub struct SessionOpts {
    /// Where run directories go (`results/` by default).
    pub results_root: PathBuf,
    /// The command line that started the run, recorded for reproduction.
    pub command: String,
    /// How the entry point drives the cases; recorded in the summary for the report.
    pub mode: RunMode,
    /// Worker threads for the multi-thread flavours (None: one per core).
    pub workers: Option<usize>,
    /// Build profile the harness was compiled with.
    pub profile: String,
    /// Number of cases, for the progress display.
    pub total_cases: u64,
    /// Use this already running server (loopback) instead of starting one.
    pub external_server: Option<std::net::SocketAddr>,
}

pub struct Session {
    pub env: Env,
    pub floor: HarnessFloor,
    /// The in-process server; `None` when the run targets an external one.
    server: Option<TestServer>,
    run: RunDir,
    started: SystemTime,
    results: Vec<CaseResult>,
    failures: Vec<CaseFailure>,
    pub progress: Progress,
}

impl Session {
    pub fn start(opts: SessionOpts) -> anyhow::Result<Session> {
        // Load scenarios open many sockets; best effort, the run works without.
        let _ = crate::server::raise_fd_limit();
        let server = match opts.external_server {
            Some(_) => None,
            None => Some(TestServer::start(ServerConfig::default()).context("cannot start the test server")?),
        };
        let server_addr = match (&server, opts.external_server) {
            (Some(s), _) => s.addr(),
            (None, Some(a)) => a,
            (None, None) => unreachable!("one of the two is set above"),
        };
        let floor = measure_floor();
        let env_info = results::env::collect(&opts.profile, Path::new(env!("CARGO_MANIFEST_DIR")));
        let mut run = RunDir::create(&opts.results_root, env_info, opts.command, opts.mode)
            .with_context(|| format!("cannot create a run directory under {}", opts.results_root.display()))?;
        run.set_harness(floor);
        let progress = Progress::new(opts.total_cases);
        progress.line(&format!(
            "asyncbench: run {} → {} (server {}, harness floor: timer {:.0} ns, record {:.0} ns)",
            run.id(),
            run.path().display(),
            server_addr,
            floor.timer_ns,
            floor.record_ns
        ));
        Ok(Session {
            env: Env {
                server: server_addr,
                workers: opts.workers,
            },
            floor,
            server,
            run,
            started: SystemTime::now(),
            results: Vec::new(),
            failures: Vec::new(),
            progress,
        })
    }

    pub fn run_path(&self) -> &Path {
        self.run.path()
    }

    /// The in-process server, if this run started one.
    pub fn server(&self) -> Option<&TestServer> {
        self.server.as_ref()
    }

    /// Turns one case's samples into a summary entry and writes its `.hgrm`
    /// and `.hlog`. A case that recorded nothing becomes a failure.
    pub fn record_case(
        &mut self,
        s: &dyn ScenarioDef,
        case: &CaseSpec,
        rec: CaseRecord,
        criterion: Option<CriterionEstimate>,
    ) {
        self.describe(s);
        let name = &s.header().name;
        if rec.batches() == 0 {
            self.fail(s, case, "no samples were recorded".into());
            return;
        }
        let values = rec.value_means();
        let CaseRecord {
            latency,
            extra,
            wall_samples,
            errors,
            ops,
            busy,
            ..
        } = rec;
        let samples = latency.len();
        let wall = WallStats::from_samples(&wall_samples);
        let latency_ns = (samples > 0).then(|| Percentiles::from_histogram(latency.histogram()));
        let files = self.write_files(name, case, "latency", latency);
        let measured_over_ideal = match (&case.ideal, &wall) {
            (Some(i), Some(w)) if i.ns > 0 => Some(w.mean / i.ns as f64),
            _ => None,
        };
        let throughput_per_s = (busy.as_secs_f64() > 0.0).then(|| ops as f64 / busy.as_secs_f64());
        let mut notes = case.notes.clone();
        if let Some(note) = case.flavor.legacy_note() {
            notes.push(format!("{} is {note}: legacy baseline", case.flavor));
        }
        let (hgrm, hlog) = files.unzip();
        let primary = CaseResult {
            scenario: name.clone(),
            variant: case.variant.clone(),
            runtime: case.flavor.name().to_string(),
            metric: "latency".into(),
            legacy: case.flavor.legacy(),
            samples,
            errors: errors.total(),
            errors_by_kind: errors,
            latency_ns,
            wall_ns: wall,
            criterion,
            ideal_ns: case.ideal.as_ref().map(|i| i.ns),
            ideal_formula: case.ideal.as_ref().map(|i| i.formula.clone()),
            measured_over_ideal,
            throughput_per_s,
            hgrm,
            hlog,
            notes,
            values,
        };
        // Each extra metric gets its own row: same case and batches, its own
        // histogram; no ideal (the scenario states one in `values` if any).
        let mut rows = vec![];
        for (metric, r) in extra {
            let samples = r.len();
            let latency_ns = (samples > 0).then(|| Percentiles::from_histogram(r.histogram()));
            let (hgrm, hlog) = self.write_files(name, case, metric, r).unzip();
            rows.push(CaseResult {
                metric: metric.to_string(),
                samples,
                errors: 0,
                errors_by_kind: Default::default(),
                latency_ns,
                criterion: None,
                ideal_ns: None,
                ideal_formula: None,
                measured_over_ideal: None,
                throughput_per_s: None,
                hgrm,
                hlog,
                values: Default::default(),
                ..primary.clone()
            });
        }
        self.results.push(primary);
        self.results.extend(rows);
    }

    /// Writes one metric's `.hgrm`/`.hlog`; a write failure becomes a warning
    /// (the figures still reach the summary).
    fn write_files(&mut self, scenario: &str, case: &CaseSpec, metric: &str, r: Recorder) -> Option<(String, String)> {
        if r.is_empty() {
            return None;
        }
        let (hist, intervals) = r.finish();
        let intervals: Vec<Interval> = intervals
            .into_iter()
            .map(|i| Interval {
                start_offset: i.start_offset,
                length: i.length,
                hist: i.hist,
            })
            .collect();
        match self.run.write_histograms(
            scenario,
            &case.variant,
            case.flavor.name(),
            metric,
            &hist,
            &intervals,
            self.started,
        ) {
            Ok(paths) => Some(paths),
            Err(e) => {
                self.progress.line(&format!("asyncbench: warning: {e}"));
                None
            }
        }
    }

    pub fn fail(&mut self, s: &dyn ScenarioDef, case: &CaseSpec, error: String) {
        self.describe(s);
        self.progress.line(&format!(
            "asyncbench: {}/{}/{} failed: {error}",
            s.header().name,
            case.variant,
            case.flavor
        ));
        self.failures.push(CaseFailure {
            scenario: s.header().name.clone(),
            variant: case.variant.clone(),
            runtime: case.flavor.name().to_string(),
            error,
        });
    }

    /// Keeps the scenario's guide section and parameters in the summary, for the report.
    fn describe(&mut self, s: &dyn ScenarioDef) {
        let h = s.header();
        self.run.describe_scenario(
            &h.name,
            ScenarioInfo {
                guide_section: h.guide_section.clone(),
                description: s.describe(),
            },
        );
    }

    /// Rewrites the run's summary with everything recorded so far.
    pub fn end_scenario(&mut self) -> anyhow::Result<()> {
        let results = std::mem::take(&mut self.results);
        let failures = std::mem::take(&mut self.failures);
        self.run.push(results, failures)?;
        Ok(())
    }

    /// Marks the run complete and moves `results/latest` to it.
    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.end_scenario()?;
        self.progress.done();
        let path = self.run.finish()?;
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        Ok(path)
    }
}
