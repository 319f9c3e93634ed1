//! Runtime-neutral task metrics (opt-in, `--task-metrics` / `ASYNCBENCH_TASK_METRICS=1`): one
//! future wrapper, [`instrument`], applied identically to every task every flavour spawns (in
//! each flavour's `Runtime::spawn`) and to each batch's root future (the driver), records how
//! long each poll took and how long a task waited from its wake to its next poll: the figures
//! tokio-metrics gives for tokio only, for every runtime alike.
//!
//! The waker a task sees is wrapped (one `Arc` per task, made once) so that a wake stamps the
//! time before passing the wake on. Recording goes to two process-wide recorders behind a
//! mutex: simple and the same on every runtime, at the price of a lock per poll, which is why
//! this is off by default. Its cost per poll is measured ([`overhead_ns_per_poll`]) and written
//! in the summary (`cost_info.task_metrics_overhead_ns`).
//!
//! Only the recorded calls count: the watchdog [`reset`]s the recorders before each recorded
//! call and [`take`]s them after, into the case's extra metrics `poll_duration` and
//! `wake_to_poll` (a row each in the summary).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use super::Recorder;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the metrics on or off for tasks spawned from now on.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// `ASYNCBENCH_TASK_METRICS=1` (or `true`) turns them on for `cargo bench`.
pub fn enabled_by_env() -> bool {
    std::env::var("ASYNCBENCH_TASK_METRICS").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

struct Recorders {
    poll: Recorder,
    wake: Recorder,
}

fn recorders() -> &'static Mutex<Recorders> {
    static R: OnceLock<Mutex<Recorders>> = OnceLock::new();
    R.get_or_init(|| {
        Mutex::new(Recorders {
            poll: Recorder::new(),
            wake: Recorder::new(),
        })
    })
}

/// A fixed origin, so a wake time fits in one atomic (ns since it; 0 = not woken).
fn origin() -> Instant {
    static O: OnceLock<Instant> = OnceLock::new();
    *O.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX).max(1)
}

/// Discards what was recorded so far (the start of a recorded call).
pub fn reset() {
    if let Ok(mut r) = recorders().lock() {
        r.poll = Recorder::new();
        r.wake = Recorder::new();
    }
}

/// Takes what was recorded since the last [`reset`]: (poll durations, wake → poll delays).
pub fn take() -> Option<(Recorder, Recorder)> {
    let mut r = recorders().lock().ok()?;
    let poll = std::mem::take(&mut r.poll);
    let wake = std::mem::take(&mut r.wake);
    (!poll.is_empty()).then_some((poll, wake))
}

/// Wraps `f` so its polls and wakes are recorded, if the metrics are on.
pub fn instrument<F: Future>(f: F) -> Instrumented<F> {
    Instrumented {
        inner: f,
        stamp: enabled().then(|| {
            let s = Arc::new(Stamp::default());
            (Waker::from(s.clone()), s)
        }),
    }
}

#[derive(Default)]
struct Stamp {
    woke_ns: AtomicU64,
    /// The waker of the runtime the task last ran on.
    inner: Mutex<Option<Waker>>,
}

impl Wake for Stamp {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // The first wake since the last poll is the one the delay counts from.
        let _ = self.woke_ns.compare_exchange(0, now_ns(), Relaxed, Relaxed);
        let w = self.inner.lock().ok().and_then(|g| g.clone());
        if let Some(w) = w {
            w.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls are timed and whose waker stamps its wakes (see the module doc).
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        stamp: Option<(Waker, Arc<Stamp>)>,
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some((waker, stamp)) = this.stamp.as_ref() else {
            return this.inner.poll(cx);
        };
        if let Ok(mut g) = stamp.inner.lock()
            && !g.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
        {
            *g = Some(cx.waker().clone());
        }
        let start = now_ns();
        let woke = stamp.woke_ns.swap(0, Relaxed);
        let out = this.inner.poll(&mut Context::from_waker(waker));
        let end = now_ns();
        if let Ok(mut r) = recorders().lock() {
            r.poll.record_ns(end.saturating_sub(start).max(1));
            if woke != 0 {
                r.wake.record_ns(start.saturating_sub(woke).max(1));
            }
        }
        out
    }
}

/// What the wrapper adds to one poll (two clock reads, the waker check, the lock and two
/// records), ns: the median over rounds of instrumented minus plain polls of a ready future.
pub fn overhead_ns_per_poll() -> f64 {
    const ROUNDS: usize = 11;
    const PER_ROUND: u32 = 20_000;
    let was = enabled();
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut diffs = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        set_enabled(true);
        let t0 = Instant::now();
        for i in 0..PER_ROUND {
            let mut f = std::pin::pin!(instrument(std::future::ready(std::hint::black_box(i))));
            let _ = std::hint::black_box(f.as_mut().poll(&mut cx));
        }
        let on = t0.elapsed();
        set_enabled(false);
        let t0 = Instant::now();
        for i in 0..PER_ROUND {
            let mut f = std::pin::pin!(instrument(std::future::ready(std::hint::black_box(i))));
            let _ = std::hint::black_box(f.as_mut().poll(&mut cx));
        }
        let off = t0.elapsed();
        diffs.push((on.as_nanos() as f64 - off.as_nanos() as f64) / f64::from(PER_ROUND));
    }
    set_enabled(was);
    reset();
    crate::stats::median(diffs).expect("11 finite differences").max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Pending on its first poll, woken from another thread after `delay`, ready on the next.
    struct WokenLater {
        spawned: bool,
        done: Arc<AtomicBool>,
        delay: Duration,
    }

    impl Future for WokenLater {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.done.load(Relaxed) {
                return Poll::Ready(());
            }
            if !self.spawned {
                self.spawned = true;
                let (w, done, d) = (cx.waker().clone(), self.done.clone(), self.delay);
                std::thread::spawn(move || {
                    std::thread::sleep(d);
                    done.store(true, Relaxed);
                    w.wake();
                });
            }
            Poll::Pending
        }
    }

    #[test]
    fn records_polls_and_the_wake_to_poll_delay() {
        // The recorders are process-wide: this is the only test that records into them.
        set_enabled(true);
        reset();
        let f = instrument(WokenLater {
            spawned: false,
            done: Arc::new(AtomicBool::new(false)),
            delay: Duration::from_millis(5),
        });
        set_enabled(false);
        // A thread that sleeps 20 ms between the wake and the next poll: the delay reads ≥ 20 ms.
        let f = async move {
            let mut f = std::pin::pin!(f);
            std::future::poll_fn(|cx| match f.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(()),
                Poll::Pending => {
                    std::thread::sleep(Duration::from_millis(20));
                    Poll::Pending
                }
            })
            .await
        };
        futures::executor::block_on(f);
        let (poll, wake) = take().unwrap();
        assert!(poll.len() >= 2, "{}", poll.len());
        assert!(!wake.is_empty());
        let delay = wake.histogram().max();
        // The wake came ~5 ms into the first poll's 20 ms sleep: at least 10 ms before the next poll.
        assert!(delay >= 10_000_000, "{delay}");
    }
}
