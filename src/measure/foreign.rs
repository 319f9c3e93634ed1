//! Threads that other runtimes leave in the process: not the side under test of a case on
//! another runtime.
//!
//! Every runtime runs in one process, one case after another. async-std's global executor
//! threads (`async-std/runtime`) and async-io's reactor thread (`async-io`, which async-std and
//! smol drive) start with the first case that uses them and live as long as the process. What
//! they run during another runtime's case is process CPU but not that case's: in a full run
//! tokio-ct's primitives/spawn_join read 1.0022× CPU over wall on one thread and smol-ct's
//! channel_pingpong 1.003×; with them left out, a run interleaving async-std's rounds with
//! tokio-ct's and smol-ct's read 0.9992–0.9997× on every one-thread row. A case's stopwatch
//! therefore leaves out the threads of the runtimes it does not use, by name as `/proc` shows it
//! (15 bytes at most). On a smol case async-io's thread is smol's own reactor and stays counted.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::runtime::{AsyncFlavor, Flavor};

/// async-std's global executor threads.
const ASYNC_STD: &str = "async-std/runti";
/// async-io's reactor thread (async-std's and smol's).
const ASYNC_IO: &str = "async-io";

const NONE: u8 = 0;
const ASYNC_STD_BIT: u8 = 1;
const ASYNC_IO_BIT: u8 = 2;

/// Which of the threads above the running case does not use (bits); none until a case says.
static FOREIGN: AtomicU8 = AtomicU8::new(NONE);

/// The name prefixes of other runtimes' threads for a case on `flavor`.
fn foreign_bits(flavor: Flavor) -> u8 {
    match flavor {
        Flavor::Async(AsyncFlavor::AsyncStd) => NONE,
        Flavor::Async(AsyncFlavor::SmolCt | AsyncFlavor::SmolMt) => ASYNC_STD_BIT,
        _ => ASYNC_STD_BIT | ASYNC_IO_BIT,
    }
}

/// Declares the runtime of the case about to run: until the next call, stopwatches leave out
/// the threads of the runtimes it does not use.
pub fn set_case_flavor(flavor: Flavor) {
    FOREIGN.store(foreign_bits(flavor), Ordering::Relaxed);
}

/// Whether a thread of this name belongs to a runtime the running case does not use.
pub fn is_foreign(name: &str) -> bool {
    let bits = FOREIGN.load(Ordering::Relaxed);
    (bits & ASYNC_STD_BIT != 0 && name.starts_with(ASYNC_STD))
        || (bits & ASYNC_IO_BIT != 0 && name.starts_with(ASYNC_IO))
}

/// What [`is_foreign`] leaves out, as `cost_info.excluded_threads` lists it.
pub const DESCRIPTION: &str = "other runtimes' threads left from earlier cases (async-std's executor `async-std/runti…` \
     on any other runtime's case; async-io's reactor `async-io` on tokio's and the blocking baselines')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_keeps_its_own_threads_and_drops_the_others() {
        let std_thread = "async-std/runti";
        for (flavor, async_std, async_io) in [
            (Flavor::Async(AsyncFlavor::AsyncStd), false, false),
            (Flavor::Async(AsyncFlavor::SmolCt), true, false),
            (Flavor::Async(AsyncFlavor::SmolMt), true, false),
            (Flavor::Async(AsyncFlavor::TokioCt), true, true),
            (Flavor::Async(AsyncFlavor::TokioMt), true, true),
        ] {
            let bits = foreign_bits(flavor);
            assert_eq!(bits & ASYNC_STD_BIT != 0, async_std, "{flavor:?}");
            assert_eq!(bits & ASYNC_IO_BIT != 0, async_io, "{flavor:?}");
        }
        FOREIGN.store(foreign_bits(Flavor::Async(AsyncFlavor::TokioCt)), Ordering::Relaxed);
        assert!(is_foreign(std_thread) && is_foreign("async-io"));
        assert!(!is_foreign("asyncbench-toki") && !is_foreign("asyncbench-case"));
        FOREIGN.store(NONE, Ordering::Relaxed);
        assert!(!is_foreign(std_thread) && !is_foreign("async-io"));
    }
}
