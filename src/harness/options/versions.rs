//! Checks `asyncbench versions`' options: the `run` options both sides share are checked as
//! `run` checks them, and their selection is loaded, so a bad filter fails before any build;
//! the crate and versions are checked against the lockfile by `crate::versions` itself.

use super::args::{OutputFormat, RunArgs, VersionsArgs};
use super::bounds::{BadOption, check_threshold};
use super::{Failure, Process, ROUNDS, check_run};
use crate::compare::CompareOpts;
use crate::versions::{Patch, VersionsOpts};

/// `versions`, checked.
#[derive(Debug)]
pub struct VersionsTask {
    pub opts: VersionsOpts,
    pub fail_on_regression: bool,
}

/// A version as cargo spells one: digits, letters, `.`, `-`, `+` (it goes into a directory name).
fn check_version(flag: &'static str, v: &str) -> Result<(), BadOption> {
    BadOption::unless(
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')),
        flag,
        v,
        || "not a version (e.g. 1.47.0)".into(),
    )
    .map(|_| ())
}

/// `NAME=PATH`: a crate name and a directory holding a Cargo.toml (made absolute: the scratch
/// copy that uses it lies elsewhere).
fn check_patch(p: &str) -> Result<Patch, BadOption> {
    let (name, path) = p
        .split_once('=')
        .ok_or_else(|| BadOption::new("--patch-b", p, "expected NAME=PATH"))?;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.into());
    BadOption::unless(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')),
        "--patch-b",
        p,
        || "not a crate name before `=`".into(),
    )?;
    BadOption::unless(path.join("Cargo.toml").is_file(), "--patch-b", p, || {
        format!("{} holds no Cargo.toml", path.display())
    })?;
    Ok(Patch {
        name: name.to_string(),
        path,
    })
}

pub(super) fn check_versions(a: VersionsArgs, process: &Process) -> Result<VersionsTask, Failure> {
    let usage = Failure::usage;
    check_version("A", &a.a).map_err(usage)?;
    check_version("B", &a.b).map_err(usage)?;
    BadOption::unless(
        !a.krate.is_empty()
            && a.krate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')),
        "CRATE",
        &a.krate,
        || "not a crate name".into(),
    )
    .map_err(usage)?;
    let pairs = ROUNDS.check(a.rounds).map_err(usage)? as u32;
    let compare = CompareOpts {
        threshold_pct: check_threshold(a.threshold).map_err(usage)?,
        // Verdicts are paired by round at the report's 95% level (`versions::verdict`).
        ..CompareOpts::default()
    };
    let plant = a
        .plant
        .as_ref()
        .map(|p| p.parse().map_err(|why: String| BadOption::new("--plant", p, why)))
        .transpose()
        .map_err(usage)?;
    let patch_b = a.patch_b.as_ref().map(|p| check_patch(p)).transpose().map_err(usage)?;
    if let Some(b) = &a.binary {
        BadOption::unless(b.is_file(), "--binary", b.display(), || "no such file".into()).map_err(usage)?;
    }
    let run = RunArgs {
        scenarios_only: a.scenarios_only.clone(),
        runtimes: a.runtimes.clone(),
        variants: a.variants.clone(),
        batches: a.batches,
        warmup: a.warmup,
        workers: None,
        scenarios: a.scenarios.clone(),
        rate: None,
        max_throughput: false,
        duration: "10".into(),
        connections: 16,
        path: "/delay/1".into(),
        server: None,
        allow_remote: false,
        rounds: Some(1),
        seed: None,
        server_cpus: a.server_cpus.clone(),
        client_cpus: a.client_cpus.clone(),
        allow_errors: true,
        task_metrics: false,
        format: OutputFormat::Json,
        wide: false,
        results: a.results.clone(),
    };
    let checked = check_run(run, process).map_err(usage)?;
    super::super::cli_run::load_selection(&checked)?;
    let mut run_args = vec![
        "--batches".to_string(),
        a.batches.to_string(),
        "--warmup".into(),
        a.warmup.to_string(),
    ];
    let mut flag = |name: &str, v: String| run_args.extend([name.to_string(), v]);
    a.scenarios_only.iter().for_each(|s| flag("--scenario", s.clone()));
    a.runtimes.iter().for_each(|r| flag("--runtime", r.name().to_string()));
    a.variants.iter().for_each(|v| flag("--variant", v.clone()));
    if let Some(c) = &a.server_cpus {
        flag("--server-cpus", c.clone());
    }
    if let Some(c) = &a.client_cpus {
        flag("--client-cpus", c.clone());
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let out = process
        .results_root(&a.results)
        .join(format!("versions-{}-{}-{}-{stamp}", a.krate, a.a, a.b));
    Ok(VersionsTask {
        opts: VersionsOpts {
            krate: a.krate,
            a: a.a,
            b: a.b,
            project: process.manifest_dir.clone(),
            work: process.manifest_dir.join("target").join("versions"),
            out,
            scenarios: std::path::absolute(&a.scenarios).unwrap_or(a.scenarios),
            run_args,
            pairs,
            compare,
            binary: a.binary,
            plant,
            patch_b,
        },
        fail_on_regression: a.fail_on_regression,
    })
}
