//! Pipelines, file reads and primitives on every runtime: every item is
//! delivered exactly once and in order per producer, every read returns the
//! file's exact contents (and a changed file is caught), every primitive
//! completes its operations.

use std::time::Duration;

use asyncbench::runtime::AsyncFlavor;
use asyncbench::scenario::catalog::file_read::{self, FileSet, Variant};
use asyncbench::scenario::catalog::pipeline::{Check, ConsumerLog, check};
use asyncbench::scenario::{self, CaseRecord, Env};
use rstest::rstest;

use asyncbench::on_runtime;

const FLAVORS: [AsyncFlavor; 5] = AsyncFlavor::ALL;

/// Loads `text` with `RUNTIMES` replaced and runs each case: one warm-up
/// batch, then `batches` recorded ones. Returns (variant, runtime, record).
fn run_cases(text: &str, runtimes: &str, batches: u64) -> Vec<(String, String, CaseRecord)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(&p, text.replace("RUNTIMES", runtimes)).unwrap();
    let s = scenario::load_file(&p).unwrap_or_else(|e| panic!("{e}"));
    let env = Env {
        server: "127.0.0.1:9".parse().unwrap(),
        workers: Some(2),
    };
    let mut out = Vec::new();
    for case in s.cases() {
        let mut bench = s.prepare(&case, &env).unwrap();
        bench.run(1, None).unwrap();
        let mut rec = CaseRecord::default();
        bench.run(batches, Some(&mut rec)).unwrap();
        out.push((case.variant.clone(), case.flavor.to_string(), rec));
    }
    out
}

fn value(rec: &CaseRecord, name: &str) -> f64 {
    rec.value(name).unwrap_or_else(|| panic!("no value {name}"))
}

const PIPELINE: &str = r#"scenario = "pipeline"
guide_section = "pipeline"
runtimes = [RUNTIMES]
variants = ["tokio_mpsc", "async_channel", "flume"]
[params]
producers = 3
consumers = CONSUMERS
items = 400
capacity = 4
queues = ["bounded", "unbounded"]
timeout_ms = 20000
"#;

#[rstest]
fn pipeline_delivers_every_item_once_in_order(#[values(0, 1, 2, 3, 4)] i: usize, #[values(1, 3)] consumers: u32) {
    let text = PIPELINE.replace("CONSUMERS", &consumers.to_string());
    let results = run_cases(&text, &format!("\"{}\"", FLAVORS[i]), 2);
    assert_eq!(results.len(), 6, "3 queues × bounded/unbounded");
    for (variant, runtime, rec) in results {
        let label = format!("{variant}/{runtime}/Q={consumers}");
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(rec.latency.len(), 2 * 3 * 400, "{label}: one latency per item");
        for v in ["lost_items", "duplicate_items", "out_of_order_items", "unsent_items"] {
            assert_eq!(value(&rec, v), 0.0, "{label}: {v}");
        }
        assert!(value(&rec, "items_per_s") > 0.0, "{label}");
    }
}

#[test]
fn the_pipeline_check_catches_loss_duplicates_and_reordering() {
    let d = Duration::from_micros(1);
    // Two producers × 4 items over two consumers.
    let mut a = ConsumerLog::new(2, 4);
    let mut b = ConsumerLog::new(2, 4);
    for s in 0..4 {
        a.record(0, s, d);
    }
    b.record(1, 0, d);
    b.record(1, 2, d);
    b.record(1, 1, d); // after 2: out of order
    b.record(1, 2, d); // second copy here
    b.record(0, 3, d); // also seen by `a`
    b.record(5, 0, d); // no such producer
    let c = check(&[a, b], 2, 4);
    assert_eq!(
        c,
        Check {
            delivered: 7,
            lost: 1,
            duplicates: 2,
            out_of_order: 1,
            foreign: 1,
        }
    );
    let mut clean = ConsumerLog::new(1, 3);
    (0..3).for_each(|s| clean.record(0, s, d));
    assert_eq!(check(&[clean], 1, 3).lost, 0);
}

const FILES: &str = r#"scenario = "file_read"
guide_section = "files"
runtimes = [RUNTIMES]
variants = ["std_sequential", "runtime_fs", "spawn_blocking", "rayon"]
[params]
files = 6
file_bytes = 3000
"#;

#[test]
fn every_file_read_returns_the_exact_contents() {
    let all = "\"threads\", \"rayon\", \"tokio-ct\", \"tokio-mt\", \"async-std\", \"smol-ct\", \"smol-mt\"";
    let results = run_cases(FILES, all, 2);
    // std on threads, rayon on rayon, the two async variants on 5 runtimes.
    assert_eq!(results.len(), 12);
    for (variant, runtime, rec) in results {
        let label = format!("{variant}/{runtime}");
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(value(&rec, "mismatched_files"), 0.0, "{label}");
        assert_eq!(rec.latency.len(), 12, "{label}: one latency per file");
        assert!(value(&rec, "mib_per_s") > 0.0, "{label}");
    }
}

/// Changes file 1's contents (same length) and cuts file 2 short.
fn tamper(set: &FileSet) {
    let mut b = std::fs::read(&set.files[1].path).unwrap();
    b[0] ^= 0xff;
    std::fs::write(&set.files[1].path, b).unwrap();
    std::fs::write(&set.files[2].path, b"short").unwrap();
}

#[test]
fn a_changed_file_is_caught_by_the_blocking_readers() {
    let set = FileSet::create(4, 500).unwrap();
    assert_eq!(file_read::read_sequential(&set).errors.total(), 0);
    tamper(&set);
    let b = file_read::read_sequential(&set);
    assert_eq!((b.errors.total(), b.latencies.len()), (2, 2));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let b = file_read::read_rayon(&pool, &set);
    assert_eq!((b.errors.total(), b.latencies.len()), (2, 2));
    assert!(b.values.contains(&("mismatched_files", 2.0)));
    let dir = set.dir().to_path_buf();
    drop(set);
    assert!(!dir.exists(), "the temporary directory goes with the set");
}

#[rstest]
fn a_changed_file_is_caught_by_the_async_readers(#[values(0, 1, 2, 3, 4)] i: usize) {
    on_runtime!(FLAVORS[i], |rt| {
        let set = FileSet::create(4, 500).unwrap();
        tamper(&set);
        std::fs::remove_file(&set.files[3].path).unwrap();
        for how in [Variant::RuntimeFs, Variant::SpawnBlocking] {
            let b = rt.block_on(file_read::read_concurrent(rt, &set, how));
            assert_eq!(b.errors.total(), 3, "{how:?}: changed, short and missing files");
            assert_eq!(b.latencies.len(), 1, "{how:?}");
            assert!(b.values.contains(&("mismatched_files", 2.0)), "{how:?}");
        }
    });
}

const PRIMITIVES: &str = r#"scenario = "primitives"
guide_section = "primitives"
runtimes = [RUNTIMES]
variants = ["spawn_join", "yield_pingpong", "channel_pingpong", "stream_iter"]
[params]
ops = 301
"#;

#[rstest]
fn every_primitive_completes_its_operations(#[values(0, 1, 2, 3, 4)] i: usize) {
    let results = run_cases(PRIMITIVES, &format!("\"{}\"", FLAVORS[i]), 3);
    assert_eq!(results.len(), 4);
    for (variant, runtime, rec) in results {
        let label = format!("{variant}/{runtime}");
        assert_eq!(rec.errors.total(), 0, "{label}");
        assert_eq!(rec.latency.len(), 3, "{label}: one per-op mean per batch");
        let ns = value(&rec, "ns_per_op");
        // Mean batch wall / ops: the recorded batches agree with ns_per_op.
        let from_wall = rec.busy.as_nanos() as f64 / 3.0 / 301.0;
        assert!(
            ns > 0.0 && (ns - from_wall).abs() <= 0.01 * from_wall + 1.0,
            "{label}: {ns} vs {from_wall}"
        );
    }
}

#[test]
fn bad_parameters_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    let load = |text: String| {
        std::fs::write(&p, text.replace("RUNTIMES", "\"tokio-ct\"")).unwrap();
        match scenario::load_file(&p) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        }
    };
    let pipeline = PIPELINE.replace("CONSUMERS", "2");
    let e = load(pipeline.replace("[\"bounded\", \"unbounded\"]", "[\"bounded\", \"ring\"]"));
    assert_eq!((e.key.as_deref(), e.line), (Some("params.queues"), Some(10)), "{e}");
    assert!(e.message.contains("unknown queue kind `ring`"), "{e}");
    let e = load(pipeline.replace("items = 400", "items = 1000000"));
    assert!(e.message.contains("producers·items = 3000000"), "{e}");
    let e = load(
        FILES
            .replace("file_bytes = 3000", "file_bytes = 16777216")
            .replace("files = 6", "files = 17"),
    );
    assert_eq!(e.key.as_deref(), Some("params.file_bytes"), "{e}");
    let e = load(PRIMITIVES.replace("ops = 301", "ops = 1"));
    assert!(e.message.contains("allowed 2..=10000000"), "{e}");
    let e = load(FILES.replace("[RUNTIMES]", "[\"tokio-ct\", \"glommio\"]"));
    assert_eq!(e.key.as_deref(), Some("runtimes"), "{e}");
}
