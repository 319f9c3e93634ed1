//! `udp_echo` — the guide's "Creating a UDP Echo Server": the generic echo
//! server ([`UdpEchoServer`]) and a client, both on the runtime under test.
//! `pingpong`: one datagram in flight at a time; `burst`: a window of w sent
//! back to back, then collected. Each datagram has a deadline, so a lost one
//! is counted, never waited for; every echo is compared byte for byte.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::Stopwatch;
use crate::measure::{Batch, ErrorKind};
use crate::param;
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime, UdpSock};
use crate::scenario::driver::{self, AsyncScenario, Bench};
use crate::scenario::support::servers::UdpEchoServer;
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};

/// Round (8 bytes) and sequence number (8 bytes) lead every datagram.
const HEADER: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// One datagram in flight at a time.
    Pingpong,
    /// Windows of `window` datagrams sent back to back, then collected.
    Burst,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    datagrams: Spanned<u64>,
    payload_bytes: Spanned<u64>,
    window: Spanned<u64>,
    timeout_ms: Spanned<u64>,
}

/// The checked parameters; also one case's configuration (with its variant).
#[derive(Debug, Clone, Copy)]
pub struct UdpEcho {
    pub datagrams: u64,
    pub payload: usize,
    /// Datagrams in flight for `burst`.
    pub window: u64,
    pub timeout: Duration,
}

impl Scenario for UdpEcho {
    const NAME: &'static str = "udp_echo";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let datagrams = param!(src, p.datagrams, 1, 100_000)?;
        // 65 000 stays under the IPv4 UDP payload limit (65 507).
        let payload = param!(src, p.payload_bytes, HEADER as u64, 65_000)?;
        Ok(UdpEcho {
            datagrams,
            payload: payload as usize,
            window: param!(src, p.window, 1, datagrams.min(4096))?,
            timeout: Duration::from_millis(param!(src, p.timeout_ms, 1, 60_000)?),
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        let how = match v {
            Variant::Pingpong => "one datagram in flight: each waits for its echo".to_string(),
            Variant::Burst => format!("windows of {} datagrams sent back to back, then collected", self.window),
        };
        vec![
            Case::new(self.datagrams, "datagrams")
                .note(how)
                .note(format!(
                    "echo server and client on the same runtime, loopback; {} B per datagram; a datagram not back within {} ms counts as lost",
                    self.payload,
                    self.timeout.as_millis()
                ))
                .note("throughput_per_s counts echoed datagrams (round trips) per second"),
        ]
    }

    fn prepare(&self, variant: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        driver::prepare_async(case, env, UdpCase { variant, p: *self })
    }

    fn comparisons(&self) -> Vec<Comparison> {
        vec![
            Comparison::variants(
                "burst",
                "pingpong",
                "windows of datagrams in flight vs one at a time, per datagram",
            ),
            Comparison::runtimes(
                "pingpong",
                "which runtime's UDP echo round trip is fastest, per datagram",
            )
            .headline(),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "N={} datagrams of {} B, window {}, timeout {} ms",
            self.datagrams,
            self.payload,
            self.window,
            self.timeout.as_millis()
        )
    }
}

/// Datagram `seq` of `round`: the header, then bytes that depend on both, so
/// a mixed-up or corrupted echo cannot match.
pub fn datagram(round: u64, seq: u64, len: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&round.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    let salt = (round.wrapping_mul(31) ^ seq) as u8;
    out.extend((HEADER..len).map(|i| (i as u8).wrapping_mul(7) ^ salt));
}

fn header_of(d: &[u8]) -> Option<(u64, u64)> {
    let r = u64::from_le_bytes(d.get(..8)?.try_into().ok()?);
    let s = u64::from_le_bytes(d.get(8..HEADER)?.try_into().ok()?);
    Some((r, s))
}

/// One udp_echo case: the same code on every runtime.
pub struct UdpCase {
    pub variant: Variant,
    pub p: UdpEcho,
}

pub struct UdpState<R: Runtime> {
    sock: R::Udp,
    round: u64,
    // Last: dropping it stops the server task.
    server: UdpEchoServer,
}

/// What came back in one batch.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    lost: u64,
    /// Echoes of an earlier round's datagram that arrived after its deadline.
    late: u64,
    /// Wrong bytes, or a second echo of the same datagram.
    bad: u64,
    io_errors: u64,
}

impl UdpCase {
    /// Datagrams sent before the first echo is awaited.
    fn in_flight(&self) -> u64 {
        match self.variant {
            Variant::Pingpong => 1,
            Variant::Burst => self.p.window,
        }
    }

    /// Sends datagrams `first..first+count` back to back, then waits for their
    /// echoes until each one's deadline.
    async fn window<R: Runtime>(&self, rt: &R, st: &UdpState<R>, first: u64, count: u64, t: &mut Tally) {
        let to = st.server.addr();
        let mut out = Vec::with_capacity(self.p.payload);
        let mut sent_at: Vec<Option<Instant>> = vec![None; count as usize];
        for i in 0..count {
            datagram(st.round, first + i, self.p.payload, &mut out);
            let t0 = Instant::now();
            match st.sock.send_to(&out, to).await {
                Ok(_) => sent_at[i as usize] = Some(t0),
                Err(_) => t.io_errors += 1,
            }
        }
        let mut outstanding = sent_at.iter().filter(|s| s.is_some()).count();
        let deadline = Instant::now() + self.p.timeout;
        let mut buf = vec![0u8; self.p.payload + 1];
        while outstanding > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let (n, _) = match rt.timeout(left, st.sock.recv_from(&mut buf)).await {
                Ok(Ok(got)) => got,
                Ok(Err(_)) => {
                    t.io_errors += 1;
                    continue;
                }
                Err(_) => break,
            };
            let at = Instant::now();
            let slot = match header_of(&buf[..n]) {
                Some((r, s)) if r == st.round && (first..first + count).contains(&s) => (s - first) as usize,
                Some((r, _)) if r < st.round => {
                    t.late += 1;
                    continue;
                }
                _ => {
                    t.bad += 1;
                    continue;
                }
            };
            let Some(t0) = sent_at[slot].take() else {
                t.bad += 1;
                continue;
            };
            outstanding -= 1;
            datagram(st.round, first + slot as u64, self.p.payload, &mut out);
            if buf[..n] == out[..] {
                t.latencies.push(at - t0);
            } else {
                t.bad += 1;
            }
        }
        t.lost += outstanding as u64;
    }
}

impl AsyncScenario for UdpCase {
    type State<R: Runtime> = UdpState<R>;

    async fn setup<R: Runtime>(&self, rt: &R) -> Result<UdpState<R>, String> {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = UdpEchoServer::start(rt, any)
            .await
            .map_err(|e| format!("echo server: {e}"))?;
        let sock = rt.udp_bind(any).await.map_err(|e| format!("client socket: {e}"))?;
        Ok(UdpState { sock, round: 0, server })
    }

    async fn batch<R: Runtime>(&self, rt: &R, st: &mut UdpState<R>) -> Batch {
        st.round += 1;
        let mut t = Tally::default();
        let in_flight = self.in_flight();
        let sw = Stopwatch::start();
        let mut first = 0;
        while first < self.p.datagrams {
            let count = in_flight.min(self.p.datagrams - first);
            self.window(rt, st, first, count, &mut t).await;
            first += count;
        }
        let timed = sw.stop();
        let wall = timed.wall;
        let echoed = t.latencies.len() as f64;
        Batch {
            wall,
            cost: timed.cost,
            errors: [
                (ErrorKind::Lost, t.lost),
                (ErrorKind::Invalid, t.bad),
                (ErrorKind::Io, t.io_errors),
            ]
            .into_iter()
            .collect(),
            values: vec![
                ("datagrams_per_s", echoed / wall.as_secs_f64().max(1e-9)),
                ("lost_datagrams", t.lost as f64),
                ("late_datagrams", t.late as f64),
                ("bad_datagrams", t.bad as f64),
            ],
            latencies: t.latencies,
            extra: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_differ_by_round_and_sequence() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        datagram(1, 2, 64, &mut a);
        datagram(1, 3, 64, &mut b);
        assert_eq!(a.len(), 64);
        assert_ne!(a[HEADER..], b[HEADER..]);
        assert_eq!(header_of(&a), Some((1, 2)));
        assert_eq!(header_of(&a[..10]), None);
    }
}
