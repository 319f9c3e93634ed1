//! Snapshots (insta) of what people read and paste: `REPORT.md`, `BRIEF.md`, a scenario page and `asyncbench compare`'s
//! text, on fixed synthetic runs, so any change to their wording, layout or figures shows up as
//! a reviewed diff. Everything that varies between runs of the test is fixed (run ids, times,
//! host and versions come from the fixture) or replaced (the temporary directory, as `[ROOT]`).
//!
//! After an intended change, accept the new output with `INSTA_UPDATE=always cargo test --test
//! it -- snapshots::` (or `cargo insta review`) and commit `tests/it/snapshots/*.snap`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Case, catalogue, make_run};
use asyncbench::compare::{CompareOpts, compare, output};
use asyncbench::measure::ErrorKind;
use asyncbench::report;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A run of `cases` at `root/name`, with the id and times fixed to stand-ins (the run directory
/// is renamed to match its id).
fn fixed_run(root: &Path, name: &str, cases: &[Case]) -> Res<PathBuf> {
    let made = make_run(&root.join("made"), cases)?;
    let dir = root.join(name);
    fs::rename(&made, &dir)?;
    let path = dir.join("summary.json");
    let mut summary: Value = serde_json::from_str(&fs::read_to_string(&path)?)?;
    let run = summary.get_mut("run").and_then(Value::as_object_mut).ok_or("no run")?;
    run.insert("id".into(), name.into());
    run.insert("started_utc".into(), "2026-01-02T03:04:05Z".into());
    run.insert("finished_utc".into(), "2026-01-02T03:09:05Z".into());
    fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    Ok(dir)
}

/// The text with the (canonical) temporary root replaced by `[ROOT]`.
fn redact(text: &str, root: &Path) -> Res<String> {
    let canonical = fs::canonicalize(root)?;
    Ok(text
        .replace(&canonical.display().to_string(), "[ROOT]")
        .replace(&root.display().to_string(), "[ROOT]"))
}

#[test]
fn report_markdown() -> Res<()> {
    let root = tempfile::tempdir()?;
    let dir = fixed_run(root.path(), "run-a", &catalogue())?;
    // The questions alpha declares, as a real run's summary carries them.
    let path = dir.join("summary.json");
    let mut s = asyncbench::results::Summary::read(&path)?;
    s.scenarios.entry("alpha".into()).or_default().comparisons = vec![
        asyncbench::results::Comparison::variants("join_all", "sequential", "gather vs sequential awaits").headline(),
        asyncbench::results::Comparison::runtimes("join_all", "which runtime gathers fastest"),
    ];
    fs::write(&path, serde_json::to_string_pretty(&s)?)?;
    let files = report::report(&dir)?;
    let md = fs::read_to_string(&files.markdown)?;
    insta::assert_snapshot!("report_md", redact(&md, root.path())?);
    let brief = fs::read_to_string(&files.brief)?;
    insta::assert_snapshot!("brief_md", redact(&brief, root.path())?);
    let page = fs::read_to_string(dir.join("scenarios/alpha.md"))?;
    insta::assert_snapshot!("scenario_page_md", redact(&page, root.path())?);
    Ok(())
}

#[test]
fn compare_output() -> Res<()> {
    let root = tempfile::tempdir()?;
    let a = fixed_run(root.path(), "run-a", &catalogue())?;
    // B: one case 50% slower, one with new failures, one lag metric three times as long.
    let changed: Vec<Case> = catalogue()
        .into_iter()
        .map(|mut c| {
            match (c.variant, c.runtime, c.metric) {
                ("join_all", "tokio-ct", "latency") => c = c.scaled(1.5),
                ("sequential", "smol-mt", "latency") => {
                    c.errors = [(ErrorKind::Timeout, 6), (ErrorKind::Status, 1)].into_iter().collect();
                }
                ("join_all", "async-std", "loop_lag") => c.latencies_ns.iter_mut().for_each(|v| *v *= 3),
                _ => {}
            }
            c
        })
        .collect();
    let b = fixed_run(root.path(), "run-b", &changed)?;
    let text = output::render(&compare(&a, &b, CompareOpts::default())?);
    insta::assert_snapshot!("compare_output", redact(&text, root.path())?);
    Ok(())
}
