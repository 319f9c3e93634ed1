//! `asyncbench versions`: the A/A self-check (the locked version twice) reads no change through
//! the whole path (alternating round processes, gathering, compare, COMPARE.md, export); a
//! planted cost on side B is found; bad input exits 2 within seconds, naming what was wrong.
//!
//! The A/A and planted runs pass `--binary` (this test binary's `asyncbench`): both sides then
//! resolve to the project's own lockfile, so the build `versions` would make is this one, and
//! `cargo test` does not pay a second release build of the suite.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use asyncbench::results::Summary;
use asyncbench::versions::resolve::locked_versions;

use crate::common::{TestResult, cli};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn locked_tokio() -> Result<String, Box<dyn std::error::Error>> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))?;
    Ok(locked_versions(&lock, "tokio").remove(0))
}

/// Exit code, stdout, stderr and the session directory (if one was made).
type Session = (i32, String, String, Option<PathBuf>);

/// `asyncbench versions ARGS --results DIR`.
fn versions(args: &[&str], results: &Path) -> Result<Session, Box<dyn std::error::Error>> {
    let mut all: Vec<&OsStr> = vec![OsStr::new("versions")];
    all.extend(args.iter().map(OsStr::new));
    all.extend([OsStr::new("--results"), results.as_os_str()]);
    let (code, out, err) = cli(&all)?;
    let dir = fs::read_dir(results)
        .ok()
        .and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.path())));
    Ok((code, out, err, dir))
}

/// The small selection both sessions run: a few seconds per process.
fn small<'a>(scenario: &'a str, variant: &'a str, exe: &'a str, batches: &'a str) -> Vec<&'a str> {
    vec![
        "--binary",
        exe,
        "--scenario",
        scenario,
        "--variant",
        variant,
        "--runtime",
        "tokio-ct",
        "--rounds",
        "3",
        "--batches",
        batches,
    ]
}

#[test]
fn the_locked_version_twice_reads_no_change() -> TestResult {
    let v = locked_tokio()?;
    let tmp = tempfile::tempdir()?;
    let exe = env!("CARGO_BIN_EXE_asyncbench");
    let mut args = vec!["tokio", v.as_str(), v.as_str()];
    args.extend(small("primitives", "spawn_join", exe, "3"));
    args.push("--fail-on-regression");
    let (code, out, err, dir) = versions(&args, tmp.path())?;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("0 regressions"), "{out}");
    let dir = dir.ok_or("no session directory")?;
    let md = fs::read_to_string(dir.join("COMPARE.md"))?;
    assert!(md.starts_with(&format!("# tokio {v} → {v}")), "{md}");
    assert!(
        md.contains("primitives / spawn_join / tokio-ct") && md.contains("## Per case"),
        "{md}"
    );
    // Each side's run holds every round its processes measured, in the order they ran.
    for side in ["A", "B"] {
        let merged = Summary::read(&dir.join(side).join("summary.json"))?;
        let row = &merged.results[0];
        let rounds = row.rounds.as_ref().ok_or("no rounds")?;
        assert_eq!(rounds.count, 3);
        assert_eq!(merged.env.crates.get("tokio"), Some(&v));
        let mut procs: Vec<PathBuf> = fs::read_dir(dir.join("rounds"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(side)))
            .collect();
        procs.sort();
        let mut samples = 0;
        for (i, p) in procs.iter().enumerate() {
            let run = fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|x| x.join("summary.json").is_file())
                .ok_or("no run in a round directory")?;
            let one = Summary::read(&run.join("summary.json"))?;
            let r = one
                .results
                .iter()
                .find(|r| r.metric == row.metric)
                .ok_or("row missing")?;
            samples += r.samples;
            assert_eq!(
                rounds.rounds[i].mean,
                r.rounds.as_ref().ok_or("no round")?.rounds[0].mean
            );
        }
        assert_eq!(row.samples, samples);
    }
    // A tracking service can take side B.
    let (code, bmf, err) = cli(&[
        OsStr::new("export"),
        dir.join("B").as_os_str(),
        OsStr::new("--format"),
        OsStr::new("bmf"),
    ])?;
    assert_eq!(code, 0, "{err}");
    assert!(bmf.contains("primitives/spawn_join/tokio-ct"), "{bmf}");
    Ok(())
}

/// B's server waits six times as long on every request of fetch_parallel (20 → 120 ms; its
/// join_all batch is one such wait): the session must call it. Large on purpose, and 8 batches
/// per round: it checks the path (plant on one side, alternation, gathering, verdict) while
/// `cargo test` loads the machine, where a round's mean can double; the noise a real change
/// must clear is each row's MDE in COMPARE.md.
#[test]
fn a_planted_cost_on_side_b_is_a_regression() -> TestResult {
    let v = locked_tokio()?;
    let tmp = tempfile::tempdir()?;
    let exe = env!("CARGO_BIN_EXE_asyncbench");
    let mut args = vec!["tokio", v.as_str(), v.as_str()];
    args.extend(small("fetch_parallel", "join_all-keepalive", exe, "8"));
    args.extend(["--plant", "fetch_parallel.delay_ms=+500%", "--fail-on-regression"]);
    let (code, out, err, _) = versions(&args, tmp.path())?;
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("1 regressions"), "{out}");
    assert!(
        out.contains("| fetch_parallel / join_all-keepalive / tokio-ct |") && out.contains("REGRESSION"),
        "{out}"
    );
    Ok(())
}

/// The build path's planted self-test: side B is built with futures-util replaced by a copy
/// whose `stream::unfold` spins 2 µs per item (`[patch.crates-io]` in B's scratch manifest),
/// and `primitives / stream_iter` (one op = one item of an unfold stream, tens of ns) must be
/// called a regression. A is this test binary (`--binary`).
#[test]
#[ignore = "builds side B in release from cold (minutes); run with --ignored"]
fn a_patched_crate_with_a_known_cost_is_a_regression() -> TestResult {
    let v = locked_tokio()?;
    let lock = fs::read_to_string(root().join("Cargo.lock"))?;
    let fu = locked_versions(&lock, "futures-util").remove(0);
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("no CARGO_HOME")?;
    let src = fs::read_dir(home.join("registry").join("src"))?
        .filter_map(|e| e.ok().map(|e| e.path().join(format!("futures-util-{fu}"))))
        .find(|p| p.is_dir())
        .ok_or("futures-util's source is not in cargo's registry")?;
    let tmp = tempfile::tempdir()?;
    let copy = tmp.path().join("futures-util");
    let ok = std::process::Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&copy)
        .status()?
        .success();
    assert!(ok, "cp -r {}", src.display());
    let unfold = copy.join("src/stream/unfold.rs");
    let text = fs::read_to_string(&unfold)?;
    let anchor = "if let Some((item, next_state)) = step {";
    assert!(text.contains(anchor), "futures-util {fu} changed its unfold.rs");
    let planted = text.replace(
        anchor,
        &format!(
            "{anchor}\n            let t = ::std::time::Instant::now();\n            while t.elapsed() < \
             ::std::time::Duration::from_micros(2) {{ ::core::hint::spin_loop(); }}"
        ),
    );
    fs::write(&unfold, planted)?;
    let patch = format!("futures-util={}", copy.display());
    let exe = env!("CARGO_BIN_EXE_asyncbench");
    let mut args = vec!["tokio", v.as_str(), v.as_str()];
    args.extend(small("primitives", "stream_iter", exe, "3"));
    args.extend(["--patch-b", patch.as_str(), "--fail-on-regression"]);
    let results = tmp.path().join("results");
    let (code, out, err, _) = versions(&args, &results)?;
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("1 regressions"), "{out}");
    assert!(
        out.contains("| primitives / stream_iter / tokio-ct |") && out.contains("REGRESSION"),
        "{out}"
    );
    Ok(())
}

/// Exit 2 before anything is built, the message naming the crate and the version.
fn refused(args: &[&str], must: &[&str]) -> TestResult {
    let tmp = tempfile::tempdir()?;
    let t = Instant::now();
    let (code, out, err, _) = versions(args, tmp.path())?;
    assert_eq!(code, 2, "{out}\n{err}");
    for m in must {
        assert!(err.contains(m), "missing {m:?} in: {err}");
    }
    // Generous: resolution is one `cargo update` in a scratch copy, no build.
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    Ok(())
}

#[test]
fn an_unknown_crate_is_refused() -> TestResult {
    refused(&["tokyo", "1.0.0", "1.0.1"], &["`tokyo`", "did you mean `tokio`"])
}

#[test]
fn a_version_that_does_not_exist_is_refused() -> TestResult {
    refused(
        &["tokio", "1.999.0", "1.999.1"],
        &["tokio 1.999.0", "not in the registry index"],
    )
}

#[test]
fn a_version_the_projects_own_requirement_blocks_is_refused_naming_it() -> TestResult {
    // Cargo.toml asks tokio 1.47 or later: no unlocking can help, and the message says whose
    // requirement it is.
    refused(
        &["tokio", "1.40.0", "1.40.0"],
        &["tokio 1.40.0", "this project's own requirement", "tokio = \"^1.47"],
    )
}

/// The locked tokio-util (0.7.20) asks tokio ≥ 1.51, so `--precise 1.47.0` alone fails: the
/// resolver unlocks tokio-util too and picks a release that accepts 1.47.0; nothing that was
/// locked moves beyond what tokio itself and its blockers need, and the user's lockfile is
/// untouched. Resolution only (no build): seconds, and the index is cargo's cache.
#[test]
fn a_blocking_locked_package_is_unlocked_and_named() -> TestResult {
    use asyncbench::versions::resolve::{scratch_copy, update_precise};
    let tmp = tempfile::tempdir()?;
    let scratch = tmp.path().join("scratch");
    let project_lock = fs::read_to_string(root().join("Cargo.lock"))?;
    scratch_copy(root(), &scratch)?;
    let moved = update_precise(&scratch, "tokio", "1.47.0")?;
    let lock = fs::read_to_string(scratch.join("Cargo.lock"))?;
    assert_eq!(locked_versions(&lock, "tokio"), ["1.47.0"]);
    let util = moved
        .iter()
        .find(|m| m.name == "tokio-util")
        .ok_or(format!("tokio-util did not move: {moved:?}"))?;
    assert_eq!(util.from, locked_versions(&project_lock, "tokio-util").join(", "));
    assert_eq!(locked_versions(&lock, "tokio-util"), std::slice::from_ref(&util.to));
    // Only tokio's own family and its blockers moved; hyper (a locked dependent of tokio that
    // accepts 1.47) stayed.
    for m in &moved {
        assert!(m.name.starts_with("tokio"), "{moved:?}");
    }
    assert_eq!(locked_versions(&lock, "hyper"), locked_versions(&project_lock, "hyper"));
    // The scratch manifest is the project's again (the pin was temporary).
    let manifest = fs::read_to_string(scratch.join("Cargo.toml"))?;
    assert!(!manifest.contains("cfg(all())"), "{manifest}");
    assert_eq!(fs::read_to_string(root().join("Cargo.lock"))?, project_lock);
    Ok(())
}

#[test]
fn a_binary_for_another_lockfile_is_refused() -> TestResult {
    // 1.51.0 resolves against this lockfile (tokio-util asks ^1.51) but is not the locked tokio:
    // this checkout's binary cannot stand for its build.
    refused(
        &[
            "tokio",
            "1.51.0",
            "1.51.0",
            "--binary",
            env!("CARGO_BIN_EXE_asyncbench"),
        ],
        &["--binary", "tokio locked"],
    )
}

/// Ctrl-C (to the process group, as a terminal sends it) stops the session after the round in
/// flight: exit 130, and the finished pairs are gathered and compared, the same count per side.
#[test]
fn ctrl_c_keeps_the_finished_pairs() -> TestResult {
    use std::os::unix::process::CommandExt;
    let v = locked_tokio()?;
    let tmp = tempfile::tempdir()?;
    let exe = env!("CARGO_BIN_EXE_asyncbench");
    let mut args = vec!["versions", "tokio", v.as_str(), v.as_str()];
    args.extend([
        "--binary",
        exe,
        "--scenario",
        "primitives",
        "--variant",
        "spawn_join",
        "--runtime",
        "tokio-ct",
        "--rounds",
        "20",
        "--batches",
        "3",
    ]);
    let mut child = std::process::Command::new(exe)
        .args(&args)
        .arg("--results")
        .arg(tmp.path())
        .stdin(std::process::Stdio::null())
        .stdout(fs::File::create(tmp.path().join("stdout"))?)
        .stderr(fs::File::create(tmp.path().join("stderr"))?)
        .process_group(0)
        .spawn()?;
    let t0 = Instant::now();
    // Two pairs' processes started: the first pair has finished.
    let started = |dir: &Path| fs::read_dir(dir.join("rounds")).map_or(0, |d| d.count());
    loop {
        let session = fs::read_dir(tmp.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.is_dir());
        if session.as_deref().is_some_and(|s| started(s) >= 3) {
            break;
        }
        assert!(
            child.try_wait()?.is_none(),
            "the session ended before it was interrupted"
        );
        assert!(t0.elapsed() < Duration::from_secs(120), "no rounds started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on the process group of our own child.
    assert_eq!(unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) }, 0);
    let status = child.wait()?;
    let err = fs::read_to_string(tmp.path().join("stderr"))?;
    assert_eq!(status.code(), Some(130), "{err}");
    let dir = fs::read_dir(tmp.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .ok_or("no session")?;
    let md = fs::read_to_string(dir.join("COMPARE.md"))?;
    assert!(md.contains("interrupted:") && md.contains("of 20 pairs"), "{md}");
    let count = |side: &str| -> Result<u32, Box<dyn std::error::Error>> {
        let s = Summary::read(&dir.join(side).join("summary.json"))?;
        Ok(s.results[0].rounds.as_ref().ok_or("no rounds")?.count)
    };
    let (a, b) = (count("A")?, count("B")?);
    assert!(a >= 1 && a == b && a < 20, "A {a} rounds, B {b}");
    Ok(())
}
