//! `asyncbench versions <crate> <A> <B>`: did a dependency upgrade change our patterns? Builds
//! the suite once per resolved version (a scratch copy of the manifest and lockfile each, never
//! the user's), runs the two builds alternately round by round in fresh processes on the same
//! CPU placement, gathers each side's rounds into a run directory and judges them with
//! `compare`. The session's directory holds `A/`, `B/` (run directories), `rounds/` (each
//! process's one-round run) and COMPARE.md.

pub mod alternate;
mod build;
pub mod merge;
pub mod output;
pub mod resolve;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::compare::plant::Plant;
use crate::compare::{self, CompareOpts, Comparison};
use crate::results::{ResultsError, write_atomic};
use alternate::{RoundOutcome, Runner, Side};

/// What can stop a session, each with the exit code it deserves ([`VersionsError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum VersionsError {
    /// Bad input found before anything is built: an unknown crate, a version that does not
    /// exist or cannot resolve, a `--binary` that does not fit.
    #[error("{0}")]
    Usage(String),
    /// One side did not build; the other side's build is kept.
    #[error("side {side} did not build; the other side's build is kept. cargo's last lines:\n{msg}")]
    Build { side: String, msg: String },
    /// A round process failed.
    #[error("{0}")]
    Run(String),
    #[error("{0}")]
    Io(String),
    /// Ctrl-C before a whole pair of rounds finished: nothing to compare.
    #[error("interrupted before a pair of rounds finished: nothing to compare (the round processes' runs are in {})", .0.display())]
    Interrupted(PathBuf),
    #[error(transparent)]
    Results(#[from] ResultsError),
}

impl VersionsError {
    /// 2 for bad input, 130 for Ctrl-C, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            VersionsError::Usage(_) => 2,
            // As `run`: 128 + SIGINT.
            VersionsError::Interrupted(_) => 130,
            _ => 1,
        }
    }
}

/// A version A/B, checked.
#[derive(Debug, Clone)]
pub struct VersionsOpts {
    pub krate: String,
    pub a: String,
    pub b: String,
    /// The project whose manifest and lockfile are copied (this checkout).
    pub project: PathBuf,
    /// Scratch copies and build directories (`<project>/target/versions`).
    pub work: PathBuf,
    /// The session's directory.
    pub out: PathBuf,
    pub scenarios: PathBuf,
    /// `run` options both sides get (filters, batches, CPU sets).
    pub run_args: Vec<String>,
    /// Rounds per side (= pairs of rounds).
    pub pairs: u32,
    pub compare: CompareOpts,
    /// Run this binary on both sides instead of building: only when both sides resolve to the
    /// project's own lockfile (the binary is then this checkout's build).
    pub binary: Option<PathBuf>,
    /// Run B with a scenario parameter changed: the planted self-test of the whole path.
    pub plant: Option<Plant>,
}

/// A finished (or interrupted) session.
#[derive(Debug)]
pub struct Outcome {
    pub comparison: Comparison,
    pub context: output::Context,
    pub compare_md: PathBuf,
    pub interrupted: bool,
}

/// One side resolved: its scratch copy and lockfile text.
struct Resolved {
    scratch: PathBuf,
    lock: String,
}

fn resolve_side(opts: &VersionsOpts, version: &str) -> Result<Resolved, VersionsError> {
    let scratch = opts.work.join(format!("{}-{version}", opts.krate)).join("scratch");
    resolve::scratch_copy(&opts.project, &scratch)?;
    if let Err(e) = resolve::update_precise(&scratch, &opts.krate, version) {
        // Nothing will build from a copy that did not resolve.
        let _ = std::fs::remove_dir_all(&scratch);
        if let Some(parent) = scratch.parent() {
            // Only when empty: an earlier build of this version stays.
            let _ = std::fs::remove_dir(parent);
        }
        return Err(e);
    }
    let lock_path = scratch.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", lock_path.display())))?;
    Ok(Resolved { scratch, lock })
}

/// The crate's resolved version(s) in a lockfile's text.
fn resolved_version(lock: &str, krate: &str) -> String {
    resolve::locked_versions(lock, krate).join(", ")
}

/// Resolves both sides and gets their binaries (built, or `--binary`).
fn prepare(opts: &VersionsOpts) -> Result<(PathBuf, PathBuf, String, String, bool), VersionsError> {
    let lock_path = opts.project.join("Cargo.lock");
    let project_lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| VersionsError::Usage(format!("cannot read {}: {e}", lock_path.display())))?;
    // The crate first: an unknown one fails before any scratch copy.
    resolve::locked_spec(&project_lock, &opts.krate, &opts.a)?;
    let ra = resolve_side(opts, &opts.a)?;
    let rb = if opts.b == opts.a {
        None
    } else {
        Some(resolve_side(opts, &opts.b)?)
    };
    let same = rb.as_ref().is_none_or(|rb| rb.lock == ra.lock);
    let lock_b = rb.as_ref().map_or(&ra.lock, |r| &r.lock);
    let (va, vb) = (
        resolved_version(&ra.lock, &opts.krate),
        resolved_version(lock_b, &opts.krate),
    );
    if let Some(bin) = &opts.binary {
        if !(same && ra.lock == project_lock) {
            return Err(VersionsError::Usage(format!(
                "--binary {} runs this checkout's build, so both versions must resolve to the project's own \
                 lockfile ({} locked: {}); these do not",
                bin.display(),
                opts.krate,
                resolved_version(&project_lock, &opts.krate)
            )));
        }
        return Ok((bin.clone(), bin.clone(), va, vb, true));
    }
    let target = |v: &str| opts.work.join(format!("{}-{v}", opts.krate)).join("target");
    let exe_a = build::build("A", &ra.scratch, &target(&opts.a));
    let exe_b = match (&rb, same) {
        (Some(rb), false) => build::build("B", &rb.scratch, &target(&opts.b)),
        _ => match &exe_a {
            Ok(p) => Ok(p.clone()),
            Err(_) => Err(VersionsError::Build {
                side: "B".into(),
                msg: "B resolves to A's lockfile, whose build failed".into(),
            }),
        },
    };
    Ok((exe_a?, exe_b?, va, vb, same))
}

/// Runs the session; `stop` says whether Ctrl-C was pressed (checked between rounds; a round
/// process stopped by it is dropped, every finished pair kept).
pub fn run(opts: &VersionsOpts, stop: &dyn Fn() -> bool) -> Result<Outcome, VersionsError> {
    let started = Instant::now();
    let (exe_a, exe_b, va, vb, one_build) = prepare(opts)?;
    let mk = |exe: PathBuf, scenarios: PathBuf| Runner {
        exe,
        scenarios,
        run_args: opts.run_args.clone(),
    };
    let io = |p: &Path, e: std::io::Error| VersionsError::Io(format!("cannot create {}: {e}", p.display()));
    std::fs::create_dir_all(&opts.out).map_err(|e| io(&opts.out, e))?;
    let b_scenarios = match &opts.plant {
        Some(p) => {
            let dir = opts.out.join("planted-scenarios");
            p.apply(&opts.scenarios, &dir).map_err(VersionsError::Usage)?;
            dir
        }
        None => opts.scenarios.clone(),
    };
    let runner_a = mk(exe_a, opts.scenarios.clone());
    let runner_b = mk(exe_b, b_scenarios);
    let seed = fastrand::u64(..);
    let (mut dirs_a, mut dirs_b) = (Vec::new(), Vec::new());
    let mut interrupted = false;
    for (k, side) in alternate::order(opts.pairs) {
        if stop() {
            interrupted = true;
            break;
        }
        let (runner, dirs) = match side {
            Side::A => (&runner_a, &mut dirs_a),
            Side::B => (&runner_b, &mut dirs_b),
        };
        let root = opts.out.join("rounds").join(format!("{}-{:02}", side.name(), k + 1));
        eprintln!(
            "asyncbench versions: pair {}/{}, side {} ({} {})",
            k + 1,
            opts.pairs,
            side.name(),
            opts.krate,
            if side == Side::A { &va } else { &vb }
        );
        match alternate::run_round(runner, side, k, seed.wrapping_add(u64::from(k)), &root)? {
            RoundOutcome::Done(dir) => dirs.push(dir),
            RoundOutcome::Interrupted => {
                interrupted = true;
                break;
            }
        }
    }
    // Only whole pairs: a round without its partner has nothing to be paired with.
    let pairs = dirs_a.len().min(dirs_b.len());
    if pairs == 0 && interrupted {
        return Err(VersionsError::Interrupted(opts.out.join("rounds")));
    }
    dirs_a.truncate(pairs);
    dirs_b.truncate(pairs);
    let (a_dir, b_dir) = (opts.out.join("A"), opts.out.join("B"));
    let id = |s: &str| {
        format!(
            "{}-{}",
            opts.out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            s
        )
    };
    merge::merge(&dirs_a, &a_dir, &id("A"), &opts.krate, &va)?;
    merge::merge(&dirs_b, &b_dir, &id("B"), &opts.krate, &vb)?;
    let comparison = compare::compare(&a_dir, &b_dir, opts.compare)?;
    let context = output::Context {
        krate: opts.krate.clone(),
        asked: (opts.a.clone(), opts.b.clone()),
        resolved: (va, vb),
        duration_s: started.elapsed().as_secs_f64(),
        pairs: (pairs as u32, opts.pairs),
        one_build,
    };
    let compare_md = opts.out.join("COMPARE.md");
    write_atomic(&compare_md, output::compare_md(&comparison, &context).as_bytes())?;
    Ok(Outcome {
        comparison,
        context,
        compare_md,
        interrupted,
    })
}
