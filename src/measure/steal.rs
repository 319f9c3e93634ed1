//! The machine's CPU-time counters (`/proc/stat`), read two ways.
//!
//! Hypervisor steal: the share of the machine's CPU time the hypervisor ran other guests
//! instead of this one while a round was measured (the `steal` column of Linux's
//! `/proc/stat`, in USER_HZ ticks summed over every CPU). On a shared VM it comes in bursts —
//! up to a fifth of both CPUs for ten seconds at a time was seen on the 2-core CI machine — and
//! a round measured in one is not a measurement of the code. Read by hand: two numbers from
//! one line of `/proc/stat` do not justify a procfs dependency.
//!
//! Other work ([`OtherWork`]): the share of the machine's CPU time that processes other than
//! this one (and the children it has waited for) kept busy over a window. Unlike the load
//! average it says what is running now: a run started right after one that left thousands of
//! threads (task_memory) reads a load of hundreds on an idle machine for minutes.

/// A round shorter than this many ticks of machine time (0.1 s of one CPU at the usual
/// USER_HZ of 100) has no steal share: one tick would be several percent of it.
pub const MIN_TICKS: u64 = 10;

/// The machine's CPU-time counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    steal: u64,
    /// user + nice + system + irq + softirq.
    busy: u64,
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
        busy: ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6],
        total: ticks.iter().sum(),
    })
}

/// The shortest window [`OtherWork::busy_pct`] measures over (40 ticks of machine time on 2
/// CPUs at USER_HZ 100: one tick is 2.5%).
pub const OTHER_WORK_WINDOW: std::time::Duration = std::time::Duration::from_millis(200);

/// A window over which to measure the other work on the machine (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct OtherWork {
    machine: CpuTicks,
    own: u64,
    began: std::time::Instant,
}

impl OtherWork {
    /// Opens the window; `None` where `/proc` cannot be read.
    pub fn start() -> Option<OtherWork> {
        Some(OtherWork {
            machine: CpuTicks::now()?,
            own: own_ticks()?,
            began: std::time::Instant::now(),
        })
    }

    /// Closes the window (sleeping first until it is [`OTHER_WORK_WINDOW`] long): percent of
    /// all CPUs' time that other processes kept busy in it, never below 0.
    pub fn busy_pct(self) -> Option<f64> {
        if let Some(rest) = OTHER_WORK_WINDOW.checked_sub(self.began.elapsed()) {
            std::thread::sleep(rest);
        }
        other_busy_pct(self.machine, CpuTicks::now()?, self.own, own_ticks()?)
    }
}

fn other_busy_pct(m0: CpuTicks, m1: CpuTicks, own0: u64, own1: u64) -> Option<f64> {
    let total = m1.total.checked_sub(m0.total)?;
    let busy = m1.busy.checked_sub(m0.busy)?;
    let own = own1.checked_sub(own0)?;
    (total >= MIN_TICKS).then(|| (100.0 * busy.saturating_sub(own) as f64 / total as f64).clamp(0.0, 100.0))
}

/// CPU ticks used by this process and the children it waited for: utime, stime, cutime and
/// cstime of `/proc/self/stat`.
fn own_ticks() -> Option<u64> {
    own_ticks_of(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn own_ticks_of(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    // Then field 3 (state) is index 0, and fields 14..=17 are indices 11..=14.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields.get(11..15)?.iter().map(|f| f.parse::<u64>().ok()).sum()
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

    /// A planted pair: 60 of 200 machine ticks busy, 20 of them this process's own, is 20%
    /// other work; the fields of /proc/self/stat are found past a command name with spaces.
    #[test]
    fn other_work_is_busy_time_less_our_own() {
        let a = parse("cpu  100 0 50 800 10 0 0 0 0 0").unwrap();
        let b = parse("cpu  140 0 70 940 10 0 0 0 0 0").unwrap();
        assert_eq!(other_busy_pct(a, b, 5, 25), Some(20.0));
        assert_eq!(other_busy_pct(a, b, 5, 500), Some(0.0));
        assert_eq!(other_busy_pct(b, a, 5, 25), None);
        let stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18";
        assert_eq!(own_ticks_of(stat), Some(11 + 12 + 13 + 14));
        assert_eq!(own_ticks_of("4242 (x) S 1 2"), None);
    }

    /// Planted load: this process spinning is not other work; a child process spinning on one
    /// CPU (not waited for, so not ours) is. Generous bounds: other tests run beside these.
    #[test]
    fn a_spinning_process_is_other_work_and_our_own_spin_is_not() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let spin = |d: std::time::Duration| {
            let t = std::time::Instant::now();
            while t.elapsed() < d {
                std::hint::black_box(0u64);
            }
        };
        let Some(w) = OtherWork::start() else { return };
        spin(std::time::Duration::from_millis(400));
        let ours = w.busy_pct().unwrap();
        assert!(ours < 15.0, "our own spinning thread read as {ours:.1}% other work");

        let w = OtherWork::start().unwrap();
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400));
        let theirs = w.busy_pct();
        child.kill().unwrap();
        child.wait().unwrap();
        let theirs = theirs.unwrap();
        assert!(
            theirs >= 25.0 / cpus,
            "a spinning child read as {theirs:.1}% of {cpus} CPUs"
        );
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
