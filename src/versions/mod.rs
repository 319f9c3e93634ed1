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
pub mod verdict;

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
    /// Build B with this crate replaced by a local copy (`[patch.crates-io]` in B's scratch
    /// manifest): the planted self-test of the build path (a copy with a known cost must be
    /// found).
    pub patch_b: Option<Patch>,
}

/// A crate replaced by a local copy on side B (`--patch-b NAME=PATH`).
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub name: String,
    /// Absolute: the scratch copy lies elsewhere.
    pub path: PathBuf,
}

/// A finished (or interrupted) session.
#[derive(Debug)]
pub struct Outcome {
    pub comparison: Comparison,
    pub context: output::Context,
    pub compare_md: PathBuf,
    pub interrupted: bool,
}

/// One side resolved: its scratch copy, lockfile text, and the other packages that moved.
struct Resolved {
    scratch: PathBuf,
    lock: String,
    moved: Vec<resolve::Moved>,
}

/// The directory of one side's scratch copy and build: per crate, version and patch, so
/// sessions of the same side share their incremental build.
fn side_dir(opts: &VersionsOpts, version: &str, patch: Option<&Patch>) -> PathBuf {
    let name = match patch {
        Some(p) => format!("{}-{version}-patched-{}", opts.krate, p.name),
        None => format!("{}-{version}", opts.krate),
    };
    opts.work.join(name)
}

fn resolve_side(opts: &VersionsOpts, version: &str, patch: Option<&Patch>) -> Result<Resolved, VersionsError> {
    let scratch = side_dir(opts, version, patch).join("scratch");
    resolve::scratch_copy(&opts.project, &scratch)?;
    let resolved = resolve::update_precise(&scratch, &opts.krate, version).and_then(|moved| match patch {
        Some(p) => resolve::apply_patch(&scratch, &p.name, &p.path).map(|_| moved),
        None => Ok(moved),
    });
    let moved = match resolved {
        Ok(m) => m,
        Err(e) => {
            // Nothing will build from a copy that did not resolve.
            let _ = std::fs::remove_dir_all(&scratch);
            if let Some(parent) = scratch.parent() {
                // Only when empty: an earlier build of this version stays.
                let _ = std::fs::remove_dir(parent);
            }
            return Err(e);
        }
    };
    let lock_path = scratch.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", lock_path.display())))?;
    Ok(Resolved { scratch, lock, moved })
}

/// The crate's resolved version(s) in a lockfile's text.
fn resolved_version(lock: &str, krate: &str) -> String {
    resolve::locked_versions(lock, krate).join(", ")
}

/// Crates and the versions a side's environment records for them.
type Crates = Vec<(String, String)>;

/// Both sides resolved and their binaries (built, or `--binary`).
struct Prepared {
    exe: (PathBuf, PathBuf),
    /// The crate's resolved version on each side.
    versions: (String, String),
    /// What each side's environment records beyond its tracked crates: the crate itself and
    /// every package that moved on either side, at that side's version.
    crates: (Crates, Crates),
    one_build: bool,
}

/// Resolves both sides and gets their binaries (built, or `--binary`).
fn prepare(opts: &VersionsOpts) -> Result<Prepared, VersionsError> {
    let lock_path = opts.project.join("Cargo.lock");
    let project_lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| VersionsError::Usage(format!("cannot read {}: {e}", lock_path.display())))?;
    // The crate first: an unknown one fails before any scratch copy.
    resolve::locked_spec(&project_lock, &opts.krate, &opts.a)?;
    let patch = opts.patch_b.as_ref();
    let ra = resolve_side(opts, &opts.a, None)?;
    let rb = if opts.b == opts.a && patch.is_none() {
        None
    } else {
        Some(resolve_side(opts, &opts.b, patch)?)
    };
    let same = rb.as_ref().is_none_or(|rb| rb.lock == ra.lock && patch.is_none());
    let lock_b = rb.as_ref().map_or(&ra.lock, |r| &r.lock);
    let versions = (
        resolved_version(&ra.lock, &opts.krate),
        resolved_version(lock_b, &opts.krate),
    );
    let mut names: Vec<&str> = vec![opts.krate.as_str()];
    for m in ra.moved.iter().chain(rb.iter().flat_map(|r| &r.moved)) {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let record = |lock: &str| -> Crates {
        names
            .iter()
            .map(|n| (n.to_string(), resolved_version(lock, n)))
            .collect()
    };
    let crates = (record(&ra.lock), record(lock_b));
    for (side, r) in [("A", Some(&ra)), ("B", rb.as_ref())] {
        if let Some(r) = r.filter(|r| !r.moved.is_empty()) {
            let list: Vec<String> = r
                .moved
                .iter()
                .map(|m| format!("{} {} → {}", m.name, m.from, m.to))
                .collect();
            eprintln!(
                "asyncbench versions: side {side} also moved (their locked requirements blocked {} {}): {}",
                opts.krate,
                if side == "A" { &opts.a } else { &opts.b },
                list.join(", ")
            );
        }
    }
    let target = |v: &str, p: Option<&Patch>| side_dir(opts, v, p).join("target");
    if let Some(bin) = &opts.binary {
        // The checkout's build stands for a side whose lockfile is the project's, unpatched.
        let fits_a = ra.lock == project_lock;
        let fits_b = same && fits_a;
        if !fits_a || (patch.is_none() && !fits_b) {
            return Err(VersionsError::Usage(format!(
                "--binary {} runs this checkout's build, so both versions (A alone with --patch-b) must resolve to \
                 the project's own lockfile ({} locked: {}); these do not",
                bin.display(),
                opts.krate,
                resolved_version(&project_lock, &opts.krate)
            )));
        }
        if patch.is_none() {
            return Ok(Prepared {
                exe: (bin.clone(), bin.clone()),
                versions,
                crates,
                one_build: true,
            });
        }
    }
    let exe_a = match &opts.binary {
        Some(bin) => Ok(bin.clone()),
        None => build::build("A", &ra.scratch, &target(&opts.a, None)),
    };
    let exe_b = match (&rb, same) {
        (Some(rb), false) => build::build("B", &rb.scratch, &target(&opts.b, patch)),
        _ => match &exe_a {
            Ok(p) => Ok(p.clone()),
            Err(_) => Err(VersionsError::Build {
                side: "B".into(),
                msg: "B resolves to A's lockfile, whose build failed".into(),
            }),
        },
    };
    Ok(Prepared {
        exe: (exe_a?, exe_b?),
        versions,
        crates,
        one_build: same,
    })
}

/// Runs the session; `stop` says whether Ctrl-C was pressed (checked between rounds; a round
/// process stopped by it is dropped, every finished pair kept).
pub fn run(opts: &VersionsOpts, stop: &dyn Fn() -> bool) -> Result<Outcome, VersionsError> {
    let started = Instant::now();
    let Prepared {
        exe: (exe_a, exe_b),
        versions: (va, vb),
        crates,
        one_build,
    } = prepare(opts)?;
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
    merge::merge(&dirs_a, &a_dir, &id("A"), &crates.0)?;
    merge::merge(&dirs_b, &b_dir, &id("B"), &crates.1)?;
    let mut comparison = compare::compare(&a_dir, &b_dir, opts.compare)?;
    verdict::rejudge(&mut comparison);
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
