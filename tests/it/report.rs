//! The report, from synthetic run directories (exact figures, milliseconds to run) and once
//! through `asyncbench run`: the Markdown table layout, the report's sections, the method an
//! open-loop run states, and failures on a broken run that name the file, exit 2 and overwrite
//! nothing. Its charts are tested in `charts.rs`.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use crate::common::{TestResult, catalogue, cli, make_run};
use asyncbench::report;
use asyncbench::report::doc::{markdown, tables};
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
    use asyncbench::stats::rounds::{Round, summarize};
    let ms = 1e6;
    let rounds = |means: &[f64], sd: f64| {
        summarize(
            means
                .iter()
                .enumerate()
                .map(|(i, m)| Round {
                    position: i as u32,
                    mean: m * ms,
                    stddev: sd * ms,
                    batches: 20,
                    steal_pct: None,
                    host_probe_ns: None,
                    migrations: None,
                })
                .collect(),
        )
    };
    let mut a = row("tokio-ct", false, [22, 27, 32, 33, 33], &[18, 10, 14, 12, 16], 0);
    // Means 10, 12, 14 ms: 12 ± t(0.975, 2)·2/√3 = 12 ± 4.97 ms, stable: batches spread 10 ms.
    a.rounds = rounds(&[10.0, 12.0, 14.0], 10.0);
    let mut b = row("async-std", true, [1, 2, 3, 4, 5], &[7], 2);
    b.measured_over_ideal = None;
    b.throughput_per_s = None;
    b.latency_ns = None;
    // Rounds 20 ms apart with 0.1 ms batches: unstable, shown as a range.
    b.rounds = rounds(&[5.0, 25.0, 6.0], 0.1);
    let expected = "\
| runtime            | mean batch time over rounds ± 95% CI | rounds        |    MDE |     p50 |     p99 |     max | batch mean ± 95% CI | throughput | measured/ideal | measured/floor | errors | samples |
| ------------------ | -----------------------------------: | ------------- | -----: | ------: | ------: | ------: | ------------------: | ---------: | -------------: | -------------: | -----: | ------: |
| tokio-ct           |                       12.0 ± 4.97 ms | 3, stable     |  50.6% | 22.0 ms | 32.0 ms | 33.0 ms |      14.0 ± 3.93 ms |     41.7/s |          1.23× |              — |      0 |      80 |
| async-std (legacy) |                  5.00 ms … 25.0 ms ⚠ | 3, ⚠ unstable | 285.0% |       — |       — |       — |   7.00 ms (1 batch) |          — |              — |              — |      2 |      80 |
";
    assert_eq!(markdown::table(&tables::case_table(&[&a, &b])), expected);
}

#[test]
fn report_has_method_first_then_every_scenario_and_ends_with_the_command() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = make_run(root.path(), &catalogue())?;
    let files = report::report(&dir)?;
    let md = fs::read_to_string(&files.markdown)?;
    let order = [
        "# asyncbench report: run ",
        "**Run:** Test CPU (testhost), 8 cores",
        "## Scorecard",
        "| question ",
        "## Environment",
        "Test CPU (testhost), 8 logical cores",
        "## Method",
        "**Closed loop:**",
        "**Rounds:**",
        "**CPU placement:**",
        "**Harness floor:**",
        "## Overview",
        "## Scenarios in detail",
        "[alpha](scenarios/alpha.md)",
        "[beta](scenarios/beta.md)",
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
    // Per scenario, its page holds the detail.
    let mut pages = String::new();
    for s in ["alpha", "beta"] {
        pages.push_str(&fs::read_to_string(dir.join(format!("scenarios/{s}.md")))?);
    }
    let md_main = md;
    let md = pages;
    let order = [
        "## Scenario alpha",
        "**Guide section this answers:** Guide section of alpha",
        "**Answer from this run:**",
        // A synthetic run without rounds: the ranking is not tested, and it says so.
        "measured in fewer than 2 rounds: no test of the difference",
        "### alpha / join_all",
        "| runtime ",
        "#### loop_lag",
        "#### Scenario figures",
        "### alpha: warnings",
        "## Scenario beta",
        "⚠ beta / only / tokio-mt: 3 operations failed",
    ];
    let mut at = 0;
    for needle in order {
        let found = md[at..]
            .find(needle)
            .ok_or(format!("{needle:?} missing or out of order"))?;
        at += found + needle.len();
    }
    // Every chart the report and its pages link exists.
    for (page, base) in [(&md_main, dir.clone()), (&md, dir.join("scenarios"))] {
        for line in page.lines().filter(|l| l.starts_with("![")) {
            let target = line
                .rsplit_once("](")
                .map(|(_, t)| t.trim_end_matches(')'))
                .ok_or("bad link")?;
            assert!(base.join(target).is_file(), "{target}");
        }
    }
    // The HTML pages are self-contained: every chart inline exactly once across index.html and
    // the scenario pages, nothing loaded from elsewhere.
    let mut html = fs::read_to_string(&files.html)?;
    for s in ["alpha", "beta"] {
        html.push_str(&fs::read_to_string(dir.join(format!("scenarios/{s}.html")))?);
    }
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
    let brief = fs::read_to_string(dir.join("BRIEF.md"))?;
    assert!(brief.contains("## Scorecard"), "{brief}");
    // The terminal closes with the same scorecard.
    assert!(err.contains("Scorecard · "), "{err}");
    let page = fs::read_to_string(dir.join("scenarios/fetch_parallel.md"))?;
    assert!(
        page.contains("**Guide section this answers:** Fetching multiple URLs"),
        "{page}"
    );
    assert!(dir.join("scenarios/fetch_parallel.html").is_file());
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

/// Every `attr="…"` value in `html` (a tiny scan: the page is our own, always double-quoted).
fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let key = format!("{attr}=\"");
    html.match_indices(&key)
        .filter_map(|(i, _)| html[i + key.len()..].split('"').next())
        .collect()
}

#[test]
fn findings_state_a_planted_gap_and_every_link_reaches_its_section() -> TestResult {
    let root = tempfile::tempdir()?;
    // One variant on two runtimes, smol-ct planted at exactly 3× tokio-ct's batch times.
    let fast = crate::common::Case::new("fetch_parallel", "join_all", "tokio-ct");
    let slow = crate::common::Case::new("fetch_parallel", "join_all", "smol-ct").scaled(3.0);
    let other = crate::common::Case::new("timeout", "in_time", "tokio-ct");
    let dir = make_run(root.path(), &[fast, slow, other])?;
    // The scenario's declared comparison, as a real run's summary carries it.
    let path = dir.join("summary.json");
    let mut s = asyncbench::results::Summary::read(&path)?;
    s.scenarios.entry("fetch_parallel".into()).or_default().comparisons =
        vec![asyncbench::results::Comparison::runtimes(
            "join_all",
            "which runtime gathers fastest",
        )];
    fs::write(&path, serde_json::to_string(&s)?)?;
    let files = report::report(&dir)?;
    let md = fs::read_to_string(&files.markdown)?;
    let card = md.find("## Scorecard").ok_or("no scorecard")?;
    assert!(
        card < md.find("## Environment").ok_or("no environment")?,
        "the scorecard comes first"
    );
    // The scorecard row: one round per row, so no interval and no claim.
    assert!(
        md.contains("| fetch_parallel: which runtime gathers fastest ")
            && md.contains("tokio-ct fastest (no interval: no claim)"),
        "{md}"
    );
    let page = fs::read_to_string(dir.join("scenarios/fetch_parallel.md"))?;
    assert!(
        page.contains(
            "- which runtime gathers fastest — join_all (per batch): fastest tokio-ct at 9.90 ms; against it: \
             smol-ct 3.00× (one figure per row: no interval, no claim) (29.7 ms)."
        ),
        "{page}"
    );
    // Every page the report links exists.
    for (i, _) in md.match_indices("](scenarios/") {
        let target = md[i + 2..].split(')').next().unwrap_or("");
        assert!(dir.join(target).is_file(), "REPORT.md links {target}, which is missing");
    }

    // index.html: anchors are unique, and every in-page link names one of them.
    let html = fs::read_to_string(dir.join("scenarios/fetch_parallel.html"))?;
    let ids = attrs(&html, "id");
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids in index.html");
    for id in ["scenario-fetch-parallel", "fetch-parallel-join-all"] {
        assert!(unique.contains(id), "no anchor {id}");
    }
    let links: Vec<&str> = attrs(&html, "href")
        .into_iter()
        .filter_map(|h| h.strip_prefix('#'))
        .collect();
    for l in links {
        assert!(unique.contains(l), "link #{l} has no target");
    }
    // index.html links each scenario's page, and each link resolves.
    let index = fs::read_to_string(&files.html)?;
    let pages: Vec<&str> = attrs(&index, "href")
        .into_iter()
        .filter(|h| h.starts_with("scenarios/"))
        .collect();
    assert!(pages.contains(&"scenarios/fetch_parallel.html"), "{pages:?}");
    for p in pages {
        assert!(dir.join(p).is_file(), "index.html links {p}, which is missing");
    }
    // REPORT.md: every in-page link is the GitHub slug of one of its headings.
    let slugs: std::collections::BTreeSet<String> = md
        .lines()
        .filter_map(|l| {
            l.trim_start_matches('#')
                .strip_prefix(' ')
                .filter(|_| l.starts_with('#'))
        })
        .map(asyncbench::report::doc::github_slug)
        .collect();
    for (i, _) in md.match_indices("](#") {
        let target = md[i + 3..].split(')').next().unwrap_or("");
        assert!(slugs.contains(target), "REPORT.md link #{target} has no heading");
    }
    Ok(())
}

#[test]
fn an_open_loop_scenario_is_answered_by_p99_not_by_its_fixed_windows() -> TestResult {
    let root = tempfile::tempdir()?;
    // Equal batch times (the window), smol-ct's latencies planted at 4× tokio-ct's.
    let fast = crate::common::Case::new("http_server", "immediate-2000rps", "tokio-ct");
    let mut slow = crate::common::Case::new("http_server", "immediate-2000rps", "smol-ct");
    slow.latencies_ns = slow.latencies_ns.iter().map(|v| v * 4).collect();
    let uncorrected =
        crate::common::Case::new("http_server", "immediate-2000rps", "tokio-ct").metric("latency_uncorrected");
    let dir = make_run(root.path(), &[fast, slow, uncorrected])?;
    report::report(&dir)?;
    let md = fs::read_to_string(dir.join("scenarios/http_server.md"))?;
    let line = md
        .lines()
        .find(|l| l.starts_with("- open loop"))
        .ok_or("no findings line")?;
    assert!(
        line.contains("open loop, p99 from the intended send time: lowest immediate-2000rps on tokio-ct")
            && line.contains("highest immediate-2000rps on smol-ct")
            && line.contains("(4.00× as long)"),
        "{line}"
    );
    Ok(())
}
