//! Scenario files: the shipped ones load, and every class of bad file gets a
//! message naming the file, line, column, key and the allowed values; the
//! CLI exits 2 on them.

use std::path::Path;
use std::process::Command;

use asyncbench::scenario::{self, ScenarioError};

use crate::common::{ScenarioToml, async_runtimes};

/// A small valid fetch_parallel: 2 variants × 1 connection mode × 2 runtimes.
fn good() -> ScenarioToml {
    ScenarioToml::from_file("fetch_parallel")
        .runtimes(["tokio-ct", "smol-ct"])
        .set("variants", ["sequential", "join_all"])
        .set("params.requests", 4)
        .set("params.delay_ms", 10)
        .set("params.bound", 2)
        .set("params.timeout_ms", 5000)
        .set("params.connections", ["fresh"])
}

/// A syntax error (line 7) cannot be expressed in a TOML document, so this file is written out
/// whole.
const MALFORMED: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct", "smol-ct"]
variants = ["sequential", "join_all"]

[params]
requests = = 4
delay_ms = 10
bound = 2
timeout_ms = 5000
connections = ["fresh"]
"#;

#[test]
fn shipped_scenarios_load() {
    let all = scenario::load_dir(&scenario::default_dir()).expect("scenarios/ is valid");
    let names: Vec<_> = all.iter().map(|s| s.header().name.as_str()).collect();
    assert!(
        names.contains(&"fetch_parallel") && names.contains(&"sync_vs_async"),
        "{names:?}"
    );
}

#[test]
fn good_file_loads_with_its_cases() {
    let s = good().load();
    // 2 variants × 1 connection mode × 2 runtimes
    assert_eq!(s.cases().len(), 4);
    let seq = s.cases().into_iter().find(|c| c.variant == "sequential-fresh").unwrap();
    assert_eq!(seq.ideal.unwrap().ns, 4 * 10_000_000);
}

#[test]
fn malformed_toml_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(&p, MALFORMED).unwrap();
    let e: ScenarioError = match scenario::load_file(&p) {
        Ok(_) => panic!("expected an error for:\n{MALFORMED}"),
        Err(e) => e,
    };
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.to_string().contains("s.toml:7:"), "{e}");
}

#[test]
fn wrong_type_names_the_key_position() {
    let file = good().set("params.delay_ms", "ten");
    let e = file.load_err();
    assert_eq!(e.line, Some(file.line_of("params.delay_ms")), "{e}");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn unknown_key_is_rejected() {
    let file = good().set_new("params.burst", 3);
    let e = file.load_err();
    assert!(e.message.contains("unknown field `burst`"), "{e}");
    assert_eq!(e.line, Some(file.line_of("params.burst")), "{e}");
}

#[test]
fn unknown_runtime_lists_the_allowed_ones() {
    let file = good().runtimes(["tokio-ct", "glommio"]);
    let e = file.load_err();
    assert_eq!(e.key.as_deref(), Some("runtimes"));
    let at = (file.line_of("runtimes"), file.col_of("runtimes", "\"glommio\""));
    assert_eq!((e.line, e.col), (Some(at.0), Some(at.1)), "{e}");
    let allowed = async_runtimes().join(", ");
    assert!(
        e.message
            .contains(&format!("unknown runtime `glommio`: allowed {allowed}")),
        "{e}"
    );
}

#[test]
fn runtime_that_does_not_apply_is_rejected() {
    let e = good().runtimes(["tokio-ct", "rayon"]).load_err();
    assert!(e.message.contains("does not apply to this scenario"), "{e}");
}

#[test]
fn out_of_range_values_name_the_range() {
    let file = good().set("params.requests", 1_000_000_000);
    let e = file.load_err();
    assert_eq!(e.key.as_deref(), Some("params.requests"));
    assert!(
        e.message.contains("1000000000 is out of range: allowed 1..=10000"),
        "{e}"
    );
    assert_eq!(e.line, Some(file.line_of("params.requests")));

    let e = good().set("params.delay_ms", 60001).load_err();
    assert!(e.message.contains("allowed 0..=60000"), "{e}");

    let e = good().set("params.bound", 5).load_err();
    assert!(e.message.contains("allowed 1..=4"), "bound is limited by requests: {e}");

    let e = good().set("params.timeout_ms", 0).load_err();
    assert!(e.message.contains("allowed 1..=600000"), "{e}");

    let e = good().set("criterion.measurement_secs", 0.0).load_err();
    assert_eq!(e.key.as_deref(), Some("criterion.measurement_secs"));

    let e = good().set_new("gate_pct", 150.0).load_err();
    assert_eq!(e.key.as_deref(), Some("gate_pct"));
    assert!(e.message.contains("allowed 0..=100"), "{e}");
}

#[test]
fn unknown_variant_and_scenario() {
    let file = good().set("variants", ["sequential", "gather"]);
    let e = file.load_err();
    let at = (file.line_of("variants"), file.col_of("variants", "\"gather\""));
    assert_eq!((e.line, e.col), (Some(at.0), Some(at.1)), "{e}");
    assert!(
        e.message
            .contains("unknown variant `gather`, expected one of `sequential`, `join_all`, `spawned`, `bounded`"),
        "{e}"
    );
    let e = good().set("scenario", "nope").load_err();
    assert!(e.message.contains("unknown scenario `nope`"), "{e}");
}

#[test]
fn negative_number_is_a_type_error_not_a_wrap() {
    let file = good().set("params.requests", -4);
    let e = file.load_err();
    assert_eq!(e.line, Some(file.line_of("params.requests")), "{e}");
}

fn asyncbench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(args)
        .output()
        .expect("binary runs")
}

#[test]
fn cli_list_shows_every_scenario() {
    let out = asyncbench(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("fetch_parallel") && text.contains("guide:") && text.contains("async-std (legacy)"),
        "{text}"
    );
}

#[test]
fn cli_exits_2_on_a_bad_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = good().set("params.requests", 0);
    let path = file.write(dir.path());
    let out = asyncbench(&["list", "--scenarios", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let (line, col) = (file.line_of("params.requests"), file.col_of("params.requests", "0"));
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        err.contains(&format!(
            "{name}:{line}:{col}: `params.requests`: 0 is out of range: allowed 1..=10000"
        )),
        "{err}"
    );
}

#[test]
fn cli_run_rejects_unknown_runtime_and_missing_dir() {
    let out = asyncbench(&["run", "--runtime", "tokio"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown runtime `tokio`"));

    let out = asyncbench(&["list", "--scenarios", "/nonexistent/scenarios"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/scenarios"));
    assert!(!Path::new("/nonexistent").exists());
}

/// The default tier leaves a file's `full_tier` cases out of a real run: no row of them, the
/// summary names them with the file's reason, and the report says how to run them;
/// `ASYNCBENCH_TIER=full` runs them.
#[test]
fn the_default_tier_leaves_full_tier_cases_out_and_says_so() -> crate::common::TestResult {
    use std::ffi::OsStr;
    let run = |tier: &str| -> Result<(asyncbench::results::Summary, String), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let args: Vec<&OsStr> = [
            "run",
            "--scenario",
            "structured",
            "--variant",
            "all_succeed",
            "--rounds",
            "1",
            "--batches",
            "2",
            "--results",
        ]
        .iter()
        .map(OsStr::new)
        .chain([root.path().as_os_str()])
        .collect();
        let (code, out, err) = crate::common::cli_env(&[("ASYNCBENCH_TIER", tier)], &args)?;
        assert_eq!(code, 0, "{out}{err}");
        let dir = std::fs::read_dir(root.path())?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("summary.json").exists())
            .ok_or("no run directory")?;
        let s = asyncbench::results::Summary::read(&dir.join("summary.json"))?;
        // The run line (REPORT.md) names the tier; the scenario's page lists the cases.
        let md = std::fs::read_to_string(dir.join("REPORT.md"))?
            + &std::fs::read_to_string(dir.join("scenarios/structured.md"))?;
        Ok((s, md))
    };
    let (s, md) = run("default")?;
    let runtimes: std::collections::BTreeSet<&str> = s.results.iter().map(|r| r.runtime.as_str()).collect();
    assert_eq!(runtimes, ["smol-ct", "tokio-ct"].into(), "{runtimes:?}");
    let left: Vec<String> = s.scenarios["structured"]
        .left_out
        .iter()
        .map(|c| format!("{}/{}", c.variant, c.runtime))
        .collect();
    assert!(
        left.contains(&"all_succeed/tokio-mt".to_string()) && left.contains(&"one_fails/async-std".to_string()),
        "{left:?}"
    );
    assert!(
        s.scenarios["structured"]
            .left_out
            .iter()
            .all(|c| c.reason.starts_with("multi-thread runtimes"))
    );
    assert!(
        md.contains("Full tier only") && md.contains("ASYNCBENCH_TIER=full"),
        "{md}"
    );
    let (s, _) = run("full")?;
    assert!(s.results.iter().any(|r| r.runtime == "tokio-mt"));
    assert!(s.scenarios["structured"].left_out.is_empty());
    Ok(())
}
