//! Truth suite for the floor and the findings (h21c): a planted delay reads at least its
//! delay and its floor bounds it from below on every row, per connection mode; findings over
//! planted rows state the planted ratio with its interval, compare per unit of work, and show
//! an unstable row as its range.

use std::path::{Path, PathBuf};
use std::process::Command;

use asyncbench::results::Summary;

/// D = 5 ms, N = 3 requests, sequential (N·D) and join_all (D), each over a fresh and a
/// kept-alive connection: four request kinds whose floors must each bound their rows.
const FLOOR_RUN: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct", "smol-ct"]
variants = ["sequential", "join_all"]
rounds = 2
[params]
requests = 3
delay_ms = 5
bound = 1
timeout_ms = 5000
connections = ["fresh", "keepalive"]
"#;

const D_NS: f64 = 5e6;

fn run(root: &Path, name: &str, toml: &str) -> PathBuf {
    let scenarios = root.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join(format!("{name}.toml")), toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["run", "--batches", "2", "--warmup", "0", "--scenarios"])
        .arg(&scenarios)
        .arg("--results")
        .arg(root.join("results"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn a_planted_delay_reads_at_least_its_delay_and_its_floor_bounds_every_row() {
    let root = tempfile::tempdir().unwrap();
    let s = Summary::read(&run(root.path(), "fetch_parallel", FLOOR_RUN).join("summary.json")).unwrap();
    let rows: Vec<_> = s.results.iter().filter(|r| r.metric == "latency").collect();
    assert_eq!(rows.len(), 8, "2 variants × 2 connection modes × 2 runtimes");
    for r in rows {
        let id = format!("{}/{}", r.variant, r.runtime);
        let value = r.rounds.as_ref().expect("rounds").mean;
        let waves = if r.variant.starts_with("sequential") { 3.0 } else { 1.0 };
        // The planted answer: N·D or D, and nothing can be faster.
        assert!(value >= waves * D_NS, "{id}: {value} ns < {waves} × D");
        let floor = r.floor_ns.unwrap_or_else(|| panic!("{id} has a floor"));
        assert!(
            floor >= waves * D_NS,
            "{id}: the floor {floor} is below the delay itself"
        );
        assert!(floor <= value, "{id}: floor {floor} exceeds the row {value}");
        assert!(
            r.measured_over_floor.is_some_and(|x| x >= 1.0),
            "{id}: {:?}",
            r.measured_over_floor
        );
        // Each row's floor is of its own request kind, and says so.
        let mode = if r.variant.ends_with("fresh") {
            "fresh"
        } else {
            "keepalive"
        };
        let note = r
            .notes
            .iter()
            .find(|n| n.starts_with("floor:"))
            .unwrap_or_else(|| panic!("{id}: {:?}", r.notes));
        assert!(note.contains(&format!("{mode} GET /delay/5")), "{id}: {note}");
        assert!(
            !r.notes.iter().any(|n| n.starts_with("warning: floor")),
            "{id}: {:?}",
            r.notes
        );
    }
}
