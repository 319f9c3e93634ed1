//! CPU placement: the test server's threads and the side under test on
//! disjoint CPU sets, so the server's work is not charged to the runtime
//! being measured.
//!
//! Linux gives a new thread its creator's affinity mask (sched_setaffinity(2),
//! "A child created via fork(2) inherits its parent's CPU affinity mask"; the
//! same holds for clone(2) threads). So the session pins its own thread to
//! the server's CPUs while it starts the server, then to the client's CPUs
//! before any runtime under test exists: every thread either side creates
//! later, worker or blocking pool, inherits the right mask. Hand-written on
//! libc: the affinity crates set one thread's mask but read back nobody
//! else's, and the read-back of every thread is what makes placement
//! checkable.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A set of logical CPU numbers, e.g. `0`, `1-3`, `0,2`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CpuSet(Vec<usize>);

impl CpuSet {
    pub fn new(cpus: impl IntoIterator<Item = usize>) -> CpuSet {
        let mut v: Vec<usize> = cpus.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        CpuSet(v)
    }

    pub fn cpus(&self) -> &[usize] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_disjoint(&self, other: &CpuSet) -> bool {
        !self.0.iter().any(|c| other.0.contains(c))
    }

    /// The CPUs this process may run on now.
    pub fn allowed() -> std::io::Result<CpuSet> {
        affinity_of(0)
    }
}

/// `0-2,5` style, as taskset(1) and /proc/*/status write it.
impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            parts.push(if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
            i += 1;
        }
        f.write_str(&parts.join(","))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad CPU list `{given}`: {why} (write e.g. `0`, `1-3` or `0,2`; CPUs 0..{limit})")]
pub struct BadCpuList {
    pub given: String,
    pub why: String,
    pub limit: usize,
}

/// The largest CPU number a `cpu_set_t` holds.
const CPU_LIMIT: usize = libc::CPU_SETSIZE as usize;

impl FromStr for CpuSet {
    type Err = BadCpuList;
    fn from_str(s: &str) -> Result<CpuSet, BadCpuList> {
        let bad = |why: &str| BadCpuList {
            given: s.to_string(),
            why: why.to_string(),
            limit: CPU_LIMIT,
        };
        let num = |t: &str| -> Result<usize, BadCpuList> {
            let n: usize = t
                .trim()
                .parse()
                .map_err(|_| bad(&format!("`{}` is not a CPU number", t.trim())))?;
            if n >= CPU_LIMIT {
                return Err(bad(&format!("CPU {n} is out of range")));
            }
            Ok(n)
        };
        let mut cpus = Vec::new();
        for part in s.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (num(a)?, num(b)?);
                    if a > b {
                        return Err(bad(&format!("range {a}-{b} runs backwards")));
                    }
                    cpus.extend(a..=b);
                }
                None => cpus.push(num(part)?),
            }
        }
        if cpus.is_empty() {
            return Err(bad("no CPU given"));
        }
        Ok(CpuSet::new(cpus))
    }
}

impl Serialize for CpuSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CpuSet, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for CpuSet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CpuSet".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

/// Pins the calling thread to `set`; threads it creates afterwards inherit it.
pub fn pin_current_thread(set: &CpuSet) -> std::io::Result<()> {
    // SAFETY: cpu_set_t is plain data, zeroed is the empty set; CPU_SET only
    // writes inside it for numbers < CPU_SETSIZE (checked when parsing).
    unsafe {
        let mut mask: libc::cpu_set_t = std::mem::zeroed();
        for &c in &set.0 {
            if c < CPU_LIMIT {
                libc::CPU_SET(c, &mut mask);
            }
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mask) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The affinity mask of thread `tid` (0: the calling thread).
pub fn affinity_of(tid: libc::pid_t) -> std::io::Result<CpuSet> {
    // SAFETY: as above; the kernel writes at most size_of::<cpu_set_t>() bytes.
    unsafe {
        let mut mask: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut mask) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(CpuSet::new((0..CPU_LIMIT).filter(|&c| libc::CPU_ISSET(c, &mask))))
    }
}

/// One thread of this process: its id, name (`comm`) and affinity mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPlacement {
    pub tid: libc::pid_t,
    pub name: String,
    pub cpus: CpuSet,
}

/// Every thread of this process with its mask, read back from the kernel
/// (`/proc/self/task/<tid>/comm` and sched_getaffinity(tid)). Threads that
/// exit while being read are skipped.
pub fn threads() -> Vec<ThreadPlacement> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        let Ok(cpus) = affinity_of(tid) else { continue };
        let name = std::fs::read_to_string(e.path().join("comm"))
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default();
        out.push(ThreadPlacement { tid, name, cpus });
    }
    out.sort_by_key(|t| t.tid);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_cpu_lists() {
        let s: CpuSet = "3,0-1,1".parse().unwrap();
        assert_eq!(s.cpus(), &[0, 1, 3]);
        assert_eq!(s.to_string(), "0-1,3");
        assert_eq!("5".parse::<CpuSet>().unwrap().to_string(), "5");
        for bad in ["", "a", "2-1", "0,,1", "99999"] {
            let e = bad.parse::<CpuSet>().unwrap_err().to_string();
            assert!(e.contains("bad CPU list"), "{bad}: {e}");
        }
    }

    #[test]
    fn disjoint_sets() {
        let a: CpuSet = "0".parse().unwrap();
        let b: CpuSet = "1-2".parse().unwrap();
        assert!(a.is_disjoint(&b));
        assert!(!b.is_disjoint(&"2".parse().unwrap()));
    }

    #[test]
    fn a_thread_pinned_before_spawning_passes_its_mask_on() {
        let allowed = CpuSet::allowed().unwrap();
        let first = CpuSet::new([allowed.cpus()[0]]);
        let seen = std::thread::spawn(move || {
            pin_current_thread(&first).unwrap();
            let me = affinity_of(0).unwrap();
            let child = std::thread::spawn(|| affinity_of(0).unwrap()).join().unwrap();
            // Read back by tid from outside the thread, as `threads()` does.
            let tid = unsafe { libc::gettid() };
            let listed = threads().into_iter().find(|t| t.tid == tid).map(|t| t.cpus);
            (me, child, listed, first)
        })
        .join()
        .unwrap();
        assert_eq!(seen.0, seen.3);
        assert_eq!(seen.1, seen.3, "a child thread inherits the mask");
        assert_eq!(seen.2, Some(seen.3));
    }
}

/// Where the server, the current-thread side and the multi-thread runtimes
/// run, as planned from the CPUs this process may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub server: CpuSet,
    /// The harness and the current-thread runtimes.
    pub client: CpuSet,
    /// The multi-thread runtimes: the client's CPUs, or every CPU where the
    /// machine is too small to give them more than one apart from the server.
    pub multi_thread: CpuSet,
}

/// What was applied, recorded in `env.json` and stated in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlacementInfo {
    /// Whether the CPU sets below were applied (pinned); false when the machine or the
    /// options left threads where the kernel puts them (`note` says why).
    pub applied: bool,
    /// CPUs of the in-process test server's threads; absent without a plan.
    pub server_cpus: Option<CpuSet>,
    /// CPUs of the harness thread and the current-thread runtimes; absent without a plan.
    pub client_cpus: Option<CpuSet>,
    /// CPUs of the multi-thread runtimes' workers; absent without a plan.
    pub multi_thread_cpus: Option<CpuSet>,
    /// How the plan was chosen, or why none was applied.
    pub note: String,
    /// The in-process server's threads as read back from the kernel.
    #[serde(default)]
    pub server_threads: Vec<String>,
}

/// Plans the placement. Explicit sets must be non-empty, allowed and
/// disjoint; by default: on 4 or more CPUs the server gets a quarter (at
/// least one) and everything under test the rest; on 2–3 CPUs the server
/// gets the last, the harness and current-thread runtimes the first, and the
/// multi-thread runtimes every CPU (pinning their workers onto one CPU would
/// measure a misconfiguration); on one CPU nothing can be apart.
pub fn plan(allowed: &CpuSet, server: Option<CpuSet>, client: Option<CpuSet>) -> Result<Option<Plan>, String> {
    let check = |what: &str, s: &CpuSet| -> Result<(), String> {
        match s.cpus().iter().find(|c| !allowed.cpus().contains(c)) {
            Some(c) => Err(format!(
                "{what} {s}: CPU {c} is not available to this process (allowed {allowed})"
            )),
            None => Ok(()),
        }
    };
    match (server, client) {
        (Some(s), Some(c)) => {
            check("--server-cpus", &s)?;
            check("--client-cpus", &c)?;
            if !s.is_disjoint(&c) {
                return Err(format!(
                    "--server-cpus {s} and --client-cpus {c} overlap: they must be disjoint"
                ));
            }
            Ok(Some(Plan {
                server: s,
                multi_thread: c.clone(),
                client: c,
            }))
        }
        (Some(s), None) => {
            check("--server-cpus", &s)?;
            let rest = CpuSet::new(allowed.cpus().iter().copied().filter(|c| !s.cpus().contains(c)));
            if rest.is_empty() {
                return Err(format!(
                    "--server-cpus {s} leaves no CPU for the client (allowed {allowed})"
                ));
            }
            Ok(Some(Plan {
                server: s,
                multi_thread: rest.clone(),
                client: rest,
            }))
        }
        (None, Some(c)) => {
            check("--client-cpus", &c)?;
            let rest = CpuSet::new(allowed.cpus().iter().copied().filter(|x| !c.cpus().contains(x)));
            if rest.is_empty() {
                return Err(format!(
                    "--client-cpus {c} leaves no CPU for the server (allowed {allowed})"
                ));
            }
            Ok(Some(Plan {
                server: rest,
                multi_thread: c.clone(),
                client: c,
            }))
        }
        (None, None) => {
            let cpus = allowed.cpus();
            let n = cpus.len();
            Ok(match n {
                0 | 1 => None,
                2 | 3 => Some(Plan {
                    server: CpuSet::new([cpus[n - 1]]),
                    client: CpuSet::new([cpus[0]]),
                    multi_thread: allowed.clone(),
                }),
                _ => {
                    let k = (n / 4).max(1);
                    let client = CpuSet::new(cpus[..n - k].iter().copied());
                    Some(Plan {
                        server: CpuSet::new(cpus[n - k..].iter().copied()),
                        multi_thread: client.clone(),
                        client,
                    })
                }
            })
        }
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn set(s: &str) -> CpuSet {
        s.parse().unwrap()
    }

    #[test]
    fn default_plans_by_machine_size() {
        assert_eq!(plan(&set("0"), None, None).unwrap(), None);
        let two = plan(&set("0-1"), None, None).unwrap().unwrap();
        assert_eq!(
            (two.server, two.client, two.multi_thread),
            (set("1"), set("0"), set("0-1"))
        );
        let eight = plan(&set("0-7"), None, None).unwrap().unwrap();
        assert_eq!(
            (eight.server, eight.client.clone(), eight.multi_thread),
            (set("6-7"), set("0-5"), set("0-5"))
        );
        assert!(eight.client.is_disjoint(&set("6-7")));
    }

    #[test]
    fn explicit_sets_are_checked() {
        let p = plan(&set("0-3"), Some(set("3")), None).unwrap().unwrap();
        assert_eq!(p.client, set("0-2"));
        let e = plan(&set("0-3"), Some(set("1-2")), Some(set("2-3"))).unwrap_err();
        assert!(e.contains("overlap"), "{e}");
        let e = plan(&set("0-1"), Some(set("5")), None).unwrap_err();
        assert!(e.contains("not available"), "{e}");
        let e = plan(&set("0-1"), None, Some(set("0-1"))).unwrap_err();
        assert!(e.contains("no CPU for the server"), "{e}");
    }
}
