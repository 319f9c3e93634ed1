//! What the measurement of one case accumulates: each batch's figures
//! ([`Batch`]) folded into the case's recorders ([`CaseRecord`]).

use std::collections::BTreeMap;
use std::time::Duration;

use super::Recorder;
use super::outcome::{ErrorCounts, OpError};
use crate::stats::RunningMean;

/// What one batch (one criterion iteration) measured.
#[derive(Debug, Default)]
pub struct Batch {
    /// The batch's wall time, measured by the scenario around the part that
    /// the scenario's ideal describes (setup excluded), with a
    /// [`super::cost::Stopwatch`].
    pub wall: Duration,
    /// What exactly that timed region cost (the stopwatch's count over the same segments as
    /// `wall`); empty (`windows == 0`) when nothing was timed.
    pub cost: super::CostTotals,
    /// Per-operation latencies of the operations that succeeded.
    pub latencies: Vec<Duration>,
    /// Operations that failed, by kind (transport error, timeout, unexpected status…).
    pub errors: ErrorCounts,
    /// Further timed metrics of this batch, each its own HDR histogram and
    /// summary row, e.g. `("sched_delay", wake → poll of each probe deadline)`.
    pub extra: Vec<(&'static str, Vec<Duration>)>,
    /// Scenario-specific figures for this batch (averaged over batches in
    /// the summary), e.g. `("cpu_jobs_per_s", 812.0)`.
    pub values: Vec<(&'static str, f64)>,
}

impl Batch {
    /// A batch whose timed region is `t` (a stopped [`super::cost::Stopwatch`]).
    pub fn timed(t: super::cost::Timed) -> Batch {
        Batch {
            wall: t.wall,
            cost: t.cost,
            ..Batch::default()
        }
    }

    /// Builds a batch from its timed region and per-operation outcomes.
    pub fn from_outcomes<E: Into<OpError>>(
        t: super::cost::Timed,
        outcomes: impl IntoIterator<Item = Result<Duration, E>>,
    ) -> Batch {
        let mut b = Batch::timed(t);
        for o in outcomes {
            match o {
                Ok(d) => b.latencies.push(d),
                Err(e) => b.errors.record(&e.into()),
            }
        }
        b
    }

    /// A batch in which `n` operations failed with `e` and nothing was timed.
    pub fn failed(n: u64, e: OpError) -> Batch {
        let mut b = Batch::default();
        b.errors.add(e.kind(), n);
        b
    }
}

/// Everything recorded for one scenario × variant × runtime. Clone: the
/// session writes a case's rows after every round from a copy of its rounds so far.
#[derive(Clone)]
pub struct CaseRecord {
    pub latency: Recorder,
    /// One recorder per extra metric, by name.
    pub extra: BTreeMap<&'static str, Recorder>,
    /// Each value's per-batch mean, kept as its batches report it.
    pub values: BTreeMap<&'static str, RunningMean>,
    pub wall: Recorder,
    /// Per-batch wall times, kept for the confidence interval (capped so
    /// memory stays bounded on very long runs).
    pub wall_samples: Vec<u64>,
    pub errors: ErrorCounts,
    pub ops: u64,
    /// Sum of batch wall times, for throughput.
    pub busy: Duration,
    /// What the recorded batches' timed regions cost the side under test, summed from each
    /// [`Batch::cost`] (see [`super::cost::Stopwatch`]).
    pub cost: super::CostTotals,
    /// Each batch's own p99 of `latency` and median of each extra metric
    /// (ns), capped like `wall_samples`: the within-round spread of a round
    /// figure that is a percentile (see [`RoundFigures`]).
    pub batch_quantiles: BTreeMap<&'static str, Vec<f64>>,
}

/// Key of the per-batch p99 of `latency` in [`CaseRecord::batch_quantiles`]
/// (extra metrics use their own names, which never collide with it).
pub const LATENCY_P99: &str = "latency/p99";
/// Key of the per-batch median of `latency` in [`CaseRecord::batch_quantiles`].
pub const LATENCY_P50: &str = "latency/p50";

const MAX_WALL_SAMPLES: usize = 1_000_000;

impl Default for CaseRecord {
    fn default() -> Self {
        CaseRecord {
            latency: Recorder::new(),
            extra: BTreeMap::new(),
            values: BTreeMap::new(),
            wall: Recorder::new(),
            wall_samples: Vec::new(),
            errors: ErrorCounts::default(),
            ops: 0,
            busy: Duration::ZERO,
            cost: super::CostTotals::default(),
            batch_quantiles: BTreeMap::new(),
        }
    }
}

/// The nearest-rank quantile `q` of `xs` (ns), by selection in O(n) (this runs after every
/// batch): [`crate::stats::select_nearest_rank`].
fn batch_quantile(xs: &[Duration], q: f64) -> Option<f64> {
    let mut ns: Vec<u128> = xs.iter().map(Duration::as_nanos).collect();
    crate::stats::select_nearest_rank(&mut ns, q).map(|v| v as f64)
}

impl CaseRecord {
    pub fn add(&mut self, b: &Batch) {
        if b.cost.windows > 0 {
            self.cost.add(&b.cost);
        } else if b.wall > Duration::ZERO {
            // Timed without a stopwatch: the case's cost becomes unknown rather than partial.
            self.cost.untimed_batches += 1;
        }
        self.wall.record(b.wall);
        if self.wall_samples.len() < MAX_WALL_SAMPLES {
            self.wall_samples
                .push(u64::try_from(b.wall.as_nanos()).unwrap_or(u64::MAX));
        }
        for l in &b.latencies {
            self.latency.record(*l);
        }
        self.keep_batch_quantile(LATENCY_P99, batch_quantile(&b.latencies, 0.99));
        self.keep_batch_quantile(LATENCY_P50, batch_quantile(&b.latencies, 0.5));
        for (name, ds) in &b.extra {
            self.keep_batch_quantile(name, batch_quantile(ds, 0.5));
        }
        for (name, ds) in &b.extra {
            let r = self.extra.entry(name).or_default();
            for d in ds {
                r.record(*d);
            }
            r.tick();
        }
        for (name, v) in &b.values {
            self.values.entry(name).or_default().add(*v);
        }
        self.errors.merge(&b.errors);
        self.ops += b.latencies.len() as u64 + b.errors.total();
        self.busy += b.wall;
        self.latency.tick();
        self.wall.tick();
    }

    /// Keeps one batch's quantile under `key` ([`LATENCY_P99`] or an extra
    /// metric's name); `None` (the batch had no samples of it) keeps nothing.
    pub fn keep_batch_quantile(&mut self, key: &'static str, v: Option<f64>) {
        let e = self.batch_quantiles.entry(key).or_default();
        if let Some(v) = v.filter(|_| e.len() < MAX_WALL_SAMPLES) {
            e.push(v);
        }
    }

    /// The per-batch mean of a scenario value, if any batch reported it.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.values.get(name).and_then(RunningMean::mean)
    }

    /// Every value's per-batch mean, for the summary.
    pub fn value_means(&self) -> BTreeMap<String, f64> {
        self.values
            .keys()
            .filter_map(|k| Some((k.to_string(), self.value(k)?)))
            .collect()
    }

    pub fn batches(&self) -> u64 {
        self.wall.len()
    }

    /// What this record says as one round of its case: the batch-mean wall
    /// time with its spread, the p99 of its operations and the median of each
    /// further metric, each with the spread of the same quantile per batch.
    pub fn round_figures(&self) -> RoundFigures {
        let spread = |key: &str, value: f64| {
            let per_batch = self.batch_quantiles.get(key).map_or(&[][..], Vec::as_slice);
            let sd = if per_batch.len() > 1 {
                crate::stats::mean_sd(per_batch).1
            } else {
                0.0
            };
            RoundFigure {
                value,
                stddev: sd,
                batches: per_batch.len() as u64,
            }
        };
        let walls: Vec<f64> = self.wall_samples.iter().map(|&x| x as f64).collect();
        let (mean, sd) = if walls.is_empty() {
            (0.0, 0.0)
        } else {
            crate::stats::mean_sd(&walls)
        };
        RoundFigures {
            wall_mean: mean,
            wall_stddev: sd,
            batches: walls.len() as u64,
            latency_p99: (!self.latency.is_empty()).then(|| {
                spread(
                    LATENCY_P99,
                    crate::stats::hdr::percentile(self.latency.histogram(), 99.0) as f64,
                )
            }),
            latency_p50: (!self.latency.is_empty()).then(|| {
                spread(
                    LATENCY_P50,
                    crate::stats::hdr::percentile(self.latency.histogram(), 50.0) as f64,
                )
            }),
            extra: self
                .extra
                .iter()
                .filter(|(_, r)| !r.is_empty())
                .map(|(k, r)| {
                    let p50 = crate::stats::hdr::percentile(r.histogram(), 50.0) as f64;
                    (*k, spread(k, p50))
                })
                .collect(),
            steal_pct: None,
            migrations: None,
            host_probe_ns: None,
        }
    }

    /// Folds a later round of the same case into this one: histograms and
    /// intervals, batch times, values, failures and counts all add up.
    pub fn merge(&mut self, other: CaseRecord) {
        let CaseRecord {
            latency,
            extra,
            values,
            wall,
            wall_samples,
            errors,
            ops,
            busy,
            cost,
            batch_quantiles,
        } = other;
        self.cost.add(&cost);
        for (k, v) in batch_quantiles {
            let e = self.batch_quantiles.entry(k).or_default();
            let room = MAX_WALL_SAMPLES.saturating_sub(e.len());
            e.extend(v.into_iter().take(room));
        }
        self.latency.absorb(latency);
        for (k, r) in extra {
            self.extra.entry(k).or_default().absorb(r);
        }
        for (k, m) in values {
            self.values.entry(k).or_default().merge(&m);
        }
        self.wall.absorb(wall);
        let room = MAX_WALL_SAMPLES.saturating_sub(self.wall_samples.len());
        self.wall_samples.extend(wall_samples.into_iter().take(room));
        self.errors.merge(&errors);
        self.ops += ops;
        self.busy += busy;
    }

    /// The earliest instant any of this case's recorders saw: the time
    /// origin its interval logs share.
    pub fn first_start(&self) -> Option<std::time::Instant> {
        std::iter::once(&self.latency)
            .chain(self.extra.values())
            .chain(std::iter::once(&self.wall))
            .filter_map(Recorder::first_start)
            .min()
    }
}

/// One round of a case, summarised before its record is merged into the
/// case's (see [`CaseRecord::round_figures`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundFigures {
    pub wall_mean: f64,
    pub wall_stddev: f64,
    pub batches: u64,
    /// p99 of the round's operation latencies (its whole histogram), with
    /// the spread of the batches' own p99s; `None` when nothing succeeded.
    pub latency_p99: Option<RoundFigure>,
    /// Median of the round's operation latencies (its whole histogram), with the spread of the
    /// batches' own medians; `None` when nothing succeeded.
    pub latency_p50: Option<RoundFigure>,
    /// Median of each further metric in this round (its whole histogram,
    /// ns), with the spread of the batches' own medians.
    pub extra: BTreeMap<&'static str, RoundFigure>,
    /// Percent of the machine's CPU time the hypervisor stole while the round ran
    /// ([`super::steal`]), set by the session; `None` where unknown.
    pub steal_pct: Option<f64>,
    /// The host probe's wall time (ns) as the round ended ([`super::host_probe`]), set by the
    /// session; `None` for rounds run in another process.
    pub host_probe_ns: Option<f64>,
    /// Times the kernel moved the process's threads to another CPU while the round ran
    /// ([`super::placement::migrations_between`]), set by the session; `None` where unknown.
    pub migrations: Option<u64>,
}

/// One figure of one round with its within-round spread: the standard
/// deviation of the same figure taken per batch, over `batches` batches
/// (0 when no batch had samples; the stability rule then has no spread).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundFigure {
    pub value: f64,
    pub stddev: f64,
    pub batches: u64,
}
