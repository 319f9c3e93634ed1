//! The event-loop hazards made visible: the probes catch a known stall
//! (and stay near zero without one), a thread sleep serialises a one-thread
//! runtime while the runtime's sleep does not, and offloaded CPU work spares
//! the victims that inline CPU work starves. Every case of both scenarios
//! runs on every runtime at a tiny size, through the same `Bench` path as
//! `cargo bench`.

use std::path::Path;
use std::time::{Duration, Instant};

use asyncbench::measure::clock::PreciseTimer;
use asyncbench::measure::probe::Probes;
use asyncbench::runtime::AsyncFlavor;
use asyncbench::scenario::support::cpu_job::Job;
use asyncbench::scenario::{self, CaseRecord, Env, ScenarioDef};
use asyncbench::server::{ServerConfig, TestServer};
use rstest::rstest;

use asyncbench::on_runtime;

const STALL: Duration = Duration::from_millis(100);
const PERIOD: Duration = Duration::from_millis(1);

#[rstest]
fn probes_catch_a_known_stall(#[values(0, 1, 2, 3, 4)] i: usize) {
    on_runtime!(AsyncFlavor::ALL[i], |rt| {
        let clock = PreciseTimer::shared().expect("timer thread");
        rt.block_on(async {
            // Quiet: the probes alone on an idle runtime.
            let probes = Probes::start(rt, &clock, PERIOD);
            rt.sleep(Duration::from_millis(60)).await;
            let quiet = probes.stop().await;
            for (name, p) in [
                ("sched_delay", &quiet.sched_delay),
                ("timer_lateness", &quiet.timer_lateness),
            ] {
                assert!(
                    p.wakes() >= 10,
                    "{:?} {name}: {} wakes in 60 ms",
                    rt.flavor(),
                    p.wakes()
                );
                assert!(p.max() < STALL / 2, "{:?} {name}: max {:?}", rt.flavor(), p.max());
            }

            // Stalled: every worker thread blocked for STALL inside a task,
            // so there is no thread left for the probe. The stall the probe
            // must see is the time all workers were held at once (on
            // multi-thread flavours the blockers start a little apart).
            let probes = Probes::start(rt, &clock, PERIOD);
            rt.sleep(Duration::from_millis(10)).await;
            let blockers: Vec<_> = (0..rt.workers())
                .map(|_| {
                    rt.spawn(async {
                        let t0 = Instant::now();
                        std::thread::sleep(STALL);
                        (t0, Instant::now())
                    })
                })
                .collect();
            let mut held: Vec<(Instant, Instant)> = Vec::new();
            for b in blockers {
                held.push(b.await.expect("blocker joins"));
            }
            rt.sleep(Duration::from_millis(10)).await;
            let stalled = probes.stop().await;
            let all_start = held.iter().map(|h| h.0).max().unwrap();
            let all_end = held.iter().map(|h| h.1).min().unwrap();
            let stall = all_end.saturating_duration_since(all_start);
            assert!(stall >= STALL / 2, "{:?}: the blockers did not overlap", rt.flavor());
            let d = &stalled.sched_delay;
            // The deadline the stall held up was due at most one period
            // after it began.
            assert!(
                d.max() + PERIOD >= stall,
                "{:?}: max sched_delay {:?} < stall {stall:?}",
                rt.flavor(),
                d.max()
            );
            // Every deadline the stall held up is counted, not one.
            let held_up = d.samples.iter().filter(|x| **x >= stall / 4).count();
            assert!(held_up >= 40, "{:?}: {held_up} deadlines held up", rt.flavor());
        });
    });
}

fn tiny(dir: &Path, name: &str, text: &str) -> Box<dyn ScenarioDef> {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"))
}

const SLEEP: &str = r#"scenario = "blocking_sleep"
guide_section = "asyncio.sleep() vs time.sleep()"
runtimes = ["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"]
variants = ["runtime_sleep", "thread_sleep"]
[params]
tasks = 4
sleep_ms = 25
victims = 1
victim_delay_ms = 1
probe_period_ms = 1
timeout_ms = 5000
"#;

const OFFLOAD: &str = r#"scenario = "cpu_offload"
guide_section = "Running blocking code safely"
runtimes = ["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt"]
variants = ["no_load", "inline", "blocking_pool", "rayon", "dedicated_thread"]
[params]
job_kib = 64
job_passes = PASSES
jobs_in_flight = 2
victims = 2
victim_requests = 6
victim_delay_ms = 0
probe_period_ms = 1
timeout_ms = 5000
"#;

struct Outcome {
    variant: String,
    flavor: String,
    mean_wall_ns: f64,
    rec: CaseRecord,
}

impl Outcome {
    fn value(&self, k: &str) -> Option<f64> {
        self.rec.value(k)
    }
    fn victim_p50(&self) -> u64 {
        self.rec.latency.histogram().value_at_quantile(0.5)
    }
}

fn run_all(s: &dyn ScenarioDef, env: &Env, batches: u64) -> Vec<Outcome> {
    let mut out = Vec::new();
    for case in s.cases() {
        let mut bench = s
            .prepare(&case, env)
            .unwrap_or_else(|e| panic!("{} {}: {e}", case.variant, case.flavor));
        let mut rec = CaseRecord::default();
        bench.run(1, None).expect("warm-up batch");
        bench.run(batches, Some(&mut rec)).expect("batches run");
        out.push(Outcome {
            variant: case.variant.clone(),
            flavor: case.flavor.to_string(),
            mean_wall_ns: rec.busy.as_nanos() as f64 / batches as f64,
            rec,
        });
    }
    out
}

fn env(server: &TestServer) -> Env {
    Env {
        server: server.addr(),
        workers: Some(2),
    }
}

/// Every case records victims, a loop-lag row and its values, without errors.
fn check_common(o: &Outcome) {
    let id = format!("{}/{}", o.variant, o.flavor);
    assert_eq!(o.rec.errors.total(), 0, "{id}: errors");
    assert!(!o.rec.latency.is_empty(), "{id}: no victim latency");
    let lag = o
        .rec
        .extra
        .get("sched_delay")
        .unwrap_or_else(|| panic!("{id}: no sched_delay"));
    assert!(!lag.is_empty(), "{id}: the probe never woke");
    assert!(o.value("workers").is_some_and(|w| w >= 1.0), "{id}");
    assert!(!o.rec.extra["timer_lateness"].is_empty(), "{id}: no timer_lateness");
    if let Some(share) = o.value("probe_cpu_share") {
        assert!(share.is_finite() && share >= 0.0, "{id}: {share}");
    }
}

#[test]
fn thread_sleep_serialises_a_one_thread_runtime() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = tiny(dir.path(), "blocking_sleep", SLEEP);
    let results = run_all(s.as_ref(), &env(&server), 2);
    assert_eq!(results.len(), 10);
    let (k, sleep) = (4.0, 25e6);
    for o in &results {
        check_common(o);
        let id = format!("{}/{}", o.variant, o.flavor);
        // Nothing finishes a wait of S in less than S.
        assert!(o.mean_wall_ns >= sleep, "{id}: {} < S", o.mean_wall_ns);
        let one_thread = o.flavor.ends_with("-ct");
        match (o.variant.as_str(), one_thread) {
            ("thread_sleep", true) => {
                assert!(o.mean_wall_ns >= k * sleep, "{id}: {} < K·S", o.mean_wall_ns);
                // The probe could not run during at least one whole sleep.
                let max = o.rec.extra["sched_delay"].histogram().max();
                assert!(max as f64 >= sleep - 1e6, "{id}: loop lag max {max} ns");
            }
            // The waits overlap: far below K·S (physical bound with slack).
            ("runtime_sleep", _) => assert!(o.mean_wall_ns < k * sleep / 2.0, "{id}: {}", o.mean_wall_ns),
            _ => {}
        }
    }
    server.shutdown();
}

/// Passes of a 64 KiB job that take about `target` on this build (debug or
/// release) and machine, so the test's job is long enough to matter.
fn passes_for(target: Duration) -> u64 {
    let (ns, _) = Job::new(64, 4).calibrate(5);
    ((target.as_nanos() as f64 * 4.0 / ns).ceil() as u64).clamp(1, 10_000)
}

#[test]
fn offloaded_cpu_spares_the_victims_that_inline_cpu_starves() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let job = Duration::from_millis(8);
    let text = OFFLOAD.replace("PASSES", &passes_for(job).to_string());
    let s = tiny(dir.path(), "cpu_offload", &text);
    let results = run_all(s.as_ref(), &env(&server), 2);
    assert_eq!(results.len(), 25);
    for o in &results {
        check_common(o);
        let id = format!("{}/{}", o.variant, o.flavor);
        assert_eq!(o.rec.latency.len(), 2 * 2 * 6, "{id}: victims × R per batch");
        if o.variant == "no_load" {
            assert!(o.value("cpu_jobs_per_s").is_none(), "{id}");
            assert!(!o.rec.extra.contains_key("cpu_job"), "{id}");
        } else {
            assert!(o.value("cpu_jobs_per_s").is_some_and(|v| v > 0.0), "{id}");
            assert!(o.value("cpu_job_ns").is_some_and(|v| v > 0.0), "{id}");
            assert!(!o.rec.extra["cpu_job"].is_empty(), "{id}");
        }
    }
    for flavor in ["tokio-ct", "smol-ct"] {
        let get = |v: &str| results.iter().find(|o| o.variant == v && o.flavor == flavor).unwrap();
        let inline = get("inline");
        // On one thread an inline job holds the loop for its whole length:
        // the probe cannot wake during it (physical bound, half for slack).
        let job_ns = inline.value("cpu_job_ns").unwrap();
        let lag_max = inline.rec.extra["sched_delay"].histogram().max() as f64;
        assert!(
            lag_max >= job_ns / 2.0,
            "{flavor}: inline lag max {lag_max} < job {job_ns}"
        );
        // A victim's response waits behind the running job inline; offloaded,
        // the loop is free to take it at once.
        for v in ["blocking_pool", "rayon", "dedicated_thread"] {
            let (i, o) = (inline.victim_p50(), get(v).victim_p50());
            assert!(i > 2 * o, "{flavor}: victims' p50 inline {i} ns is not ≫ {v} {o} ns");
        }
    }
    server.shutdown();
}

#[test]
fn bad_hazard_files_name_the_key_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let load = |text: &str| {
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, text).unwrap();
        match scenario::load_file(&p) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    };
    // A thread-sleep batch on one thread would last K·S = 200 × 100 ms.
    let e = load(
        &SLEEP
            .replace("tasks = 4", "tasks = 200")
            .replace("sleep_ms = 25", "sleep_ms = 100"),
    );
    assert_eq!(e.key.as_deref(), Some("params.tasks"), "{e}");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.to_string().contains("10000 ms"), "{e}");

    let e = load(&SLEEP.replace("probe_period_ms = 1", "probe_period_ms = 0"));
    assert_eq!(e.key.as_deref(), Some("params.probe_period_ms"), "{e}");
    assert!(e.to_string().contains("1..=1000"), "{e}");

    let e = load(&OFFLOAD.replace("PASSES", "1").replace("\"rayon\",", "\"threads\","));
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.to_string().contains("unknown variant `threads`"), "{e}");
    assert!(e.to_string().contains("dedicated_thread"), "{e}");

    let e = load(&OFFLOAD.replace("PASSES", "0"));
    assert_eq!(e.key.as_deref(), Some("params.job_passes"), "{e}");

    let e = load(
        &OFFLOAD
            .replace("PASSES", "1")
            .replace("victim_requests = 6", "victim_requests = 0"),
    );
    assert_eq!(e.key.as_deref(), Some("params.victim_requests"), "{e}");

    let e = load(
        &OFFLOAD
            .replace("PASSES", "1")
            .replace("victims = 2", "victims = 2\nspeed = 3"),
    );
    assert!(e.to_string().contains("speed"), "{e}");
}
