//! Every scenario × runtime at a tiny size, run through the same `Bench`
//! path as `cargo bench`, plus the physical sanity bound: gathering N delayed
//! requests is far faster than awaiting them one by one.

use std::path::Path;
use std::time::Duration;

use asyncbench::measure::ErrorKind;
use asyncbench::scenario::{self, CaseRecord, Env, ScenarioDef};
use asyncbench::server::{ServerConfig, TestServer};

fn tiny(dir: &Path, name: &str, text: &str) -> Box<dyn ScenarioDef> {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"))
}

const FETCH: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"]
variants = ["sequential", "join_all", "spawned", "bounded"]
[params]
requests = 6
delay_ms = 40
bound = 2
timeout_ms = 5000
connections = ["fresh", "keepalive"]
"#;

const SYNC: &str = r#"scenario = "sync_vs_async"
guide_section = "Synchronous vs asynchronous requests"
runtimes = ["threads", "tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"]
variants = ["sequential", "concurrent"]
[params]
requests = 6
delay_ms = 40
timeout_ms = 5000
connection = "fresh"
"#;

/// Runs every case for `batches` batches; returns (variant, runtime, mean wall ns, record).
fn run_all(s: &dyn ScenarioDef, env: &Env, batches: u64) -> Vec<(String, String, f64, CaseRecord)> {
    let mut out = Vec::new();
    for case in s.cases() {
        let mut bench = s
            .prepare(&case, env)
            .unwrap_or_else(|e| panic!("{} {}: {e}", case.variant, case.flavor));
        let mut rec = CaseRecord::default();
        bench.run(1, None).expect("warm-up batch");
        bench.run(batches, Some(&mut rec)).expect("batches run");
        let mean = rec.busy.as_nanos() as f64 / batches as f64;
        out.push((case.variant.clone(), case.flavor.to_string(), mean, rec));
    }
    out
}

#[test]
fn every_case_runs_and_gather_beats_sequential() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = Env {
        server: server.addr(),
        workers: Some(2),
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("fetch_parallel", FETCH), ("sync_vs_async", SYNC)] {
        let s = tiny(dir.path(), name, text);
        let results = run_all(s.as_ref(), &env, 2);
        assert_eq!(results.len(), s.cases().len());
        for (variant, runtime, mean, rec) in &results {
            assert_eq!(rec.errors.total(), 0, "{name}/{variant}/{runtime} had errors");
            assert_eq!(
                rec.latency.len(),
                2 * 6,
                "{name}/{variant}/{runtime}: one latency per request"
            );
            // Nothing beats the server's delay: each request takes ≥ D.
            assert!(
                rec.latency.histogram().min() >= 40_000_000,
                "{name}/{variant}/{runtime}"
            );
            let d = 40e6;
            if variant.starts_with("sequential") {
                assert!(
                    *mean >= 6.0 * d,
                    "{name}/{variant}/{runtime}: sequential below N·D: {mean}"
                );
            }
        }
        // Physical bound: concurrent requests overlap their delays, so the
        // batch is far below N·D (6 × 40 ms = 240 ms) on every runtime.
        for (variant, runtime, mean, _) in &results {
            let gathered = variant.starts_with("join_all") || variant.starts_with("spawned") || variant == "concurrent";
            if gathered {
                assert!(*mean < 3.0 * 40e6, "{name}/{variant}/{runtime}: {mean} ns is not ≪ N·D");
            }
            if variant.starts_with("bounded") {
                // ⌈6/2⌉ waves of 40 ms: at least 120 ms, well under 240 ms.
                assert!(
                    *mean >= 3.0 * 40e6 && *mean < 5.5 * 40e6,
                    "{name}/{variant}/{runtime}: {mean}"
                );
            }
        }
    }
    server.shutdown();
}

#[test]
fn keepalive_reuses_connections_and_fresh_closes_them() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = Env {
        server: server.addr(),
        workers: Some(2),
    };
    let dir = tempfile::tempdir().unwrap();
    let text = FETCH.replace("delay_ms = 40", "delay_ms = 1").replace(
        "[\"sequential\", \"join_all\", \"spawned\", \"bounded\"]",
        "[\"sequential\"]",
    );
    for (mode, expect_reuse) in [("keepalive", true), ("fresh", false)] {
        let s = tiny(
            dir.path(),
            "fetch_parallel",
            &text.replace("[\"fresh\", \"keepalive\"]", &format!("[\"{mode}\"]")),
        );
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
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let env = Env {
        server: addr,
        workers: Some(2),
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("fetch_parallel", FETCH), ("sync_vs_async", SYNC)] {
        let s = tiny(dir.path(), name, text);
        for case in s.cases() {
            let mut bench = s.prepare(&case, &env).unwrap();
            let mut rec = CaseRecord::default();
            bench.run(1, Some(&mut rec)).unwrap();
            assert_eq!(rec.errors.total(), 6, "{name}/{}/{}", case.variant, case.flavor);
            // The blocking client reports a refused connection as the async one does.
            assert_eq!(
                rec.errors.get(ErrorKind::Connect),
                6,
                "{name}/{}/{}: {}",
                case.variant,
                case.flavor,
                rec.errors
            );
            assert_eq!(rec.latency.len(), 0);
        }
    }
}

#[test]
fn responses_slower_than_the_timeout_are_counted_and_bounded() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = Env {
        server: server.addr(),
        workers: Some(2),
    };
    let dir = tempfile::tempdir().unwrap();
    // Every request waits 2 s at the server but may take only 50 ms.
    let text = FETCH
        .replace("delay_ms = 40", "delay_ms = 2000")
        .replace("timeout_ms = 5000", "timeout_ms = 50");
    let s = tiny(dir.path(), "fetch_parallel", &text);
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
