//! The hand-written servers on every runtime: the chat server delivers every
//! line to every other client exactly once and keeps serving when a client
//! leaves mid-broadcast; the UDP echo server returns the bytes sent; the
//! chat_broadcast and udp_echo scenarios report no loss on loopback.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use asyncbench::on_runtime;
use asyncbench::runtime::{AsyncFlavor, Runtime, UdpSock};
use asyncbench::scenario::support::servers::{ChatServer, UdpEchoServer};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::common::{ScenarioToml, env_no_server, run_cases};

const ANY: &str = "127.0.0.1:0";

/// chat_broadcast on `flavor`: 4 clients, 6 lines of 80 bytes.
fn chat(flavor: AsyncFlavor) -> ScenarioToml {
    ScenarioToml::from_file("chat_broadcast")
        .runtimes([flavor.name()])
        .set("variants", ["fanout", "all_talk"])
        .set("params.clients", 4)
        .set("params.messages", 6)
        .set("params.line_bytes", 80)
        .set("params.timeout_ms", 10000)
}

/// udp_echo on `flavor`: 40 datagrams of 200 bytes, 8 in flight for `burst`.
fn udp(flavor: AsyncFlavor) -> ScenarioToml {
    ScenarioToml::from_file("udp_echo")
        .runtimes([flavor.name()])
        .set("variants", ["pingpong", "burst"])
        .set("params.datagrams", 40)
        .set("params.payload_bytes", 200)
        .set("params.window", 8)
        .set("params.timeout_ms", 3000)
}

each_runtime!(fn chat_lines_reach_every_other_client_exactly_once(flavor) {
    // Neither scenario talks to the HTTP test server.
    let results = run_cases(chat(flavor).load().as_ref(), &env_no_server(), 3);
    assert_eq!(results.len(), 2);
    for o in results {
        let per_batch = if o.variant == "fanout" { 6 * 3 } else { 4 * 6 * 3 };
        let label = &o.label;
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        assert_eq!(o.rec.latency.len(), 3 * per_batch, "{label}: one latency per delivery");
        for v in ["lost_messages", "duplicate_messages", "misrouted_messages"] {
            assert_eq!(o.value(v), 0.0, "{label}: {v}");
        }
        assert!(o.value("messages_per_s") > 0.0, "{label}");
    }
});

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

each_runtime!(fn chat_client_leaving_mid_broadcast_leaves_the_rest_served(flavor) {
    on_runtime!(flavor, |rt| {
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
});

each_runtime!(fn udp_echo_returns_the_bytes_sent(flavor) {
    on_runtime!(flavor, |rt| {
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
});

each_runtime!(fn udp_echo_scenario_counts_every_datagram(flavor) {
    let mut seen = BTreeMap::new();
    for o in run_cases(udp(flavor).load().as_ref(), &env_no_server(), 2) {
        let label = &o.label;
        // Loopback loses nothing within 3 s, even on a loaded machine; the
        // scenario reports the count rather than assuming it.
        assert_eq!(o.value("lost_datagrams"), 0.0, "{label}");
        assert_eq!(o.value("bad_datagrams"), 0.0, "{label}");
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        assert_eq!(o.rec.latency.len(), 80, "{label}: one round trip per datagram");
        seen.insert(o.variant.clone(), o.value("datagrams_per_s"));
    }
    assert_eq!(seen.len(), 2);
});

#[test]
fn bad_parameters_are_located_errors() {
    let rt = AsyncFlavor::SmolCt;
    let file = chat(rt).set("params.clients", 256).set("params.messages", 100);
    let e = file.load_err();
    let at = Some(file.line_of("params.messages"));
    assert_eq!((e.key.as_deref(), e.line), (Some("params.messages"), at), "{e}");
    assert!(e.message.contains("allowed at most 1000000"), "{e}");
    let e = chat(rt).set("params.clients", 1).load_err();
    assert!(e.message.contains("allowed 2..=256"), "{e}");
    let e = udp(rt).set("params.window", 41).load_err();
    assert_eq!(e.key.as_deref(), Some("params.window"), "{e}");
    assert!(e.message.contains("allowed 1..=40"), "{e}");
    let e = udp(rt).set("params.payload_bytes", 70000).load_err();
    assert!(e.message.contains("allowed 16..=65000"), "{e}");
}
