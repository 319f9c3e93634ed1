//! The generator's own event loop primitives on Linux: one epoll set whose
//! wait ends at an absolute CLOCK_MONOTONIC nanosecond, an eventfd to stop
//! the loop from another thread, and the clock they share.
//!
//! Hand-written on libc rather than `mio`: mio's `Poll::poll` rounds its
//! timeout to whole milliseconds (the very imprecision the pacer must avoid)
//! and has no timer of its own. [`Epoll::wait_until`] ends the wait with
//! `epoll_pwait2`'s nanosecond timeout (Linux 5.11; an hrtimer whose slack
//! is the thread's timer slack, set to 1 ns by [`min_timer_slack`]): one
//! syscall per sleep, where a timerfd in the set costs a `timerfd_settime`
//! per new deadline and a `read` per expiry besides. On an older kernel
//! (ENOSYS) it falls back to such a zero-slack timerfd (`timerfd_settime` →
//! `hrtimer_start` with no slack, fs/timerfd.c).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// CLOCK_MONOTONIC in nanoseconds (the clock of std's `Instant` on Linux and
/// of the timerfd, so a deadline read here arms the timer exactly).
pub(super) fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn owned(fd: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: a non-negative result of a *_create call is a fresh fd nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(check(fd)?) })
}

/// The token of the fallback timerfd's events (never returned to the caller).
const FALLBACK_TIMER: u64 = u64::MAX;

/// Sets this thread's timer slack to 1 ns (0 would mean "the default",
/// 50 µs), so an `epoll_pwait2` timeout ends when asked, not up to 50 µs
/// later. Affects only the calling thread.
pub(super) fn min_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes an integer; no pointers.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
}

/// An epoll set whose events carry a `u64` token (`u64::MAX` is reserved).
pub(super) struct Epoll {
    fd: OwnedFd,
    events: Vec<libc::epoll_event>,
    /// Set once `epoll_pwait2` proved missing: the timerfd that replaces it.
    fallback: Option<TimerFd>,
}

impl Epoll {
    pub(super) fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers.
        let fd = owned(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        Ok(Epoll {
            fd,
            events: vec![libc::epoll_event { events: 0, u64: 0 }; 256],
            fallback: None,
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, interest: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: interest,
            u64: token,
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        check(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) }).map(|_| ())
    }

    /// Watches `fd` (level-triggered) for `interest` (`EPOLLIN`, `EPOLLOUT`...).
    pub(super) fn add(&self, fd: RawFd, interest: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, interest, token)
    }

    pub(super) fn modify(&self, fd: RawFd, interest: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, interest, token)
    }

    /// Waits for events (`timeout_ms` -1: until one arrives, 0: just look);
    /// returns `(token, events)` pairs. EINTR counts as no event.
    pub(super) fn wait(&mut self, timeout_ms: libc::c_int) -> io::Result<impl Iterator<Item = (u64, u32)> + '_> {
        // SAFETY: the buffer holds `len` writable events.
        let n = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                self.events.as_mut_ptr(),
                self.events.len() as libc::c_int,
                timeout_ms,
            )
        };
        self.ready(n)
    }

    /// Waits for events until `at_ns` (`now_ns` clock) at the latest; one
    /// syscall (`epoll_pwait2`), or the timerfd fallback where it is missing.
    pub(super) fn wait_until(&mut self, at_ns: u64) -> io::Result<impl Iterator<Item = (u64, u32)> + '_> {
        if self.fallback.is_none() {
            let left = at_ns.saturating_sub(now_ns());
            let ts = libc::timespec {
                tv_sec: (left / 1_000_000_000) as libc::time_t,
                tv_nsec: (left % 1_000_000_000) as libc::c_long,
            };
            // SAFETY: the buffer holds `len` writable events; `ts` outlives the
            // call; a null sigmask means none (the call is then epoll_wait's
            // with a nanosecond timeout).
            let n = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    self.fd.as_raw_fd(),
                    self.events.as_mut_ptr(),
                    self.events.len() as libc::c_int,
                    &ts as *const libc::timespec,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            } as libc::c_int;
            if n >= 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS) {
                return self.ready(n);
            }
            let t = TimerFd::new()?;
            self.add(t.raw(), libc::EPOLLIN as u32, FALLBACK_TIMER)?;
            self.fallback = Some(t);
        }
        if let Some(t) = self.fallback.as_mut() {
            t.arm_at(at_ns)?;
        }
        let n = {
            // SAFETY: as in `wait`.
            unsafe {
                libc::epoll_wait(
                    self.fd.as_raw_fd(),
                    self.events.as_mut_ptr(),
                    self.events.len() as libc::c_int,
                    -1,
                )
            }
        };
        self.ready(n)
    }

    fn ready(&mut self, n: libc::c_int) -> io::Result<impl Iterator<Item = (u64, u32)> + '_> {
        let n = match check(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        let evs = &self.events[..n];
        if let Some(t) = self.fallback.as_mut()
            && evs.iter().any(|e| e.u64 == FALLBACK_TIMER)
        {
            t.clear();
        }
        Ok(evs
            .iter()
            .filter(|e| e.u64 != FALLBACK_TIMER)
            .map(|e| (e.u64, e.events)))
    }
}

/// A non-blocking one-shot timerfd armed at absolute CLOCK_MONOTONIC times
/// (the fallback of [`Epoll::wait_until`]).
struct TimerFd {
    fd: OwnedFd,
    armed: Option<u64>,
}

impl TimerFd {
    fn new() -> io::Result<TimerFd> {
        // SAFETY: no pointers.
        let fd = owned(unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) })?;
        Ok(TimerFd { fd, armed: None })
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Arms the timer to fire at `at_ns` (`now_ns` clock); a no-op when it
    /// is already armed there, so a loop re-arming each turn costs no syscall.
    fn arm_at(&mut self, at_ns: u64) -> io::Result<()> {
        if self.armed == Some(at_ns) {
            return Ok(());
        }
        // An all-zero it_value would disarm the timer instead of firing it.
        let at = at_ns.max(1);
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: (at / 1_000_000_000) as libc::time_t,
                tv_nsec: (at % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec; a null old_value is allowed.
        check(unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        })?;
        self.armed = Some(at_ns);
        Ok(())
    }

    /// Clears a fired timer (its readiness), after which it must be re-armed.
    fn clear(&mut self) {
        let mut n = 0u64;
        // SAFETY: reads 8 bytes into `n`; a not-yet-fired timer returns EAGAIN, ignored.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
        self.armed = None;
    }
}

/// An eventfd another thread writes to end a loop's wait.
pub(super) struct EventFd(OwnedFd);

impl EventFd {
    pub(super) fn new() -> io::Result<EventFd> {
        // SAFETY: no pointers.
        owned(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) }).map(EventFd)
    }

    pub(super) fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    pub(super) fn notify(&self) {
        let one = 1u64;
        // SAFETY: writes 8 bytes from `one`; the only failure (counter full) still leaves it readable.
        unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits until `deadline` (events on the way count as early ends, retried).
    fn sleep_to(ep: &mut Epoll, deadline: u64) {
        while now_ns() < deadline {
            assert_eq!(ep.wait_until(deadline).unwrap().count(), 0, "no fd is ready");
        }
    }

    #[test]
    fn the_wait_ends_at_its_deadline_not_before_with_either_timer() {
        min_timer_slack();
        for fallback in [false, true] {
            let mut ep = Epoll::new().unwrap();
            if fallback {
                let t = TimerFd::new().unwrap();
                ep.add(t.raw(), libc::EPOLLIN as u32, FALLBACK_TIMER).unwrap();
                ep.fallback = Some(t);
            }
            let deadline = now_ns() + 3_000_000;
            assert_eq!(ep.wait_until(deadline).unwrap().count(), 0);
            assert!(now_ns() >= deadline, "woke before the deadline (fallback {fallback})");
            // A past deadline returns at once; the fired fallback timer is not an event.
            sleep_to(&mut ep, now_ns() + 1_000_000);
            assert_eq!(ep.wait(0).unwrap().count(), 0);
            let e = EventFd::new().unwrap();
            ep.add(e.raw(), libc::EPOLLIN as u32, 9).unwrap();
            e.notify();
            let far = now_ns() + 10_000_000_000;
            assert_eq!(ep.wait_until(far).unwrap().map(|x| x.0).collect::<Vec<_>>(), [9]);
            assert_eq!(ep.wait(0).unwrap().map(|x| x.0).collect::<Vec<_>>(), [9]);
        }
    }
}
