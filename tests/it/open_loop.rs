//! Open-loop load tells the truth about a stall: latency counted from the
//! intended send time shows it, latency from the actual send hides it
//! (coordinated omission). And at a rate the client can sustain, it sends at
//! that rate.

use std::io::{Read, Write};
use std::time::Duration;

use asyncbench::runtime::{AsyncFlavor, Flavor};
use asyncbench::scenario::catalog::http_load::{HttpLoad, LoadMode};
use asyncbench::scenario::{CaseRecord, Env, ScenarioDef};
use asyncbench::server::{ServerConfig, TestServer};

fn run(load: &HttpLoad, env: &Env, windows: u64, during: impl FnOnce() + Send + 'static) -> Vec<CaseRecord> {
    let mut during = Some(during);
    let mut out = Vec::new();
    for case in load.cases() {
        let mut bench = load.prepare(&case, env).unwrap();
        let mut rec = CaseRecord::default();
        let side = during.take().map(std::thread::spawn);
        bench.run(windows, Some(&mut rec)).unwrap();
        if let Some(h) = side {
            h.join().unwrap();
        }
        out.push(rec);
    }
    out
}

fn get(addr: std::net::SocketAddr, path: &str) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let _ = s.read_to_end(&mut Vec::new());
}

#[test]
fn corrected_latency_shows_an_injected_stall_and_uncorrected_hides_it() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = Env {
        server: server.addr(),
        workers: Some(2),
    };
    let addr = server.addr();
    // One connection at 1000 requests/s for 4 s; a 500 ms stall at t ≈ 1.5 s.
    let load = HttpLoad::new(
        LoadMode::Rate(1000),
        1,
        "/delay/0",
        vec![Flavor::Async(AsyncFlavor::TokioMt)],
        Duration::from_secs(10),
    );
    let recs = run(&load, &env, 4, move || {
        std::thread::sleep(Duration::from_millis(1500));
        get(addr, "/stall/500");
    });
    let rec = &recs[0];
    let corrected = rec.latency.histogram();
    let uncorrected = rec.extra["latency_uncorrected"].histogram();
    assert_eq!(rec.errors.total(), 0);
    // Windows are wall-clock seconds: a generator that cannot catch up after
    // the stall (a loaded machine) completes fewer, and says so in its lateness.
    assert!(corrected.len() >= 1000, "{} requests", corrected.len());
    let ms = |ns: u64| ns as f64 / 1e6;
    // ~500 requests were due during the stall: ≥ 10% of the run.
    let c999 = ms(corrected.value_at_quantile(0.999));
    let u999 = ms(uncorrected.value_at_quantile(0.999));
    assert!(c999 >= 350.0, "corrected p99.9 {c999} ms must reflect the 500 ms stall");
    assert!(
        ms(corrected.value_at_quantile(0.9)) >= 50.0,
        "the stall reaches the corrected p90"
    );
    // Only the one request in flight saw the stall after it was sent.
    assert!(u999 < 0.5 * c999, "uncorrected p99.9 {u999} ms vs corrected {c999} ms");
    assert!(
        ms(uncorrected.max()) >= 350.0,
        "the one stalled request is still in the uncorrected max"
    );
    // And in time: the corrected log's worst interval is the one the stall (1.5 s in,
    // 0.5 s long) ended in, counted from the case's first interval.
    let rec = recs.into_iter().next().unwrap();
    let (_, intervals) = rec.latency.finish();
    let origin = intervals.first().expect("intervals").start;
    let worst = intervals.iter().max_by_key(|i| i.hist.max()).unwrap();
    let at = worst.start.duration_since(origin);
    assert!(
        (Duration::from_millis(900)..=Duration::from_millis(3100)).contains(&at),
        "the stall shows in the interval starting {at:?} after the first"
    );
}

#[test]
fn a_sustainable_rate_is_achieved() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let env = Env {
        server: server.addr(),
        workers: Some(2),
    };
    let load = HttpLoad::new(
        LoadMode::Rate(200),
        2,
        "/delay/1",
        vec![Flavor::Async(AsyncFlavor::TokioCt), Flavor::Async(AsyncFlavor::SmolMt)],
        Duration::from_secs(10),
    );
    for rec in run(&load, &env, 3, || {}) {
        let achieved = rec.value("achieved_rps").expect("achieved_rps");
        assert!(
            (190.0..=210.0).contains(&achieved),
            "achieved {achieved} requests/s for 200 asked"
        );
        // Each connection keeps its schedule across windows; a request still
        // in flight when the last window closes is not counted (one per
        // connection at most).
        let n = rec.latency.len() as usize;
        assert!((598..=600).contains(&n), "{n} requests completed of 600 due");
        let lateness = rec.extra["generator_lateness"].histogram();
        assert_eq!(lateness.len() as usize, n, "one lateness sample per send");
    }
}
