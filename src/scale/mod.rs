//! `asyncbench scale`: how the cost per operation grows with concurrency, per runtime.
//!
//! Each pattern ([`patterns`]) runs at every N of a decade ladder (1, 10, … up to `--max-n` and
//! what the pattern and the open-file limit allow, [`limits`]) on every runtime (and, for the
//! multi-thread runtimes, every worker count asked for). A point is R rounds, each on a fresh
//! runtime ([`round`]), runtimes rotated between rounds so drift falls on all; its value is the
//! mean over rounds with the Student-t interval (`stats::rounds`). [`bend`] reads where each
//! curve leaves its base. `scaling.json` is written by [`output`]; `SCALING.md` and the charts
//! by the report (`report::doc::scaling`), so this module never imports the report.

pub mod bend;
pub mod limits;
pub mod output;
pub mod patterns;
pub mod round;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::runtime::AsyncFlavor;
use crate::stats::rounds::{Round, RoundSummary, summarize};
use bend::{Bend, CurvePoint};
pub use output::{ScalingReport, Settings};
pub use patterns::Pattern;
use round::Plan;

/// Warm-up batches per round (a keep-alive pool fills in its first batch).
pub const WARMUP: u32 = 1;
/// A round (set-up included) past this is a failed point.
pub const ROUND_LIMIT: Duration = Duration::from_secs(60);
/// The largest `--max-n`.
pub const MAX_N: u64 = 1_000_000;

/// What `asyncbench scale` was asked for.
#[derive(Debug, Clone)]
pub struct ScaleOpts {
    pub patterns: Vec<Pattern>,
    pub runtimes: Vec<AsyncFlavor>,
    /// Worker counts for the multi-thread runtimes (the second axis); empty: one per core.
    pub workers: Vec<usize>,
    pub max_n: u64,
    pub rounds: u32,
    pub dir: PathBuf,
    /// A line per point on stderr.
    pub verbose: bool,
    /// The command line, recorded so the run can be reproduced.
    pub command: String,
}

/// A refused point: N and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refused {
    pub n: u64,
    pub why: String,
}

/// One N of one runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Point {
    pub n: u64,
    /// Recorded batches per round.
    pub batches: u32,
    /// The per-operation figure over rounds (each round: the mean of its batches); absent when
    /// the point failed.
    pub value: Option<RoundSummary>,
    /// CPU of the side under test per operation, ns, over rounds.
    pub cpu_ns_per_op: Option<RoundSummary>,
    /// Live heap bytes per task while the N waited (idle tasks, with allocation counting on).
    pub bytes_per_task: Option<RoundSummary>,
    /// Why the point failed ("failed at N"): an error in a batch, a set-up that failed, a round
    /// past its limit. A failed point is never drawn as a value.
    pub failure: Option<String>,
}

/// One curve: a runtime (at one worker count) over N.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Series {
    pub runtime: String,
    /// Threads that run tasks (1 for the current-thread flavours).
    pub workers: usize,
    /// The name tables and charts show (`tokio-mt w1` where several worker counts ran).
    pub label: String,
    pub points: Vec<Point>,
    pub bend: Bend,
}

impl Series {
    /// The first failed point, if any: the series stopped there.
    pub fn failed_at(&self) -> Option<&Point> {
        self.points.iter().find(|p| p.failure.is_some())
    }
}

/// One pattern's curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PatternResult {
    pub pattern: Pattern,
    pub title: String,
    /// The per-operation figure and its unit.
    pub figure: String,
    /// The figure's ideal (drawn dashed, the bend's base), where there is one.
    pub ideal: Option<f64>,
    /// What the dashed line means.
    pub expected: String,
    /// The N this pattern was planned at, ascending.
    pub ladder: Vec<u64>,
    /// N left out before the run, and why (the open-file limit).
    pub refused: Vec<Refused>,
    pub series: Vec<Series>,
}

/// What the run reports back while it goes: `stop` is asked before each point (Ctrl-C),
/// `saved` is given the report after each point so a partial run keeps what finished.
pub struct Hooks<'a> {
    pub stop: &'a dyn Fn() -> bool,
    pub saved: &'a mut dyn FnMut(&ScalingReport),
}

/// The ladder of one pattern: decades from 1 to `max_n` (and `max_n` itself), cut at the
/// pattern's own cap and, for connection patterns, at what `hard` open files allow: a decade
/// past that is refused and the largest N that fits closes the ladder.
pub fn ladder(p: Pattern, max_n: u64, hard: u64) -> (Vec<u64>, Vec<Refused>) {
    let spec = p.spec();
    let top = max_n.min(spec.max_n);
    let mut wanted: Vec<u64> = std::iter::successors(Some(1u64), |n| n.checked_mul(10))
        .take_while(|&n| n <= top)
        .collect();
    if wanted.last() != Some(&top) {
        wanted.push(top);
    }
    let fits = limits::largest_fitting(spec.fds_per_n, hard);
    let (mut ns, mut refused) = (Vec::new(), Vec::new());
    for n in wanted {
        let need = limits::needed(spec.fds_per_n, n);
        if need <= hard {
            ns.push(n);
        } else {
            refused.push(Refused {
                n,
                why: limits::refusal(p.name(), n, need, hard),
            });
        }
    }
    if !refused.is_empty() && ns.last().is_some_and(|&l| fits > l) && fits != u64::MAX {
        ns.push(fits);
    }
    (ns, refused)
}

/// Raises the soft open-file limit to what the largest point of `o`'s ladders needs (never
/// past the hard limit; points past it are refused by [`ladder`]); the limits after, `None`
/// where they cannot be read (then nothing is refused).
pub fn raise_fd_limit(o: &ScaleOpts) -> Result<Option<limits::FdLimit>, String> {
    let Ok(now) = limits::current() else {
        return Ok(None);
    };
    let need = o
        .patterns
        .iter()
        .flat_map(|&p| {
            let per_n = p.spec().fds_per_n;
            ladder(p, o.max_n, now.hard)
                .0
                .into_iter()
                .map(move |n| limits::needed(per_n, n))
        })
        .max()
        .unwrap_or(0);
    limits::raise_to(need)
        .map(Some)
        .map_err(|e| format!("cannot raise RLIMIT_NOFILE from {} to {need}: {e}", now.soft))
}

/// The curves to draw: each runtime, the multi-thread ones once per worker count.
fn series_plan(o: &ScaleOpts) -> Vec<(AsyncFlavor, usize, String)> {
    let axis = if o.workers.is_empty() {
        vec![crate::runtime::default_workers()]
    } else {
        o.workers.clone()
    };
    let mut out = Vec::new();
    for &f in &o.runtimes {
        if f.single_threaded() {
            out.push((f, 1, f.to_string()));
            continue;
        }
        for &w in &axis {
            let label = if axis.len() > 1 {
                format!("{f} w{w}")
            } else {
                f.to_string()
            };
            out.push((f, w, label));
        }
    }
    out
}

/// Runs every pattern into a report, calling `hooks` as it goes; the caller writes the files.
pub fn run(o: &ScaleOpts, fd: Option<limits::FdLimit>, hooks: Hooks<'_>) -> ScalingReport {
    let t0 = Instant::now();
    let hard = fd.map_or(u64::MAX, |f| f.hard);
    let mut rep = output::new_report(o, fd);
    let plan = series_plan(o);
    let needs_server = o.patterns.contains(&Pattern::Gather);
    let server = match needs_server.then(start_server).transpose() {
        Ok(s) => s,
        Err(e) => {
            rep.notes.push(format!("the test server did not start: {e}"));
            None
        }
    };
    let addr = server.as_ref().map(crate::server::TestServer::addr);
    let total: usize = o
        .patterns
        .iter()
        .map(|&p| ladder(p, o.max_n, hard).0.len())
        .sum::<usize>()
        * plan.len();
    let mut done = 0usize;
    for &p in &o.patterns {
        let spec = p.spec();
        let (ns, refused) = ladder(p, o.max_n, hard);
        for r in &refused {
            eprintln!("asyncbench: scale: refused: {}", r.why);
        }
        rep.patterns.push(PatternResult {
            pattern: p,
            title: spec.title.into(),
            figure: spec.figure.into(),
            ideal: spec.ideal,
            expected: spec.expected.into(),
            ladder: ns.clone(),
            refused,
            series: plan
                .iter()
                .map(|(f, w, label)| Series {
                    runtime: f.to_string(),
                    workers: *w,
                    label: label.clone(),
                    points: Vec::new(),
                    bend: Bend::NoData,
                })
                .collect(),
        });
        let idx = rep.patterns.len() - 1;
        for &n in &ns {
            if (hooks.stop)() {
                rep.interrupted = true;
                break;
            }
            let points = run_point(o, p, n, &plan, addr, server.as_ref(), &rep.patterns[idx].series);
            let res = &mut rep.patterns[idx];
            for (s, pt) in res.series.iter_mut().zip(points) {
                done += 1;
                if let Some(pt) = pt {
                    if o.verbose {
                        eprintln!(
                            "asyncbench: scale [{done}/{total}, {:.0} s] {} {} N = {n}: {}",
                            t0.elapsed().as_secs_f64(),
                            p.name(),
                            s.label,
                            point_line(&pt, spec.figure)
                        );
                    }
                    s.points.push(pt);
                    s.bend = bend_of(s, spec.ideal);
                }
            }
            rep.secs = t0.elapsed().as_secs_f64();
            (hooks.saved)(&rep);
        }
        if rep.interrupted {
            break;
        }
    }
    rep.secs = t0.elapsed().as_secs_f64();
    rep
}

/// The test server for gathered requests (its own threads, excluded from the CPU figures).
fn start_server() -> Result<crate::server::TestServer, String> {
    crate::server::TestServer::start(crate::server::ServerConfig::default()).map_err(|e| e.to_string())
}

/// The curve's bend over its measured points.
pub fn bend_of(s: &Series, ideal: Option<f64>) -> Bend {
    let pts: Vec<CurvePoint> = s
        .points
        .iter()
        .filter_map(|p| {
            let v = p.value.as_ref()?;
            Some(CurvePoint {
                n: p.n,
                mean: v.mean,
                ci_low: v.ci_low,
                ci_high: v.ci_high,
            })
        })
        .collect();
    bend::bend(&pts, ideal)
}

fn point_line(p: &Point, figure: &str) -> String {
    match (&p.value, &p.failure) {
        (_, Some(f)) => format!("failed: {f}"),
        (Some(v), None) => format!(
            "{} {figure} [{} – {}] over {} rounds",
            output::num(v.mean),
            output::num(v.ci_low),
            output::num(v.ci_high),
            v.count
        ),
        (None, None) => "no value".into(),
    }
}

/// One N on every series: rounds outermost, the series' order rotated each round. A series
/// that failed at a smaller N is not run again (`None`).
fn run_point(
    o: &ScaleOpts,
    p: Pattern,
    n: u64,
    plan: &[(AsyncFlavor, usize, String)],
    addr: Option<SocketAddr>,
    server: Option<&crate::server::TestServer>,
    series: &[Series],
) -> Vec<Option<Point>> {
    let k = plan.len();
    let batches = patterns::batches_for(n);
    let mut rounds: Vec<Vec<Round>> = vec![Vec::new(); k];
    let mut cpu: Vec<Vec<Round>> = vec![Vec::new(); k];
    let mut bytes: Vec<Vec<Round>> = vec![Vec::new(); k];
    let mut failure: Vec<Option<String>> = series.iter().map(|s| s.failed_at().map(|_| String::new())).collect();
    for r in 0..o.rounds as usize {
        for pos in 0..k {
            let i = (pos + r) % k;
            if failure[i].is_some() {
                continue;
            }
            let (flavor, workers, _) = &plan[i];
            let workers = (!flavor.single_threaded()).then_some(*workers);
            let plan = Plan {
                n,
                warmup: WARMUP,
                batches,
                limit: ROUND_LIMIT,
            };
            match p.round(*flavor, workers, addr, plan) {
                Ok(figs) => {
                    let pos = pos as u32;
                    push_round(&mut rounds[i], pos, figs.iter().map(|f| Some(f.value)));
                    push_round(&mut cpu[i], pos, figs.iter().map(|f| f.cpu_ns_per_op));
                    push_round(&mut bytes[i], pos, figs.iter().map(|f| f.bytes_per_task));
                }
                Err(e) => failure[i] = Some(format!("round {}: {e}", r + 1)),
            }
            if let Some(s) = server {
                settle(s);
            }
        }
    }
    (0..k)
        .map(|i| match failure[i].take() {
            // Failed at a smaller N: nothing more for this series.
            Some(f) if f.is_empty() => None,
            f => Some(Point {
                n,
                batches,
                value: f.is_none().then(|| summarize(std::mem::take(&mut rounds[i]))).flatten(),
                cpu_ns_per_op: f.is_none().then(|| summarize(std::mem::take(&mut cpu[i]))).flatten(),
                bytes_per_task: f.is_none().then(|| summarize(std::mem::take(&mut bytes[i]))).flatten(),
                failure: f,
            }),
        })
        .collect()
}

/// Adds a round from its batches' figures (all present, else nothing: a figure some batches
/// lack is not averaged over the rest).
fn push_round(out: &mut Vec<Round>, position: u32, figs: impl Iterator<Item = Option<f64>>) {
    let Some(xs) = figs.collect::<Option<Vec<f64>>>().filter(|x| !x.is_empty()) else {
        return;
    };
    let (mean, sd) = crate::stats::mean_sd(&xs);
    out.push(Round {
        position,
        mean,
        stddev: sd,
        batches: xs.len() as u64,
        steal_pct: None,
        host_probe_ns: None,
        migrations: None,
    });
}

/// Waits (at most 5 s) until the test server has closed the previous round's connections, so
/// their descriptors are free before the next round opens its own.
fn settle(s: &crate::server::TestServer) {
    let until = Instant::now() + Duration::from_secs(5);
    while s.stats().connections_open > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_axis_multiplies_only_the_multi_thread_runtimes() {
        let o = ScaleOpts {
            patterns: vec![Pattern::SpawnJoin],
            runtimes: vec![AsyncFlavor::TokioCt, AsyncFlavor::TokioMt],
            workers: vec![1, 2],
            max_n: 10,
            rounds: 2,
            dir: PathBuf::new(),
            verbose: false,
            command: String::new(),
        };
        let plan: Vec<(usize, String)> = series_plan(&o).into_iter().map(|(_, w, l)| (w, l)).collect();
        assert_eq!(
            plan,
            [
                (1, "tokio-ct".into()),
                (1, "tokio-mt w1".into()),
                (2, "tokio-mt w2".into())
            ]
        );
    }

    #[test]
    fn the_ladder_is_decades_cut_by_cap_and_open_files() {
        assert_eq!(
            ladder(Pattern::SpawnJoin, 100_000, 20_000).0,
            vec![1, 10, 100, 1_000, 10_000, 100_000]
        );
        assert_eq!(
            ladder(Pattern::SpawnJoin, 5_000, 20_000).0,
            vec![1, 10, 100, 1_000, 5_000]
        );
        let (ns, refused) = ladder(Pattern::Gather, 100_000, 20_000);
        assert_eq!(ns, vec![1, 10, 100, 1_000, 9_000]);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].n, 10_000);
        assert!(refused[0].why.contains("20000"), "{}", refused[0].why);
        let (ns, refused) = ladder(Pattern::Gather, 100_000, 1_000_000);
        assert_eq!(ns, vec![1, 10, 100, 1_000, 10_000]);
        assert!(refused.is_empty());
    }
}
