//! Statistics over rounds: a case measured in R independent rounds (a fresh
//! runtime each, runtimes interleaved) gives R round means, and those —
//! not the thousands of batches inside one round — are the repeats of the
//! experiment. Batches of one round share the runtime instance, its thread
//! placement and the machine's state of the moment, so treating them as
//! independent leaves the between-round variance out of the error term and
//! makes any drift "significant".
//!
//! - Interval: Student's t over the round means (df = R − 1).
//! - Two runs: Welch's t-test on their round means (Welch 1947,
//!   "The generalization of Student's problem when several different
//!   population variances are involved", Biometrika 34).
//! - Minimum detectable effect at α and power 1 − β for two runs with this
//!   spread and R rounds each: (t₁₋α/₂ + t₁₋β) · s · √(2/R), the standard
//!   two-sample formula (e.g. Cohen 1988, *Statistical Power Analysis*, ch. 2).
//! - Many rows at once: Holm's step-down correction (Holm 1979, "A simple
//!   sequentially rejective multiple test procedure", Scand. J. Statist. 6).
//! - Stability: a one-way ANOVA F of between-round against within-round
//!   variance (rounds that disagree beyond their batches' own spread), from
//!   per-round summaries (e.g. Montgomery, *Design and Analysis of
//!   Experiments*, ch. 3). A round figure that is a quantile (a metric's
//!   median, a p99) takes its within-round spread from the same quantile
//!   per batch. Where no round has that spread (one batch per round), the
//!   rule is the spread alone: rounds more than [`UNSTABLE_MIN_CV`] apart
//!   are unstable, since nothing shows them to be within noise.
//! - No bimodal class is produced (since schema 2): two groups of rounds
//!   cannot be told from one disturbed round at the default 3 rounds (a
//!   2 + 1 split is both), and on a shared machine the disturbed round is
//!   the likelier cause; either way the rounds disagree, so the row is
//!   unstable and shown as its range.

use serde::{Deserialize, Serialize};

use super::dist::f_upper_tail;
use super::interval::{Estimate, Interval, mean_interval};
use super::{mean_sd, student_t_critical, student_t_two_sided};

/// Significance level used for intervals and the MDE.
pub const ALPHA: f64 = 0.05;
/// Power at which the minimum detectable effect is stated.
pub const POWER: f64 = 0.8;
/// An F this improbable under "rounds are exchangeable" marks a row unstable.
const UNSTABLE_P: f64 = 0.001;
/// Round means that spread less than this (relative standard deviation) are
/// never called unstable, however tight the batches: a 1% wobble is not
/// worth a flag. Also the whole rule where rounds carry no within-round spread.
pub const UNSTABLE_MIN_CV: f64 = 0.02;

/// What one round of a case measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Round {
    /// Where this case ran in its round's order (0 = first).
    pub position: u32,
    /// The round's figure (ns): the mean of its batches' wall times, or a
    /// quantile over the round (see the row's `value_figure`).
    pub mean: f64,
    /// Standard deviation of the same figure per batch (the within-round
    /// spread); 0 with fewer than two batches.
    pub stddev: f64,
    /// Batches behind `stddev`.
    pub batches: u64,
    /// Percent of the machine's CPU time the hypervisor ran other guests while the round ran
    /// (Linux `/proc/stat` steal over every CPU); absent where unknown or the round was too
    /// short to tell. `compare` will not flag a row on a round that lost 10% or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steal_pct: Option<f64>,
    /// Wall time (ns) of one fixed workload on the harness's thread (a chain of dependent
    /// multiply-adds, the fastest of its settled repeats), taken as the round ended: the speed
    /// of the core, whatever slowed it. `compare` will not flag a row whose rounds' probe moved
    /// 5% or more between the runs in the direction of its change when that shift could carry
    /// the change. Absent for rounds run in another process and in runs written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_probe_ns: Option<f64>,
    /// Times the kernel moved one of the process's threads (the case's, the server's, the
    /// harness's) to another CPU while the round ran (`se.nr_migrations` of every thread alive
    /// at the round's end, less its count at the start). Absent where the kernel does not
    /// expose the counts, for rounds run in another process and in runs written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations: Option<u64>,
}

impl Round {
    /// Rounds in the order they ran (positions 0, 1, …) with these `means`, each of `batches`
    /// batches spread `sd`: a row with a planted answer, for tests and worked examples.
    pub fn series(means: &[f64], sd: f64, batches: u64) -> Vec<Round> {
        means
            .iter()
            .enumerate()
            .map(|(i, &m)| Round {
                position: i as u32,
                mean: m,
                stddev: sd,
                batches,
                steal_pct: None,
                host_probe_ns: None,
                migrations: None,
            })
            .collect()
    }
}

/// How far a row's rounds agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    /// The rounds agree within their batches' spread.
    Stable,
    /// The rounds disagree beyond their batches' spread: report the spread,
    /// not a confident mean.
    Unstable,
    /// The rounds fell into two separate groups. Written by schema-1
    /// summaries only; now such rows are `unstable` (see the module's notes).
    Bimodal,
    /// Fewer than two rounds: nothing to judge.
    Unknown,
}

/// A row's value and uncertainty from its rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoundSummary {
    /// Rounds the row has (the length of `rounds`).
    pub count: u32,
    /// Each round's figure, in the order the rounds ran.
    pub rounds: Vec<Round>,
    /// Mean of the round means: the published value.
    pub mean: f64,
    /// Median of the round means.
    pub median: f64,
    /// Standard deviation of the round means (the between-round spread).
    pub stddev: f64,
    /// 95% Student-t interval of the mean over rounds.
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
    /// Smallest change (percent of the mean) that a comparison with another
    /// run of R rounds and this spread detects at α = 5% with 80% power.
    pub mde_pct: Option<f64>,
    /// Whether the rounds agree beyond their batches' spread (`unstable` rows are shown as a
    /// range, never averaged).
    pub stability: Stability,
}

impl RoundSummary {
    /// The 95% interval over rounds as an [`Interval`]; `None` with fewer than two rounds,
    /// where `ci_low` = `ci_high` = `mean` on disk says only that no spread is known.
    pub fn interval(&self) -> Option<Interval> {
        (self.count >= 2).then_some(Interval {
            lo: self.ci_low,
            hi: self.ci_high,
            level: 1.0 - ALPHA,
        })
    }

    /// The published value (mean over rounds) with its [`interval`](Self::interval).
    pub fn estimate(&self) -> Estimate {
        Estimate {
            value: self.mean,
            interval: self.interval(),
        }
    }

    /// Smallest and largest round figure, as `(min, max)`; `None` without rounds.
    pub fn range(&self) -> Option<(f64, f64)> {
        let s = super::Sample::new(self.rounds.iter().map(|r| r.mean)).ok()?;
        Some((s.min(), s.max()))
    }
}

/// The relative MDE for two runs with `r` rounds each and between-round
/// spread `sd` around `mean`.
pub fn mde_pct(mean: f64, sd: f64, r: usize) -> Option<f64> {
    if r < 2 || mean <= 0.0 || !mean.is_finite() {
        return None;
    }
    let df = 2.0 * (r as f64 - 1.0);
    let ta = student_t_critical(ALPHA, df);
    // One-sided quantile at 1 − β is the two-sided one at 2β.
    let tb = student_t_critical(2.0 * (1.0 - POWER), df);
    Some(100.0 * (ta + tb) * sd * (2.0 / r as f64).sqrt() / mean)
}

/// Summarises a row's rounds. `rounds` in the order they ran.
pub fn summarize(rounds: Vec<Round>) -> Option<RoundSummary> {
    if rounds.is_empty() {
        return None;
    }
    let means: Vec<f64> = rounds.iter().map(|r| r.mean).collect();
    let (mean, sd) = mean_sd(&means);
    let k = means.len();
    // Non-empty; a non-finite round mean makes the mean non-finite too, and the median with it.
    let median = super::median(means.iter().copied()).unwrap_or(mean);
    // On disk a single round's interval is the point itself (schema: `ci_low` = `ci_high`).
    let ci = mean_interval(mean, sd, k, 1.0 - ALPHA);
    let (ci_low, ci_high) = ci.map_or((mean, mean), |i| (i.lo, i.hi));
    Some(RoundSummary {
        count: k as u32,
        mean,
        median,
        stddev: sd,
        ci_low,
        ci_high,
        mde_pct: mde_pct(mean, sd, k),
        stability: stability(&rounds),
        rounds,
    })
}

/// Do the rounds agree within their batches' spread?
pub fn stability(rounds: &[Round]) -> Stability {
    let k = rounds.len();
    if k < 2 {
        return Stability::Unknown;
    }
    let means: Vec<f64> = rounds.iter().map(|r| r.mean).collect();
    let (grand, sd) = mean_sd(&means);
    if grand <= 0.0 || sd / grand < UNSTABLE_MIN_CV {
        return Stability::Stable;
    }
    // One-way ANOVA from per-round summaries: between-round mean square
    // against the pooled within-round mean square.
    let n: u64 = rounds.iter().map(|r| r.batches).sum();
    let weighted_grand = rounds.iter().map(|r| r.mean * r.batches as f64).sum::<f64>() / n.max(1) as f64;
    let ss_between: f64 = rounds
        .iter()
        .map(|r| r.batches as f64 * (r.mean - weighted_grand).powi(2))
        .sum();
    let ss_within: f64 = rounds
        .iter()
        .map(|r| r.batches.saturating_sub(1) as f64 * r.stddev.powi(2))
        .sum();
    let (df1, df2) = (k as f64 - 1.0, n as f64 - k as f64);
    // No within-round spread to weigh the rounds against: they differ by
    // more than UNSTABLE_MIN_CV and nothing says that is noise.
    if df2 < 1.0 || ss_within <= 0.0 {
        return Stability::Unstable;
    }
    let f = (ss_between / df1) / (ss_within / df2);
    if f_upper_tail(f, df1, df2) < UNSTABLE_P {
        Stability::Unstable
    } else {
        Stability::Stable
    }
}

/// Welch's t-test on two sets of round means. `None` with fewer than two
/// rounds on either side.
pub fn welch_rounds(a: &RoundSummary, b: &RoundSummary) -> Option<f64> {
    if a.count < 2 || b.count < 2 {
        return None;
    }
    let (na, nb) = (a.count as f64, b.count as f64);
    let (va, vb) = (a.stddev.powi(2) / na, b.stddev.powi(2) / nb);
    let se2 = va + vb;
    if se2 <= 0.0 {
        // Both sets constant: equal means are no change, different ones are.
        return Some(if a.mean == b.mean { 1.0 } else { 0.0 });
    }
    let t = (b.mean - a.mean) / se2.sqrt();
    let df = se2.powi(2) / (va.powi(2) / (na - 1.0) + vb.powi(2) / (nb - 1.0));
    Some(student_t_two_sided(t, df))
}

/// Holm's step-down adjustment: adjusted p-values, in the input order, each
/// compared with α directly.
pub fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&i, &j| ps[i].total_cmp(&ps[j]));
    let mut out = vec![1.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * ps[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(means: &[f64], sd: f64, batches: u64) -> Vec<Round> {
        Round::series(means, sd, batches)
    }

    #[test]
    fn interval_over_rounds_by_hand() {
        // Means 10, 12, 14: mean 12, s = 2, t(0.975, 2) = 4.303, half-width 4.303·2/√3 = 4.969.
        let s = summarize(rounds(&[10.0, 12.0, 14.0], 1.0, 100)).unwrap();
        assert_eq!(s.mean, 12.0);
        assert_eq!(s.median, 12.0);
        assert!((s.stddev - 2.0).abs() < 1e-12);
        assert!((s.ci_high - 12.0 - 4.969).abs() < 1e-3, "{}", s.ci_high);
        let i = s.estimate().interval.expect("three rounds");
        assert_eq!((i.lo, i.hi, i.level), (s.ci_low, s.ci_high, 0.95));
        assert_eq!(s.range(), Some((10.0, 14.0)));
        let one = summarize(rounds(&[7.0], 1.0, 10)).unwrap();
        assert_eq!((one.ci_low, one.ci_high, one.interval()), (7.0, 7.0, None));
        // MDE: (t(0.975, 4) + t(0.8, 4)) · 2 · √(2/3) / 12 = (2.776 + 0.941) · 1.633 / 12.
        let mde = s.mde_pct.unwrap();
        assert!(
            (mde - 100.0 * (2.776 + 0.941) * 2.0 * (2.0f64 / 3.0).sqrt() / 12.0).abs() < 0.1,
            "{mde}"
        );
    }

    #[test]
    fn stability_flags() {
        // Round means within their batches' noise: stable.
        assert_eq!(
            stability(&rounds(&[100.0, 101.0, 99.0, 100.5], 10.0, 50)),
            Stability::Stable
        );
        // Tiny batch noise, means 10% apart: unstable.
        assert_eq!(stability(&rounds(&[100.0, 110.0, 95.0], 0.5, 50)), Stability::Unstable);
        // Two clusters, at 5 rounds and at the default 3: no bimodal class, unstable.
        assert_eq!(
            stability(&rounds(&[100.0, 101.0, 150.0, 151.0, 100.5], 0.5, 50)),
            Stability::Unstable
        );
        assert_eq!(stability(&rounds(&[100.0, 101.0, 150.0], 0.5, 50)), Stability::Unstable);
        assert_eq!(stability(&rounds(&[100.0], 1.0, 50)), Stability::Unknown);
        // No within-round spread (one batch per round): the spread alone decides.
        assert_eq!(stability(&rounds(&[191.0, 21.0, 14.0], 0.0, 1)), Stability::Unstable);
        assert_eq!(stability(&rounds(&[100.0, 100.5, 99.8], 0.0, 0)), Stability::Stable);
        // Wide batch spread explains a 10% difference: stable.
        assert_eq!(stability(&rounds(&[100.0, 110.0, 95.0], 60.0, 20)), Stability::Stable);
    }

    #[test]
    fn holm_by_hand() {
        // p = 0.01, 0.04, 0.03 with m = 3: sorted 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → max 0.06.
        let adj = holm(&[0.01, 0.04, 0.03]);
        assert!((adj[0] - 0.03).abs() < 1e-12);
        assert!((adj[2] - 0.06).abs() < 1e-12);
        assert!((adj[1] - 0.06).abs() < 1e-12);
    }

    /// A/A pairs drawn from one distribution are flagged at about α, and a
    /// planted 20% shift with 2% noise is found.
    #[test]
    fn welch_rounds_calibration_and_power() {
        let mut rng = fastrand::Rng::with_seed(7);
        let normal = |rng: &mut fastrand::Rng| {
            // Box–Muller.
            let (u, v) = (rng.f64().max(1e-12), rng.f64());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        };
        let draw = |rng: &mut fastrand::Rng, mu: f64| {
            let r: Vec<Round> = (0..5)
                .map(|i| Round {
                    position: i,
                    mean: mu * (1.0 + 0.02 * normal(rng)),
                    stddev: 1.0,
                    batches: 20,
                    steal_pct: None,
                    host_probe_ns: None,
                    migrations: None,
                })
                .collect();
            summarize(r).unwrap()
        };
        let trials = 4000;
        let mut flagged = 0;
        for _ in 0..trials {
            let (a, b) = (draw(&mut rng, 100.0), draw(&mut rng, 100.0));
            if welch_rounds(&a, &b).unwrap() < ALPHA {
                flagged += 1;
            }
        }
        let rate = flagged as f64 / trials as f64;
        assert!((0.03..=0.07).contains(&rate), "A/A false-positive rate {rate}");
        let mut found = 0;
        for _ in 0..200 {
            let (a, b) = (draw(&mut rng, 100.0), draw(&mut rng, 120.0));
            if welch_rounds(&a, &b).unwrap() < ALPHA {
                found += 1;
            }
        }
        assert!(found >= 198, "planted 20% shift found {found}/200 times");
    }
}
