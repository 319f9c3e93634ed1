//! `SWEEP.md`: a sweep's `sweep.json` as a report [`Document`] — the knee table first, the
//! generator's capacity, how the knee is read, the charts, then every step — written by the
//! same Markdown writer as `REPORT.md`. The terminal prints the same knee [`Table`].

use std::path::{Path, PathBuf};

use super::markdown;
use super::model::{Block, Document, Span, Table, anchor};
use crate::report::chart::render;
use crate::report::chart::sweep_achieved::AchievedChart;
use crate::report::chart::sweep_latency::LatencyVsRateChart;
use crate::report::palette;
use crate::results::atomic::write_atomic;
use crate::sweep::knee::{Knee, Limit, Verdict};
use crate::sweep::output::SweepReport;
use crate::sweep::{RateVerdict, RuntimeSweep};

pub const SWEEP_MD: &str = "SWEEP.md";

/// A runtime's name as every table shows it (async-std marked legacy).
pub fn runtime_label(r: &str) -> String {
    palette::label(r, r.parse::<crate::runtime::Flavor>().is_ok_and(|f| f.legacy()))
}

/// A knee's interval as a table cell: `[lo, hi)`, `≥ lo` when nothing bounds it above, `—`
/// when nothing was measured.
pub fn interval_text(k: &Knee) -> String {
    match k.interval() {
        (lo, Some(hi)) => format!("[{lo}, {hi})"),
        (0, None) => "—".into(),
        (lo, None) => format!("≥ {lo}"),
    }
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
        Verdict::Saturated => "saturated",
        Verdict::GeneratorBound => "generator-bound",
        Verdict::HostDisturbed => "host-disturbed",
    }
}

/// A rate's verdict over its repeats, e.g. `pass (2 of 3 passed)`.
fn decided_text(rv: &RateVerdict) -> String {
    let n = rv.repeats.len();
    if n <= 1 {
        return verdict_text(rv.verdict).into();
    }
    let passed = rv.repeats.iter().filter(|&&v| v == Verdict::Pass).count();
    let disturbed = rv.repeats.iter().filter(|&&v| v == Verdict::HostDisturbed).count();
    let counted = n - disturbed;
    if disturbed == 0 {
        format!("{} ({passed} of {n} passed)", verdict_text(rv.verdict))
    } else {
        format!(
            "{} ({passed} of {counted} passed; {disturbed} host-disturbed, not counted)",
            verdict_text(rv.verdict)
        )
    }
}

fn limit_cell(r: &RuntimeSweep) -> String {
    let gen_below = r
        .steps
        .iter()
        .any(|st| st.verdict == Verdict::GeneratorBound && r.knee.first_fail.is_none_or(|f| st.offered_rps < f));
    match &r.failure {
        Some(f) => format!("failed: {f}"),
        None if r.knee.limit == Limit::BelowRange && gen_below => format!(
            "no clean pass: lower rates generator-bound{}",
            r.knee.first_fail.map(|f| format!(", {f}/s failed")).unwrap_or_default()
        ),
        None => limit_text(r.knee.limit, r.knee.first_fail),
    }
}

/// The generator's busiest thread at `rate`, CPU less spin, the highest of the rate's repeats
/// (`None` with no step there): near [`crate::sweep::knee::GENERATOR_CPU_BOUND`] a knee sits
/// close to the generator's own limit.
fn busy_at(r: &RuntimeSweep, rate: u64) -> Option<f64> {
    r.steps
        .iter()
        .filter(|st| st.offered_rps == rate && rate > 0)
        .map(|st| st.generator_busy_or_cpu())
        .reduce(f64::max)
}

/// The closed-loop rate as a cell: `≥ N (generator-bound)` when the generator was the limit.
fn closed_loop_cell(r: &RuntimeSweep) -> String {
    match &r.closed_loop {
        Some(c) if c.generator_bound => format!("≥ {:.0} (generator-bound)", c.achieved_rps),
        Some(c) => format!("{:.0}", c.achieved_rps),
        None => "—".into(),
    }
}

/// Each knee set beside the same server's closed-loop rate: which are within a factor 2 of it,
/// and for those that are not, which limit stopped the sweep.
pub fn closed_loop_text(rep: &SweepReport) -> String {
    let mut within = Vec::new();
    let mut below = Vec::new();
    for r in &rep.runtimes {
        let name = runtime_label(&r.runtime);
        let Some(c) = &r.closed_loop else {
            below.push(format!(
                "{name}: no closed-loop run ({})",
                r.closed_loop_error.as_deref().unwrap_or("the sweep of it ended first")
            ));
            continue;
        };
        if r.knee.rate == 0 {
            below.push(format!("{name}: no knee ({})", limit_cell(r)));
            continue;
        }
        let pct = 100.0 * r.knee.rate as f64 / c.achieved_rps.max(1e-9);
        if pct >= 50.0 {
            within.push(format!("{name} {pct:.0}%"));
            continue;
        }
        below.push(format!(
            "{name}: knee {} req/s is {pct:.0}% of its closed-loop {:.0} req/s{}; the sweep stopped at \"{}\"{}",
            r.knee.rate,
            c.achieved_rps,
            if c.generator_bound {
                " (itself generator-bound, so a lower bound)"
            } else {
                ""
            },
            limit_cell(r),
            match r.knee.limit {
                Limit::Server => ": the p99 SLO, which open-loop queueing reaches before the server's throughput does",
                Limit::Generator => ": the generator, not the server",
                Limit::NotReached => ": the top of the rate range",
                _ => "",
            }
        ));
    }
    let mut t = format!(
        "Closed-loop max: the same server{}, after the rate steps, with each of the {} connections sending its \
         next request as its reply arrives (the same generator and CPUs, one step's length after a warm-up): \
         the most it serves with that many connections.",
        if rep.schema_version >= 5 {
            " (on a fresh runtime instance, as every step)"
        } else {
            ""
        },
        rep.settings.connections
    );
    if !within.is_empty() {
        t.push_str(&format!(" Knee within a factor 2 of it: {}.", within.join(", ")));
    }
    if !below.is_empty() {
        t.push_str(&format!(" Not within a factor 2: {}.", below.join("; ")));
    }
    t
}

/// The steps the host canary disturbed, named: `tokio-ct 32000/s repeat 2 (canary stall 34 ms)`,
/// or `None` when there were none.
pub fn disturbed_text(rep: &SweepReport) -> Option<String> {
    let named: Vec<String> = rep
        .runtimes
        .iter()
        .flat_map(|r| {
            r.steps
                .iter()
                .filter(|st| st.verdict == Verdict::HostDisturbed)
                .map(move |st| {
                    format!(
                        "{} {}/s repeat {}{} (canary stall {:.1} ms, p99 {:.1} ms)",
                        runtime_label(&r.runtime),
                        st.offered_rps,
                        st.repeat + 1,
                        if st.attempt > 0 {
                            format!(" attempt {}", st.attempt + 1)
                        } else {
                            String::new()
                        },
                        st.host_canary.map_or(0.0, |c| c.lateness.max_us / 1000.0),
                        st.corrected.p99_us / 1000.0
                    )
                })
        })
        .collect();
    (!named.is_empty()).then(|| {
        format!(
            "Host-disturbed steps ({}), run again and not counted in their rate's verdict: {}.",
            named.len(),
            named.join("; ")
        )
    })
}

/// The host canary's rule as a sentence, and whether it could run real-time.
pub fn canary_text(rep: &SweepReport) -> String {
    let steps: Vec<_> = rep.runtimes.iter().flat_map(|r| &r.steps).collect();
    let with = steps.iter().filter_map(|st| st.host_canary).collect::<Vec<_>>();
    if with.is_empty() {
        return "Host canary: none in this sweep (made before it existed, or it could not start).".into();
    }
    let rt = with.iter().all(|c| c.realtime);
    format!(
        "Host canary: one thread per CPU sleeps {} ms at a time and records how late it woke, over each step's \
         measured windows ({}). A step whose canary saw a stall of at least {:.0}% of the SLO ({} µs) is \
         host-disturbed: that rule reads the canary alone, never the server's figures, so it drops passes and \
         failures alike; the step is run again (at most {} times per repeat) and does not vote.",
        crate::measure::canary::PERIOD.as_millis(),
        if rt {
            "SCHED_FIFO, so our own threads cannot delay it"
        } else {
            "at normal priority here, so its lateness includes our own load"
        },
        crate::sweep::knee::HOST_STALL_OF_SLO * 100.0,
        rep.settings.slo_p99.as_micros(),
        crate::sweep::knee::HOST_RETRIES
    )
}

/// The knee table: one row per runtime, the first thing the page (and the terminal) shows.
pub fn knee_table(rep: &SweepReport) -> Table {
    let repeats = rep.settings.repeats.max(1);
    let rows = rep
        .runtimes
        .iter()
        .map(|r| {
            let none = r.knee.rate == 0;
            let dash = || "—".to_string();
            let at = r.rates.iter().find(|v| v.offered_rps == r.knee.rate && !none);
            vec![
                runtime_label(&r.runtime),
                r.workers.to_string(),
                if none { dash() } else { r.knee.rate.to_string() },
                interval_text(&r.knee),
                if none { dash() } else { format!("{:.0}", r.knee.p99_us) },
                at.map_or_else(dash, |v| format!("{:.0}", v.p50_us)),
                busy_at(r, r.knee.rate).map_or_else(dash, |b| format!("{:.0}%", b * 100.0)),
                limit_cell(r),
                closed_loop_cell(r),
            ]
        })
        .collect();
    let header = [
        "runtime".to_string(),
        "workers".into(),
        format!("knee (req/s) at p99 ≤ {} µs", rep.settings.slo_p99.as_micros()),
        format!(
            "knee interval (req/s) over {repeats} repeat{}",
            if repeats == 1 { "" } else { "s" }
        ),
        "p99 at knee (µs, median of repeats)".into(),
        "p50 at knee (µs, median of repeats)".into(),
        "generator busy at knee (max of repeats)".into(),
        "limit".into(),
        format!("closed-loop max (req/s, {} connections)", rep.settings.connections),
    ];
    Table {
        header: header.to_vec(),
        right: vec![false, true, true, false, true, true, true, false, true],
        rows,
    }
}

/// Every rate of every runtime with its verdict decided over its repeats.
pub fn rates_table(rep: &SweepReport) -> Table {
    let rows = rep
        .runtimes
        .iter()
        .flat_map(|r| {
            r.rates.iter().map(|rv| {
                vec![
                    runtime_label(&r.runtime),
                    rv.offered_rps.to_string(),
                    format!("{:.0}", rv.p99_us_range[0]),
                    format!("{:.0}", rv.p99_us_range[1]),
                    rv.repeats
                        .iter()
                        .map(|&v| verdict_text(v))
                        .collect::<Vec<_>>()
                        .join(", "),
                    decided_text(rv),
                ]
            })
        })
        .collect();
    Table {
        header: [
            "runtime",
            "offered/s",
            "lowest p99 of repeats (µs)",
            "highest p99 of repeats (µs)",
            "each repeat",
            "rate's verdict",
        ]
        .map(String::from)
        .to_vec(),
        right: vec![false, true, true, true, false, false],
        rows,
    }
}

/// Every step (each repeat of each rate) of every runtime.
pub fn steps_table(rep: &SweepReport) -> Table {
    let header = [
        "runtime",
        "offered/s",
        "repeat",
        "achieved/s",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "p99 uncorr. µs",
        "gen. own send lag p99 µs",
        "host canary max µs",
        "gen. CPU (busiest thread)",
        "of it not spinning",
        "gen. CPU µs/request",
        "server CPU µs/request",
        "server allocs/request",
        "server ctx switches/request",
        "errors",
        "step",
    ];
    let mut rows = Vec::new();
    for r in &rep.runtimes {
        let mut steps: Vec<_> = r.steps.iter().collect();
        steps.sort_by_key(|st| (st.offered_rps, st.repeat, st.attempt));
        for st in steps {
            let c = st.server_cost;
            rows.push(vec![
                runtime_label(&r.runtime),
                format!("{}{}", st.offered_rps, if st.refine { " (refine)" } else { "" }),
                format!(
                    "{}{}",
                    st.repeat + 1,
                    if st.attempt > 0 {
                        format!(" (attempt {})", st.attempt + 1)
                    } else {
                        String::new()
                    }
                ),
                format!("{:.0}", st.achieved_rps),
                format!("{:.0}", st.corrected.p50_us),
                format!("{:.0}", st.corrected.p99_us),
                format!("{:.0}", st.corrected.p999_us),
                format!("{:.0}", st.uncorrected.p99_us),
                format!("{:.0}", st.lateness.p99_us),
                st.host_canary
                    .map_or("—".into(), |c| format!("{:.0}", c.lateness.max_us)),
                format!("{:.0}%", st.generator_cpu * 100.0),
                st.generator_busy.map_or("—".into(), |b| format!("{:.0}%", b * 100.0)),
                format!("{:.2}", st.generator_cpu_us_per_request),
                c.map_or("—".into(), |c| format!("{:.2}", c.cpu_ns_per_op / 1000.0)),
                c.and_then(|c| c.allocs_per_op)
                    .map_or("—".into(), |a| format!("{a:.1}")),
                c.map_or("—".into(), |c| {
                    format!("{:.3}", c.voluntary_cs_per_op + c.involuntary_cs_per_op)
                }),
                st.errors.to_string(),
                format!(
                    "{}{}{}",
                    verdict_text(st.verdict),
                    st.generator_bound_reason()
                        .map_or(String::new(), |why| format!(" ({why})")),
                    if st.shares_cpu_with_generator {
                        ", shares a CPU with the generator"
                    } else {
                        ""
                    }
                ),
            ]);
        }
    }
    let mut right = vec![true; header.len()];
    right[0] = false;
    right[header.len() - 1] = false;
    Table {
        header: header.map(String::from).to_vec(),
        right,
        rows,
    }
}

/// The generator's capacity as a sentence (or why it is missing).
pub fn capacity_text(rep: &SweepReport) -> String {
    match (&rep.generator_capacity, &rep.generator_capacity_error) {
        (Some(c), _) => format!(
            "Generator capacity, measured before the sweep: {}. The generator's own limit lies between those two rates; whether a step near it was the generator's is read from that step's own busy share and send lag (the knee table's busy column, the steps table).",
            c.line()
        ),
        (None, Some(e)) => format!("Generator capacity: not measured ({e})."),
        (None, None) => "Generator capacity: not measured.".into(),
    }
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

fn heading(level: u8, t: impl Into<String>) -> Block {
    let text = t.into();
    let id = anchor(&text);
    Block::Heading { level, text, id }
}

/// A chart drawn into `charts/`: its alt text and its SVG and PNG paths relative to the sweep
/// directory.
pub struct SweepChart {
    pub alt: String,
    pub svg: String,
    pub png: String,
}

/// The page of a sweep.
pub fn document(rep: &SweepReport, charts: &[SweepChart]) -> Document {
    let s = &rep.settings;
    let title = format!("Latency vs offered load: GET {}", rep.route);
    let mut blocks = vec![
        heading(1, title.clone()),
        Block::Table(knee_table(rep)),
        Block::Para(vec![text(closed_loop_text(rep))]),
        Block::Para(vec![text(capacity_text(rep))]),
        Block::Para(vec![text(canary_text(rep))]),
    ];
    if let Some(d) = disturbed_text(rep) {
        blocks.push(Block::Para(vec![text(d)]));
    }
    blocks.extend([
        Block::Para(vec![
            Span::Strong("Knee: ".into()),
            text(format!(
                "the highest offered rate whose p99 (from the intended send time) stays under the SLO, below the \
                 first rate that did not (over the SLO, saturated: achieved < 99% of offered, p99 past {} µs or \
                 errors; or generator-bound). Each rate ran {} time(s) back to back, each {}with a fresh generator \
                 and its own warm-up; a rate's verdict is the kind most of its repeats gave (pass, a server \
                 failure, or generator-bound; a tie goes to the failure, then to generator-bound; host-disturbed \
                 repeats do not vote). The interval runs from the highest rate at or below the knee that every counted repeat \
                 passed to the lowest rate above it that every counted repeat failed: repeats that agree keep it \
                 at [last pass, first failure), repeats that disagree near the knee widen it (a lone failure far \
                 below does not), and two sweeps of one commit agree when their intervals overlap.",
                s.p99_bound.as_micros(),
                s.repeats.max(1),
                if rep.schema_version >= 5 {
                    "on a fresh runtime instance and server, "
                } else {
                    ""
                }
            )),
        ]),
        Block::Para(vec![text(format!(
            "Started {} on {}; generator {} on its own thread and CPUs; {} connections; {} s per step.",
            rep.started,
            rep.host,
            rep.generator,
            s.connections,
            s.step.as_secs()
        ))]),
    ]);
    blocks.extend(charts.iter().map(|c| Block::Chart {
        svg: c.svg.clone(),
        png: c.png.clone(),
        alt: c.alt.clone(),
    }));
    blocks.push(heading(2, "Rates"));
    blocks.push(Block::Table(rates_table(rep)));
    blocks.push(heading(2, "Steps"));
    blocks.push(Block::Table(steps_table(rep)));
    if !rep.notes.is_empty() {
        blocks.push(Block::List(rep.notes.iter().map(|n| vec![text(n)]).collect()));
    }
    blocks.push(Block::Para(vec![text("Reproduce:")]));
    blocks.push(Block::Code(rep.command.clone()));
    Document { title, blocks }
}

/// Draws the charts into `dir/charts/` and writes `dir/SWEEP.md`; returns its path. A chart
/// that cannot be drawn is reported, not fatal.
pub fn write(dir: &Path, rep: &SweepReport) -> Result<PathBuf, String> {
    let charts_dir = dir.join(crate::report::CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir).map_err(|e| format!("cannot create {}: {e}", charts_dir.display()))?;
    let rel = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().replace('\\', "/");
    let mut charts = Vec::new();
    for (alt, r) in [
        (
            "latency vs offered rate",
            render::render(&LatencyVsRateChart::new(rep), &charts_dir),
        ),
        (
            "achieved vs offered rate",
            render::render(&AchievedChart::new(rep), &charts_dir),
        ),
    ] {
        match r {
            Ok(done) => charts.push(SweepChart {
                alt: alt.to_string(),
                svg: rel(&done.svg),
                png: rel(&done.png),
            }),
            Err(e) => eprintln!("asyncbench: warning: {e}"),
        }
    }
    let md = dir.join(SWEEP_MD);
    write_atomic(&md, markdown::render(&document(rep, &charts)).as_bytes()).map_err(|e| e.to_string())?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sweep::knee::knee_over_repeats;
    use crate::sweep::{ClosedLoop, Pcts, Step, SweepSettings, rate_verdicts};

    /// A step at `rate` (repeat `repeat`) with a planted p99 and full achieved rate.
    fn step(rate: u64, repeat: u32, p99_us: f64) -> Step {
        let pcts = Pcts {
            count: rate,
            p50_us: p99_us / 2.0,
            p99_us,
            p999_us: p99_us,
            max_us: p99_us,
        };
        let mut st = Step {
            offered_rps: rate,
            achieved_rps: rate as f64,
            secs: 1.0,
            corrected: pcts,
            uncorrected: pcts,
            lateness: Pcts::default(),
            generator_cpu: 0.1,
            generator_busy: Some(0.1),
            generator_cpu_us_per_request: 1.0,
            generator_threads: 1,
            generator_bound: false,
            shares_cpu_with_generator: false,
            server_cost: None,
            errors: 0,
            errors_by_kind: Default::default(),
            verdict: Verdict::Pass,
            repeat,
            attempt: 0,
            host_canary: None,
            host_disturbed: false,
            refine: false,
            files: Vec::new(),
        };
        st.verdict = Verdict::of(&st.point(), SLO, BOUND);
        st
    }

    const SLO: Duration = Duration::from_millis(5);
    const BOUND: Duration = Duration::from_millis(100);

    fn report(steps: Vec<Step>) -> SweepReport {
        let pts: Vec<_> = steps.iter().map(|s| (s.repeat, s.point())).collect();
        SweepReport {
            schema_version: crate::sweep::output::SCHEMA_VERSION,
            started: "2026-01-01T00:00:00Z".into(),
            host: "h".into(),
            command: "asyncbench sweep".into(),
            route: "/".into(),
            generator: "g".into(),
            settings: SweepSettings {
                connections: 16,
                timeout: Duration::from_secs(2),
                slo_p99: SLO,
                start_rate: 1000,
                max_rate: 4000,
                growth: 2.0,
                step: Duration::from_secs(1),
                refine_steps: 0,
                p99_bound: BOUND,
                repeats: 3,
            },
            runtimes: vec![RuntimeSweep {
                runtime: "tokio-ct".into(),
                workers: 1,
                rates: rate_verdicts(&steps),
                knee: knee_over_repeats(&pts, SLO, BOUND),
                steps,
                server_cpus: None,
                generator_cpus: None,
                closed_loop: None,
                closed_loop_error: None,
                failure: None,
            }],
            notes: vec!["a note".into()],
            generator_capacity: None,
            generator_capacity_error: None,
        }
    }

    #[test]
    fn the_page_opens_with_the_knee_and_its_interval_over_the_repeats() {
        // 1000 and 2000 pass in every repeat; 4000 passes in one repeat of three (p99 over
        // the SLO in the others): the knee is 2000, and the dissenting repeat's first failure
        // lies above 4000, untried, so the interval stays open above.
        let mut steps = Vec::new();
        for k in 0..3 {
            steps.push(step(1000, k, 300.0));
            steps.push(step(2000, k, 400.0));
            steps.push(step(4000, k, if k == 1 { 900.0 } else { 7000.0 }));
        }
        let rep = report(steps);
        let t = knee_table(&rep);
        assert!(t.header[3].contains("over 3 repeats"), "{:?}", t.header);
        assert_eq!(t.rows[0][2..5], ["2000", "≥ 2000", "400"]);
        let rates = rates_table(&rep);
        assert_eq!(rates.rows[2][4], "over SLO, pass, over SLO");
        assert_eq!(rates.rows[2][5], "over SLO (1 of 3 passed)");
        let md = markdown::render(&document(&rep, &[]));
        assert!(md.starts_with("# Latency vs offered load: GET /\n\n| runtime"), "{md}");
        assert!(md.find("## Rates") < md.find("## Steps"), "{md}");
        assert!(md.contains("- a note") && md.contains("asyncbench sweep\n```"), "{md}");
    }

    /// A step the host canary saw stall 30 ms (with its p99 past the SLO) and its retry that
    /// passed: the page names the disturbed step, the rate's verdict counts only the retry.
    #[test]
    fn host_disturbed_steps_are_named_and_do_not_vote() {
        let mut steps = agreeing_repeats();
        let mut hit = step(1000, 1, 30_000.0);
        hit.host_canary = Some(crate::sweep::HostCanary {
            lateness: Pcts {
                count: 1000,
                max_us: 30_000.0,
                ..Pcts::default()
            },
            realtime: true,
        });
        hit.host_disturbed = crate::sweep::knee::host_disturbed(Duration::from_millis(30), SLO);
        hit.verdict = Verdict::of(&hit.point(), SLO, BOUND);
        assert_eq!(hit.verdict, Verdict::HostDisturbed);
        steps.insert(2, hit);
        steps[3].attempt = 1;
        let rep = report(steps);
        let rates = rates_table(&rep);
        assert_eq!(rates.rows[0][5], "pass (3 of 3 passed; 1 host-disturbed, not counted)");
        assert_eq!(knee_table(&rep).rows[0][3], "[1000, 2000)");
        let d = disturbed_text(&rep).unwrap();
        assert!(
            d.contains("tokio-ct 1000/s repeat 2 (canary stall 30.0 ms, p99 30.0 ms)"),
            "{d}"
        );
        let md = markdown::render(&document(&rep, &[]));
        assert!(
            md.contains("Host-disturbed steps (1)") && md.contains("Host canary: one thread per CPU"),
            "{md}"
        );
        assert!(disturbed_text(&report(agreeing_repeats())).is_none());
    }

    /// 1000/s passes and 2000/s is over the SLO in each of three repeats.
    fn agreeing_repeats() -> Vec<Step> {
        (0..3)
            .flat_map(|k| [step(1000, k, 300.0), step(2000, k, 7000.0)])
            .collect()
    }

    #[test]
    fn repeats_that_agree_give_the_last_pass_and_the_first_failure() {
        let rep = report(agreeing_repeats());
        assert_eq!(knee_table(&rep).rows[0][3], "[1000, 2000)");
    }

    fn closed(rps: f64, generator_bound: bool) -> ClosedLoop {
        ClosedLoop {
            achieved_rps: rps,
            secs: 1.0,
            latency: Pcts::default(),
            generator_busy: if generator_bound { 0.95 } else { 0.5 },
            generator_bound,
            errors: 0,
        }
    }

    #[test]
    fn the_knee_is_set_beside_the_closed_loop_max_and_a_far_one_names_its_limit() {
        let mut rep = report(agreeing_repeats());
        // Knee 1000/s: within a factor 2 of 1600/s closed loop (62%).
        rep.runtimes[0].closed_loop = Some(closed(1600.0, false));
        let t = knee_table(&rep);
        assert_eq!(t.header.len(), t.right.len());
        assert!(t.header[8].contains("closed-loop max") && t.header[8].contains("16 connections"));
        assert_eq!(t.rows[0][8], "1600");
        // The planted steps' generator was 10% busy.
        assert!(t.header[6].starts_with("generator busy at knee"));
        assert_eq!(t.rows[0][6], "10%");
        assert!(closed_loop_text(&rep).contains("within a factor 2 of it: tokio-ct 62%"));
        // Knee 1000/s against 5000/s: not within; the limit that stopped the sweep is named.
        rep.runtimes[0].closed_loop = Some(closed(5000.0, true));
        assert_eq!(knee_table(&rep).rows[0][8], "≥ 5000 (generator-bound)");
        let text = closed_loop_text(&rep);
        assert!(
            text.contains("tokio-ct: knee 1000 req/s is 20% of its closed-loop 5000 req/s (itself generator-bound")
                && text.contains("\"server: 2000/s failed\": the p99 SLO"),
            "{text}"
        );
        rep.runtimes[0].closed_loop = None;
        rep.runtimes[0].closed_loop_error = Some("server gone".into());
        assert!(closed_loop_text(&rep).contains("tokio-ct: no closed-loop run (server gone)"));
        let md = markdown::render(&document(&rep, &[]));
        assert!(md.contains("Closed-loop max: the same server"), "{md}");
    }

    /// Planted: one step out of CPU (busy 95%, lag 40 µs), one late with CPU to spare (busy 30%,
    /// own send lag p99 2804 µs: a host's late wake), one that passed. The steps table names the
    /// rule each generator-bound step met, so a late wake does not read as a generator out of CPU.
    #[test]
    fn the_steps_table_names_the_generator_bound_rule_a_step_met() {
        let lag = |p99_us| Pcts {
            count: 100,
            p99_us,
            ..Pcts::default()
        };
        let bound = |rate, busy, lag_us| {
            let mut st = step(rate, 0, 500.0);
            st.generator_busy = Some(busy);
            st.lateness = lag(lag_us);
            st.generator_bound = crate::sweep::generator_bound(busy, &st.lateness, false);
            st.verdict = Verdict::of(&st.point(), SLO, BOUND);
            st
        };
        let rep = report(vec![
            step(1000, 0, 500.0),
            bound(2000, 0.3, 2804.0),
            bound(4000, 0.95, 40.0),
        ]);
        let t = steps_table(&rep);
        let last: Vec<&str> = t.rows.iter().map(|r| r[r.len() - 1].as_str()).collect();
        assert_eq!(
            last,
            [
                "pass",
                "generator-bound (own send lag p99 2804 µs, busy 30%)",
                "generator-bound (busy 95%)"
            ]
        );
    }
}
