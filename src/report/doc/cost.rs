//! The cost column group of each scenario × variant (CPU, allocations, context switches per
//! operation, one row per runtime, from `CaseResult::cost`) and the cost warnings built on it.
//! A table of its own below the latency table rather than more columns in it: the latency
//! table is already thirteen columns wide.

use super::model::Table;
use crate::report::format::{self, NONE};
use crate::report::palette;
use crate::report::warnings::Warning;
use crate::results::CaseResult;

/// A runtime "allocates per operation" from this many allocations per op on.
pub const ALLOCS_PER_OP: f64 = 1.0;
/// ... where the best runtime of the same variant stays below this share of it.
pub const ALLOCS_RATIO: f64 = 0.25;

/// The cost table of one variant's primary rows; `None` when no row carries cost (older runs).
pub fn cost_table(rows: &[&CaseResult]) -> Option<Table> {
    if rows.iter().all(|r| r.cost.is_none()) {
        return None;
    }
    let header = [
        "runtime",
        "CPU/op",
        "user/op",
        "sys/op",
        "allocs/op",
        "bytes/op",
        "vol. cs/op",
        "invol. cs/op",
        "ops measured",
    ];
    let mut t = Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        right: [false, true, true, true, true, true, true, true, true].to_vec(),
        rows: Vec::new(),
    };
    for r in rows {
        let label = palette::style(&r.runtime, r.legacy).label;
        let Some(c) = &r.cost else {
            t.rows.push(
                std::iter::once(label)
                    .chain(std::iter::repeat_n(NONE.to_string(), 8))
                    .collect(),
            );
            continue;
        };
        let n = |v: Option<f64>| v.map_or(NONE.to_string(), format::number);
        t.rows.push(vec![
            label,
            format::duration(c.cpu_ns_per_op),
            format::duration_opt(c.user_ns_per_op),
            format::duration_opt(c.sys_ns_per_op),
            n(c.allocs_per_op),
            c.bytes_per_op
                .map_or(NONE.to_string(), |b| format!("{} B", format::number(b))),
            format::number(c.voluntary_cs_per_op),
            format::number(c.involuntary_cs_per_op),
            c.ops.to_string(),
        ]);
    }
    Some(t)
}

/// How the cost figures were taken, for the report's method list.
pub fn method_text(c: &crate::measure::CostInfo) -> String {
    let allocs = match (c.counting_allocs, c.alloc_overhead_ns) {
        (true, Some(o)) => format!(
            "allocations counted by a counting global allocator (it adds {} per allocation; a build with \
             `--no-default-features` leaves it out)",
            format::duration(o)
        ),
        (true, None) => "allocations counted by a counting global allocator".to_string(),
        (false, _) => "allocations not counted (built without the `count-allocs` feature)".to_string(),
    };
    let metrics = match (c.task_metrics, c.task_metrics_overhead_ns) {
        (true, Some(o)) => format!(
            " Task metrics on (--task-metrics): every poll was timed and every wake stamped, adding {} per poll \
             to the figures above.",
            format::duration(o)
        ),
        _ => String::new(),
    };
    let own = c.segment_overhead_ns.map_or(String::new(), |o| {
        let spread = c.segment_residual_spread_ns.map_or(String::new(), |r| {
            format!(
                " A batch's CPU figure is exact to about {} (how far one segment's residual strays, p99): on a \
                 one-thread row CPU per op may read above wall per op by that over the batch's ops.",
                format::duration(r as f64)
            )
        });
        format!(
            " The stopwatch opens and closes each timed segment with the same two reads (CPU clock, then wall \
             clock), so their cost cancels; what is left ({} at the run's start, re-measured per thread count) is \
             taken off once per timed segment.{spread}",
            format::duration(o as f64)
        )
    });
    let wake = c.idle_wake_cpu_ns.map_or(String::new(), |w| {
        format!(
            " One sleep and wake-up of an idle thread costs {} of its CPU on this machine (measured at the run's \
             start): a variant that blocks once per operation pays about that per operation on top of its own work.",
            format::duration(w)
        )
    });
    format!(
        "per operation over the recorded batches, for the side under test only (threads {} excluded). CPU: {}.{own}{wake} \
         {allocs}; context switches from getrusage minus the excluded threads' /proc counts.{metrics}",
        c.excluded_threads.join(", "),
        c.cpu_clock
    )
}

/// A runtime allocating per operation where the best runtime of the same variant hardly does.
pub fn cost_warnings(rows: &[&CaseResult]) -> Vec<Warning> {
    let allocs: Vec<(&CaseResult, f64)> = rows
        .iter()
        .filter_map(|r| Some((*r, r.cost.as_ref()?.allocs_per_op?)))
        .collect();
    let Some((best, best_a)) = allocs.iter().min_by(|a, b| a.1.total_cmp(&b.1)).copied() else {
        return Vec::new();
    };
    allocs
        .iter()
        .filter(|(_, a)| *a >= ALLOCS_PER_OP && best_a < ALLOCS_RATIO * *a)
        .map(|(r, a)| Warning::AllocatesPerOp {
            case: format!("{} / {} / {}", r.scenario, r.variant, r.runtime),
            allocs_per_op: *a,
            best_runtime: best.runtime.clone(),
            best_allocs_per_op: best_a,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Cost;

    fn row(runtime: &str, allocs: f64) -> CaseResult {
        CaseResult {
            scenario: "s".into(),
            variant: "v".into(),
            runtime: runtime.into(),
            cost: Some(Cost {
                ops: 100,
                cpu_ns_per_op: 1500.0,
                user_ns_per_op: Some(1000.0),
                sys_ns_per_op: Some(500.0),
                allocs_per_op: Some(allocs),
                bytes_per_op: Some(allocs * 64.0),
                voluntary_cs_per_op: 0.0,
                involuntary_cs_per_op: 0.0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn table_has_a_row_per_runtime_and_none_without_cost() {
        let (a, b) = (row("tokio-ct", 2.0), row("smol-ct", 0.0));
        let t = cost_table(&[&a, &b]).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0][1], "1.50 µs");
        assert_eq!(t.rows[0][4], "2.00");
        assert_eq!(t.rows[0][5], "128 B");
        assert!(cost_table(&[&CaseResult::default()]).is_none());
    }

    #[test]
    fn warns_only_where_another_runtime_does_not_allocate() {
        let (a, b, c) = (row("tokio-ct", 3.0), row("smol-ct", 0.1), row("async-std", 0.5));
        let w = cost_warnings(&[&a, &b, &c]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].to_string().contains("s / v / tokio-ct allocates 3.00 times"),
            "{}",
            w[0]
        );
        assert!(cost_warnings(&[&a, &row("smol-ct", 2.5)]).is_empty());
    }
}
