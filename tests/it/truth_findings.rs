//! Truth suite for the floor and the findings (h21c): a planted delay reads at least its
//! delay and its floor bounds it from below on every row, per connection mode; findings over
//! planted rows state the planted ratio with its interval, compare per unit of work, and show
//! an unstable row as its range.

use std::path::{Path, PathBuf};
use std::process::Command;

use asyncbench::report::RunData;
use asyncbench::report::doc::findings;
use asyncbench::report::doc::model::Span;
use asyncbench::report::format;
use asyncbench::results::{CaseResult, Comparison, ScenarioInfo, Summary};
use asyncbench::stats::ratio;
use asyncbench::stats::rounds::{self, Round, Stability};

use crate::common::{Case, make_run};

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

/// The run's summary with `rows` replaced: planted rows whose rounds and batch sizes are known.
pub(crate) fn planted_run(root: &Path, scenario: &str, rows: Vec<CaseResult>, comparisons: Vec<Comparison>) -> RunData {
    let dir = make_run(root, &[Case::new("planted", "x", "tokio-ct")]).unwrap();
    let path = dir.join("summary.json");
    let mut s = Summary::read(&path).unwrap();
    s.results = rows;
    s.scenarios.clear();
    s.scenarios.insert(
        scenario.to_string(),
        ScenarioInfo {
            guide_section: "planted".into(),
            comparisons,
            ..ScenarioInfo::default()
        },
    );
    std::fs::write(&path, serde_json::to_string_pretty(&s).unwrap()).unwrap();
    RunData::load_summary(&dir).unwrap()
}

/// A row whose rounds are `means` (ns per batch), each `batches` batches with spread `sd`.
pub(crate) fn row(
    scenario: &str,
    variant: &str,
    runtime: &str,
    ops: u64,
    unit: &str,
    means: &[f64],
    sd: f64,
) -> CaseResult {
    let rounds = rounds::summarize(Round::series(means, sd, 50));
    CaseResult {
        scenario: scenario.into(),
        variant: variant.into(),
        runtime: runtime.into(),
        metric: "latency".into(),
        samples: 100,
        rounds,
        ops_per_batch: Some(ops),
        throughput_unit: Some(unit.into()),
        ..CaseResult::default()
    }
}

fn lines(run: &RunData) -> Vec<String> {
    run.scenarios()
        .into_iter()
        .flat_map(|s| findings::scenario_lines_of(run, s))
        .map(|spans| {
            spans
                .into_iter()
                .map(|s| match s {
                    Span::Text(t) | Span::Strong(t) | Span::Code(t) => t,
                    Span::Link { text, .. } | Span::Page { text, .. } => text,
                })
                .collect::<String>()
        })
        .collect()
}

#[test]
fn a_finding_over_two_planted_rows_states_the_planted_ratio_and_its_interval() {
    // join_all takes a quarter of sequential's time in every round, give or take 2%: the
    // finding must say 0.25 with the paired interval over the three rounds, and call it real.
    let seq = [20e6, 24e6, 18e6];
    let wobble = [1.02, 0.98, 1.0];
    let gather: Vec<f64> = seq.iter().zip(wobble).map(|(s, w)| 0.25 * s * w).collect();
    let rows = vec![
        row("fetch", "join_all", "tokio-ct", 8, "requests", &gather, 1e4),
        row("fetch", "sequential", "tokio-ct", 8, "requests", &seq, 1e4),
    ];
    let c = Comparison::variants("join_all", "sequential", "gather vs sequential awaits");
    let root = tempfile::tempdir().unwrap();
    let text = lines(&planted_run(root.path(), "fetch", rows, vec![c])).join("\n");
    let expected = ratio::paired_ratio(&gather, &seq).unwrap();
    let asyncbench::stats::Interval { lo, hi, .. } = expected.interval.unwrap();
    assert!(
        (expected.estimate - 0.25).abs() < 0.003 && lo < 0.25 && 0.25 < hi,
        "{expected:?}"
    );
    let want = format!(
        "{}× [{}–{}], a real difference",
        format::sig3(expected.estimate),
        format::sig3(lo),
        format::sig3(hi)
    );
    assert!(text.contains(&want), "{want:?} not in {text}");
    assert!(text.contains("per request (batch ÷ 8)"), "{text}");
}

#[test]
fn a_planted_pair_with_different_batch_sizes_is_compared_per_unit_of_work() {
    // all_talk's batch makes 8× fanout's deliveries in 4× its time: per delivery it is twice as
    // fast (0.5×), whatever the batch times say (4×).
    let fan = [10e6, 10.1e6, 9.9e6];
    let all: Vec<f64> = fan.iter().map(|f| 4.0 * f).collect();
    let rows = vec![
        // Batches spread wider than the rounds: stable rows, quoted by their means.
        row("chat", "all_talk", "smol-ct", 800, "deliveries", &all, 8e6),
        row("chat", "fanout", "smol-ct", 100, "deliveries", &fan, 2e6),
    ];
    let c = Comparison::variants("all_talk", "fanout", "everyone at once vs one sender");
    let root = tempfile::tempdir().unwrap();
    let text = lines(&planted_run(root.path(), "chat", rows, vec![c])).join("\n");
    assert!(text.contains("0.500× [0.500–0.500], a real difference"), "{text}");
    assert!(text.contains("per delivery (batch ÷ 800)"), "{text}");
    // 4 × 10 ms / 800 = 50 µs per delivery; 10 ms / 100 = 100 µs.
    assert!(text.contains("(50.0 µs vs 100 µs)"), "{text}");
    assert!(!text.contains("4.00×"), "{text}");
}

#[test]
fn an_unstable_planted_row_is_shown_as_its_range_never_one_mean() {
    // Rounds 10, 15, 20 ms with batches spread by 10 µs: the rounds disagree far beyond their
    // batches, so the row is unstable and must read as 10.0 ms–20.0 ms, not its 15.0 ms mean.
    let shaky = row("prim", "spawn_join", "tokio-mt", 1, "ops", &[10e6, 15e6, 20e6], 1e4);
    assert_eq!(shaky.rounds.as_ref().map(|r| r.stability), Some(Stability::Unstable));
    let steady = row("prim", "spawn_join", "tokio-ct", 1, "ops", &[5e6, 5.01e6, 4.99e6], 1e4);
    let c = Comparison::runtimes("spawn_join", "what each runtime charges per operation");
    let root = tempfile::tempdir().unwrap();
    let run = planted_run(root.path(), "prim", vec![shaky, steady], vec![c]);
    let text = lines(&run).join("\n");
    assert!(text.contains("10.0 ms … 20.0 ms ⚠"), "{text}");
    assert!(!text.contains("15.0 ms"), "{text}");
    assert!(text.contains("fastest tokio-ct at 5.00 ms"), "{text}");
}

#[test]
fn every_shipped_scenario_declares_comparisons_over_variants_it_runs() {
    let defs = asyncbench::scenario::load_dir(&asyncbench::scenario::default_dir()).unwrap();
    assert!(defs.len() >= 15);
    for d in defs {
        let name = &d.header().name;
        let labels: Vec<String> = d.cases().into_iter().map(|c| c.variant).collect();
        let cs = d.comparisons();
        assert!(!cs.is_empty(), "{name} declares no comparison");
        for c in cs {
            for v in c.variants_named() {
                assert!(labels.iter().any(|l| l == v), "{name}: {v} is not one of {labels:?}");
            }
        }
    }
}
