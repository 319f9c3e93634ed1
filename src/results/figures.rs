//! One definition per published figure of a row: what its value is (and its label and unit),
//! its interval over rounds, the value per operation, its throughput and unit, its ratios to the
//! ideal and the floor, its stability, and how it is cited (a range for an unstable row;
//! `report::format::cited` renders that as text).
//! Every writer — summary.json rows, CSV, the terminal table, the report, findings, charts,
//! compare and both exports — reads these functions instead of computing its own.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CaseResult;
use crate::measure::RoundFigures;
use crate::stats::Interval;
use crate::stats::rounds::{Round, Stability};

/// The metric of a case's own row (the operations the scenario names); other rows are the
/// case's further metrics (`sched_delay`, `exhausted`…).
pub const PRIMARY_METRIC: &str = "latency";

/// What a row's value is. A case declares it (the default is the mean batch time); metric
/// rows are the median of their metric. Each round gives one figure; the value is their mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueFigure {
    /// Mean batch wall time: per round the mean of its batches' wall times; mean over rounds.
    #[default]
    MeanBatch,
    /// p99 of the operations' latency measured from each one's intended send time (open loop,
    /// corrected for coordinated omission), per round; mean over rounds.
    P99FromIntended,
    /// Median of the operations' latency measured from each one's intended send time (open
    /// loop, corrected for coordinated omission) over the round's whole histogram, per round;
    /// mean over rounds. The server rows' value: a round's p99 is its ~40th-worst request, which a
    /// single host stall decides; the median resolves a difference between runtimes.
    P50FromIntended,
    /// Median of the row's metric per round (e.g. wake → poll delay); mean over rounds.
    MetricMedian,
}

impl ValueFigure {
    /// Short label for a column or a line: what the number is.
    pub fn label(self) -> &'static str {
        match self {
            ValueFigure::MeanBatch => "mean batch time",
            ValueFigure::P99FromIntended => "p99 from intended send",
            ValueFigure::P50FromIntended => "p50 from intended send",
            ValueFigure::MetricMedian => "median",
        }
    }

    /// The label of the figure as compared across runs: "batch mean over rounds"…
    pub fn over_rounds_label(self) -> &'static str {
        match self {
            ValueFigure::MeanBatch => "batch mean over rounds",
            ValueFigure::P99FromIntended => "p99 from intended send over rounds",
            ValueFigure::P50FromIntended => "p50 from intended send over rounds",
            ValueFigure::MetricMedian => "median over rounds",
        }
    }

    /// The definition in one sentence, for notes and documents.
    pub fn definition(self) -> &'static str {
        match self {
            ValueFigure::MeanBatch => "mean batch wall time per round, mean over rounds",
            ValueFigure::P99FromIntended => {
                "p99 of operation latency from the intended send time per round, mean over rounds"
            }
            ValueFigure::P50FromIntended => {
                "median of operation latency from the intended send time per round, mean over rounds"
            }
            ValueFigure::MetricMedian => "median of the metric per round, mean over rounds",
        }
    }

    /// Unit of the value (every value is a time today).
    pub fn unit(self) -> &'static str {
        "ns"
    }

    /// True when the value is a whole batch's time, so dividing by the operations per batch gives
    /// a per-operation figure; latency quantiles are per operation already.
    pub fn is_batch_time(self) -> bool {
        self == ValueFigure::MeanBatch
    }

    /// This figure of one round, at `position` in its round's order, with its within-round
    /// spread: for the case's own row (`metric` `None`), or for the further metric `metric`.
    /// `None` when the round has no such figure (nothing succeeded, the metric had no samples).
    pub fn round(self, position: u32, metric: Option<&str>, f: &RoundFigures) -> Option<Round> {
        let q = match (self, metric) {
            (ValueFigure::MeanBatch, None) => {
                return Some(Round {
                    position,
                    mean: f.wall_mean,
                    stddev: f.wall_stddev,
                    batches: f.batches,
                    steal_pct: f.steal_pct,
                    host_probe_ns: f.host_probe_ns,
                    migrations: f.migrations,
                });
            }
            (ValueFigure::P99FromIntended, None) => f.latency_p99?,
            (ValueFigure::P50FromIntended, None) => f.latency_p50?,
            (_, Some(m)) => *f.extra.get(m)?,
            (ValueFigure::MetricMedian, None) => return None,
        };
        Some(Round {
            position,
            mean: q.value,
            stddev: q.stddev,
            batches: q.batches,
            steal_pct: f.steal_pct,
            host_probe_ns: f.host_probe_ns,
            migrations: f.migrations,
        })
    }
}

/// What `r`'s value is: as written, or for summaries written before rows said so, the mean
/// batch time on a case's own row and the median on metric rows (what those runs computed).
pub fn figure_of(r: &CaseResult) -> ValueFigure {
    r.value_figure.unwrap_or(if r.metric == PRIMARY_METRIC {
        ValueFigure::MeanBatch
    } else {
        ValueFigure::MetricMedian
    })
}

/// A row's published value with its interval and how far its rounds agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    /// The value (ns): the mean over rounds of the row's figure.
    pub value: f64,
    /// 95% interval over rounds (over batches for runs made before rounds); `None` with one
    /// round (or batch): no spread to state.
    pub interval: Option<Interval>,
    /// What the value is.
    pub figure: ValueFigure,
    /// How far the rounds agree.
    pub stability: Stability,
    /// Smallest and largest round figure; what to cite when the row is not [`citable`](Value::citable).
    pub range: Option<(f64, f64)>,
    /// Rounds behind the value (0 for runs made before rounds).
    pub rounds: u32,
}

impl Value {
    /// False for a row whose rounds disagree: it must be quoted as its range, never one number.
    pub fn citable(&self) -> bool {
        !matches!(self.stability, Stability::Unstable | Stability::Bimodal)
    }
}

/// `r`'s published value: the mean over rounds with its 95% interval over rounds; for runs
/// made before rounds, the batch mean and its interval over batches. `None` when the row has no
/// successful sample (a made-up point must not reach a table or a tracked series).
pub fn value(r: &CaseResult) -> Option<Value> {
    if r.samples == 0 {
        return None;
    }
    let figure = figure_of(r);
    let v = if let Some(x) = &r.rounds {
        let e = x.estimate();
        Value {
            value: e.value,
            interval: e.interval,
            figure,
            stability: x.stability,
            range: x.range(),
            rounds: x.count,
        }
    } else {
        // Before rounds existed only the batch figure was published, and only on own rows.
        let w = r.wall_ns.as_ref().filter(|_| figure.is_batch_time())?;
        let e = w.estimate();
        Value {
            value: e.value,
            interval: e.interval,
            figure,
            stability: Stability::Unknown,
            range: None,
            rounds: 0,
        }
    };
    v.value.is_finite().then_some(v)
}

/// The value alone (ns), for sorting and ratios; see [`value`].
pub fn value_ns(r: &CaseResult) -> Option<f64> {
    value(r).map(|v| v.value)
}

/// The value per operation (ns): a batch time divided by the operations one batch performs
/// (`ops_per_batch`, in `throughput_unit`); a latency quantile is per operation already. `None`
/// for a batch time whose row does not say how many operations a batch performs.
pub fn per_op_ns(r: &CaseResult) -> Option<f64> {
    let v = value_ns(r)?;
    if figure_of(r).is_batch_time() {
        let n = r.ops_per_batch.filter(|&n| n > 0)?;
        Some(v / n as f64)
    } else {
        Some(v)
    }
}

/// `value / bound` (measured/ideal, measured/floor), `None` without a positive bound.
pub fn ratio(value: Option<f64>, bound: Option<f64>) -> Option<f64> {
    match (value, bound) {
        (Some(v), Some(b)) if b > 0.0 && v.is_finite() => Some(v / b),
        _ => None,
    }
}

/// The successful operations of a case: the declared operations of its batches less the
/// failed ones, or (cases without a declared count, or declaring that their errors do not
/// count operations) the latency samples, one per successful operation.
pub fn successes(ops_per_batch: u64, batches: u64, errors: u64, samples: u64, count_samples: bool) -> u64 {
    if ops_per_batch > 0 && !count_samples {
        (ops_per_batch * batches).saturating_sub(errors)
    } else {
        samples
    }
}

/// The scenario value in which an open-loop generator reports its successes per second of
/// schedule (`client::open_loop`); an open-loop row's throughput is that rate.
pub const ACHIEVED_RATE: &str = "achieved_rps";

/// The row's one throughput (per second, successes only). For a mean-batch value it is the
/// successes per batch over the published value, so the rate a reader derives from the value
/// and this column agree; for other values (a latency quantile says nothing about the rate) it
/// is the generator's achieved rate where it reports one ([`ACHIEVED_RATE`], passed as
/// `achieved`), so the row carries one rate of requests, else the successes over the batches'
/// total wall time.
pub fn throughput_per_s(
    figure: ValueFigure,
    successes: u64,
    batches: u64,
    busy_s: f64,
    value_ns: Option<f64>,
    achieved: Option<f64>,
) -> Option<f64> {
    match (figure.is_batch_time(), value_ns) {
        (true, Some(v)) if v > 0.0 && batches > 0 => Some(successes as f64 / batches as f64 / (v / 1e9)),
        (true, _) => None,
        (false, _) => achieved
            .filter(|a| a.is_finite())
            .or_else(|| (busy_s > 0.0).then(|| successes as f64 / busy_s)),
    }
}

/// True when the scenario value `key` is a rate of the row's throughput unit (`datagrams_per_s`
/// beside 'datagrams'): a second figure for the same rate, which the row does not carry.
pub fn duplicates_throughput(unit: &str, key: &str) -> bool {
    key.strip_suffix("_per_s").is_some_and(|u| u == unit.replace(' ', "_"))
}

/// The row's stability: from its rounds; `Unknown` with fewer than two.
pub fn stability(r: &CaseResult) -> Stability {
    r.rounds.as_ref().map_or(Stability::Unknown, |x| x.stability)
}

/// How a row's value is cited: the text form's shape, which `report::format::cited` renders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Citation {
    /// No value (no successful sample, or no rounds where rounds are asked for): "—".
    Absent,
    /// The rounds disagree: their range (smallest, largest round figure) with a marker, never
    /// one number.
    Range(f64, f64),
    /// The value with its 95% interval over rounds.
    Interval(f64, f64, f64),
    /// One round: the value, saying it is one round's.
    OneRound(f64),
    /// The value alone (a short citation of a row whose rounds agree).
    Plain(f64),
}

/// The row's value over rounds as a table cell cites it: `Interval`, `OneRound`, or `Range` when
/// the rounds disagree; `Absent` for a run without rounds (its batch figures are other columns).
pub fn citation(r: &CaseResult) -> Citation {
    let Some(v) = value(r).filter(|v| v.rounds > 0) else {
        return Citation::Absent;
    };
    match (v.citable(), v.range, v.interval) {
        (false, Some((lo, hi)), _) => Citation::Range(lo, hi),
        (_, _, Some(i)) => Citation::Interval(v.value, i.lo, i.hi),
        _ if v.rounds == 1 => Citation::OneRound(v.value),
        _ => Citation::Plain(v.value),
    }
}

/// The row's value as a short citation (findings, one-line answers, the terminal): the value
/// alone, or the range for a row whose rounds disagree.
pub fn short_citation(r: &CaseResult) -> Citation {
    match value(r) {
        Some(v) if !v.citable() => v
            .range
            .map_or(Citation::Plain(v.value), |(lo, hi)| Citation::Range(lo, hi)),
        Some(v) => Citation::Plain(v.value),
        None => Citation::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::rounds::summarize;

    fn row(means: &[f64], sd: f64, batches: u64) -> CaseResult {
        CaseResult {
            metric: PRIMARY_METRIC.into(),
            samples: 10,
            ops_per_batch: Some(4),
            rounds: summarize(Round::series(means, sd, batches)),
            ..CaseResult::default()
        }
    }

    #[test]
    fn unstable_row_reads_as_its_range_stable_as_mean() {
        let r = row(&[665_000.0, 836_000.0, 996_000.0], 1_000.0, 50);
        assert_eq!(stability(&r), Stability::Unstable);
        assert_eq!(citation(&r), Citation::Range(665_000.0, 996_000.0));
        assert_eq!(short_citation(&r), Citation::Range(665_000.0, 996_000.0));
        let r = row(&[1000.0, 1001.0, 999.0], 50.0, 50);
        assert_eq!(stability(&r), Stability::Stable);
        assert!(matches!(citation(&r), Citation::Interval(v, lo, hi) if v == 1000.0 && lo < v && hi > v));
        assert_eq!(short_citation(&r), Citation::Plain(1000.0));
        assert_eq!(per_op_ns(&r), Some(250.0));
    }

    #[test]
    fn no_samples_no_value() {
        let mut r = row(&[1000.0, 1001.0], 50.0, 50);
        r.samples = 0;
        assert_eq!(value(&r), None);
        assert_eq!(citation(&r), Citation::Absent);
    }

    #[test]
    fn throughput_is_the_value_s_rate() {
        // 32 successes per batch, mean batch 4 ms: 8000/s, whatever the windows summed to.
        let t = throughput_per_s(ValueFigure::MeanBatch, 320, 10, 99.0, Some(4e6), None);
        assert_eq!(t, Some(8000.0));
        let t = throughput_per_s(ValueFigure::P99FromIntended, 500, 5, 0.5, Some(4e6), None);
        assert_eq!(t, Some(1000.0));
        let t = throughput_per_s(ValueFigure::P99FromIntended, 500, 5, 0.5, Some(4e6), Some(990.0));
        assert_eq!(t, Some(990.0));
        assert_eq!(successes(32, 10, 5, 7, false), 315);
        assert_eq!(successes(32, 10, 5, 7, true), 7);
        assert!(duplicates_throughput("datagrams", "datagrams_per_s"));
        assert!(duplicates_throughput("wrapped ops", "wrapped_ops_per_s"));
        assert!(!duplicates_throughput("deliveries", "messages_per_s"));
    }
}
