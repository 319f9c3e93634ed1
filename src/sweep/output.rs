//! What the sweep itself writes into its directory: `sweep.json` and `hist/`
//! (per step, corrected and uncorrected `.hgrm` and `.hlog`). `SWEEP.md` and
//! `charts/` are the report's, drawn from `sweep.json`
//! (`report::doc::sweep`), so the sweep never imports the report.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::{RuntimeSweep, SweepSettings};
use crate::results::atomic::write_atomic;
use crate::results::hgrm::write_hgrm;
use crate::results::hlog::{Interval, write_hlog};

/// `sweep.json`'s schema. 5 runs every step (each repeat of each rate, and the closed loop) on a
/// fresh runtime instance and server, so repeats sample instances; the fields are 4's. 4 added the host canary (and reads the knee's interval from the rates
/// every repeat passed or failed, not from single repeats' knees): `steps[].host_canary` (how late threads that
/// only sleep woke over the step), `steps[].host_disturbed` and the verdict `host_disturbed`
/// (the canary saw a stall of at least the SLO; such a step is run again and does not vote), and
/// `steps[].attempt` (histogram files of a retry gain `a<k>`). 3 added `runtimes[].closed_loop` (the same server driven closed loop
/// after the rate steps: [`super::ClosedLoop`]) and `closed_loop_error`. 2 added repeated steps: `settings.repeats` (steps per rate),
/// `steps[].repeat` (which repeat of its rate, from 0; histogram files gained `__r<k>`),
/// `runtimes[].rates` (each rate's verdict decided over its repeats, each repeat's verdict,
/// the range of their p99s) and `knee.interval_lo`/`knee.interval_hi` (the knee's interval,
/// spanning the single repeats' knees). 1 had one step per rate and the interval
/// `[knee.rate, knee.first_fail)`.
pub const SCHEMA_VERSION: u32 = 5;

/// `sweep.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct SweepReport {
    pub schema_version: u32,
    /// UTC start, RFC 3339.
    pub started: String,
    pub host: String,
    pub command: String,
    /// The route every step requested, e.g. `/burn/20`.
    pub route: String,
    pub generator: String,
    pub settings: SweepSettings,
    pub runtimes: Vec<RuntimeSweep>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// The generator's own capacity against a near-zero-cost sink, measured
    /// before the sweep on the generator's CPUs (`None`: could not be measured).
    #[serde(default)]
    pub generator_capacity: Option<super::capacity::Capacity>,
    /// Why the capacity is missing, if it is.
    #[serde(default)]
    pub generator_capacity_error: Option<String>,
}

/// The two histograms a step keeps.
const KINDS: [&str; 2] = ["latency", "latency_uncorrected"];

/// Writes one step's `.hgrm` (µs) and `.hlog` files; returns their names
/// relative to `dir`.
pub fn write_step_hists(
    dir: &Path,
    (runtime, rate, repeat, attempt): (&str, u64, u32, u32),
    start: SystemTime,
    totals: [&Histogram<u64>; 2],
    intervals: &[Vec<Interval>; 2],
) -> Result<Vec<String>, String> {
    let hist = dir.join("hist");
    std::fs::create_dir_all(&hist).map_err(|e| format!("cannot create {}: {e}", hist.display()))?;
    let mut names = Vec::new();
    for (i, kind) in KINDS.iter().enumerate() {
        let retry = if attempt > 0 {
            format!("a{attempt}")
        } else {
            String::new()
        };
        let stem = format!("{runtime}__{rate}rps__r{repeat}{retry}__{kind}");
        let hgrm = format!("hist/{stem}.hgrm");
        write_atomic(&dir.join(&hgrm), write_hgrm(totals[i], 1000.0).as_bytes()).map_err(|e| e.to_string())?;
        let hlog = format!("hist/{stem}.hlog");
        let comment =
            format!("asyncbench sweep: {runtime} at {rate} requests/s offered, repeat {repeat}{retry}, {kind} (ns)");
        let bytes = write_hlog(start, &intervals[i], 1e6, &comment).map_err(|e| e.to_string())?;
        write_atomic(&dir.join(&hlog), &bytes).map_err(|e| e.to_string())?;
        names.extend([hgrm, hlog]);
    }
    Ok(names)
}

/// Writes `sweep.json` into `dir` (the report draws `SWEEP.md` and the charts from it).
pub fn write_json(dir: &Path, rep: &SweepReport) -> Result<PathBuf, String> {
    let json = serde_json::to_string_pretty(rep).map_err(|e| e.to_string())?;
    let path = dir.join("sweep.json");
    write_atomic(&path, json.as_bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}
