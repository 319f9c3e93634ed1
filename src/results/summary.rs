//! The `summary.json` schema (one run: its metadata, environment, per-case results and
//! failures) and the statistics that fill it: HdrHistogram percentiles, per-batch wall-time
//! statistics with a Student-t confidence interval (from [`crate::stats`]), and criterion's own
//! estimate.

use std::fs;
use std::path::Path;

use hdrhistogram::Histogram;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ResultsError;
use super::env::EnvInfo;

/// Bumped whenever a field changes meaning or a required field is added; readers refuse
/// versions they do not know rather than silently misreading them.
///
/// 2: a row says what its value is (`value_figure`; http_server rows publish the p99 from the
/// intended send time, not their window); criterion's estimate is kept per round
/// (`criterion_rounds`), never one round as the row's; metric rows' rounds carry their
/// within-round spread and every row with two or more rounds has a stability (no `bimodal`);
/// `throughput_per_s` is the successes per batch over the published value.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest `schema_version` this build reads: version 1 differs only in meanings the
/// readers infer ([`super::figures::figure_of`]) or leave absent (`criterion_rounds`).
pub const MIN_SCHEMA_VERSION: u32 = 1;

/// One run of asyncbench (`summary.json`): what ran, where, and every case's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// The layout version of this file ([`SCHEMA_VERSION`] when written by this build); a
    /// reader refuses versions it does not know.
    pub schema_version: u32,
    /// Which run this is, how it drove its cases, and whether it finished.
    pub run: RunInfo,
    /// The machine, toolchain and crate versions the run was measured with (also `env.json`).
    pub env: EnvInfo,
    /// One row per case and metric that produced samples (a case's primary row has metric
    /// `latency`; extra metrics such as `sched_delay` get rows of their own). Empty while a
    /// run has finished no scenario yet.
    #[serde(default)]
    pub results: Vec<CaseResult>,
    /// Cases that failed or never ran, with the reason; their rows are absent from `results`.
    #[serde(default)]
    pub failures: Vec<CaseFailure>,
    /// What timing and recording cost on this machine (the harness's floor).
    #[serde(default)]
    pub harness: Option<crate::measure::HarnessFloor>,
    /// How the cost figures were taken: clocks and their resolution, whether allocations
    /// were counted and what counting costs per allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_info: Option<crate::measure::CostInfo>,
    /// What each scenario of the run is, by name, so reports need not re-read scenario files
    /// (which may have changed since). Absent in summaries written before it existed.
    #[serde(default)]
    pub scenarios: std::collections::BTreeMap<String, ScenarioInfo>,
}

/// A scenario as the run saw it: the guide section it answers and its parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioInfo {
    /// The section(s) of the asyncio guide the scenario translates (its file's `guide_section`).
    pub guide_section: String,
    /// The parameters, one line (`ScenarioDef::describe`).
    #[serde(default)]
    pub description: String,
    /// The comparisons that answer the guide section, as the scenario declares them (those
    /// whose variants the run has); the findings read them from here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<super::Comparison>,
    /// The scenario's own regression gate, percent (its file's `gate_pct`): `compare` gates the
    /// scenario's rows at the larger of this and its `--threshold`. Absent: no gate of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_pct: Option<f64>,
    /// Cases of the scenario's file that only the full tier runs (`ASYNCBENCH_TIER=full`), left
    /// out of this run, each with the file's reason. Empty when the run took every case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOutCase>,
}

/// A case the run's tier left out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LeftOutCase {
    /// The case's variant (with its sub-case suffix, as rows name it).
    pub variant: String,
    /// The runtime's registry name.
    pub runtime: String,
    /// Why the default suite leaves it out (the scenario file's `full_tier` reason).
    pub reason: String,
}

/// Which run this is and how it drove its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    /// The run's id and directory name: UTC start time and host (`20261125T193814Z-myhost`).
    pub id: String,
    /// RFC 3339, UTC.
    pub started_utc: String,
    /// RFC 3339, UTC; `None` while the run is in progress or if it was interrupted.
    pub finished_utc: Option<String>,
    /// The command line that made the run, as typed (program name included).
    pub command: String,
    /// How the cases were driven; flattened so the tag stays the `"mode"` string old summaries
    /// have, with a load run's rate and connections beside it.
    #[serde(flatten)]
    pub mode: super::run_mode::RunMode,
    /// True until `RunDir::finish`: an interrupted run keeps `partial: true`.
    pub partial: bool,
    /// Rounds each case was measured in (a fresh runtime each); under `cargo bench` the rounds
    /// of stage 1, which a row's stage 2 may add to (its `round_plan`); absent in runs made
    /// before rounds existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// Seed of the order the cases of each round ran in (a shuffle per scenario and round).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_seed: Option<u64>,
    /// Why the guide's Python rows (asyncio, uvloop) are absent, when the run tried to include
    /// them or said it skipped them; absent when they ran or were never considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_skipped: Option<String>,
}

/// One row of the results: a case (scenario, variant, runtime) and one metric of it, with the
/// figures over its rounds and batches. Times are in nanoseconds unless a name says otherwise.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CaseResult {
    /// The scenario's name (`scenarios/<name>.toml`).
    pub scenario: String,
    /// The variant label, with a sub-case suffix where a parameter makes several
    /// (`join_all-keepalive`).
    pub variant: String,
    /// The runtime the case ran on: a registry name (`tokio-ct`, …, `threads`, `rayon`, or the
    /// guide's Python `asyncio`/`uvloop`).
    pub runtime: String,
    /// "latency" for per-operation latency; other scenarios add e.g. "sched_delay".
    pub metric: String,
    /// True for async-std, which is discontinued upstream.
    pub legacy: bool,
    /// Values in this row's histogram (`latency_ns`, the `.hgrm`/`.hlog`): one per successful
    /// timed operation on a primary row, one per probe reading on a metric row; every round.
    pub samples: u64,
    /// Operations that failed (timeouts, bad statuses, connect errors, …) over every round;
    /// 0 on metric rows. `errors_by_kind` splits it.
    pub errors: u64,
    /// The row's figure per round (what `value_figure` names), with the interval, spread,
    /// minimum detectable effect and stability computed from the rounds. The published value
    /// of a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<crate::stats::rounds::RoundSummary>,
    /// How many rounds the row was planned and ran under `cargo bench`'s two-stage design
    /// (Stein's procedure: stage-1 rounds, then stage-2 rounds for rows whose MDE misses its
    /// target), and why; on primary rows of `cargo bench` runs, absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_plan: Option<crate::stats::two_stage::RoundPlan>,
    /// What `rounds` holds per round: the mean batch time (the default), the p99 from the
    /// intended send time (open loop), or the metric's median (metric rows). Absent in
    /// schema-1 summaries, where it is the mean batch time on own rows and the median on
    /// metric rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_figure: Option<super::figures::ValueFigure>,
    /// `errors` by kind (`timeout`, `status`, `connect`, …); kinds with none left out.
    #[serde(default)]
    pub errors_by_kind: crate::measure::ErrorCounts,
    /// Percentiles (ns) of this row's histogram over every round: per-operation latency on a
    /// primary row (from the intended send time on open-loop rows), the metric's readings on a
    /// metric row. Absent when the case recorded no value.
    pub latency_ns: Option<Percentiles>,
    /// Per-batch wall time statistics.
    pub wall_ns: Option<WallStats>,
    /// Schema 1 only: one round's criterion estimate (the last that wrote one), not the
    /// row's. Never written since schema 2; see `criterion_rounds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<CriterionEstimate>,
    /// Criterion's own estimate of time per iteration (per batch), one per round that
    /// criterion measured, each labelled with its round: every round is its own criterion
    /// benchmark (`…/r<k>`), so no estimate covers the row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criterion_rounds: Vec<CriterionRound>,
    /// The scenario's lower bound for one batch (ns), from its parameters (e.g. N·D for N
    /// sequential requests of delay D); absent where the scenario states none.
    pub ideal_ns: Option<u64>,
    /// How `ideal_ns` was derived, e.g. `"N·D = 8 × 20 ms"`; absent with it.
    pub ideal_formula: Option<String>,
    /// The published batch time over `ideal_ns` (≥ 1 when the bound holds); absent without an
    /// ideal or when the row's value is not a batch time (open loop, metric rows).
    pub measured_over_ideal: Option<f64>,
    /// What the ideal's requests take on this machine and server, one at a time from a
    /// minimal blocking client (measured in this run): the route's floor × the count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_ns: Option<f64>,
    /// The published batch time over `floor_ns`; absent without a floor or when the value is
    /// not a batch time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_over_floor: Option<f64>,
    /// Successful operations per second, in `throughput_unit`: for a batch-time value the
    /// successes per batch over the published value, otherwise the successes over the
    /// batches' total wall time. Absent on metric rows and where nothing succeeded.
    pub throughput_per_s: Option<f64>,
    /// What `throughput_per_s` counts, e.g. "requests" (successful operations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_unit: Option<String>,
    /// Operations one batch performs, counted in `throughput_unit` (e.g. 32 requests);
    /// divides a batch figure into a per-operation one. Absent where the case does not
    /// declare it (the batch is then one operation per sample) and in older summaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_per_batch: Option<u64>,
    /// Path relative to the run directory.
    pub hgrm: Option<String>,
    /// Path relative to the run directory.
    pub hlog: Option<String>,
    /// Caveats a reader needs beside the figures (a legacy runtime, a variant that does not
    /// apply as stated, the Python idiom used); empty when there are none.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Scenario-specific figures (mean per batch), e.g. `cpu_jobs_per_s`,
    /// `tasks_leaked`, `success_rate`, and their expectations.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, f64>,
    /// What the case cost the side under test per operation (CPU, allocations, context
    /// switches), on primary rows; absent in runs made before cost was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::measure::Cost>,
}

/// A case that failed (in any round) or never ran; it has no row in `results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CaseFailure {
    /// The scenario's name.
    pub scenario: String,
    /// The variant label, or `*` when every case of that runtime failed together (e.g. the
    /// Python side could not run).
    pub variant: String,
    /// The runtime's registry name.
    pub runtime: String,
    /// Why, in one line (the first error the case met).
    pub error: String,
}

/// Latency percentiles in the histogram's unit (nanoseconds throughout asyncbench).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Percentiles {
    /// Median: the value at the 50th percentile by HdrHistogram's rank rule.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest recorded value (to the histogram's 3 significant digits).
    pub max: u64,
    /// Smallest recorded value (to 3 significant digits).
    pub min: u64,
    /// Mean of the recorded values.
    pub mean: f64,
    /// Population standard deviation of the recorded values (HdrHistogram's `stdev`).
    pub stddev: f64,
}

impl Percentiles {
    /// Reads the percentiles by the reference implementations' rank rule
    /// ([`percentile`](super::percentile)), so a third-party decoder of the `.hlog` agrees.
    /// An empty histogram gives all zeros.
    pub fn from_histogram(h: &Histogram<u64>) -> Percentiles {
        Percentiles {
            p50: super::percentile(h, 50.0),
            p90: super::percentile(h, 90.0),
            p99: super::percentile(h, 99.0),
            p999: super::percentile(h, 99.9),
            max: h.max(),
            min: h.min(),
            mean: h.mean(),
            stddev: h.stdev(),
        }
    }
}

/// Statistics of per-batch wall times (ns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WallStats {
    /// Batches measured, over every round.
    pub batches: u64,
    /// Mean batch wall time (ns).
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator); 0 for a single batch.
    pub stddev: f64,
    /// Fastest batch (ns).
    pub min: u64,
    /// Nearest-rank median: the ceil(n/2)-th smallest batch.
    pub p50: u64,
    /// Slowest batch (ns).
    pub max: u64,
    /// Lower end of the two-sided 95% Student-t confidence interval of the mean over batches
    /// (ns); equals `mean` for one batch. Batches of one run are not independent repeats: the
    /// interval over rounds (`rounds`) is the one to cite.
    pub ci95_low: f64,
    /// Upper end of that interval (ns).
    pub ci95_high: f64,
}

impl WallStats {
    /// `None` for no samples. Every figure is the [`Sample`](crate::stats::Sample)'s: the mean
    /// and its 95% Student t interval ([`crate::stats::interval`]; for n == 1 the spread is
    /// unknown and the interval collapses to [mean, mean]), the sample standard deviation, and
    /// the nearest-rank median.
    pub fn from_samples(ns: &[u64]) -> Option<WallStats> {
        // No batches, no sample: `None`. Exact as f64: batch times are far below 2^53 ns.
        let sample = crate::stats::Sample::new(ns.iter().map(|&v| v as f64)).ok()?;
        let estimate = sample.mean_estimate(crate::stats::LEVEL_95);
        let (ci95_low, ci95_high) = estimate
            .interval
            .map_or((estimate.value, estimate.value), |i| (i.lo, i.hi));
        Some(WallStats {
            batches: sample.len() as u64,
            mean: estimate.value,
            stddev: sample.sd(),
            min: sample.min() as u64,
            p50: sample.quantile(0.5) as u64,
            max: sample.max() as u64,
            ci95_low,
            ci95_high,
        })
    }

    /// The mean with its 95% interval over batches (`None` for one batch).
    pub fn estimate(&self) -> crate::stats::Estimate {
        crate::stats::Estimate {
            value: self.mean,
            interval: (self.batches > 1).then_some(crate::stats::Interval {
                lo: self.ci95_low,
                hi: self.ci95_high,
                level: crate::stats::LEVEL_95,
            }),
        }
    }
}

/// One round's criterion estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriterionRound {
    /// Which round (0 = first), the index into the row's `rounds.rounds`.
    pub round: u32,
    /// The estimate criterion wrote for that round's benchmark.
    pub estimate: CriterionEstimate,
}

/// Criterion's estimate of the time per iteration, read from its `estimates.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriterionEstimate {
    /// criterion's point estimate of the mean time per iteration (one batch), ns.
    pub mean_ns: f64,
    /// Lower bound of criterion's bootstrap interval of that mean (ns).
    pub mean_ci_low: f64,
    /// Upper bound of that interval (ns).
    pub mean_ci_high: f64,
    /// criterion's point estimate of the median time per iteration (ns).
    pub median_ns: f64,
    /// The interval's confidence level as criterion states it (0.95 by default).
    pub confidence_level: f64,
    /// Path of the estimates.json this was read from.
    pub source: String,
}

// Only the parts of criterion 0.8's `Estimates` we use; serde ignores the rest
// (median_abs_dev, slope, std_dev, standard_error), so newer criterion fields do not break us.
#[derive(Deserialize)]
struct RawEstimates {
    mean: RawEstimate,
    median: RawEstimate,
}

#[derive(Deserialize)]
struct RawEstimate {
    confidence_interval: RawInterval,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct RawInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

impl CriterionEstimate {
    /// Reads `target/criterion/<group>/<function>/new/estimates.json`.
    pub fn read(estimates_json: &Path) -> Result<CriterionEstimate, ResultsError> {
        let text = fs::read_to_string(estimates_json).map_err(|source| ResultsError::Read {
            path: estimates_json.to_path_buf(),
            source,
        })?;
        let raw: RawEstimates = serde_json::from_str(&text).map_err(|source| ResultsError::Json {
            path: estimates_json.to_path_buf(),
            source,
        })?;
        Ok(CriterionEstimate {
            mean_ns: raw.mean.point_estimate,
            mean_ci_low: raw.mean.confidence_interval.lower_bound,
            mean_ci_high: raw.mean.confidence_interval.upper_bound,
            median_ns: raw.median.point_estimate,
            confidence_level: raw.mean.confidence_interval.confidence_level,
            source: estimates_json.display().to_string(),
        })
    }
}

impl Summary {
    /// Reads and validates a `summary.json`. Fails, naming the file, when it is missing, is not
    /// valid JSON (serde_json reports line and column), lacks `schema_version`, or has a
    /// `schema_version` this build does not know.
    pub fn read(path: &Path) -> Result<Summary, ResultsError> {
        let text = fs::read_to_string(path).map_err(|source| ResultsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let json_err = |source| ResultsError::Json {
            path: path.to_path_buf(),
            source,
        };
        // Check the version before the full shape, so a future schema is reported as such
        // instead of as a confusing "missing field".
        let value: serde_json::Value = serde_json::from_str(&text).map_err(json_err)?;
        let version = value.get("schema_version").ok_or_else(|| ResultsError::Corrupt {
            path: path.to_path_buf(),
            line: None,
            msg: "no schema_version field; not an asyncbench summary".to_string(),
        })?;
        match version.as_u64() {
            Some(v) if (u64::from(MIN_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION)).contains(&v) => {}
            Some(found) => {
                return Err(ResultsError::Schema {
                    path: path.to_path_buf(),
                    found,
                    oldest: MIN_SCHEMA_VERSION,
                    supported: SCHEMA_VERSION,
                });
            }
            None => {
                return Err(ResultsError::Corrupt {
                    path: path.to_path_buf(),
                    line: None,
                    msg: format!("schema_version is not an unsigned integer: {version}"),
                });
            }
        }
        // Parse from the text again (not from `value`) so shape errors keep line/column.
        serde_json::from_str(&text).map_err(json_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_stats_median_and_single_sample() {
        let w = WallStats::from_samples(&[7]).map(|w| (w.ci95_low, w.ci95_high, w.stddev));
        assert_eq!(w, Some((7.0, 7.0, 0.0)));
        let w = WallStats::from_samples(&[40, 10, 30, 20]).map(|w| (w.min, w.p50, w.max));
        assert_eq!(w, Some((10, 20, 40)));
        assert!(WallStats::from_samples(&[]).is_none());
    }

    #[test]
    fn percentiles_of_empty_histogram_are_zero() -> Result<(), Box<dyn std::error::Error>> {
        let h = Histogram::<u64>::new(3)?;
        assert_eq!(Percentiles::from_histogram(&h), Percentiles::default());
        Ok(())
    }

    #[test]
    fn wall_stats_ci_matches_hand_computation() {
        // mean 14, s = sqrt(40 / 4) = 3.1623, t(0.975, 4) = 2.7764,
        // half width = 2.7764 * 3.1623 / sqrt(5) = 3.9265.
        let w = WallStats::from_samples(&[18, 10, 14, 12, 16]);
        let Some(w) = w else {
            panic!("five samples must give statistics")
        };
        assert_eq!((w.batches, w.min, w.p50, w.max), (5, 10, 14, 18));
        assert!((w.mean - 14.0).abs() < 1e-12);
        assert!((w.stddev - 10f64.sqrt()).abs() < 1e-12);
        assert!((w.ci95_low - (14.0 - 3.9265)).abs() < 1e-3, "{}", w.ci95_low);
        assert!((w.ci95_high - (14.0 + 3.9265)).abs() < 1e-3, "{}", w.ci95_high);
    }

    #[test]
    fn percentiles_agree_with_histogram() -> Result<(), Box<dyn std::error::Error>> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)?;
        for v in 1..=1000u64 {
            h.record(v * 1000)?;
        }
        let p = Percentiles::from_histogram(&h);
        assert_eq!(p.p50, crate::stats::hdr::percentile(&h, 50.0));
        assert_eq!(p.p999, crate::stats::hdr::percentile(&h, 99.9));
        assert_eq!((p.min, p.max), (1000, h.max()));
        assert!((p.mean - h.mean()).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn criterion_estimate_reads_criterion_08_layout() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("estimates.json");
        fs::write(
            &path,
            r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1180.5,"upper_bound":1260.25},"point_estimate":1220.0,"standard_error":20.4},
           "median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1100.0,"upper_bound":1300.0},"point_estimate":1210.5,"standard_error":30.0},
           "median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},
           "slope":null,
           "std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},
           "future_field":[1,2,3]}"#,
        )?;
        let e = CriterionEstimate::read(&path)?;
        assert_eq!(
            (e.mean_ns, e.mean_ci_low, e.mean_ci_high, e.median_ns),
            (1220.0, 1180.5, 1260.25, 1210.5)
        );
        assert_eq!(e.confidence_level, 0.95);
        assert_eq!(e.source, path.display().to_string());

        let missing = dir.path().join("nope").join("estimates.json");
        let err = CriterionEstimate::read(&missing).map(|_| ()).map_err(|e| e.to_string());
        assert!(err.is_err_and(|m| m.contains(&missing.display().to_string())));
        fs::write(&path, "{\"mean\": 3}")?;
        let err = CriterionEstimate::read(&path).map(|_| ()).map_err(|e| e.to_string());
        assert!(err.is_err_and(|m| m.contains(&path.display().to_string())));
        Ok(())
    }
}
