//! The coordination scenarios (gather_vs_select, structured, timeout,
//! retry_backoff) on every runtime, through the same `Bench` path as
//! `cargo bench`: select-first is fast and the server sees the losers'
//! connections close; a failing child stops its siblings and nothing outlives
//! the group; a timeout never fires early; retries succeed as often as
//! 1 - p^R says. Each test starts its own server, so `/stats` is its own.

use std::path::Path;

use asyncbench::scenario::{self, CaseRecord, Env, ScenarioDef};
use asyncbench::server::{ServerConfig, TestServer, flaky_fails};

const ALL: &str = r#"["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"]"#;

fn load(dir: &Path, name: &str, text: &str) -> Box<dyn ScenarioDef> {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text.replace("RUNTIMES", ALL)).unwrap();
    scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"))
}

fn gather(delays: &str, variants: &str) -> String {
    format!(
        r#"scenario = "gather_vs_select"
guide_section = "wait vs gather"
runtimes = RUNTIMES
variants = {variants}
[params]
delays_ms = {delays}
timeout_ms = 5000
cleanup_wait_ms = 2000
"#
    )
}

const STRUCTURED: &str = r#"scenario = "structured"
guide_section = "TaskGroup"
runtimes = RUNTIMES
variants = ["one_fails", "all_succeed"]
[params]
children = 32
fail_after_ms = 10
sibling_work_ms = 5000
"#;

const TIMEOUT: &str = r#"scenario = "timeout"
guide_section = "asyncio.timeout()"
runtimes = RUNTIMES
variants = ["in_time", "fires"]
[params]
ops = 256
chunk = 16
in_time_deadline_ms = 5000
fires = 20
deadline_ms = DEADLINE
"#;

fn retry(p: f64, attempts: u32, calls: u64, variants: &str, runtimes: &str) -> String {
    let conc = calls.min(50);
    format!(
        r#"scenario = "retry_backoff"
guide_section = "retries"
runtimes = {runtimes}
variants = {variants}
[params]
p = {p}
max_attempts = {attempts}
base_delay_ms = 1
max_delay_ms = 2
calls = {calls}
concurrency = {conc}
seed = 7
timeout_ms = 5000
connection = "keepalive"
"#
    )
}

fn env(server: &TestServer) -> Env {
    Env {
        server: server.addr(),
        workers: Some(2),
    }
}

/// Runs every case: `warm` unrecorded batches, then `batches` recorded ones.
fn run_cases(s: &dyn ScenarioDef, env: &Env, warm: u64, batches: u64) -> Vec<(String, String, CaseRecord)> {
    let mut out = Vec::new();
    for case in s.cases() {
        let label = format!("{}/{}/{}", s.header().name, case.variant, case.flavor);
        let mut bench = s.prepare(&case, env).unwrap_or_else(|e| panic!("{label}: {e}"));
        if warm > 0 {
            bench.run(warm, None).unwrap_or_else(|e| panic!("{label}: {e}"));
        }
        let mut rec = CaseRecord::default();
        bench
            .run(batches, Some(&mut rec))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        out.push((label, case.variant.clone(), rec));
    }
    out
}

/// The per-batch mean of a value the scenario reported.
fn value(rec: &CaseRecord, key: &str, label: &str) -> f64 {
    rec.value(key).unwrap_or_else(|| panic!("{label}: no value {key}"))
}

/// (count, min ns, max ns) of an extra metric.
fn extra(rec: &CaseRecord, name: &str, label: &str) -> (u64, u64, u64) {
    let r = rec
        .extra
        .get(name)
        .unwrap_or_else(|| panic!("{label}: no metric {name}"));
    let h = r.histogram();
    (r.len(), h.min(), h.max())
}

fn mean_wall_ms(rec: &CaseRecord) -> f64 {
    rec.busy.as_secs_f64() * 1e3 / rec.batches() as f64
}

#[test]
fn every_case_runs_clean_on_every_runtime() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let all = r#"["join_all", "as_completed", "select_cancel", "first_keep_running"]"#;
    let files = [
        ("gather_vs_select", gather("[5, 10, 20]", all)),
        ("structured", STRUCTURED.replace("5000", "2000")),
        ("timeout", TIMEOUT.replace("DEADLINE", "2")),
        (
            "retry_backoff",
            retry(0.3, 3, 10, r#"["fixed", "exponential", "full_jitter"]"#, "RUNTIMES"),
        ),
    ];
    for (name, text) in files {
        let s = load(dir.path(), name, &text);
        let results = run_cases(s.as_ref(), &env(&server), 1, 2);
        assert_eq!(results.len(), s.cases().len());
        for (label, variant, rec) in &results {
            assert_eq!(rec.errors.total(), 0, "{label}");
            assert_eq!(rec.batches(), 2, "{label}");
            match (name, variant.as_str()) {
                ("gather_vs_select", "join_all") => {
                    // gather: the first result reaches the caller with the last.
                    assert!(mean_wall_ms(rec) >= 20.0, "{label}");
                    assert_eq!(extra(rec, "time_to_first", label).0, 2, "{label}");
                }
                ("gather_vs_select", _) => assert!(mean_wall_ms(rec) >= 5.0, "{label}: faster than min(D)"),
                ("structured", _) => assert_eq!(value(rec, "tasks_leaked", label), 0.0, "{label}"),
                ("timeout", "in_time") => assert!(value(rec, "wrapped_ns_per_op", label) > 0.0, "{label}"),
                ("retry_backoff", _) => assert!(value(rec, "expected_success_rate", label) > 0.97, "{label}"),
                _ => {}
            }
        }
    }
}

#[test]
fn select_first_is_fast_and_the_server_sees_the_losers_close() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (fast, slow) = (40.0, 400.0);
    let s = load(
        dir.path(),
        "gather_vs_select",
        &gather("[40, 400, 450, 500]", r#"["select_cancel"]"#),
    );
    for (label, _, rec) in run_cases(s.as_ref(), &env(&server), 1, 2) {
        let first = mean_wall_ms(&rec);
        // Never before the fastest delay; well before the second fastest.
        assert!(
            first >= fast && first < 3.0 * fast,
            "{label}: first result after {first} ms"
        );
        assert_eq!(value(&rec, "losers_still_open_after_wait", &label), 0.0, "{label}");
        let (n, _, max) = extra(&rec, "loser_cleanup", &label);
        assert_eq!(n, 2, "{label}: the server saw every batch's losers close");
        // Closed by cancellation, long before the losers would have finished.
        assert!(
            (max as f64) < (slow - fast) * 1e6 / 2.0,
            "{label}: cleanup took {max} ns"
        );
    }

    // Left running, the losers hold their connections until they finish.
    let s = load(
        dir.path(),
        "gather_vs_select",
        &gather("[40, 400, 450, 500]", r#"["first_keep_running"]"#),
    );
    for (label, _, rec) in run_cases(s.as_ref(), &env(&server), 0, 1) {
        assert!(mean_wall_ms(&rec) < 3.0 * fast, "{label}");
        let (n, min, _) = extra(&rec, "loser_cleanup", &label);
        assert_eq!(n, 1, "{label}");
        assert!(
            min as f64 >= (500.0 - 3.0 * fast) * 1e6,
            "{label}: losers gone after {min} ns"
        );
        let (_, all, _) = extra(&rec, "time_to_all", &label);
        assert!(all as f64 >= 500e6, "{label}");
    }
}

#[test]
fn a_failing_child_stops_its_siblings_and_nothing_outlives_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(dir.path(), "structured", STRUCTURED);
    // No server needed: the group only sleeps.
    let env = Env {
        server: "127.0.0.1:9".parse().unwrap(),
        workers: Some(2),
    };
    for (label, variant, rec) in run_cases(s.as_ref(), &env, 0, 3) {
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(
            value(&rec, "tasks_leaked", &label),
            0.0,
            "{label}: a child outlived its group"
        );
        if variant == "one_fails" {
            assert_eq!(
                value(&rec, "cleanup_guards_run", &label),
                31.0,
                "{label}: N-1 clean-ups"
            );
            assert_eq!(value(&rec, "siblings_finished", &label), 0.0, "{label}");
            // The group ends soon after the failure at 10 ms, not when the
            // siblings' 5 s of work would have.
            assert!(mean_wall_ms(&rec) >= 10.0 && mean_wall_ms(&rec) < 1000.0, "{label}");
            let (n, _, max) = extra(&rec, "failure_to_exit", &label);
            assert_eq!(n, 3, "{label}");
            assert!(max < 1_000_000_000, "{label}: {max} ns from failure to exit");
            assert_eq!(rec.latency.len(), 3 * 31, "{label}: one stop time per sibling");
        } else {
            assert_eq!(rec.latency.len(), 3 * 32, "{label}: every child reported");
            assert!(value(&rec, "ns_per_child", &label) > 0.0, "{label}");
        }
    }
}

#[test]
fn timeouts_never_fire_before_their_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        server: "127.0.0.1:9".parse().unwrap(),
        workers: Some(2),
    };
    for deadline in ["1", "3"] {
        let text = TIMEOUT
            .replace("DEADLINE", deadline)
            .replace(r#"["in_time", "fires"]"#, r#"["fires"]"#);
        let s = load(dir.path(), "timeout", &text);
        for (label, _, rec) in run_cases(s.as_ref(), &env, 0, 2) {
            assert_eq!(value(&rec, "fired_early", &label), 0.0, "{label}");
            assert_eq!(rec.errors.total(), 0, "{label}");
            assert_eq!(rec.latency.len(), 40, "{label}: every timeout fired and was timed");
            // A batch is 20 deadlines back to back: never shorter than that.
            let d: f64 = deadline.parse().unwrap();
            assert!(mean_wall_ms(&rec) >= 20.0 * d, "{label}");
        }
    }
}

/// Whether call `id` succeeds within `r` attempts, straight from the
/// server's published rule (keys as the scenario assigns them).
fn predicted_success(p: f64, seed: u64, r: u64, id: u64) -> bool {
    (0..r).any(|a| !flaky_fails(p, seed, id * r + a))
}

#[test]
fn retry_success_rate_matches_one_minus_p_to_the_r() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (p, r, calls, batches) = (0.5, 3u32, 100u64, 20u64);
    let text = retry(p, r, calls, r#"["exponential"]"#, r#"["tokio-ct"]"#);
    let s = load(dir.path(), "retry_backoff", &text);
    let (label, _, rec) = run_cases(s.as_ref(), &env(&server), 0, batches).remove(0);
    assert_eq!(rec.errors.total(), 0, "{label}");
    let n = (calls * batches) as f64;
    let rate = value(&rec, "success_rate", &label);
    let expected = 1.0 - p.powi(r as i32);
    assert_eq!(value(&rec, "expected_success_rate", &label), expected);
    // Binomial standard deviation of the rate over n calls; 4σ is about a
    // 1-in-16,000 false alarm.
    let sigma = (expected * (1.0 - expected) / n).sqrt();
    assert!(
        (rate - expected).abs() <= 4.0 * sigma,
        "{label}: {rate} vs {expected} ± {sigma}"
    );

    // Attempts: 1 w.p. 1/2, 2 w.p. 1/4, 3 w.p. 1/4 → mean 1.75, variance 0.6875.
    let attempts = value(&rec, "attempts_per_call", &label);
    assert!((value(&rec, "expected_attempts", &label) - 1.75).abs() < 1e-12);
    assert!(
        (attempts - 1.75).abs() <= 4.0 * (0.6875 / n).sqrt(),
        "{label}: {attempts}"
    );

    // And exactly the calls the server's seeded rule says succeed.
    let predicted = (0..calls * batches)
        .filter(|&id| predicted_success(p, 7, r.into(), id))
        .count();
    assert_eq!((rate * n).round() as usize, predicted, "{label}");
}

#[test]
fn retries_are_reproducible_on_every_runtime() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = retry(0.6, 4, 50, r#"["full_jitter"]"#, "RUNTIMES");
    let s = load(dir.path(), "retry_backoff", &text);
    let mut seen: Option<(f64, f64, f64)> = None;
    for (label, _, rec) in run_cases(s.as_ref(), &env(&server), 0, 2) {
        assert_eq!(rec.errors.total(), 0, "{label}");
        let got = (
            value(&rec, "success_rate", &label),
            value(&rec, "attempts_per_call", &label),
            value(&rec, "scheduled_wait_ms", &label),
        );
        // Slept at least what the schedule asked for.
        assert!(value(&rec, "wait_ms", &label) >= got.2, "{label}");
        match seen {
            None => seen = Some(got),
            Some(first) => assert_eq!(first, got, "{label}: same keys and seeds, same outcome"),
        }
    }
}

fn load_err(text: &str) -> scenario::ScenarioError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(&p, text.replace("RUNTIMES", ALL)).unwrap();
    match scenario::load_file(&p) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn bad_parameters_get_located_errors() {
    let e = load_err(&gather("[5]", r#"["join_all"]"#));
    assert_eq!(e.key.as_deref(), Some("params.delays_ms"), "{e}");
    assert!(e.message.contains("allowed 2..=1000"), "{e}");
    assert_eq!(e.line, Some(6), "{e}");

    let e = load_err(&gather("[5, 70000]", r#"["join_all"]"#));
    assert!(e.message.contains("70000 is out of range: allowed 0..=60000"), "{e}");

    let e = load_err(&STRUCTURED.replace("sibling_work_ms = 5000", "sibling_work_ms = 15"));
    assert_eq!(e.key.as_deref(), Some("params.sibling_work_ms"), "{e}");
    assert!(e.message.contains("allowed 20..=60000"), "{e}");

    let e = load_err(&TIMEOUT.replace("DEADLINE", "0"));
    assert_eq!(e.key.as_deref(), Some("params.deadline_ms"), "{e}");

    let e = load_err(&retry(1.5, 3, 10, r#"["fixed"]"#, "RUNTIMES"));
    assert!(e.message.contains("1.5 is out of range: allowed 0..=1"), "{e}");

    let e = load_err(&retry(0.5, 3, 10, r#"["fixed"]"#, "RUNTIMES").replace("max_delay_ms = 2", "max_delay_ms = 0"));
    assert_eq!(e.key.as_deref(), Some("params.max_delay_ms"), "{e}");

    let e = load_err(&retry(0.5, 3, 10, r#"["linear"]"#, "RUNTIMES"));
    assert!(
        e.message
            .contains("expected one of `fixed`, `exponential`, `full_jitter`"),
        "{e}"
    );
}

#[test]
fn an_unreachable_server_is_counted_as_errors_not_a_panic() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let env = Env {
        server: dead.local_addr().unwrap(),
        workers: Some(2),
    };
    drop(dead);
    let dir = tempfile::tempdir().unwrap();
    let all = r#"["join_all", "as_completed", "select_cancel", "first_keep_running"]"#;
    for (name, text) in [
        ("gather_vs_select", gather("[5, 10]", all)),
        ("retry_backoff", retry(0.5, 2, 3, r#"["fixed"]"#, "RUNTIMES")),
    ] {
        let s = load(dir.path(), name, &text);
        for (label, _, rec) in run_cases(s.as_ref(), &env, 0, 1) {
            assert!(rec.errors.total() > 0, "{label}");
            assert_eq!(rec.latency.len(), 0, "{label}");
        }
    }
}
