//! Faults a long run must survive: the standalone server killed mid-run,
//! Ctrl-C, an unusable results directory, a port already in use. Each test
//! asserts the exact outcome: exit code, message, files kept or untouched.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct"]
variants = ["sequential"]
[params]
requests = 4
delay_ms = 25
bound = 1
timeout_ms = 2000
connections = ["fresh", "keepalive"]
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asyncbench"))
}

/// Starts `asyncbench serve` on an ephemeral loopback port; returns it and its address.
fn serve() -> (Child, String) {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    (child, addr)
}

fn summary(run_dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).unwrap()).unwrap()
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("process did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killing_the_standalone_server_mid_run_counts_errors_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.toml"), SCENARIO).unwrap();
    let results = dir.path().join("results");
    let (mut server, addr) = serve();
    let mut run = bin()
        // Errors are the point here: keep the run (exit 0, latest moves); summary_cli.rs tests
        // the default (exit 1, latest stays).
        .args([
            "run",
            "--server",
            &addr,
            "--batches",
            "25",
            "--warmup",
            "0",
            "--allow-errors",
        ])
        .arg("--scenarios")
        .arg(dir.path())
        .arg("--results")
        .arg(&results)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Each case runs 25 batches of ≥ 100 ms: kill the server a few batches into the first
    // (counted from its start, not the process's: a loaded machine starts slowly).
    let mut lines = BufReader::new(run.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("] fetch_parallel") {
            break;
        }
    }
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).count());
    std::thread::sleep(Duration::from_millis(800));
    server.kill().unwrap();
    server.wait().unwrap();
    let st = wait_with_timeout(&mut run, Duration::from_secs(120));
    drain.join().unwrap();
    assert!(st.success(), "the run goes on and completes: {st:?}");
    let latest = results.join("latest");
    let s = summary(&latest);
    assert_eq!(s["run"]["partial"], false);
    let rows = s["results"].as_array().unwrap();
    let errors: u64 = rows.iter().map(|r| r["errors"].as_u64().unwrap()).sum();
    let samples: u64 = rows.iter().map(|r| r["samples"].as_u64().unwrap()).sum();
    assert!(samples > 0, "requests before the kill were measured");
    assert!(errors > 0, "requests after the kill are counted as errors: {s}");
}

#[test]
fn ctrl_c_saves_what_finished_marks_partial_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.toml"), SCENARIO).unwrap();
    let results = dir.path().join("results");
    let mut run = bin()
        .args(["run", "--batches", "1000", "--warmup", "0"])
        .arg("--scenarios")
        .arg(dir.path())
        .arg("--results")
        .arg(&results)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Signalled once its first case is running (each case runs for ~100 s): a signal before
    // any case starts interrupts none.
    let mut lines = BufReader::new(run.stderr.take().unwrap()).lines();
    let mut err = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        err.push_str(&line);
        err.push('\n');
        if line.contains("] fetch_parallel") {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(run.id() as libc::pid_t, libc::SIGINT) };
    let reader = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    let st = wait_with_timeout(&mut run, Duration::from_secs(30));
    assert_eq!(st.code(), Some(130), "{err}");
    err.push_str(&reader.join().unwrap());
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        !results.join("latest").exists(),
        "latest only ever names a complete run"
    );
    let runs: Vec<_> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1);
    let s = summary(&runs[0]);
    assert_eq!(s["run"]["partial"], true);
    let failures = s["failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f["error"].as_str().unwrap_or("").contains("interrupted")),
        "the interrupted case is recorded as such: {s}"
    );
}

#[test]
fn an_unusable_results_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.toml"), SCENARIO).unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = bin()
        .args(["run", "--batches", "1"])
        .arg("--scenarios")
        .arg(dir.path())
        .arg("--results")
        .arg(file.join("results"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-a-dir/results"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x", "nothing overwritten");
}

#[test]
fn a_port_in_use_is_reported_with_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = bin().args(["serve", "--addr", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn serve_refuses_non_loopback_without_the_flag() {
    let out = bin().args(["serve", "--addr", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
    let out = bin().args(["run", "--server", "10.1.2.3:80"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
