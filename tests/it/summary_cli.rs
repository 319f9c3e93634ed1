//! What `asyncbench run` ends with: the table of figures, loud errors with exit code 1 and an
//! untouched `latest` (unless `--allow-errors`), JSON rows for scripts, and durations with units.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::TINY_FETCH as SCENARIO;

/// The header line of the table `run` printed on stderr.
fn table_header(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("| case"))
        .unwrap_or_else(|| panic!("{err}"))
}

const CASE: &str = "fetch_parallel/sequential-keepalive/tokio-ct";

/// `asyncbench run` of one tiny case into `dir/results`, with `extra` options.
fn run(dir: &Path, extra: &[&str]) -> Output {
    run_file(dir, SCENARIO, extra)
}

/// Every request of this one times out (5 ms timeout on a 50 ms delay).
const TIMING_OUT: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct"]
variants = ["sequential"]
[params]
requests = 2
delay_ms = 50
bound = 1
timeout_ms = 5
connections = ["keepalive"]
"#;

/// [`run`] of the scenario file `toml`.
fn run_file(dir: &Path, toml: &str, extra: &[&str]) -> Output {
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("f.toml"), toml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["run", "--batches", "1", "--warmup", "0", "--rounds", "1", "--scenarios"])
        .arg(&scenarios)
        .arg("--results")
        .arg(dir.join("results"))
        .args(extra)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The run directory: the last line of stdout.
fn printed_dir(out: &Output) -> PathBuf {
    let stdout = text(&out.stdout);
    PathBuf::from(
        stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no stdout: {}", text(&out.stderr))),
    )
}

fn latest(dir: &Path) -> Option<PathBuf> {
    std::fs::read_link(dir.join("results").join("latest")).ok()
}

#[test]
fn run_ends_with_a_table_of_the_cases_and_the_path_last() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let header = table_header(&err);
    assert!(header.contains("p99") && header.contains("errors"), "{header}");
    let (scenario, case) = CASE.split_once('/').unwrap();
    assert!(
        err.lines().any(|l| l.starts_with(&format!("{scenario}: value = "))),
        "{err}"
    );
    assert!(err.lines().any(|l| l.starts_with(&format!("| {case} "))), "{err}");
    assert!(
        err.lines()
            .filter(|l| l.starts_with('|'))
            .all(|l| l.chars().count() <= 120),
        "{err}"
    );
    let run_dir = printed_dir(&out);
    assert!(run_dir.join("summary.json").is_file(), "{}", run_dir.display());
    assert_eq!(latest(dir.path()), run_dir.file_name().map(PathBuf::from));

    let out = run(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    let rows = json["results"].as_array().expect("an array of rows");
    let warnings = json["warnings"].as_array().expect("the run's warnings");
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains("debug")),
        "a debug build's warning: {warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.as_str().unwrap().contains("multi-thread")),
        "no shared-cores warning without a multi-thread runtime: {warnings:?}"
    );
    assert_eq!(
        json["run_dir"].as_str().map(PathBuf::from),
        latest(dir.path()).map(|l| dir.path().join("results").join(l))
    );
    assert!(
        rows.iter()
            .any(|r| r["metric"] == "latency" && r["latency_ns"]["p99"].is_u64()),
        "{rows:?}"
    );
}

#[test]
fn a_dead_server_fails_within_5_s_before_any_case_naming_the_address_and_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    // A loopback port nobody listens on.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let t0 = std::time::Instant::now();
    let out = run(dir.path(), &["--server", &addr.to_string()]);
    let took = t0.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}: {err}");
    assert!(err.contains(&addr.to_string()) && err.contains("TCP connect"), "{err}");
    assert!(!err.contains(CASE), "no case ran: {err}");
    assert!(!dir.path().join("results").exists(), "no run directory: {err}");
}

#[test]
fn failed_operations_fail_the_run_name_the_error_kinds_and_keep_latest() {
    let dir = tempfile::tempdir().unwrap();
    let good = run(dir.path(), &[]);
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    let before = latest(dir.path()).expect("a clean run becomes latest");

    let out = run_file(dir.path(), TIMING_OUT, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("FAILED") && l.contains(CASE))
        .unwrap_or_else(|| panic!("no error line for the case: {err}"));
    assert!(line.contains("timeout"), "the kind is named: {line}");
    assert!(err.contains("--allow-errors"), "{err}");
    assert_eq!(latest(dir.path()), Some(before.clone()), "latest does not move");
    let failed_run = printed_dir(&out);
    assert!(failed_run.join("summary.json").is_file(), "the run itself is kept");

    let out = run_file(dir.path(), TIMING_OUT, &["--allow-errors"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("FAILED") && err.contains("timeout"), "still loud: {err}");
    let kept = printed_dir(&out);
    assert_eq!(latest(dir.path()), kept.file_name().map(PathBuf::from), "latest moves");
    assert_ne!(Some(before), latest(dir.path()));
}

#[test]
fn durations_take_units_and_a_bad_one_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["--rate", "20", "--duration", "1s", "--runtime", "tokio-ct"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let header = table_header(&err);
    for col in ["p99 uncorr.", "asked/s", "achieved/s", "lateness p99"] {
        assert!(header.contains(col), "open-loop column {col}: {header}");
    }

    let out = run(dir.path(), &["--rate", "20", "--duration", "5x"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--duration 5x") && err.contains("us, ms, s"), "{err}");
}
