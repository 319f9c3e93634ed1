//! The watchdog: a case runs on its own thread, and a call that does not
//! return in time (a scenario stuck in a blocked executor, a server that
//! stopped answering past every timeout) ends that case with an error while
//! the run goes on. A stuck thread cannot be killed; it is abandoned and
//! ends with the process.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::scenario::{Bench, CaseRecord};

enum Cmd {
    Run { iters: u64, record: bool },
    Finish,
}

enum Reply {
    Ran(Result<Duration, String>),
    Finished(Box<CaseRecord>),
}

/// A case behind a watchdog.
pub struct Guarded {
    tx: Sender<Cmd>,
    rx: Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
    /// The wait for shutting the case down.
    limit: Duration,
    /// Set once the case failed (error or timeout); later calls do nothing.
    pub failed: Option<String>,
}

impl Guarded {
    /// Moves `bench` onto a worker thread; `limit` bounds `finish`.
    pub fn new(mut bench: Box<dyn Bench>, limit: Duration) -> std::io::Result<Guarded> {
        let (tx, cmd_rx) = mpsc::channel::<Cmd>();
        let (reply_tx, rx) = mpsc::channel::<Reply>();
        let thread = std::thread::Builder::new()
            .name("asyncbench-case".into())
            .spawn(move || {
                let mut rec = CaseRecord::default();
                while let Ok(cmd) = cmd_rx.recv() {
                    match cmd {
                        Cmd::Run { iters, record } => {
                            // Cost is counted by each batch's own stopwatch over its timed
                            // region (see measure::cost) and arrives in `rec` with the batch,
                            // so both entry points measure it alike.
                            use crate::measure::task_metrics;
                            let metrics = record && task_metrics::enabled();
                            if metrics {
                                task_metrics::reset();
                            }
                            let r = bench.run(iters, record.then_some(&mut rec));
                            if metrics && let Some((poll, wake)) = task_metrics::take() {
                                rec.extra.entry("poll_duration").or_default().absorb(poll);
                                rec.extra.entry("wake_to_poll").or_default().absorb(wake);
                            }
                            if reply_tx.send(Reply::Ran(r)).is_err() {
                                return;
                            }
                        }
                        Cmd::Finish => {
                            // The runtime shuts down here, before the next case starts.
                            drop(bench);
                            let _ = reply_tx.send(Reply::Finished(Box::new(rec)));
                            return;
                        }
                    }
                }
            })?;
        Ok(Guarded {
            tx,
            rx,
            thread: Some(thread),
            limit,
            failed: None,
        })
    }

    /// Runs `iters` batches, waiting at most `limit`; returns their summed
    /// wall time, or records the failure and returns `None`.
    pub fn run(&mut self, iters: u64, record: bool, limit: Duration) -> Option<Duration> {
        if self.failed.is_some() {
            return None;
        }
        if self.tx.send(Cmd::Run { iters, record }).is_err() {
            self.failed = Some("the case's thread ended unexpectedly (panic?)".into());
            return None;
        }
        match self.rx.recv_timeout(limit) {
            Ok(Reply::Ran(Ok(d))) => Some(d),
            Ok(Reply::Ran(Err(e))) => {
                self.failed = Some(e);
                None
            }
            Ok(Reply::Finished(_)) => None,
            Err(RecvTimeoutError::Timeout) => {
                self.failed = Some(format!(
                    "watchdog: {iters} batch(es) did not finish within {:.0} s; the case was abandoned",
                    limit.as_secs_f64()
                ));
                // Never joined: a stuck thread would hang the harness.
                self.thread.take();
                None
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.failed = Some("the case's thread panicked".into());
                None
            }
        }
    }

    /// Shuts the case's runtime down and returns what it recorded (None if
    /// the case failed or its thread is stuck).
    pub fn finish(mut self) -> Option<CaseRecord> {
        if self.failed.is_some() || self.tx.send(Cmd::Finish).is_err() {
            return None;
        }
        // Shutting a runtime down is bounded (1 s for tokio); allow slack.
        match self.rx.recv_timeout(self.limit.max(Duration::from_secs(5))) {
            Ok(Reply::Finished(rec)) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                Some(*rec)
            }
            _ => None,
        }
    }
}

/// How long `iters` batches of `case` may take before the watchdog gives up:
/// a generous base (60 s, or `ASYNCBENCH_WATCHDOG_SECS`) plus ten times the
/// case's ideal per batch, so long-by-design cases are never cut.
pub fn limit(case: &crate::scenario::CaseSpec, iters: u64, extra: Duration) -> Duration {
    let base = std::env::var("ASYNCBENCH_WATCHDOG_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(60), Duration::from_secs_f64);
    let ideal = case.ideal.as_ref().map_or(0, |i| i.ns);
    base + extra + Duration::from_nanos(ideal.saturating_mul(10).saturating_mul(iters))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Batch;
    use crate::scenario::driver::BlockingBench;

    #[test]
    fn a_stuck_case_is_abandoned_and_reported() {
        let bench = BlockingBench(|| {
            std::thread::sleep(Duration::from_secs(3600));
            Batch::default()
        });
        let mut g = Guarded::new(Box::new(bench), Duration::from_millis(200)).unwrap();
        let t0 = std::time::Instant::now();
        assert_eq!(g.run(1, true, Duration::from_millis(200)), None);
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert!(g.failed.as_deref().unwrap_or("").contains("watchdog"), "{:?}", g.failed);
        assert!(g.finish().is_none());
    }

    #[test]
    fn a_healthy_case_returns_its_record() {
        let bench = BlockingBench(|| Batch {
            wall: Duration::from_millis(1),
            ..Batch::default()
        });
        let mut g = Guarded::new(Box::new(bench), Duration::from_secs(5)).unwrap();
        let limit = Duration::from_secs(5);
        assert_eq!(g.run(3, true, limit), Some(Duration::from_millis(3)));
        assert_eq!(g.run(2, false, limit), Some(Duration::from_millis(2)));
        let rec = g.finish().unwrap();
        assert_eq!(rec.batches(), 3, "unrecorded (warm-up) batches are not kept");
    }
}
