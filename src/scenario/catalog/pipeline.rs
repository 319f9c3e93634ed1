//! `pipeline` — the guide's "Implementing an Asyncio Producer-Consumer
//! Pipeline": P producer tasks push N items each into one queue, Q consumer
//! tasks drain it, over tokio mpsc, async-channel and flume, bounded and
//! unbounded. Latency = enqueue → dequeue per item; every item is checked
//! exactly-once and in order per producer (all three queues are FIFO).

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime, join_within};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::queues::{AsyncChannel, Flume, Item, Queue, TokioMpsc};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source, VariantName};
use crate::{param, param_error};

/// Items one batch may ask for (P·N): bounds the per-consumer bitmaps.
const MAX_ITEMS: u64 = 2_000_000;

/// The queue under test; each runs on every runtime (all three are
/// executor-agnostic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    TokioMpsc,
    AsyncChannel,
    Flume,
}

/// `params.queues`: each variant runs once per kind listed, as `<variant>-<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    Bounded,
    Unbounded,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    producers: Spanned<u64>,
    consumers: Spanned<u64>,
    items: Spanned<u64>,
    capacity: Spanned<u64>,
    // Strings, not `Kind`: an unknown kind is reported at its key with the
    // allowed ones, like every other bad value.
    queues: Spanned<Vec<Spanned<String>>>,
    timeout_ms: Spanned<u64>,
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub producers: u32,
    pub consumers: u32,
    pub items: u32,
    pub capacity: usize,
    /// In the file's order, duplicates dropped; a case's `sub` indexes it.
    pub kinds: Vec<Kind>,
    pub timeout: Duration,
}

fn kinds(src: &Source<'_>, p: &Params) -> Result<Vec<Kind>, ScenarioError> {
    if p.queues.get_ref().is_empty() {
        return Err(param_error!(
            src,
            p.queues,
            "must list at least one of: bounded, unbounded"
        ));
    }
    let mut kinds = Vec::new();
    for q in p.queues.get_ref() {
        let Some(k) = <Kind as strum::VariantArray>::VARIANTS
            .iter()
            .find(|k| <&str>::from(**k) == q.get_ref())
        else {
            return Err(src.error(
                Some(q.span()),
                Some("params.queues"),
                format!("unknown queue kind `{}`: allowed bounded, unbounded", q.get_ref()),
            ));
        };
        if !kinds.contains(k) {
            kinds.push(*k);
        }
    }
    Ok(kinds)
}

impl Scenario for Pipeline {
    const NAME: &'static str = "pipeline";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let producers = param!(src, p.producers, 1, 64)?;
        let consumers = param!(src, p.consumers, 1, 64)?;
        let items = param!(src, p.items, 1, MAX_ITEMS)?;
        if producers * items > MAX_ITEMS {
            return Err(param_error!(
                src,
                p.items,
                "producers·items = {} per batch: allowed at most {MAX_ITEMS}",
                producers * items
            ));
        }
        let capacity = param!(src, p.capacity, 1, 1 << 20)?;
        let timeout_ms = param!(src, p.timeout_ms, 1, 600_000)?;
        Ok(Pipeline {
            producers: producers as u32,
            consumers: consumers as u32,
            items: items as u32,
            capacity: capacity as usize,
            kinds: kinds(src, p)?,
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    fn cases(&self, v: Variant, flavor: Flavor) -> Vec<Case> {
        let total = u64::from(self.producers) * u64::from(self.items);
        let q = self.consumers as usize;
        let sharing = match v {
            Variant::TokioMpsc => TokioMpsc::sharing(q),
            Variant::AsyncChannel => AsyncChannel::sharing(q),
            Variant::Flume => Flume::sharing(q),
        };
        self.kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let size = match kind {
                    Kind::Bounded => format!("bounded, capacity {}", self.capacity),
                    Kind::Unbounded => "unbounded".to_string(),
                };
                Case::new(total, "items")
                    .sub(i, <&str>::from(*kind))
                    .note(format!(
                        "queue: {} ({size}) on {flavor}; the queue is executor-agnostic",
                        v.name()
                    ))
                    .note(sharing.clone())
                    .note(format!(
                        "{} producers × {} items, {} consumers, no artificial sleeps; latency = enqueue → dequeue",
                        self.producers, self.items, self.consumers
                    ))
                    .note("each item carries its enqueue Instant: two clock reads per item are part of the cost (timer floor in summary.json)")
            })
            .collect()
    }

    fn prepare(&self, v: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let kind = self
            .kinds
            .get(case.key.sub)
            .ok_or_else(|| format!("case {} was not made by pipeline", case.variant))?;
        let bounded = *kind == Kind::Bounded;
        // One monomorphised case per queue type.
        match v {
            Variant::TokioMpsc => driver::prepare_async(case, env, self.case::<TokioMpsc>(bounded)),
            Variant::AsyncChannel => driver::prepare_async(case, env, self.case::<AsyncChannel>(bounded)),
            Variant::Flume => driver::prepare_async(case, env, self.case::<Flume>(bounded)),
        }
    }

    fn comparisons(&self) -> Vec<Comparison> {
        let mut out = Vec::new();
        for kind in &self.kinds {
            let k = <&str>::from(*kind);
            let base = format!("tokio_mpsc-{k}");
            for q in ["async_channel", "flume"] {
                out.push(Comparison::variants(
                    format!("{q}-{k}"),
                    &base,
                    format!("which queue: {q} vs tokio mpsc ({k}), per item"),
                ));
            }
            let c = Comparison::runtimes(
                format!("async_channel-{k}"),
                format!("which runtime moves items through one executor-agnostic queue ({k}) fastest, per item"),
            );
            // One headline: the first kind the file names (bounded by default).
            out.push(if Some(kind) == self.kinds.first() {
                c.headline()
            } else {
                c
            });
        }
        if self.kinds.len() == 2 {
            out.push(Comparison::variants(
                "tokio_mpsc-unbounded",
                "tokio_mpsc-bounded",
                format!("an unbounded queue vs one bounded to {}, per item", self.capacity),
            ));
        }
        out
    }

    fn describe(&self) -> String {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| <&str>::from(*k)).collect();
        format!(
            "P={} producers × N={} items, Q={} consumers, capacity {}, queues: {}",
            self.producers,
            self.items,
            self.consumers,
            self.capacity,
            kinds.join(", ")
        )
    }
}

impl Pipeline {
    /// This pipeline on queue `Q`, bounded at `capacity` or not (also `asyncbench scale`'s
    /// producers pattern).
    pub fn case<Q: Queue>(&self, bounded: bool) -> PipelineCase<Q> {
        PipelineCase {
            p: self.clone(),
            capacity: bounded.then_some(self.capacity),
            _queue: PhantomData,
        }
    }
}

/// What one consumer saw.
pub struct ConsumerLog {
    pub latencies: Vec<Duration>,
    /// Bit `producer·N + seq` set once that item arrived here.
    seen: Vec<u64>,
    next: Vec<u32>,
    items: u32,
    pub duplicates: u64,
    pub out_of_order: u64,
    /// Items no producer could have made.
    pub foreign: u64,
}

impl ConsumerLog {
    pub fn new(producers: u32, items: u32) -> ConsumerLog {
        let bits = producers as usize * items as usize;
        ConsumerLog {
            latencies: Vec::new(),
            seen: vec![0; bits.div_ceil(64)],
            next: vec![0; producers as usize],
            items,
            duplicates: 0,
            out_of_order: 0,
            foreign: 0,
        }
    }

    pub fn record(&mut self, producer: u32, seq: u32, latency: Duration) {
        let Some(next) = self.next.get_mut(producer as usize).filter(|_| seq < self.items) else {
            self.foreign += 1;
            return;
        };
        let bit = producer as usize * self.items as usize + seq as usize;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if self.seen[word] & mask != 0 {
            self.duplicates += 1;
            return;
        }
        self.seen[word] |= mask;
        // FIFO: this consumer must see each producer's items in rising order.
        if seq < *next {
            self.out_of_order += 1;
        } else {
            *next = seq + 1;
        }
        self.latencies.push(latency);
    }
}

/// Every consumer's log merged: exactly-once and order over the whole batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Check {
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub foreign: u64,
}

pub fn check(logs: &[ConsumerLog], producers: u32, items: u32) -> Check {
    let words = (producers as usize * items as usize).div_ceil(64);
    let mut union = vec![0u64; words];
    let mut c = Check::default();
    for log in logs {
        c.duplicates += log.duplicates;
        c.out_of_order += log.out_of_order;
        c.foreign += log.foreign;
        for (u, s) in union.iter_mut().zip(&log.seen) {
            // An item two consumers both received is a duplicate too.
            c.duplicates += u64::from((*u & s).count_ones());
            *u |= s;
        }
    }
    c.delivered = union.iter().map(|w| u64::from(w.count_ones())).sum();
    c.lost = u64::from(producers) * u64::from(items) - c.delivered;
    c
}

/// One pipeline case: the same code on every runtime, per queue type.
pub struct PipelineCase<Q> {
    pub p: Pipeline,
    /// `None`: unbounded.
    pub capacity: Option<usize>,
    _queue: PhantomData<fn() -> Q>,
}

async fn produce<Q: Queue>(tx: Q::Tx, producer: u32, items: u32) -> u64 {
    for seq in 0..items {
        let item = Item {
            producer,
            seq,
            enqueued: Instant::now(),
        };
        if !Q::send(&tx, item).await {
            return u64::from(items - seq);
        }
    }
    0
}

async fn consume<Q: Queue>(mut rx: Q::Rx, producers: u32, items: u32, share: usize) -> ConsumerLog {
    let mut log = ConsumerLog::new(producers, items);
    log.latencies.reserve(share);
    while let Some(item) = Q::recv(&mut rx).await {
        let latency = item.enqueued.elapsed();
        log.record(item.producer, item.seq, latency);
    }
    log
}

impl<Q: Queue> AsyncScenario for PipelineCase<Q> {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        let (p, n) = (self.p.producers, self.p.items);
        let (tx, rxs) = Q::channel(self.capacity, self.p.consumers as usize);
        let share = (p as usize * n as usize).div_ceil(self.p.consumers as usize);
        let sw = Stopwatch::start();
        let deadline = sw.started().unwrap_or_else(Instant::now) + self.p.timeout;
        let consumers: Vec<_> = rxs
            .into_iter()
            .map(|rx| rt.spawn(consume::<Q>(rx, p, n, share)))
            .collect();
        let producers: Vec<_> = (0..p).map(|id| rt.spawn(produce::<Q>(tx.clone(), id, n))).collect();
        // The consumers stop when the last sender is gone.
        drop(tx);
        let mut unsent = 0;
        for h in producers {
            let left = deadline.saturating_duration_since(Instant::now());
            unsent += join_within(rt, h, left).await.unwrap_or(0);
        }
        let mut logs = Vec::with_capacity(consumers.len());
        for h in consumers {
            let left = deadline.saturating_duration_since(Instant::now());
            // A stuck consumer's items count as lost.
            logs.extend(join_within(rt, h, left).await);
        }
        let timed = sw.stop();
        let wall = timed.wall;
        // The log check is verification: outside the timed region.
        let c = check(&logs, p, n);
        let latencies = logs.into_iter().flat_map(|l| l.latencies).collect();
        Batch {
            wall,
            cost: timed.cost,
            latencies,
            errors: [
                (ErrorKind::Lost, c.lost),
                (ErrorKind::Invalid, c.duplicates + c.out_of_order + c.foreign),
            ]
            .into_iter()
            .collect(),
            extra: Vec::new(),
            values: vec![
                ("items_per_s", c.delivered as f64 / wall.as_secs_f64().max(1e-9)),
                ("lost_items", c.lost as f64),
                ("duplicate_items", c.duplicates as f64),
                ("out_of_order_items", c.out_of_order as f64),
                ("unsent_items", unsent as f64),
            ],
        }
    }
}
