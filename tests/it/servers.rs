//! The hand-written servers on every runtime: the chat server delivers every
//! line to every other client exactly once and keeps serving when a client
//! leaves mid-broadcast; the UDP echo server returns the bytes sent; the
//! chat_broadcast and udp_echo scenarios report no loss on loopback.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use asyncbench::runtime::{AsyncFlavor, Runtime, UdpSock};
use asyncbench::scenario::support::servers::{ChatServer, UdpEchoServer};
use asyncbench::scenario::{self, CaseRecord, Env};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use rstest::rstest;

use asyncbench::on_runtime;

const FLAVORS: [AsyncFlavor; 5] = AsyncFlavor::ALL;
const ANY: &str = "127.0.0.1:0";

/// Loads `text` for one runtime and runs each case: one warm-up batch, then
/// `batches` recorded ones.
fn run_cases(text: &str, flavor: AsyncFlavor, batches: u64) -> Vec<(String, CaseRecord)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    let text = text.replace("RUNTIME", flavor.name());
    std::fs::write(&p, text).unwrap();
    let s = scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"));
    // Neither scenario talks to the HTTP test server.
    let env = Env {
        server: "127.0.0.1:9".parse().unwrap(),
        workers: Some(2),
    };
    let mut out = Vec::new();
    for case in s.cases() {
        let mut bench = s.prepare(&case, &env).unwrap();
        bench.run(1, None).unwrap();
        let mut rec = CaseRecord::default();
        bench.run(batches, Some(&mut rec)).unwrap();
        out.push((case.variant.clone(), rec));
    }
    out
}

fn value(rec: &CaseRecord, name: &str) -> f64 {
    rec.value(name).unwrap_or_else(|| panic!("no value {name}"))
}

const CHAT: &str = r#"scenario = "chat_broadcast"
guide_section = "chat"
runtimes = ["RUNTIME"]
variants = ["fanout", "all_talk"]
[params]
clients = 4
messages = 6
line_bytes = 80
timeout_ms = 10000
"#;

#[rstest]
fn chat_lines_reach_every_other_client_exactly_once(#[values(0, 1, 2, 3, 4)] i: usize) {
    for (variant, rec) in run_cases(CHAT, FLAVORS[i], 3) {
        let per_batch = if variant == "fanout" { 6 * 3 } else { 4 * 6 * 3 };
        let label = format!("{variant}/{}", FLAVORS[i]);
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(rec.latency.len(), 3 * per_batch, "{label}: one latency per delivery");
        for v in ["lost_messages", "duplicate_messages", "misrouted_messages"] {
            assert_eq!(value(&rec, v), 0.0, "{label}: {v}");
        }
        assert!(value(&rec, "messages_per_s") > 0.0, "{label}");
    }
}

/// Reads lines until `n` arrived or 10 s passed.
async fn read_lines<R: Runtime, S: futures::io::AsyncBufRead + Unpin + Send>(
    rt: &R,
    r: &mut S,
    n: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while out.len() < n {
        let mut l = String::new();
        let left = deadline.saturating_duration_since(Instant::now());
        match rt.timeout(left, r.read_line(&mut l)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(_)) => out.push(l),
        }
    }
    out
}

#[rstest]
fn chat_client_leaving_mid_broadcast_leaves_the_rest_served(#[values(0, 1, 2, 3, 4)] i: usize) {
    on_runtime!(FLAVORS[i], |rt| {
        rt.block_on(async {
            const LINES: usize = 2000;
            let server = ChatServer::start(rt, ANY.parse().unwrap()).await.unwrap();
            let mut clients = Vec::new();
            for _ in 0..4 {
                let (r, w) = rt.connect(server.addr()).await.unwrap().split();
                clients.push((BufReader::new(r), w));
            }
            while server.clients() < 4 {
                rt.sleep(Duration::from_millis(1)).await;
            }
            let (r3, w3) = clients.pop().unwrap();
            let (r2, w2) = clients.pop().unwrap();
            let (r1, mut w1) = clients.pop().unwrap();
            let (r0, mut w0) = clients.pop().unwrap();
            let (mut r0, mut r1, mut r2, mut r3) = (r0, r1, r2, r3);
            let sender = rt.spawn(async move {
                for n in 0..LINES {
                    w0.write_all(format!("line {n}\n").as_bytes()).await.unwrap();
                }
                w0
            });
            // Client 3 leaves with the broadcast in full flow, unread data
            // still in its socket (the server's writes then hit a reset).
            assert_eq!(read_lines(rt, &mut r3, 1).await.len(), 1);
            drop((r3, w3));
            for r in [&mut r1, &mut r2] {
                let got = read_lines(rt, r, LINES).await;
                let want: Vec<String> = (0..LINES).map(|n| format!("0: line {n}\n")).collect();
                assert_eq!(got, want, "every line once, in order, despite the leaver");
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while server.clients() > 3 && Instant::now() < deadline {
                rt.sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(server.clients(), 3, "the server noticed the leaver");
            // The rest still talk both ways.
            let _w0 = sender.await.unwrap();
            w1.write_all(b"still here\n").await.unwrap();
            for r in [&mut r0, &mut r2] {
                let got = read_lines(rt, r, 1).await;
                assert_eq!(got, vec!["1: still here\n".to_string()]);
            }
            // Client 0 never hears its own lines.
            let own = rt.timeout(Duration::from_millis(50), read_lines(rt, &mut r0, 1)).await;
            assert!(own.is_err() || own.is_ok_and(|l| l.is_empty()));
            assert_eq!(server.lines(), LINES as u64 + 1);
            drop(w2);
        });
    });
}

#[rstest]
fn udp_echo_returns_the_bytes_sent(#[values(0, 1, 2, 3, 4)] i: usize) {
    on_runtime!(FLAVORS[i], |rt| {
        rt.block_on(async {
            let server = UdpEchoServer::start(rt, ANY.parse().unwrap()).await.unwrap();
            let sock = rt.udp_bind(ANY.parse().unwrap()).await.unwrap();
            let me: SocketAddr = sock.local_addr().unwrap();
            let mut buf = vec![0u8; 70_000];
            for (k, len) in [1usize, 100, 1400, 9000, 60_000].into_iter().enumerate() {
                let sent: Vec<u8> = (0..len).map(|j| (j * 13 + k) as u8).collect();
                sock.send_to(&sent, server.addr()).await.unwrap();
                let (n, from) = rt
                    .timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
                    .await
                    .expect("echo within 5 s")
                    .unwrap();
                assert_eq!(from, server.addr());
                assert_eq!(&buf[..n], &sent[..], "{len} bytes back as sent");
            }
            // The server counts an echo after sending it, so the client can
            // see the reply first: wait (bounded) for the count to catch up.
            let t0 = std::time::Instant::now();
            while server.echoed() < 5 && t0.elapsed() < Duration::from_secs(2) {
                rt.sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(server.echoed(), 5);
            assert_eq!(server.errors(), 0);
            assert_ne!(me, server.addr());
        });
    });
}

const UDP: &str = r#"scenario = "udp_echo"
guide_section = "udp"
runtimes = ["RUNTIME"]
variants = ["pingpong", "burst"]
[params]
datagrams = 40
payload_bytes = 200
window = 8
timeout_ms = 3000
"#;

#[rstest]
fn udp_echo_scenario_counts_every_datagram(#[values(0, 1, 2, 3, 4)] i: usize) {
    let mut seen = BTreeMap::new();
    for (variant, rec) in run_cases(UDP, FLAVORS[i], 2) {
        let label = format!("{variant}/{}", FLAVORS[i]);
        // Loopback loses nothing within 3 s, even on a loaded machine; the
        // scenario reports the count rather than assuming it.
        assert_eq!(value(&rec, "lost_datagrams"), 0.0, "{label}");
        assert_eq!(value(&rec, "bad_datagrams"), 0.0, "{label}");
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(rec.latency.len(), 80, "{label}: one round trip per datagram");
        seen.insert(variant, value(&rec, "datagrams_per_s"));
    }
    assert_eq!(seen.len(), 2);
}

#[test]
fn bad_parameters_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    let load = |text: String| {
        std::fs::write(&p, text.replace("RUNTIME", "smol-ct")).unwrap();
        match scenario::load_file(&p) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        }
    };
    let e = load(
        CHAT.replace("clients = 4", "clients = 256")
            .replace("messages = 6", "messages = 100"),
    );
    assert_eq!((e.key.as_deref(), e.line), (Some("params.messages"), Some(7)), "{e}");
    assert!(e.message.contains("allowed at most 1000000"), "{e}");
    let e = load(CHAT.replace("clients = 4", "clients = 1"));
    assert!(e.message.contains("allowed 2..=256"), "{e}");
    let e = load(UDP.replace("window = 8", "window = 41"));
    assert_eq!(e.key.as_deref(), Some("params.window"), "{e}");
    assert!(e.message.contains("allowed 1..=40"), "{e}");
    let e = load(UDP.replace("payload_bytes = 200", "payload_bytes = 70000"));
    assert!(e.message.contains("allowed 16..=65000"), "{e}");
}
