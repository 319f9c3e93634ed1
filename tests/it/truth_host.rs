//! Planted answers for the host canary (src/measure/canary.rs) and the sweep's rule that reads it
//! (src/sweep/knee.rs): a stall planted on the machine's CPUs is seen by the canary and makes a
//! step host-disturbed whatever the server's figures, while a server saturated on a quiet host
//! still fails. The stall is planted the way a host makes one: a thread of higher real-time
//! priority takes every CPU for tens of milliseconds, so it needs `SCHED_FIFO` (root or
//! CAP_SYS_NICE); without it those tests say so and return. Bounds are physical (the planted
//! stall's length), never this machine's speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use asyncbench::measure::canary::Canary;
use asyncbench::measure::placement::{self, CpuSet};
use asyncbench::sweep::knee::{self, Limit, Point, Verdict};

const SLO: Duration = Duration::from_millis(10);
const BOUND: Duration = Duration::from_millis(100);

/// Whether this process may make a thread `SCHED_FIFO`.
fn may_run_realtime() -> bool {
    let ok = std::thread::spawn(|| {
        let p = libc::sched_param { sched_priority: 1 };
        // SAFETY: 0 is the calling thread; valid sched_param.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &p) == 0 }
    })
    .join()
    .unwrap_or(false);
    if !ok {
        eprintln!("skipped: SCHED_FIFO not permitted here, so no host stall can be planted");
    }
    ok
}

/// A planted host stall: on the last allowed CPU (the canary watches every CPU; the other stays
/// free for the tests running beside this one) a `SCHED_FIFO` thread above the canary's priority
/// spins `stall` every `every`, until dropped.
struct Staller {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// No stall-sensitive test runs beside a planted stall (`common::HOST_STALL`).
    _quiet: std::sync::MutexGuard<'static, ()>,
}

impl Staller {
    fn start(stall: Duration, every: Duration) -> Staller {
        let quiet = crate::common::host_stall_lock();
        let stop = Arc::new(AtomicBool::new(false));
        let cpus = CpuSet::allowed().unwrap();
        let threads = cpus
            .cpus()
            .last()
            .into_iter()
            .map(|&c| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let _ = placement::pin_current_thread(&CpuSet::new([c]));
                    let p = libc::sched_param { sched_priority: 50 };
                    // SAFETY: as above.
                    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &p) };
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(every);
                        let t0 = Instant::now();
                        while t0.elapsed() < stall {
                            std::hint::spin_loop();
                        }
                    }
                })
            })
            .collect();
        Staller {
            stop,
            threads,
            _quiet: quiet,
        }
    }
}

impl Drop for Staller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[test]
fn the_canary_sees_a_planted_stall_of_its_length() {
    if !may_run_realtime() {
        return;
    }
    let canary = Canary::on_process_cpus().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    canary.take();
    {
        let _s = Staller::start(Duration::from_millis(40), Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(400));
    }
    let w = canary.take();
    assert!(w.realtime, "the canary runs SCHED_FIFO where the process may");
    // A 40 ms spin above its priority on its CPU holds a wake back by up to 40 ms: the longest
    // lateness is most of it (a wake due just before the spin ended is held back less).
    let max = Duration::from_nanos(w.lateness.max());
    assert!(max >= Duration::from_millis(30), "canary max lateness {max:?}");
}

fn point(rate: u64, achieved: f64, p99_ms: f64, canary_max: Duration) -> Point {
    Point {
        rate,
        achieved,
        p99: Duration::from_secs_f64(p99_ms / 1000.0),
        errors: 0,
        generator_bound: false,
        host_disturbed: knee::host_disturbed(canary_max, SLO),
    }
}

#[test]
fn a_planted_canary_stall_makes_a_step_host_disturbed_whatever_the_server_did() {
    let stall = Duration::from_millis(30);
    let quiet = Duration::from_micros(150);
    // The rule reads the canary alone: a fine step, one over the SLO and one saturated are all
    // host-disturbed under the same stall.
    for (achieved, p99_ms) in [(8000.0, 0.4), (8000.0, 25.0), (4000.0, 200.0)] {
        let p = point(8000, achieved, p99_ms, stall);
        assert_eq!(Verdict::of(&p, SLO, BOUND), Verdict::HostDisturbed, "{p:?}");
    }
    // Just under the SLO is not a stall of its size.
    assert!(!knee::host_disturbed(SLO - Duration::from_micros(1), SLO));
    assert!(knee::host_disturbed(SLO, SLO));
    // A real saturation on a quiet host still fails the step and stops the sweep.
    let sat = point(64_000, 40_000.0, 250.0, quiet);
    assert_eq!(Verdict::of(&sat, SLO, BOUND), Verdict::Saturated);
    let over = point(32_000, 32_000.0, 25.0, quiet);
    assert_eq!(Verdict::of(&over, SLO, BOUND), Verdict::OverSlo);
    // A disturbed repeat does not vote: one disturbed and two passes is a pass; two disturbed
    // and one failure is a failure; only disturbed is host-disturbed (neither pass nor fail).
    use Verdict::*;
    assert_eq!(knee::decide(&[HostDisturbed, Pass, Pass]), Pass);
    assert_eq!(knee::decide(&[HostDisturbed, HostDisturbed, OverSlo]), OverSlo);
    assert_eq!(knee::decide(&[HostDisturbed, HostDisturbed]), HostDisturbed);
}

/// Three repeats over `rates`: a server of capacity 40,000/s (p99 0.4 ms up to 32,000/s, then
/// saturated); `stalled` lists the (repeat, rate) steps during which the host stalled 30 ms,
/// which pushed their p99 past the SLO. As the sweep does, a disturbed step is followed by its
/// retry under the same repeat, which the host left alone.
fn sweep_with_stalls(stalled: &[(u32, u64)]) -> knee::Knee {
    let rates = [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000];
    let quiet = Duration::from_micros(150);
    let mut pts = Vec::new();
    for repeat in 0..3 {
        for &rate in &rates {
            let (achieved, p99): (f64, f64) = if rate > 40_000 {
                (40_000.0, 300.0)
            } else {
                (rate as f64, 0.4)
            };
            if stalled.contains(&(repeat, rate)) {
                pts.push((repeat, point(rate, achieved, p99.max(30.0), Duration::from_millis(30))));
            }
            pts.push((repeat, point(rate, achieved, p99, quiet)));
        }
    }
    knee::knee_over_repeats(&pts, SLO, BOUND)
}

#[test]
fn host_stalls_move_neither_the_knee_nor_its_interval() {
    let clean = sweep_with_stalls(&[]);
    assert_eq!(
        (clean.rate, clean.first_fail, clean.limit),
        (32_000, Some(64_000), Limit::Server)
    );
    assert_eq!(clean.interval(), (32_000, Some(64_000)));
    // The two sweeps: stalls at 32,000/s in two of three repeats (which used to fail
    // the rate), and one at 8,000/s in one repeat (which used to pull the interval down to it).
    for stalls in [&[(0, 32_000), (2, 32_000)][..], &[(1, 8000)][..]] {
        let k = sweep_with_stalls(stalls);
        assert_eq!(k, clean, "stalls {stalls:?}");
        assert!(k.agrees_with(&clean));
    }
    // A repeat whose every attempt at 32,000/s was disturbed says nothing about that rate: the
    // other repeats decide it, and the interval stays where they put it.
    let rates = [16_000, 32_000, 64_000];
    let mut pts = Vec::new();
    for repeat in 0..3 {
        for rate in rates {
            let (achieved, p99): (f64, f64) = if rate > 40_000 {
                (40_000.0, 300.0)
            } else {
                (rate as f64, 0.4)
            };
            let canary = if (repeat, rate) == (1, 32_000) {
                Duration::from_millis(30)
            } else {
                Duration::from_micros(150)
            };
            pts.push((repeat, point(rate, achieved, p99, canary)));
        }
    }
    let k = knee::knee_over_repeats(&pts, SLO, BOUND);
    assert_eq!((k.rate, k.interval()), (32_000, (32_000, Some(64_000))));
}

fn sweep(args: &[&str], results: &std::path::Path) -> asyncbench::sweep::output::SweepReport {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .arg("sweep")
        .args(args)
        .args([
            "--step-secs",
            "1",
            "--refine",
            "0",
            "--repeats",
            "1",
            "--quiet",
            "--results",
        ])
        .arg(results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    serde_json::from_slice(&std::fs::read(dir.join("sweep.json")).unwrap()).unwrap()
}

#[test]
fn a_sweep_under_a_planted_host_stall_calls_its_steps_host_disturbed_and_runs_them_again() {
    if !may_run_realtime() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // 30 ms of every ~280 ms taken from a CPU: each 1-second measured window holds stalls past
    // the 10 ms SLO, at a rate (200/s) any server keeps up with.
    let rep = {
        let _s = Staller::start(Duration::from_millis(30), Duration::from_millis(250));
        sweep(
            &["--runtime", "smol-ct", "--start-rate", "200", "--max-rate", "200"],
            tmp.path(),
        )
    };
    assert_eq!(rep.schema_version, 5);
    let r = &rep.runtimes[0];
    // Every attempt was disturbed: the repeat ran 1 + HOST_RETRIES times, none of them voted.
    assert_eq!(r.steps.len() as u32, 1 + knee::HOST_RETRIES, "{:?}", r.steps);
    for (i, st) in r.steps.iter().enumerate() {
        let c = st.host_canary.expect("the canary's figure");
        assert!(c.lateness.max_us >= SLO.as_secs_f64() * 1e6, "{st:?}");
        assert!(st.host_disturbed && st.verdict == Verdict::HostDisturbed, "{st:?}");
        assert_eq!((st.repeat, st.attempt), (0, i as u32));
    }
    assert_eq!(r.rates[0].verdict, Verdict::HostDisturbed);
    assert_eq!(r.knee.rate, 0);
}

#[test]
fn a_server_saturated_on_a_quiet_host_still_fails() {
    let tmp = tempfile::tempdir().unwrap();
    // /burn/50 on one thread serves at most 20,000 replies/s: 40,000/s saturates it. The canary
    // runs real-time where it may, so the busy server does not delay it.
    let rep = sweep(
        &[
            "--runtime",
            "tokio-ct",
            "--route",
            "burn",
            "--start-rate",
            "40000",
            "--max-rate",
            "40000",
        ],
        tmp.path(),
    );
    let r = &rep.runtimes[0];
    let slo_us = SLO.as_secs_f64() * 1e6;
    for st in &r.steps {
        // Saturated, it passes nowhere, whatever else the step was.
        assert_ne!(st.verdict, Verdict::Pass, "{st:?}");
        let c = st.host_canary.expect("the canary's figure");
        // A quiet canary never excuses the step: the rule reads only the canary.
        if c.lateness.max_us < slo_us {
            assert_ne!(st.verdict, Verdict::HostDisturbed, "{st:?}");
        }
        // A step the generator kept up with and the host left alone is the server's failure.
        // (Beside a full `cargo test` the generator may be the one late: that step is marked
        // generator-bound, which is not a pass either.)
        if !st.generator_bound && !st.host_disturbed {
            assert!(matches!(st.verdict, Verdict::Saturated | Verdict::OverSlo), "{st:?}");
        }
    }
    assert_ne!(r.rates[0].verdict, Verdict::Pass, "{:?}", r.rates[0]);
    assert_eq!(r.knee.rate, 0, "{:?}", r.knee);
}
