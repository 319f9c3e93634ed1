//! The server's precise timing, seen from a client: delays written with units, a
//! `Server-Timing` header on every response, and the server's own timer lateness in `/stats`.
//! Behaviour only: the bounds are physical (a hold never ends before its deadline), never speed.

use std::time::{Duration, Instant};

use asyncbench::server::{ServerConfig, ServerStats, TestServer};

fn start() -> TestServer {
    TestServer::start(ServerConfig::default()).expect("server starts on 127.0.0.1:0")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

struct Reply {
    status: u16,
    body: String,
    /// `dur` of the `Server-Timing` header, in ms.
    dur_ms: Option<f64>,
    header: Option<String>,
}

fn get(agent: &ureq::Agent, server: &TestServer, path: &str) -> Reply {
    let url = format!("{}{path}", server.base_url());
    let mut resp = agent.get(&url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let header = resp
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| panic!("GET {url} body: {e}"));
    Reply {
        status: resp.status().as_u16(),
        body,
        dur_ms: header.as_deref().and_then(parse_dur),
        header,
    }
}

/// The `dur` of an `app` metric in W3C Server-Timing syntax (`app;dur=1.003`).
fn parse_dur(header: &str) -> Option<f64> {
    let metric = header.split(',').map(str::trim).find(|m| m.starts_with("app"))?;
    let dur = metric.split(';').find_map(|p| p.trim().strip_prefix("dur="))?;
    dur.parse().ok()
}

fn stats(agent: &ureq::Agent, server: &TestServer) -> ServerStats {
    let reply = get(agent, server, "/stats");
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).expect("stats JSON")
}

#[test]
fn delay_with_units_is_held_at_least_that_long_and_says_so() {
    let server = start();
    let agent = agent();
    let t = Instant::now();
    let reply = get(&agent, &server, "/delay/250us");
    let took = t.elapsed();
    assert_eq!((reply.status, reply.body.as_str()), (200, "slept 0.25 ms"));
    let dur = reply
        .dur_ms
        .unwrap_or_else(|| panic!("Server-Timing {:?}", reply.header));
    assert!(dur >= 0.25, "dur {dur} ms < 0.25 ms");
    assert!(took >= Duration::from_micros(250), "{took:?}");
    // The server's share cannot exceed what the client saw.
    assert!(dur <= took.as_secs_f64() * 1e3, "dur {dur} ms > client's {took:?}");
    for (path, at_least_ms) in [("/delay/1.5ms", 1.5), ("/delay/2", 2.0), ("/delay/0.003s", 3.0)] {
        let reply = get(&agent, &server, path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let dur = reply.dur_ms.unwrap_or_else(|| panic!("{path}: {:?}", reply.header));
        assert!(dur >= at_least_ms, "{path}: dur {dur} ms");
    }
}

#[test]
fn every_route_carries_server_timing_in_w3c_syntax() {
    let server = start();
    let agent = agent();
    for path in [
        "/health",
        "/delay/0",
        "/bytes/10",
        "/status/503",
        "/stats",
        "/nope",
        "/delay/5x",
    ] {
        let reply = get(&agent, &server, path);
        let header = reply
            .header
            .as_deref()
            .unwrap_or_else(|| panic!("{path}: no Server-Timing"));
        // `app;dur=` then milliseconds with three decimals (microsecond precision).
        let value = header
            .strip_prefix("app;dur=")
            .unwrap_or_else(|| panic!("{path}: {header}"));
        let (whole, decimals) = value.split_once('.').unwrap_or_else(|| panic!("{path}: {header}"));
        assert!(
            whole.bytes().all(|b| b.is_ascii_digit()) && decimals.len() == 3,
            "{path}: {header}"
        );
        assert!(reply.dur_ms.is_some_and(|d| d >= 0.0), "{path}: {header}");
    }
}

#[test]
fn malformed_or_out_of_range_delays_are_400_naming_range_and_units() {
    let server = start();
    let agent = agent();
    for path in [
        "/delay/5x",
        "/delay/-1",
        "/delay/61s",
        "/delay/0.5us",
        "/stall/1h",
        "/stall/60001",
    ] {
        let reply = get(&agent, &server, path);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        for needle in ["allowed 0..=60000 ms", "us, ms, s"] {
            assert!(reply.body.contains(needle), "{path}: {:?} lacks {needle:?}", reply.body);
        }
    }
}

#[test]
fn stats_count_every_timed_hold_and_report_its_lateness() {
    let server = start();
    let agent = agent();
    let before = stats(&agent, &server).timer_lateness;
    assert_eq!(before.count, 0, "{before:?}");
    // Untimed routes and /delay/0 start no timer.
    for path in ["/health", "/delay/0", "/delay/0us"] {
        assert_eq!(get(&agent, &server, path).status, 200);
    }
    assert_eq!(stats(&agent, &server).timer_lateness.count, 0);
    for us in [100, 250, 500, 1000, 1500] {
        assert_eq!(get(&agent, &server, &format!("/delay/{us}us")).status, 200);
    }
    let after = stats(&agent, &server).timer_lateness;
    assert_eq!(after.count, 5, "{after:?}");
    assert!(after.p50_ns <= after.p99_ns && after.p99_ns <= after.p999_ns && after.p999_ns <= after.max_ns);
    // The in-process view agrees with the served one.
    assert_eq!(server.stats().timer_lateness, after);
}

#[test]
fn a_stall_holds_with_units_and_its_holds_are_counted() {
    let server = start();
    let agent = agent();
    let reply = get(&agent, &server, "/stall/0.3s");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "stalling responses for 300 ms")
    );
    let t = Instant::now();
    let held = get(&agent, &server, "/delay/0");
    assert_eq!(held.status, 200);
    // Held for whatever was left of the 300 ms, and the server's own clock agrees it waited.
    assert!(held.dur_ms.is_some_and(|d| d > 0.0), "{:?}", held.header);
    assert!(t.elapsed() < Duration::from_secs(5));
    let lateness = stats(&agent, &server).timer_lateness;
    assert_eq!(lateness.count, 1, "{lateness:?}");
}

#[test]
fn concurrent_random_short_delays_never_end_early() {
    let server = start();
    let url = server.base_url();
    let mut rng = fastrand::Rng::with_seed(6);
    let delays: Vec<u64> = (0..80).map(|_| rng.u64(1..3_000)).collect();
    let clients: Vec<_> = delays
        .chunks(10)
        .map(|chunk| {
            let (url, chunk) = (url.clone(), chunk.to_vec());
            std::thread::spawn(move || {
                let agent = agent();
                for us in chunk {
                    let t = Instant::now();
                    let mut resp = agent.get(format!("{url}/delay/{us}us")).call().expect("GET");
                    let took = t.elapsed();
                    assert_eq!(resp.status().as_u16(), 200);
                    let header = resp.headers().get("server-timing").and_then(|v| v.to_str().ok());
                    let dur = header.and_then(parse_dur).expect("Server-Timing dur");
                    let _ = resp.body_mut().read_to_string();
                    // dur has three decimals, so it can read up to 0.5 µs under the true hold.
                    assert!(dur * 1e3 + 0.5 >= us as f64, "{us} us: dur {dur} ms");
                    assert!(took >= Duration::from_micros(us), "{us} us: client saw {took:?}");
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client thread");
    }
    // A delay whose deadline has already passed when its handler runs (a loaded machine, a few
    // µs asked) is served without a timer and is not counted: every other one is.
    let counted = server.stats().timer_lateness.count;
    let n = delays.len() as u64;
    assert!(counted <= n && counted * 10 >= n * 9, "{counted} of {n} delays counted");
}
