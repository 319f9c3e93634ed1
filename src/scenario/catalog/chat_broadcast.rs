//! `chat_broadcast` — the guide's "Building a Basic Asyncio Chat Server": the
//! generic line chat server ([`ChatServer`]) and M clients, all on the
//! runtime under test. `fanout`: one client at a time sends a timestamped
//! line and waits until the other M−1 have it. `all_talk`: every client sends
//! K lines at once. Latency = send → arrival, per receiver; every delivery is
//! checked exactly-once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt, WriteHalf};
use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime, join_within};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::chat_client::{Delivery, Tally, client_reader, line};
use crate::scenario::support::servers::ChatServer;
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};
use crate::{param, param_error};

/// Deliveries one batch may ask for (M·K·(M−1) in `all_talk`).
const MAX_DELIVERIES: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// One sender at a time, each line awaited at all M−1 receivers.
    Fanout,
    /// Every client sends K lines at once.
    AllTalk,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    clients: Spanned<u64>,
    messages: Spanned<u64>,
    line_bytes: Spanned<u64>,
    timeout_ms: Spanned<u64>,
}

/// The checked parameters; also one case's configuration (with its variant).
#[derive(Debug, Clone, Copy)]
pub struct ChatBroadcast {
    pub clients: u32,
    pub messages: u32,
    pub line_bytes: usize,
    pub timeout: Duration,
}

impl Scenario for ChatBroadcast {
    const NAME: &'static str = "chat_broadcast";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let clients = param!(src, p.clients, 2, 256)?;
        let messages = param!(src, p.messages, 1, 10_000)?;
        let deliveries = clients * messages * (clients - 1);
        if deliveries > MAX_DELIVERIES {
            return Err(param_error!(
                src,
                p.messages,
                "clients·messages·(clients−1) = {deliveries} deliveries per batch: allowed at most {MAX_DELIVERIES}"
            ));
        }
        Ok(ChatBroadcast {
            clients: clients as u32,
            messages: messages as u32,
            line_bytes: param!(src, p.line_bytes, 48, 4096)? as usize,
            timeout: Duration::from_millis(param!(src, p.timeout_ms, 1, 600_000)?),
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let (m, k) = (u64::from(self.clients), u64::from(self.messages));
        let case = match v {
            Variant::Fanout => Case::new(k * (m - 1), "deliveries").note(format!(
                "{k} lines, one sender at a time (rotating), each awaited at all {} receivers",
                m - 1
            )),
            Variant::AllTalk => Case::new(m * k * (m - 1), "deliveries").note(format!(
                "all {m} clients send {k} lines at once; latency includes queueing behind the others"
            )),
        };
        vec![
            case.note(format!(
                "server and {m} clients on the same runtime; latency = send → arrival per receiver"
            ))
            .note("messages_per_s counts lines broadcast; throughput_per_s counts deliveries"),
        ]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        driver::prepare_async(case, env, ChatCase { variant, p: *self })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            // Both variants count deliveries (a line arriving at one receiver), so this is like
            // for like although all_talk's batch has M times fanout's deliveries.
            Comparison::variants(
                "all_talk",
                "fanout",
                "everyone talking at once vs one sender at a time, per delivery",
            ),
            Comparison::runtimes(
                "fanout",
                "which runtime's chat server delivers a broadcast line soonest, per delivery",
            )
            .headline(),
            Comparison::runtimes(
                "all_talk",
                "which runtime's chat server copes best with everyone talking, per delivery",
            ),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "M={} clients, K={} lines, {} B per line",
            self.clients, self.messages, self.line_bytes
        )
    }
}

/// One chat_broadcast case: the same code on every runtime.
pub struct ChatCase {
    pub variant: Variant,
    pub p: ChatBroadcast,
}

pub struct ChatState<R: Runtime> {
    /// Each client's sending half; `None` once it failed.
    writers: Vec<Option<WriteHalf<R::Tcp>>>,
    deliveries: async_channel::Receiver<Delivery>,
    base: Instant,
    round: u64,
    // Last: dropping it stops the server, whose closed sockets end the readers.
    _server: ChatServer,
}

impl ChatCase {
    async fn send<R: Runtime>(&self, st: &mut ChatState<R>, from: u32, seq: u32) {
        let Some(w) = st.writers[from as usize].as_mut() else {
            return;
        };
        let l = line(st.round, from, seq, st.base.elapsed(), self.p.line_bytes);
        if w.write_all(&l).await.is_err() {
            st.writers[from as usize] = None;
        }
    }

    async fn all_talk<R: Runtime>(&self, rt: &R, st: &mut ChatState<R>, tally: &mut Tally) {
        let (m, k, round, base, len) = (self.p.clients, self.p.messages, st.round, st.base, self.p.line_bytes);
        let deadline = Instant::now() + self.p.timeout;
        let mut tasks = Vec::new();
        for (from, w) in st.writers.iter_mut().enumerate() {
            let Some(mut w) = w.take() else { continue };
            tasks.push((
                from,
                rt.spawn(async move {
                    for seq in 0..k {
                        let l = line(round, from as u32, seq, base.elapsed(), len);
                        if w.write_all(&l).await.is_err() {
                            return None;
                        }
                    }
                    Some(w)
                }),
            ));
        }
        let want = (m * k * (m - 1)) as usize;
        tally.collect(rt, &st.deliveries, want, deadline, round, m).await;
        for (from, h) in tasks {
            let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(100);
            // A writer stuck past the deadline is cancelled; that client
            // sends nothing more (its lines count as lost).
            if let Some(w) = join_within(rt, h, left).await {
                st.writers[from] = w;
            }
        }
    }
}

impl AsyncScenario for ChatCase {
    type State<R: Runtime> = ChatState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<ChatState<R>, String> {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = ChatServer::start(rt, any)
            .await
            .map_err(|e| format!("chat server: {e}"))?;
        let base = Instant::now();
        let (tx, rx) = async_channel::unbounded();
        let mut writers = Vec::new();
        for me in 0..self.p.clients {
            let s = rt
                .connect(server.addr())
                .await
                .map_err(|e| format!("client {me}: {e}"))?;
            let (r, w) = s.split();
            // Detached: it ends at EOF when the server goes.
            drop(rt.spawn(client_reader(r, me, base, tx.clone())));
            writers.push(Some(w));
        }
        // A line sent before everyone joined would miss the late joiners.
        let deadline = Instant::now() + self.p.timeout.max(Duration::from_secs(1));
        while server.clients() < self.p.clients as usize {
            if Instant::now() > deadline {
                return Err(format!(
                    "only {} of {} clients joined",
                    server.clients(),
                    self.p.clients
                ));
            }
            rt.sleep(Duration::from_millis(1)).await;
        }
        Ok(ChatState {
            writers,
            deliveries: rx,
            base,
            round: 0,
            _server: server,
        })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut ChatState<R>) -> Batch {
        st.round += 1;
        let (m, k) = (self.p.clients, self.p.messages);
        let mut tally = Tally::default();
        let sw = Stopwatch::start();
        let sent = match self.variant {
            Variant::Fanout => {
                for seq in 0..k {
                    let from = seq % m;
                    let deadline = Instant::now() + self.p.timeout;
                    self.send(st, from, seq).await;
                    let want = ((seq + 1) * (m - 1)) as usize;
                    tally.collect(rt, &st.deliveries, want, deadline, st.round, m).await;
                }
                k
            }
            Variant::AllTalk => {
                self.all_talk(rt, st, &mut tally).await;
                m * k
            }
        };
        let timed = sw.stop();
        let wall = timed.wall;
        // Extra copies already queued are caught here; later ones show up as
        // `late_messages` in the next round.
        while let Ok(d) = st.deliveries.try_recv() {
            tally.add(d, st.round, m);
        }
        let expected = u64::from(sent) * u64::from(m - 1);
        let lost = expected.saturating_sub(tally.latencies.len() as u64);
        Batch {
            wall,
            cost: timed.cost,
            errors: [
                (ErrorKind::Lost, lost),
                (ErrorKind::Invalid, tally.duplicates + tally.misrouted),
            ]
            .into_iter()
            .collect(),
            values: vec![
                ("messages_per_s", f64::from(sent) / wall.as_secs_f64().max(1e-9)),
                ("lost_messages", lost as f64),
                ("duplicate_messages", tally.duplicates as f64),
                ("misrouted_messages", tally.misrouted as f64),
                ("late_messages", tally.late as f64),
            ],
            latencies: tally.latencies,
            extra: Vec::new(),
        }
    }
}
