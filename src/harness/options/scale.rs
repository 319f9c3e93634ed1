//! Checks `asyncbench scale`'s options into [`ScaleOpts`]: pattern and runtime names, the
//! ladder's top, rounds and the worker axis, each error naming the flag, the value and what is
//! allowed.

use super::Process;
use super::args::ScaleArgs;
use super::bounds::{BadOption, Bound};
use crate::runtime::{AsyncFlavor, Flavor};
use crate::scale::{MAX_N, Pattern, ScaleOpts};

const MAX_N_FLAG: Bound = Bound::new("--max-n", 1, MAX_N);
// Two rounds at least: one round has no interval to state.
const ROUNDS: Bound = Bound::new("--rounds", 2, 20);
const WORKERS: Bound = Bound::new("--workers", 1, 1024);
const DEFAULT_MAX_N: u64 = 100_000;
const DEFAULT_ROUNDS: u64 = 3;

pub(super) fn check_scale(a: ScaleArgs, process: &Process) -> Result<ScaleOpts, anyhow::Error> {
    let mut patterns = Vec::new();
    for name in &a.patterns {
        let p = Pattern::parse(name).ok_or_else(|| {
            let hint = super::closest(name, Pattern::DEFAULT.iter().map(|p| p.name()))
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            BadOption::new(
                "--pattern",
                name,
                format!("not a pattern (allowed: {}){hint}", Pattern::names()),
            )
        })?;
        if !patterns.contains(&p) {
            patterns.push(p);
        }
    }
    if patterns.is_empty() {
        patterns = Pattern::DEFAULT.to_vec();
    }
    let mut runtimes: Vec<AsyncFlavor> = Vec::new();
    for f in &a.runtimes {
        let af = f.as_async().ok_or_else(|| {
            let names: Vec<&str> = Flavor::all_async().iter().map(|f| f.name()).collect();
            BadOption::new(
                "--runtime",
                f,
                format!("not an async runtime: scale runs on {}", names.join(", ")),
            )
        })?;
        if !runtimes.contains(&af) {
            runtimes.push(af);
        }
    }
    if runtimes.is_empty() {
        runtimes = Flavor::all_async().iter().filter_map(|f| f.as_async()).collect();
    }
    let mut workers = Vec::new();
    for &w in &a.workers {
        let w = WORKERS.check(w)? as usize;
        if !workers.contains(&w) {
            workers.push(w);
        }
    }
    workers.sort_unstable();
    let max_n = a
        .max_n
        .map(|v| MAX_N_FLAG.check(v))
        .transpose()?
        .unwrap_or(DEFAULT_MAX_N);
    let rounds = a.rounds.map(|v| ROUNDS.check(v)).transpose()?.unwrap_or(DEFAULT_ROUNDS) as u32;
    let root = process.results_root(&a.results);
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    Ok(ScaleOpts {
        patterns,
        runtimes,
        workers,
        max_n,
        rounds,
        dir: root.join(format!("scale-{stamp}-{host}")),
        verbose: !a.quiet,
        command: process.command_line.clone(),
    })
}
