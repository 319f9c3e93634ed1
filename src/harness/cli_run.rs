//! `asyncbench run`: the same cases as the criterion suite, closed loop, a
//! fixed number of batches each, without criterion.

use std::path::PathBuf;

use std::time::Duration;

use super::watchdog::{self, Guarded};
use super::{Failure, Interrupted, Session, SessionOpts, interrupt};
use crate::results::RunMode;
use crate::runtime::Flavor;
use crate::scenario::catalog::http_load::LoadMode;
use crate::scenario::{self, ScenarioDef};

/// What to run, already checked by `harness::options`.
#[derive(Debug)]
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
    /// An already running test server (e.g. `asyncbench serve`) to use instead of the in-process one.
    pub server: Option<std::net::SocketAddr>,
    /// Open-loop or max-throughput load instead of the scenario files.
    pub load: Option<crate::scenario::catalog::http_load::HttpLoad>,
}

/// Runs the selected cases; returns the run directory.
pub fn run(opts: RunOpts) -> Result<PathBuf, Failure> {
    let all: Vec<Box<dyn ScenarioDef>> = match &opts.load {
        Some(load) => vec![Box::new(load.clone())],
        None => scenario::load_dir(&opts.scenarios_dir).map_err(Failure::usage)?,
    };
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
    interrupt::install();
    let mut session = Session::start(SessionOpts {
        results_root: opts.results_root.clone(),
        command: opts.command.clone(),
        mode: match &opts.load {
            Some(l) => match l.load.mode {
                LoadMode::Rate(rate_per_s) => RunMode::OpenLoop {
                    rate_per_s,
                    connections: l.load.connections,
                },
                LoadMode::MaxThroughput => RunMode::MaxThroughput {
                    connections: l.load.connections,
                },
            },
            None => RunMode::Cli,
        },
        workers: opts.workers,
        profile: if cfg!(debug_assertions) {
            "debug".into()
        } else {
            "release".into()
        },
        total_cases: total,
        external_server: opts.server,
    })?;
    for s in chosen {
        for case in selected(s.as_ref()) {
            session
                .progress
                .start(&format!("{}/{}/{}", s.header().name, case.variant, case.flavor));
            let guarded = s
                .prepare(&case, &session.env)
                .and_then(|b| Guarded::new(b, watchdog::limit(&case, 1, Duration::ZERO)).map_err(|e| e.to_string()));
            let mut guarded = match guarded {
                Ok(g) => g,
                Err(e) => {
                    session.fail(s.as_ref(), &case, e);
                    session.progress.finish_case();
                    continue;
                }
            };
            // One batch per call, so the watchdog bounds each batch and
            // Ctrl-C is noticed between batches.
            for i in 0..opts.warmup + opts.batches {
                if interrupt::interrupted() {
                    guarded.failed.get_or_insert_with(|| "interrupted by Ctrl-C".into());
                    break;
                }
                if guarded
                    .run(1, i >= opts.warmup, watchdog::limit(&case, 1, Duration::ZERO))
                    .is_none()
                {
                    break;
                }
            }
            match (guarded.failed.clone(), guarded.finish()) {
                (None, Some(rec)) => {
                    warn_if_behind(&session, &case, &rec);
                    session.record_case(s.as_ref(), &case, rec, None)
                }
                (Some(e), _) => session.fail(s.as_ref(), &case, e),
                (None, None) => session.fail(s.as_ref(), &case, "the case did not shut down in time".into()),
            }
            session.progress.finish_case();
            if interrupt::interrupted() {
                break;
            }
        }
        session.end_scenario()?;
        if interrupt::interrupted() {
            return Err(Failure::from_run(Interrupted(session.run_path().to_path_buf()).into()));
        }
    }
    Ok(session.finish()?)
}

/// An open-loop client that cannot send at the asked rate says so: its
/// corrected latencies are still honest, but the load was lower than asked.
fn warn_if_behind(session: &Session, case: &crate::scenario::CaseSpec, rec: &crate::scenario::CaseRecord) {
    if let (Some(asked), Some(achieved)) = (rec.value("asked_rps"), rec.value("achieved_rps"))
        && achieved < 0.95 * asked
    {
        session.progress.line(&format!(
            "asyncbench: warning: {} could not keep up: asked {asked:.0} requests/s, achieved {achieved:.0}",
            case.flavor
        ));
    }
}
