//! Cost per operation beside latency, end to end on synthetic runs: `compare` shows the cost
//! column group A → B, and the report puts a cost table under the latency table. (The counters'
//! ground truth is `tests/cost.rs`, a binary of its own.)

use std::fs;
use std::path::Path;

use crate::common::{TestResult, catalogue, make_run};
use asyncbench::compare::output as compare_output;
use asyncbench::compare::{CompareOpts, compare};

/// Plants `cpu_ns` and `allocs` per op on the primary row of fetch_parallel/join_all/tokio-ct.
fn plant_cost(run: &Path, cpu_ns: f64, allocs: f64) -> TestResult {
    let path = run.join("summary.json");
    let mut s: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path)?)?;
    for r in s["results"].as_array_mut().ok_or("no results")? {
        if r["variant"] == "join_all" && r["runtime"] == "tokio-ct" && r["metric"] == "latency" {
            r["cost"] = serde_json::json!({
                "ops": 80, "cpu_ns_per_op": cpu_ns, "user_ns_per_op": cpu_ns, "sys_ns_per_op": 0.0,
                "allocs_per_op": allocs, "bytes_per_op": allocs * 100.0,
                "voluntary_cs_per_op": 0.5, "involuntary_cs_per_op": 0.0
            });
        }
    }
    fs::write(&path, serde_json::to_string_pretty(&s)?)?;
    Ok(())
}

#[test]
fn compare_shows_cost_a_to_b() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let b = make_run(root.path(), &catalogue())?;
    plant_cost(&a, 20_000.0, 10.0)?;
    plant_cost(&b, 30_000.0, 12.0)?;
    let c = compare(&a, &b, CompareOpts::default())?;
    let row = c.rows.iter().find(|r| r.cost.0.is_some()).ok_or("no row with cost")?;
    assert_eq!(row.cost.1.map(|c| c.cpu_ns_per_op), Some(30_000.0));
    let out = compare_output::render(&c);
    assert!(out.contains("Cost per operation, A → B"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("join_all / tokio-ct") && l.contains("10.0 → 12.0"))
        .ok_or(format!("no cost row in:\n{out}"))?;
    assert!(line.contains("20.0 µs → 30.0 µs") && line.contains("+50"), "{line}");
    Ok(())
}

#[test]
fn runs_without_cost_compare_as_before() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let b = make_run(root.path(), &catalogue())?;
    let out = compare_output::render(&compare(&a, &b, CompareOpts::default())?);
    assert!(!out.contains("Cost per operation"), "{out}");
    Ok(())
}

/// `--task-metrics` gives every runtime a `poll_duration` and a `wake_to_poll` row, and the
/// summary states the wrapper's cost per poll.
#[test]
fn task_metrics_rows_on_every_runtime() -> TestResult {
    use std::ffi::OsStr;
    let root = tempfile::tempdir()?;
    // The multi-thread rows of primitives are in the full tier.
    let (code, out, err) = crate::common::cli_env(
        &[("ASYNCBENCH_TIER", "full")],
        &[
            OsStr::new("run"),
            OsStr::new("--scenario"),
            OsStr::new("primitives"),
            OsStr::new("--variant"),
            OsStr::new("spawn_join"),
            OsStr::new("--batches"),
            OsStr::new("2"),
            OsStr::new("--rounds"),
            OsStr::new("1"),
            OsStr::new("--task-metrics"),
            OsStr::new("--results"),
            root.path().as_os_str(),
        ],
    )?;
    assert_eq!(code, 0, "{out}{err}");
    let summary = fs::read_dir(root.path())?
        .flatten()
        .map(|e| e.path().join("summary.json"))
        .find(|p| p.exists())
        .ok_or("no summary.json")?;
    let s: asyncbench::results::Summary = serde_json::from_str(&fs::read_to_string(summary)?)?;
    let info = s.cost_info.as_ref().ok_or("no cost_info")?;
    assert!(info.task_metrics && info.task_metrics_overhead_ns.is_some(), "{info:?}");
    for rt in ["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"] {
        for metric in ["poll_duration", "wake_to_poll"] {
            let row = s
                .results
                .iter()
                .find(|r| r.runtime == rt && r.metric == metric)
                .ok_or(format!("{rt}: no {metric} row"))?;
            assert!(row.samples > 0, "{rt} {metric}: {row:?}");
        }
        let primary = s
            .results
            .iter()
            .find(|r| r.runtime == rt && r.metric == "latency")
            .ok_or("no primary row")?;
        // Every case carries its cost; spawn_join spawns a task per op, so it allocates per op.
        let cost = primary.cost.ok_or(format!("{rt}: no cost"))?;
        assert!(cost.allocs_per_op.is_some_and(|a| a >= 1.0), "{rt}: {cost:?}");
    }
    Ok(())
}
