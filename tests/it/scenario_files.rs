//! Scenario files: the shipped ones load, and every class of bad file gets a
//! message naming the file, line, column, key and the allowed values; the
//! CLI exits 2 on them.

use std::path::Path;
use std::process::Command;

use asyncbench::scenario::{self, ScenarioError};

const GOOD: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct", "smol-ct"]
variants = ["sequential", "join_all"]

[params]
requests = 4
delay_ms = 10
bound = 2
timeout_ms = 5000
connections = ["fresh"]
"#;

fn load_text(text: &str) -> Result<Box<dyn scenario::ScenarioDef>, ScenarioError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(&p, text).unwrap();
    scenario::load_file(&p)
}

fn err(text: &str) -> ScenarioError {
    match load_text(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

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
    let s = load_text(GOOD).unwrap();
    // 2 variants × 1 connection mode × 2 runtimes
    assert_eq!(s.cases().len(), 4);
    let seq = s.cases().into_iter().find(|c| c.variant == "sequential-fresh").unwrap();
    assert_eq!(seq.ideal.unwrap().ns, 4 * 10_000_000);
}

#[test]
fn malformed_toml_names_line_and_column() {
    let e = err(&GOOD.replace("requests = 4", "requests = = 4"));
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.to_string().contains("s.toml:7:"), "{e}");
}

#[test]
fn wrong_type_names_the_key_position() {
    let e = err(&GOOD.replace("delay_ms = 10", "delay_ms = \"ten\""));
    assert_eq!(e.line, Some(8), "{e}");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn unknown_key_is_rejected() {
    let e = err(&GOOD.replace("bound = 2", "bound = 2\nburst = 3"));
    assert!(e.message.contains("unknown field `burst`"), "{e}");
    assert_eq!(e.line, Some(10), "{e}");
}

#[test]
fn unknown_runtime_lists_the_allowed_ones() {
    let e = err(&GOOD.replace("\"smol-ct\"]", "\"glommio\"]"));
    assert_eq!(e.key.as_deref(), Some("runtimes"));
    assert_eq!((e.line, e.col), (Some(3), Some(25)), "{e}");
    assert!(
        e.message
            .contains("unknown runtime `glommio`: allowed tokio-ct, tokio-mt, async-std, smol-ct, smol-mt"),
        "{e}"
    );
}

#[test]
fn runtime_that_does_not_apply_is_rejected() {
    let e = err(&GOOD.replace("\"smol-ct\"]", "\"rayon\"]"));
    assert!(e.message.contains("does not apply to this scenario"), "{e}");
}

#[test]
fn out_of_range_values_name_the_range() {
    let e = err(&GOOD.replace("requests = 4", "requests = 1000000000"));
    assert_eq!(e.key.as_deref(), Some("params.requests"));
    assert!(
        e.message.contains("1000000000 is out of range: allowed 1..=10000"),
        "{e}"
    );
    assert_eq!(e.line, Some(7));

    let e = err(&GOOD.replace("delay_ms = 10", "delay_ms = 60001"));
    assert!(e.message.contains("allowed 0..=60000"), "{e}");

    let e = err(&GOOD.replace("bound = 2", "bound = 5"));
    assert!(e.message.contains("allowed 1..=4"), "bound is limited by requests: {e}");

    let e = err(&GOOD.replace("timeout_ms = 5000", "timeout_ms = 0"));
    assert!(e.message.contains("allowed 1..=600000"), "{e}");

    let e = err(&format!("{GOOD}\n[criterion]\nmeasurement_secs = 0.0\n"));
    assert_eq!(e.key.as_deref(), Some("criterion.measurement_secs"));
}

#[test]
fn unknown_variant_and_scenario() {
    let e = err(&GOOD.replace("\"join_all\"]", "\"gather\"]"));
    assert_eq!((e.line, e.col), (Some(4), Some(27)), "{e}");
    assert!(
        e.message
            .contains("unknown variant `gather`, expected one of `sequential`, `join_all`, `spawned`, `bounded`"),
        "{e}"
    );
    let e = err(&GOOD.replace("scenario = \"fetch_parallel\"", "scenario = \"nope\""));
    assert!(e.message.contains("unknown scenario `nope`"), "{e}");
}

#[test]
fn negative_number_is_a_type_error_not_a_wrap() {
    let e = err(&GOOD.replace("requests = 4", "requests = -4"));
    assert_eq!(e.line, Some(7), "{e}");
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
    std::fs::write(
        dir.path().join("bad.toml"),
        GOOD.replace("requests = 4", "requests = 0"),
    )
    .unwrap();
    let out = asyncbench(&["list", "--scenarios", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:7:12: `params.requests`: 0 is out of range: allowed 1..=10000"),
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
