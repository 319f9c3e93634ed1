//! Integration tests for the test server: real sockets, a blocking ureq client and raw TCP.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use asyncbench::server::{MAX_BYTES, MAX_DELAY_MS, ServerConfig, ServerError, ServerStats, TestServer, flaky_fails};

fn start() -> TestServer {
    TestServer::start(ServerConfig::default()).expect("server starts on 127.0.0.1:0")
}

fn at(addr: SocketAddr) -> ServerConfig {
    ServerConfig {
        addr,
        ..ServerConfig::default()
    }
}

fn agent() -> ureq::Agent {
    // No redirects: /status/3xx must come back as itself (the server sends no Location).
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Reply {
    status: u16,
    body: Vec<u8>,
    content_length: Option<u64>,
    header: Option<String>,
}

fn get_with(agent: &ureq::Agent, url: &str, header: &str) -> Reply {
    let mut resp = agent.get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let value = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_length = value("content-length").and_then(|v| v.parse().ok());
    let header = value(header);
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BYTES + 1)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("GET {url} body: {e}"));
    Reply {
        status: resp.status().as_u16(),
        body,
        content_length,
        header,
    }
}

fn get(server: &TestServer, path: &str) -> Reply {
    let url = format!("{}{path}", server.base_url());
    get_with(&agent(), &url, "content-type")
}

/// Status of `path` fetched through `agent`, so tests can share a keep-alive connection.
fn status(agent: &ureq::Agent, server: &TestServer, path: &str) -> u16 {
    get_with(agent, &format!("{}{path}", server.base_url()), "x").status
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Polls the in-process counters until `pred` holds or `limit` passes; returns the last snapshot.
fn wait_stats(server: &TestServer, limit: Duration, pred: impl Fn(&ServerStats) -> bool) -> ServerStats {
    let deadline = Instant::now() + limit;
    loop {
        let stats = server.stats();
        if pred(&stats) || Instant::now() >= deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send_raw(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").expect("send request");
    stream
}

#[test]
fn health_answers_ok() {
    let server = start();
    let reply = get(&server, "/health");
    assert_eq!((reply.status, text(&reply).as_str()), (200, "ok"));
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert_ne!(server.addr().port(), 0);
}

#[test]
fn bytes_returns_exactly_n_bytes() {
    let server = start();
    for n in [0, 1, 1000, 3 * 1024 * 1024 + 7, MAX_BYTES] {
        let reply = get(&server, &format!("/bytes/{n}"));
        assert_eq!(reply.status, 200, "bytes/{n}");
        assert_eq!(reply.body.len() as u64, n, "bytes/{n} body length");
        assert_eq!(reply.content_length, Some(n), "bytes/{n} content-length");
        assert_eq!(reply.header.as_deref(), Some("application/octet-stream"));
    }
}

#[test]
fn delay_sleeps_at_least_the_requested_time() {
    let server = start();
    let t = Instant::now();
    let reply = get(&server, "/delay/100");
    let took = t.elapsed();
    assert_eq!(reply.status, 200);
    assert!(took >= Duration::from_millis(100), "took {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let t = Instant::now();
    assert_eq!(get(&server, "/delay/0").status, 200);
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[test]
fn delays_do_not_block_the_single_server_thread() {
    let server = start();
    let url = format!("{}/delay/300", server.base_url());
    let t = Instant::now();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || get_with(&agent(), &url, "x").status)
        })
        .collect();
    for th in threads {
        assert_eq!(th.join().expect("client thread"), 200);
    }
    // Serialised sleeps would take 16 * 300 ms.
    let took = t.elapsed();
    assert!(took < Duration::from_millis(2000), "took {took:?}");
}

#[test]
fn status_returns_the_requested_code() {
    let server = start();
    for code in [200u16, 204, 302, 418, 500, 599] {
        assert_eq!(get(&server, &format!("/status/{code}")).status, code);
    }
}

#[test]
fn stats_json_counts_requests() {
    let server = start();
    let agent = agent();
    for _ in 0..5 {
        assert_eq!(status(&agent, &server, "/health"), 200);
    }
    assert_eq!(status(&agent, &server, "/nope"), 404);
    let url = format!("{}/stats", server.base_url());
    let reply = get_with(&agent, &url, "content-type");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header.as_deref(), Some("application/json"));
    let stats: ServerStats = serde_json::from_slice(&reply.body).expect("stats JSON");
    // The /stats request itself is counted after its snapshot is taken.
    assert_eq!(stats.requests_served, 6);
    // One pooled keep-alive connection carried all of them.
    assert_eq!((stats.connections_open, stats.connections_accepted), (1, 1));
    assert_eq!(server.stats().requests_served, 7);
}

#[test]
fn out_of_range_parameters_are_400_with_the_allowed_range() {
    let server = start();
    let cases = [
        (format!("/delay/{}", MAX_DELAY_MS + 1), "allowed 0..=60000"),
        ("/delay/abc".to_owned(), "allowed 0..=60000"),
        ("/delay/-5".to_owned(), "allowed 0..=60000"),
        (format!("/bytes/{}", MAX_BYTES + 1), "allowed 0..=67108864"),
        ("/bytes/lots".to_owned(), "allowed 0..=67108864"),
        ("/status/99".to_owned(), "allowed 200..=599"),
        ("/status/100".to_owned(), "allowed 200..=599"),
        ("/status/600".to_owned(), "allowed 200..=599"),
        ("/status/x".to_owned(), "allowed 200..=599"),
        ("/flaky?p=1.5&seed=1".to_owned(), "allowed 0..=1"),
        ("/flaky?p=-0.1&seed=1".to_owned(), "allowed 0..=1"),
        ("/flaky?p=NaN&seed=1".to_owned(), "allowed 0..=1"),
        ("/flaky?p=0.5".to_owned(), "seed missing"),
        ("/flaky?p=0.5&seed=1&x=2".to_owned(), "allowed p, seed, n"),
        ("/flaky?p=0.5&seed=1&n=x".to_owned(), "flaky n"),
    ];
    for (path, needle) in &cases {
        let reply = get(&server, path);
        let body = text(&reply);
        assert_eq!(reply.status, 400, "{path}: {body}");
        assert!(body.contains(needle), "{path}: {body:?} lacks {needle:?}");
        assert!(!body.trim_end().contains('\n'), "{path}: {body:?}");
    }
    let body = text(&get(&server, "/delay/70000"));
    assert_eq!(
        body,
        "delay 70000 ms out of range: allowed 0..=60000 ms; units us, ms, s (bare number = ms)"
    );
}

#[test]
fn unknown_paths_are_404_and_other_methods_405() {
    let server = start();
    assert_eq!(get(&server, "/nothing/here").status, 404);
    let mut resp = agent()
        .post(format!("{}/health", server.base_url()))
        .send_empty()
        .expect("POST");
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET"));
    let body = resp.body_mut().read_to_string().expect("405 body");
    assert!(body.contains("only GET"), "{body}");
}

#[test]
fn garbage_requests_do_not_hurt_the_server() {
    let server = start();
    for junk in [
        "\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /health HTTP/9.9\r\n\r\n",
        "GET \u{7f}\u{1} HTTP/1.1\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
        let _ = s.write_all(junk.as_bytes());
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    }
    assert_eq!(get(&server, "/health").status, 200);
}

#[test]
fn flaky_is_deterministic_per_seed_and_key() {
    let server = start();
    let agent = agent();
    let flaky = |p: f64, seed: u64, n: u64| status(&agent, &server, &format!("/flaky?p={p}&seed={seed}&n={n}"));
    for n in 0..20 {
        let (first, again) = (flaky(0.5, 99, n), flaky(0.5, 99, n));
        assert_eq!(first, again, "n={n}");
        let expected = if flaky_fails(0.5, 99, n) { 503 } else { 200 };
        assert_eq!(first, expected, "n={n}");
    }
    for n in 0..50 {
        assert_eq!(flaky(0.0, 3, n), 200);
        assert_eq!(flaky(1.0, 3, n), 503);
    }
}

#[test]
fn flaky_failure_rate_matches_p() {
    let server = start();
    let agent = agent();
    let mut failures = 0;
    for n in 0..2000u64 {
        let got = status(&agent, &server, &format!("/flaky?p=0.3&seed=12345&n={n}"));
        assert!(got == 200 || got == 503, "n={n}: {got}");
        assert_eq!(got == 503, flaky_fails(0.3, 12345, n), "n={n}");
        failures += u32::from(got == 503);
    }
    assert!((500..=700).contains(&failures), "{failures}/2000 failed, want 30% ± 5%");
}

#[test]
fn unkeyed_flaky_walks_a_per_seed_counter() {
    let server = start();
    let agent = agent();
    for seed in [7u64, 8] {
        for n in 0..10u64 {
            let url = format!("{}/flaky?p=0.5&seed={seed}", server.base_url());
            let reply = get_with(&agent, &url, "x-flaky-n");
            assert_eq!(reply.header, Some(n.to_string()), "seed {seed}");
            let fails = flaky_fails(0.5, seed, n);
            assert_eq!(reply.status == 503, fails, "seed {seed} n {n}");
        }
    }
}

#[test]
fn connections_open_returns_to_zero_after_clients_close() {
    let server = start();
    let streams: Vec<_> = (0..3).map(|_| send_raw(server.addr(), "/health")).collect();
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.requests_served == 3);
    assert_eq!((stats.connections_open, stats.connections_accepted), (3, 3));
    drop(streams);
    let agent = agent();
    assert_eq!(status(&agent, &server, "/health"), 200);
    drop(agent);
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 0);
    assert_eq!(stats.connections_open, 0, "{stats:?}");
    assert_eq!(stats.connections_accepted, 4);
}

#[test]
fn client_disconnect_mid_delay_closes_the_connection() {
    let server = start();
    let stream = send_raw(server.addr(), "/delay/2000");
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 1);
    assert_eq!(stats.connections_open, 1);
    // Let the request reach the handler's sleep before the client walks away.
    std::thread::sleep(Duration::from_millis(100));
    let dropped_at = Instant::now();
    drop(stream);
    let stats = wait_stats(&server, Duration::from_secs(1), |s| s.connections_open == 0);
    let waited = dropped_at.elapsed();
    assert_eq!(stats.connections_open, 0, "still open {waited:?} after the client left");
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    // The cancelled request was never answered, so it must not count.
    assert_eq!(stats.requests_served, 0);
}

#[test]
fn shutdown_is_prompt_with_a_request_in_flight() {
    let server = start();
    let addr = server.addr();
    let mut stream = send_raw(addr, "/delay/10000");
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 1);
    assert_eq!(stats.connections_open, 1);
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    server.shutdown();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    // The in-flight connection was closed, not left hanging for the full delay.
    let timeout = Some(Duration::from_secs(2));
    stream.set_read_timeout(timeout).expect("timeout");
    let read = stream.read(&mut [0u8; 256]);
    let closed = match &read {
        Ok(n) => *n == 0,
        Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "expected EOF/reset, got {read:?}");
    assert!(TcpStream::connect(addr).is_err(), "still accepting");
}

#[test]
fn drop_from_another_thread_stops_the_server() {
    let server = start();
    let addr = server.addr();
    let t = Instant::now();
    std::thread::spawn(move || drop(server)).join().expect("drop thread");
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn zero_threads_still_serves() {
    let cfg = ServerConfig {
        threads: 0,
        backlog: 16,
        ..ServerConfig::default()
    };
    let server = TestServer::start(cfg).expect("start");
    assert_eq!(get(&server, "/health").status, 200);
}

#[test]
fn binding_a_busy_port_is_a_bind_error_naming_the_address() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr");
    let cfg = at(addr);
    let err = TestServer::start(cfg).expect_err("port is taken");
    let right = matches!(&err, ServerError::Bind { addr: a, .. } if *a == addr);
    assert!(right, "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("cannot listen on {addr}")), "{msg}");
}

#[cfg(unix)]
#[test]
fn serve_until_ctrl_c_stops_on_sigint() {
    // Install tokio's process-wide SIGINT handler first, so the signal below can never
    // take the default action (killing the test process) while the server is starting.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let rt = rt.expect("runtime");
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(1), tokio::signal::ctrl_c()).await;
    });

    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
        probe.local_addr().expect("addr")
    };
    let cfg = at(addr);
    let serving = std::thread::spawn(move || asyncbench::server::serve_until_ctrl_c(cfg));
    let deadline = Instant::now() + Duration::from_secs(3);
    while TcpStream::connect(addr).is_err() {
        let waiting = Instant::now() < deadline && !serving.is_finished();
        assert!(waiting, "server never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    let url = format!("http://{addr}/health");
    assert_eq!(get_with(&agent(), &url, "x").status, 200);
    // Repeat: a signal raised before the server's ctrl_c future registers is not seen by it.
    let deadline = deadline + Duration::from_secs(3);
    while !serving.is_finished() {
        assert!(Instant::now() < deadline, "Ctrl-C ignored");
        // SAFETY: raise only queues a signal for this process; the handler is tokio's.
        unsafe { libc::raise(libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(50));
    }
    let served = serving.join().expect("serve thread");
    served.expect("serve_until_ctrl_c");
    assert!(TcpStream::connect(addr).is_err(), "still listening after Ctrl-C");
}

#[test]
fn start_and_drop_inside_an_async_context_do_not_panic() {
    let rt = tokio::runtime::Builder::new_current_thread().build();
    let rt = rt.expect("runtime");
    let addr = rt.block_on(async {
        let server = start();
        let addr = server.addr();
        drop(server);
        addr
    });
    // There the runtime can only be shut down in the background, so allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still listening 2 s after drop");
        std::thread::sleep(Duration::from_millis(10));
    }
}
