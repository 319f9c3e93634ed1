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

/// async-std's global executor threads.
const ASYNC_STD: &str = "async-std/runti";
/// async-io's reactor thread (async-std's and smol's).
const ASYNC_IO: &str = "async-io";

const ASYNC_STD_BIT: u8 = 1;
const ASYNC_IO_BIT: u8 = 2;

/// Which of the threads above the running case does not use (bits); none until a case says.
static FOREIGN: AtomicU8 = AtomicU8::new(0);

/// Which of those threads a runtime uses ([`crate::runtime::Flavor::process_threads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    /// async-std's global executor.
    pub async_std: bool,
    /// async-io's reactor thread.
    pub async_io: bool,
}

fn foreign_bits(uses: Uses) -> u8 {
    (if uses.async_std { 0 } else { ASYNC_STD_BIT }) | (if uses.async_io { 0 } else { ASYNC_IO_BIT })
}

/// Declares what the case about to run uses: until the next call, stopwatches leave out the
/// threads above that it does not.
pub fn set_case_uses(uses: Uses) {
    FOREIGN.store(foreign_bits(uses), Ordering::Relaxed);
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
    fn a_case_leaves_out_exactly_the_threads_it_does_not_use() {
        let (std_thread, io_thread) = ("async-std/runti", "async-io");
        set_case_uses(Uses {
            async_std: false,
            async_io: false,
        });
        assert!(is_foreign(std_thread) && is_foreign(io_thread));
        assert!(!is_foreign("asyncbench-toki") && !is_foreign("asyncbench-case"));
        set_case_uses(Uses {
            async_std: false,
            async_io: true,
        });
        assert!(is_foreign(std_thread) && !is_foreign(io_thread));
        set_case_uses(Uses {
            async_std: true,
            async_io: true,
        });
        assert!(!is_foreign(std_thread) && !is_foreign(io_thread));
    }
}
