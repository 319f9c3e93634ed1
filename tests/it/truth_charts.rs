//! Planted answers for every chart kind that shows rows' published figures: a whisker stands
//! exactly for the row's 95% interval over rounds (`results::figures::value`), never the
//! batch-level interval, and a row whose rounds disagree draws as its range of rounds, with no
//! bar or point. Checked on each chart's data, and on the SVG it draws: the pixels a whisker or a
//! range box spans are read back into values through the axis's own tick labels.

use std::fs;
use std::path::Path;

use crate::common::{Case, TestResult, make_run};
use asyncbench::report::chart::batch::BatchChart;
use asyncbench::report::chart::marks::{self, Mark};
use asyncbench::report::chart::overview::OverviewChart;
use asyncbench::report::chart::python_ratio::PythonChart;
use asyncbench::report::chart::question::{self, QuestionChart, QuestionRow};
use asyncbench::report::chart::render;
use asyncbench::report::data::RunData;
use asyncbench::report::palette;
use asyncbench::results::Summary;
use asyncbench::stats::rounds::{Round, Stability, summarize};

#[path = "truth_charts_svg.rs"]
mod svg;

/// tokio-ct's rounds disagree: 8.0, 12.5 and 10.0 ms (the chat_broadcast row, scaled).
const UNSTABLE: [f64; 3] = [8.0e6, 12.5e6, 10.0e6];
/// smol-ct's agree: 10.0, 10.2 and 9.8 ms, each round 20 batches spread 1 ms.
const STABLE: [f64; 3] = [10.0e6, 10.2e6, 9.8e6];
/// Their 95% Student-t interval over rounds, worked by hand: mean 10 ms, sd 0.2 ms, 3 rounds,
/// t(0.975, 2) = 4.302653: 10 ms ± 4.302653 × 0.2 / √3 ms.
const STABLE_CI: (f64, f64) = (10.0e6 - 496_827.0, 10.0e6 + 496_827.0);
/// The batch-level interval planted on both rows: what the old chart drew as the whisker.
const BATCH_CI: (f64, f64) = (10.3e6, 10.35e6);
/// Every case states this ideal (make_run's).
const IDEAL: f64 = 8.0e6;
/// asyncio's rounds (for the Python chart): 20 ms, stable.
const ASYNCIO: [f64; 3] = [20.0e6, 20.2e6, 19.8e6];

/// A run of scenario `alpha / join_all` with the planted rounds above.
fn planted_run(root: &Path) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let cases = [
        Case::new("alpha", "join_all", "asyncio"),
        Case::new("alpha", "join_all", "tokio-ct"),
        Case::new("alpha", "join_all", "smol-ct"),
    ];
    let dir = make_run(root, &cases)?;
    let path = dir.join("summary.json");
    let mut s = Summary::read(&path)?;
    for row in s.results.iter_mut().filter(|r| r.metric == "latency") {
        let means: &[f64] = match row.runtime.as_str() {
            "tokio-ct" => &UNSTABLE,
            "smol-ct" => &STABLE,
            _ => &ASYNCIO,
        };
        row.rounds = summarize(Round::series(means, 1e6, 20));
        let w = row.wall_ns.as_mut().ok_or("wall stats")?;
        (w.ci95_low, w.ci95_high) = BATCH_CI;
    }
    fs::write(&path, serde_json::to_string_pretty(&s)?)?;
    // The planted rows are what the test says they are.
    let s = Summary::read(&path)?;
    let stability = |rt: &str| {
        let r = s.results.iter().find(|r| r.runtime == rt && r.metric == "latency");
        r.and_then(|r| r.rounds.as_ref()).map(|x| x.stability)
    };
    assert_eq!(stability("tokio-ct"), Some(Stability::Unstable));
    assert_eq!(stability("smol-ct"), Some(Stability::Stable));
    assert_eq!(stability("asyncio"), Some(Stability::Stable));
    Ok(dir)
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs()
}

fn assert_interval(got: Option<(f64, f64)>, want: (f64, f64), tol: f64) {
    let (lo, hi) = got.unwrap_or((f64::NAN, f64::NAN));
    assert!(close(lo, want.0, tol) && close(hi, want.1, tol), "{got:?} ≠ {want:?}");
}

#[test]
fn batch_chart_whisker_is_the_published_interval_and_unstable_rows_are_ranges() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = planted_run(root.path())?;
    let chart = BatchChart::from_run(&RunData::load(&dir)?, "alpha");
    let mark = |rt: &str| {
        let ri = chart.runtimes.iter().position(|s| s.name == rt);
        chart.bars.iter().find(|b| Some(b.runtime) == ri).map(|b| b.mark)
    };
    match mark("smol-ct") {
        Some(Mark::Value { value, interval }) => {
            assert!(close(value, 10.0e6, 1e-9), "{value}");
            assert_interval(interval, STABLE_CI, 1e-5);
        }
        other => panic!("smol-ct drew {other:?}"),
    }
    assert_eq!(mark("tokio-ct"), Some(Mark::Range { lo: 8.0e6, hi: 12.5e6 }));

    // The drawing: read back through the y axis's tick labels (ms).
    let files = render::render(&chart, root.path())?;
    let text = fs::read_to_string(&files.svg)?;
    assert!(text.contains(marks::WHISKER_LEGEND) && text.contains(marks::RANGE_LEGEND));
    assert!(!text.contains("CI"), "a batch-level CI is named");
    let doc = svg::Svg::parse(&text);
    let y = doc.axis(svg::Axis::Y, false).ok_or("no y axis ticks")?;
    let whiskers = doc.whiskers(svg::Axis::Y);
    assert_eq!(whiskers.len(), 2, "one whisker per citable row: {whiskers:?}");
    let drawn: Vec<(f64, f64)> = whiskers.iter().map(|&(a, b)| (y.value(a), y.value(b))).collect();
    let want = (STABLE_CI.0 / 1e6, STABLE_CI.1 / 1e6);
    assert!(
        drawn
            .iter()
            .any(|&(a, b)| close(a.min(b), want.0, 0.01) && close(a.max(b), want.1, 0.01)),
        "whiskers {drawn:?} ms, want {want:?}"
    );
    let tokio = palette::style("tokio-ct", false).colour;
    let boxes = doc.range_boxes(tokio);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let (lo, hi) = (y.value(boxes[0].1.1), y.value(boxes[0].1.0));
    assert!(close(lo, 8.0, 0.01) && close(hi, 12.5, 0.01), "range box {lo}..{hi} ms");
    assert_eq!(doc.solid_rects(tokio), 0, "an unstable row has no bar");
    Ok(())
}

#[test]
fn overview_whisker_is_the_interval_over_ideal_and_unstable_rows_are_ranges() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = planted_run(root.path())?;
    let chart = OverviewChart::from_run(&RunData::load(&dir)?);
    let mark = |rt: &str| {
        let ri = chart.runtimes.iter().position(|s| s.name == rt);
        chart.dots.iter().find(|d| Some(d.runtime) == ri).map(|d| d.mark)
    };
    match mark("smol-ct") {
        Some(Mark::Value { value, interval }) => {
            assert!(close(value, 10.0e6 / IDEAL, 1e-9), "{value}");
            assert_interval(interval, (STABLE_CI.0 / IDEAL, STABLE_CI.1 / IDEAL), 1e-5);
        }
        other => panic!("smol-ct drew {other:?}"),
    }
    assert_eq!(
        mark("tokio-ct"),
        Some(Mark::Range {
            lo: 1.0,
            hi: 12.5 / 8.0
        })
    );
    let files = render::render(&chart, root.path())?;
    let text = fs::read_to_string(&files.svg)?;
    assert!(text.contains(marks::WHISKER_LEGEND) && text.contains(marks::RANGE_LEGEND));
    let doc = svg::Svg::parse(&text);
    let x = doc.axis(svg::Axis::X, true).ok_or("no x axis ticks")?;
    let drawn: Vec<(f64, f64)> = (doc.whiskers(svg::Axis::X).iter())
        .map(|&(a, b)| (x.value(a), x.value(b)))
        .collect();
    let want = (STABLE_CI.0 / IDEAL, STABLE_CI.1 / IDEAL);
    assert!(
        drawn
            .iter()
            .any(|&(a, b)| close(a, want.0, 0.01) && close(b, want.1, 0.01)),
        "whiskers {drawn:?}, want {want:?}"
    );
    let boxes = doc.range_boxes(palette::style("tokio-ct", false).colour);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let (lo, hi) = (x.value(boxes[0].0.0), x.value(boxes[0].0.1));
    assert!(
        close(lo, 1.0, 0.01) && close(hi, 12.5 / 8.0, 0.01),
        "range box {lo}..{hi}"
    );
    assert_eq!(
        doc.circles(palette::style("tokio-ct", false).colour),
        0,
        "an unstable row has no dot"
    );
    assert!(x.labels_apart(), "tick labels overlap: {:?}", x.ticks);
    Ok(())
}

#[test]
fn python_chart_draws_no_interval_and_unstable_rows_as_ranges() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = planted_run(root.path())?;
    let chart = PythonChart::from_run(&RunData::load(&dir)?);
    let mark = |rt: &str| {
        let ri = chart.runtimes.iter().position(|s| s.name == rt);
        chart.dots.iter().find(|d| Some(d.runtime) == ri).map(|d| d.mark)
    };
    // smol-ct's published value over asyncio's: 10 ms ÷ 20 ms, no interval claimed.
    assert_eq!(
        mark("smol-ct"),
        Some(Mark::Value {
            value: 0.5,
            interval: None
        })
    );
    // tokio-ct's rounds over asyncio's value: 8 ÷ 20 to 12.5 ÷ 20.
    assert_eq!(mark("tokio-ct"), Some(Mark::Range { lo: 0.4, hi: 0.625 }));
    let files = render::render(&chart, root.path())?;
    let text = fs::read_to_string(&files.svg)?;
    let doc = svg::Svg::parse(&text);
    let x = doc.axis(svg::Axis::X, true).ok_or("no x axis ticks")?;
    assert!(doc.whiskers(svg::Axis::X).is_empty());
    let boxes = doc.range_boxes(palette::style("tokio-ct", false).colour);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let (lo, hi) = (x.value(boxes[0].0.0), x.value(boxes[0].0.1));
    assert!(close(lo, 0.4, 0.01) && close(hi, 0.625, 0.01), "range box {lo}..{hi}");
    assert_eq!(doc.circles(palette::style("tokio-ct", false).colour), 0);
    assert_eq!(doc.circles(palette::style("smol-ct", false).colour), 1);
    Ok(())
}

fn question() -> QuestionChart {
    let row = |label: &str, rt: &str, estimate: f64, interval, range| QuestionRow {
        label: label.into(),
        style: palette::style(rt, false),
        estimate,
        interval,
        range,
    };
    QuestionChart {
        id: "q__planted__1".into(),
        title: "Which runtime gathers requests fastest?".into(),
        axis: "× fastest, per request (lower is better)".into(),
        rows: vec![
            row("tokio-ct", "tokio-ct", 1.0, Some((0.97, 1.03)), None),
            row("smol-ct", "smol-ct", 1.4, Some((1.25, 1.6)), None),
            row("async-std", "async-std", 1.2, Some((1.1, 1.3)), Some((0.9, 2.5))),
        ],
    }
}

#[test]
fn question_chart_draws_interval_and_range() -> TestResult {
    let out = tempfile::tempdir()?;
    let chart = question();
    let files = render::render(&chart, out.path())?;
    assert!(files.svg.ends_with("q__planted__1.svg") && files.png.ends_with("q__planted__1.png"));
    let text = fs::read_to_string(&files.svg)?;
    assert!(text.contains(question::WHISKER_LEGEND) && text.contains(question::RANGE_LEGEND));
    let doc = svg::Svg::parse(&text);
    let x = doc.axis(svg::Axis::X, true).ok_or("no x axis ticks")?;
    assert!(x.labels_apart(), "tick labels overlap: {:?}", x.ticks);
    let mut drawn: Vec<(f64, f64)> = (doc.whiskers(svg::Axis::X).iter())
        .map(|&(a, b)| (x.value(a), x.value(b)))
        .collect();
    drawn.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(drawn.len(), 2, "the unstable row has no whisker: {drawn:?}");
    assert!(
        close(drawn[0].0, 0.97, 0.01) && close(drawn[0].1, 1.03, 0.01),
        "{drawn:?}"
    );
    assert!(
        close(drawn[1].0, 1.25, 0.01) && close(drawn[1].1, 1.6, 0.01),
        "{drawn:?}"
    );
    let legacy = palette::style("async-std", false).colour;
    let boxes = doc.range_boxes(legacy);
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let (lo, hi) = (x.value(boxes[0].0.0), x.value(boxes[0].0.1));
    assert!(close(lo, 0.9, 0.01) && close(hi, 2.5, 0.01), "range box {lo}..{hi}");
    assert_eq!(doc.circles(legacy), 0, "an unstable row has no point");
    assert_eq!(doc.circles(palette::style("smol-ct", false).colour), 1);
    Ok(())
}

/// The sweep's p99 panel: with repeats, a bar from the lowest to the highest p99 of a rate's
/// repeats (what the rates table prints), beside the median point; planted 200 µs … 3000 µs.
#[test]
fn sweep_p99_bar_spans_the_repeats() -> TestResult {
    use asyncbench::report::chart::sweep_latency::{LatencyVsRateChart, Line};
    use asyncbench::sweep::knee::Verdict;
    let style = palette::style("tokio-ct", false);
    let chart = LatencyVsRateChart {
        route: "/".into(),
        slo_us: 10_000.0,
        repeats: 3,
        lines: vec![Line {
            runtime: style.clone(),
            points: vec![
                (1000.0, [50.0, 100.0, 150.0], Verdict::Pass),
                (4000.0, [80.0, 500.0, 900.0], Verdict::Pass),
            ],
            p99_range: vec![[100.0, 100.0], [200.0, 3000.0]],
        }],
    };
    let out = tempfile::tempdir()?;
    let text = fs::read_to_string(render::render(&chart, out.path())?.svg)?;
    assert!(text.contains("lowest to highest p99 of the repeats"));
    let doc = svg::Svg::parse(&text);
    let y = doc.axis(svg::Axis::Y, true).ok_or("no y axis ticks")?;
    let bars = doc.vertical_lines(style.colour);
    assert_eq!(bars.len(), 1, "one rate had spread: {bars:?}");
    let (lo, hi) = (y.value(bars[0].2), y.value(bars[0].1));
    assert!(close(lo, 200.0, 0.03) && close(hi, 3000.0, 0.03), "bar {lo}..{hi} µs");
    Ok(())
}
