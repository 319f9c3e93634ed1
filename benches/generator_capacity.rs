//! The load generator's cost beside wrk's, in one run on one machine
//! (`cargo bench --bench generator_capacity`; scripts/generator-capacity.sh
//! installs wrk first). Both drive the same near-zero-cost sink
//! (src/client/sink.rs) from the same CPU, the sink on another:
//!
//! - wrk -t1 closed loop: its CPU (getrusage of the child) per request, at
//!   its full rate and at 1-8 connections, slower rates at which it sleeps
//!   between replies as a paced client must; each paced row is set beside
//!   the slowest wrk run at least as fast (like rate), and beside the full one;
//! - the event-loop generator closed loop (like with like), then paced at
//!   fixed rates (what the sweep uses): CPU per request and own send lag;
//! - its capacity probe (highest clean rate).
//!
//! A benchmark, not a test: it prints figures and judges nothing by time.
//! CPU is thread CPU time (the generator's threads; wrk's getrusage), which
//! load from other processes disturbs less than wall time. Beside each paced
//! row: the generator's sleeps per request, and what the machine took from
//! it, time runnable but waiting for a CPU (schedstat's run-queue wait, as a
//! share of wall) and involuntary switches per second; then per-window lag
//! p99.9 against run-queue wait, so a loaded run's tail can be told from the
//! generator's own. Pass/fail of issue 22's acceptance needs a quiet machine.
//!
//! With GEN_TARGET=host:port (scripts/oha-check.sh) it only paces GET
//! GEN_PATH at each of GEN_RATES against that server and prints one JSON
//! line per rate: corrected p50/p99 (µs), achieved rate, errors, and, paced
//! with the first of GEN_COALESCE_US, the share of sends that went early and
//! how early (p50/p99).
//! Environment: GEN_SECS (default 3), GEN_CONNECTIONS (16), GEN_RATES
//! ("10000,30000,60000"), GEN_SPIN_US (the paced runs' spin, default
//! `DEFAULT_SPIN`; comma-separated values run each rate once per spin),
//! GEN_COALESCE_US (the coalescing allowance, default `DEFAULT_COALESCE`;
//! comma-separated values run each rate and spin once per allowance).

use std::process::Command;
use std::time::Duration;

use asyncbench::client::paced::{DEFAULT_COALESCE, DEFAULT_SPIN};
use asyncbench::client::sink::Sink;
use asyncbench::client::{PacedGenerator, PacedSpec};
use asyncbench::measure::placement::CpuSet;
use asyncbench::sweep::capacity::{self, CapacityOpts, WrkRun, like_rate};

/// Issue 22's acceptance is stated at this rate (CPU per request ≤ 1.5× wrk's, send lag p99.9 ≤ 100 µs).
const ACCEPTANCE_RATE: u64 = 30_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn children_cpu() -> Duration {
    // SAFETY: a valid, writable rusage; RUSAGE_CHILDREN counts waited-for children.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// wrk -t1 against `addr` on `cpu`: (requests, CPU per request µs), or why not.
fn wrk(addr: std::net::SocketAddr, cpu: Option<usize>, conns: u64, secs: u64) -> Result<(u64, f64), String> {
    let before = children_cpu();
    let mut cmd = match cpu {
        Some(c) => {
            let mut t = Command::new("taskset");
            t.args(["-c", &c.to_string(), "wrk"]);
            t
        }
        None => Command::new("wrk"),
    };
    let out = cmd
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            &format!("http://{addr}/"),
        ])
        .output()
        .map_err(|e| format!("wrk not runnable ({e}); install it: apt-get install wrk"))?;
    let cpu_used = children_cpu().saturating_sub(before);
    if !out.status.success() {
        // Through taskset, a missing wrk is taskset's failure ("failed to execute wrk").
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim().lines().last().unwrap_or("no message");
        return Err(format!(
            "wrk failed ({}: {err}); install it: apt-get install wrk, or run scripts/generator-capacity.sh",
            out.status
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // "  123456 requests in 3.00s, ..."
    let n = text
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .and_then(|(n, _)| n.parse::<u64>().ok())
        })
        .ok_or_else(|| format!("no request count in wrk's output ({:?})", text.trim()))?;
    Ok((n, cpu_used.as_secs_f64() * 1e6 / n.max(1) as f64))
}

/// wrk's connection counts below the full one: at 1-4 connections wrk runs at roughly 10-50k
/// requests/s against the sink on a 2-core VM, the paced rates the acceptance names.
const WRK_CURVE: [u64; 5] = [1, 2, 3, 4, 8];

struct Run {
    sent: u64,
    achieved: f64,
    cpu_us: f64,
    /// CPU less the time spent spinning for a due send, per request sent.
    busy_us: f64,
    share: f64,
    lag: Vec<Duration>,
    early: Vec<Duration>,
    sleeps: u64,
    /// Run-queue wait as a share of wall, involuntary switches per second.
    waited: f64,
    preempted: f64,
    /// Per window: (send lag p99.9 µs, run-queue wait µs, involuntary switches).
    windows: Vec<(f64, f64, u64)>,
}

fn ours(
    addr: std::net::SocketAddr,
    cpu: Option<usize>,
    conns: u64,
    rate: Option<u64>,
    secs: u64,
    spin: Duration,
    coalesce: Duration,
) -> Result<Run, String> {
    let window = Duration::from_millis(500);
    let mut g = PacedGenerator::start(PacedSpec {
        server: addr,
        path: "/".into(),
        connections: conns,
        rate,
        timeout: Duration::from_secs(2),
        window,
        threads: vec![cpu.map(|c| CpuSet::new([c]))],
        spin,
        coalesce,
    })?;
    g.window_blocking()?;
    let n = (secs * 2).max(1);
    let mut r = Run {
        sent: 0,
        achieved: 0.0,
        cpu_us: 0.0,
        busy_us: 0.0,
        share: 0.0,
        lag: Vec::new(),
        early: Vec::new(),
        sleeps: 0,
        waited: 0.0,
        preempted: 0.0,
        windows: Vec::new(),
    };
    let (mut cpu_t, mut done, mut wait, mut switches) = (Duration::ZERO, 0u64, Duration::ZERO, 0u64);
    let mut busy_t = Duration::ZERO;
    for _ in 0..n {
        let mut w = g.window_blocking()?;
        r.sent += w.sent;
        done += w.completed();
        cpu_t += w.cpu;
        busy_t += w.cpu.saturating_sub(w.spun);
        r.sleeps += w.sleeps;
        wait += w.run_queue_wait;
        switches += w.involuntary_switches;
        r.share = r.share.max(w.max_thread_cpu);
        w.send_lag.sort();
        r.windows.push((
            q(&w.send_lag, 99.9),
            w.run_queue_wait.as_secs_f64() * 1e6,
            w.involuntary_switches,
        ));
        r.lag.extend(w.send_lag);
        r.early.extend(w.send_early);
    }
    let wall = window.as_secs_f64() * n as f64;
    r.achieved = done as f64 / wall;
    r.cpu_us = cpu_t.as_secs_f64() * 1e6 / r.sent.max(1) as f64;
    r.busy_us = busy_t.as_secs_f64() * 1e6 / r.sent.max(1) as f64;
    r.waited = wait.as_secs_f64() / wall;
    r.preempted = switches as f64 / wall;
    r.lag.sort();
    r.early.sort();
    Ok(r)
}

/// Corrected latency percentiles of GET `path` paced at `rate` (one warm-up window dropped).
fn latencies(
    addr: std::net::SocketAddr,
    path: &str,
    cpu: Option<usize>,
    conns: u64,
    rate: u64,
    secs: u64,
    coalesce: Duration,
) -> Result<String, String> {
    let window = Duration::from_millis(500);
    let mut g = PacedGenerator::start(PacedSpec {
        server: addr,
        path: path.into(),
        connections: conns,
        rate: Some(rate),
        timeout: Duration::from_secs(5),
        window,
        threads: vec![cpu.map(|c| CpuSet::new([c]))],
        spin: DEFAULT_SPIN,
        coalesce,
    })?;
    g.window_blocking()?;
    let (mut lat, mut sent_lat, mut early, mut errors) = (Vec::new(), Vec::new(), Vec::new(), 0u64);
    let n = (secs * 2).max(1);
    for _ in 0..n {
        let w = g.window_blocking()?;
        lat.extend(w.corrected);
        sent_lat.extend(w.uncorrected);
        early.extend(w.send_early);
        errors += w.errors.total();
    }
    let achieved = lat.len() as f64 / (window.as_secs_f64() * n as f64);
    lat.sort();
    sent_lat.sort();
    early.sort();
    let early_share = early.iter().filter(|e| !e.is_zero()).count() as f64 / early.len().max(1) as f64;
    Ok(format!(
        "{{\"rate\": {rate}, \"achieved\": {achieved:.1}, \"p50_us\": {:.1}, \"p99_us\": {:.1}, \
         \"sent_p50_us\": {:.1}, \"sent_p99_us\": {:.1}, \"coalesce_us\": {}, \"early_share\": {early_share:.3}, \
         \"early_p50_us\": {:.1}, \"early_p99_us\": {:.1}, \"errors\": {errors}}}",
        q(&lat, 50.0),
        q(&lat, 99.0),
        q(&sent_lat, 50.0),
        q(&sent_lat, 99.0),
        coalesce.as_micros(),
        q(&early, 50.0),
        q(&early, 99.0)
    ))
}

fn q(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 * p / 100.0).ceil() as usize).clamp(1, v.len()) - 1].as_secs_f64() * 1e6
}

fn main() {
    // `cargo test --benches` / `--all-targets` builds this; only a real bench run measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("generator_capacity: run with `cargo bench --bench generator_capacity`");
        return;
    }
    // `cargo bench -- FILTER` and `-- --quick` reach every bench target: a filter that does not
    // name this one, or quick mode, leaves the generator's figures out (one line says so).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.iter().any(|a| a == "--quick")
        || (!filters.is_empty() && !filters.iter().any(|f| "generator_capacity".contains(f)))
    {
        eprintln!(
            "generator_capacity: skipped (a filter or --quick); `cargo bench --bench generator_capacity` runs it"
        );
        return;
    }
    let secs = env_u64("GEN_SECS", 3);
    let conns = env_u64("GEN_CONNECTIONS", 16);
    let micros = |name: &str, default: Duration| -> Vec<Duration> {
        match std::env::var(name) {
            Ok(v) => v
                .split(',')
                .map(|s| s.trim().parse().map(Duration::from_micros))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|_| panic!("{name}={v:?}: microseconds, comma-separated")),
            Err(_) => vec![default],
        }
    };
    let spins = micros("GEN_SPIN_US", DEFAULT_SPIN);
    let coalesces = micros("GEN_COALESCE_US", DEFAULT_COALESCE);
    let rates: Vec<u64> = std::env::var("GEN_RATES")
        .unwrap_or_else(|_| "10000,30000,60000".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    if let Ok(target) = std::env::var("GEN_TARGET") {
        let addr: std::net::SocketAddr = target.parse().expect("GEN_TARGET is host:port");
        let path = std::env::var("GEN_PATH").unwrap_or_else(|_| "/".into());
        let cpu = std::env::var("GEN_CPU").ok().and_then(|c| c.parse().ok());
        for &rate in &rates {
            match latencies(addr, &path, cpu, conns, rate, secs, coalesces[0]) {
                Ok(line) => println!("{line}"),
                Err(e) => println!("{{\"rate\": {rate}, \"error\": {e:?}}}"),
            }
        }
        return;
    }
    let allowed = CpuSet::allowed().expect("the CPU mask is readable");
    let cpus = allowed.cpus();
    // The generator (and wrk) on the last CPU, the sink on the first, where there are two.
    let (gen_cpu, sink_cpu) = if cpus.len() >= 2 {
        (Some(cpus[cpus.len() - 1]), Some(cpus[0]))
    } else {
        (None, None)
    };
    let sink = Sink::start(sink_cpu.map(|c| CpuSet::new([c]))).expect("the sink starts");
    let addr = sink.addr();
    println!(
        "generator capacity: sink on CPU {sink_cpu:?}, clients on CPU {gen_cpu:?}, {conns} connections, {secs} s each; load average {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!(
        "| client | mode | requests/s | CPU share | CPU µs/request | × wrk | of it not spinning, µs/request | own send lag p50 / p99 / p99.9 µs | sent early p50 / p99 µs | sleeps/request | run-queue wait | preemptions/s |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |");
    // wrk at its full rate (`conns` connections), then at fewer connections: slower, so it
    // sleeps between replies as a paced client must, and its CPU per request rises with that.
    let mut wrk_runs: Vec<WrkRun> = Vec::new();
    let mut wrk_conns = vec![conns];
    wrk_conns.extend(WRK_CURVE.iter().copied().filter(|&c| c < conns));
    for c in wrk_conns {
        match wrk(addr, gen_cpu, c, secs) {
            Ok((n, cpu_us)) => {
                let run = WrkRun {
                    conns: c,
                    rate: n as f64 / secs as f64,
                    cpu_us,
                };
                println!(
                    "| wrk -t1 -c{c} | closed loop | {:.0} | — | {cpu_us:.2} | {} | — | — | — | — | — | — |",
                    run.rate,
                    wrk_runs
                        .first()
                        .map_or("1.00".into(), |w: &WrkRun| format!("{:.2}", cpu_us / w.cpu_us)),
                );
                wrk_runs.push(run);
            }
            Err(e) => {
                println!("| wrk -t1 -c{c} | closed loop | — | — | — | — | — | {e} | — | — | — | — |");
                break;
            }
        }
    }
    let wrk_cost = wrk_runs.first().map(|w| w.cpu_us);
    let ratio = |c: f64| wrk_cost.map_or("—".to_string(), |w| format!("{:.2}", c / w));
    let mut modes: Vec<(Option<u64>, Duration, Duration)> = vec![(None, Duration::ZERO, Duration::ZERO)];
    for &r in &rates {
        for &s in &spins {
            modes.extend(coalesces.iter().map(|&c| (Some(r), s, c)));
        }
    }
    let (mut details, mut verdicts, mut tails, mut likes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (rate, spin, coalesce) in modes {
        let mode = rate.map_or("closed loop".to_string(), |r| {
            format!(
                "paced {r}/s, spin {} µs, coalesce {} µs",
                spin.as_micros(),
                coalesce.as_micros()
            )
        });
        let defaults = spin == DEFAULT_SPIN && coalesce == DEFAULT_COALESCE;
        match ours(addr, gen_cpu, conns, rate, secs, spin, coalesce) {
            Ok(r) => {
                println!(
                    "| asyncbench event loop | {mode} | {:.0} | {:.0}% | {:.2} | {} | {:.2} | {} | {} | {:.2} | {:.1}% | {:.0} |",
                    r.achieved,
                    r.share * 100.0,
                    r.cpu_us,
                    ratio(r.cpu_us),
                    r.busy_us,
                    if rate.is_some() {
                        format!(
                            "{:.0} / {:.0} / {:.0}",
                            q(&r.lag, 50.0),
                            q(&r.lag, 99.0),
                            q(&r.lag, 99.9)
                        )
                    } else {
                        "—".into()
                    },
                    if rate.is_some() {
                        format!("{:.0} / {:.0}", q(&r.early, 50.0), q(&r.early, 99.0))
                    } else {
                        "—".into()
                    },
                    r.sleeps as f64 / r.sent.max(1) as f64,
                    r.waited * 100.0,
                    r.preempted,
                );
                // The wrk run at a like rate, found once for the list and the acceptance line.
                let like = rate.and_then(|r| like_rate(&wrk_runs, r as f64));
                if let Some(like) = like {
                    likes.push(format!(
                        "- {mode}: {:.2} µs against wrk -c{} at {:.0}/s, {:.2} µs: {:.2}×",
                        r.cpu_us,
                        like.conns,
                        like.rate,
                        like.cpu_us,
                        r.cpu_us / like.cpu_us
                    ));
                }
                if rate == Some(ACCEPTANCE_RATE)
                    && let Some(w) = wrk_cost
                {
                    // One machine-readable line for scripts/generator-capacity.sh to judge.
                    verdicts.push(format!(
                        "acceptance-figures rate={ACCEPTANCE_RATE} achieved={:.0} spin_us={} coalesce_us={} defaults={defaults} cpu_us={:.2} cpu_x_wrk={:.3} wrk_like_conns={} wrk_like_rate={:.0} cpu_x_wrk_like_rate={:.3} send_lag_p999_us={:.1} send_early_p99_us={:.1} run_queue_wait_share={:.4}",
                        r.achieved,
                        spin.as_micros(),
                        coalesce.as_micros(),
                        r.cpu_us,
                        r.cpu_us / w,
                        like.map_or(0, |l| l.conns),
                        like.map_or(0.0, |l| l.rate),
                        like.map_or(f64::NAN, |l| r.cpu_us / l.cpu_us),
                        q(&r.lag, 99.9),
                        q(&r.early, 99.0),
                        r.waited
                    ));
                }
                if rate.is_some() {
                    // A quiet machine's timer wake is ≤ ~200 µs late; a lag of 1 ms or more
                    // is the thread waiting for a CPU (a scheduler tick here is 4 ms).
                    let long: Vec<f64> = r
                        .lag
                        .iter()
                        .filter(|l| **l >= Duration::from_millis(1))
                        .map(Duration::as_secs_f64)
                        .collect();
                    let total: f64 = r.lag.iter().map(Duration::as_secs_f64).sum();
                    tails.push(format!(
                        "- {mode}: {} of {} sends ({:.2}%) lagged ≥ 1 ms, {:.0}% of all send lag",
                        long.len(),
                        r.lag.len(),
                        100.0 * long.len() as f64 / r.lag.len().max(1) as f64,
                        // fold from +0.0: `sum` of no f64 is -0.0 (the additive identity), printed "-0%".
                        100.0 * long.iter().fold(0.0, |a, b| a + b) / total.max(1e-12)
                    ));
                    details.push((mode, r.windows));
                }
            }
            Err(e) => println!("| asyncbench event loop | {mode} | — | — | — | — | — | {e} | — | — | — | — |"),
        }
    }
    println!("\nper 500 ms window: own send lag p99.9 µs (run-queue wait µs, preemptions)");
    for (mode, ws) in details {
        let cells: Vec<String> = ws
            .iter()
            .map(|(lag, wait, n)| format!("{lag:.0} ({wait:.0}, {n})"))
            .collect();
        println!("- {mode}: {}", cells.join(" · "));
    }
    println!("\nsends lagging ≥ 1 ms (descheduled: far past any timer's lateness)");
    for t in &tails {
        println!("{t}");
    }
    println!(
        "\npaced CPU per request beside wrk's at the slowest of its rates that is at least as fast \
         (a client running faster sleeps less per request, so this wrk is no dearer than one at the \
         paced rate would be)"
    );
    for l in &likes {
        println!("{l}");
    }
    for v in &verdicts {
        println!("{v}");
    }
    drop(sink);
    let c = capacity::measure(&CapacityOpts::quick(
        vec![gen_cpu.map(|c| CpuSet::new([c]))],
        sink_cpu.map(|c| CpuSet::new([c])),
    ));
    match c {
        Ok(c) => println!("\n{}", c.line()),
        Err(e) => println!("\ncapacity probe failed: {e}"),
    }
}
