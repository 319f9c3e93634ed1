//! Where offloaded work runs: the threads a scenario hands blocking or CPU work to (every
//! runtime's blocking pool, the rayon pool and the dedicated thread of `cpu_offload`) are
//! moved onto the offload CPU set, so on a current-thread runtime they are not confined to
//! the loop's CPU.
//!
//! Why this is needed: a thread inherits its creator's mask (see `measure::placement`), and
//! the pools are created lazily by the thread that first offloads, which on tokio-ct and
//! smol-ct is the loop itself, pinned to the client CPU; smol's and async-std's blocking pools
//! are process-global and keep whatever mask their creator had. So each offload thread
//! pins itself on entry instead ([`enter`]), once per setting. The set is the one the
//! placement plan gives multi-thread runtimes: where the OS may schedule a user's unpinned
//! threads (on 2–3 CPUs that is every CPU, the server's included: cpu_offload barely loads
//! the server, and a loop that is busy leaves its own CPU no room anyway).
//!
//! Hand-written on libc like `measure::placement`, and allocation-free on the path a job
//! takes (it runs inside timed regions whose allocations are counted).

use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::measure::placement::CpuSet;

/// Room for CPUs 0..1024 as a bitmask (`cpu_set_t`'s size on Linux).
const WORDS: usize = 16;

struct Setting {
    mask: [u64; WORDS],
    set: Option<CpuSet>,
}

static SETTING: Mutex<Setting> = Mutex::new(Setting {
    mask: [0; WORDS],
    set: None,
});
/// Bumped by every [`set_cpus`]; 0 means never set (offload threads are left alone).
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The generation this thread was last pinned for.
    static PINNED_FOR: Cell<u64> = const { Cell::new(0) };
}

/// Sets (or clears, `None`) the CPUs offload threads run on from now on; threads already
/// pinned move at their next job.
pub fn set_cpus(set: Option<CpuSet>) {
    let mut s = SETTING.lock().unwrap_or_else(|e| e.into_inner());
    s.mask = [0; WORDS];
    if let Some(set) = &set {
        for &c in set.cpus() {
            if c < WORDS * 64 {
                s.mask[c / 64] |= 1 << (c % 64);
            }
        }
    }
    s.set = set;
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The CPUs offload threads are moved onto, if any were set.
pub fn cpus() -> Option<CpuSet> {
    SETTING.lock().unwrap_or_else(|e| e.into_inner()).set.clone()
}

/// Called first on an offload thread (by every job it runs): pins it to the offload set
/// unless it already is for the current setting. A syscall once per thread and setting; a
/// thread-local read after.
pub fn enter() {
    let generation = GENERATION.load(Ordering::Acquire);
    if generation == 0 || PINNED_FOR.try_with(Cell::get).unwrap_or(0) == generation {
        return;
    }
    let s = SETTING.lock().unwrap_or_else(|e| e.into_inner());
    if s.set.is_some() {
        // SAFETY: cpu_set_t is plain data (zeroed = empty); CPU_SET is given numbers below
        // WORDS * 64 = CPU_SETSIZE only.
        unsafe {
            let mut m: libc::cpu_set_t = std::mem::zeroed();
            for c in 0..WORDS * 64 {
                if s.mask[c / 64] & (1 << (c % 64)) != 0 {
                    libc::CPU_SET(c, &mut m);
                }
            }
            // Best effort: a mask the kernel refuses leaves the thread where it was, and the
            // read-back (cpu_offload's offload_* values) shows it.
            let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &m);
        }
    }
    drop(s);
    let _ = PINNED_FOR.try_with(|p| p.set(generation));
}

/// Wraps a blocking closure so it runs on the offload set (every runtime's `spawn_blocking`).
pub(super) fn offloaded<F: FnOnce() -> T, T>(f: F) -> impl FnOnce() -> T {
    move || {
        enter();
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::placement::{affinity_of, pin_current_thread};

    /// A thread created by one pinned to a single CPU inherits that CPU; after `enter` it is
    /// on the offload set. (The setting is process-global: one test sets and clears it.)
    #[test]
    fn an_offload_thread_leaves_its_creators_cpu() {
        let allowed = CpuSet::allowed().unwrap();
        if allowed.len() < 2 {
            return; // nothing to move to
        }
        let first = CpuSet::new([allowed.cpus()[0]]);
        set_cpus(Some(allowed.clone()));
        let (inherited, after) = std::thread::spawn(move || {
            pin_current_thread(&first).unwrap();
            std::thread::spawn(|| {
                let inherited = affinity_of(0).unwrap();
                enter();
                (inherited, affinity_of(0).unwrap())
            })
            .join()
            .unwrap()
        })
        .join()
        .unwrap();
        set_cpus(None);
        assert_eq!(inherited.len(), 1);
        assert_eq!(after, allowed);
    }
}
