//! Bencher Metric Format (BMF) JSON, the input of `bencher run --adapter json`
//! (<https://bencher.dev/docs/reference/bencher-metric-format/>): an object of benchmarks, each
//! an object of measures (slugs, created by Bencher on first use), each `{value, lower_value?,
//! upper_value?}`. Per case `scenario/variant/runtime`:
//!
//! * `latency` (Bencher's built-in measure, ns): the case's value (mean batch time over rounds)
//!   with its 95% interval over rounds as lower/upper — what criterion's adapter sends too;
//! * `throughput` (built-in, operations/s): the case's throughput, when it has one;
//! * `errors`: failed operations (0 on a clean case), so an alert can fire on new errors;
//! * `op-p50`, `op-p99`, `op-max` (ns): the latency of the case's single operations;
//! * `<metric>-p50`, `<metric>-p99`, `<metric>-max` (ns) for its further metrics
//!   (`sched-delay`, `timer-lateness`, …).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Exporter, figures, kebab};
use crate::report::data::PRIMARY_METRIC;
use crate::results::Summary;

pub struct Bmf;

/// One measure's metric.
#[derive(Debug, Serialize)]
struct Metric {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

fn point(value: f64) -> Metric {
    Metric {
        value,
        lower_value: None,
        upper_value: None,
    }
}

impl Exporter for Bmf {
    fn serialize(&self, summary: &Summary) -> anyhow::Result<Vec<u8>> {
        let mut out: BTreeMap<String, BTreeMap<String, Metric>> = BTreeMap::new();
        for f in figures(summary).0 {
            let mut m = BTreeMap::new();
            m.insert("latency".to_string(), {
                let (lower_value, upper_value) = super::bounds(&f.value);
                Metric {
                    value: f.value.value,
                    lower_value,
                    upper_value,
                }
            });
            if let Some(t) = f.primary.throughput_per_s.filter(|t| t.is_finite()) {
                m.insert("throughput".into(), point(t));
            }
            m.insert("errors".into(), point(f.primary.errors as f64));
            for row in f.metrics.iter().filter(|r| r.samples > 0) {
                let Some(p) = &row.latency_ns else { continue };
                let prefix = if row.metric == PRIMARY_METRIC {
                    "op".to_string()
                } else {
                    kebab(&row.metric)
                };
                m.insert(format!("{prefix}-p50"), point(p.p50 as f64));
                m.insert(format!("{prefix}-p99"), point(p.p99 as f64));
                m.insert(format!("{prefix}-max"), point(p.max as f64));
            }
            out.insert(f.name, m);
        }
        super::pretty_json(&out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::export::tests::planted_json;

    #[test]
    fn the_planted_case_comes_out_with_its_figures() {
        let v = planted_json(&Bmf);
        let case = &v["fetch/join_all/tokio-ct"];
        assert_eq!(case["latency"]["value"], json!(1000.0));
        let (lo, hi) = (
            case["latency"]["lower_value"].as_f64().unwrap(),
            case["latency"]["upper_value"].as_f64().unwrap(),
        );
        assert!(lo < 1000.0 && hi > 1000.0 && (hi + lo - 2000.0).abs() < 1e-6);
        assert_eq!(case["throughput"], json!({"value": 50.0}));
        assert_eq!(case["errors"], json!({"value": 2.0}));
        assert_eq!(case["op-p50"], json!({"value": 200.0}));
        assert_eq!(case["op-p99"], json!({"value": 700.0}));
        assert_eq!(case["op-max"], json!({"value": 900.0}));
        assert_eq!(case["sched-delay-p99"], json!({"value": 40.0}));
        // The case with no successful operation and the recorded failure are left out.
        assert_eq!(v.as_object().unwrap().len(), 1);
    }
}
