//! Hypervisor steal: the share of the machine's CPU time the hypervisor ran other guests
//! instead of this one while a round was measured (the `steal` column of Linux's
//! `/proc/stat`, in USER_HZ ticks summed over every CPU). On a shared VM it comes in bursts —
//! up to a fifth of both CPUs for ten seconds at a time was seen on the 2-core CI machine — and
//! a round measured in one is not a measurement of the code. Read by hand: two numbers from
//! one line of `/proc/stat` do not justify a procfs dependency.

/// A round shorter than this many ticks of machine time (0.1 s of one CPU at the usual
/// USER_HZ of 100) has no steal share: one tick would be several percent of it.
pub const MIN_TICKS: u64 = 10;

/// The machine's CPU-time counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    steal: u64,
    total: u64,
}

impl CpuTicks {
    /// Now, from `/proc/stat`; `None` where it does not exist or has no steal column.
    pub fn now() -> Option<CpuTicks> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        parse(text.lines().next()?)
    }

    /// Percent of the machine's CPU time stolen since `earlier`; `None` over fewer than
    /// [`MIN_TICKS`] ticks or when the counters went backwards.
    pub fn steal_pct_since(self, earlier: CpuTicks) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total)?;
        let steal = self.steal.checked_sub(earlier.steal)?;
        (total >= MIN_TICKS).then(|| 100.0 * steal as f64 / total as f64)
    }
}

/// The aggregate `cpu` line: user nice system idle iowait irq softirq steal [guest guest_nice].
/// guest time is already inside user, so the total is the first eight.
fn parse(line: &str) -> Option<CpuTicks> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields.take(8).map(|f| f.parse().ok()).collect::<Option<_>>()?;
    (ticks.len() == 8).then(|| CpuTicks {
        steal: ticks[7],
        total: ticks.iter().sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A planted pair of lines: 30 of 600 ticks stolen is 5%.
    #[test]
    fn the_share_is_steal_over_all_ticks() {
        let a = parse("cpu  100 0 50 800 10 0 5 35 0 0").unwrap();
        let b = parse("cpu  300 0 100 1120 10 0 5 65 7 0").unwrap();
        assert_eq!(b.steal_pct_since(a), Some(5.0));
        // Too short to say, counters backwards, and lines that are not the aggregate one.
        let c = parse("cpu  101 0 50 800 10 0 5 35 0 0").unwrap();
        assert_eq!(c.steal_pct_since(a), None);
        assert_eq!(a.steal_pct_since(b), None);
        assert_eq!(parse("cpu0 1 2 3 4 5 6 7 8"), None);
        assert_eq!(parse("cpu  1 2 3"), None);
    }

    /// On Linux the live counters read and move forward.
    #[test]
    fn the_live_counters_read() {
        if let Some(a) = CpuTicks::now() {
            std::thread::sleep(std::time::Duration::from_millis(150));
            let b = CpuTicks::now().unwrap();
            assert!(b.total >= a.total && b.steal >= a.steal);
        }
    }
}
