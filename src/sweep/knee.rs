//! Reading a rate sweep: which steps passed, where the sweep must stop, and
//! the knee — the highest offered rate whose p99 stays under the SLO, below
//! the first rate that failed (the hockey stick turns up there; a lucky pass
//! above a failure is noise, not capacity). Pure functions over step
//! figures, so they are tested on synthetic curves.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Achieved below this share of offered: the server is saturated.
pub const SATURATED_BELOW: f64 = 0.99;
/// The generator's own CPU share above which it, not the server, may be the
/// bottleneck (one core = 1.0).
pub const GENERATOR_CPU_BOUND: f64 = 0.9;

/// What the knee finder needs of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub rate: u64,
    pub achieved: f64,
    /// Corrected (from intended send time).
    pub p99: Duration,
    pub errors: u64,
    pub generator_bound: bool,
    /// The host canary saw a stall of at least [`HOST_STALL_OF_SLO`] × the SLO in the step's
    /// window ([`host_disturbed`]): read from the canary alone, never from the server's figures.
    pub host_disturbed: bool,
}

/// A host stall at least this share of the SLO, seen by the canary, disturbs a step: a stall
/// that long delays every request due during it by about as much, which is the size that turns
/// a p99 past the SLO on a server that keeps up.
pub const HOST_STALL_OF_SLO: f64 = 1.0;

/// How many times a host-disturbed repeat is run again before its rate is decided on the
/// repeats that were not.
pub const HOST_RETRIES: u32 = 2;

/// Whether a step whose host canary saw `canary_max` (its longest wake lateness) was
/// host-disturbed under `slo`. It reads the canary alone, so it drops passes and failures
/// alike: it cannot favour either outcome or either runtime.
pub fn host_disturbed(canary_max: Duration, slo: Duration) -> bool {
    canary_max >= slo.mul_f64(HOST_STALL_OF_SLO)
}

/// How one step came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// p99 under the SLO, achieved ≥ 99% of offered, no errors.
    Pass,
    /// Keeping up, but p99 over the SLO.
    OverSlo,
    /// Achieved < 99% of offered, p99 past the sweep's bound, or errors.
    Saturated,
    /// The generator fell behind (its lateness or its core): not the server's figure.
    GeneratorBound,
    /// The host canary saw a stall comparable to the SLO in the step's window
    /// ([`host_disturbed`]): the step measured the host, not the server; it is run again and
    /// does not count in its rate's verdict.
    HostDisturbed,
}

impl Verdict {
    pub fn of(p: &Point, slo: Duration, p99_bound: Duration) -> Verdict {
        if p.host_disturbed {
            Verdict::HostDisturbed
        } else if p.generator_bound {
            Verdict::GeneratorBound
        } else if p.errors > 0 || p.achieved < SATURATED_BELOW * p.rate as f64 || p.p99 > p99_bound {
            Verdict::Saturated
        } else if p.p99 > slo {
            Verdict::OverSlo
        } else {
            Verdict::Pass
        }
    }

    /// Whether the sweep stops rising after this step: the server is past
    /// saturation, or the generator is out of CPU (a higher rate would only
    /// measure the generator). A step late for other reasons (a busy machine
    /// descheduling the generator) is marked but does not stop the sweep.
    pub fn stops(self, generator_cpu: f64) -> bool {
        match self {
            Verdict::Saturated => true,
            Verdict::GeneratorBound => generator_cpu >= GENERATOR_CPU_BOUND,
            Verdict::Pass | Verdict::OverSlo | Verdict::HostDisturbed => false,
        }
    }
}

/// Why the knee is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The next rate up broke the SLO or saturated the server.
    Server,
    /// The next rate up was generator-bound: the knee is at least this.
    Generator,
    /// Every rate passed: the knee is at least the highest rate tried.
    NotReached,
    /// Even the lowest rate failed.
    BelowRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Knee {
    /// The highest rate whose step passed (decided over its repeats), below the first that
    /// did not (0 when none passed).
    pub rate: u64,
    /// Its corrected p99, µs (the median over its repeats).
    pub p99_us: f64,
    pub limit: Limit,
    /// The lowest rate that did not pass (decided over its repeats), if any.
    pub first_fail: Option<u64>,
    /// Lower end of the knee's interval: the highest rate at or below `rate` that every repeat
    /// that counted passed (0 when none did). Equal to `rate` when its repeats agree.
    pub interval_lo: u64,
    /// Upper end (exclusive): the lowest rate above `rate` that every repeat that counted failed
    /// (over the SLO or saturated), never below `first_fail`; `None` when no rate tried was
    /// failed by all (or no failure bounds it).
    pub interval_hi: Option<u64>,
}

impl Knee {
    /// The knee's uncertainty: the server's capacity at the SLO lies in `[lo, hi)` — from the
    /// highest rate every repeat passed to the lowest rate every repeat failed, the stretch
    /// around the knee where repeats disagree (one repeat: the last pass and the first failure,
    /// which the refinement narrows to 5%).
    /// `None` above: no server failure bounds it (not reached, generator-bound, or a repeat
    /// that never failed).
    pub fn interval(&self) -> (u64, Option<u64>) {
        match self.limit {
            Limit::Server | Limit::BelowRange => (self.interval_lo, self.interval_hi),
            Limit::Generator | Limit::NotReached => (self.interval_lo, None),
        }
    }

    /// Whether two knees (two sweeps of one commit) agree: their intervals overlap.
    pub fn agrees_with(&self, other: &Knee) -> bool {
        let (a_lo, a_hi) = self.interval();
        let (b_lo, b_hi) = other.interval();
        a_hi.is_none_or(|h| b_lo < h) && b_hi.is_none_or(|h| a_lo < h)
    }
}

/// One rate as the knee finder reads it: its verdict and corrected p99.
#[derive(Debug, Clone, Copy)]
struct Judged {
    rate: u64,
    verdict: Verdict,
    p99_us: f64,
}

/// The knee of `points` (any order), each rate tried once. Generator-bound steps are
/// neither a pass nor a failure of the server: they are skipped, and when no server
/// failure lies above the knee but such a step does, the knee is a lower bound set by the
/// generator.
pub fn knee(points: &[Point], slo: Duration, p99_bound: Duration) -> Knee {
    let judged = points
        .iter()
        .map(|p| Judged {
            rate: p.rate,
            verdict: Verdict::of(p, slo, p99_bound),
            p99_us: us(p.p99),
        })
        .collect();
    knee_of(judged)
}

/// The verdict of a rate tried several times: the kind most repeats gave — a pass, a
/// failure of the server (over the SLO or saturated) or generator-bound — a tie going to the
/// failure, then to generator-bound, so a split never reads as a pass and a server failure is
/// not excused by a generator that lagged as often. A failure is `saturated` unless more
/// repeats were only over the SLO. Host-disturbed repeats do not vote; a rate with nothing
/// else is host-disturbed.
pub fn decide(verdicts: &[Verdict]) -> Verdict {
    if verdicts.iter().all(|v| *v == Verdict::HostDisturbed) && !verdicts.is_empty() {
        return Verdict::HostDisturbed;
    }
    let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
    let (over, saturated) = (count(|v| *v == Verdict::OverSlo), count(|v| *v == Verdict::Saturated));
    let failed = if over > saturated {
        Verdict::OverSlo
    } else {
        Verdict::Saturated
    };
    // `max_by_key` keeps the last of equal counts: the preferred one, in this order.
    [
        (Verdict::Pass, count(|v| *v == Verdict::Pass)),
        (Verdict::GeneratorBound, count(|v| *v == Verdict::GeneratorBound)),
        (failed, over + saturated),
    ]
    .into_iter()
    .max_by_key(|&(_, n)| n)
    .map_or(Verdict::Pass, |(v, _)| v)
}

/// The knee of steps tried `repeats` times each, `(repeat, point)` in any order: each rate's
/// verdict is decided over its repeats ([`decide`]) and the knee read from those. Its interval
/// runs from the highest rate at or below the knee that every repeat that counted passed to
/// the lowest rate above it that every one failed: repeats that disagree near the knee widen
/// it, while a lone failure far below the knee (a stall the canary did not see) does not drag
/// it down, nor a lone pass far above it up. Host-disturbed and generator-bound steps do not
/// count.
pub fn knee_over_repeats(points: &[(u32, Point)], slo: Duration, p99_bound: Duration) -> Knee {
    let mut by_rate: std::collections::BTreeMap<u64, Vec<&Point>> = Default::default();
    for (_, p) in points {
        by_rate.entry(p.rate).or_default().push(p);
    }
    // Per rate: (every counted repeat passed, every counted repeat failed); `None` with none.
    let unanimous: Vec<(u64, bool, bool)> = by_rate
        .iter()
        .filter_map(|(&rate, ps)| {
            let counted: Vec<Verdict> = ps
                .iter()
                .map(|p| Verdict::of(p, slo, p99_bound))
                .filter(|v| !matches!(v, Verdict::HostDisturbed | Verdict::GeneratorBound))
                .collect();
            (!counted.is_empty()).then(|| {
                (
                    rate,
                    counted.iter().all(|v| *v == Verdict::Pass),
                    counted
                        .iter()
                        .all(|v| matches!(v, Verdict::OverSlo | Verdict::Saturated)),
                )
            })
        })
        .collect();
    let decided = by_rate
        .into_iter()
        .map(|(rate, ps)| {
            let verdicts: Vec<Verdict> = ps.iter().map(|p| Verdict::of(p, slo, p99_bound)).collect();
            let counted = ps.iter().filter(|p| !p.host_disturbed);
            let p99s: Vec<f64> = if ps.iter().all(|p| p.host_disturbed) {
                ps.iter().map(|p| us(p.p99)).collect()
            } else {
                counted.map(|p| us(p.p99)).collect()
            };
            Judged {
                rate,
                verdict: decide(&verdicts),
                p99_us: median_of_repeats(p99s),
            }
        })
        .collect();
    let mut k = knee_of(decided);
    k.interval_lo = unanimous
        .iter()
        .filter(|&&(rate, all_pass, _)| all_pass && rate <= k.rate)
        .map(|&(rate, ..)| rate)
        .max()
        .unwrap_or(0);
    k.interval_hi = unanimous
        .iter()
        .find(|&&(rate, _, all_fail)| all_fail && rate > k.rate)
        .map(|&(rate, ..)| rate);
    k
}

/// The median of the repeats' figures: the upper median ([`crate::stats::upper_median`]), the
/// worse latency of an even split, so a split does not flatter; 0 for none.
pub fn median_of_repeats(v: impl IntoIterator<Item = f64>) -> f64 {
    crate::stats::upper_median(v).unwrap_or(0.0)
}

fn knee_of(mut sorted: Vec<Judged>) -> Knee {
    sorted.sort_by_key(|p| p.rate);
    let mut best: Option<&Judged> = None;
    let mut generator_above: Option<u64> = None;
    let at = |best: Option<&Judged>, limit, first_fail: Option<u64>| Knee {
        rate: best.map_or(0, |b| b.rate),
        p99_us: best.map_or(0.0, |b| b.p99_us),
        limit,
        first_fail,
        interval_lo: best.map_or(0, |b| b.rate),
        interval_hi: first_fail,
    };
    for p in &sorted {
        match p.verdict {
            Verdict::Pass => {
                best = Some(p);
                generator_above = None;
            }
            Verdict::GeneratorBound => {
                generator_above.get_or_insert(p.rate);
            }
            // Measured the host, not the server: neither a pass nor a failure.
            Verdict::HostDisturbed => {}
            Verdict::OverSlo | Verdict::Saturated => {
                let limit = if best.is_some() {
                    Limit::Server
                } else {
                    Limit::BelowRange
                };
                return at(best, limit, Some(p.rate));
            }
        }
    }
    let limit = match (best, generator_above) {
        (_, Some(_)) => Limit::Generator,
        (Some(_), None) => Limit::NotReached,
        (None, None) => Limit::BelowRange,
    };
    at(best, limit, generator_above)
}

/// The next rate to try between a passing `lo` and a failing `hi`
/// (geometric midpoint, since the rates rise geometrically), or `None` when
/// they are within 5% of each other.
pub fn refine(lo: u64, hi: u64) -> Option<u64> {
    if lo == 0 || hi as f64 <= lo as f64 * 1.05 {
        return None;
    }
    let mid = ((lo as f64) * (hi as f64)).sqrt().round() as u64;
    (mid > lo && mid < hi).then_some(mid)
}

/// The rate to try next to tighten knee `k`: between it and the first rate that failed, or the
/// first the generator could not drive. A knee the generator stopped is a lower bound, and the
/// rates below the generator's limit tighten it: the first pass doubles, so tokio-ct's knee
/// read "≥ 64,000" beside a closed loop of 130,000 with nothing tried in between. `None` when
/// the knee is not bounded above, or its bounds are within 5%.
pub fn next_refinement(k: &Knee) -> Option<u64> {
    match k.limit {
        Limit::Server | Limit::Generator => k.first_fail.and_then(|hi| refine(k.rate, hi)),
        Limit::NotReached | Limit::BelowRange => None,
    }
}

/// The geometric rates of the first pass: `start`, ×`growth`, … up to `max`.
pub fn geometric(start: u64, growth: f64, max: u64) -> Vec<u64> {
    let mut out = vec![start.max(1)];
    let mut r = start.max(1) as f64;
    loop {
        r *= growth.max(1.01);
        let next = (r.round() as u64).max(out[out.len() - 1] + 1);
        if next > max {
            break;
        }
        out.push(next);
    }
    out
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLO: Duration = Duration::from_millis(5);
    const BOUND: Duration = Duration::from_millis(100);

    /// A hockey stick: flat p99 of 200 µs up to `cap` requests/s, then
    /// queueing (p99 grows without bound and achieved stops at `cap`).
    fn stick(rates: &[u64], cap: u64) -> Vec<Point> {
        rates
            .iter()
            .map(|&rate| {
                let over = rate as f64 / cap as f64;
                let p99_us = if over <= 0.8 {
                    200.0
                } else {
                    200.0 + 50_000.0 * (over - 0.8)
                };
                Point {
                    rate,
                    achieved: rate.min(cap) as f64,
                    p99: Duration::from_secs_f64(p99_us / 1e6),
                    errors: 0,
                    generator_bound: false,
                    host_disturbed: false,
                }
            })
            .collect()
    }

    #[test]
    fn knee_of_a_hockey_stick_is_the_last_rate_under_the_slo() {
        let rates = geometric(1000, 2.0, 64_000);
        assert_eq!(rates, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000]);
        // Capacity 20 000/s: 16 000 is 0.8 of it (p99 200 µs); 32 000 saturates.
        let k = knee(&stick(&rates, 20_000), SLO, BOUND);
        assert_eq!(k.rate, 16_000);
        assert_eq!(k.first_fail, Some(32_000));
        assert_eq!(k.limit, Limit::Server);
        assert!((k.p99_us - 200.0).abs() < 1e-6);
        // Refining between them converges inside (16 000, 32 000).
        let mid = refine(16_000, 32_000).unwrap();
        assert_eq!(mid, 22_627);
        assert_eq!(refine(16_000, 16_500), None);
    }

    #[test]
    fn a_knee_carries_its_interval_and_two_sweeps_agree_when_they_overlap() {
        let rates = geometric(1000, 2.0, 64_000);
        let a = knee(&stick(&rates, 20_000), SLO, BOUND);
        assert_eq!(a.interval(), (16_000, Some(32_000)));
        // A second sweep of the same server refined to 22 627 passing: inside.
        let mut pts = stick(&rates, 20_000);
        pts.extend(stick(&[22_627], 1_000_000));
        let b = knee(&pts, SLO, BOUND);
        assert_eq!(b.interval(), (22_627, Some(32_000)));
        assert!(a.agrees_with(&b) && b.agrees_with(&a));
        // A server twice as fast does not agree.
        let c = knee(&stick(&geometric(1000, 2.0, 128_000), 50_000), SLO, BOUND);
        assert_eq!(c.interval(), (32_000, Some(64_000)));
        assert!(!a.agrees_with(&c));
        // Generator-bound: open above, so it agrees with anything not below it.
        let mut g = stick(&rates, 1_000_000);
        for p in &mut g[3..] {
            p.generator_bound = true;
        }
        let gk = knee(&g, SLO, BOUND);
        assert_eq!(gk.interval(), (4000, None));
        assert!(gk.agrees_with(&a));
    }

    /// A knee the generator stopped is refined below the generator's limit, as one the server
    /// stopped is below the server's; a sweep that never failed has nothing to refine.
    #[test]
    fn a_generator_bound_knee_is_refined_below_the_generators_limit() {
        let rates = geometric(1000, 2.0, 128_000);
        let mut pts = stick(&rates, 1_000_000);
        pts.last_mut().unwrap().generator_bound = true;
        let k = knee(&pts, SLO, BOUND);
        assert_eq!(
            (k.rate, k.limit, k.first_fail),
            (64_000, Limit::Generator, Some(128_000))
        );
        assert_eq!(next_refinement(&k), Some(90_510));
        // 90 510 passes: the knee rises and the next try is above it.
        let mut passed = pts.clone();
        passed.extend(stick(&[90_510], 1_000_000));
        let k = knee(&passed, SLO, BOUND);
        assert_eq!((k.rate, k.limit), (90_510, Limit::Generator));
        assert_eq!(next_refinement(&k), Some(107_635));
        // 90 510 is generator-bound too: the next try is below it.
        let mut bound = pts.clone();
        let mut g = stick(&[90_510], 1_000_000);
        g[0].generator_bound = true;
        bound.extend(g);
        assert_eq!(next_refinement(&knee(&bound, SLO, BOUND)), Some(76_109));
        // Every rate passed: nothing bounds the knee above.
        let open = knee(&stick(&rates, 1_000_000), SLO, BOUND);
        assert_eq!(open.limit, Limit::NotReached);
        assert_eq!(next_refinement(&open), None);
    }

    /// `repeats` sweeps of one server, repeat k planted with capacity `caps[k]`.
    fn repeated(rates: &[u64], caps: &[u64]) -> Vec<(u32, Point)> {
        caps.iter()
            .enumerate()
            .flat_map(|(k, &cap)| stick(rates, cap).into_iter().map(move |p| (k as u32, p)))
            .collect()
    }

    #[test]
    fn repeats_that_agree_keep_the_interval_narrow() {
        let rates = geometric(1000, 2.0, 64_000);
        // Capacities 19 000 to 21 000: every repeat passes 16 000 and saturates at 32 000.
        let k = knee_over_repeats(&repeated(&rates, &[19_000, 20_000, 21_000]), SLO, BOUND);
        assert_eq!((k.rate, k.first_fail, k.limit), (16_000, Some(32_000), Limit::Server));
        assert_eq!(k.interval(), (16_000, Some(32_000)));
        // One repeat is a plain sweep.
        let one = knee_over_repeats(&repeated(&rates, &[20_000]), SLO, BOUND);
        assert_eq!(one, knee(&stick(&rates, 20_000), SLO, BOUND));
    }

    #[test]
    fn repeats_that_disagree_widen_the_interval_to_span_them() {
        let rates = geometric(1000, 2.0, 64_000);
        // One repeat of three sees a server half as fast (a noisy neighbour): its knee is
        // 8000, the others' 16 000. The majority decides each rate, so the knee stays
        // 16 000, and the interval reaches down to the last rate all repeats passed.
        let k = knee_over_repeats(&repeated(&rates, &[20_000, 10_500, 20_000]), SLO, BOUND);
        assert_eq!((k.rate, k.first_fail), (16_000, Some(32_000)));
        assert_eq!(k.interval(), (8000, Some(32_000)));
        // Two of three slow: the majority moves the knee down; the fast repeat's first
        // failure (32 000) bounds the interval above.
        let k = knee_over_repeats(&repeated(&rates, &[10_500, 10_500, 20_000]), SLO, BOUND);
        assert_eq!((k.rate, k.first_fail), (8000, Some(16_000)));
        assert_eq!(k.interval(), (8000, Some(32_000)));
        // Two sweeps whose repeats disagree still agree with the narrow one.
        let narrow = knee_over_repeats(&repeated(&rates, &[20_000; 3]), SLO, BOUND);
        assert!(k.agrees_with(&narrow));
        // A split of two goes to the worse verdict: no pass by a tie.
        assert_eq!(decide(&[Verdict::Pass, Verdict::Saturated]), Verdict::Saturated);
        assert_eq!(decide(&[Verdict::Pass, Verdict::Pass, Verdict::OverSlo]), Verdict::Pass);
        assert_eq!(
            decide(&[Verdict::Pass, Verdict::GeneratorBound]),
            Verdict::GeneratorBound
        );
        // A repeat that never failed leaves the interval open above.
        let k = knee_over_repeats(&repeated(&rates, &[20_000, 20_000, 1_000_000]), SLO, BOUND);
        assert_eq!((k.rate, k.interval()), (16_000, (16_000, None)));
    }

    #[test]
    fn a_lone_failure_far_below_the_knee_does_not_drag_the_interval_down() {
        let rates = geometric(1000, 2.0, 64_000);
        let mut pts = repeated(&rates, &[20_000; 3]);
        // Repeat 0 fails at 1000/s (a stall nobody saw): the majority still passes it.
        pts[0].1.p99 = Duration::from_millis(14);
        let k = knee_over_repeats(&pts, SLO, BOUND);
        assert_eq!((k.rate, k.interval()), (16_000, (16_000, Some(32_000))));
        // The same failure in two repeats fails the rate: the knee is below the range.
        pts[rates.len()].1.p99 = Duration::from_millis(14);
        let k = knee_over_repeats(&pts, SLO, BOUND);
        assert_eq!((k.rate, k.limit, k.first_fail), (0, Limit::BelowRange, Some(1000)));
    }

    #[test]
    fn over_slo_without_saturation_ends_the_knee_but_not_the_sweep() {
        // Capacity 10 000/s, SLO 5 ms: at 9 000 (0.9) p99 = 5.2 ms, still keeping up.
        let pts = stick(&[5000, 9000, 9500], 10_000);
        let slo = SLO;
        assert_eq!(Verdict::of(&pts[1], slo, BOUND), Verdict::OverSlo);
        assert!(!Verdict::OverSlo.stops(0.0));
        assert!(Verdict::Saturated.stops(0.0));
        assert!(!Verdict::GeneratorBound.stops(0.5) && Verdict::GeneratorBound.stops(0.95));
        let k = knee(&pts, slo, BOUND);
        assert_eq!((k.rate, k.first_fail), (5000, Some(9000)));
    }

    #[test]
    fn a_lucky_pass_above_a_failure_does_not_move_the_knee() {
        let mut pts = stick(&[1000, 2000, 4000], 1_000_000);
        pts[1].p99 = Duration::from_millis(50);
        assert_eq!(knee(&pts, SLO, BOUND).rate, 1000);
    }

    #[test]
    fn errors_saturation_and_generator_bound_steps() {
        let mut pts = stick(&[1000, 2000, 4000], 1_000_000);
        pts[2].generator_bound = true;
        let k = knee(&pts, SLO, BOUND);
        assert_eq!((k.rate, k.limit, k.first_fail), (2000, Limit::Generator, Some(4000)));
        // A generator-bound step below passing ones is skipped, not a failure.
        pts[0].generator_bound = true;
        assert_eq!(knee(&pts, SLO, BOUND).rate, 2000);
        pts[0].generator_bound = false;
        pts[2].generator_bound = false;
        pts[1].errors = 1;
        assert_eq!(Verdict::of(&pts[1], SLO, BOUND), Verdict::Saturated);
        assert_eq!(knee(&pts, SLO, BOUND).rate, 1000);
        // achieved 98.9% of offered is saturation even with a low p99.
        pts[1].errors = 0;
        pts[1].achieved = 1978.0;
        assert_eq!(Verdict::of(&pts[1], SLO, BOUND), Verdict::Saturated);
        let all_pass = stick(&[1000, 2000], 1_000_000);
        assert_eq!(knee(&all_pass, SLO, BOUND).limit, Limit::NotReached);
        let none = stick(&[30_000], 10_000);
        let k = knee(&none, SLO, BOUND);
        assert_eq!((k.rate, k.limit), (0, Limit::BelowRange));
    }
}
