//! `asyncbench run`: the same cases as the criterion suite, closed loop, a
//! fixed number of batches each, without criterion.

use std::path::PathBuf;

use super::{Failure, Session, SessionOpts};
use crate::runtime::Flavor;
use crate::scenario::{self, CaseRecord, ScenarioDef};

/// What to run, already validated by the CLI parser.
pub struct RunOpts {
    pub scenarios_dir: PathBuf,
    pub results_root: PathBuf,
    pub only_scenarios: Vec<String>,
    pub only_runtimes: Vec<Flavor>,
    pub only_variants: Vec<String>,
    pub batches: u64,
    pub warmup: u64,
    pub workers: Option<usize>,
    pub command: String,
}

/// Runs the selected cases; returns the run directory.
pub fn run(opts: RunOpts) -> Result<PathBuf, Failure> {
    let all = scenario::load_dir(&opts.scenarios_dir).map_err(Failure::usage)?;
    for name in &opts.only_scenarios {
        if !all.iter().any(|s| &s.header().name == name) {
            let known: Vec<_> = all.iter().map(|s| s.header().name.clone()).collect();
            return Err(Failure::usage(anyhow::anyhow!(
                "unknown scenario `{name}`: {} holds {}",
                opts.scenarios_dir.display(),
                known.join(", ")
            )));
        }
    }
    let chosen: Vec<&Box<dyn ScenarioDef>> = all
        .iter()
        .filter(|s| opts.only_scenarios.is_empty() || opts.only_scenarios.contains(&s.header().name))
        .collect();
    let selected = |s: &dyn ScenarioDef| {
        s.cases()
            .into_iter()
            .filter(|c| opts.only_runtimes.is_empty() || opts.only_runtimes.contains(&c.flavor))
            .filter(|c| {
                opts.only_variants.is_empty() || opts.only_variants.iter().any(|v| c.variant.starts_with(v.as_str()))
            })
            .collect::<Vec<_>>()
    };
    let total: u64 = chosen.iter().map(|s| selected(s.as_ref()).len() as u64).sum();
    if total == 0 {
        return Err(Failure::usage(anyhow::anyhow!("the filters select no case")));
    }
    let mut session = Session::start(SessionOpts {
        results_root: opts.results_root.clone(),
        command: opts.command.clone(),
        mode: "cli".into(),
        workers: opts.workers,
        profile: if cfg!(debug_assertions) {
            "debug".into()
        } else {
            "release".into()
        },
        total_cases: total,
    })?;
    for s in chosen {
        for case in selected(s.as_ref()) {
            session
                .progress
                .start(&format!("{}/{}/{}", s.header().name, case.variant, case.flavor));
            let mut bench = match s.prepare(&case, &session.env) {
                Ok(b) => b,
                Err(e) => {
                    session.fail(s.as_ref(), &case, e);
                    session.progress.finish_case();
                    continue;
                }
            };
            let mut rec = CaseRecord::default();
            let outcome = bench
                .run(opts.warmup, None)
                .and_then(|_| bench.run(opts.batches, Some(&mut rec)));
            drop(bench);
            match outcome {
                Ok(_) => session.record_case(s.as_ref(), &case, rec, None),
                Err(e) => session.fail(s.as_ref(), &case, e),
            }
            session.progress.finish_case();
        }
        session.end_scenario()?;
    }
    Ok(session.finish()?)
}
