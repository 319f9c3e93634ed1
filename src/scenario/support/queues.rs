//! The queues the pipeline compares — tokio's mpsc, async-channel and flume —
//! behind one trait, so the producer and consumer code is written once and
//! monomorphised per queue (the pipeline's variants name them). All three
//! are executor-agnostic channels (their wakers work under any runtime), so
//! every one runs on every runtime.

use std::sync::Arc;
use std::time::Instant;

/// One unit of work: who made it, its place in that producer's order, and
/// when it entered the queue (for the queueing latency).
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub producer: u32,
    pub seq: u32,
    pub enqueued: Instant,
}

/// A multi-producer queue with `consumers` receiving ends.
pub trait Queue: 'static {
    type Tx: Clone + Send + Sync + 'static;
    type Rx: Send + 'static;
    /// `capacity`: `None` for unbounded. Returns one receiving end per consumer.
    fn channel(capacity: Option<usize>, consumers: usize) -> (Self::Tx, Vec<Self::Rx>);
    /// `false` once every receiver is gone.
    fn send(tx: &Self::Tx, item: Item) -> impl Future<Output = bool> + Send;
    /// `None` once every sender is gone and the queue is drained.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<Item>> + Send;
    /// How consumers share the queue, for the report.
    fn sharing(consumers: usize) -> String;
}

/// A multi-consumer channel crate's queue: every consumer holds a clone of the one receiver.
/// async-channel and flume differ only in their send/receive method names and the note.
macro_rules! cloned_receiver_queue {
    ($queue:ident: $krate:ident, send: $send:ident, recv: $recv:ident, sharing: $sharing:literal) => {
        pub struct $queue;

        impl Queue for $queue {
            type Tx = $krate::Sender<Item>;
            type Rx = $krate::Receiver<Item>;
            fn channel(capacity: Option<usize>, consumers: usize) -> (Self::Tx, Vec<Self::Rx>) {
                let (tx, rx) = match capacity {
                    Some(c) => $krate::bounded(c),
                    None => $krate::unbounded(),
                };
                (tx, vec![rx; consumers])
            }
            async fn send(tx: &Self::Tx, item: Item) -> bool {
                tx.$send(item).await.is_ok()
            }
            async fn recv(rx: &mut Self::Rx) -> Option<Item> {
                rx.$recv().await.ok()
            }
            fn sharing(consumers: usize) -> String {
                format!($sharing, consumers = consumers)
            }
        }
    };
}

cloned_receiver_queue!(AsyncChannel: async_channel, send: send, recv: recv,
    sharing: "async-channel is multi-consumer: {consumers} cloned receivers");
cloned_receiver_queue!(Flume: flume, send: send_async, recv: recv_async,
    sharing: "flume is multi-consumer: {consumers} cloned receivers (async API)");

pub struct TokioMpsc;

#[derive(Clone)]
pub enum TokioTx {
    Bounded(tokio::sync::mpsc::Sender<Item>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<Item>),
}

pub enum TokioRxOne {
    Bounded(tokio::sync::mpsc::Receiver<Item>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<Item>),
}

impl TokioRxOne {
    async fn recv(&mut self) -> Option<Item> {
        match self {
            TokioRxOne::Bounded(r) => r.recv().await,
            TokioRxOne::Unbounded(r) => r.recv().await,
        }
    }
}

/// tokio's mpsc has a single receiver: one consumer owns it; several share it
/// through an async mutex (the usual workaround), which the note states.
pub enum TokioRx {
    Own(TokioRxOne),
    Shared(Arc<futures::lock::Mutex<TokioRxOne>>),
}

impl Queue for TokioMpsc {
    type Tx = TokioTx;
    type Rx = TokioRx;
    fn channel(capacity: Option<usize>, consumers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (tx, rx) = match capacity {
            Some(c) => {
                let (tx, rx) = tokio::sync::mpsc::channel(c.max(1));
                (TokioTx::Bounded(tx), TokioRxOne::Bounded(rx))
            }
            None => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (TokioTx::Unbounded(tx), TokioRxOne::Unbounded(rx))
            }
        };
        if consumers <= 1 {
            return (tx, vec![TokioRx::Own(rx)]);
        }
        let shared = Arc::new(futures::lock::Mutex::new(rx));
        (tx, (0..consumers).map(|_| TokioRx::Shared(shared.clone())).collect())
    }
    async fn send(tx: &Self::Tx, item: Item) -> bool {
        match tx {
            TokioTx::Bounded(t) => t.send(item).await.is_ok(),
            TokioTx::Unbounded(t) => t.send(item).is_ok(),
        }
    }
    async fn recv(rx: &mut Self::Rx) -> Option<Item> {
        match rx {
            TokioRx::Own(r) => r.recv().await,
            TokioRx::Shared(m) => m.lock().await.recv().await,
        }
    }
    fn sharing(consumers: usize) -> String {
        if consumers <= 1 {
            "tokio mpsc: single consumer owns the receiver".into()
        } else {
            format!(
                "tokio mpsc is single-consumer: {consumers} consumers share the receiver behind futures::lock::Mutex"
            )
        }
    }
}
