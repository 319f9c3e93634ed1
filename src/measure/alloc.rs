//! The counting global allocator: allocations and bytes requested by the
//! side under test, process-wide, with a per-thread opt-out for the threads
//! that are not under test (the in-process server, the precise clock).
//!
//! Hand-written on purpose: the kept crates count either every thread
//! (`stats_alloc`), only the calling thread (`allocation-counter`), or by
//! explicitly entered groups (`tracking-allocator`, which needs a token
//! entered on every thread of every runtime). What the harness needs is
//! "every thread except the server's", including threads that a runtime
//! creates behind our back (blocking pools, smol-mt workers), so a thin
//! wrapper over [`System`] with one thread-local flag is the smallest fit.
//!
//! Installed as `#[global_allocator]` by the library itself when the
//! `count-allocs` feature is on (the default), so the `asyncbench` binary,
//! the criterion suite and every test binary count alike. Build with
//! `--no-default-features` for the fastest numbers without counting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Running totals since the process started (or zero without counting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCounts {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocs: u64,
    /// Bytes those calls asked for (a `realloc` counts its new size).
    pub bytes: u64,
    /// Bytes given back (`dealloc`, and a `realloc`'s old size): `bytes - freed_bytes` over a
    /// window is what it left live, e.g. the memory of tasks still parked.
    pub freed_bytes: u64,
}

impl AllocCounts {
    pub fn since(self, earlier: AllocCounts) -> AllocCounts {
        AllocCounts {
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
            freed_bytes: self.freed_bytes.wrapping_sub(earlier.freed_bytes),
        }
    }

    /// Bytes allocated and not freed over the window (negative if it freed older memory).
    pub fn live_bytes(&self) -> i64 {
        self.bytes as i64 - self.freed_bytes as i64
    }
}

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const` and Drop-free: reading it never allocates, so it is safe inside
    // the allocator (a lazily initialised thread-local could recurse).
    static EXCLUDED: Cell<bool> = const { Cell::new(false) };
}

/// [`System`], counting what every thread not marked by
/// [`exclude_current_thread`] asks for.
pub struct CountingAlloc;

impl CountingAlloc {
    #[inline]
    fn count(size: usize) {
        // `try_with`: during thread teardown the slot may be gone; count then.
        if !EXCLUDED.try_with(Cell::get).unwrap_or(false) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(size as u64, Relaxed);
        }
    }

    #[inline]
    fn count_free(size: usize) {
        if !EXCLUDED.try_with(Cell::get).unwrap_or(false) {
            FREED.fetch_add(size as u64, Relaxed);
        }
    }
}

// SAFETY: every method forwards to `System` unchanged; counting touches only
// atomics and a const thread-local, neither of which allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::count_free(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count(new_size);
        Self::count_free(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(feature = "count-allocs")]
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Whether this build counts allocations (the `count-allocs` feature).
pub const ENABLED: bool = cfg!(feature = "count-allocs");

/// The totals so far; `None` in a build without counting.
pub fn counts() -> Option<AllocCounts> {
    ENABLED.then(|| AllocCounts {
        allocs: ALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
        freed_bytes: FREED.load(Relaxed),
    })
}

/// Stops counting what the calling thread allocates, for good. Called from
/// the test server's `on_thread_start` and by the precise clock thread, so
/// their traffic never lands on the side under test.
pub fn exclude_current_thread() {
    let _ = EXCLUDED.try_with(|e| e.set(true));
}

/// What counting adds to one allocation + free of 64 bytes (three relaxed atomic adds), ns: the median
/// over rounds of (counted − uncounted) on this thread, measured like the
/// harness floor. Uncounted is the same loop straight on [`System`].
/// `None` without counting.
pub fn overhead_ns_per_alloc() -> Option<f64> {
    use std::hint::black_box;
    use std::time::Instant;
    if !ENABLED {
        return None;
    }
    const ROUNDS: usize = 15;
    const PER_ROUND: u32 = 20_000;
    let layout = Layout::from_size_align(64, 8).ok()?;
    let mut diffs = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t0 = Instant::now();
        for _ in 0..PER_ROUND {
            // SAFETY: a non-zero-size layout, freed with the same layout.
            unsafe {
                let p = CountingAlloc.alloc(black_box(layout));
                CountingAlloc.dealloc(black_box(p), layout);
            }
        }
        let counted = t0.elapsed().as_nanos() as f64;
        let t0 = Instant::now();
        for _ in 0..PER_ROUND {
            // SAFETY: as above.
            unsafe {
                let p = System.alloc(black_box(layout));
                System.dealloc(black_box(p), layout);
            }
        }
        let plain = t0.elapsed().as_nanos() as f64;
        diffs.push((counted - plain) / f64::from(PER_ROUND));
    }
    crate::stats::median(diffs).map(|m| m.max(0.0))
}

#[cfg(all(test, feature = "count-allocs"))]
mod tests {
    use super::*;

    #[test]
    fn counts_exactly_what_a_thread_asks_for() {
        // On a thread of its own so nothing else in the test binary's
        // threads can add to the totals between the two reads... except
        // other tests running in parallel: so compare against a planted
        // amount large enough to stand out, and check the excluded path
        // adds nothing of its own on this thread.
        let planted = std::thread::spawn(|| {
            let a = counts().unwrap();
            let v: Vec<Box<[u8; 1000]>> = (0..1000).map(|_| Box::new([0u8; 1000])).collect();
            let b = counts().unwrap();
            drop(v);
            b.since(a)
        })
        .join()
        .unwrap();
        assert!(planted.allocs >= 1001, "{planted:?}");
        assert!(planted.bytes >= 1_000_000, "{planted:?}");
    }

    #[test]
    fn overhead_is_measured_and_small() {
        let o = overhead_ns_per_alloc().unwrap();
        // Physical bound: two relaxed atomic adds cannot cost a microsecond.
        assert!((0.0..1000.0).contains(&o), "{o}");
    }
}
