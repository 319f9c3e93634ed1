//! Truth suite for the answers (issue 39): planted rows with known rounds must come back as the
//! scorecard's words, margin and trust, the question table's figures, and the question chart's
//! whiskers and ranges — under the one verdict rule (real needs the interval to exclude 1 and
//! the effect to pass the rows' MDE or 2%).

use asyncbench::report::answers::{self, Kind, Trust, Word};
use asyncbench::report::doc::first_screen;
use asyncbench::results::{Comparison, Figure, Side};
use asyncbench::stats::ratio::paired_ratio;

use crate::truth_findings::{planted_run, row};

/// tokio-ct's rounds, ns per batch of 8 requests.
const BASE: [f64; 4] = [10e6, 12e6, 14e6, 11e6];
/// Rounds that agree within 1%: an MDE under 10%.
const FLAT: [f64; 4] = [12e6, 12.1e6, 11.9e6, 12e6];

fn times(k: &[f64]) -> Vec<f64> {
    scaled(&BASE, k)
}

fn scaled(base: &[f64], k: &[f64]) -> Vec<f64> {
    base.iter().zip(k).map(|(b, k)| b * k).collect()
}

#[test]
fn a_planted_ranking_names_the_winner_its_tie_and_the_real_margin() {
    // smol-ct at 1.5× in every round (±1%): real. async-std at 1.01× (±0.2%): the interval
    // excludes 1, but 1% is under the 2% floor, so it ties with the best.
    let smol = scaled(&FLAT, &[1.5, 1.51, 1.49, 1.5]);
    let std_ = scaled(&FLAT, &[1.01, 1.012, 1.008, 1.01]);
    // Batches spread 8 ms within each round, so the rounds agree (stable rows).
    let rows = vec![
        row("fetch", "join_all", "tokio-ct", 8, "requests", &FLAT, 8e6),
        row("fetch", "join_all", "smol-ct", 8, "requests", &smol, 8e6),
        row("fetch", "join_all", "async-std", 8, "requests", &std_, 8e6),
    ];
    let c = Comparison::runtimes("join_all", "which runtime gathers fastest").headline();
    let root = tempfile::tempdir().unwrap();
    let run = planted_run(root.path(), "fetch", rows, vec![c]);
    let all = answers::all(&run);
    let a = &all[0];
    assert_eq!(a.entries[0].row.runtime, "tokio-ct");
    assert!(matches!(a.kind, Kind::Ranking { .. }));
    let tie = a.entries.iter().find(|e| e.row.runtime == "async-std").unwrap();
    assert_eq!(
        tie.word,
        Word::Similar,
        "1% reads ≈ even though its interval excludes 1"
    );
    let lo = tie.ratio.unwrap().interval.unwrap().lo;
    assert!(lo > 1.0, "the planted 1% does resolve: {lo}");
    let slow = a.entries.iter().find(|e| e.row.runtime == "smol-ct").unwrap();
    assert_eq!(slow.word, Word::Real);
    assert_eq!(a.words(), "tokio-ct ≈ async-std (legacy), ahead of the rest");
    // The margin quotes the planted 1.5× with the paired interval computed from the rounds.
    let want = paired_ratio(&smol, &FLAT).unwrap();
    let asyncbench::stats::Interval { lo: wl, hi: wh, .. } = want.interval.unwrap();
    let margin = a.margin();
    assert!(
        margin.starts_with("next smol-ct: 1.50× [")
            && margin.contains(&format!(
                "[{}–{}]",
                asyncbench::report::format::sig3(wl),
                asyncbench::report::format::sig3(wh)
            )),
        "{margin}"
    );
    assert_eq!(a.trust(), Trust::High, "{}", a.trust_text());
    // The scorecard row carries the same words.
    let card = first_screen::scorecard(&answers::headlines(&all), None);
    assert_eq!(card.rows[0][1], "tokio-ct ≈ async-std (legacy), ahead of the rest");
    assert_eq!(card.rows[0][2], margin);
    // The question's chart draws each ratio with exactly its published interval.
    let chart = answers::chart(a);
    for (r, e) in chart.rows.iter().zip(&a.entries) {
        assert_eq!(
            r.interval,
            e.ratio.and_then(|x| x.interval).map(|i| (i.lo, i.hi)),
            "{}",
            r.label
        );
        assert_eq!(r.range, None);
    }
    assert_eq!(chart.rows[0].estimate, 1.0, "the best row sits at 1×");
}

#[test]
fn an_unstable_planted_row_is_drawn_as_its_range_and_lowers_the_trust() {
    // smol-ct's rounds disagree (1.2× to 2.4× of the best's) with tiny batch spread: unstable.
    let smol = times(&[1.2, 2.4, 1.3, 2.2]);
    let rows = vec![
        row("chat", "fanout", "tokio-ct", 4, "deliveries", &BASE, 1e3),
        row("chat", "fanout", "smol-ct", 4, "deliveries", &smol, 1e3),
    ];
    let c = Comparison::runtimes("fanout", "which runtime delivers soonest");
    let root = tempfile::tempdir().unwrap();
    let run = planted_run(root.path(), "chat", rows, vec![c]);
    let all = answers::all(&run);
    let a = &all[0];
    let e = &a.entries[1];
    assert!(
        e.value.contains('⚠'),
        "an unstable row is quoted as its range: {}",
        e.value
    );
    let (lo, hi) = e.range.expect("a range for the unstable row");
    assert!((lo - 1.2).abs() < 1e-9 && (hi - 2.4).abs() < 1e-9, "{lo} {hi}");
    let chart = answers::chart(a);
    assert_eq!(
        chart.rows[1].range,
        Some((lo, hi)),
        "the chart draws the range, not a point"
    );
    // Rounds that spread this wide also have a large MDE: no interval can be trusted far.
    assert_eq!(a.trust(), Trust::Low, "{}", a.trust_text());
    assert!(a.trust_text().contains("MDE up to"), "{}", a.trust_text());
}

#[test]
fn a_planted_wrapper_cost_reads_back_as_what_it_adds() {
    // The wrapped op costs exactly 85 ns more than the bare one (100–140 ns) in every round, on
    // two runtimes.
    let bare = BASE.map(|b| b / 1e5);
    let wrapped: Vec<f64> = bare.iter().map(|b| b + 85.0).collect();
    let mut rows = Vec::new();
    for rt in ["tokio-ct", "smol-ct"] {
        rows.push(row("timeout", "in_time", rt, 1, "ops", &wrapped, 1.0));
        let mut b = row("timeout", "in_time", rt, 1, "ops", &bare, 1.0);
        b.metric = "unwrapped".into();
        rows.push(b);
    }
    let c = Comparison::rows(
        Side::primary("in_time"),
        Side::metric("in_time", "unwrapped"),
        "what the wrapper adds",
    )
    .added()
    .headline();
    let root = tempfile::tempdir().unwrap();
    let run = planted_run(root.path(), "timeout", rows, vec![c]);
    let all = answers::all(&run);
    let a = &all[0];
    for e in &a.entries {
        let (d, w) = e.added.expect("a difference");
        assert!((d.estimate - 85.0).abs() < 1e-6, "{}", d.estimate);
        assert_eq!(w, Word::Real);
    }
    assert_eq!(a.words(), "in_time adds time on all 2 runtimes");
    assert!(a.margin().contains("+85.0 ns"), "{}", a.margin());
    let table = first_screen::question_table(a);
    assert!(table.header[2].starts_with("adds to"), "{:?}", table.header);
    assert_eq!(table.rows[0][2], "+85.0 ns [+85.0 ns to +85.0 ns]");
    // 1 ns on the same ops resolves (the interval is closed) but is under the 2% floor: ≈.
    let d = asyncbench::stats::difference::paired_difference(&bare.map(|b| b + 1.0), &bare).unwrap();
    assert_eq!(answers::judge_difference(&d, 120.0, None), Word::Similar);
}

#[test]
fn memory_is_smallest_not_fastest_and_one_figure_claims_nothing() {
    let mut rows = Vec::new();
    for (rt, bytes) in [("tokio-ct", 168.0), ("smol-ct", 336.0)] {
        let mut r = row("task_memory", "idle-n100", rt, 100, "tasks", &BASE, 1e3);
        r.values.insert("bytes_per_task_alloc".into(), bytes);
        rows.push(r);
    }
    let c = Comparison::runtimes("idle-n100", "live bytes per task").on(Figure::Value("bytes_per_task_alloc".into()));
    let root = tempfile::tempdir().unwrap();
    let run = planted_run(root.path(), "task_memory", rows, vec![c]);
    let all = answers::all(&run);
    let a = &all[0];
    assert_eq!(a.best_word, "smallest");
    assert_eq!(a.words(), "tokio-ct smallest (no interval: no claim)");
    assert_eq!(a.entries[1].ratio.unwrap().estimate, 2.0);
    assert_eq!(a.trust(), Trust::Low);
    assert_eq!(first_screen::question_table(a).rows[0][3], "smallest ★");
}
