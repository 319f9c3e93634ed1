//! Precise waits for the test server's `/delay` and `/stall`: one Linux `timerfd` per wait,
//! registered with tokio's `AsyncFd`, so a response is held for D and released within tens of
//! microseconds of its deadline.
//!
//! Why not `tokio::time::sleep`: tokio's timer wheel rounds every deadline up to the next
//! millisecond tick and mio rounds the epoll timeout to whole milliseconds, so `/delay/1` took
//! 2.2 ms. A timerfd is an hrtimer started with zero slack (`timerfd_settime` →
//! `hrtimer_start`, fs/timerfd.c), and its readiness ends the worker's `epoll_wait` the moment it
//! fires; the same technique async-io/polling use for sub-millisecond timeouts. Compared with a
//! dedicated timer thread it needs no second thread wake-up (timer thread → runtime unpark) on the
//! path and burns no CPU spinning, which matters on a 2-core machine shared with the runtime under
//! test. It costs ~5 syscalls per wait (create, arm, register, read, close), all off the lateness path
//! but the read.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Waits until `deadline` and returns the instant the wait ended, never before `deadline`.
/// A deadline already past returns at once without touching a timer.
///
/// Must run inside the server's tokio runtime (its I/O driver polls the timerfd). If no timerfd
/// can be had (e.g. the process is out of file descriptors) it falls back to tokio's coarse
/// timer: late by up to ~2 ms, which the lateness histogram then shows, but never early.
pub(crate) async fn sleep_until(deadline: Instant) -> Instant {
    let now = Instant::now();
    if now >= deadline {
        return now;
    }
    match wait_timerfd(deadline).await {
        Ok(woke) => woke,
        Err(_) => coarse_sleep_until(deadline).await,
    }
}

async fn coarse_sleep_until(deadline: Instant) -> Instant {
    loop {
        tokio::time::sleep_until(deadline.into()).await;
        let woke = Instant::now();
        if woke >= deadline {
            return woke;
        }
    }
}

async fn wait_timerfd(deadline: Instant) -> io::Result<Instant> {
    // SAFETY: TimerFd owns its fd, always reports the same one, and closes it only when dropped,
    // which happens after the AsyncFd holding it has deregistered it.
    let fd = unsafe { AsyncFd::register_with_interest(TimerFd::new()?, Interest::READABLE) }?;
    loop {
        // Re-checked after every expiry so the wait can never end early, whatever the clocks do.
        let now = Instant::now();
        if now >= deadline {
            return Ok(now);
        }
        // Relative arming: the kernel counts from its own "now", read after ours, so the timer
        // cannot fire before `deadline`. (std's Instant is CLOCK_MONOTONIC on Linux, as is the fd.)
        fd.get_ref().arm(deadline - now)?;
        loop {
            let mut ready = fd.readable().await?;
            match ready.try_io(|inner| inner.get_ref().expirations()) {
                Ok(Ok(_)) => break,
                Ok(Err(e)) => return Err(e),
                // Spurious readiness: tokio cleared it, wait again.
                Err(_would_block) => {}
            }
        }
    }
}

/// A non-blocking, close-on-exec one-shot `CLOCK_MONOTONIC` timerfd.
#[derive(Debug)]
struct TimerFd(OwnedFd);

impl TimerFd {
    fn new() -> io::Result<TimerFd> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a fresh fd we own.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is valid and owned by nobody else.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Arms the timer to expire once, `after` from now.
    fn arm(&self, after: Duration) -> io::Result<()> {
        // An all-zero it_value disarms the timer instead of firing it.
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: libc::time_t::try_from(after.as_secs()).unwrap_or(libc::time_t::MAX),
                // Below 10^9, so it fits every c_long (32-bit ones too, hence no `from`).
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec; a null old_value is allowed.
        let rc = unsafe { libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Expirations since the last read; `WouldBlock` while the timer has not fired.
    fn expirations(&self) -> io::Result<u64> {
        let mut count = 0u64;
        // SAFETY: reads at most 8 bytes into a u64 we own.
        let n = unsafe {
            libc::read(
                self.0.as_raw_fd(),
                std::ptr::from_mut(&mut count).cast::<libc::c_void>(),
                size_of::<u64>(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(count)
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build();
        rt.expect("runtime")
    }

    #[test]
    fn never_wakes_before_the_deadline() {
        let rt = runtime();
        rt.block_on(async {
            let mut rng = fastrand::Rng::with_seed(13);
            for _ in 0..300 {
                let deadline = Instant::now() + Duration::from_micros(rng.u64(0..2_000));
                let woke = sleep_until(deadline).await;
                assert!(woke >= deadline, "woke {:?} early", deadline - woke);
                assert!(Instant::now() >= deadline);
            }
        });
    }

    #[test]
    fn concurrent_waits_each_end_after_their_own_deadline() {
        let rt = runtime();
        rt.block_on(async {
            let start = Instant::now();
            let waits: Vec<_> = (0..64u64)
                .map(|i| {
                    let deadline = start + Duration::from_micros(100 + 37 * i);
                    tokio::spawn(async move { (deadline, sleep_until(deadline).await) })
                })
                .collect();
            for w in waits {
                let (deadline, woke) = w.await.expect("wait task");
                assert!(woke >= deadline);
            }
        });
    }

    #[test]
    fn a_past_deadline_returns_at_once_without_a_runtime_timer() {
        // No runtime at all: a past deadline must not reach the timerfd.
        let past = Instant::now();
        let woke = futures::executor::block_on(sleep_until(past));
        assert!(woke >= past);
    }

    #[test]
    fn fallback_when_no_timerfd_is_never_early() {
        let rt = runtime();
        rt.block_on(async {
            let deadline = Instant::now() + Duration::from_micros(300);
            assert!(coarse_sleep_until(deadline).await >= deadline);
        });
    }
}
