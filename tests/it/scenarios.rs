//! Every scenario × runtime at a tiny size, run through the same `Bench`
//! path as `cargo bench`, plus the physical sanity bound: gathering N delayed
//! requests is far faster than awaiting them one by one.

use std::time::Duration;

use asyncbench::measure::ErrorKind;
use asyncbench::scenario::CaseRecord;
use asyncbench::server::{ServerConfig, TestServer};

use crate::common::{ScenarioToml, async_runtimes, env, env_dead_server, run_cases, run_cases_cold};

/// fetch_parallel on every runtime: N = 6 requests of D = 40 ms, k = 2 for `bounded`.
fn fetch() -> ScenarioToml {
    ScenarioToml::from_file("fetch_parallel")
        .runtimes(async_runtimes())
        .set("variants", ["sequential", "join_all", "spawned", "bounded"])
        .set("params.requests", 6)
        .set("params.delay_ms", 40)
        .set("params.bound", 2)
        .set("params.timeout_ms", 5000)
        .set("params.connections", ["fresh", "keepalive"])
}

/// sync_vs_async on threads and every runtime: N = 6 requests of D = 40 ms.
fn sync() -> ScenarioToml {
    ScenarioToml::from_file("sync_vs_async")
        .runtimes([vec!["threads"], async_runtimes()].concat())
        .set("variants", ["sequential", "concurrent"])
        .set("params.requests", 6)
        .set("params.delay_ms", 40)
        .set("params.timeout_ms", 5000)
        .set("params.connection", "fresh")
}

#[test]
fn every_case_runs_and_gather_beats_sequential() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    for file in [fetch(), sync()] {
        let s = file.load();
        let results = run_cases(s.as_ref(), &env(&server), 2);
        assert_eq!(results.len(), s.cases().len());
        for o in &results {
            let (label, rec, mean) = (&o.label, &o.rec, o.mean_wall_ns());
            assert_eq!(rec.errors.total(), 0, "{label} had errors");
            assert_eq!(rec.latency.len(), 2 * 6, "{label}: one latency per request");
            // Nothing beats the server's delay: each request takes ≥ D.
            assert!(rec.latency.histogram().min() >= 40_000_000, "{label}");
            let d = 40e6;
            if o.variant.starts_with("sequential") {
                assert!(mean >= 6.0 * d, "{label}: sequential below N·D: {mean}");
            }
        }
        // Physical bound: concurrent requests overlap their delays, so the
        // batch is far below N·D (6 × 40 ms = 240 ms) on every runtime.
        for o in &results {
            let (label, variant, mean) = (&o.label, &o.variant, o.mean_wall_ns());
            let gathered = variant.starts_with("join_all") || variant.starts_with("spawned") || variant == "concurrent";
            if gathered {
                assert!(mean < 3.0 * 40e6, "{label}: {mean} ns is not ≪ N·D");
            }
            if variant.starts_with("bounded") {
                // ⌈6/2⌉ waves of 40 ms: at least 120 ms, well under 240 ms.
                assert!((3.0 * 40e6..5.5 * 40e6).contains(&mean), "{label}: {mean}");
            }
        }
    }
    server.shutdown();
}

#[test]
fn keepalive_reuses_connections_and_fresh_closes_them() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = env(&server);
    let file = fetch().set("params.delay_ms", 1).set("variants", ["sequential"]);
    for (mode, expect_reuse) in [("keepalive", true), ("fresh", false)] {
        let s = file.clone().set("params.connections", [mode]).load();
        for case in s.cases() {
            let before = server.stats();
            let mut bench = s.prepare(&case, &env).unwrap();
            bench.run(5, None).unwrap();
            let accepted = server.stats().connections_accepted - before.connections_accepted;
            if expect_reuse {
                assert_eq!(
                    accepted, 1,
                    "{}: 30 sequential requests over one kept-alive connection",
                    case.flavor
                );
            } else {
                assert_eq!(accepted, 30, "{}: one connection per request", case.flavor);
            }
            drop(bench);
        }
    }
    // Everything the clients opened is closed once their runtimes are gone.
    let t0 = std::time::Instant::now();
    while server.stats().connections_open > 0 && t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.stats().connections_open, 0);
}

#[test]
fn errors_are_counted_not_panicked() {
    // A port with nothing listening: every request fails to connect.
    let env = env_dead_server();
    for file in [fetch(), sync()] {
        let s = file.load();
        let results = run_cases_cold(s.as_ref(), &env, 1);
        assert_eq!(results.len(), s.cases().len());
        for o in results {
            let (label, rec) = (&o.label, &o.rec);
            assert_eq!(rec.errors.total(), 6, "{label}");
            // The blocking client reports a refused connection as the async one does.
            assert_eq!(rec.errors.get(ErrorKind::Connect), 6, "{label}: {}", rec.errors);
            assert_eq!(rec.latency.len(), 0, "{label}");
        }
    }
}

#[test]
fn responses_slower_than_the_timeout_are_counted_and_bounded() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = env(&server);
    // Every request waits 2 s at the server but may take only 50 ms.
    let s = fetch().set("params.delay_ms", 2000).set("params.timeout_ms", 50).load();
    for case in s.cases().into_iter().filter(|c| c.variant.starts_with("join_all")) {
        let mut bench = s.prepare(&case, &env).unwrap();
        let mut rec = CaseRecord::default();
        let t0 = std::time::Instant::now();
        bench.run(1, Some(&mut rec)).unwrap();
        assert_eq!(
            rec.errors.get(ErrorKind::Timeout),
            6,
            "{} {}: every request timed out",
            case.variant,
            case.flavor
        );
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "the timeout bounds the batch: {:?}",
            t0.elapsed()
        );
    }
}
