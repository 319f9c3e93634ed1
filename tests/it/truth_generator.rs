//! Planted answers for the event-loop load generator (src/client/paced.rs):
//! the rate it offers, latency from the intended send (corrected) beside the
//! actual send, its own send lag that excludes waiting for a slow reply, and
//! its CPU per request. Bounds are physical (counts of a fixed schedule, a
//! known server delay), never a timing threshold on this machine's speed.

use std::time::Duration;

use asyncbench::client::sink::Sink;
use asyncbench::client::{PacedGenerator, PacedSpec, PacedWindow};
use asyncbench::measure::placement::CpuSet;
use asyncbench::server::{ServerConfig, TestServer};

fn spec(server: std::net::SocketAddr, path: &str, conns: u64, rate: Option<u64>) -> PacedSpec {
    PacedSpec {
        server,
        path: path.into(),
        connections: conns,
        rate,
        timeout: Duration::from_secs(5),
        window: Duration::from_millis(250),
        threads: Vec::new(),
        spin: Duration::ZERO,
        coalesce: Duration::ZERO,
    }
}

fn windows(g: &mut PacedGenerator, n: usize) -> Vec<PacedWindow> {
    (0..n).map(|_| g.window_blocking().unwrap()).collect()
}

fn p(v: &[Duration], q: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

#[test]
fn it_offers_the_asked_rate_and_every_reply_is_counted_once() {
    let sink = Sink::start(None).unwrap();
    // 2000/s over 4 connections in 250 ms windows: 500 sends per window by the schedule.
    let mut g = PacedGenerator::start(spec(sink.addr(), "/", 4, Some(2000))).unwrap();
    let ws = windows(&mut g, 5);
    drop(g);
    for w in &ws[1..] {
        assert!((450..=550).contains(&w.sent), "window {}: {} sent", w.index, w.sent);
        assert!(w.errors.is_empty());
        assert_eq!(w.send_lag.len() as u64, w.sent);
        // A reply to the sink comes back; corrected ≥ uncorrected for each.
        assert!(w.completed() + 4 >= w.sent && w.completed() <= w.sent + 4);
        assert!(w.cpu > Duration::ZERO && w.max_thread_cpu < 1.0);
    }
    let done: u64 = ws.iter().map(|w| w.completed()).sum();
    // No reply counted that the sink did not write; the sink also answered
    // what was sent between the last cut and the drop (well under 100 ms of it).
    assert!(
        sink.served() >= done && sink.served() < done + 200,
        "{} {done}",
        sink.served()
    );
    assert_eq!(ws.iter().map(|w| w.index).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
}

#[test]
fn a_slow_server_shows_in_corrected_latency_but_not_in_the_generators_own_send_lag() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    // One connection asked for 500/s (every 2 ms) against a 4 ms route: it can
    // complete only ~250/s, so every send is late by the server, not by the generator.
    let mut g = PacedGenerator::start(spec(server.addr(), "/delay/4ms", 1, Some(500))).unwrap();
    let ws = windows(&mut g, 6);
    drop(g);
    let w = &ws[5];
    assert!(w.completed() <= 70, "{} replies of 4 ms in 250 ms", w.completed());
    let unc50 = p(&w.uncorrected, 0.5);
    let cor50 = p(&w.corrected, 0.5);
    assert!(
        unc50 >= Duration::from_millis(4) && unc50 < Duration::from_millis(40),
        "{unc50:?}"
    );
    // A second in, the schedule is ~half a second ahead of the replies: the
    // corrected histogram counts that queue (coordinated omission).
    assert!(cor50 > Duration::from_millis(300), "{cor50:?}");
    // The sends went out the moment the connection came free: the lag the
    // server caused (hundreds of ms) is not the generator's.
    let lag50 = p(&w.send_lag, 0.5);
    assert!(lag50 < Duration::from_millis(2), "own send lag {lag50:?}");
}

#[test]
fn several_threads_offer_one_schedule_between_them() {
    let sink = Sink::start(None).unwrap();
    let allowed = CpuSet::allowed().unwrap();
    let cpu = allowed.cpus()[0];
    let mut s = spec(sink.addr(), "/", 6, Some(2400));
    s.threads = vec![Some(CpuSet::new([cpu])), None, None];
    let mut g = PacedGenerator::start(s).unwrap();
    assert_eq!(g.threads(), 3);
    assert_eq!(g.placed_on[0], Some(CpuSet::new([cpu])));
    let ws = windows(&mut g, 4);
    for w in &ws[1..] {
        // 2400/s × 250 ms = 600, whichever thread sent them.
        assert!((540..=660).contains(&w.sent), "{}", w.sent);
    }
}

#[test]
fn a_pinned_generator_with_spin_sleeps_between_sparse_sends_and_reports_the_machines_share() {
    let sink = Sink::start(None).unwrap();
    let cpu = CpuSet::allowed().unwrap().cpus()[0];
    // 400/s over 2 connections: a send every 2.5 ms, 100 per 250 ms window,
    // each far beyond the 25 µs spin, so the loop must sleep between them.
    let mut s = spec(sink.addr(), "/", 2, Some(400));
    s.threads = vec![Some(CpuSet::new([cpu]))];
    s.spin = asyncbench::client::paced::DEFAULT_SPIN;
    let mut g = PacedGenerator::start(s).unwrap();
    let ws = windows(&mut g, 4);
    drop(g);
    for w in &ws[1..] {
        assert!((90..=110).contains(&w.sent), "{}", w.sent);
        // At least one sleep per send (between them) and no hot loop: a
        // send and its reply take a handful of turns, not thousands.
        assert!(
            w.sleeps >= w.sent / 2 && w.sleeps <= 4 * w.sent + 50,
            "{} sleeps for {} sends",
            w.sleeps,
            w.sent
        );
        // A spinning thread would be busy the whole window.
        assert!(w.max_thread_cpu < 0.5, "{}", w.max_thread_cpu);
        // Waiting for a CPU is part of the wall time, never more than it.
        assert!(w.run_queue_wait < 2 * w.span, "{:?}", w.run_queue_wait);
    }
}

/// Planted: a pinned generator whose spin (5 ms) is longer than the gap between its sends
/// (2.5 ms at 400/s) never sleeps, so its CPU share reads near a whole core although its work is
/// a few hundred requests a second. Its busy share (CPU less the spin) is that work, not the
/// spin, so generator-bound (which reads it) does not fire; with no spin the two agree.
#[test]
fn a_generator_spinning_between_sends_is_busy_only_with_its_work() {
    let sink = Sink::start(None).unwrap();
    let cpu = CpuSet::allowed().unwrap().cpus()[0];
    let run = |spin| {
        let mut s = spec(sink.addr(), "/", 2, Some(400));
        s.threads = vec![Some(CpuSet::new([cpu]))];
        s.spin = spin;
        let mut g = PacedGenerator::start(s).unwrap();
        let ws = windows(&mut g, 4);
        drop(g);
        ws
    };
    for w in &run(Duration::from_millis(5))[1..] {
        assert!((90..=110).contains(&w.sent), "{}", w.sent);
        // It spun between sends: most of the window (the machine may take some of it).
        assert!(w.spun > w.span / 2, "spun {:?} of {:?}", w.spun, w.span);
        assert!(w.max_thread_cpu > 0.5, "CPU share {}", w.max_thread_cpu);
        // 100 requests of tens of µs each in 250 ms: a few percent, far from a core.
        assert!(
            w.max_thread_busy < 0.3,
            "busy {} (CPU {})",
            w.max_thread_busy,
            w.max_thread_cpu
        );
        assert!(w.max_thread_busy <= w.max_thread_cpu);
        let lag = asyncbench::sweep::Pcts::default();
        assert!(!asyncbench::sweep::generator_bound(w.max_thread_busy, &lag, false));
    }
    for w in &run(Duration::ZERO)[1..] {
        // Without spin it sleeps between sends: nothing spun, busy is its CPU.
        assert!(w.spun < w.span / 20, "spun {:?} with no spin", w.spun);
        assert!(w.max_thread_cpu - w.max_thread_busy < 0.05);
    }
}

#[test]
fn closed_loop_sends_on_each_reply_and_bad_targets_fail_at_start() {
    let sink = Sink::start(None).unwrap();
    let mut g = PacedGenerator::start(spec(sink.addr(), "/", 2, None)).unwrap();
    let ws = windows(&mut g, 2);
    drop(g);
    assert!(ws[1].completed() > 100, "closed loop completed {}", ws[1].completed());
    assert!(ws[1].send_lag.is_empty(), "no schedule, so no lag");
    let e = PacedGenerator::start(spec(sink.addr(), "no-slash", 1, Some(10)))
        .err()
        .unwrap();
    assert!(e.contains("no-slash"), "{e}");
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let e = PacedGenerator::start(spec(gone, "/", 1, Some(10))).err().unwrap();
    assert!(e.contains(&gone.to_string()), "{e}");
}

#[test]
fn capacity_never_calls_an_impossible_rate_clean_and_stops_there() {
    use asyncbench::sweep::capacity::{CapacityOpts, measure};
    // 5 M requests/s from one thread is far past any core (wrk does ~200k):
    // it must come out unclean, and the probe must stop after it.
    let o = CapacityOpts {
        threads: vec![None],
        sink_cpus: None,
        connections: 4,
        rates: vec![500, 5_000_000, 10_000_000],
        refine: 0,
        windows: 1,
        window: Duration::from_millis(200),
    };
    let c = measure(&o).unwrap();
    assert_eq!(c.steps.len(), 2, "{c:?}");
    assert!(!c.steps[1].clean);
    assert!(c.highest_clean_rps <= 500);
    assert!(c.steps[1].achieved_rps < 0.99 * 5e6);
    for s in &c.steps {
        assert!(s.cpu_us_per_request > 0.0, "{s:?}");
    }
    assert!(c.line().contains("requests/s"));
    // The line names which generator it measured (`run --rate` prints it beside another's load).
    assert!(c.line().contains("event-loop load generator"), "{}", c.line());
    // The rates double, so the line bounds the limit from above too: the rate that failed.
    assert!(c.line().contains("requests/s, not at 5000000/s"), "{}", c.line());
}

/// Planted: a server that answers after 1 ms, paced at 4000/s over 8 connections (a send every
/// 250 µs, each connection's every 2 ms, so every reply is back before its connection's next
/// send), with sends allowed 800 µs early. Sends go early, never by more than the allowance, each
/// counted once; no latency reads below the planted 1 ms, although a reply to a send that went
/// 800 µs early comes 200 µs after its intended time (latency counts from the actual send then);
/// and the schedule's count is kept. Without the allowance no send goes early.
#[test]
fn coalesced_sends_go_early_within_the_allowance_and_no_latency_beats_the_planted_delay() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let run = |coalesce| {
        let mut s = spec(server.addr(), "/delay/1ms", 8, Some(4000));
        s.coalesce = coalesce;
        let mut g = PacedGenerator::start(s).unwrap();
        let ws = windows(&mut g, 5);
        drop(g);
        ws
    };
    let allowance = Duration::from_micros(800);
    let delay = Duration::from_millis(1);
    for w in &run(allowance)[1..] {
        // 4000/s × 250 ms.
        assert!((900..=1100).contains(&w.sent), "window {}: {} sent", w.index, w.sent);
        assert_eq!(w.send_early.len() as u64, w.sent);
        assert_eq!(w.send_lag.len() as u64, w.sent);
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        let max_early = w.send_early.iter().max().copied().unwrap_or_default();
        assert!(max_early <= allowance, "a send went {max_early:?} early");
        // A wake sends every request due within 800 µs: about three in four go early.
        let early = w
            .send_early
            .iter()
            .filter(|e| **e >= Duration::from_micros(100))
            .count();
        assert!(
            early * 10 >= w.send_early.len(),
            "{early} of {} early",
            w.send_early.len()
        );
        // No send is both early and late.
        assert!(
            w.send_early
                .iter()
                .zip(&w.send_lag)
                .all(|(e, l)| e.is_zero() || l.is_zero())
        );
        let least = w.corrected.iter().min().copied().unwrap();
        assert!(least >= delay, "a latency of {least:?} under the planted {delay:?}");
        assert!(w.corrected.iter().zip(&w.uncorrected).all(|(c, u)| c >= u));
    }
    for w in &run(Duration::ZERO)[1..] {
        assert!((900..=1100).contains(&w.sent), "{}", w.sent);
        assert!(w.send_early.iter().all(Duration::is_zero));
    }
}
