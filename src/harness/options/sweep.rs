//! Checks `asyncbench sweep`'s options into [`SweepOpts`]: the http_server
//! file's parameters, with the flags' overrides bounded like the file's.

use std::path::PathBuf;
use std::time::Duration;

use super::Process;
use super::args::SweepArgs;
use super::bounds::{BadOption, Bound};
use crate::runtime::{AsyncFlavor, Flavor};
use crate::scenario::catalog::http_server::{HttpServer, MAX_RATE, MAX_REPEATS, Variant};
use crate::sweep::SweepOpts;

const STEP_SECS: Bound = Bound::new("--step-secs", 1, 600);
const START_RATE: Bound = Bound::new("--start-rate", 1, MAX_RATE);
const MAX_RATE_FLAG: Bound = Bound::new("--max-rate", 1, MAX_RATE);
const REFINE: Bound = Bound::new("--refine", 0, 10);
const REPEATS: Bound = Bound::new("--repeats", 1, MAX_REPEATS);
const SWEEP_WORKERS: Bound = Bound::new("--workers", 1, 1024);

pub(super) fn check_sweep(a: SweepArgs, process: &Process) -> Result<SweepOpts, anyhow::Error> {
    let file = a
        .file
        .clone()
        .unwrap_or_else(|| crate::scenario::default_dir().join("http_server.toml"));
    let scenario = HttpServer::load(&file)?;
    let mut s = scenario.sweep.clone();
    if let Some(v) = a.step_secs {
        s.step = Duration::from_secs(STEP_SECS.check(v)?);
    }
    if let Some(v) = a.start_rate {
        s.start_rate = START_RATE.check(v)?;
    }
    if let Some(v) = a.max_rate {
        s.max_rate = MAX_RATE_FLAG.check(v)?;
    }
    if let Some(v) = a.refine {
        s.refine_steps = REFINE.check(v)? as u32;
    }
    if let Some(v) = a.repeats {
        s.repeats = REPEATS.check(v)? as u32;
    }
    BadOption::unless(s.max_rate >= s.start_rate, "--max-rate", s.max_rate, || {
        format!(
            "below the start rate {}: allowed {}..={MAX_RATE}",
            s.start_rate, s.start_rate
        )
    })?;
    let mut runtimes: Vec<AsyncFlavor> = Vec::new();
    for f in &a.runtimes {
        let af = f.as_async().ok_or_else(|| {
            BadOption::new(
                "--runtime",
                f,
                format!(
                    "not an async runtime: the sweep serves on {}",
                    Flavor::all_async()
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if !runtimes.contains(&af) {
            runtimes.push(af);
        }
    }
    if runtimes.is_empty() {
        runtimes = Flavor::all_async().iter().filter_map(|f| f.as_async()).collect();
    }
    let workers = a
        .workers
        .map(|w| SWEEP_WORKERS.check(w))
        .transpose()?
        .map(|w| w as usize);
    let root = process.results_root(&a.results);
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir: PathBuf = root.join(format!("sweep-{stamp}-{host}"));
    Ok(SweepOpts {
        runtimes,
        route: scenario.route(a.route),
        settings: s,
        workers,
        dir,
        verbose: !a.quiet,
        command: process.command_line.clone(),
    })
}

/// The route names `--route` takes.
pub fn route_names() -> String {
    use crate::scenario::VariantName;
    Variant::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
}
