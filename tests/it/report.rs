//! Charts and the report, from synthetic run directories (exact figures, milliseconds to run)
//! and once through `asyncbench run`: the Markdown table layout, valid SVG/PNG for every
//! scenario, variant and metric, the report's sections, odd data that must not panic, and
//! failures on a broken run that name the file, exit 2 and overwrite nothing.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use crate::common::{Case, TestResult, assert_png, assert_svg, catalogue, cli, make_run};
use asyncbench::report::chart::batch::{Bar, BatchChart};
use asyncbench::report::chart::overview::OverviewChart;
use asyncbench::report::chart::render;
use asyncbench::report::chart::spectrum::{Line, SpectrumChart};
use asyncbench::report::doc::{markdown, tables};
use asyncbench::report::{self, ChartKey, palette};
use asyncbench::results::{CaseResult, Percentiles, WallStats};

fn row(runtime: &str, legacy: bool, lat_ms: [u64; 5], batches_ms: &[u64], errors: u64) -> CaseResult {
    let ms = 1_000_000;
    CaseResult {
        scenario: "s".into(),
        variant: "v".into(),
        runtime: runtime.into(),
        metric: "latency".into(),
        legacy,
        samples: 80,
        errors,
        latency_ns: Some(Percentiles {
            p50: lat_ms[0] * ms,
            p90: lat_ms[1] * ms,
            p99: lat_ms[2] * ms,
            p999: lat_ms[3] * ms,
            max: lat_ms[4] * ms,
            ..Percentiles::default()
        }),
        wall_ns: WallStats::from_samples(&batches_ms.iter().map(|b| b * ms).collect::<Vec<_>>()),
        measured_over_ideal: Some(1.2345),
        throughput_per_s: Some(41.68),
        ..CaseResult::default()
    }
}

#[test]
fn markdown_table_layout_is_stable() {
    let a = row("tokio-ct", false, [22, 27, 32, 33, 33], &[18, 10, 14, 12, 16], 0);
    let mut b = row("async-std", true, [1, 2, 3, 4, 5], &[7], 2);
    b.measured_over_ideal = None;
    b.throughput_per_s = None;
    b.latency_ns = None;
    let expected = "\
| runtime            |     p50 |     p90 |     p99 |   p99.9 |     max | batch mean ± 95% CI | throughput | measured/ideal | errors | samples |
| ------------------ | ------: | ------: | ------: | ------: | ------: | ------------------: | ---------: | -------------: | -----: | ------: |
| tokio-ct           | 22.0 ms | 27.0 ms | 32.0 ms | 33.0 ms | 33.0 ms |      14.0 ± 3.93 ms |     41.7/s |          1.23× |      0 |      80 |
| async-std (legacy) |       — |       — |       — |       — |       — |   7.00 ms (1 batch) |          — |              — |      2 |      80 |
";
    assert_eq!(markdown::table(&tables::case_table(&[&a, &b])), expected);
}

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
            ChartKey::Batch { scenario } => format!("{scenario}: batch time"),
            ChartKey::Spectrum { metric, .. } => format!("{metric} by percentile"),
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

#[test]
fn report_has_method_first_then_every_scenario_and_ends_with_the_command() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    let files = report::report(&dir)?;
    let md = fs::read_to_string(&files.markdown)?;
    let order = [
        "# asyncbench report: run ",
        "## Environment",
        "Test CPU (testhost), 8 logical cores",
        "## Method",
        "**Closed loop:**",
        "**Harness floor:**",
        "## Overview",
        "## Scenario alpha",
        "**Guide section this answers:** Guide section of alpha",
        "**Answer from this run:**",
        // Identical synthetic samples on every runtime: the ranking is noise, and it says so.
        "not a significant difference (Welch, p=1.000)",
        "### alpha / join_all",
        "| runtime ",
        "#### loop_lag",
        "#### Scenario figures",
        "### alpha: warnings",
        "## Scenario beta",
        "⚠ beta / only / tokio-mt: 3 operations failed",
        "## Reproduce",
        "asyncbench run --batches 10",
    ];
    let mut at = 0;
    for needle in order {
        let found = md[at..]
            .find(needle)
            .ok_or(format!("{needle:?} missing or out of order"))?;
        at += found + needle.len();
    }
    // Every chart the report links exists.
    for line in md.lines().filter(|l| l.starts_with("![")) {
        let target = line
            .rsplit_once("](")
            .map(|(_, t)| t.trim_end_matches(')'))
            .ok_or("bad link")?;
        assert!(dir.join(target).is_file(), "{target}");
    }
    // The HTML is self-contained: every chart inline, nothing loaded from elsewhere.
    let html = fs::read_to_string(&files.html)?;
    assert_eq!(html.matches("<svg").count(), files.charts.len());
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<link"));
    assert!(html.contains("<th class=\"r\">p99.9</th>"));
    assert!(html.contains("3 operations failed (1 status, 2 timeout; "));
    assert!(
        md.contains("| 1 status, 2 timeout |"),
        "errors by kind in the case table"
    );
    Ok(())
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
        mean_ns: f64::NAN,
        ci_low_ns: f64::NEG_INFINITY,
        ci_high_ns: f64::NAN,
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
            };
            render::render(&c, d)
        }),
        // NaN everywhere, one runtime, an ideal of zero.
        Box::new(move |d| {
            let c = BatchChart {
                scenario: "nan".into(),
                variants: vec!["v".into()],
                runtimes: vec![palette::style("tokio-ct", false)],
                bars: vec![nan_bar.clone()],
                ideal_ns: vec![Some(0.0)],
            };
            render::render(&c, d)
        }),
        // A single zero-valued batch.
        Box::new(|d| {
            let bar = Bar {
                variant: 0,
                runtime: 0,
                mean_ns: 0.0,
                ci_low_ns: 0.0,
                ci_high_ns: 0.0,
            };
            let c = BatchChart {
                scenario: "zero".into(),
                variants: vec!["v".into()],
                runtimes: vec![palette::style("smol-ct", false)],
                bars: vec![bar],
                ideal_ns: vec![None],
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

type Files = Vec<(String, Vec<u8>)>;

/// Every file in the run directory with its content, to prove nothing was overwritten.
fn snapshot(dir: &Path) -> Result<Files, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for sub in ["", "charts", "hist"] {
        let d = dir.join(sub);
        if !d.is_dir() {
            continue;
        }
        for e in fs::read_dir(d)? {
            let p = e?.path();
            if p.is_file() {
                out.push((p.display().to_string(), fs::read(&p)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[test]
fn broken_runs_fail_with_exit_2_naming_the_file_and_overwrite_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    report::report(&dir)?;
    // Make existing outputs recognisable so any rewrite would show.
    for f in [
        "REPORT.md",
        "index.html",
        "charts/overview.svg",
        "charts/alpha__batch.png",
    ] {
        fs::write(dir.join(f), "sentinel")?;
    }

    // A histogram the summary names is missing.
    let hgrm = dir.join("hist/alpha__join_all__smol-mt__loop_lag.hgrm");
    fs::remove_file(&hgrm)?;
    let before = snapshot(&dir)?;
    for cmd in ["plot", "report"] {
        let (code, _, err) = cli(&[OsStr::new(cmd), dir.as_os_str()])?;
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains(&hgrm.display().to_string()), "{cmd}: {err}");
        assert_eq!(snapshot(&dir)?, before, "{cmd} changed files");
    }

    // A corrupt summary.json.
    let summary = dir.join("summary.json");
    fs::write(&summary, "{\"schema_version\": 1, \"run\": [")?;
    let before = snapshot(&dir)?;
    for cmd in ["plot", "report"] {
        let (code, _, err) = cli(&[OsStr::new(cmd), dir.as_os_str()])?;
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains(&summary.display().to_string()), "{cmd}: {err}");
        assert_eq!(snapshot(&dir)?, before, "{cmd} changed files");
    }

    // No run at all.
    let (code, _, err) = cli(&[
        OsStr::new("report"),
        OsStr::new("--results"),
        root.path().join("none").as_os_str(),
    ])?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("latest"), "{err}");
    Ok(())
}

#[test]
fn asyncbench_run_leaves_charts_and_a_report() -> TestResult {
    let root = tempfile::tempdir()?;
    let args = [
        "run",
        "--scenario",
        "fetch_parallel",
        "--runtime",
        "tokio-ct",
        "--variant",
        "join_all",
        "--batches",
        "2",
        "--warmup",
        "0",
        "--results",
    ];
    let mut argv: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    argv.push(root.path().as_os_str());
    let (code, out, err) = cli(&argv)?;
    assert_eq!(code, 0, "{err}");
    let dir = Path::new(out.trim());
    assert!(dir.join("REPORT.md").is_file(), "{err}");
    assert!(dir.join("index.html").is_file());
    assert!(dir.join("charts/fetch_parallel__batch.svg").is_file());
    assert!(dir.join("charts/fetch_parallel__join_all-fresh__latency.png").is_file());
    let md = fs::read_to_string(dir.join("REPORT.md"))?;
    assert!(
        md.contains("**Guide section this answers:** Fetching multiple URLs"),
        "{md}"
    );
    // `plot` regenerates from the files alone; `latest` is the default run.
    let (code, out, err) = cli(&[OsStr::new("plot"), OsStr::new("--results"), root.path().as_os_str()])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l.ends_with("overview.png")), "{out}");
    Ok(())
}

#[test]
fn an_open_loop_run_says_so_in_its_method() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    let path = dir.join("summary.json");
    let mut summary: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path)?)?;
    let run = summary.get_mut("run").and_then(|r| r.as_object_mut()).ok_or("no run")?;
    run.insert("mode".into(), "open-loop".into());
    run.insert("rate_per_s".into(), 2000.into());
    run.insert("connections".into(), 16.into());
    fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    let md = fs::read_to_string(report::report(&dir)?.markdown)?;
    assert!(
        md.contains("mode `open-loop (2000 requests/s, 16 connections)`"),
        "{md}"
    );
    assert!(md.contains("open loop at 2000 requests/s over 16 keep-alive connections"));
    assert!(md.contains("**Open loop:**") && !md.contains("**Closed loop:**"));
    Ok(())
}
