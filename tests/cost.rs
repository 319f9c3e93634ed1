//! Ground truth for the cost counters (src/measure/cost.rs, alloc.rs): each
//! figure read back from a job whose answer is planted.
//!
//! A binary of its own, not a module of `tests/it`: the counters are
//! process-wide, so the only other threads here must be the ones a test
//! starts. The tests also take one lock so they never overlap each other.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use asyncbench::harness::watchdog::Guarded;
use asyncbench::measure::{Batch, CaseRecord, Cost, cpu};
use asyncbench::runtime::{AsyncFlavor, Runtime};
use asyncbench::scenario::Bench;
use asyncbench::scenario::driver::{AsyncScenario, BlockingBench, async_bench};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const OPS: u64 = 2_000;
const BATCHES: u64 = 5;

/// Runs `bench` through the watchdog as both entry points do (one warm-up
/// call unrecorded, then `BATCHES` recorded ones) and returns its cost per op.
fn cost_of(bench: Box<dyn Bench>, ops_per_batch: u64) -> Cost {
    let mut g = Guarded::new(bench, Duration::from_secs(30)).unwrap();
    g.run(1, false, Duration::from_secs(30)).unwrap();
    for _ in 0..BATCHES {
        g.run(1, true, Duration::from_secs(30)).unwrap();
    }
    let rec: CaseRecord = g.finish().unwrap();
    rec.cost.per_op(ops_per_batch * BATCHES).unwrap()
}

/// One operation: one allocation of exactly `k` bytes, touched and freed.
fn alloc_k(k: usize) {
    let mut v: Vec<u8> = Vec::with_capacity(k);
    v.push(1);
    std::hint::black_box(&v);
}

fn burn_cpu(d: Duration) {
    let t0 = cpu::thread_cpu_time().unwrap();
    while cpu::thread_cpu_time().unwrap() - t0 < d {
        std::hint::black_box(0u64);
    }
}

/// What the harness itself adds per batch (recording, the batch's own
/// bookkeeping), spread over `OPS` operations: documented slack.
const SLACK_ALLOCS: f64 = 0.05;
const SLACK_BYTES: f64 = 64.0;

#[test]
fn k_bytes_per_op_reads_k_on_a_thread() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    for k in [100usize, 4096] {
        let c = cost_of(
            Box::new(BlockingBench(move || {
                let t0 = Instant::now();
                for _ in 0..OPS {
                    alloc_k(k);
                }
                Batch {
                    wall: t0.elapsed(),
                    ..Batch::default()
                }
            })),
            OPS,
        );
        let (allocs, bytes) = (c.allocs_per_op.unwrap(), c.bytes_per_op.unwrap());
        assert!((allocs - 1.0).abs() <= SLACK_ALLOCS, "k={k}: {c:?}");
        assert!((bytes - k as f64).abs() <= SLACK_BYTES, "k={k}: {c:?}");
    }
}

/// The same job as tasks on a runtime's worker threads.
struct AllocTasks(usize);

impl AsyncScenario for AllocTasks {
    type State<R: Runtime> = ();
    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<(), String> {
        Ok(())
    }
    async fn batch<R: Runtime>(&self, rt: &R, _st: &mut ()) -> Batch {
        let k = self.0;
        let t0 = Instant::now();
        // One task allocates every op's K bytes on a worker; spawning it
        // costs a few allocations per batch, far below the slack per op.
        let h = rt.spawn(async move {
            for _ in 0..OPS {
                alloc_k(k);
            }
        });
        let _ = h.await;
        Batch {
            wall: t0.elapsed(),
            ..Batch::default()
        }
    }
}

#[test]
fn k_bytes_per_op_reads_k_on_every_runtime() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    for flavor in AsyncFlavor::ALL {
        let c = cost_of(async_bench(flavor, Some(2), AllocTasks(1000)).unwrap(), OPS);
        let (allocs, bytes) = (c.allocs_per_op.unwrap(), c.bytes_per_op.unwrap());
        assert!((allocs - 1.0).abs() <= SLACK_ALLOCS, "{flavor}: {c:?}");
        assert!((bytes - 1000.0).abs() <= SLACK_BYTES, "{flavor}: {c:?}");
    }
}

#[test]
fn fixed_cpu_burn_reads_that_cpu_per_op() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    const BURN: Duration = Duration::from_millis(2);
    const N: u64 = 20;
    let c = cost_of(
        Box::new(BlockingBench(|| {
            let t0 = Instant::now();
            for _ in 0..N {
                burn_cpu(BURN);
            }
            Batch {
                wall: t0.elapsed(),
                ..Batch::default()
            }
        })),
        N,
    );
    let want = BURN.as_nanos() as f64;
    // Below: never less than what was burnt. Above: the loop's last clock
    // read overshoots by well under 1%; 15% leaves room for the other
    // threads of this process (idle, but not at zero).
    assert!(c.cpu_ns_per_op >= want && c.cpu_ns_per_op <= want * 1.15, "{c:?}");
    // No server ran here, so nothing was subtracted at tick resolution: the split is known.
    let (user, sys) = (
        c.user_ns_per_op.expect("a user split"),
        c.sys_ns_per_op.expect("a sys split"),
    );
    assert!((user + sys - c.cpu_ns_per_op).abs() < 1.0, "{c:?}");
    // Busy on one thread: it kept running, so it hardly ever gave the CPU up.
    assert!(c.voluntary_cs_per_op < 1.0, "{c:?}");
}

#[test]
fn a_thread_that_sleeps_reads_its_voluntary_switches() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    const N: u64 = 50;
    let c = cost_of(
        Box::new(BlockingBench(|| {
            let t0 = Instant::now();
            for _ in 0..N {
                std::thread::sleep(Duration::from_micros(200));
            }
            Batch {
                wall: t0.elapsed(),
                ..Batch::default()
            }
        })),
        N,
    );
    // Each sleep blocks once: at least one voluntary switch per op; the
    // harness's own channel waits add at most a few per batch.
    assert!(c.voluntary_cs_per_op >= 1.0 && c.voluntary_cs_per_op < 1.5, "{c:?}");
}

/// Not a test of its own: the load generator that
/// `server_traffic_does_not_change_the_client_side_counts` runs in a child
/// process (this same binary), so its requests cost this process nothing.
#[test]
fn load_helper() {
    let Ok(addr) = std::env::var("ASYNCBENCH_COST_LOAD_ADDR") else {
        return;
    };
    use asyncbench::client::{BlockingClient, ConnMode};
    let client = BlockingClient::new(addr.parse().unwrap(), ConnMode::KeepAlive, Duration::from_secs(5));
    let t0 = Instant::now();
    let mut ok = 0u32;
    while t0.elapsed() < Duration::from_millis(600) {
        if client.get("/bytes/65536").is_ok_and(|r| r.is_success()) {
            ok += 1;
        }
    }
    println!("served {ok}");
}

#[test]
fn server_traffic_does_not_change_the_client_side_counts() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let server = asyncbench::server::TestServer::start(Default::default()).unwrap();
    let quiet = || {
        Box::new(BlockingBench(|| {
            let t0 = Instant::now();
            std::thread::sleep(Duration::from_millis(100));
            alloc_k(1000);
            Batch {
                wall: t0.elapsed(),
                ..Batch::default()
            }
        }))
    };
    let alone = cost_of(quiet(), 1);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "load_helper", "--nocapture", "--test-threads=1"])
        .env("ASYNCBENCH_COST_LOAD_ADDR", server.addr().to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let p0 = cpu::process_cpu_time().unwrap();
    let busy = cost_of(quiet(), 1);
    let process_cpu = cpu::process_cpu_time().unwrap() - p0;
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let served: u32 = stdout
        .lines()
        .find_map(|l| l.split("served ").nth(1)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count from the load helper: {stdout}"));
    server.shutdown();
    // The server really worked meanwhile (64 KiB bodies, in this process)...
    assert!(served >= 50, "the load helper got only {served} replies");
    assert!(process_cpu > Duration::from_millis(20), "{process_cpu:?}");
    // ...and none of it landed on the side under test: the same allocations (to within a couple
    // of bookkeeping allocations; the server's share would be ≥ 64 KiB per reply, dozens per
    // batch), and CPU of the same order as alone (a sleeping thread: tens of µs).
    let (a, b) = (alone.allocs_per_op.unwrap(), busy.allocs_per_op.unwrap());
    assert!((a - b).abs() <= 2.0, "alone {alone:?}\nbusy {busy:?}");
    let (a, b) = (alone.bytes_per_op.unwrap(), busy.bytes_per_op.unwrap());
    assert!((a - b).abs() <= 1024.0, "alone {alone:?}\nbusy {busy:?}");
    assert!(
        busy.cpu_ns_per_op < alone.cpu_ns_per_op + 2_000_000.0,
        "alone {alone:?}\nbusy {busy:?} (process {process_cpu:?})"
    );
}

/// task_memory's idle tasks: the allocator's bytes per task do not depend on N (no hidden
/// per-N cost), checked at two sizes an order of magnitude apart.
#[test]
fn idle_task_bytes_per_task_agree_across_10k_and_100k() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    use asyncbench::scenario::catalog::task_memory::IdleTasks;
    for flavor in [AsyncFlavor::TokioCt, AsyncFlavor::SmolMt] {
        let per_task = |n: u64| {
            let mut g = Guarded::new(
                async_bench(flavor, Some(2), IdleTasks { n }).unwrap(),
                Duration::from_secs(60),
            )
            .unwrap();
            g.run(1, false, Duration::from_secs(60)).unwrap();
            g.run(1, true, Duration::from_secs(60)).unwrap();
            g.finish().unwrap().value("bytes_per_task_alloc").unwrap()
        };
        let (small, large) = (per_task(10_000), per_task(100_000));
        assert!(small > 0.0, "{flavor}: {small}");
        assert!(
            (large - small).abs() <= 0.10 * small,
            "{flavor}: 10k {small:.1} B/task, 100k {large:.1} B/task"
        );
    }
}
