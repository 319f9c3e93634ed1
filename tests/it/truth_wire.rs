//! The event-loop generator's latencies against a packet capture of the same requests (tcpdump
//! on `lo`, read by scripts/wire-latency.py), a measurement the project did not make: on
//! loopback a request is stamped inside the client's send and its reply inside the server's, so
//! each request's wire interval lies inside the generator's own, and every quantile the
//! generator reports, from its actual send and from the intended one, is at least the wire's.
//! A planted 1 ms server delay is seen from outside too. scripts/oha-check.sh runs the same
//! comparison beside oha at higher rates.
//!
//! Needs root, tcpdump (scripts/ci-deps.sh installs it) and target/pyenv (dpkt, from
//! scripts/python-env.sh). Without them the test prints why and is skipped; with
//! `ASYNCBENCH_REQUIRE_TCPDUMP=1` (set by `.ci/run` once tcpdump is installed and it runs as
//! root) a missing piece fails instead.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asyncbench::client::{PacedGenerator, PacedSpec};
use asyncbench::server::{ServerConfig, TestServer};

fn required() -> bool {
    std::env::var("ASYNCBENCH_REQUIRE_TCPDUMP").is_ok_and(|v| v == "1")
}

/// Why the capture cannot run here, if it cannot.
fn missing() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("capturing on lo needs root".into());
    }
    if Command::new("tcpdump").arg("--version").output().is_err() {
        return Some("no tcpdump (scripts/ci-deps.sh installs it)".into());
    }
    let py = asyncbench::python::venv_python();
    if !py.exists() {
        return Some(format!("no {} (scripts/python-env.sh)", py.display()));
    }
    None
}

/// tcpdump on `lo` for `port`, writing `pcap`; returns once its filter is attached.
fn capture(pcap: &Path, port: u16) -> Child {
    let log = pcap.with_extension("log");
    let mut child = Command::new("tcpdump")
        .args([
            "-i",
            "lo",
            "-s",
            "200",
            "-B",
            "16384",
            "--time-stamp-precision=nano",
            "-w",
        ])
        .arg(pcap)
        .arg(format!("tcp port {port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("tcpdump starts");
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = String::new();
        std::fs::File::open(&log).unwrap().read_to_string(&mut s).unwrap();
        if s.contains("listening on") {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("tcpdump exited {status}: {s}");
        }
        assert!(Instant::now() < until, "tcpdump did not attach in 10 s: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // "listening on" comes as the socket is bound; a moment more before the first packet.
    std::thread::sleep(Duration::from_millis(300));
    child
}

fn stop(mut child: Child) {
    // SAFETY: a signal to our own child, by its pid; SIGINT makes tcpdump flush and exit.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success() || status.code().is_none(), "tcpdump: {status}");
}

fn quantile_us(v: &[Duration], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    let rank = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
    v[rank - 1].as_secs_f64() * 1e6
}

#[test]
fn the_generators_latencies_contain_the_wires_and_a_planted_delay_shows_on_it() {
    if let Some(why) = missing() {
        assert!(!required(), "ASYNCBENCH_REQUIRE_TCPDUMP=1 but {why}");
        eprintln!("skipped: {why}");
        return;
    }
    // A host stall planted by truth_host beside this test would land in the generator's
    // latencies and not on the wire's reconstruction of them.
    let _quiet = crate::common::host_stall_lock();
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let port = server.addr().port();
    let pcap = tmp.path().join("c.pcap");
    let tcpdump = capture(&pcap, port);
    // 1000/s over 8 connections against a 1 ms delay: a warm-up window, then 2 s measured.
    let (rate, conns, window, measured) = (1000u64, 8u64, Duration::from_millis(250), 8usize);
    let mut g = PacedGenerator::start(PacedSpec {
        server: server.addr(),
        path: "/delay/1ms".into(),
        connections: conns,
        rate: Some(rate),
        timeout: Duration::from_secs(5),
        window,
        threads: Vec::new(),
        spin: Duration::ZERO,
        coalesce: Duration::ZERO,
    })
    .unwrap();
    g.window_blocking().unwrap();
    let (mut sent, mut corrected) = (Vec::new(), Vec::new());
    for _ in 0..measured {
        let w = g.window_blocking().unwrap();
        assert_eq!(w.errors.total(), 0);
        sent.extend(w.uncorrected);
        corrected.extend(w.corrected);
    }
    drop(g);
    std::thread::sleep(Duration::from_millis(200));
    stop(tcpdump);

    // The wire keeps the requests intended in the last 1.9 s up to the last one: the measured
    // windows end where the generator stopped.
    let kept = measured as f64 * window.as_secs_f64() - 0.1;
    let out = Command::new(asyncbench::python::venv_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/wire-latency.py"))
        .arg(&pcap)
        .arg(port.to_string())
        .args(["--last-secs", &kept.to_string()])
        .args(["--rate", &rate.to_string(), "--connections", &conns.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wire: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |k: &str| wire[k].as_f64().unwrap_or_else(|| panic!("{k} in {wire}"));

    eprintln!(
        "generator from send p50 {:.0} p99 {:.0} µs, corrected p50 {:.0} p99 {:.0}; wire {wire}",
        quantile_us(&sent, 0.5),
        quantile_us(&sent, 0.99),
        quantile_us(&corrected, 0.5),
        quantile_us(&corrected, 0.99)
    );
    // The wire saw the schedule: 1000/s for 1.9 s (a few in flight at the stop may be missing).
    let expected = rate as f64 * kept;
    assert!((f("requests") - expected).abs() <= 0.02 * expected, "{wire}");
    // The planted delay, seen from outside the project: every reply left the server at least
    // 1 ms after its request arrived.
    assert!(f("wire_p50_us") >= 1000.0, "{wire}");
    // Containment. The two sets are cut by different clocks (the generator's windows, the
    // capture's span), so a quantile may differ by the few requests at the edges: 2 µs or 1%.
    let tol = |v: f64| (0.01 * v).max(2.0);
    for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
        let (ours, theirs) = (quantile_us(&sent, q), f(&format!("wire_{name}_us")));
        assert!(
            ours >= theirs - tol(theirs),
            "from send {name}: {ours} µs < wire {theirs}: {wire}"
        );
        let (ours, theirs) = (quantile_us(&corrected, q), f(&format!("corrected_{name}_us")));
        assert!(
            ours >= theirs - tol(theirs),
            "corrected {name}: {ours} µs < wire {theirs}: {wire}"
        );
    }
    // And the generator does not add a millisecond of its own at the median (a physical bound:
    // its receive path is a wake and a read).
    let added = quantile_us(&sent, 0.5) - f("wire_p50_us");
    assert!(added < 1000.0, "the generator adds {added} µs at p50: {wire}");
}
