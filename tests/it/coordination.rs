//! The coordination scenarios (gather_vs_select, structured, timeout,
//! retry_backoff) on every runtime, through the same `Bench` path as
//! `cargo bench`: select-first is fast and the server sees the losers'
//! connections close; a failing child stops its siblings and nothing outlives
//! the group; a timeout never fires early; retries succeed as often as
//! 1 - p^R says. Each test starts its own server, so `/stats` is its own.

use asyncbench::server::{ServerConfig, TestServer, flaky_fails};

use crate::common::{
    CaseOutcome, ScenarioToml, async_runtimes, env, env_dead_server, env_no_server, run_cases, run_cases_cold,
};

/// gather_vs_select on every runtime: one request per delay, long timeouts.
fn gather(delays_ms: &[u64], variants: &[&str]) -> ScenarioToml {
    ScenarioToml::from_file("gather_vs_select")
        .runtimes(async_runtimes())
        .set("variants", variants)
        .set("params.delays_ms", delays_ms)
        .set("params.timeout_ms", 5000)
        .set("params.cleanup_wait_ms", 2000)
}

/// structured on every runtime: 32 children, one failing after 10 ms, siblings that would work 5 s.
fn structured() -> ScenarioToml {
    ScenarioToml::from_file("structured")
        .runtimes(async_runtimes())
        .set("variants", ["one_fails", "all_succeed"])
        .set("params.children", 32)
        .set("params.fail_after_ms", 10)
        .set("params.sibling_work_ms", 5000)
}

/// timeout on every runtime, 20 timeouts of `deadline_ms` per `fires` batch.
fn timeout(deadline_ms: u64) -> ScenarioToml {
    ScenarioToml::from_file("timeout")
        .runtimes(async_runtimes())
        .set("variants", ["in_time", "fires"])
        .set("params.ops", 256)
        .set("params.chunk", 16)
        .set("params.in_time_deadline_ms", 5000)
        .set("params.fires", 20)
        .set("params.deadline_ms", deadline_ms)
}

/// retry_backoff on every runtime: `calls` calls that fail with probability `p` per attempt.
fn retry(p: f64, attempts: u32, calls: u64, variants: &[&str]) -> ScenarioToml {
    ScenarioToml::from_file("retry_backoff")
        .runtimes(async_runtimes())
        .set("variants", variants)
        .set("params.p", p)
        .set("params.max_attempts", attempts)
        .set("params.base_delay_ms", 1)
        .set("params.max_delay_ms", 2)
        .set("params.calls", calls)
        .set("params.concurrency", calls.min(50))
        .set("params.seed", 7)
        .set("params.timeout_ms", 5000)
        .set("params.connection", "keepalive")
}

/// (count, min ns, max ns) of an extra metric.
fn extra(o: &CaseOutcome, name: &str) -> (u64, u64, u64) {
    let r = o.extra(name);
    let h = r.histogram();
    (r.len(), h.min(), h.max())
}

#[test]
fn every_case_runs_clean_on_every_runtime() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let all = ["join_all", "as_completed", "select_cancel", "first_keep_running"];
    let files = [
        gather(&[5, 10, 20], &all),
        structured().set("params.sibling_work_ms", 2000),
        timeout(2),
        retry(0.3, 3, 10, &["fixed", "exponential", "full_jitter"]),
    ];
    for file in files {
        let s = file.load();
        let name = s.header().name.clone();
        let results = run_cases(s.as_ref(), &env(&server), 2);
        assert_eq!(results.len(), s.cases().len());
        for o in &results {
            let label = &o.label;
            assert_eq!(o.rec.errors.total(), 0, "{label}");
            assert_eq!(o.rec.batches(), 2, "{label}");
            match (name.as_str(), o.variant.as_str()) {
                ("gather_vs_select", "join_all") => {
                    // gather: the first result reaches the caller with the last.
                    assert!(o.mean_wall_ms() >= 20.0, "{label}");
                    assert_eq!(extra(o, "time_to_first").0, 2, "{label}");
                }
                ("gather_vs_select", _) => assert!(o.mean_wall_ms() >= 5.0, "{label}: faster than min(D)"),
                ("structured", _) => assert_eq!(o.value("tasks_leaked"), 0.0, "{label}"),
                ("timeout", "in_time") => assert!(o.value("wrapped_ns_per_op") > 0.0, "{label}"),
                ("retry_backoff", _) => assert!(o.value("expected_success_rate") > 0.97, "{label}"),
                _ => {}
            }
        }
    }
}

#[test]
fn select_first_is_fast_and_the_server_sees_the_losers_close() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let (fast, slow) = (40.0, 400.0);
    let s = gather(&[40, 400, 450, 500], &["select_cancel"]).load();
    for o in run_cases(s.as_ref(), &env(&server), 2) {
        let (label, first) = (&o.label, o.mean_wall_ms());
        // Never before the fastest delay; well before the second fastest.
        assert!(
            first >= fast && first < 3.0 * fast,
            "{label}: first result after {first} ms"
        );
        assert_eq!(o.value("losers_still_open_after_wait"), 0.0, "{label}");
        let (n, _, max) = extra(&o, "loser_cleanup");
        assert_eq!(n, 2, "{label}: the server saw every batch's losers close");
        // Closed by cancellation, long before the losers would have finished.
        assert!(
            (max as f64) < (slow - fast) * 1e6 / 2.0,
            "{label}: cleanup took {max} ns"
        );
    }

    // Left running, the losers hold their connections until they finish.
    let s = gather(&[40, 400, 450, 500], &["first_keep_running"]).load();
    for o in run_cases_cold(s.as_ref(), &env(&server), 1) {
        let label = &o.label;
        assert!(o.mean_wall_ms() < 3.0 * fast, "{label}");
        let (n, min, _) = extra(&o, "loser_cleanup");
        assert_eq!(n, 1, "{label}");
        assert!(
            min as f64 >= (500.0 - 3.0 * fast) * 1e6,
            "{label}: losers gone after {min} ns"
        );
        let (_, all, _) = extra(&o, "time_to_all");
        assert!(all as f64 >= 500e6, "{label}");
    }
}

#[test]
fn a_failing_child_stops_its_siblings_and_nothing_outlives_the_group() {
    let s = structured().load();
    // No server needed: the group only sleeps.
    for o in run_cases_cold(s.as_ref(), &env_no_server(), 3) {
        let (label, rec) = (&o.label, &o.rec);
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(o.value("tasks_leaked"), 0.0, "{label}: a child outlived its group");
        if o.variant == "one_fails" {
            assert_eq!(o.value("cleanup_guards_run"), 31.0, "{label}: N-1 clean-ups");
            assert_eq!(o.value("siblings_finished"), 0.0, "{label}");
            // The group ends soon after the failure at 10 ms, not when the
            // siblings' 5 s of work would have.
            assert!(o.mean_wall_ms() >= 10.0 && o.mean_wall_ms() < 1000.0, "{label}");
            let (n, _, max) = extra(&o, "failure_to_exit");
            assert_eq!(n, 3, "{label}");
            assert!(max < 1_000_000_000, "{label}: {max} ns from failure to exit");
            assert_eq!(rec.latency.len(), 3 * 31, "{label}: one stop time per sibling");
        } else {
            assert_eq!(rec.latency.len(), 3 * 32, "{label}: every child reported");
            assert!(o.value("ns_per_child") > 0.0, "{label}");
        }
    }
}

#[test]
fn timeouts_never_fire_before_their_deadline() {
    for deadline in [1, 3] {
        let s = timeout(deadline).set("variants", ["fires"]).load();
        for o in run_cases_cold(s.as_ref(), &env_no_server(), 2) {
            let label = &o.label;
            assert_eq!(o.value("fired_early"), 0.0, "{label}");
            assert_eq!(o.rec.errors.total(), 0, "{label}");
            assert_eq!(o.rec.latency.len(), 40, "{label}: every timeout fired and was timed");
            // A batch is 20 deadlines back to back: never shorter than that.
            assert!(o.mean_wall_ms() >= 20.0 * deadline as f64, "{label}");
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
    let (p, r, calls, batches) = (0.5, 3u32, 100u64, 20u64);
    let s = retry(p, r, calls, &["exponential"]).runtimes(["tokio-ct"]).load();
    let o = run_cases_cold(s.as_ref(), &env(&server), batches).remove(0);
    let label = &o.label;
    assert_eq!(o.rec.errors.total(), 0, "{label}");
    let n = (calls * batches) as f64;
    let rate = o.value("success_rate");
    let expected = 1.0 - p.powi(r as i32);
    assert_eq!(o.value("expected_success_rate"), expected);
    // Binomial standard deviation of the rate over n calls; 4σ is about a
    // 1-in-16,000 false alarm.
    let sigma = (expected * (1.0 - expected) / n).sqrt();
    assert!(
        (rate - expected).abs() <= 4.0 * sigma,
        "{label}: {rate} vs {expected} ± {sigma}"
    );

    // Attempts: 1 w.p. 1/2, 2 w.p. 1/4, 3 w.p. 1/4 → mean 1.75, variance 0.6875.
    let attempts = o.value("attempts_per_call");
    assert!((o.value("expected_attempts") - 1.75).abs() < 1e-12);
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
    let s = retry(0.6, 4, 50, &["full_jitter"]).load();
    let mut seen: Option<(f64, f64, f64)> = None;
    for o in run_cases_cold(s.as_ref(), &env(&server), 2) {
        let label = &o.label;
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        let got = (
            o.value("success_rate"),
            o.value("attempts_per_call"),
            o.value("scheduled_wait_ms"),
        );
        // Slept at least what the schedule asked for.
        assert!(o.value("wait_ms") >= got.2, "{label}");
        match seen {
            None => seen = Some(got),
            Some(first) => assert_eq!(first, got, "{label}: same keys and seeds, same outcome"),
        }
    }
}

#[test]
fn bad_parameters_get_located_errors() {
    let file = gather(&[5], &["join_all"]);
    let e = file.load_err();
    assert_eq!(e.key.as_deref(), Some("params.delays_ms"), "{e}");
    assert!(e.message.contains("allowed 2..=1000"), "{e}");
    assert_eq!(e.line, Some(file.line_of("params.delays_ms")), "{e}");

    let e = gather(&[5, 70000], &["join_all"]).load_err();
    assert!(e.message.contains("70000 is out of range: allowed 0..=60000"), "{e}");

    let e = structured().set("params.sibling_work_ms", 15).load_err();
    assert_eq!(e.key.as_deref(), Some("params.sibling_work_ms"), "{e}");
    assert!(e.message.contains("allowed 20..=60000"), "{e}");

    let e = timeout(0).load_err();
    assert_eq!(e.key.as_deref(), Some("params.deadline_ms"), "{e}");

    let e = retry(1.5, 3, 10, &["fixed"]).load_err();
    assert!(e.message.contains("1.5 is out of range: allowed 0..=1"), "{e}");

    let e = retry(0.5, 3, 10, &["fixed"]).set("params.max_delay_ms", 0).load_err();
    assert_eq!(e.key.as_deref(), Some("params.max_delay_ms"), "{e}");

    let e = retry(0.5, 3, 10, &["linear"]).load_err();
    assert!(
        e.message
            .contains("expected one of `fixed`, `exponential`, `full_jitter`"),
        "{e}"
    );
}

#[test]
fn an_unreachable_server_is_counted_as_errors_not_a_panic() {
    let env = env_dead_server();
    let all = ["join_all", "as_completed", "select_cancel", "first_keep_running"];
    for file in [gather(&[5, 10], &all), retry(0.5, 2, 3, &["fixed"])] {
        let s = file.load();
        for o in run_cases_cold(s.as_ref(), &env, 1) {
            assert!(o.rec.errors.total() > 0, "{}", o.label);
            assert_eq!(o.rec.latency.len(), 0, "{}", o.label);
        }
    }
}
