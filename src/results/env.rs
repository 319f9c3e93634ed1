//! The environment a run was measured in (`env.json` and `summary.json`'s `env`): host, CPU,
//! memory, load, toolchain, git state and the resolved versions of the crates under test.
//! Every probe is best effort: a probe that fails yields "unknown" or `None`, never an error,
//! because a missing `git` or a non-Linux `/proc` must not stop a benchmark.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

const UNKNOWN: &str = "unknown";

/// Crates whose resolved version is recorded, because a result is only comparable with another
/// measured against the same runtime and HTTP stack versions.
pub const TRACKED_CRATES: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "async-executor",
    "async-io",
    "hyper",
    "hyper-util",
    "smol-hyper",
    "ureq",
    "criterion",
    "hdrhistogram",
    "rayon",
    "flume",
    "async-channel",
    "plotters",
];

/// The environment of a run (`env.json`, and `summary.json`'s `env`). Probes are best effort:
/// a value that could not be read is "unknown", 0 or absent, as each field says.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnvInfo {
    /// The machine's host name (also the run id's suffix).
    pub host: String,
    /// `std::env::consts::OS`, e.g. "linux".
    pub os: String,
    /// `std::env::consts::ARCH`, e.g. "x86_64".
    pub arch: String,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// The first `model name` of `/proc/cpuinfo`; "unknown" where the kernel gives none.
    pub cpu_model: String,
    /// Cores this process may run on (`available_parallelism`, which honours affinity masks and
    /// cgroup quotas: what the runtimes size their worker pools from); 0 if unknown.
    pub logical_cores: usize,
    /// Total RAM (`MemTotal` in `/proc/meminfo`); 0 if unknown.
    pub memory_bytes: u64,
    /// `rustc --version` of the rustc on PATH (normally the one that built this binary).
    pub rustc: String,
    /// Cargo profile the benchmark was built with, as given by the caller.
    pub profile: String,
    /// `git rev-parse HEAD` of the source tree; absent outside a git checkout or without git.
    pub git_commit: Option<String>,
    /// Whether the work tree had uncommitted changes (`git status --porcelain` non-empty).
    pub git_dirty: Option<bool>,
    /// This crate's version (`CARGO_PKG_VERSION`).
    pub asyncbench_version: String,
    /// Crate name -> resolved version(s) from Cargo.lock; several versions are joined by ", ".
    #[serde(default)]
    pub crates: BTreeMap<String, String>,
    /// The one-minute load average when the run started (`/proc/loadavg`): other work on the
    /// machine; absent where it cannot be read.
    pub load_avg_1m: Option<f64>,
    /// Percent of the machine's CPU time (all cores) that other processes kept busy while the
    /// environment was probed (at least 0.2 s at the start of the run; `measure::steal::OtherWork`):
    /// what is running now, which the load average, slow to forget, cannot tell. Absent where
    /// `/proc` cannot be read, and in runs made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_busy_pct: Option<f64>,
    /// Where the server and the side under test ran (CPU sets), and whether that was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<crate::measure::placement::PlacementInfo>,
    /// The C allocator's thresholds as the process held them (`measure::heap`); absent where
    /// they were left at the C library's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<String>,
    /// The run was made against an external server (`run --server`): where it was and what it
    /// said about itself. Absent when the server ran in-process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_server: Option<RemoteServer>,
    /// The guide's Python side, when the run had one: `python`, `implementation` and each
    /// package's version (aiohttp, uvloop, aiofiles, requests, hdrhistogram).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub python: BTreeMap<String, String>,
}

/// What the test server's `GET /env` answers (see `server::fingerprint`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerFingerprint {
    /// The address the server listens on, as it sees it.
    pub addr: String,
    /// Worker threads of the server's runtime.
    pub threads: usize,
    /// Whether fault controls (`/stall`, `/flaky`) answer non-loopback clients.
    pub allow_remote_faults: bool,
    /// The server process's environment, collected as a run collects its own.
    pub env: EnvInfo,
}

/// The external server a run measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RemoteServer {
    /// The address the run sent to (`--server`).
    pub addr: String,
    /// Whether that address is a loopback one (the same host) or another host's.
    pub loopback: bool,
    /// The server's own answer at `/env`, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Box<ServerFingerprint>>,
    /// Why there is no fingerprint (an older server without `/env`, a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_error: Option<String>,
}

/// Probes the environment. `crate_dir` is where `Cargo.lock` and the git work tree are.
pub fn collect(profile: &str, crate_dir: &Path) -> EnvInfo {
    // Opened first, closed last: the probes below run in this window (their CPU is ours).
    let other_work = crate::measure::steal::OtherWork::start();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let logical_cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or_else(|_| count_processors(&cpuinfo));
    let git_commit =
        run(Command::new("git").arg("-C").arg(crate_dir).args(["rev-parse", "HEAD"])).filter(|s| !s.is_empty());
    let git_dirty = run(Command::new("git")
        .arg("-C")
        .arg(crate_dir)
        .args(["status", "--porcelain"]))
    .map(|s| !s.is_empty())
    // A dirty flag without a commit would describe nothing.
    .filter(|_| git_commit.is_some());
    let rustc = run(Command::new("rustc").arg("--version"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| UNKNOWN.to_string());
    EnvInfo {
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| UNKNOWN.to_string()),
        cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| UNKNOWN.to_string()),
        logical_cores,
        memory_bytes: fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| mem_total_bytes(&s))
            .unwrap_or(0),
        rustc,
        profile: profile.to_string(),
        git_commit,
        git_dirty,
        asyncbench_version: env!("CARGO_PKG_VERSION").to_string(),
        crates: fs::read_to_string(crate_dir.join("Cargo.lock"))
            .map(|s| locked_versions(&s, TRACKED_CRATES))
            .unwrap_or_default(),
        load_avg_1m: fs::read_to_string("/proc/loadavg").ok().and_then(|s| load_avg_1m(&s)),
        other_busy_pct: other_work.and_then(|w| w.busy_pct()),
        placement: None,
        heap: crate::measure::heap::setting(),
        remote_server: None,
        python: Default::default(),
    }
}

/// Runs a command with no stdin and returns its trimmed stdout if it exited successfully.
fn run(cmd: &mut Command) -> Option<String> {
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// First "model name" line of /proc/cpuinfo (x86; most arm64 kernels omit it).
pub(crate) fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name")
            .then(|| value.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

fn count_processors(cpuinfo: &str) -> usize {
    cpuinfo
        .lines()
        .filter(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == "processor"))
        .count()
}

/// `MemTotal:  16318412 kB` -> bytes. The kernel's "kB" means KiB (fs/proc/meminfo.c).
pub(crate) fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line["MemTotal:".len()..].split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// First field of /proc/loadavg.
pub(crate) fn load_avg_1m(loadavg: &str) -> Option<f64> {
    loadavg
        .split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

/// Resolved versions of `wanted` crates from the text of a Cargo.lock (`[[package]]` tables
/// with `name` and `version`). A crate locked at several versions (e.g. async-io 1.x via
/// async-std next to 2.x) gets them all, sorted and joined by ", ". Unparsable input gives an
/// empty map.
pub(crate) fn locked_versions(lock: &str, wanted: &[&str]) -> BTreeMap<String, String> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(table) = lock.parse::<toml::Table>() else {
        return BTreeMap::new();
    };
    let packages = table.get("package").and_then(|p| p.as_array());
    for pkg in packages.into_iter().flatten() {
        let name = pkg.get("name").and_then(|v| v.as_str());
        let version = pkg.get("version").and_then(|v| v.as_str());
        if let (Some(name), Some(version)) = (name, version)
            && wanted.contains(&name)
        {
            found.entry(name.to_string()).or_default().push(version.to_string());
        }
    }
    found
        .into_iter()
        .map(|(name, mut versions)| {
            // Numeric per component, so 1.10.0 sorts after 1.9.0.
            versions.sort_by_cached_key(|v| {
                v.split(['.', '-', '+'])
                    .map(|part| {
                        part.parse::<u64>()
                            .map_or((u64::MAX, part.to_string()), |n| (n, String::new()))
                    })
                    .collect::<Vec<_>>()
            });
            versions.dedup();
            (name, versions.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Intel(R) Xeon(R) CPU @ 2.20GHz"));
        assert_eq!(count_processors(cpuinfo), 2);
        assert_eq!(cpu_model("processor : 0\n"), None);
        let meminfo = "MemTotal:       16318412 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total_bytes(meminfo), Some(16318412 * 1024));
        assert_eq!(mem_total_bytes("garbage"), None);
        assert_eq!(load_avg_1m("0.52 0.58 0.59 1/912 12345\n"), Some(0.52));
        assert_eq!(load_avg_1m(""), None);
    }

    #[test]
    fn reads_locked_versions() {
        let lock = r#"
version = 4

[[package]]
name = "async-io"
version = "2.5.0"

[[package]]
name = "async-io"
version = "1.13.0"

[[package]]
name = "async-io"
version = "1.9.0"

[[package]]
name = "tokio"
version = "1.47.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "not-tracked"
version = "0.1.0"
"#;
        let v = locked_versions(lock, TRACKED_CRATES);
        assert_eq!(v.get("tokio").map(String::as_str), Some("1.47.1"));
        assert_eq!(v.get("async-io").map(String::as_str), Some("1.9.0, 1.13.0, 2.5.0"));
        assert_eq!(v.len(), 2);
        assert!(locked_versions("not [toml", TRACKED_CRATES).is_empty());
    }

    #[test]
    fn collect_never_fails_even_without_lock_or_git() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let env = collect("bench", dir.path());
        assert_eq!(env.profile, "bench");
        assert!(env.crates.is_empty());
        assert!(!env.rustc.is_empty());
        assert!(!env.kernel.is_empty());
        Ok(())
    }
}
