//! The guide's own Python (asyncio, uvloop) as two external runtimes: finds the
//! interpreter, runs `python/asyncbench_py` as a subprocess against the run's test
//! server with the same scenario file, and turns its rows into the run's rows
//! (summary.json/CSV and `.hgrm`/`.hlog` written by the same code as the Rust rows).
//!
//! The contract (arguments, the JSON handed back) is documented in
//! `python/asyncbench_py/__init__.py`; [`record`] reads it.
//!
//! When the rows are included: `ASYNCBENCH_PYTHON=0` never; `ASYNCBENCH_PYTHON=1`
//! always (the venv's interpreter if `target/pyenv` exists, else `python3`), as does
//! `ASYNCBENCH_PYTHON=/path/to/python`;
//! unset, whenever `target/pyenv` exists (made by `scripts/python-env.sh`). A missing
//! or broken Python never fails a run: it is one line saying why the rows were skipped.

pub mod record;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::runtime::ExternalFlavor;
use crate::scenario::ScenarioDef;

/// The rows' runtime names, in table order: the registry's external entries.
pub const RUNTIMES: [&str; ExternalFlavor::ALL.len()] = ExternalFlavor::NAMES;

/// Whether the Python side implements scenario `name`: one module per scenario in
/// `python/asyncbench_py/scenarios/` (the package's own `SCENARIOS` lists the same files, and
/// its pytest checks every scenario file against them), so there is no second list to keep.
pub fn has_python_side(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && project_dir()
            .join("python/asyncbench_py/scenarios")
            .join(format!("{name}.py"))
            .is_file()
}

/// The environment variable that turns the rows on (`1`) or off (`0`).
pub const ENV_VAR: &str = "ASYNCBENCH_PYTHON";

/// How to get the rows, for the one skip line (the registry states it, so the report and the
/// CLI say the same without naming this module).
pub const HOW_TO_ENABLE: &str = crate::runtime::EXTERNAL_HOW_TO_ENABLE;

/// Longest one scenario's Python side may take before it is killed (its cases fail).
const SCENARIO_LIMIT: Duration = Duration::from_secs(300);

/// How many batches a round has on the Python side (mirrors `BATCHES` in `__main__.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyMode {
    Full,
    Quick,
    Test,
}

impl PyMode {
    fn arg(self) -> &'static str {
        match self {
            PyMode::Full => "full",
            PyMode::Quick => "quick",
            PyMode::Test => "test",
        }
    }
}

/// A working interpreter with the pinned packages.
#[derive(Debug, Clone)]
pub struct PythonSide {
    pub python: PathBuf,
    /// `python/`, put on `PYTHONPATH`.
    pub package_dir: PathBuf,
    /// Interpreter and package versions, for env.json.
    pub versions: BTreeMap<String, String>,
    pub mode: PyMode,
    /// Batches and warm-up batches per round, when the entry point sets them
    /// (`asyncbench run --batches/--warmup`); otherwise by `mode`.
    pub batches: Option<u64>,
    pub warmup: Option<u64>,
}

/// The project's `python/` and the venv's interpreter.
fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn venv_python() -> PathBuf {
    project_dir().join("target/pyenv/bin/python")
}

/// Whether the rows are wanted and possible. `Err` is the one line to print
/// (why they were skipped and how to enable them). `asked` is true when the user
/// asked for them some other way (e.g. `--runtime asyncio`).
pub fn detect(mode: PyMode, asked: bool) -> Result<PythonSide, String> {
    let setting = std::env::var(ENV_VAR).unwrap_or_default();
    let venv = venv_python();
    let python = match setting.as_str() {
        "0" | "off" | "no" => return Err(format!("{ENV_VAR}={setting}")),
        "1" | "on" | "yes" => {
            if venv.exists() {
                venv
            } else {
                PathBuf::from("python3")
            }
        }
        "" if venv.exists() => venv,
        "" if asked => PathBuf::from("python3"),
        "" => return Err(format!("no {}", rel(&venv))),
        // A path: that interpreter (it must have the pinned packages).
        path if path.contains('/') => PathBuf::from(path),
        other => return Err(format!("{ENV_VAR}={other}: allowed 0, 1 or a path to a python")),
    };
    let package_dir = project_dir().join("python");
    let versions = probe(&python, &package_dir)?;
    Ok(PythonSide {
        python,
        package_dir,
        versions,
        mode,
        batches: None,
        warmup: None,
    })
}

fn rel(p: &Path) -> String {
    p.strip_prefix(project_dir()).unwrap_or(p).display().to_string()
}

/// Imports the package and its dependencies once and reads their versions: a broken
/// environment is found here, before any case, and named.
fn probe(python: &Path, package_dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import json, aiohttp, uvloop, aiofiles, requests, hdrh\n\
             from asyncbench_py.__main__ import versions\nprint(json.dumps(versions()))",
        ])
        .env("PYTHONPATH", package_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!("{} cannot import the Python side: {last}", python.display()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{}: unreadable versions: {e}", python.display()))
}

/// The line printed (and kept in the run) when the rows are skipped.
pub fn skip_line(reason: &str) -> String {
    format!("asyncbench: asyncio/uvloop rows skipped ({reason}): {HOW_TO_ENABLE}")
}

/// Runs the Python side of `s` (all its cases on both runtimes, `rounds` rounds) against
/// `server`, keeping its files under `<run_path>/python`, and returns what the harness records.
/// Empty for a scenario without a Python side. Failures become failure outcomes of the Python
/// cases, never an error of the run.
pub fn run_scenario(
    run_path: &Path,
    server: std::net::SocketAddr,
    s: &dyn ScenarioDef,
    side: &PythonSide,
    (rounds, seed): (u32, u64),
    variants: &[String],
) -> Vec<record::Outcome> {
    let name = s.header().name.clone();
    if !has_python_side(&name) {
        return Vec::new();
    }
    let out_dir = run_path.join("python");
    let result = invoke(
        side,
        s.header().path.as_path(),
        server,
        &out_dir,
        rounds,
        seed,
        variants,
    )
    .and_then(|()| record::read(&out_dir.join(format!("{name}.json"))));
    match result {
        Ok(rows) => record::outcomes(s, rows),
        Err(e) => record::all_failed(&e),
    }
}

/// Runs `python -m asyncbench_py` for one scenario file; its stderr goes to
/// `<out>/<scenario>.log`. Killed after [`SCENARIO_LIMIT`].
fn invoke(
    side: &PythonSide,
    scenario: &Path,
    server: std::net::SocketAddr,
    out_dir: &Path,
    rounds: u32,
    seed: u64,
    variants: &[String],
) -> Result<(), String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let stem = scenario.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
    let log_path = out_dir.join(format!("{stem}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut cmd = Command::new(&side.python);
    cmd.args(["-m", "asyncbench_py"]);
    if let Some(b) = side.batches {
        cmd.args(["--batches", &b.to_string()]);
    }
    if let Some(w) = side.warmup {
        cmd.args(["--warmup", &w.to_string()]);
    }
    if !variants.is_empty() {
        cmd.args(["--variants", &variants.join(",")]);
    }
    let mut child = cmd
        .args(["--scenario"])
        .arg(scenario)
        .arg("--server")
        .arg(server.to_string())
        .arg("--out")
        .arg(out_dir)
        .args(["--rounds", &rounds.to_string(), "--mode", side.mode.arg()])
        .args(["--runtimes", &RUNTIMES.join(","), "--seed", &seed.to_string()])
        .env("PYTHONPATH", &side.package_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", side.python.display()))?;
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if t0.elapsed() > SCENARIO_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the Python side took longer than {} s",
                    SCENARIO_LIMIT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for the Python side: {e}")),
        }
    };
    if !status.success() {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let last = text.lines().last().unwrap_or("").trim().to_string();
        return Err(format!(
            "the Python side exited with {status}: {last} (log: {})",
            log_path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_python_side;

    #[test]
    fn the_guides_scenarios_have_a_python_side_and_the_rust_only_ones_do_not() {
        assert!(has_python_side("fetch_parallel") && has_python_side("udp_echo"));
        assert!(!has_python_side("task_memory") && !has_python_side("http_server"));
        assert!(!has_python_side("../fetch_parallel") && !has_python_side(""));
    }
}
