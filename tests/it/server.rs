//! The test server's routes, seen from a blocking ureq client and raw TCP: each answers as
//! documented, out-of-range or unknown requests get 400/404/405, garbage hurts nothing, and
//! `/flaky` fails exactly as its published rule says.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use asyncbench::server::{MAX_BYTES, MAX_DELAY_MS, ServerStats, flaky_fails};

use crate::common::http::{agent, get, get_with, start, status, text};

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
