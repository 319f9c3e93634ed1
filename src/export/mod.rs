//! Exports a saved run to the formats of benchmark-tracking tools, one format per file behind
//! one trait (hyperfine's `export/`): [`bmf`] (Bencher Metric Format) and
//! [`github_action_benchmark`] (the GitHub Action's `customSmallerIsBetter` JSON). Both read
//! the same [`Figure`]s, taken from `summary.json` as written: nothing is re-measured here.

pub mod bmf;
pub mod github_action_benchmark;

use crate::report::data::PRIMARY_METRIC;
use crate::results::{CaseResult, Summary, figures};

/// The formats `asyncbench export --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Bencher Metric Format JSON (`bencher run --adapter json --file FILE`).
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` JSON (`tool: customSmallerIsBetter`).
    GithubActionBenchmark,
}

/// One output format (hyperfine's `Exporter`).
pub trait Exporter {
    /// The file's bytes for `summary`.
    fn serialize(&self, summary: &Summary) -> anyhow::Result<Vec<u8>>;
}

impl ExportFormat {
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            ExportFormat::Bmf => Box::new(bmf::Bmf),
            ExportFormat::GithubActionBenchmark => Box::new(github_action_benchmark::GithubActionBenchmark),
        }
    }
}

/// A case's published value with its interval ([`figures::Value`], the one definition).
pub use crate::results::figures::Value;

/// What a tracking tool gets of one case: its name (`scenario/variant/runtime`), its value in
/// ns, its throughput, its errors, and the latency percentiles of each of its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure<'a> {
    pub name: String,
    pub primary: &'a CaseResult,
    pub value: Value,
    /// (metric, its row) for every row of the case: `latency` (the case's operations) first.
    pub metrics: Vec<&'a CaseResult>,
}

/// The case's value as the summary publishes it (the table and REPORT.md show the same).
pub fn value(r: &CaseResult) -> Option<Value> {
    figures::value(r)
}

/// The bounds a tracking tool gets around a value: its 95% interval over rounds, or, for a row
/// whose rounds disagree, their whole range (the value alone must not look citable there).
pub fn bounds(v: &Value) -> (Option<f64>, Option<f64>) {
    match v.range {
        Some((lo, hi)) if !v.citable() => (Some(lo), Some(hi)),
        _ => (v.interval.map(|i| i.lo), v.interval.map(|i| i.hi)),
    }
}

/// `scenario/variant/runtime`: the name a case keeps from run to run, so a tool tracks it.
pub fn case_name(r: &CaseResult) -> String {
    format!("{}/{}/{}", r.scenario, r.variant, r.runtime)
}

/// The cases of `summary` that have a value, in the summary's order, and the names of those
/// left out because they have none (a case with no successful operation: a tracked series
/// must not get a made-up point).
pub fn figures(summary: &Summary) -> (Vec<Figure<'_>>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for p in summary.results.iter().filter(|r| r.metric == PRIMARY_METRIC) {
        let name = case_name(p);
        match value(p) {
            Some(value) => {
                let mut metrics: Vec<&CaseResult> = summary
                    .results
                    .iter()
                    .filter(|o| o.scenario == p.scenario && o.variant == p.variant && o.runtime == p.runtime)
                    .collect();
                metrics.sort_by_key(|m| m.metric != PRIMARY_METRIC);
                out.push(Figure {
                    name,
                    primary: p,
                    value,
                    metrics,
                });
            }
            None => skipped.push(name),
        }
    }
    skipped.extend(
        summary
            .failures
            .iter()
            .map(|f| format!("{}/{}/{}", f.scenario, f.variant, f.runtime)),
    );
    (out, skipped)
}

/// A format's file: pretty JSON and a final newline.
fn pretty_json(value: &impl serde::Serialize) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A metric's name as a Bencher measure slug / a chart name: `sched_delay` → `sched-delay`.
pub fn kebab(metric: &str) -> String {
    metric.replace('_', "-")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::results::{Percentiles, WallStats};

    /// What `exporter` writes for [`planted`], parsed back.
    pub(crate) fn planted_json(exporter: &dyn Exporter) -> serde_json::Value {
        serde_json::from_slice(&exporter.serialize(&planted()).expect("the planted run exports"))
            .expect("an exporter writes JSON")
    }

    /// A case with planted figures: batch mean 1000 ns (interval 900..1100 over 3 rounds),
    /// op latency p50 200, p99 700, max 900 ns, 50 ops/s, 2 errors; and a `sched_delay` row
    /// with p50 10, p99 40 ns.
    pub(crate) fn planted() -> Summary {
        // The committed reference run's header and environment, with planted rows.
        let mut s = Summary::read(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/results/reference/summary.json"
        )))
        .unwrap();
        s.failures = vec![crate::results::CaseFailure {
            scenario: "s".into(),
            variant: "v".into(),
            runtime: "smol-ct".into(),
            error: "boom".into(),
        }];
        let pct = |p50, p99, max| Percentiles {
            p50,
            p90: p50,
            p99,
            p999: p99,
            max,
            min: 1,
            mean: p50 as f64,
            stddev: 1.0,
        };
        let base = |metric: &str| -> CaseResult {
            serde_json::from_value(serde_json::json!({
                "scenario": "fetch", "variant": "join_all", "runtime": "tokio-ct", "metric": metric,
                "legacy": false, "samples": 30, "errors": 0,
            }))
            .unwrap()
        };
        let mut p = base(PRIMARY_METRIC);
        p.errors = 2;
        p.latency_ns = Some(pct(200, 700, 900));
        p.wall_ns = WallStats::from_samples(&[900, 1000, 1100]);
        p.rounds = crate::stats::rounds::summarize(
            // Batches this spread make the rounds' 10% differences noise: stable.
            crate::stats::rounds::Round::series(&[900.0, 1000.0, 1100.0], 200.0, 20),
        );
        p.throughput_per_s = Some(50.0);
        p.throughput_unit = Some("requests".into());
        let mut d = base("sched_delay");
        d.latency_ns = Some(pct(10, 40, 50));
        let mut failed = base(PRIMARY_METRIC);
        failed.runtime = "async-std".into();
        failed.samples = 0;
        failed.errors = 5;
        s.results = vec![p, d, failed];
        s
    }

    #[test]
    fn figures_take_the_published_value_and_skip_cases_without_one() {
        let s = planted();
        let (f, skipped) = figures(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "fetch/join_all/tokio-ct");
        assert_eq!(f[0].value.value, 1000.0);
        let crate::stats::Interval { lo, hi, .. } = f[0].value.interval.unwrap();
        // t(0.975, 2) = 4.303, sd 100, n 3: half-width 248.4.
        assert!(
            (hi - 1000.0 - 248.4).abs() < 0.1 && (1000.0 - lo - 248.4).abs() < 0.1,
            "{lo} {hi}"
        );
        assert_eq!(
            f[0].metrics.iter().map(|m| m.metric.as_str()).collect::<Vec<_>>(),
            ["latency", "sched_delay"]
        );
        assert_eq!(skipped, ["fetch/join_all/async-std", "s/v/smol-ct"]);
    }
}
