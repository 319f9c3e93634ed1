//! github-action-benchmark's custom JSON for `tool: 'customSmallerIsBetter'`
//! (<https://github.com/benchmark-action/github-action-benchmark#examples>): an array of
//! `{name, unit, value, range?, extra?}`, one chart per name. Smaller must be better, so
//! throughput (bigger is better) is not exported here; it is in `extra`. Per case:
//!
//! * `scenario/variant/runtime` (ns): the case's value (mean batch time over rounds), `range`
//!   the half-width of its 95% interval over rounds, `extra` the rounds, samples, errors,
//!   throughput and ideal;
//! * `scenario/variant/runtime op p99` (ns): the p99 latency of its single operations, and
//!   `… <metric> p99` for each further metric (`sched_delay`, `timer_lateness`, …).

use serde::Serialize;

use super::{Exporter, figures};
use crate::report::data::PRIMARY_METRIC;
use crate::results::Summary;

pub struct GithubActionBenchmark;

#[derive(Debug, Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<String>,
}

impl Exporter for GithubActionBenchmark {
    fn serialize(&self, summary: &Summary) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        for f in figures(summary).0 {
            let p = f.primary;
            let rounds = p.rounds.as_ref().map_or(1, |r| r.count);
            let mut extra = vec![format!(
                "{} over {rounds} round(s); {} samples, {} errors",
                f.value.figure.label(),
                p.samples,
                p.errors
            )];
            if !f.value.citable() {
                extra.push(format!(
                    "unstable: rounds range {}",
                    crate::report::format::value_text(p)
                ));
            }
            if let Some(t) = p.throughput_per_s {
                extra.push(format!(
                    "throughput {t:.1} {}/s",
                    p.throughput_unit.as_deref().unwrap_or("operations")
                ));
            }
            if let (Some(i), Some(r)) = (p.ideal_ns, p.measured_over_ideal) {
                extra.push(format!("ideal {i} ns, measured/ideal {r:.3}"));
            }
            out.push(Entry {
                name: f.name.clone(),
                unit: "ns",
                value: f.value.value,
                range: match super::bounds(&f.value) {
                    // An unstable row's range is its rounds' span, not a symmetric interval.
                    (Some(l), Some(h)) if !f.value.citable() => Some(format!("{l:.0} … {h:.0}")),
                    (l, h) => l.zip(h).map(|(l, h)| format!("± {:.0}", (h - l) / 2.0)),
                },
                extra: Some(extra.join("; ")),
            });
            for row in f.metrics.iter().filter(|r| r.samples > 0) {
                let Some(pct) = &row.latency_ns else { continue };
                let what = if row.metric == PRIMARY_METRIC {
                    "op"
                } else {
                    &row.metric
                };
                out.push(Entry {
                    name: format!("{} {what} p99", f.name),
                    unit: "ns",
                    value: pct.p99 as f64,
                    range: None,
                    extra: Some(format!(
                        "p50 {} ns, max {} ns, {} samples",
                        pct.p50, pct.max, row.samples
                    )),
                });
            }
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
        let v = planted_json(&GithubActionBenchmark);
        let a = v.as_array().unwrap();
        let names: Vec<&str> = a.iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "fetch/join_all/tokio-ct",
                "fetch/join_all/tokio-ct op p99",
                "fetch/join_all/tokio-ct sched_delay p99"
            ]
        );
        assert_eq!(a[0]["value"], json!(1000.0));
        assert_eq!(a[0]["unit"], json!("ns"));
        // t(0.975, 2) · 100 / √3 = 248.4
        assert_eq!(a[0]["range"], json!("± 248"));
        let extra = a[0]["extra"].as_str().unwrap();
        assert!(
            extra.contains("30 samples, 2 errors") && extra.contains("throughput 50.0 requests/s"),
            "{extra}"
        );
        assert_eq!(a[1]["value"], json!(700.0));
        assert_eq!(a[2]["value"], json!(40.0));
    }
}
