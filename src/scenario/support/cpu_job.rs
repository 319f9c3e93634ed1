//! The fixed CPU job of `cpu_offload` and the places it can run: on the
//! executor (inline), on the runtime's blocking pool, on a rayon pool, or on
//! one dedicated thread — each handing the result back to an awaiting task.
//! The offload threads run on the offload CPU set (`runtime::offload`), not
//! the loop's, and each place keeps the ids of the threads that ran its jobs
//! so their masks can be read back.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
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

/// The threads that ran a place's jobs (tids), kept so their CPU masks can be read back.
/// Preallocated so that noting a thread inside a timed region allocates nothing.
#[derive(Clone)]
pub struct Seen(Arc<Mutex<Vec<libc::pid_t>>>);

/// More distinct job threads than any pool here has; later ones are not noted.
const MAX_SEEN: usize = 256;

impl Seen {
    fn new() -> Seen {
        Seen(Arc::new(Mutex::new(Vec::with_capacity(MAX_SEEN))))
    }

    /// Notes the calling thread.
    fn note(&self) {
        // SAFETY: gettid has no memory effects.
        let tid = unsafe { libc::gettid() };
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !v.contains(&tid) && v.len() < MAX_SEEN {
            v.push(tid);
        }
    }

    pub fn tids(&self) -> Vec<libc::pid_t> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Where a job task sends its job.
#[derive(Clone)]
pub enum Place {
    /// On the executor thread, inside the task: CPU work on the loop.
    Inline,
    /// The runtime's pool for blocking work (`Runtime::spawn_blocking`).
    BlockingPool(Seen),
    /// A rayon pool; the result comes back through a futures oneshot.
    Rayon(Arc<rayon::ThreadPool>, Seen),
    /// One std thread fed by a channel, one job at a time.
    Dedicated(mpsc::Sender<Request>, Seen),
}

impl Place {
    /// The runtime's blocking pool (its threads move to the offload set, see
    /// `runtime::offload`).
    pub fn blocking_pool() -> Place {
        Place::BlockingPool(Seen::new())
    }

    /// A rayon pool of one thread per offload CPU (rayon's default size when
    /// no offload set is given), its threads on the offload set;
    /// they end when the last clone of this place is dropped.
    pub fn rayon() -> Result<Place, String> {
        let seen = Seen::new();
        let noted = seen.clone();
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("asyncbench-rayon-{i}"))
            // Sized for the offload set: rayon's default counts the CPUs the *calling* thread
            // may use, which on a current-thread runtime is the loop's one CPU (0 = default).
            .num_threads(crate::runtime::offload::cpus().map_or(0, |s| s.len()))
            .start_handler(move |_| {
                crate::runtime::offload::enter();
                noted.note();
            })
            .build()
            .map(|pool| Place::Rayon(Arc::new(pool), seen))
            .map_err(|e| format!("cannot build the rayon pool: {e}"))
    }

    /// One std thread fed by a channel, on the offload set; it ends by itself
    /// once every sender (this place and its clones) is dropped.
    pub fn dedicated() -> Result<Place, String> {
        let (tx, rx) = mpsc::channel::<Request>();
        let seen = Seen::new();
        let noted = seen.clone();
        std::thread::Builder::new()
            .name("asyncbench-cpu".into())
            .spawn(move || {
                crate::runtime::offload::enter();
                noted.note();
                while let Ok((job, reply)) = rx.recv() {
                    // The awaiting task may be gone (aborted): fine.
                    let _ = reply.send(job.run());
                }
            })
            .map_err(|e| format!("cannot start the dedicated thread: {e}"))?;
        Ok(Place::Dedicated(tx, seen))
    }

    /// The threads that ran (or run) this place's jobs; `None` inline (the loop itself).
    pub fn seen(&self) -> Option<&Seen> {
        match self {
            Place::Inline => None,
            Place::BlockingPool(s) | Place::Rayon(_, s) | Place::Dedicated(_, s) => Some(s),
        }
    }

    /// Runs `job` here and returns its result to the awaiting task. A place
    /// that fails to hand a result back failed like a task that died: `Join`.
    pub async fn run<R: Runtime>(&self, rt: &R, job: &Job) -> Result<u64, OpError> {
        match self {
            Place::Inline => Ok(job.run()),
            Place::BlockingPool(seen) => {
                let (j, seen) = (job.clone(), seen.clone());
                Ok(rt
                    .spawn_blocking(move || {
                        seen.note();
                        j.run()
                    })
                    .await?)
            }
            Place::Rayon(pool, _) => {
                let (tx, rx) = oneshot::channel();
                let j = job.clone();
                pool.spawn(move || {
                    let _ = tx.send(j.run());
                });
                rx.await.map_err(|_| OpError::Join("rayon dropped the job".into()))
            }
            Place::Dedicated(tx, _) => {
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
