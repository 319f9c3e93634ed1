//! Rounds, their order and CPU placement, end to end through `asyncbench run`: every primary
//! row carries its rounds (count, per-round value, place in the order, host probe), the order differs
//! between rounds and is reproduced by its seed, and the placement is applied and recorded.

use std::path::{Path, PathBuf};
use std::process::Command;

use asyncbench::results::Summary;

const SCENARIO: &str = r#"scenario = "timeout"
guide_section = "asyncio.timeout()"
variants = ["in_time", "fires"]
rounds = 3
[params]
ops = 64
chunk = 8
in_time_deadline_ms = 1000
fires = 2
deadline_ms = 1
"#;

/// Runs the timeout scenario (10 cases, 3 rounds) with `extra` options; returns the run directory.
fn run(root: &Path, extra: &[&str]) -> PathBuf {
    let scenarios = root.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("timeout.toml"), SCENARIO).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["run", "--batches", "2", "--warmup", "0", "--scenarios"])
        .arg(&scenarios)
        .arg("--results")
        .arg(root.join("results"))
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Each primary row's positions in the order of rounds 1, 2, 3.
fn positions(s: &Summary) -> Vec<Vec<u32>> {
    s.results
        .iter()
        .filter(|r| r.metric == "latency")
        .map(|r| {
            let x = r.rounds.as_ref().expect("every primary row has its rounds");
            assert_eq!(x.count, 3, "{}/{}", r.variant, r.runtime);
            assert_eq!(x.rounds.len(), 3);
            assert!(x.ci_low <= x.mean && x.mean <= x.ci_high);
            assert!(x.mde_pct.is_some());
            // Every round the session ran carries the host probe's reading.
            assert!(
                x.rounds.iter().all(|r| r.host_probe_ns.is_some_and(|ns| ns > 0.0)),
                "{}/{}: {:?}",
                r.variant,
                r.runtime,
                x.rounds
            );
            // And, where the kernel exposes the counts, the migrations read back per round.
            if std::path::Path::new("/proc/self/sched").exists() {
                assert!(x.rounds.iter().all(|r| r.migrations.is_some()), "{:?}", x.rounds);
            }
            x.rounds.iter().map(|r| r.position).collect()
        })
        .collect()
}

#[test]
fn rows_carry_their_rounds_in_an_order_that_changes_per_round_and_replays_from_its_seed() {
    let root = tempfile::tempdir().unwrap();
    let a = Summary::read(&run(root.path(), &["--seed", "7"]).join("summary.json")).unwrap();
    assert_eq!(a.run.order_seed, Some(7));
    let pa = positions(&a);
    assert_eq!(pa.len(), 10, "2 variants × 5 runtimes");
    // Within a round the positions are a permutation of the 10 cases.
    for round in 0..3 {
        let mut seen: Vec<u32> = pa.iter().map(|p| p[round]).collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>(), "round {round}");
    }
    assert!(
        pa.iter().any(|p| p[0] != p[1] || p[1] != p[2]),
        "the order is the same in every round"
    );
    // The same seed gives the same order.
    let b = Summary::read(&run(root.path(), &["--seed", "7"]).join("summary.json")).unwrap();
    assert_eq!(positions(&b), pa);
}

#[test]
fn placement_is_applied_and_recorded() {
    let root = tempfile::tempdir().unwrap();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if cpus < 2 {
        eprintln!("placement_is_applied_and_recorded: skipped, one CPU (nothing can be apart)");
        return;
    }
    let last = (cpus - 1).to_string();
    let dir = run(root.path(), &["--server-cpus", &last, "--runtime", "tokio-ct"]);
    let s = Summary::read(&dir.join("summary.json")).unwrap();
    let p = s.env.placement.expect("env.json records the placement");
    assert!(p.applied, "{}", p.note);
    assert_eq!(p.server_cpus.map(|c| c.to_string()), Some(last.clone()));
    let client = p.client_cpus.expect("client CPUs");
    assert!(
        !client.cpus().contains(&(cpus - 1)),
        "client {client} overlaps the server"
    );
    // The server's threads as the kernel reported them: on the server's CPU only.
    assert!(!p.server_threads.is_empty());
    for t in &p.server_threads {
        assert!(t.ends_with(&format!(" on {last}")), "{t}");
    }
    // A bad set is refused before anything runs.
    let out = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["run", "--server-cpus", "0", "--client-cpus", "0"])
        .arg("--results")
        .arg(root.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlap"));
}
