//! Ctrl-C keeps everything that finished: real SIGINTs (once, twice at once, to the process
//! and its group as GNU `timeout` sends them, and a late second one) to the built binary, and
//! the rounds on disk counted before and after.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ScenarioToml, TINY_FETCH};

struct Run {
    child: Child,
    dir: tempfile::TempDir,
}

impl Run {
    fn results(&self) -> PathBuf {
        self.dir.path().join("results")
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    /// The run directory (there is exactly one).
    fn run_dir(&self) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.results())
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "latest"))
            .collect();
        dirs.pop()
    }
}

/// Starts `asyncbench run` in a process group of its own, stdout and stderr to files (a pipe
/// nobody reads could block it).
fn start() -> Run {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    // Three runtimes, each round 60 batches of two 1 ms requests: a run of 10 rounds lasts several
    // seconds, long enough to be interrupted after some rounds finished and before the last.
    let scenario = ScenarioToml::from_text(TINY_FETCH).runtimes(["tokio-ct", "smol-ct", "async-std"]);
    std::fs::write(scenarios.join("f.toml"), scenario.text()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args([
            "run",
            "--batches",
            "60",
            "--warmup",
            "0",
            "--rounds",
            "10",
            "--scenarios",
        ])
        .arg(&scenarios)
        .arg("--results")
        .arg(dir.path().join("results"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    Run { child, dir }
}

/// Finished rounds per case on disk: (variant/runtime) → rounds of its latency row.
fn rounds_on_disk(run_dir: &Path) -> BTreeMap<String, u64> {
    let Ok(text) = std::fs::read_to_string(run_dir.join("summary.json")) else {
        return BTreeMap::new();
    };
    // A rename replaces the file atomically, so every read parses.
    let s: serde_json::Value = serde_json::from_str(&text).expect("summary.json is always whole");
    s["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metric"] == "latency")
        .map(|r| {
            (
                format!("{}/{}", r["variant"].as_str().unwrap(), r["runtime"].as_str().unwrap()),
                r["rounds"]["count"].as_u64().unwrap_or(1),
            )
        })
        .collect()
}

/// Waits until at least `min` rounds are on disk; returns them.
fn wait_for_rounds(run: &mut Run, min: u64) -> BTreeMap<String, u64> {
    let t0 = Instant::now();
    loop {
        if let Some(d) = run.run_dir() {
            let r = rounds_on_disk(&d);
            if r.values().sum::<u64>() >= min {
                return r;
            }
        }
        assert!(
            run.child.try_wait().unwrap().is_none(),
            "the run ended before it was interrupted: {}",
            run.stderr()
        );
        assert!(t0.elapsed() < Duration::from_secs(120), "no rounds: {}", run.stderr());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: i32) {
    // SAFETY: kill(2) on our own child (or, negated, its process group).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

fn wait(run: &mut Run) -> i32 {
    let t0 = Instant::now();
    loop {
        if let Some(st) = run.child.try_wait().unwrap() {
            return st.code().unwrap_or(-1);
        }
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = run.child.kill();
            panic!("the run did not stop: {}", run.stderr());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every round on disk before the signal is on disk after it, the run is partial, `latest`
/// stays away, and (unless `quit_at_once`) the table and REPORT.md were written. Returns the
/// rounds kept.
fn assert_kept(run: &Run, before: &BTreeMap<String, u64>, code: i32, quit_at_once: bool) -> u64 {
    let err = run.stderr();
    assert_eq!(code, 130, "{err}");
    let dir = run.run_dir().expect("a run directory");
    let stdout = run.stdout();
    assert_eq!(
        stdout.lines().last().map(PathBuf::from),
        Some(dir.clone()),
        "the directory is the last line of stdout: {stdout:?} / {err}"
    );
    let after = rounds_on_disk(&dir);
    for (case, n) in before {
        let kept = after.get(case).copied().unwrap_or(0);
        assert!(
            kept >= *n,
            "{case}: {n} round(s) on disk before the signal, {kept} after: {err}"
        );
    }
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["run"]["partial"], true);
    assert!(
        !run.results().join("latest").exists(),
        "latest only names complete runs"
    );
    for r in s["results"].as_array().unwrap() {
        let hgrm = r["hgrm"].as_str().expect("each kept row has its histogram");
        assert!(dir.join(hgrm).is_file(), "{hgrm}");
    }
    // A case with rows is not also a failure.
    for f in s["failures"].as_array().unwrap() {
        let case = format!("{}/{}", f["variant"].as_str().unwrap(), f["runtime"].as_str().unwrap());
        assert!(
            !after.contains_key(&case),
            "{case} has rows and is listed as failed: {s}"
        );
    }
    if !quit_at_once {
        assert!(err.lines().any(|l| l.starts_with("| case")), "the table: {err}");
        assert!(dir.join("REPORT.md").is_file(), "REPORT.md: {err}");
        let total: u64 = after.values().sum();
        assert!(
            total < 30,
            "no new case started after the signal: {total} rounds: {err}"
        );
    }
    after.values().sum()
}

#[test]
fn one_sigint_keeps_every_finished_round_prints_the_table_and_exits_130() {
    let mut run = start();
    let before = wait_for_rounds(&mut run, 2);
    signal(run.child.id() as i32);
    let code = wait(&mut run);
    let kept = assert_kept(&run, &before, code, false);
    assert!(kept >= 2, "{kept}");
}

#[test]
fn two_sigints_at_once_are_one_interrupt() {
    let mut run = start();
    let before = wait_for_rounds(&mut run, 2);
    let pid = run.child.id() as i32;
    signal(pid);
    signal(pid);
    let code = wait(&mut run);
    assert_kept(&run, &before, code, false);
    assert!(!run.stderr().contains("exiting now"), "{}", run.stderr());
}

#[test]
fn a_sigint_to_the_process_and_its_group_as_gnu_timeout_sends_it_is_one_interrupt() {
    let mut run = start();
    let before = wait_for_rounds(&mut run, 2);
    let pid = run.child.id() as i32;
    signal(pid);
    signal(-pid);
    let code = wait(&mut run);
    assert_kept(&run, &before, code, false);
}

#[test]
fn a_later_second_sigint_exits_at_once_and_loses_nothing_written() {
    let mut run = start();
    let before = wait_for_rounds(&mut run, 2);
    let pid = run.child.id() as i32;
    signal(pid);
    std::thread::sleep(harness_grace() + Duration::from_millis(300));
    if run.child.try_wait().unwrap().is_none() {
        signal(pid);
    }
    let code = wait(&mut run);
    assert_kept(&run, &before, code, true);
}

fn harness_grace() -> Duration {
    asyncbench::harness::interrupt::GRACE
}
