//! Charts from synthetic run directories: valid SVG and PNG for every scenario, variant and
//! metric, the legacy label in legends, and odd data (no points, NaN, zero, a case that recorded
//! nothing) that must draw without panicking.

use std::fs;
use std::path::Path;

use crate::common::{Case, TestResult, assert_png, assert_svg, catalogue, make_run};
use asyncbench::report::chart::batch::{Bar, BatchChart};
use asyncbench::report::chart::marks::Mark;
use asyncbench::report::chart::overview::OverviewChart;
use asyncbench::report::chart::question::{QuestionChart, QuestionRow};
use asyncbench::report::chart::render;
use asyncbench::report::chart::spectrum::{Line, SpectrumChart};
use asyncbench::report::{self, ChartKey, palette};

#[test]
fn plot_draws_valid_svg_and_png_for_every_scenario_variant_and_metric() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    let charts = report::plot(&dir)?;
    let mut expected = vec![
        ChartKey::Overview,
        ChartKey::Batch {
            scenario: "alpha".into(),
        },
        ChartKey::Batch {
            scenario: "beta".into(),
        },
    ];
    for variant in ["join_all", "sequential"] {
        for metric in ["latency", "loop_lag"] {
            expected.push(ChartKey::Spectrum {
                scenario: "alpha".into(),
                variant: variant.into(),
                metric: metric.into(),
            });
        }
    }
    expected.push(ChartKey::Spectrum {
        scenario: "beta".into(),
        variant: "only".into(),
        metric: "latency".into(),
    });
    let mut got: Vec<&ChartKey> = charts.keys().collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected.iter().collect::<Vec<_>>());
    for (key, files) in &charts {
        assert!(files.svg.starts_with(dir.join("charts")), "{}", files.svg.display());
        let title = match key {
            ChartKey::Overview => "measured / ideal".to_string(),
            ChartKey::PythonRatio => "Rust vs the guide".to_string(),
            ChartKey::Batch { scenario } => format!("{scenario}: batch time"),
            ChartKey::Spectrum { metric, .. } => format!("{metric} by percentile"),
            ChartKey::Cost { scenario } => format!("{scenario}: CPU per operation"),
            ChartKey::Question { .. } => "95% interval over paired rounds".to_string(),
        };
        assert_svg(&files.svg, &title)?;
        let svg = fs::read_to_string(&files.svg)?;
        let (w, h) = svg_size(&svg).ok_or("no SVG size")?;
        assert_png(&files.png, (w, h))?;
    }
    // The legacy runtime is labelled as such in its legends.
    let batch = fs::read_to_string(dir.join("charts/alpha__batch.svg"))?;
    assert!(batch.contains("async-std (legacy)"));
    Ok(())
}

fn svg_size(svg: &str) -> Option<(u32, u32)> {
    let attr = |name: &str| -> Option<u32> {
        let start = svg.find(&format!("{name}=\""))? + name.len() + 2;
        svg[start..].split('"').next()?.parse().ok()
    };
    Some((attr("width")?, attr("height")?))
}

/// Draws one chart into a directory.
type Draw = dyn Fn(&Path) -> Result<render::Rendered, String>;

#[test]
fn odd_data_draws_without_panicking() -> TestResult {
    let out = tempfile::tempdir()?;
    let tokio = palette::style("tokio-ct", false);
    let nan_bar = Bar {
        variant: 0,
        runtime: 0,
        mark: Mark::Value {
            value: f64::NAN,
            interval: Some((f64::NEG_INFINITY, f64::NAN)),
        },
    };
    let nan_range = Bar {
        variant: 0,
        runtime: 0,
        mark: Mark::Range { lo: f64::NAN, hi: -1.0 },
    };
    let charts: Vec<Box<Draw>> = vec![
        // No bars, no ideal.
        Box::new(|d| {
            let c = BatchChart {
                scenario: "empty".into(),
                variants: vec![],
                runtimes: vec![],
                bars: vec![],
                ideal_ns: vec![],
                figures: vec![],
                over_batches: false,
            };
            render::render(&c, d)
        }),
        // NaN everywhere, one runtime, an ideal of zero.
        Box::new(move |d| {
            let c = BatchChart {
                scenario: "nan".into(),
                variants: vec!["v".into()],
                runtimes: vec![palette::style("tokio-ct", false)],
                bars: vec![nan_bar.clone(), nan_range.clone()],
                ideal_ns: vec![Some(0.0)],
                figures: vec![],
                over_batches: false,
            };
            render::render(&c, d)
        }),
        // A single zero-valued batch.
        Box::new(|d| {
            let bar = Bar {
                variant: 0,
                runtime: 0,
                mark: Mark::Value {
                    value: 0.0,
                    interval: Some((0.0, 0.0)),
                },
            };
            let c = BatchChart {
                scenario: "zero".into(),
                variants: vec!["v".into()],
                runtimes: vec![palette::style("smol-ct", false)],
                bars: vec![bar],
                ideal_ns: vec![None],
                figures: vec![],
                over_batches: false,
            };
            render::render(&c, d)
        }),
        // Spectra: no points, NaN points, a single point, x below 1.
        Box::new(move |d| {
            let line = |points: Vec<(f64, f64)>| Line {
                runtime: tokio.clone(),
                points,
            };
            let c = SpectrumChart {
                scenario: "odd".into(),
                variant: "v".into(),
                metric: "latency".into(),
                lines: vec![
                    line(vec![]),
                    line(vec![(f64::NAN, 1.0), (2.0, f64::INFINITY)]),
                    line(vec![(0.5, 3.0)]),
                ],
            };
            render::render(&c, d)
        }),
        Box::new(|d| {
            let line = Line {
                runtime: palette::style("unknown-rt", true),
                points: vec![(2.0, 5.0)],
            };
            let c = SpectrumChart {
                scenario: "one".into(),
                variant: "v".into(),
                metric: "loop_lag".into(),
                lines: vec![line],
            };
            render::render(&c, d)
        }),
        // Question charts: no rows; NaN, zero and inverted figures; a long title on 640 px.
        Box::new(|d| {
            let c = QuestionChart {
                id: "q__empty".into(),
                title: "no rows".into(),
                axis: "× best".into(),
                rows: vec![],
            };
            render::render(&c, d)
        }),
        Box::new(|d| {
            let row = |estimate: f64, interval, range| QuestionRow {
                label: "sequential-keepalive on threads".into(),
                style: palette::style("tokio-mt", false),
                estimate,
                interval,
                range,
            };
            let c = QuestionChart {
                id: "q__odd".into(),
                title: "Which runtime gathers requests fastest when every request waits on a slow server?".into(),
                axis: "× fastest (lower is better)".into(),
                rows: vec![
                    row(f64::NAN, Some((f64::NAN, 2.0)), None),
                    row(0.0, Some((-1.0, 0.0)), None),
                    row(3.0, Some((4.0, 2.0)), None),
                    row(1.0, None, Some((f64::INFINITY, 0.5))),
                    row(1e6, Some((1e-6, 1e7)), None),
                ],
            };
            render::render(&c, d)
        }),
        // An overview with no ideal anywhere.
        Box::new(|d| {
            let c = OverviewChart {
                rows: vec![],
                runtimes: vec![],
                dots: vec![],
            };
            render::render(&c, d)
        }),
    ];
    for draw in charts {
        let files = draw(out.path())?;
        assert_svg(&files.svg, "")?;
        assert!(files.png.is_file());
    }
    // A run whose only case recorded nothing still gets its charts and report.
    let root = tempfile::tempdir()?;
    let mut empty = Case::new("gamma", "v", "tokio-ct");
    empty.latencies_ns.clear();
    empty.batches_ns.clear();
    empty.ideal_ns = None;
    let dir = make_run(root.path(), &[empty])?;
    let files = report::report(&dir)?;
    assert_eq!(files.charts.len(), 3, "{:?}", files.charts.keys().collect::<Vec<_>>());
    Ok(())
}
