//! `asyncbench export`: the Bencher Metric Format and github-action-benchmark files fit each
//! format's documented shape (`tests/schemas/`), carry a planted run's known figures, and a
//! run that is missing is bad input.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use asyncbench::measure::ErrorKind;
use serde_json::{Value, json};

use crate::common::{Case, TINY_FETCH, TestResult, cli, make_run};
use crate::schema::check;

fn schema(name: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas").join(name);
    Ok(serde_json::from_str(&fs::read_to_string(path)?)?)
}

/// The paths of `v` that do not fit `schema`.
fn misfits(schema: &Value, v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    check(schema, schema, v, "export", true, &mut errs);
    errs
}

/// `asyncbench export RUN --format FORMAT -o FILE`; returns the file's JSON and stderr.
fn export(run: &Path, format: &str) -> Result<(Value, String), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out.json");
    let args = [
        OsStr::new("export"),
        run.as_os_str(),
        OsStr::new("--format"),
        OsStr::new(format),
        OsStr::new("-o"),
        out.as_os_str(),
    ];
    let (code, _, err) = cli(&args)?;
    assert_eq!(code, 0, "{err}");
    Ok((serde_json::from_str(&fs::read_to_string(&out)?)?, err))
}

const FORMATS: [(&str, &str); 2] = [
    ("bmf", "bmf.schema.json"),
    ("github-action-benchmark", "github-action-benchmark.schema.json"),
];

#[test]
fn exports_of_the_reference_run_fit_each_documented_shape() -> TestResult {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference");
    for (format, file) in FORMATS {
        let (v, _) = export(&reference, format)?;
        let errs = misfits(&schema(file)?, &v);
        assert!(errs.is_empty(), "{format}:\n{}", errs.join("\n"));
    }
    let (bmf, _) = export(&reference, "bmf")?;
    // Every case of the reference run with a successful operation has a value.
    let summary: serde_json::Value = serde_json::from_str(&fs::read_to_string(reference.join("summary.json"))?)?;
    let cases = summary["results"]
        .as_array()
        .ok_or("results")?
        .iter()
        .filter(|r| r["metric"] == "latency" && r["samples"].as_u64().unwrap_or(0) > 0)
        .count();
    assert!(cases > 0);
    assert_eq!(bmf.as_object().ok_or("object")?.len(), cases);
    Ok(())
}

#[test]
fn the_checker_rejects_what_the_formats_do_not_allow() -> TestResult {
    let bmf = schema("bmf.schema.json")?;
    assert!(misfits(&bmf, &json!({"a/b/c": {"latency": {"value": 1.0}}})).is_empty());
    for bad in [
        json!({"a": {"latency": {"value": "1"}}}),
        json!({"a": {"latency": {"lower_value": 1.0}}}),
        json!({"a": {"latency": 3}}),
        json!([]),
    ] {
        assert!(!misfits(&bmf, &bad).is_empty(), "{bad} should not fit");
    }
    let gab = schema("github-action-benchmark.schema.json")?;
    assert!(misfits(&gab, &json!([{"name": "a", "unit": "ns", "value": 1}])).is_empty());
    for bad in [
        json!([{"name": "a", "unit": "ns"}]),
        json!([{"name": "a", "unit": "ns", "value": 1, "range": 3}]),
        json!([{"name": "a", "unit": "ns", "value": 1, "colour": "red"}]),
        json!({"name": "a", "unit": "ns", "value": 1}),
    ] {
        assert!(!misfits(&gab, &bad).is_empty(), "{bad} should not fit");
    }
    Ok(())
}

#[test]
fn a_planted_run_exports_its_known_figures_and_names_a_failed_case() -> TestResult {
    let root = tempfile::tempdir()?;
    // 3 batches of 900/1000/1100 µs → value 1 ms; the async-std case has no successful operation.
    let mut ok = Case::new("fetch_parallel", "join_all", "tokio-ct");
    ok.batches_ns = vec![900_000, 1_000_000, 1_100_000];
    ok.latencies_ns = vec![500_000; 99].into_iter().chain([2_000_000]).collect();
    let mut failed = Case::new("fetch_parallel", "join_all", "async-std");
    failed.latencies_ns.clear();
    failed.batches_ns.clear();
    failed.errors.add(ErrorKind::Connect, 4);
    let run = make_run(root.path(), &[ok, failed])?;

    let (bmf, err) = export(&run, "bmf")?;
    assert!(err.contains("fetch_parallel/join_all/async-std"), "{err}");
    let case = &bmf["fetch_parallel/join_all/tokio-ct"];
    assert_eq!(case["latency"]["value"].as_f64(), Some(1_000_000.0));
    let p50 = case["op-p50"]["value"].as_f64().ok_or("p50")?;
    let max = case["op-max"]["value"].as_f64().ok_or("max")?;
    // HdrHistogram at 3 significant digits: within 0.1% of the planted values.
    assert!((p50 / 500_000.0 - 1.0).abs() < 1e-3, "{p50}");
    assert!((max / 2_000_000.0 - 1.0).abs() < 1e-3, "{max}");
    assert!(bmf.get("fetch_parallel/join_all/async-std").is_none());

    let (gab, _) = export(&run, "github-action-benchmark")?;
    let first = &gab[0];
    assert_eq!(first["name"], json!("fetch_parallel/join_all/tokio-ct"));
    assert_eq!(first["value"].as_f64(), Some(1_000_000.0));
    assert_eq!(first["unit"], json!("ns"));
    Ok(())
}

#[test]
fn a_real_run_exports_and_a_missing_one_is_bad_input() -> TestResult {
    let root = tempfile::tempdir()?;
    let scenarios = root.path().join("scenarios");
    fs::create_dir(&scenarios)?;
    fs::write(scenarios.join("fetch_parallel.toml"), TINY_FETCH)?;
    let args: Vec<&OsStr> = ["run", "--batches", "2", "--warmup", "0", "--scenarios"]
        .iter()
        .map(OsStr::new)
        .chain([scenarios.as_os_str(), OsStr::new("--results"), root.path().as_os_str()])
        .collect();
    let (code, out, err) = cli(&args)?;
    assert_eq!(code, 0, "{err}");
    let run = PathBuf::from(out.trim());
    for (format, file) in FORMATS {
        let (v, _) = export(&run, format)?;
        let errs = misfits(&schema(file)?, &v);
        assert!(errs.is_empty(), "{format}:\n{}", errs.join("\n"));
    }
    // To stdout without -o.
    let (code, out, err) = cli(&[
        OsStr::new("export"),
        run.as_os_str(),
        OsStr::new("--format"),
        OsStr::new("bmf"),
    ])?;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out)?;
    assert!(v.get("fetch_parallel/sequential-keepalive/tokio-ct").is_some(), "{out}");

    let missing = root.path().join("nope");
    let (code, _, err) = cli(&[
        OsStr::new("export"),
        missing.as_os_str(),
        OsStr::new("--format"),
        OsStr::new("bmf"),
    ])?;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = cli(&[
        OsStr::new("export"),
        run.as_os_str(),
        OsStr::new("--format"),
        OsStr::new("csv"),
    ])?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bmf") && err.contains("github-action-benchmark"), "{err}");
    Ok(())
}
