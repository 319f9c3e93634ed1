//! Truth suite for the published figures (`results/figures.rs`): planted round sets whose
//! stability is known (case rows and metric rows), a planted throughput, a planted p99 as an
//! open-loop row's value, criterion's estimates per round, the range an unstable row is cited
//! as in every writer, and `compare` flagging a server whose p99 doubled. Each assertion fails
//! if the column it checks starts lying again.

use std::fs;
use std::path::Path;
use std::time::Duration;

use asyncbench::compare::{CompareOpts, Verdict, compare};
use asyncbench::measure::{Batch, CaseRecord, RoundFigures};
use asyncbench::results::figures::{self, ValueFigure};
use asyncbench::results::{CaseResult, Summary};
use asyncbench::stats::rounds::{Round, RoundSummary, Stability, summarize};

use crate::common::{Case, TestResult, catalogue, make_run};

/// One round: `batches` batches of `per_batch` operations, the i-th operation of a batch taking
/// `lat(i)`, each batch `wall` long, with a further metric `metric_of(batch)` per batch.
fn round(
    batches: usize,
    per_batch: usize,
    wall: Duration,
    lat: impl Fn(usize) -> Duration,
    metric: impl Fn(usize) -> Vec<Duration>,
) -> RoundFigures {
    let mut rec = CaseRecord::default();
    for b in 0..batches {
        rec.add(&Batch {
            wall,
            latencies: (0..per_batch).map(&lat).collect(),
            extra: vec![("sched_delay", metric(b))],
            ..Batch::default()
        });
    }
    rec.round_figures()
}

/// The rows' round summary of `figure` (for the case's own row, or `metric`'s) over `rounds`:
/// the same calls `session/rows.rs` makes.
fn summary_of(figure: ValueFigure, metric: Option<&str>, rounds: &[RoundFigures]) -> RoundSummary {
    summarize(
        rounds
            .iter()
            .enumerate()
            .filter_map(|(i, f)| figure.round(i as u32, metric, f))
            .collect(),
    )
    .expect("planted rounds give a summary")
}

fn us(v: u64) -> Duration {
    Duration::from_micros(v)
}

/// Planted round sets: agreeing rounds are stable; rounds far apart against tight batches are
/// unstable; two clusters at the default 3 rounds are unstable (no bimodal class); one round is
/// unknown.
#[test]
fn planted_round_sets_are_classified_as_planted() {
    let rounds = |means: &[f64], sd: f64| -> Vec<Round> {
        means
            .iter()
            .enumerate()
            .map(|(i, &mean)| Round {
                position: i as u32,
                mean,
                stddev: sd,
                batches: 30,
                steal_pct: None,
                host_probe_ns: None,
                migrations: None,
            })
            .collect()
    };
    let st = |r: Vec<Round>| summarize(r).map(|s| s.stability);
    assert_eq!(st(rounds(&[100.0, 101.0, 99.5], 5.0)), Some(Stability::Stable));
    assert_eq!(st(rounds(&[100.0, 130.0, 80.0], 1.0)), Some(Stability::Unstable));
    assert_eq!(st(rounds(&[100.0, 101.0, 160.0], 0.5)), Some(Stability::Unstable));
    assert_eq!(
        st(rounds(&[100.0, 100.5, 160.0, 160.5], 0.5)),
        Some(Stability::Unstable)
    );
    assert_eq!(st(rounds(&[100.0], 0.5)), Some(Stability::Unknown));
    // No bimodal class is produced at any round count.
    for k in 2..8 {
        let means: Vec<f64> = (0..k).map(|i| if i % 2 == 0 { 100.0 } else { 200.0 }).collect();
        assert_ne!(st(rounds(&means, 0.1)), Some(Stability::Bimodal), "{k} rounds");
    }
}

/// Metric rows (a further metric's median per round) get a stability from their rounds and
/// the spread of the per-batch medians: never "unknown" with two or more rounds.
#[test]
fn metric_rows_with_rounds_have_a_stability() {
    let wall = Duration::from_millis(5);
    let lat = |_| us(100);
    // Round medians 191, 21, 14 µs with batches tight around each: unstable (the row).
    let far: Vec<RoundFigures> = [191u64, 21, 14]
        .iter()
        .map(|&m| {
            round(20, 4, wall, lat, move |b| {
                (0..9)
                    .map(|i| us(m) + Duration::from_nanos(((b + i) % 5) as u64))
                    .collect()
            })
        })
        .collect();
    let s = summary_of(ValueFigure::MetricMedian, Some("sched_delay"), &far);
    assert_eq!(s.count, 3);
    assert_eq!(s.stability, Stability::Unstable, "{s:?}");
    // Identical rounds whose batches' medians spread 10–90 µs: stable.
    let near: Vec<RoundFigures> = (0..3)
        .map(|_| round(18, 4, wall, lat, |b| vec![us(10 + 10 * (b % 9) as u64); 9]))
        .collect();
    let s = summary_of(ValueFigure::MetricMedian, Some("sched_delay"), &near);
    assert_eq!(s.stability, Stability::Stable, "{s:?}");
    assert_eq!(
        s.rounds[0].batches, 18,
        "the within-round spread comes from every batch"
    );
    assert!(s.rounds[0].stddev > 0.0);
    // One sample per batch and one batch per round: no spread at all, the rounds' own spread decides.
    let single: Vec<RoundFigures> = [100u64, 150]
        .iter()
        .map(|&m| round(1, 1, wall, lat, move |_| vec![us(m)]))
        .collect();
    let s = summary_of(ValueFigure::MetricMedian, Some("sched_delay"), &single);
    assert_eq!(s.stability, Stability::Unstable, "{s:?}");
}

/// An open-loop row's value is the p99 from the intended send time per round, mean over rounds:
/// planted latencies 1..=1000 µs give a p99 of 990 µs, 2× them 1980 µs; the window is no part of it.
#[test]
fn an_open_loop_row_publishes_its_planted_p99_not_its_window() {
    let window = Duration::from_millis(100);
    let rounds: Vec<RoundFigures> = [1u64, 2]
        .iter()
        .map(|&k| round(4, 1000, window, move |i| us(k * (i as u64 + 1)), |_| vec![]))
        .collect();
    let s = summary_of(ValueFigure::P99FromIntended, None, &rounds);
    let p99: Vec<f64> = s.rounds.iter().map(|r| r.mean).collect();
    // HdrHistogram's 3 significant digits: within 0.1%.
    assert!((p99[0] - 990_000.0).abs() <= 990.0, "{p99:?}");
    assert!((p99[1] - 1_980_000.0).abs() <= 1980.0, "{p99:?}");
    assert!((s.mean - (p99[0] + p99[1]) / 2.0).abs() < 1e-6);
    assert_eq!(s.rounds[0].batches, 4, "each batch's own p99 gives the spread");
    // The mean-batch figure of the same rounds would be the window: the thing it must not be.
    let wall = summary_of(ValueFigure::MeanBatch, None, &rounds);
    assert_eq!(wall.mean, window.as_nanos() as f64);
    assert!((s.mean - wall.mean).abs() > 0.5 * wall.mean);
}

/// A server row's value is the median from the intended send time over each round's whole
/// histogram, mean over rounds: planted latencies 1..=1000 µs give 500 µs (HdrHistogram's rank
/// rule, ⌊0.5 · 1000 + ½⌋ = the 500th), 2× them 1000 µs; neither the p99 nor the window.
#[test]
fn a_server_row_publishes_its_planted_p50_from_intended() {
    let window = Duration::from_millis(100);
    // Four batches of 250: the round's median is over all 1000, not a mean of batch medians.
    let rounds: Vec<RoundFigures> = [1u64, 2]
        .iter()
        .map(|&k| {
            let mut rec = CaseRecord::default();
            for b in 0..4u64 {
                rec.add(&Batch {
                    wall: window,
                    latencies: (1..=250).map(|i| us(k * (b * 250 + i))).collect(),
                    ..Batch::default()
                });
            }
            rec.round_figures()
        })
        .collect();
    let s = summary_of(ValueFigure::P50FromIntended, None, &rounds);
    let p50: Vec<f64> = s.rounds.iter().map(|r| r.mean).collect();
    // HdrHistogram's 3 significant digits: within 0.1%.
    assert!((p50[0] - 500_000.0).abs() <= 500.0, "{p50:?}");
    assert!((p50[1] - 1_000_000.0).abs() <= 1000.0, "{p50:?}");
    assert!((s.mean - (p50[0] + p50[1]) / 2.0).abs() < 1e-6);
    // The batches' own medians (125, 375, 625, 875 µs in round 1) give the within-round spread.
    assert_eq!(s.rounds[0].batches, 4);
    assert!(s.rounds[0].stddev > 200_000.0, "{:?}", s.rounds[0]);
    // The same rounds' p99 is another figure (the secondary one), and the window is neither.
    let p99 = summary_of(ValueFigure::P99FromIntended, None, &rounds);
    assert!((p99.rounds[0].mean - 990_000.0).abs() <= 990.0, "{:?}", p99.rounds[0]);
    assert_eq!(ValueFigure::P50FromIntended.label(), "p50 from intended send");
    assert!(!ValueFigure::P50FromIntended.is_batch_time());
}

/// A planted throughput reads back: batches of 32 operations taking 4 ms each are 8000
/// operations per second, 125 µs per operation; failures are not counted.
#[test]
fn a_planted_throughput_reads_back() {
    let rounds: Vec<RoundFigures> = (0..3)
        .map(|_| round(10, 32, Duration::from_millis(4), |_| us(50), |_| vec![]))
        .collect();
    let s = summary_of(ValueFigure::MeanBatch, None, &rounds);
    assert_eq!(s.mean, 4e6);
    let batches = 30;
    let ok = figures::successes(32, batches, 0, 32 * batches, false);
    let t = figures::throughput_per_s(ValueFigure::MeanBatch, ok, batches, 0.12, Some(s.mean), None);
    assert_eq!(t, Some(8000.0));
    // 30 failed operations out of 960: the throughput drops by the same share.
    let ok = figures::successes(32, batches, 30, 930, false);
    let t = figures::throughput_per_s(ValueFigure::MeanBatch, ok, batches, 0.12, Some(s.mean), None);
    assert!((t.unwrap() - 8000.0 * 930.0 / 960.0).abs() < 1e-6);
    // A case whose errors are not failed operations counts its successes as samples.
    assert_eq!(figures::successes(32, batches, 3, 900, true), 900);
    let row = CaseResult {
        metric: "latency".into(),
        samples: 960,
        ops_per_batch: Some(32),
        rounds: Some(s),
        ..CaseResult::default()
    };
    assert_eq!(figures::per_op_ns(&row), Some(125_000.0));
}

fn unstable_row() -> CaseResult {
    CaseResult {
        scenario: "file_read".into(),
        variant: "spawn_blocking".into(),
        runtime: "smol-mt".into(),
        metric: "latency".into(),
        samples: 100,
        throughput_unit: Some("files".into()),
        ops_per_batch: Some(8),
        rounds: summarize(
            [665_000.0, 836_000.0, 996_000.0]
                .iter()
                .enumerate()
                .map(|(i, &mean)| Round {
                    position: i as u32,
                    mean,
                    stddev: 2_000.0,
                    batches: 40,
                    steal_pct: None,
                    host_probe_ns: None,
                    migrations: None,
                })
                .collect(),
        ),
        ..CaseResult::default()
    }
}

/// An unstable row is cited as its range with a marker, in the report's table, the terminal
/// table, the CSV and both exports; never as its mean alone.
#[test]
fn an_unstable_row_is_shown_as_its_range_everywhere() -> TestResult {
    let r = unstable_row();
    assert_eq!(figures::stability(&r), Stability::Unstable);
    let range = "665 µs … 996 µs ⚠";
    assert_eq!(asyncbench::report::format::value_text(&r), range);
    assert_eq!(asyncbench::report::format::value_short(&r), range);
    let mean = asyncbench::report::format::duration(figures::value_ns(&r).unwrap_or_default());
    assert_eq!(mean, "832 µs");

    let table = asyncbench::report::doc::markdown::table(&asyncbench::report::doc::tables::case_table(&[&r]));
    assert!(table.contains(range), "{table}");

    let mut s = Summary::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/summary.json"))?;
    s.results = vec![r.clone()];
    s.failures.clear();
    let terminal = asyncbench::report::terminal::render(&s, asyncbench::report::terminal::Rows::All);
    assert!(terminal.contains(range) && !terminal.contains(&mean), "{terminal}");

    let csv = asyncbench::results::summary_csv(&s);
    assert!(csv.contains(",unstable,665000,996000,"), "{csv}");

    use asyncbench::export::ExportFormat;
    let gab = String::from_utf8(ExportFormat::GithubActionBenchmark.exporter().serialize(&s)?)?;
    assert!(gab.contains("665000 … 996000") && gab.contains("unstable"), "{gab}");
    let bmf: serde_json::Value = serde_json::from_slice(&ExportFormat::Bmf.exporter().serialize(&s)?)?;
    let m = &bmf["file_read/spawn_blocking/smol-mt"]["latency"];
    assert_eq!(
        (m["lower_value"].as_f64(), m["upper_value"].as_f64()),
        (Some(665_000.0), Some(996_000.0)),
        "{bmf}"
    );
    Ok(())
}

/// Rewrites `dir`'s summary with `edit` applied to every row of the http_server case.
fn edit_server_row(dir: &Path, edit: impl Fn(&mut CaseResult)) -> TestResult {
    let path = dir.join("summary.json");
    let mut s = Summary::read(&path)?;
    for r in s
        .results
        .iter_mut()
        .filter(|r| r.scenario == "http_server" && r.metric == "latency")
    {
        edit(r);
    }
    fs::write(&path, serde_json::to_vec_pretty(&s)?)?;
    Ok(())
}

/// A server made 2× slower at p99, with the same measuring window, is a regression to
/// `compare` (and so to `--fail-on-regression`); the window alone would have passed it.
#[test]
fn compare_flags_a_server_whose_p99_doubled() -> TestResult {
    let root = tempfile::tempdir()?;
    let server = Case::new("http_server", "immediate-2000rps", "tokio-ct");
    let mut slow = server.clone();
    slow.latencies_ns = slow.latencies_ns.iter().map(|v| v * 2).collect();
    let with = |c: &Case| {
        let mut all = catalogue();
        all.push(c.clone());
        all
    };
    let a = make_run(root.path(), &with(&server))?;
    let b = make_run(root.path(), &with(&slow))?;
    let planted = |k: f64| {
        move |r: &mut CaseResult| {
            r.value_figure = Some(ValueFigure::P99FromIntended);
            r.rounds = summarize(
                [1.00, 1.02, 0.98]
                    .iter()
                    .enumerate()
                    .map(|(i, &ms)| Round {
                        position: i as u32,
                        mean: k * ms * 1e6,
                        stddev: k * 0.05e6,
                        batches: 10,
                        steal_pct: None,
                        host_probe_ns: None,
                        migrations: None,
                    })
                    .collect(),
            );
        }
    };
    edit_server_row(&a, planted(1.0))?;
    edit_server_row(&b, planted(2.0))?;
    let c = compare(&a, &b, CompareOpts::default())?;
    let row = c
        .rows
        .iter()
        .find(|r| r.scenario == "http_server" && r.metric == "latency")
        .ok_or("the server row is compared")?;
    assert_eq!(row.verdict, Verdict::Regression, "{row:?}");
    assert!(row.reason.contains("p99 from intended send"), "{}", row.reason);
    assert_eq!(row.wall.0, row.wall.1, "same window in both runs");
    assert_eq!(c.count(Verdict::Regression), 1, "{:#?}", c.rows);
    Ok(())
}

/// The http_server scenario, run for real (one runtime, one low rate, two short rounds):
/// its row says it publishes the p99 from the intended send time, every round's figure lies
/// within the row's latency distribution, and none is the window's length.
#[test]
fn http_server_rows_publish_a_latency_end_to_end() -> TestResult {
    let root = tempfile::tempdir()?;
    let scenarios = root.path().join("scenarios");
    fs::create_dir_all(&scenarios)?;
    let file = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/http_server.toml"))?
        .replace(
            "runtimes = [\"tokio-ct\", \"tokio-mt\", \"async-std\", \"smol-ct\", \"smol-mt\"]",
            "runtimes = [\"tokio-ct\"]",
        )
        .replace("variants = [\"immediate\", \"burn\"]", "variants = [\"immediate\"]")
        .replace("bench_rates = [2000, 8000]", "bench_rates = [500]")
        .replace("bench_window_ms = 20 ", "bench_window_ms = 50 ");
    assert!(
        file.contains("bench_window_ms = 50 ") && file.contains("[500]"),
        "{file}"
    );
    fs::write(scenarios.join("http_server.toml"), file)?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["run", "--batches", "2", "--warmup", "0", "--rounds", "2", "--scenarios"])
        .arg(&scenarios)
        .arg("--results")
        .arg(root.path().join("results"))
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let s = Summary::read(&dir.join("summary.json"))?;
    let r = s
        .results
        .iter()
        .find(|r| r.scenario == "http_server" && r.metric == "latency")
        .ok_or("an http_server row")?;
    assert_eq!(r.value_figure, Some(ValueFigure::P50FromIntended));
    let x = r.rounds.as_ref().ok_or("rounds")?;
    let lat = r.latency_ns.as_ref().ok_or("latencies")?;
    assert_eq!(x.count, 2);
    let window = 50e6;
    for round in &x.rounds {
        assert!(
            round.mean >= lat.min as f64 && round.mean <= lat.max as f64 * 1.001,
            "{round:?} outside {lat:?}"
        );
        assert!((round.mean - window).abs() > 0.01 * window, "{round:?} is the window");
    }
    assert_eq!(r.measured_over_ideal, None);
    // One rate of requests on the row: the throughput is the generator's achieved rate.
    assert_eq!(r.throughput_per_s, r.values.get(figures::ACHIEVED_RATE).copied());
    assert!(!r.values.contains_key("requests_per_s"));
    // The p99 stays in the row's percentiles, beside the host canary's own row.
    assert!(lat.p99 >= lat.p50, "{lat:?}");
    let canary = s
        .results
        .iter()
        .find(|c| c.scenario == "http_server" && c.metric == "host_wake_lateness")
        .ok_or("the host canary's row")?;
    assert!(canary.samples > 0, "{canary:?}");
    Ok(())
}
