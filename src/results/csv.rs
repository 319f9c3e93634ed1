//! `summary.csv`: one row per `CaseResult`, for spreadsheets and quick `column -t` reading.
//! JSON (`summary.json`) stays the source of truth; this is a flattened view of it.
//!
//! After the fixed columns come `errors_<kind>`, one per [`ErrorKind`] in its declared order
//! (`errors_status`, `errors_timeout`, …): the row's `errors_by_kind`, 0 for a kind with none.
//! They sum to `errors` except in summaries written before failures were counted by kind. They
//! come after the fixed columns so those keep their positions for scripts that read by index.
//!
//! Then come the cost columns ([`COST_COLUMNS`]: CPU, allocations, context switches per
//! operation; empty on rows without cost, such as extra-metric rows and older runs).
//!
//! Last of all the published value as [`super::figures`] defines it ([`VALUE_COLUMNS`]): what
//! it is, the value and its interval over rounds, the rounds' range and stability (an unstable
//! row is cited by that range), the value per operation, and the throughput's unit.
//!
//! `criterion_round_means_ns` holds criterion's mean per round, `;`-separated in round order
//! (each round is its own criterion benchmark; no estimate covers the row).

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
    "criterion_round_means_ns",
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

/// The published value and its companions (see the module's notes), after the cost columns.
pub const VALUE_COLUMNS: [&str; 11] = [
    "value_figure",
    "value_ns",
    "value_ci95_low_ns",
    "value_ci95_high_ns",
    "rounds",
    "stability",
    "round_min_ns",
    "round_max_ns",
    "per_op_ns",
    "ops_per_batch",
    "throughput_unit",
];

/// Renders the header plus one row per result. Absent values (`None`, or a non-finite float)
/// are empty cells. Fields are quoted by the `csv` crate's RFC 4180 rules (only a field holding a
/// comma, a double quote or a line break, with its quotes doubled); lines end in `\n` rather
/// than RFC 4180's CRLF: every CSV reader accepts it and it keeps the file friendly to grep/diff.
pub fn summary_csv(s: &Summary) -> String {
    let mut buf = Vec::new();
    let written = write_rows(s, &mut buf);
    // Into memory, every record as long as the header: nothing can fail, so nothing is lost.
    debug_assert!(written.is_ok(), "{written:?}");
    String::from_utf8_lossy(&buf).into_owned()
}

fn write_rows(s: &Summary, out: &mut Vec<u8>) -> csv::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    w.write_record(header())?;
    for r in &s.results {
        w.write_record(row(r))?;
    }
    w.flush()?;
    Ok(())
}

fn header() -> Vec<String> {
    let kinds = ErrorKind::ALL.iter().map(|k| format!("errors_{k}"));
    COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(kinds)
        .chain(COST_COLUMNS.iter().map(|c| c.to_string()))
        .chain(VALUE_COLUMNS.iter().map(|c| c.to_string()))
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
        r.criterion_rounds
            .iter()
            .filter(|c| c.estimate.mean_ns.is_finite())
            .map(|c| c.estimate.mean_ns.to_string())
            .collect::<Vec<_>>()
            .join(";"),
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
    let v = super::figures::value(r);
    let figure = serde_json::to_value(super::figures::figure_of(r))
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default();
    let stability = serde_json::to_value(super::figures::stability(r))
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default();
    let value: [String; VALUE_COLUMNS.len()] = [
        figure,
        float(v.map(|v| v.value)),
        float(v.and_then(|v| v.interval).map(|i| i.lo)),
        float(v.and_then(|v| v.interval).map(|i| i.hi)),
        int(r.rounds.as_ref().map(|x| u64::from(x.count))),
        stability,
        float(v.and_then(|v| v.range).map(|r| r.0)),
        float(v.and_then(|v| v.range).map(|r| r.1)),
        float(super::figures::per_op_ns(r)),
        int(r.ops_per_batch),
        r.throughput_unit.clone().unwrap_or_default(),
    ];
    fixed.into_iter().chain(kinds).chain(cost).chain(value).collect()
}

fn int(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Shortest round-trip representation (Rust's `Display` for f64), so nothing is lost going
/// through the CSV; NaN and infinities become empty cells since spreadsheets disagree on them.
fn float(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default()
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
    fn cost_columns_come_after_the_error_kinds() {
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
        // The 7 cost cells, then the value columns: a row without value names its figure only.
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .ends_with(",1500,1000,500,2,128,0.5,0,metric_median,,,,,unknown,,,,,"),
            "{csv}"
        );
    }

    #[test]
    fn quotes_per_rfc4180() {
        // Quoted only with a comma, a double quote (doubled inside) or a line break (CR too).
        let r = CaseResult {
            scenario: "say \"hi\"".into(),
            variant: "two\nlines".into(),
            runtime: "cr\rx".into(),
            metric: "plain".into(),
            throughput_unit: Some("a,b".into()),
            ..Default::default()
        };
        let csv = summary_csv(&summary(vec![r]));
        let row = csv.split_once("\n").map(|(_, rest)| rest).unwrap_or_default();
        assert!(
            row.starts_with("\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rx\",plain,false,"),
            "{row:?}"
        );
        assert!(row.ends_with(",\"a,b\"\n"), "{row:?}");
    }

    #[test]
    fn header_only_for_no_results() {
        let csv = summary_csv(&summary(vec![]));
        assert_eq!(csv, format!("{}\n", header().join(",")));
        assert!(csv.starts_with("scenario,variant,runtime,metric,"));
        assert!(csv.contains(",errors_status,errors_timeout,errors_connect,errors_closed,errors_join,errors_io,errors_lost,errors_invalid,"));
        assert!(csv.contains(
            ",cpu_ns_per_op,user_ns_per_op,sys_ns_per_op,allocs_per_op,bytes_per_op,voluntary_cs_per_op,involuntary_cs_per_op,"
        ));
        assert!(csv.trim_end().ends_with(&VALUE_COLUMNS.join(",")));
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
            "\"http, keep-alive\",c=64,tokio,latency,false,10,3,100,200,300,400,500,150.5,,,,,,,1234.5,0,2,0,0,0,0,1,0,,,,,,,,mean_batch,,,,,unknown,,,,,"
        );
    }

    #[test]
    fn value_columns_carry_the_published_value_and_criterion_per_round() {
        let est = |mean_ns: f64| crate::results::CriterionEstimate {
            mean_ns,
            mean_ci_low: mean_ns - 1.0,
            mean_ci_high: mean_ns + 1.0,
            median_ns: mean_ns,
            confidence_level: 0.95,
            source: "x".into(),
        };
        let r = CaseResult {
            metric: "latency".into(),
            samples: 30,
            ops_per_batch: Some(10),
            throughput_unit: Some("requests".into()),
            rounds: crate::stats::rounds::summarize(crate::stats::rounds::Round::series(
                &[1000.0, 2000.0, 1500.0],
                1.0,
                20,
            )),
            criterion_rounds: vec![
                crate::results::CriterionRound {
                    round: 0,
                    estimate: est(1001.0),
                },
                crate::results::CriterionRound {
                    round: 2,
                    estimate: est(1499.5),
                },
            ],
            ..Default::default()
        };
        let csv = summary_csv(&summary(vec![r]));
        let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let cell = |name: &str| row[head.iter().position(|h| *h == name).unwrap()];
        assert_eq!(cell("criterion_round_means_ns"), "1001;1499.5");
        assert_eq!(cell("value_figure"), "mean_batch");
        assert_eq!(cell("value_ns"), "1500");
        assert_eq!(cell("stability"), "unstable");
        assert_eq!((cell("round_min_ns"), cell("round_max_ns")), ("1000", "2000"));
        assert_eq!(cell("per_op_ns"), "150");
        assert_eq!(cell("throughput_unit"), "requests");
    }
}
