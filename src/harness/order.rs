//! The order the cases of a scenario run in, per round: a seeded shuffle,
//! so anything that drifts over a run (sockets in TIME_WAIT, warm pools,
//! CPU frequency, a neighbour on the host) meets every runtime alike
//! instead of lining up with a fixed order, and the order of any run can
//! be reproduced from the seed recorded in its summary.

/// A permutation of `0..n` for `scenario`'s round `round` (Fisher–Yates
/// over fastrand, seeded from the run's seed, the scenario and the round).
pub fn shuffled(seed: u64, scenario: &str, round: u32, n: usize) -> Vec<usize> {
    // FNV-1a over the scenario name: stable across builds and platforms,
    // unlike std's randomly keyed hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scenario.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = fastrand::Rng::with_seed(seed ^ h ^ u64::from(round).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permutation_reproducible_from_its_seed_and_different_per_round() {
        let a = shuffled(42, "fetch_parallel", 0, 40);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..40).collect::<Vec<_>>());
        assert_eq!(a, shuffled(42, "fetch_parallel", 0, 40));
        assert_ne!(a, shuffled(42, "fetch_parallel", 1, 40));
        assert_ne!(a, shuffled(42, "pipeline", 0, 40));
        assert_ne!(a, shuffled(43, "fetch_parallel", 0, 40));
    }
}
