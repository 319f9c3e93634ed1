//! CPU clocks: the whole process's and the calling thread's CPU time, read
//! with clock_gettime(2) (CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID;
//! nanosecond units, the kernel's accounting granularity behind them).

use std::time::Duration;

fn read(clock: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a
    // constant every POSIX system defines; the call writes nothing else.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

/// CPU time consumed by every thread of this process so far.
pub fn process_cpu_time() -> Option<Duration> {
    read(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time consumed by the calling thread so far.
pub fn thread_cpu_time() -> Option<Duration> {
    read(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn cpu_clocks_advance_with_work() {
        let (p0, t0) = (process_cpu_time().unwrap(), thread_cpu_time().unwrap());
        let mut x = 0u64;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu_time().unwrap() > p0);
        assert!(thread_cpu_time().unwrap() > t0);
    }
}
