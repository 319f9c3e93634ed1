//! The fixed CPU job of `cpu_offload` and the places it can run: on the
//! executor (inline), on the runtime's blocking pool, on a rayon pool, or on
//! one dedicated thread — each handing the result back to an awaiting task.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use futures::channel::oneshot;

use crate::measure::OpError;
use crate::runtime::Runtime;

/// A deterministic amount of single-core CPU: `passes` FNV-1a-style passes
/// over a fixed pseudo-random buffer of 64-bit words. Written here rather
/// than taken from a hash crate because it needs no quality, only a fixed,
/// portable cost: each step depends on the previous one (a multiply chain
/// the compiler cannot vectorise), and the result is checked against the
/// first run so the optimiser cannot drop the work.
#[derive(Clone)]
pub struct Job {
    words: Arc<[u64]>,
    passes: u32,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Job {
    /// A job over `kib` KiB, hashed `passes` times; the buffer comes from a
    /// fixed-seed xorshift, so every run and machine hashes the same bytes.
    pub fn new(kib: u64, passes: u32) -> Job {
        let n = (kib as usize * 1024 / 8).max(1);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let words: Arc<[u64]> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        Job { words, passes }
    }

    pub fn run(&self) -> u64 {
        let mut h = FNV_OFFSET;
        for _ in 0..self.passes {
            for &w in self.words.iter() {
                h ^= w;
                h = h.wrapping_mul(FNV_PRIME);
            }
        }
        std::hint::black_box(h)
    }

    /// Median single-thread cost over `runs` runs on the calling thread, in
    /// ns, and the job's result (the value every later run must match).
    pub fn calibrate(&self, runs: usize) -> (f64, u64) {
        let mut times = Vec::with_capacity(runs.max(1));
        let mut result = 0;
        for _ in 0..runs.max(1) {
            let t0 = Instant::now();
            result = self.run();
            times.push(t0.elapsed().as_nanos() as f64);
        }
        // At least one run, all finite durations: the sample's invariants hold.
        let median = crate::stats::Sample::new(times).map_or(0.0, |s| s.median());
        (median, result)
    }
}

/// A job and the thread that runs it, for the dedicated thread.
type Request = (Job, oneshot::Sender<u64>);

/// Where a job task sends its job.
#[derive(Clone)]
pub enum Place {
    /// On the executor thread, inside the task: CPU work on the loop.
    Inline,
    /// The runtime's pool for blocking work (`Runtime::spawn_blocking`).
    BlockingPool,
    /// A rayon pool; the result comes back through a futures oneshot.
    Rayon(Arc<rayon::ThreadPool>),
    /// One std thread fed by a channel, one job at a time.
    Dedicated(mpsc::Sender<Request>),
}

impl Place {
    /// A rayon pool of rayon's default size; its threads end when the last
    /// clone of this place is dropped.
    pub fn rayon() -> Result<Place, String> {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("asyncbench-rayon-{i}"))
            .build()
            .map(|pool| Place::Rayon(Arc::new(pool)))
            .map_err(|e| format!("cannot build the rayon pool: {e}"))
    }

    /// One std thread fed by a channel; it ends by itself once every sender
    /// (this place and its clones) is dropped.
    pub fn dedicated() -> Result<Place, String> {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("asyncbench-cpu".into())
            .spawn(move || {
                while let Ok((job, reply)) = rx.recv() {
                    // The awaiting task may be gone (aborted): fine.
                    let _ = reply.send(job.run());
                }
            })
            .map_err(|e| format!("cannot start the dedicated thread: {e}"))?;
        Ok(Place::Dedicated(tx))
    }

    /// Runs `job` here and returns its result to the awaiting task. A place
    /// that fails to hand a result back failed like a task that died: `Join`.
    pub async fn run<R: Runtime>(&self, rt: &R, job: &Job) -> Result<u64, OpError> {
        match self {
            Place::Inline => Ok(job.run()),
            Place::BlockingPool => {
                let j = job.clone();
                Ok(rt.spawn_blocking(move || j.run()).await?)
            }
            Place::Rayon(pool) => {
                let (tx, rx) = oneshot::channel();
                let j = job.clone();
                pool.spawn(move || {
                    let _ = tx.send(j.run());
                });
                rx.await.map_err(|_| OpError::Join("rayon dropped the job".into()))
            }
            Place::Dedicated(tx) => {
                let (reply, rx) = oneshot::channel();
                tx.send((job.clone(), reply))
                    .map_err(|_| OpError::Join("the dedicated thread is gone".into()))?;
                rx.await
                    .map_err(|_| OpError::Join("the dedicated thread dropped the job".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Job;

    #[test]
    fn job_is_deterministic_and_depends_on_its_size() {
        let a = Job::new(4, 2);
        assert_eq!(a.run(), Job::new(4, 2).run());
        assert_ne!(a.run(), Job::new(4, 3).run());
        assert_ne!(a.run(), Job::new(8, 2).run());
        let (ns, r) = a.calibrate(3);
        assert!(ns > 0.0);
        assert_eq!(r, a.run());
    }
}
