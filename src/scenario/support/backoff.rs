//! Retry schedules (fixed, exponential, exponential with full jitter) and
//! their analytic expectations, against which `retry_backoff` sets its
//! measurements.
//!
//! Full jitter is the AWS Architecture Blog's "Exponential Backoff And
//! Jitter" (Marc Brooker, 2015): `sleep = random_between(0, min(cap, base ·
//! 2^attempt))`. The expectations assume every attempt fails independently
//! with probability p (the server's `/flaky` rule draws each key from its own
//! seeded generator), at most R attempts, and a wait only between attempts:
//!
//! - P(success)      = 1 - p^R
//! - E[attempts]     = Σ_{k=0}^{R-1} p^k           (attempt k+1 happens iff the first k failed)
//! - E[waiting time] = Σ_{k=1}^{R-1} p^k · E[w_k]  (w_k follows the k-th failure)
//!
//! with E[w_k] = b (fixed), min(cap, b·2^(k-1)) (exponential) and half of
//! that (full jitter: uniform on [0, ceiling]).

use std::time::Duration;

/// How long to wait after the k-th failed attempt; `retry_backoff`'s
/// variants, by the names its file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Policy {
    Fixed,
    Exponential,
    FullJitter,
}

/// A policy with its base delay, cap and attempt limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub policy: Policy,
    pub base: Duration,
    pub cap: Duration,
    /// R: attempts in all, the first included.
    pub attempts: u32,
}

/// The analytic figures of a schedule at failure probability p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expectation {
    pub success_rate: f64,
    pub attempts: f64,
    pub wait: Duration,
}

impl Schedule {
    /// The longest wait after the `k`-th failure (k ≥ 1); the exact wait for
    /// the deterministic policies.
    pub fn ceiling(&self, k: u32) -> Duration {
        match self.policy {
            Policy::Fixed => self.base,
            Policy::Exponential | Policy::FullJitter => {
                // 2^(k-1) saturates long before u32 overflows matter: the cap rules.
                let factor = 1u32.checked_shl(k.saturating_sub(1)).unwrap_or(u32::MAX);
                self.base.saturating_mul(factor).min(self.cap)
            }
        }
    }

    /// The wait after the `k`-th failure, drawn from `rng` under full jitter.
    pub fn wait(&self, k: u32, rng: &mut fastrand::Rng) -> Duration {
        let c = self.ceiling(k);
        match self.policy {
            Policy::FullJitter => {
                let hi = u64::try_from(c.as_nanos()).unwrap_or(u64::MAX);
                Duration::from_nanos(rng.u64(0..=hi))
            }
            _ => c,
        }
    }

    /// The mean of [`wait`](Self::wait) for the `k`-th failure.
    pub fn mean_wait(&self, k: u32) -> Duration {
        match self.policy {
            Policy::FullJitter => self.ceiling(k) / 2,
            _ => self.ceiling(k),
        }
    }

    /// The expectations at failure probability `p` (see the module docs).
    pub fn expect(&self, p: f64) -> Expectation {
        let mut attempts = 0.0;
        let mut wait_s = 0.0;
        // p^k: the chance that the first k attempts all failed.
        let mut pk = 1.0;
        for k in 0..self.attempts {
            attempts += pk;
            if k > 0 {
                wait_s += pk * self.mean_wait(k).as_secs_f64();
            }
            pk *= p;
        }
        Expectation {
            // After the loop pk = p^R.
            success_rate: 1.0 - pk,
            attempts,
            wait: Duration::from_secs_f64(wait_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(policy: Policy, attempts: u32) -> Schedule {
        Schedule {
            policy,
            base: Duration::from_millis(2),
            cap: Duration::from_millis(10),
            attempts,
        }
    }

    #[test]
    fn ceilings_grow_and_cap() {
        let e = sched(Policy::Exponential, 6);
        let ms: Vec<u128> = (1..=5).map(|k| e.ceiling(k).as_millis()).collect();
        assert_eq!(ms, [2, 4, 8, 10, 10]);
        assert_eq!(sched(Policy::Fixed, 6).ceiling(5), Duration::from_millis(2));
        assert_eq!(e.ceiling(200), Duration::from_millis(10), "no overflow");
    }

    #[test]
    fn expectations_match_hand_computed_values() {
        // p = 0.5, R = 3: P = 7/8, E[attempts] = 1 + 0.5 + 0.25.
        let f = sched(Policy::Fixed, 3).expect(0.5);
        assert!((f.success_rate - 0.875).abs() < 1e-12);
        assert!((f.attempts - 1.75).abs() < 1e-12);
        // Waits after failures 1 and 2: 0.5·2 + 0.25·2 = 1.5 ms.
        assert_eq!(f.wait.as_micros(), 1500);
        // Exponential: 0.5·2 + 0.25·4 = 2 ms; full jitter half of it.
        assert_eq!(sched(Policy::Exponential, 3).expect(0.5).wait.as_micros(), 2000);
        assert_eq!(sched(Policy::FullJitter, 3).expect(0.5).wait.as_micros(), 1000);
    }

    #[test]
    fn edge_probabilities() {
        let s = sched(Policy::Exponential, 4);
        let never = s.expect(0.0);
        assert_eq!(
            (never.success_rate, never.attempts, never.wait),
            (1.0, 1.0, Duration::ZERO)
        );
        let always = s.expect(1.0);
        assert_eq!((always.success_rate, always.attempts), (0.0, 4.0));
        assert_eq!(always.wait, Duration::from_millis(2 + 4 + 8));
    }

    #[test]
    fn jitter_stays_under_the_ceiling_and_averages_half() {
        let s = sched(Policy::FullJitter, 5);
        let mut rng = fastrand::Rng::with_seed(7);
        let n = 20_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let w = s.wait(3, &mut rng);
            assert!(w <= s.ceiling(3));
            sum += w.as_secs_f64();
        }
        let mean = sum / n as f64;
        // Uniform on [0, 8 ms]: sd 2.31 ms, so the mean of 20k is within ±0.07 ms at 4σ.
        assert!((mean - 0.004).abs() < 0.00007, "{mean}");
    }
}
