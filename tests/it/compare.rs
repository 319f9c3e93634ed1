//! `asyncbench compare` on synthetic runs with known differences: identical runs pass, a 50%
//! slowdown is flagged (and fails CI with --fail-on-regression), new errors and a slower lag
//! metric are regressions, noise within the threshold is not, runs with different scenario
//! sets compare on what they share, and a missing interval log fails with exit 2.

use std::ffi::OsStr;
use std::fs;

use crate::common::{Case, TestResult, catalogue, cli, make_run};
use asyncbench::compare::output as compare_output;
use asyncbench::compare::{CompareOpts, Verdict, compare};
use asyncbench::measure::ErrorKind;

fn args<'a>(list: &'a [&'a OsStr]) -> Vec<&'a OsStr> {
    list.to_vec()
}

#[test]
fn identical_runs_pass() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let b = make_run(root.path(), &catalogue())?;
    let c = compare(&a, &b, CompareOpts::default())?;
    assert_eq!(c.rows.len(), catalogue().len());
    // `beta` has errors in both runs: not new, so not a regression.
    assert!(
        c.rows.iter().all(|r| r.verdict == Verdict::WithinNoise),
        "{:#?}",
        c.rows
    );
    assert!(c.only_a.is_empty() && c.only_b.is_empty() && c.env_diffs.is_empty());
    let (code, out, err) = cli(&args(&[
        OsStr::new("compare"),
        a.as_os_str(),
        b.as_os_str(),
        OsStr::new("--fail-on-regression"),
    ]))?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Result: 0 REGRESSION;"), "{out}");
    // The methods paragraph with its sources only on request; one line names the tests.
    assert!(out.contains("Welch") && !out.contains("Mann-Whitney"), "{out}");
    let (code, out, err) = cli(&args(&[
        OsStr::new("compare"),
        a.as_os_str(),
        b.as_os_str(),
        OsStr::new("--verbose"),
    ]))?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Welch") && out.contains("Mann-Whitney"), "{out}");
    Ok(())
}

#[test]
fn a_synthetic_slowdown_is_flagged_and_fails_ci() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let slower: Vec<Case> = catalogue()
        .into_iter()
        .map(|c| {
            if c.variant == "join_all" && c.runtime == "tokio-ct" && c.metric == "latency" {
                c.scaled(1.5)
            } else {
                c
            }
        })
        .collect();
    let b = make_run(root.path(), &slower)?;
    let c = compare(&a, &b, CompareOpts::default())?;
    let flagged: Vec<_> = c.rows.iter().filter(|r| r.verdict == Verdict::Regression).collect();
    assert_eq!(flagged.len(), 1, "{:#?}", c.rows);
    let r = flagged[0];
    assert_eq!(
        (r.scenario.as_str(), r.variant.as_str(), r.runtime.as_str()),
        ("alpha", "join_all", "tokio-ct")
    );
    assert!(r.wall_test.is_some_and(|t| t.p < 0.001), "{r:?}");
    assert!(r.reason.contains("+50.0%"), "{}", r.reason);
    // The same change the other way round is an improvement.
    let back = compare(&b, &a, CompareOpts::default())?;
    assert_eq!(back.count(Verdict::Improvement), 1);
    assert_eq!(back.count(Verdict::Regression), 0);
    // A threshold above the change lets it through.
    let lax = compare(
        &a,
        &b,
        CompareOpts {
            threshold_pct: 60.0,
            alpha: 0.05,
        },
    )?;
    assert_eq!(lax.count(Verdict::Regression), 0);
    // So does the scenario's own gate (its file's gate_pct, recorded in the run), for its rows
    // only; the output names it.
    let gated = root.path().join("gated");
    copy_run(&b, &gated)?;
    let summary_path = gated.join("summary.json");
    let mut s = asyncbench::results::Summary::read(&summary_path)?;
    s.scenarios.entry("alpha".into()).or_default().gate_pct = Some(60.0);
    fs::write(&summary_path, serde_json::to_string_pretty(&s)?)?;
    let own = compare(&a, &gated, CompareOpts::default())?;
    assert_eq!(own.count(Verdict::Regression), 0, "{:#?}", own.rows);
    let row = own.rows.iter().find(|r| slowed_row(r)).ok_or("the slowed row")?;
    assert_eq!(row.verdict, Verdict::SlowerBelowGate, "{}", row.reason);
    assert!(row.reason.contains("under the 60% gate"), "{}", row.reason);
    assert!(
        compare_output::render_verbose(&own).contains("Scenario gates")
            && compare_output::render_verbose(&own).contains("alpha 60%"),
        "{}",
        compare_output::render_verbose(&own)
    );

    let text = compare_output::render(&c);
    assert!(
        text.contains("REGRESSION") && text.contains("alpha / join_all / tokio-ct"),
        "{text}"
    );
    let base = [OsStr::new("compare"), a.as_os_str(), b.as_os_str()];
    let (code, out, _) = cli(&args(&base))?;
    assert_eq!(
        code, 0,
        "without --fail-on-regression a regression is reported, not fatal: {out}"
    );
    let mut gate = base.to_vec();
    gate.push(OsStr::new("--fail-on-regression"));
    let (code, out, err) = cli(&gate)?;
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("1 regression(s)"), "{err}");
    Ok(())
}

#[test]
fn new_errors_and_a_slower_lag_metric_are_regressions() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let changed: Vec<Case> = catalogue()
        .into_iter()
        .map(|mut c| {
            if c.variant == "sequential" && c.runtime == "smol-mt" && c.metric == "latency" {
                c.errors = [(ErrorKind::Closed, 2)].into_iter().collect();
            }
            if c.variant == "join_all" && c.runtime == "async-std" && c.metric == "loop_lag" {
                c.latencies_ns = c.latencies_ns.iter().map(|v| v * 3).collect();
            }
            c
        })
        .collect();
    let b = make_run(root.path(), &changed)?;
    let c = compare(&a, &b, CompareOpts::default())?;
    let mut flagged: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Regression)
        .map(|r| format!("{}/{}/{}", r.variant, r.runtime, r.metric))
        .collect();
    flagged.sort();
    assert_eq!(
        flagged,
        ["join_all/async-std/loop_lag", "sequential/smol-mt/latency"],
        "{:#?}",
        c.rows
    );
    let lag = c
        .rows
        .iter()
        .find(|r| r.metric == "loop_lag" && r.runtime == "async-std" && r.variant == "join_all");
    // Decided by the sample distribution, since lag rows carry no batch statistics of their own.
    assert!(lag.is_some_and(|r| r.wall_test.is_none() && r.dist_test.is_some_and(|t| t.p < 0.001)));
    // The new failures are named by kind, in the reason and in the table.
    let text = compare_output::render(&c);
    assert!(text.contains("2 errors (2 closed) where A had none"), "{text}");
    assert!(text.contains(" 0 → 2 closed | REGRESSION"), "{text}");
    Ok(())
}

#[test]
fn small_noise_is_not_a_regression() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let noisy: Vec<Case> = catalogue().into_iter().map(|c| c.scaled(1.02)).collect();
    let b = make_run(root.path(), &noisy)?;
    let c = compare(&a, &b, CompareOpts::default())?;
    assert_eq!(c.count(Verdict::Regression), 0, "{:#?}", c.rows);
    Ok(())
}

#[test]
fn different_scenario_sets_compare_on_what_they_share() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let mut fewer: Vec<Case> = catalogue()
        .into_iter()
        .filter(|c| c.scenario == "alpha" && c.runtime != "smol-mt")
        .collect();
    fewer.push(Case::new("delta", "v", "tokio-ct"));
    let b = make_run(root.path(), &fewer)?;
    let c = compare(&a, &b, CompareOpts::default())?;
    assert_eq!(c.rows.len(), 8);
    assert_eq!(c.only_a, ["alpha on smol-mt (every variant)", "scenario beta"]);
    assert_eq!(c.only_b, ["scenario delta"]);
    let text = compare_output::render(&c);
    assert!(text.contains("Only in A") && text.contains("scenario delta"), "{text}");
    Ok(())
}

#[test]
fn a_run_without_its_histogram_files_still_compares_and_a_missing_run_fails_with_exit_2() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let b = make_run(root.path(), &catalogue())?;
    // The committed reference run keeps summary.json but not its histograms: compare needs
    // only the summary; the rows lose their sample-level test, nothing else.
    fs::remove_dir_all(b.join("hist"))?;
    let (code, out, err) = cli(&args(&[OsStr::new("compare"), a.as_os_str(), b.as_os_str()]))?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Result:"), "{out}");
    let (code, _, err) = cli(&args(&[
        OsStr::new("compare"),
        a.as_os_str(),
        root.path().join("nope").as_os_str(),
    ]))?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope"), "{err}");
    Ok(())
}

/// A round of B that lost a fifth of the machine to hypervisor steal is no measurement of the
/// code: a +50% row measured in rounds is a REGRESSION, and with that round it is not called,
/// the reason naming the round; the gate passes.
#[test]
fn a_round_lost_to_steal_is_not_called() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let with_rounds =
        |dir: &std::path::Path, means: &[f64], steal: Option<f64>| set_rounds(dir, means, |r| r[1].steal_pct = steal);
    with_rounds(&a, &[1.00e6, 1.01e6, 0.99e6], None)?;
    let (b, stolen) = (root.path().join("b"), root.path().join("stolen"));
    copy_run(&a, &b)?;
    copy_run(&a, &stolen)?;
    with_rounds(&b, &[1.50e6, 1.51e6, 1.49e6], Some(1.0))?;
    with_rounds(&stolen, &[1.50e6, 1.51e6, 1.49e6], Some(19.0))?;
    let clean = compare(&a, &b, CompareOpts::default())?;
    let row = clean.rows.iter().find(|r| slowed_row(r)).ok_or("the row")?;
    assert_eq!(row.verdict, Verdict::Regression, "{}", row.reason);
    let c = compare(&a, &stolen, CompareOpts::default())?;
    let row = c.rows.iter().find(|r| slowed_row(r)).ok_or("the row")?;
    assert_eq!(row.verdict, Verdict::Inconclusive, "{}", row.reason);
    assert!(
        row.reason
            .contains("B round 2 lost 19.0% of the machine's CPU time to hypervisor steal"),
        "{}",
        row.reason
    );
    let (code, out, err) = cli(&args(&[
        OsStr::new("compare"),
        a.as_os_str(),
        stolen.as_os_str(),
        OsStr::new("--fail-on-regression"),
    ]))?;
    assert_eq!(code, 0, "{out}{err}");
    Ok(())
}

/// The host probe read 12% slower over B's rounds of a row that reads +15%: the host may have
/// done it (+2.7% once divided by the shift, within the 5% gate), so the row is not called and
/// the reason says so. The same shift does not excuse +50%, nor a change the other way (B 15%
/// faster), and a shift under the cut excuses nothing.
#[test]
fn a_row_whose_host_slowed_in_its_direction_is_not_called() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = make_run(root.path(), &catalogue())?;
    let probes = |ns: f64| {
        move |r: &mut [asyncbench::stats::rounds::Round]| r.iter_mut().for_each(|x| x.host_probe_ns = Some(ns))
    };
    set_rounds(&a, &[1.00e6, 1.01e6, 0.99e6], probes(200_000.0))?;
    let verdict_with = |name: &str,
                        means: &[f64],
                        probe_ns: f64|
     -> Result<asyncbench::compare::RowChange, Box<dyn std::error::Error>> {
        let b = root.path().join(name);
        copy_run(&a, &b)?;
        set_rounds(&b, means, probes(probe_ns))?;
        let c = compare(&a, &b, CompareOpts::default())?;
        Ok(c.rows.into_iter().find(slowed_row).ok_or("the row")?)
    };
    let slower = [1.15e6, 1.16e6, 1.14e6];
    let row = verdict_with("host-slower", &slower, 224_000.0)?;
    assert_eq!(row.verdict, Verdict::Inconclusive, "{}", row.reason);
    assert!(
        row.reason
            .contains("the host probe read 12.0% slower in B over this row's rounds; +2.7% once divided by it"),
        "{}",
        row.reason
    );
    let row = verdict_with("much-slower", &[1.50e6, 1.51e6, 1.49e6], 224_000.0)?;
    assert_eq!(row.verdict, Verdict::Regression, "{}", row.reason);
    let row = verdict_with("host-moved-less", &slower, 208_000.0)?;
    assert_eq!(row.verdict, Verdict::Regression, "{}", row.reason);
    let row = verdict_with("host-faster", &slower, 176_000.0)?;
    assert_eq!(row.verdict, Verdict::Regression, "{}", row.reason);
    let row = verdict_with("faster-on-slow-host", &[0.85e6, 0.86e6, 0.84e6], 224_000.0)?;
    assert_eq!(row.verdict, Verdict::Improvement, "{}", row.reason);
    Ok(())
}

/// Rewrites the rounds of `slowed_row` in a run's summary: `means` as round figures, then `edit`.
fn set_rounds(
    dir: &std::path::Path,
    means: &[f64],
    edit: impl Fn(&mut [asyncbench::stats::rounds::Round]),
) -> TestResult {
    use asyncbench::stats::rounds::{Round, summarize};
    let path = dir.join("summary.json");
    let mut s = asyncbench::results::Summary::read(&path)?;
    let row = s
        .results
        .iter_mut()
        .find(|r| r.scenario == "alpha" && r.variant == "join_all" && r.runtime == "tokio-ct" && r.metric == "latency")
        .ok_or("the row")?;
    let mut rounds = Round::series(means, 1e4, 20);
    edit(&mut rounds);
    row.rounds = summarize(rounds);
    fs::write(&path, serde_json::to_string_pretty(&s)?)?;
    Ok(())
}

fn slowed_row(r: &asyncbench::compare::RowChange) -> bool {
    r.scenario == "alpha" && r.variant == "join_all" && r.runtime == "tokio-ct" && r.metric == "latency"
}

/// A copy of a run directory (its files, one level of subdirectories).
fn copy_run(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_run(&e.path(), &dest)?;
        } else {
            fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}
