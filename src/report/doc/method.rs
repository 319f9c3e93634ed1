//! The report's Method section: how the cases were driven (mode, closed or open loop), samples,
//! rounds and their adaptive stage, ideal and floor, CPU placement, statistics, noise and harness
//! floors, cost and legacy runtimes, as one list of items.

use super::model::Span;
use crate::report::data::RunData;
use crate::report::format;
use crate::report::palette;
use crate::results::RunMode;

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}
fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}
fn rounds_text(s: &crate::results::Summary) -> String {
    // Stage-2 rounds (cargo bench's adaptive rounds) can take a row past the run's stage-1 count.
    let most = |r: u32| {
        s.results
            .iter()
            .filter_map(|x| x.round_plan.as_ref().map(|p| p.ran))
            .fold(r, u32::max)
    };
    match s.run.rounds {
        Some(r) => format!(
            "each case ran in up to {} rounds, a fresh runtime each, with the cases of every round (runtimes and \
             variants) in a shuffled order (seed {}), so drift over the run meets every runtime alike. A row's \
             published value is its figure per round — the mean batch time; on open-loop rows the p99 from the \
             intended send time; on metric rows the median — averaged over rounds, with a Student-t 95% interval \
             over rounds; MDE is the smallest change a comparison with another run like this one detects (α 5%, \
             power 80%); a row whose rounds disagree beyond the spread of the same figure per batch (one-way \
             ANOVA, p < 0.001, spread over 2%; with no per-batch spread, rounds over 2% apart) is flagged \
             unstable and shown as its range, never as one number.{}",
            most(r),
            s.run.order_seed.map_or("unknown".to_string(), |x| x.to_string()),
            adaptive_text(s)
        ),
        None => "one round per case (a run made before rounds existed): batch statistics only, which leave \
                 out the variance between runtime instances."
            .into(),
    }
}

/// The adaptive rounds' sentence, where the run has them (cargo bench's stage 2).
fn adaptive_text(s: &crate::results::Summary) -> String {
    let plans: Vec<_> = s.results.iter().filter_map(|r| r.round_plan.as_ref()).collect();
    if plans.is_empty() {
        return String::new();
    }
    let missed = plans.iter().filter(|p| p.planned > p.stage1).count();
    let staged = plans.iter().filter(|p| p.ran > p.stage1).count();
    format!(
        " Those {} rounds are stage 1 of Stein's two-stage design: {missed} of {} rows missed their MDE target \
         after it (5% on current-thread runtimes, 10% on the others) and {staged} of them ran stage-2 rounds, up to \
         {}× stage 1 and within a time budget; the rounds column shows stage 1 + stage 2.",
        s.run.rounds.unwrap_or(0),
        plans.len(),
        crate::stats::two_stage::CAP_FACTOR
    )
}

fn placement_text(s: &crate::results::Summary) -> String {
    match &s.env.placement {
        Some(p) if p.applied => format!(
            "server on CPUs {}, harness and current-thread runtimes on {}, multi-thread runtimes on {} ({}).",
            p.server_cpus.as_ref().map_or("—".into(), |c| c.to_string()),
            p.client_cpus.as_ref().map_or("—".into(), |c| c.to_string()),
            p.multi_thread_cpus.as_ref().map_or("—".into(), |c| c.to_string()),
            p.note
        ),
        Some(p) => format!("not applied: {}.", p.note),
        None => "not recorded (a run made before placement existed); server and client shared every CPU.".into(),
    }
}

/// The Method section's items.
pub fn method(run: &RunData) -> Vec<Vec<Span>> {
    let s = &run.summary;
    let primary: Vec<_> = s
        .results
        .iter()
        .filter(|r| r.metric == crate::report::data::PRIMARY_METRIC)
        .collect();
    let range = |v: Vec<u64>| match (v.iter().min(), v.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => format::NONE.to_string(),
    };
    let batches = range(
        primary
            .iter()
            .filter_map(|r| r.wall_ns.as_ref().map(|w| w.batches))
            .collect(),
    );
    let samples = range(primary.iter().map(|r| r.samples).collect());
    let mut items = vec![
        vec![strong("Mode: "), text(mode_text(s.run.mode))],
        vec![
            strong("Samples: "),
            text(format!(
                "{batches} batches per case; {samples} timed operations per case; {} cases, {} failed.",
                primary.len(),
                s.failures.len()
            )),
        ],
        loop_item(s.run.mode),
        vec![strong("Rounds: "), text(rounds_text(s))],
        vec![
            strong("Ideal and floor: "),
            text(
                "measured/ideal divides a case's value by the physical lower bound its scenario states (N·D for \
                 N sequential requests of delay D); measured/floor divides it by the fastest the same requests \
                 went on this machine against this server when a minimal blocking client sent them one at a \
                 time (one floor per route and connection mode, fresh or kept alive: the fastest of 20 to 200 \
                 tries measured in this run, or the case's own fastest such request where that was lower; \
                 its row's notes say which). The floor is a lower bound, so \
                 measured/floor is at least 1 (a row where it is not carries a warning). Its excess over 1 is \
                 everything the case adds to the bare requests: the runtime, its client stack and the pattern's \
                 own waiting, plus the run-to-run spread of the server and the loopback.",
            ),
        ],
        vec![strong("CPU placement: "), text(placement_text(s))],
        vec![
            strong("Statistics: "),
            text(
                "percentiles from HdrHistogram (3 significant digits) over every recorded operation; mean ± 95% \
                 CI is the Student-t interval of the per-batch wall times (NIST/SEMATECH e-Handbook §7.2.2.1); \
                 measured/ideal is the mean batch time over the scenario's stated lower bound; throughput is \
                 operations per second of batch time.",
            ),
        ],
    ];
    if let Some(n) = crate::results::noise::Noise::read(&run.dir) {
        items.push(vec![strong("Noise floor: "), text(n.summary())]);
    }
    if let Some(h) = &s.harness {
        items.push(vec![
            strong("Harness floor: "),
            text(format!(
                "a timing (two clock reads) costs {}, recording one sample {}, clock resolution {}. Differences \
                 of a few times this are below what the harness can resolve.",
                format::duration(h.timer_ns),
                format::duration(h.record_ns),
                format::duration(h.timer_resolution_ns as f64)
            )),
        ]);
    }
    if let Some(c) = &s.cost_info {
        items.push(vec![strong("Cost: "), text(super::cost::method_text(c))]);
    }
    let legacy: Vec<String> = run
        .runtimes()
        .into_iter()
        .filter(|r| s.results.iter().any(|x| &x.runtime == r && x.legacy))
        .map(|r| format!("{} is {}", palette::label(r, true), palette::legacy_note(r)))
        .collect();
    if !legacy.is_empty() {
        items.push(vec![
            strong("Legacy: "),
            text(format!("{}; it is measured as a baseline.", legacy.join("; "))),
        ]);
    }
    items
}

/// What drove the cases. Matched exhaustively: a new mode must say how it measures.
fn mode_text(mode: RunMode) -> String {
    match mode {
        RunMode::Criterion => "criterion drove every case (closed loop): each criterion iteration is one batch of the \
                               scenario, timed with `iter_custom`; the same batches fed the HDR histograms."
            .into(),
        RunMode::CriterionQuick => {
            "criterion's `--quick` mode drove every case (closed loop): it stops as soon as its \
                                    estimate is stable, so cases have few batches; the same batches fed the HDR \
                                    histograms. Good for a look, not for citing."
                .into()
        }
        RunMode::Test => {
            "criterion test mode: every case ran once. A smoke test, not a measurement: do not cite it.".into()
        }
        RunMode::Cli => {
            "`asyncbench run` drove every case (closed loop) for a fixed number of batches after warm-up.".into()
        }
        RunMode::OpenLoop {
            rate_per_s,
            connections,
        } => format!(
            "`asyncbench run --rate` drove every case open loop at {rate_per_s} requests/s over {connections} \
             keep-alive connections, one batch per second of schedule."
        ),
        RunMode::MaxThroughput { connections } => format!(
            "`asyncbench run --max-throughput` drove every case closed loop on {connections} keep-alive connections, \
             each sending its next request as soon as the previous reply arrived: the throughput ceiling."
        ),
        RunMode::Other => {
            "criterion listed or profiled the cases (`--list`, `--profile-time`): nothing was measured.".into()
        }
    }
}

/// Closed or open loop, and what that means for the latencies.
fn loop_item(mode: RunMode) -> Vec<Span> {
    match mode {
        RunMode::Criterion
        | RunMode::CriterionQuick
        | RunMode::Test
        | RunMode::Cli
        | RunMode::MaxThroughput { .. }
        | RunMode::Other => vec![
            strong("Closed loop: "),
            text(
                "the next operation starts only when the previous one finishes, so a slower runtime also sends \
                 less; latency is from issue to completion. Open loop (constant rate, latency from the intended \
                 send time, wrk2-style coordinated-omission correction) measures queueing that closed loop hides.",
            ),
        ],
        RunMode::OpenLoop { rate_per_s, .. } => vec![
            strong("Open loop: "),
            text(format!(
                "requests go out at {rate_per_s} per second whatever the replies do; latency counts from each \
                 request's intended send time, so a stall counts against every request that should have been sent \
                 during it (coordinated-omission correction, G. Tene / wrk2). The uncorrected histogram, from the \
                 actual send, is kept beside it."
            )),
        ],
    }
}
