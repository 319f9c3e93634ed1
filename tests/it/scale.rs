//! `asyncbench scale` from outside: bad input exits 2 naming the value and the range; a tiny
//! ladder writes SCALING.md, scaling.json (fitting its checked-in schema) and a chart per
//! pattern; the planted pattern's O(N) cost is found where it was planted; Ctrl-C keeps the
//! finished points.
//!
//! After a deliberate change to the report types, regenerate the schema with
//! `UPDATE_SCHEMA=1 cargo test --test it -- scale::` and commit it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use asyncbench::scale::bend::Bend;
use asyncbench::scale::output::{SCHEMA_PATH, ScalingReport, schema};

fn scale(args: &[&str], results: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .arg("scale")
        .args(args)
        .arg("--results")
        .arg(results)
        .output()
        .unwrap()
}

fn report_of(out: &Output, results: &Path) -> (PathBuf, ScalingReport) {
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(dir.starts_with(results), "{}", dir.display());
    let rep: ScalingReport = serde_json::from_slice(&std::fs::read(dir.join("scaling.json")).unwrap()).unwrap();
    (dir, rep)
}

#[test]
fn scale_rejects_bad_values_naming_them_and_the_range() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            &["--pattern", "gathr"][..],
            "--pattern gathr: not a pattern (allowed: gather, ",
        ),
        (&["--pattern", "gathr"][..], "did you mean `gather`?"),
        (&["--runtime", "threads"][..], "--runtime threads: not an async runtime"),
        (&["--runtime", "tokyo"][..], "tokyo"),
        (&["--max-n", "0"][..], "--max-n 0: out of range: allowed 1..=1000000"),
        (
            &["--max-n", "2000000"][..],
            "--max-n 2000000: out of range: allowed 1..=1000000",
        ),
        (&["--rounds", "1"][..], "--rounds 1: out of range: allowed 2..=20"),
        (&["--workers", "0"][..], "--workers 0: out of range: allowed 1..=1024"),
    ] {
        let out = scale(args, tmp.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // Nothing was started: no scale directory.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_tiny_ladder_writes_the_report_json_and_a_chart_per_pattern() {
    let tmp = tempfile::tempdir().unwrap();
    let out = scale(
        &[
            "--pattern",
            "gather",
            "--pattern",
            "idle_tasks",
            "--runtime",
            "smol-ct",
            "--runtime",
            "tokio-mt",
            "--max-n",
            "10",
            "--rounds",
            "2",
            "--quiet",
        ],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The terminal prints the bend table.
    assert!(err.contains("| pattern") && err.contains("bends at"), "{err}");
    let (dir, rep) = report_of(&out, tmp.path());
    assert_eq!(
        (rep.schema_version, rep.settings.rounds, rep.interrupted),
        (1, 2, false)
    );
    let names: Vec<&str> = rep.patterns.iter().map(|p| p.pattern.name()).collect();
    assert_eq!(names, ["gather", "idle_tasks"]);
    for p in &rep.patterns {
        assert_eq!(p.ladder, [1, 10]);
        let labels: Vec<&str> = p.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["smol-ct", "tokio-mt"]);
        for s in &p.series {
            assert_eq!(s.points.iter().map(|pt| pt.n).collect::<Vec<_>>(), [1, 10], "{s:?}");
            for pt in &s.points {
                assert!(pt.failure.is_none(), "{pt:?}");
                let v = pt.value.as_ref().unwrap();
                assert_eq!(v.count, 2);
                assert!(v.mean > 0.0 && v.ci_low <= v.mean && v.mean <= v.ci_high, "{v:?}");
                assert!(pt.cpu_ns_per_op.is_some(), "{pt:?}");
            }
            assert_ne!(s.bend, Bend::NoData);
        }
        assert!(dir.join(format!("charts/scaling__{}.svg", p.pattern.name())).exists());
        assert!(dir.join(format!("charts/scaling__{}.png", p.pattern.name())).exists());
    }
    // Gathered requests sit above their ideal (batch ≥ D: the server holds each for D).
    for s in &rep.patterns[0].series {
        assert!(s.points[0].value.as_ref().unwrap().mean >= 0.99, "{s:?}");
    }
    // Idle tasks carry bytes per task (allocation counting is on by default).
    assert!(
        rep.patterns[1]
            .series
            .iter()
            .all(|s| s.points[0].bytes_per_task.is_some())
    );
    let md = std::fs::read_to_string(dir.join("SCALING.md")).unwrap();
    assert!(md.starts_with("# How cost grows with concurrency"), "{md}");
    assert!(md.contains("| pattern") && md.contains("where it bends"), "{md}");
    assert!(md.contains("charts/scaling__gather.svg"), "{md}");
    // The file fits its checked-in schema.
    let schema_text = std::fs::read_to_string(schema_file()).unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(dir.join("scaling.json")).unwrap()).unwrap();
    let mut errs = Vec::new();
    crate::schema::check(&schema, &schema, &v, "", true, &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
}

/// The planted pattern: spawn + join whose tasks spin N × 10 µs from N = 100 on (a known
/// O(N) cost per operation). The report must find each runtime's bend at N = 100, not before.
/// Three rounds: with two, t(0.975, 1) = 12.7 widens one stalled round's interval past the base.
#[test]
fn a_planted_linear_cost_is_found_at_its_n_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = scale(
        &[
            "--pattern",
            "planted",
            "--runtime",
            "tokio-ct",
            "--runtime",
            "smol-ct",
            "--rounds",
            "3",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, rep) = report_of(&out, tmp.path());
    let p = &rep.patterns[0];
    assert_eq!(p.ladder, [1, 10, asyncbench::scale::patterns::PLANT_FROM]);
    for s in &p.series {
        match &s.bend {
            Bend::Bends { n, .. } => {
                assert_eq!(*n, asyncbench::scale::patterns::PLANT_FROM, "{}: {s:?}", s.label);
            }
            other => panic!("{}: no bend found: {other:?}", s.label),
        }
    }
}

/// Ctrl-C during the run: the command ends with 130, scaling.json and SCALING.md keep the
/// points that finished and say the run was interrupted.
#[test]
fn an_interrupt_keeps_the_finished_points() {
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args([
            "scale",
            "--pattern",
            "timers",
            "--pattern",
            "spawn_join",
            "--runtime",
            "smol-ct",
        ])
        .args(["--rounds", "2", "--max-n", "1000", "--results"])
        .arg(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first finished point (scaling.json exists), then interrupt.
    let until = Instant::now() + Duration::from_secs(60);
    let json = loop {
        let found = std::fs::read_dir(tmp.path())
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.path().join("scaling.json"))
            .filter(|p| p.exists());
        if let Some(p) = found {
            break p;
        }
        assert!(Instant::now() < until, "no point finished in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    // SAFETY: kill only sends a signal to the child we started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let rep: ScalingReport = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(rep.interrupted, "{rep:?}");
    let points: usize = rep
        .patterns
        .iter()
        .flat_map(|p| &p.series)
        .map(|s| s.points.len())
        .sum();
    let planned: usize = rep.patterns.iter().map(|p| p.ladder.len()).sum::<usize>();
    assert!(points >= 1, "{rep:?}");
    // Stopped early: not every point of the two ladders (one runtime) ran.
    assert!(rep.patterns.len() < 2 || points < 8 && planned <= 8, "{rep:?}");
    let md = std::fs::read_to_string(json.with_file_name("SCALING.md")).unwrap();
    assert!(md.contains("Interrupted (Ctrl-C)"), "{md}");
}

fn schema_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH)
}

#[test]
fn checked_in_scaling_schema_matches_the_types() {
    let generated = schema().unwrap();
    let path = schema_file();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} differs from the schema of the scale report types; regenerate it with \
         `UPDATE_SCHEMA=1 cargo test --test it -- scale::` and commit it",
        path.display()
    );
}
