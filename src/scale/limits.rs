//! Open-file limits, checked before the run: each connection pattern holds both ends of N
//! loopback connections in this process, so its largest N needs about 2·N descriptors. The soft
//! RLIMIT_NOFILE is raised to what the ladder needs (never past the hard limit); a point that
//! would need more than the hard limit is refused before anything runs, with the limit named.

use std::io;

use serde::{Deserialize, Serialize};

/// Descriptors beyond the pattern's own: the test server's listener and epoll, the runtimes'
/// reactors, stdio, the results files.
pub const RESERVE: u64 = 256;

/// The process's open-file limits, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FdLimit {
    /// The soft limit before the run.
    pub soft_before: u64,
    /// The soft limit the run used (raised where the ladder needed it).
    pub soft: u64,
    pub hard: u64,
}

/// Descriptors a point of a pattern holding `per_n` per unit of N needs at `n`.
pub fn needed(per_n: u64, n: u64) -> u64 {
    per_n.saturating_mul(n).saturating_add(RESERVE)
}

/// The largest N a pattern holding `per_n` descriptors per unit fits under `hard`, rounded down
/// to one significant digit (9k, not 9,872) so the ladder's last point reads as chosen.
pub fn largest_fitting(per_n: u64, hard: u64) -> u64 {
    if per_n == 0 {
        return u64::MAX;
    }
    let n = hard.saturating_sub(RESERVE) / per_n;
    if n < 10 {
        return n;
    }
    let unit = 10u64.pow(n.ilog10());
    n / unit * unit
}

/// Why a point cannot run here: it needs more descriptors than the hard limit allows.
pub fn refusal(pattern: &str, n: u64, need: u64, hard: u64) -> String {
    format!(
        "{pattern} at N = {n} needs about {need} open files (2 per connection, both ends in this process), over \
         RLIMIT_NOFILE's hard limit {hard}; raise it (`ulimit -Hn` as root, or LimitNOFILE= in a service) to run it"
    )
}

/// The limits now, before anything is raised.
pub fn current() -> io::Result<FdLimit> {
    crate::server::raise_fd_limit_to(0).map(FdLimit::from)
}

/// Raises the soft limit to `want` (capped at the hard limit) if it is below; the limits after.
pub fn raise_to(want: u64) -> io::Result<FdLimit> {
    crate::server::raise_fd_limit_to(want).map(FdLimit::from)
}

impl From<crate::server::FdLimits> for FdLimit {
    fn from(l: crate::server::FdLimits) -> FdLimit {
        FdLimit {
            soft_before: l.soft_before,
            soft: l.soft,
            hard: l.hard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_fitting_n_reads_as_chosen() {
        // 20,000 − 256 = 19,744 → 9,872 connections → 9k.
        assert_eq!(largest_fitting(2, 20_000), 9_000);
        assert_eq!(largest_fitting(2, 1_024), 300);
        assert_eq!(largest_fitting(0, 10), u64::MAX);
        assert_eq!(needed(2, 10_000), 20_256);
        assert!(refusal("gather", 10_000, 20_256, 20_000).contains("20000"));
    }
}
