//! Ground truth for cost per operation on real cases (issue 21, item 10): on a row whose
//! side under test is one thread, the CPU per operation cannot exceed the wall time per
//! operation, since a thread runs at most for as long as it exists. Before the cost was
//! counted over the timed region only, file_read/std_sequential/threads read 3 CPUs' worth
//! (its SipHash check was charged) and timeout/in_time on -ct ~1.6× its wall (the bare
//! chunks were). The planted answers for the counters themselves are in `tests/cost.rs`.

use std::ffi::OsStr;
use std::fs;

use crate::common::TestResult;

/// Runs `args` as a one-round CLI run and returns its primary rows as JSON.
fn primary_rows(args: &[&str]) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let root = tempfile::tempdir()?;
    let mut all: Vec<&OsStr> = ["run", "--batches", "4", "--rounds", "1"]
        .iter()
        .map(OsStr::new)
        .collect();
    all.extend(args.iter().map(OsStr::new));
    all.extend([OsStr::new("--results"), root.path().as_os_str()]);
    let (code, out, err) = crate::common::cli(&all)?;
    assert_eq!(code, 0, "{out}{err}");
    let summary = fs::read_dir(root.path())?
        .flatten()
        .map(|e| e.path().join("summary.json"))
        .find(|p| p.exists())
        .ok_or("no summary.json")?;
    let s: serde_json::Value = serde_json::from_str(&fs::read_to_string(summary)?)?;
    Ok(s["results"]
        .as_array()
        .ok_or("no results")?
        .iter()
        .filter(|r| r["metric"] == "latency")
        .cloned()
        .collect())
}

/// CPU per op ≤ wall per op on every row of `args`; returns how many rows were checked.
fn cpu_within_wall(args: &[&str]) -> Result<usize, Box<dyn std::error::Error>> {
    let rows = primary_rows(args)?;
    for r in &rows {
        let name = format!("{}/{}/{}", r["scenario"], r["variant"], r["runtime"]);
        let cost = &r["cost"];
        let cpu = cost["cpu_ns_per_op"].as_f64().ok_or(format!("{name}: no cost: {r}"))?;
        let ops = cost["ops"].as_f64().ok_or("no ops")?;
        let wall = &r["wall_ns"];
        let wall_total = wall["mean"].as_f64().ok_or("no wall")? * wall["batches"].as_f64().ok_or("no batches")?;
        let wall_per_op = wall_total / ops;
        // The CPU window encloses the wall clock's reads by two CPU-clock reads per timed
        // segment (tens of ns): that much slack, nothing more.
        assert!(
            cpu > 0.0 && cpu <= wall_per_op * 1.02 + 100.0,
            "{name}: CPU {cpu:.0} ns per op > wall {wall_per_op:.0} ns per op"
        );
    }
    Ok(rows.len())
}

#[test]
fn file_read_std_sequential_cpu_within_wall() -> TestResult {
    let n = cpu_within_wall(&[
        "--scenario",
        "file_read",
        "--variant",
        "std_sequential",
        "--runtime",
        "threads",
    ])?;
    assert_eq!(n, 1);
    Ok(())
}

#[test]
fn timeout_in_time_on_current_thread_cpu_within_wall() -> TestResult {
    let n = cpu_within_wall(&[
        "--scenario",
        "timeout",
        "--variant",
        "in_time",
        "--runtime",
        "tokio-ct",
        "--runtime",
        "smol-ct",
    ])?;
    assert_eq!(n, 2);
    Ok(())
}

#[test]
fn primitives_on_current_thread_cpu_within_wall() -> TestResult {
    let n = cpu_within_wall(&[
        "--scenario",
        "primitives",
        "--runtime",
        "tokio-ct",
        "--runtime",
        "smol-ct",
    ])?;
    assert_eq!(n, 8);
    Ok(())
}
