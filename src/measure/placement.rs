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

/// Deals the threads a runtime starts one CPU each, in turn, over the CPUs its builder may use
/// (the calling thread's mask when this is made): worker k runs on the k-th CPU of the set,
/// modulo its size. Each call pins the thread that makes it. Without it a multi-thread
/// runtime's workers go wherever the kernel puts them, and which CPU shares a worker with the
/// server changes from one runtime instance to the next: on the 2-core VM, back-to-back runs of
/// the multi-thread rows of pipeline, primitives, structured, udp_echo and chat_broadcast gave a
/// median MDE of 41% and 26% unpinned, 19% and 18% dealt (2026-12-07, two pairs). Blocking
/// pools' threads, dealt too when a builder cannot tell them apart, move onto the offload set
/// at their first job (`runtime::offload::enter`).
pub fn deal_cpus() -> impl Fn() + Send + Sync + 'static {
    let set = affinity_of(0).ok().filter(|s| s.len() > 1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    move || {
        if let Some(set) = &set {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % set.len();
            let _ = pin_current_thread(&CpuSet::new([set.cpus()[k]]));
        }
    }
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

/// How many times the kernel moved each thread of this process to another CPU so far
/// (`se.nr_migrations` of `/proc/self/task/<tid>/sched`), by thread id; empty where the kernel
/// does not expose it (built without `CONFIG_SCHED_DEBUG`). Threads that exit while being read
/// are skipped.
pub fn migrations_by_thread() -> std::collections::BTreeMap<libc::pid_t, u64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(e.path().join("sched")) else {
            continue;
        };
        if let Some(n) = text.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "se.nr_migrations").then(|| value.trim().parse::<u64>().ok())?
        }) {
            out.insert(tid, n);
        }
    }
    out
}

/// Migrations between two readings of [`migrations_by_thread`]: for every thread alive at
/// `end`, its count less its count at `start` (all of it for a thread born in between). A
/// thread that exited in between takes its migrations with it, so this counts the moves of the
/// threads that were still there. `None` when the kernel exposes no counts.
pub fn migrations_between(
    start: &std::collections::BTreeMap<libc::pid_t, u64>,
    end: &std::collections::BTreeMap<libc::pid_t, u64>,
) -> Option<u64> {
    (!end.is_empty()).then(|| {
        end.iter()
            .map(|(tid, n)| n.saturating_sub(start.get(tid).copied().unwrap_or(0)))
            .sum()
    })
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
    /// Planted answer: a thread moved between two CPUs 20 times by its own affinity mask counts
    /// at least 20 migrations, and the threads that stayed put add none of their own (they
    /// are only the other threads of the test binary; each reading is of the whole process).
    #[test]
    fn a_thread_moved_between_cpus_counts_its_migrations() {
        let Ok(allowed) = CpuSet::allowed() else { return };
        if allowed.len() < 2 || migrations_by_thread().is_empty() {
            return; // one CPU, or a kernel without the counts: nothing to plant.
        }
        let (a, b) = (CpuSet::new([allowed.cpus()[0]]), CpuSet::new([allowed.cpus()[1]]));
        let moved = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() };
            // Start on `a`, so each of the 20 pins below is a move.
            pin_current_thread(&a).expect("pin");
            std::hint::black_box((0..10_000u64).sum::<u64>());
            let start = migrations_by_thread();
            for i in 0..20 {
                pin_current_thread(if i % 2 == 0 { &b } else { &a }).expect("pin");
                // Run a little on the new CPU so the move has happened before the next one.
                std::hint::black_box((0..10_000u64).sum::<u64>());
            }
            let end = migrations_by_thread();
            (start.get(&tid).copied().unwrap_or(0), end.get(&tid).copied())
        })
        .join()
        .expect("thread");
        let (before, after) = (moved.0, moved.1.expect("the thread reads its own count"));
        assert!(after - before >= 20, "20 moves counted {} migrations", after - before);
        let start = std::collections::BTreeMap::from([(1, 5u64), (2, 7)]);
        let end = std::collections::BTreeMap::from([(1, 9u64), (3, 4)]);
        assert_eq!(migrations_between(&start, &end), Some(4 + 4));
        assert_eq!(migrations_between(&start, &Default::default()), None);
    }

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

    #[test]
    fn dealt_threads_take_one_cpu_each_in_turn() {
        let allowed = CpuSet::allowed().unwrap();
        if allowed.len() < 2 {
            eprintln!("skipped: one CPU, nothing to deal");
            return;
        }
        let two = CpuSet::new(allowed.cpus()[..2].iter().copied());
        let seen = std::thread::spawn(move || {
            pin_current_thread(&two).unwrap();
            let deal = std::sync::Arc::new(deal_cpus());
            (0..3)
                .map(|_| {
                    let deal = deal.clone();
                    std::thread::spawn(move || {
                        deal();
                        affinity_of(0).unwrap()
                    })
                    .join()
                    .unwrap()
                })
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        let (a, b) = (allowed.cpus()[0], allowed.cpus()[1]);
        assert_eq!(seen, [CpuSet::new([a]), CpuSet::new([b]), CpuSet::new([a])]);
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

/// One logical CPU: its number, its physical core and its NUMA node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuInfo {
    pub cpu: usize,
    /// Physical core, unique over the machine (SMT siblings share it).
    pub core: usize,
    pub node: usize,
}

/// The CPUs a plan may use, with their cores and nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology(pub Vec<CpuInfo>);

impl Topology {
    /// The allowed CPUs as sysfs describes them (core: package and core id;
    /// node: the `nodeN` link). Unreadable fields fall back to "own core,
    /// node 0", which plans as a machine without SMT or NUMA.
    pub fn read(allowed: &CpuSet) -> Topology {
        let sys = |c: usize, f: &str| -> Option<usize> {
            std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu{c}/topology/{f}"))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let node = |c: usize| -> usize {
            std::fs::read_dir(format!("/sys/devices/system/cpu/cpu{c}"))
                .ok()
                .and_then(|d| {
                    d.flatten().find_map(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n.strip_prefix("node").and_then(|x| x.parse().ok())
                    })
                })
                .unwrap_or(0)
        };
        Topology(
            allowed
                .cpus()
                .iter()
                .map(|&c| CpuInfo {
                    cpu: c,
                    core: match (sys(c, "physical_package_id"), sys(c, "core_id")) {
                        (Some(p), Some(k)) => p * 100_000 + k,
                        _ => 1_000_000 + c,
                    },
                    node: node(c),
                })
                .collect(),
        )
    }

    /// A made-up machine for tests: `cpus` logical CPUs, `smt` per core
    /// numbered as Linux does on x86 (CPU c and c + cpus/smt are siblings),
    /// cores split evenly over `nodes` nodes.
    pub fn synthetic(cpus: usize, smt: usize, nodes: usize) -> Topology {
        let cores = (cpus / smt.max(1)).max(1);
        Topology(
            (0..cpus)
                .map(|c| {
                    let core = c % cores;
                    CpuInfo {
                        cpu: c,
                        core,
                        node: core * nodes.max(1) / cores,
                    }
                })
                .collect(),
        )
    }

    /// Physical cores in node order, each with its CPUs.
    fn cores(&self) -> Vec<(usize, Vec<usize>)> {
        let mut by: std::collections::BTreeMap<(usize, usize), Vec<usize>> = std::collections::BTreeMap::new();
        for i in &self.0 {
            by.entry((i.node, i.core)).or_default().push(i.cpu);
        }
        by.into_iter()
            .map(|((n, _), mut v)| {
                v.sort_unstable();
                (n, v)
            })
            .collect()
    }
}

/// Where the server under test and its load generator run (`asyncbench
/// sweep`, `http_server`): disjoint where the machine allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// The runtime under test (the server). A one-thread runtime takes the first CPU of it.
    pub subject: CpuSet,
    /// One set per generator thread (each one CPU, on a core of its own).
    pub generator: Vec<CpuSet>,
    /// True when no disjoint plan exists (one physical core): both float.
    pub shared: bool,
}

impl LoadPlan {
    pub fn generator_cpus(&self) -> CpuSet {
        CpuSet::new(self.generator.iter().flat_map(|s| s.cpus().to_vec()))
    }
}

/// Plans the load's placement over whole physical cores: a quarter of them
/// (at least one) for the generator, one thread per core on its first CPU,
/// taken from the last NUMA node so the subject keeps the first node whole;
/// every other core (all SMT siblings included) to the subject. No
/// generator thread ever lands on an SMT sibling of a subject CPU: siblings
/// share a core's execution units, so load there would be charged to the
/// server. With one physical core nothing can be apart: `shared`.
pub fn load_plan(t: &Topology) -> LoadPlan {
    let cores = t.cores();
    let all = CpuSet::new(t.0.iter().map(|i| i.cpu));
    if cores.len() < 2 {
        return LoadPlan {
            subject: all.clone(),
            generator: vec![all],
            shared: true,
        };
    }
    let g = (cores.len() / 4).max(1);
    let (subject_cores, gen_cores) = cores.split_at(cores.len() - g);
    LoadPlan {
        subject: CpuSet::new(subject_cores.iter().flat_map(|(_, v)| v.clone())),
        generator: gen_cores.iter().map(|(_, v)| CpuSet::new([v[0]])).collect(),
        shared: false,
    }
}

#[cfg(test)]
mod load_plan_tests {
    use super::*;

    fn sibling_cpus(t: &Topology, set: &CpuSet) -> CpuSet {
        let cores: Vec<usize> =
            t.0.iter()
                .filter(|i| set.cpus().contains(&i.cpu))
                .map(|i| i.core)
                .collect();
        CpuSet::new(t.0.iter().filter(|i| cores.contains(&i.core)).map(|i| i.cpu))
    }

    /// What every plan on a machine of two or more cores must hold.
    fn check(t: &Topology) -> LoadPlan {
        let p = load_plan(t);
        let gen_set = p.generator_cpus();
        assert!(!p.shared);
        assert!(p.subject.is_disjoint(&gen_set), "{p:?}");
        // No generator thread on a sibling of a subject CPU.
        assert!(sibling_cpus(t, &p.subject).is_disjoint(&gen_set), "{p:?}");
        // Generator threads on distinct cores.
        let gen_cores: Vec<usize> =
            t.0.iter()
                .filter(|i| gen_set.cpus().contains(&i.cpu))
                .map(|i| i.core)
                .collect();
        let mut dedup = gen_cores.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), gen_cores.len());
        assert!(p.generator.iter().all(|s| s.len() == 1));
        p
    }

    #[test]
    fn plans_on_the_listed_topologies() {
        let two = check(&Topology::synthetic(2, 1, 1));
        assert_eq!(
            (two.subject.to_string(), two.generator_cpus().to_string()),
            ("0".into(), "1".into())
        );
        let four = check(&Topology::synthetic(4, 1, 1));
        assert_eq!(four.generator.len(), 1);
        assert_eq!(four.subject.len(), 3);
        let eight = check(&Topology::synthetic(8, 1, 1));
        assert_eq!(eight.generator.len(), 2, "more generator threads where cores allow");
        let sixteen = check(&Topology::synthetic(16, 1, 1));
        assert_eq!(sixteen.generator.len(), 4);
        let sixty_four = check(&Topology::synthetic(64, 1, 1));
        assert_eq!(sixty_four.generator.len(), 16);
    }

    #[test]
    fn smt_siblings_of_the_subject_are_not_given_to_the_load() {
        // 8 CPUs as 4 cores × 2 (siblings c and c+4): the generator gets one
        // whole core (one thread on its first CPU), the subject 3 cores = 6 CPUs.
        let t = Topology::synthetic(8, 2, 1);
        let p = check(&t);
        assert_eq!(p.generator_cpus().to_string(), "3");
        assert_eq!(p.subject.to_string(), "0-2,4-6");
        // CPU 7, the generator core's sibling, is left to neither.
        assert!(!p.subject.cpus().contains(&7));
        check(&Topology::synthetic(16, 2, 1));
        check(&Topology::synthetic(64, 2, 2));
        // Two SMT threads of one core: nothing can be apart.
        let one = load_plan(&Topology::synthetic(2, 2, 1));
        assert!(one.shared);
    }

    #[test]
    fn on_two_nodes_the_generator_sits_on_the_last_and_the_subject_keeps_the_first_whole() {
        let t = Topology::synthetic(16, 1, 2);
        let p = check(&t);
        let node_of = |c: usize| t.0.iter().find(|i| i.cpu == c).unwrap().node;
        assert!(p.generator_cpus().cpus().iter().all(|&c| node_of(c) == 1), "{p:?}");
        assert!((0..8).all(|c| p.subject.cpus().contains(&c)));
        let smt = Topology::synthetic(64, 2, 2);
        let p = check(&smt);
        assert_eq!(p.generator.len(), 8);
        assert!(p.generator_cpus().cpus().iter().all(|&c| node_of_in(&smt, c) == 1));
    }

    fn node_of_in(t: &Topology, c: usize) -> usize {
        t.0.iter().find(|i| i.cpu == c).unwrap().node
    }

    #[test]
    fn this_machine_reads_as_a_topology_of_its_allowed_cpus() {
        let allowed = CpuSet::allowed().unwrap();
        let t = Topology::read(&allowed);
        assert_eq!(t.0.len(), allowed.len());
    }
}
