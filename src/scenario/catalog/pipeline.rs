//! `pipeline` — the guide's "Implementing an Asyncio Producer-Consumer
//! Pipeline": P producer tasks push N items each into one queue, Q consumer
//! tasks drain it, over tokio mpsc, async-channel and flume, bounded and
//! unbounded. Latency = enqueue → dequeue per item; every item is checked
//! exactly-once and in order per producer (all three queues are FIFO).

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::Batch;
use crate::runtime::{Flavor, Runtime, TaskHandle};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::file::{FileMirror, Header, ScenarioError, Source};
use crate::scenario::support::queues::{AsyncChannel, Flume, Item, Queue, TokioMpsc};
use crate::scenario::{CaseSpec, Env, ScenarioDef};

const VARIANTS: [&str; 3] = [TokioMpsc::NAME, AsyncChannel::NAME, Flume::NAME];
const KINDS: [&str; 2] = ["bounded", "unbounded"];
/// Items one batch may ask for (P·N): bounds the per-consumer bitmaps.
const MAX_ITEMS: u64 = 2_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsMirror {
    producers: Spanned<u64>,
    consumers: Spanned<u64>,
    items: Spanned<u64>,
    capacity: Spanned<u64>,
    queues: Spanned<Vec<Spanned<String>>>,
    timeout_ms: Spanned<u64>,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    header: Header,
    pub producers: u32,
    pub consumers: u32,
    pub items: u32,
    pub capacity: usize,
    pub kinds: Vec<&'static str>,
    pub timeout: Duration,
}

pub fn load(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<ParamsMirror> = src.parse()?;
    let runtimes: Vec<Flavor> = Flavor::all_async();
    let header = f.header_legacy(src, &VARIANTS, &runtimes)?;
    let p = &f.params;
    let producers = src.range(&p.producers, "params.producers", 1, 64)?;
    let consumers = src.range(&p.consumers, "params.consumers", 1, 64)?;
    let items = src.range(&p.items, "params.items", 1, MAX_ITEMS)?;
    if producers * items > MAX_ITEMS {
        return Err(src.error(
            Some(p.items.span()),
            Some("params.items"),
            format!(
                "producers·items = {} per batch: allowed at most {MAX_ITEMS}",
                producers * items
            ),
        ));
    }
    let capacity = src.range(&p.capacity, "params.capacity", 1, 1 << 20)?;
    let timeout_ms = src.range(&p.timeout_ms, "params.timeout_ms", 1, 600_000)?;
    let mut kinds = Vec::new();
    if p.queues.get_ref().is_empty() {
        return Err(src.error(
            Some(p.queues.span()),
            Some("params.queues"),
            "must list at least one of: bounded, unbounded",
        ));
    }
    for q in p.queues.get_ref() {
        let Some(k) = KINDS.iter().find(|k| **k == q.get_ref()) else {
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
    Ok(Box::new(Pipeline {
        header,
        producers: producers as u32,
        consumers: consumers as u32,
        items: items as u32,
        capacity: capacity as usize,
        kinds,
        timeout: Duration::from_millis(timeout_ms),
    }))
}

impl Pipeline {
    fn case<Q: Queue>(&self, bounded: bool) -> PipelineCase<Q> {
        PipelineCase {
            producers: self.producers,
            consumers: self.consumers,
            items: self.items,
            capacity: bounded.then_some(self.capacity),
            timeout: self.timeout,
            _queue: PhantomData,
        }
    }

    fn sharing(&self, queue: &str) -> String {
        let q = self.consumers as usize;
        match queue {
            TokioMpsc::NAME => TokioMpsc::sharing(q),
            AsyncChannel::NAME => AsyncChannel::sharing(q),
            _ => Flume::sharing(q),
        }
    }
}

impl ScenarioDef for Pipeline {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        let total = u64::from(self.producers) * u64::from(self.items);
        for v in &self.header.variants {
            for kind in &self.kinds {
                let size = if *kind == "bounded" {
                    format!("bounded, capacity {}", self.capacity)
                } else {
                    "unbounded".to_string()
                };
                for &flavor in &self.header.runtimes {
                    out.push(CaseSpec {
                        key: Default::default(),
                        variant: format!("{v}-{kind}"),
                        flavor,
                        ideal: None,
                        ops_per_batch: total,
                        notes: vec![
                            format!("queue: {v} ({size}) on {flavor}; the queue is executor-agnostic"),
                            self.sharing(v),
                            format!(
                                "{} producers × {} items, {} consumers, no artificial sleeps; latency = enqueue → dequeue",
                                self.producers, self.items, self.consumers
                            ),
                            "each item carries its enqueue Instant: two clock reads per item are part of the cost (timer floor in summary.json)".into(),
                        ],
                    });
                }
            }
        }
        out
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let (queue, kind) = case
            .variant
            .rsplit_once('-')
            .ok_or_else(|| format!("unknown variant {}", case.variant))?;
        let bounded = kind == "bounded";
        let flavor = case
            .flavor
            .as_async()
            .ok_or_else(|| format!("{} is not an async runtime", case.flavor))?;
        let w = env.workers;
        let r = match queue {
            TokioMpsc::NAME => driver::async_bench(flavor, w, self.case::<TokioMpsc>(bounded)),
            AsyncChannel::NAME => driver::async_bench(flavor, w, self.case::<AsyncChannel>(bounded)),
            Flume::NAME => driver::async_bench(flavor, w, self.case::<Flume>(bounded)),
            q => return Err(format!("unknown queue {q}")),
        };
        r.map_err(|e| format!("cannot start {flavor}: {e}"))
    }

    fn describe(&self) -> String {
        format!(
            "P={} producers × N={} items, Q={} consumers, capacity {}, queues: {}",
            self.producers,
            self.items,
            self.consumers,
            self.capacity,
            self.kinds.join(", ")
        )
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
    pub producers: u32,
    pub consumers: u32,
    pub items: u32,
    pub capacity: Option<usize>,
    pub timeout: Duration,
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
        let (p, n) = (self.producers, self.items);
        let (tx, rxs) = Q::channel(self.capacity, self.consumers as usize);
        let share = (p as usize * n as usize).div_ceil(self.consumers as usize);
        let t0 = Instant::now();
        let deadline = t0 + self.timeout;
        let consumers: Vec<_> = rxs
            .into_iter()
            .map(|rx| rt.spawn(consume::<Q>(rx, p, n, share)))
            .collect();
        let producers: Vec<_> = (0..p).map(|id| rt.spawn(produce::<Q>(tx.clone(), id, n))).collect();
        // The consumers stop when the last sender is gone.
        drop(tx);
        let mut unsent = 0;
        for mut h in producers {
            let left = deadline.saturating_duration_since(Instant::now());
            match rt.timeout(left, &mut h).await {
                Ok(Ok(u)) => unsent += u,
                Ok(Err(_)) => {}
                Err(_) => h.abort().await,
            }
        }
        let mut logs = Vec::with_capacity(consumers.len());
        for mut h in consumers {
            let left = deadline.saturating_duration_since(Instant::now());
            match rt.timeout(left, &mut h).await {
                Ok(Ok(log)) => logs.push(log),
                // A stuck consumer's items count as lost.
                Ok(Err(_)) => {}
                Err(_) => h.abort().await,
            }
        }
        let wall = t0.elapsed();
        let c = check(&logs, p, n);
        let latencies = logs.into_iter().flat_map(|l| l.latencies).collect();
        Batch {
            wall,
            latencies,
            errors: [
                (crate::measure::ErrorKind::Lost, c.lost),
                (
                    crate::measure::ErrorKind::Invalid,
                    c.duplicates + c.out_of_order + c.foreign,
                ),
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
