//! `scaling.json`: what `asyncbench scale` writes into its directory (the report draws
//! `SCALING.md` and `charts/` from it), and its JSON Schema, generated from these types and
//! checked in as `results/scaling.schema.json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::limits::FdLimit;
use super::{PatternResult, ScaleOpts, bend, patterns};
use crate::results::atomic::write_atomic;

/// `scaling.json`'s schema version.
pub const SCHEMA_VERSION: u32 = 1;
/// The checked-in copy of the schema, relative to the crate root.
pub const SCHEMA_PATH: &str = "results/scaling.schema.json";
pub const SCALING_JSON: &str = "scaling.json";

/// The run's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Settings {
    /// Rounds per point, each on a fresh runtime.
    pub rounds: u32,
    /// The `--max-n` asked for (each pattern also has its own cap).
    pub max_n: u64,
    /// Unrecorded batches at the start of each round.
    pub warmup: u32,
    /// Worker counts the multi-thread runtimes ran with.
    pub workers: Vec<usize>,
    /// The server delay D of gathered requests, µs.
    pub gather_delay_us: u64,
    /// How long each timer of the timers pattern sleeps, µs.
    pub timer_sleep_us: u64,
    /// A curve bends where its figure exceeds this many times its base.
    pub bend_factor: f64,
    /// A round past this many seconds is a failed point.
    pub round_limit_secs: u64,
}

/// `scaling.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScalingReport {
    pub schema_version: u32,
    /// UTC start, RFC 3339.
    pub started: String,
    pub host: String,
    /// Logical CPUs of the machine.
    pub cores: usize,
    pub command: String,
    pub settings: Settings,
    /// The open-file limits (absent where they could not be read).
    pub fd_limit: Option<FdLimit>,
    /// Ctrl-C stopped the run: the points that finished are kept, the rest never ran.
    pub interrupted: bool,
    /// Wall time of the run so far, s.
    pub secs: f64,
    pub patterns: Vec<PatternResult>,
    pub notes: Vec<String>,
}

/// An empty report for `o`.
pub fn new_report(o: &ScaleOpts, fd: Option<FdLimit>) -> ScalingReport {
    let workers = if o.workers.is_empty() {
        vec![crate::runtime::default_workers()]
    } else {
        o.workers.clone()
    };
    ScalingReport {
        schema_version: SCHEMA_VERSION,
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        cores: crate::runtime::default_workers(),
        command: o.command.clone(),
        settings: Settings {
            rounds: o.rounds,
            max_n: o.max_n,
            warmup: super::WARMUP,
            workers,
            gather_delay_us: micros(patterns::GATHER_DELAY),
            timer_sleep_us: micros(patterns::TIMER_SLEEP),
            bend_factor: bend::BEND_FACTOR,
            round_limit_secs: super::ROUND_LIMIT.as_secs(),
        },
        fd_limit: fd,
        interrupted: false,
        secs: 0.0,
        patterns: Vec::new(),
        notes: vec![
            "Each point is the mean over rounds (each a fresh runtime; runtimes rotated between rounds) of each round's mean over its batches, with the 95% Student-t interval over rounds.".into(),
            "CPU per operation counts the process's CPU less the test server's threads: for the fan-out pattern the chat server runs on the runtime under test and is counted.".into(),
            "Bytes per task are the allocator's live bytes per task while the N wait (task_memory's measurement), present with allocation counting on.".into(),
        ],
    }
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Writes `scaling.json` into `dir`.
pub fn write_json(dir: &Path, rep: &ScalingReport) -> Result<PathBuf, String> {
    let json = serde_json::to_string_pretty(rep).map_err(|e| e.to_string())?;
    let path = dir.join(SCALING_JSON);
    write_atomic(&path, json.as_bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Reads a `scaling.json`.
pub fn read_json(path: &Path) -> Result<ScalingReport, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The schema as the checked-in file holds it: pretty-printed, ending in a newline.
pub fn schema() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(ScalingReport))?;
    text.push('\n');
    Ok(text)
}

/// A figure with three significant digits (no exponent), for tables and progress lines.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    format!("{x:.decimals$}")
}
