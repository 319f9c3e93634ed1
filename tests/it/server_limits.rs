//! The server's safety limits and the stall control: loopback by default,
//! a connection cap, a header-read timeout, a head size limit, and a stall
//! that freezes responses (but not /stats) for a bounded time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use asyncbench::server::{ServerConfig, ServerError, TestServer};

fn raw_get(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A connection the server rejects may be closed before the request is written (EPIPE or
    // a reset, seen in CI): no answer, code 0, which is what a rejection reads as.
    let _ = write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    let code = buf.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, t0.elapsed())
}

#[test]
fn non_loopback_bind_needs_the_explicit_flag() {
    let cfg = ServerConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    match TestServer::start(cfg) {
        Err(e @ ServerError::NotLoopback(_)) => assert!(e.to_string().contains("0.0.0.0:0"), "{e}"),
        other => panic!("expected NotLoopback, got {other:?}"),
    }
}

#[test]
fn stall_freezes_responses_but_not_stats() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    assert_eq!(raw_get(server.addr(), "/stall/400").0, 200);
    let (code, took) = raw_get(server.addr(), "/delay/0");
    assert_eq!(code, 200);
    assert!(
        took >= Duration::from_millis(300),
        "a stalled response came back after {took:?}"
    );
    let (code, took) = raw_get(server.addr(), "/stats");
    assert_eq!(code, 200);
    assert!(
        took < Duration::from_millis(300),
        "/stats must stay observable: {took:?}"
    );
    // The stall ends by itself.
    std::thread::sleep(Duration::from_millis(400));
    let (_, took) = raw_get(server.addr(), "/delay/0");
    assert!(took < Duration::from_millis(300), "{took:?}");
    // And is bounded like every parameter.
    assert_eq!(raw_get(server.addr(), "/stall/60001").0, 400);
}

#[test]
fn connections_beyond_the_cap_are_rejected_and_counted() {
    let cfg = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let server = TestServer::start(cfg).unwrap();
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(server.addr()).unwrap()).collect();
    let t0 = Instant::now();
    while server.stats().connections_open < 2 && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, _) = raw_get(server.addr(), "/health");
    assert_eq!(code, 0, "the third connection is closed without an answer");
    assert!(server.stats().connections_rejected >= 1);
    drop(held);
    let t0 = Instant::now();
    while server.stats().connections_open > 0 && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(raw_get(server.addr(), "/health").0, 200, "capacity comes back");
}

#[test]
fn silent_clients_are_cut_after_the_header_timeout() {
    let cfg = ServerConfig {
        header_read_timeout: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let server = TestServer::start(cfg).unwrap();
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Half a request head, then silence.
    s.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "connection still pinned after {:?}",
        t0.elapsed()
    );
    let t0 = Instant::now();
    while server.stats().connections_open > 0 && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(server.stats().connections_open, 0);
}

#[test]
fn oversized_request_heads_are_refused() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let big = "a".repeat(64 * 1024);
    let _ = write!(s, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    assert!(
        buf.is_empty() || buf.starts_with("HTTP/1.1 431"),
        "{}",
        &buf[..buf.len().min(80)]
    );
    assert_eq!(raw_get(server.addr(), "/health").0, 200, "the server keeps serving");
}
