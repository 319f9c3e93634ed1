//! `summary.csv`: one row per `CaseResult`, for spreadsheets and quick `column -t` reading.
//! JSON (`summary.json`) stays the source of truth; this is a flattened view of it.
//!
//! After the fixed columns come `errors_<kind>`, one per [`ErrorKind`] in its declared order
//! (`errors_status`, `errors_timeout`, …): the row's `errors_by_kind`, 0 for a kind with none.
//! They sum to `errors` except in summaries written before failures were counted by kind. They
//! go last so that the fixed columns keep their positions for scripts that read by index.
//!
//! Last of all come the cost columns ([`COST_COLUMNS`]: CPU, allocations, context switches per
//! operation; empty on rows without cost, such as extra-metric rows and older runs).

use super::summary::{CaseResult, Summary};
use crate::measure::ErrorKind;

/// The fixed column names, in order. Kept in one place so header and rows cannot drift apart.
const COLUMNS: [&str; 20] = [
    "scenario",
    "variant",
    "runtime",
    "metric",
    "legacy",
    "samples",
    "errors",
    "p50_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "max_ns",
    "mean_ns",
    "wall_mean_ns",
    "wall_ci95_low_ns",
    "wall_ci95_high_ns",
    "criterion_mean_ns",
    "ideal_ns",
    "measured_over_ideal",
    "throughput_per_s",
];

/// What the case cost per operation (`CaseResult::cost`), after the error kinds.
pub const COST_COLUMNS: [&str; 7] = [
    "cpu_ns_per_op",
    "user_ns_per_op",
    "sys_ns_per_op",
    "allocs_per_op",
    "bytes_per_op",
    "voluntary_cs_per_op",
    "involuntary_cs_per_op",
];

/// Renders the header plus one row per result. Absent values (`None`, or a non-finite float)
/// are empty cells. Lines end in `\n` rather than RFC 4180's CRLF: every CSV reader accepts
/// it and it keeps the file friendly to grep/diff.
pub fn summary_csv(s: &Summary) -> String {
    let mut out = String::new();
    push_row(&mut out, header().into_iter());
    for r in &s.results {
        push_row(&mut out, row(r).into_iter());
    }
    out
}

fn header() -> Vec<String> {
    let kinds = ErrorKind::ALL.iter().map(|k| format!("errors_{k}"));
    COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(kinds)
        .chain(COST_COLUMNS.iter().map(|c| c.to_string()))
        .collect()
}

fn row(r: &CaseResult) -> Vec<String> {
    let lat = r.latency_ns.as_ref();
    let wall = r.wall_ns.as_ref();
    let fixed: [String; COLUMNS.len()] = [
        r.scenario.clone(),
        r.variant.clone(),
        r.runtime.clone(),
        r.metric.clone(),
        r.legacy.to_string(),
        r.samples.to_string(),
        r.errors.to_string(),
        int(lat.map(|p| p.p50)),
        int(lat.map(|p| p.p90)),
        int(lat.map(|p| p.p99)),
        int(lat.map(|p| p.p999)),
        int(lat.map(|p| p.max)),
        float(lat.map(|p| p.mean)),
        float(wall.map(|w| w.mean)),
        float(wall.map(|w| w.ci95_low)),
        float(wall.map(|w| w.ci95_high)),
        float(r.criterion.as_ref().map(|c| c.mean_ns)),
        int(r.ideal_ns),
        float(r.measured_over_ideal),
        float(r.throughput_per_s),
    ];
    let kinds = ErrorKind::ALL.iter().map(|k| r.errors_by_kind.get(*k).to_string());
    let c = r.cost.as_ref();
    let cost: [String; COST_COLUMNS.len()] = [
        float(c.map(|c| c.cpu_ns_per_op)),
        float(c.and_then(|c| c.user_ns_per_op)),
        float(c.and_then(|c| c.sys_ns_per_op)),
        float(c.and_then(|c| c.allocs_per_op)),
        float(c.and_then(|c| c.bytes_per_op)),
        float(c.map(|c| c.voluntary_cs_per_op)),
        float(c.map(|c| c.involuntary_cs_per_op)),
    ];
    fixed.into_iter().chain(kinds).chain(cost).collect()
}

fn int(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Shortest round-trip representation (Rust's `Display` for f64), so nothing is lost going
/// through the CSV; NaN and infinities become empty cells since spreadsheets disagree on them.
fn float(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
}

fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(&f));
    }
    out.push('\n');
}

/// RFC 4180 §2 rules 6–7: a field containing a comma, a double quote or a line break is
/// enclosed in double quotes, and each double quote inside is doubled. Hand-written because
/// this is all the CSV we need and no csv crate is among the dependencies.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{Percentiles, RunInfo, SCHEMA_VERSION};

    fn summary(results: Vec<CaseResult>) -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            run: RunInfo {
                id: "x".into(),
                started_utc: "2026-01-01T00:00:00Z".into(),
                finished_utc: None,
                command: "test".into(),
                mode: crate::results::RunMode::Test,
                partial: true,
                rounds: None,
                order_seed: None,
                python_skipped: None,
            },
            env: Default::default(),
            results,
            failures: vec![],
            harness: None,
            cost_info: None,
            scenarios: Default::default(),
        }
    }

    #[test]
    fn cost_columns_come_last() {
        let r = CaseResult {
            cost: Some(crate::measure::Cost {
                ops: 10,
                cpu_ns_per_op: 1500.0,
                user_ns_per_op: Some(1000.0),
                sys_ns_per_op: Some(500.0),
                allocs_per_op: Some(2.0),
                bytes_per_op: Some(128.0),
                voluntary_cs_per_op: 0.5,
                involuntary_cs_per_op: 0.0,
            }),
            ..Default::default()
        };
        let csv = summary_csv(&summary(vec![r]));
        assert!(
            csv.lines().nth(1).unwrap().ends_with(",1500,1000,500,2,128,0.5,0"),
            "{csv}"
        );
    }

    #[test]
    fn quotes_per_rfc4180() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn header_only_for_no_results() {
        let csv = summary_csv(&summary(vec![]));
        assert_eq!(csv, format!("{}\n", header().join(",")));
        assert!(csv.starts_with("scenario,variant,runtime,metric,"));
        assert!(csv.contains(",errors_status,errors_timeout,errors_connect,errors_closed,errors_join,errors_io,errors_lost,errors_invalid,"));
        assert!(csv.trim_end().ends_with(
            ",cpu_ns_per_op,user_ns_per_op,sys_ns_per_op,allocs_per_op,bytes_per_op,voluntary_cs_per_op,involuntary_cs_per_op"
        ));
    }

    #[test]
    fn row_has_every_column_and_empty_cells_for_none() {
        let r = CaseResult {
            scenario: "http, keep-alive".into(),
            variant: "c=64".into(),
            runtime: "tokio".into(),
            metric: "latency".into(),
            samples: 10,
            latency_ns: Some(Percentiles {
                p50: 100,
                p90: 200,
                p99: 300,
                p999: 400,
                max: 500,
                min: 50,
                mean: 150.5,
                stddev: 1.0,
            }),
            measured_over_ideal: Some(f64::NAN),
            throughput_per_s: Some(1234.5),
            errors: 3,
            errors_by_kind: [(ErrorKind::Timeout, 2), (ErrorKind::Lost, 1)].into_iter().collect(),
            ..Default::default()
        };
        let csv = summary_csv(&summary(vec![r]));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1],
            "\"http, keep-alive\",c=64,tokio,latency,false,10,3,100,200,300,400,500,150.5,,,,,,,1234.5,0,2,0,0,0,0,1,0,,,,,,,"
        );
    }
}
