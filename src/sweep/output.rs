//! What a sweep leaves in its directory: `sweep.json`, `SWEEP.md` (the knee
//! table first, then every step), `hist/` (per step, corrected and
//! uncorrected `.hgrm` and `.hlog`) and `charts/` (latency vs offered rate,
//! achieved vs offered).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::knee::{Limit, Verdict};
use super::{RuntimeSweep, SweepSettings};
use crate::report::chart::render;
use crate::report::chart::sweep_achieved::AchievedChart;
use crate::report::chart::sweep_latency::LatencyVsRateChart;
use crate::report::palette;
use crate::results::atomic::write_atomic;
use crate::results::hgrm::write_hgrm;
use crate::results::hlog::{Interval, write_hlog};

pub const SCHEMA_VERSION: u32 = 1;

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
    runtime: &str,
    rate: u64,
    start: SystemTime,
    totals: [&Histogram<u64>; 2],
    intervals: &[Vec<Interval>; 2],
) -> Result<Vec<String>, String> {
    let hist = dir.join("hist");
    std::fs::create_dir_all(&hist).map_err(|e| format!("cannot create {}: {e}", hist.display()))?;
    let mut names = Vec::new();
    for (i, kind) in KINDS.iter().enumerate() {
        let stem = format!("{runtime}__{rate}rps__{kind}");
        let hgrm = format!("hist/{stem}.hgrm");
        write_atomic(&dir.join(&hgrm), write_hgrm(totals[i], 1000.0).as_bytes()).map_err(|e| e.to_string())?;
        let hlog = format!("hist/{stem}.hlog");
        let comment = format!("asyncbench sweep: {runtime} at {rate} requests/s offered, {kind} (ns)");
        let bytes = write_hlog(start, &intervals[i], 1e6, &comment).map_err(|e| e.to_string())?;
        write_atomic(&dir.join(&hlog), &bytes).map_err(|e| e.to_string())?;
        names.extend([hgrm, hlog]);
    }
    Ok(names)
}

fn limit_text(l: Limit, first_fail: Option<u64>) -> String {
    match (l, first_fail) {
        (Limit::Server, Some(f)) => format!("server: {f}/s failed"),
        (Limit::Generator, Some(f)) => format!("≥ (generator-bound at {f}/s)"),
        (Limit::NotReached, _) => "≥ (every rate passed)".into(),
        (Limit::BelowRange, Some(f)) => format!("below range ({f}/s failed)"),
        _ => "—".into(),
    }
}

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::OverSlo => "over SLO",
        Verdict::Saturated => "**saturated**",
        Verdict::GeneratorBound => "*generator-bound*",
    }
}

fn runtime_label(r: &str) -> String {
    palette::label(r, r.parse::<crate::runtime::Flavor>().is_ok_and(|f| f.legacy()))
}

/// The knee table: one row per runtime, the first thing the report shows.
pub fn knee_table(rep: &SweepReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| runtime | workers | knee (req/s) at p99 ≤ {} µs | knee interval (req/s) | p99 at knee (µs) | p50 at knee (µs) | limit |",
        rep.settings.slo_p99.as_micros()
    );
    let _ = writeln!(s, "| --- | ---: | ---: | --- | ---: | ---: | --- |");
    for r in &rep.runtimes {
        let at = r.steps.iter().find(|st| st.offered_rps == r.knee.rate);
        let p50 = at.map_or("—".to_string(), |st| format!("{:.0}", st.corrected.p50_us));
        let knee = if r.knee.rate == 0 {
            "—".into()
        } else {
            r.knee.rate.to_string()
        };
        let p99 = if r.knee.rate == 0 {
            "—".into()
        } else {
            format!("{:.0}", r.knee.p99_us)
        };
        let gen_below = r
            .steps
            .iter()
            .any(|st| st.verdict == Verdict::GeneratorBound && r.knee.first_fail.is_none_or(|f| st.offered_rps < f));
        let limit = match &r.failure {
            Some(f) => format!("failed: {f}"),
            None if r.knee.limit == Limit::BelowRange && gen_below => format!(
                "no clean pass: lower rates generator-bound{}",
                r.knee.first_fail.map(|f| format!(", {f}/s failed")).unwrap_or_default()
            ),
            None => limit_text(r.knee.limit, r.knee.first_fail),
        };
        let interval = match r.knee.interval() {
            (0, _) => "—".to_string(),
            (lo, Some(hi)) => format!("[{lo}, {hi})"),
            (lo, None) => format!("≥ {lo}"),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {knee} | {interval} | {p99} | {p50} | {limit} |",
            runtime_label(&r.runtime),
            r.workers
        );
    }
    s
}

/// Every step of every runtime.
pub fn steps_table(rep: &SweepReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| runtime | offered/s | achieved/s | p50 µs | p99 µs | p99.9 µs | p99 uncorr. µs | gen. own send lag p99 µs | gen. CPU (busiest thread) | gen. CPU µs/request | server CPU µs/request | server allocs/request | server ctx switches/request | errors | step |"
    );
    let _ = writeln!(
        s,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for r in &rep.runtimes {
        let mut steps: Vec<_> = r.steps.iter().collect();
        steps.sort_by_key(|st| st.offered_rps);
        for st in steps {
            let _ = writeln!(
                s,
                "| {} | {}{} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.2} | {} | {} | {} | {} | {}{} |",
                runtime_label(&r.runtime),
                st.offered_rps,
                if st.refine { " (refine)" } else { "" },
                st.achieved_rps,
                st.corrected.p50_us,
                st.corrected.p99_us,
                st.corrected.p999_us,
                st.uncorrected.p99_us,
                st.lateness.p99_us,
                st.generator_cpu * 100.0,
                st.generator_cpu_us_per_request,
                st.server_cost
                    .map_or("—".into(), |c| format!("{:.2}", c.cpu_ns_per_op / 1000.0)),
                st.server_cost
                    .and_then(|c| c.allocs_per_op)
                    .map_or("—".into(), |a| format!("{a:.1}")),
                st.server_cost.map_or("—".into(), |c| format!(
                    "{:.3}",
                    c.voluntary_cs_per_op + c.involuntary_cs_per_op
                )),
                st.errors,
                verdict_text(st.verdict),
                if st.shares_cpu_with_generator {
                    ", shares a CPU with the generator"
                } else {
                    ""
                }
            );
        }
    }
    s
}

/// The generator's capacity as a sentence (or why it is missing).
pub fn capacity_text(rep: &SweepReport) -> String {
    match (&rep.generator_capacity, &rep.generator_capacity_error) {
        (Some(c), _) => format!(
            "Generator capacity, measured before the sweep: {}. A knee near that rate would be the generator's.",
            c.line()
        ),
        (None, Some(e)) => format!("Generator capacity: not measured ({e})."),
        (None, None) => "Generator capacity: not measured.".into(),
    }
}

/// The markdown page of a sweep.
pub fn markdown(rep: &SweepReport, charts: &[(String, PathBuf)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Latency vs offered load: GET {}\n", rep.route);
    let _ = writeln!(s, "{}\n", knee_table(rep));
    let _ = writeln!(s, "{}\n", capacity_text(rep));
    let _ = writeln!(
        s,
        "Knee: the highest offered rate whose p99 (from the intended send time) stays under the SLO, below the first rate that did not (over the SLO, saturated: achieved < 99% of offered, p99 past {} µs or errors; or generator-bound). Started {} on {}; generator {} on its own thread and CPUs; {} connections; {} s per step.\n",
        rep.settings.p99_bound.as_micros(),
        rep.started,
        rep.host,
        rep.generator,
        rep.settings.connections,
        rep.settings.step.as_secs()
    );
    for (title, path) in charts {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let _ = writeln!(s, "![{title}](charts/{name})\n");
    }
    let _ = writeln!(s, "## Steps\n\n{}", steps_table(rep));
    for n in &rep.notes {
        let _ = writeln!(s, "- {n}");
    }
    let _ = writeln!(s, "\nReproduce: `{}`", rep.command);
    s
}

/// Writes `sweep.json`, the charts and `SWEEP.md` into `dir`; returns the
/// markdown path. A chart that cannot be drawn is reported, not fatal.
pub fn write_all(dir: &Path, rep: &SweepReport) -> Result<PathBuf, String> {
    let json = serde_json::to_string_pretty(rep).map_err(|e| e.to_string())?;
    write_atomic(&dir.join("sweep.json"), json.as_bytes()).map_err(|e| e.to_string())?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|e| format!("cannot create {}: {e}", charts_dir.display()))?;
    let mut charts = Vec::new();
    let lat = LatencyVsRateChart::new(rep);
    let ach = AchievedChart::new(rep);
    for (title, r) in [
        ("latency vs offered rate", render::render(&lat, &charts_dir)),
        ("achieved vs offered rate", render::render(&ach, &charts_dir)),
    ] {
        match r {
            Ok(done) => charts.push((title.to_string(), done.svg)),
            Err(e) => eprintln!("asyncbench: warning: {e}"),
        }
    }
    let md = dir.join("SWEEP.md");
    write_atomic(&md, markdown(rep, &charts).as_bytes()).map_err(|e| e.to_string())?;
    Ok(md)
}
