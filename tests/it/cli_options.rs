//! The CLI's second step end to end: where runs go (`--results`, `ASYNCBENCH_RESULTS`, the
//! working directory) and how a bad value is reported.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::TINY_FETCH as SCENARIO;

/// `asyncbench run` of one tiny case from `cwd`, with `ASYNCBENCH_RESULTS` set to `env` (or unset).
fn run_from(cwd: &Path, env: Option<&Path>, extra: &[&str]) -> Output {
    let scenarios = cwd.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("f.toml"), SCENARIO).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asyncbench"));
    cmd.current_dir(cwd)
        .args(["run", "--batches", "1", "--warmup", "0", "--scenarios"])
        .arg(&scenarios)
        .args(extra);
    match env {
        Some(e) => cmd.env("ASYNCBENCH_RESULTS", e),
        None => cmd.env_remove("ASYNCBENCH_RESULTS"),
    };
    cmd.output().unwrap()
}

/// The run directory `asyncbench run` printed, checked to lie in `root`.
fn run_dir_in(out: &Output, root: &Path) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    let dir = Path::new(printed.trim());
    assert!(
        dir.starts_with(root),
        "{} is not under {}",
        dir.display(),
        root.display()
    );
    assert!(dir.join("summary.json").is_file());
}

#[test]
fn outside_the_source_tree_runs_go_to_the_working_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let cwd = cwd.path().canonicalize().unwrap();
    let out = run_from(&cwd, None, &[]);
    run_dir_in(&out, &cwd.join("results"));
}

#[test]
fn the_environment_moves_runs_and_the_flag_beats_it() {
    let cwd = tempfile::tempdir().unwrap();
    let env = cwd.path().join("from-env");
    run_dir_in(&run_from(cwd.path(), Some(&env), &[]), &env);

    let flag = cwd.path().join("from-flag");
    let out = run_from(cwd.path(), Some(&env), &["--results", flag.to_str().unwrap()]);
    run_dir_in(&out, &flag);
}

#[test]
fn help_says_which_default_applies_here() {
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .current_dir(cwd.path())
        .env_remove("ASYNCBENCH_RESULTS")
        .args(["plot", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("ASYNCBENCH_RESULTS"), "{help}");
    assert!(help.contains("outside the source tree"), "{help}");
}

#[test]
fn a_bad_value_exits_2_naming_flag_value_and_range() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run_from(cwd.path(), None, &["--workers", "2000"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--workers 2000: out of range: allowed 1..=1024"), "{err}");
    assert!(!cwd.path().join("results").exists(), "nothing written");
}
