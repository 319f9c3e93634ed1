//! The C allocator's heap, held steady for the whole process.
//!
//! glibc's malloc gives freed memory at the top of a heap back to the kernel once more than
//! `M_TRIM_THRESHOLD` of it is free (128 KiB by default), and serves blocks of 128 KiB or more
//! with their own `mmap`. Both defaults move: freeing an mmapped block raises the mmap
//! threshold to that block's size and the trim threshold to twice that (up to 32 MiB), for
//! the rest of the process. So whether a batch that allocates a few MiB and frees them (64
//! file buffers of 64 KiB, a channel's blocks) finds that memory still mapped, or takes a
//! page fault per 4 KiB to get it back, depends on what the process freed before: on the
//! scenarios that ran earlier in the run, and on the runtime instance of the round. On the
//! 2-core VM that made file_read's `std_sequential` row several times slower when run alone
//! than inside the full suite, with its rounds at different levels either way.
//!
//! [`hold`] fixes both thresholds once, at the start of `cargo bench` and of every
//! `asyncbench` command, so every round starts from the same allocator rules: freed memory up
//! to [`TRIM_THRESHOLD`] stays mapped, and only blocks of [`MMAP_THRESHOLD`] or more get their
//! own mapping. That is the state a long-running glibc process reaches after its first large
//! free, held instead of drifting into it. `task_memory` still trims explicitly
//! (`malloc_trim(0)`) before each batch, so its resident-memory figure is unchanged.
//!
//! `ASYNCBENCH_HEAP=libc` leaves the C library's defaults in place, to measure under them.
//!
//! Hand-written on libc's `mallopt`: no crate wraps it. Other C libraries (musl) are left
//! alone and say so.

use std::sync::OnceLock;

/// Blocks at least this large get their own mapping (glibc's largest dynamic threshold).
pub const MMAP_THRESHOLD: usize = 32 << 20;
/// Free memory at the top of a heap is given back past this much.
pub const TRIM_THRESHOLD: usize = 64 << 20;

static HELD: OnceLock<Option<String>> = OnceLock::new();

/// The variable that chooses: `held` (the default) or `libc`.
pub const ENV: &str = "ASYNCBENCH_HEAP";

/// Holds the heap unless [`ENV`] says `libc`; a value that is neither is an error naming the
/// allowed ones.
pub fn hold_unless_env_says_otherwise() -> Result<(), String> {
    let bad = |v: &str| format!("{ENV}={v}: allowed `held` (the default) or `libc`");
    match std::env::var(ENV).as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "held") => {
            hold();
            Ok(())
        }
        Ok("libc") => Ok(()),
        Ok(other) => Err(bad(other)),
        Err(std::env::VarError::NotUnicode(v)) => Err(bad(&format!("{v:?}"))),
    }
}

/// Fixes the allocator's thresholds for the rest of the process (once; later calls return the
/// first call's answer). Returns what was set, as `env.json` records it, or `None` where the
/// C library is not glibc or refused.
pub fn hold() -> Option<&'static str> {
    HELD.get_or_init(set).as_deref()
}

/// What [`hold`] set, if it has been called and succeeded.
pub fn setting() -> Option<String> {
    HELD.get().cloned().flatten()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set() -> Option<String> {
    // SAFETY: mallopt only changes the allocator's parameters; both values are in range
    // (glibc takes an int; these are far below i32::MAX).
    let ok = unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1
    };
    ok.then(|| {
        format!(
            "glibc malloc held: mmap_threshold {} MiB, trim_threshold {} MiB (fixed for the process)",
            MMAP_THRESHOLD >> 20,
            TRIM_THRESHOLD >> 20
        )
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set() -> Option<String> {
    None
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use std::hint::black_box;
    use std::process::Command;

    /// Minor page faults of the calling thread so far.
    fn minor_faults() -> i64 {
        // SAFETY: getrusage fills the zeroed struct it is given.
        unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut u);
            u.ru_minflt
        }
    }

    /// A batch like file_read's: 64 buffers of 64 KiB, each written through, then all freed.
    /// Returns the page faults the batch took.
    fn batch() -> i64 {
        let before = minor_faults();
        let bufs: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 << 10]).collect();
        black_box(&bufs);
        drop(bufs);
        minor_faults() - before
    }

    /// Runs in a child process of its own (the allocator's state is process-wide, and other
    /// tests trim): a warm-up batch, then the faults of the next one, printed for the parent.
    #[test]
    #[ignore = "run by a_held_heap_keeps_a_freed_batch_mapped in a child process"]
    fn child_batch_faults() {
        if std::env::var_os("ASYNCBENCH_TEST_HOLD").is_some_and(|v| v == "1") {
            assert!(super::hold().is_some());
        }
        batch();
        println!("faults={}", batch());
    }

    fn faults_in_child(hold: bool) -> i64 {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "measure::heap::tests::child_batch_faults",
                "--ignored",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env("ASYNCBENCH_TEST_HOLD", if hold { "1" } else { "0" })
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {text}");
        // libtest prints the test's name on the same line, before its output.
        let (_, rest) = text
            .split_once("faults=")
            .unwrap_or_else(|| panic!("no faults= in: {text}"));
        rest.split_whitespace().next().unwrap().parse().unwrap()
    }

    /// Planted answer: a second batch of 64 × 64 KiB (1,024 pages) touches memory the first
    /// freed. With the default thresholds glibc gave it back, so the batch faults on most of
    /// its pages; held, it is still mapped and faults on almost none.
    #[test]
    fn a_held_heap_keeps_a_freed_batch_mapped() {
        let held = faults_in_child(true);
        let default = faults_in_child(false);
        assert!(held < 64, "held heap: {held} faults for 1024 reused pages");
        assert!(
            default > 512,
            "default heap: {default} faults for 1024 pages given back"
        );
    }
}
