//! One-shot waits on a Linux `timerfd` registered with tokio's `AsyncFd`: the coarse step of the
//! server's precise timer (see `timer.rs`).
//!
//! Why not `tokio::time::sleep`: tokio's timer wheel rounds every deadline up to the next
//! millisecond tick and mio rounds the epoll timeout to whole milliseconds, so `/delay/1` took
//! 2.2 ms. A timerfd is an hrtimer started with zero slack (`timerfd_settime` → `hrtimer_start`,
//! fs/timerfd.c), and its readiness ends the worker's `epoll_wait` the moment it fires: the
//! technique async-io's `polling` crate uses for sub-millisecond timeouts. No crate is needed
//! for it (libc is already a dependency). A wait costs ~5 syscalls (create, arm, register, read,
//! close), all but the read off the lateness path.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Waits on a fresh timerfd until `deadline`; returns when the wait ended, never before
/// `deadline`. Must run inside a tokio runtime with I/O enabled.
pub(super) async fn sleep_until(deadline: Instant) -> io::Result<Instant> {
    // `with_interest` is in every tokio 1.x the manifest accepts (1.47 on); tokio 1.54 deprecates
    // it for the unsafe `register_with_interest`, which older versions lack. Its soundness
    // condition holds here: TimerFd owns its fd, always reports the same one, and closes it only
    // when dropped, after the AsyncFd holding it has deregistered it.
    #[allow(deprecated)]
    let fd = AsyncFd::with_interest(TimerFd::new()?, Interest::READABLE)?;
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
