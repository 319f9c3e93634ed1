//! `file_read` — the guide's "Concurrent File Reading with aiofiles": F files
//! of S bytes in a temporary directory, read one after another with std::fs
//! (`threads`), all at once through each runtime's file API, all at once with
//! spawn_blocking(std::fs), and with rayon (`rayon`). The page cache is warm:
//! every file is read once before measuring. Every read is checked (length
//! and checksum) against what was written.

use std::hash::Hasher;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Deserialize;
use toml::Spanned;

use crate::measure::cost::{Stopwatch, Timed};
use crate::measure::{Batch, ErrorKind, OpError};
use crate::results::Comparison;
use crate::runtime::{Flavor, Runtime};
use crate::scenario::driver::{self, AsyncScenario, Bench, BlockingBench};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};
use crate::{param, param_error};

/// F·S may not exceed this (the files live in the temp directory).
const MAX_TOTAL: u64 = 256 << 20;

/// How a variant reads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    /// `std::fs::read` one file after another on the calling thread.
    StdSequential,
    /// `Runtime::read_file` for every file, joined on one task.
    RuntimeFs,
    /// `spawn_blocking(std::fs::read)` for every file, joined on one task.
    SpawnBlocking,
    /// `par_iter` over the files on a rayon pool.
    Rayon,
}

impl Variant {
    /// Each variant runs where it means something: std and rayon need no
    /// async runtime (running the same blocking loop inside five runtimes
    /// would time the same code five times), the other two need one.
    fn applies(self, f: Flavor) -> bool {
        match self {
            Variant::StdSequential => f == Flavor::Threads,
            Variant::Rayon => f == Flavor::Rayon,
            Variant::RuntimeFs | Variant::SpawnBlocking => f.as_async().is_some(),
        }
    }

    fn note(self) -> &'static str {
        match self {
            Variant::StdSequential => "std::fs::read, one file after another on one thread",
            Variant::RuntimeFs => "the runtime's own file API (Runtime::read_file), all reads joined on one task",
            Variant::SpawnBlocking => "std::fs::read on the runtime's blocking pool, all reads joined on one task",
            Variant::Rayon => "std::fs::read in a rayon par_iter (pool of `workers` threads)",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    files: Spanned<u64>,
    file_bytes: Spanned<u64>,
}

/// The checked parameters.
#[derive(Debug, Clone, Copy)]
pub struct FileRead {
    pub files: usize,
    pub file_bytes: usize,
}

impl Scenario for FileRead {
    const NAME: &'static str = "file_read";
    type Params = Params;
    type Variant = Variant;

    fn runtimes() -> Vec<Flavor> {
        let mut runtimes = Flavor::all_async();
        runtimes.extend([Flavor::Threads, Flavor::Rayon]);
        runtimes
    }

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let files = param!(src, p.files, 1, 4096)?;
        let file_bytes = param!(src, p.file_bytes, 1, 16 << 20)?;
        if files * file_bytes > MAX_TOTAL {
            return Err(param_error!(
                src,
                p.file_bytes,
                "files·file_bytes = {} B: allowed at most {MAX_TOTAL} B",
                files * file_bytes
            ));
        }
        Ok(FileRead {
            files: files as usize,
            file_bytes: file_bytes as usize,
        })
    }

    fn cases(&self, v: Variant, flavor: Flavor) -> Vec<Case> {
        if !v.applies(flavor) {
            return Vec::new();
        }
        vec![
            Case::new(self.files as u64, "files")
                .note(v.note())
                .note(format!(
                    "{} files × {} B; page cache warm (each file read once before measuring): this times syscalls, copies and scheduling, not the disk",
                    self.files, self.file_bytes
                ))
                .note("per-file latency = issue → bytes in hand (concurrent variants issue every read at once)"),
        ]
    }

    fn prepare(&self, v: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        if !v.applies(case.flavor) {
            return Err(format!("{} does not run on {}", case.variant, case.flavor));
        }
        let set =
            Arc::new(FileSet::create(self.files, self.file_bytes).map_err(|e| format!("cannot create files: {e}"))?);
        match v {
            Variant::StdSequential => Ok(Box::new(BlockingBench(move || read_sequential(&set)))),
            Variant::Rayon => {
                let n = env.workers.unwrap_or_else(crate::runtime::default_workers).max(1);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("asyncbench-rayon-{i}"))
                    .build()
                    .map_err(|e| format!("cannot start rayon: {e}"))?;
                Ok(Box::new(BlockingBench(move || read_rayon(&pool, &set))))
            }
            Variant::RuntimeFs | Variant::SpawnBlocking => driver::prepare_async(case, env, FileCase { how: v, set }),
        }
    }

    fn comparisons(&self) -> Vec<Comparison> {
        // std_sequential runs on `threads` alone: every async row is set against that one row.
        vec![
            Comparison::variants(
                "runtime_fs",
                "std_sequential",
                "aiofiles-style async file reads vs plain sequential reads, per file",
            ),
            Comparison::variants(
                "spawn_blocking",
                "std_sequential",
                "blocking reads offloaded to a thread pool (to_thread) vs plain sequential reads, per file",
            ),
            Comparison::variants(
                "rayon",
                "std_sequential",
                "a rayon pool vs plain sequential reads, per file",
            ),
            Comparison::runtimes("runtime_fs", "which runtime's async file reads are fastest, per file"),
        ]
    }

    fn describe(&self) -> String {
        format!("F={} files × S={} B, warm page cache", self.files, self.file_bytes)
    }
}

/// One file's expected length and checksum.
pub struct Expected {
    pub path: PathBuf,
    pub len: usize,
    pub sum: u64,
}

/// The files, in a temporary directory removed on drop.
pub struct FileSet {
    dir: tempfile::TempDir,
    pub files: Vec<Expected>,
}

/// A checksum for comparing reads within one process (SipHash with fixed keys).
pub fn checksum(b: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(b);
    h.finish()
}

impl FileSet {
    /// Writes `count` files of `bytes` pseudo-random bytes (a different seed
    /// per file, so mixed-up reads cannot match) and reads each once so the
    /// page cache is warm.
    pub fn create(count: usize, bytes: usize) -> io::Result<FileSet> {
        let dir = tempfile::Builder::new().prefix("asyncbench-files-").tempdir()?;
        let mut files = Vec::with_capacity(count);
        for i in 0..count {
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let data: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(bytes).collect();
            let path = dir.path().join(format!("file-{i:04}.bin"));
            std::fs::write(&path, &data)?;
            files.push(Expected {
                path,
                len: data.len(),
                sum: checksum(&data),
            });
        }
        for f in &files {
            std::fs::read(&f.path)?;
        }
        Ok(FileSet { dir, files })
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Checks each read against its file and builds the batch: a failed or
    /// mismatched read is an error, never a latency. The check runs after the
    /// stopwatch `timed` came from stopped, so it is neither timed nor costed.
    pub fn finish<E: Into<OpError>>(&self, timed: Timed, reads: Vec<(Result<Vec<u8>, E>, Duration)>) -> Batch {
        let wall = timed.wall;
        let mut b = Batch::timed(timed);
        let (mut mismatched, mut bytes) = (0u64, 0usize);
        for (f, (r, latency)) in self.files.iter().zip(reads) {
            match r {
                Ok(d) if d.len() == f.len && checksum(&d) == f.sum => {
                    bytes += d.len();
                    b.latencies.push(latency);
                }
                Ok(_) => mismatched += 1,
                Err(e) => b.errors.record(&e.into()),
            }
        }
        b.errors.add(ErrorKind::Invalid, mismatched);
        let secs = wall.as_secs_f64().max(1e-9);
        b.values = vec![
            (
                "files_per_s",
                (self.files.len() as u64 - b.errors.total()) as f64 / secs,
            ),
            ("mib_per_s", bytes as f64 / (1024.0 * 1024.0) / secs),
            ("mismatched_files", mismatched as f64),
        ];
        b
    }
}

/// `std_sequential`: latency of each read from its own start.
pub fn read_sequential(set: &FileSet) -> Batch {
    let sw = Stopwatch::start();
    let reads = set
        .files
        .iter()
        .map(|f| {
            let t = Instant::now();
            let r = std::fs::read(&f.path);
            (r, t.elapsed())
        })
        .collect();
    set.finish(sw.stop(), reads)
}

/// `rayon`: every read issued at the batch start.
pub fn read_rayon(pool: &rayon::ThreadPool, set: &FileSet) -> Batch {
    let sw = Stopwatch::start();
    let t0 = sw.started().unwrap_or_else(Instant::now);
    let reads = pool.install(|| {
        set.files
            .par_iter()
            .map(|f| (std::fs::read(&f.path), t0.elapsed()))
            .collect()
    });
    set.finish(sw.stop(), reads)
}

/// `runtime_fs` / `spawn_blocking`: every read issued at the batch start and
/// joined on the calling task; latency ends when the task sees the bytes.
pub async fn read_concurrent<R: Runtime>(rt: &R, set: &FileSet, how: Variant) -> Batch {
    let sw = Stopwatch::start();
    let t0 = sw.started().unwrap_or_else(Instant::now);
    let reads = set.files.iter().map(|f| {
        let path = f.path.clone();
        async move {
            let r: Result<Vec<u8>, OpError> = if how == Variant::SpawnBlocking {
                let h = rt.spawn_blocking(move || std::fs::read(path));
                h.await.map_err(OpError::from).and_then(|r| r.map_err(OpError::from))
            } else {
                rt.read_file(path).await.map_err(OpError::from)
            };
            (r, t0.elapsed())
        }
    });
    let reads = futures::future::join_all(reads).await;
    set.finish(sw.stop(), reads)
}

/// One async file_read case: the same code on every runtime.
pub struct FileCase {
    pub how: Variant,
    pub set: Arc<FileSet>,
}

impl AsyncScenario for FileCase {
    type State<R: Runtime> = ();

    async fn setup<R: Runtime>(&self, _rt: &R) -> Result<(), String> {
        Ok(())
    }

    async fn batch<R: Runtime>(&self, rt: &R, _: &mut ()) -> Batch {
        read_concurrent(rt, &self.set, self.how).await
    }
}
