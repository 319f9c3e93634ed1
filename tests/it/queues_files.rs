//! Pipelines, file reads and primitives on every runtime: every item is
//! delivered exactly once and in order per producer, every read returns the
//! file's exact contents (and a changed file is caught), every primitive
//! completes its operations.

use std::time::Duration;

use asyncbench::on_runtime;
use asyncbench::runtime::AsyncFlavor;
use asyncbench::scenario::catalog::file_read::{self, FileSet, Variant};
use asyncbench::scenario::catalog::pipeline::{Check, ConsumerLog, check};

use crate::common::{ScenarioToml, async_runtimes, env_no_server, run_cases};

/// pipeline on `runtimes`: 3 producers × 400 items through 4-slot queues to `consumers` consumers.
fn pipeline(runtimes: &[&str], consumers: u32) -> ScenarioToml {
    ScenarioToml::from_file("pipeline")
        .runtimes(runtimes)
        .set("variants", ["tokio_mpsc", "async_channel", "flume"])
        .set("params.producers", 3)
        .set("params.consumers", consumers)
        .set("params.items", 400)
        .set("params.capacity", 4)
        .set("params.queues", ["bounded", "unbounded"])
        .set("params.timeout_ms", 20000)
}

each_runtime!(fn pipeline_delivers_every_item_once_in_order(flavor, #[values(1, 3)] consumers: u32) {
    let s = pipeline(&[flavor.name()], consumers).load();
    let results = run_cases(s.as_ref(), &env_no_server(), 2);
    assert_eq!(results.len(), 6, "3 queues × bounded/unbounded");
    for o in results {
        let label = format!("{}/Q={consumers}", o.label);
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        assert_eq!(o.rec.latency.len(), 2 * 3 * 400, "{label}: one latency per item");
        for v in ["lost_items", "duplicate_items", "out_of_order_items", "unsent_items"] {
            assert_eq!(o.value(v), 0.0, "{label}: {v}");
        }
        assert!(o.value("items_per_s") > 0.0, "{label}");
    }
});

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

/// file_read on `runtimes`: 6 files of 3000 bytes.
fn files(runtimes: &[&str]) -> ScenarioToml {
    ScenarioToml::from_file("file_read")
        .runtimes(runtimes)
        .set("variants", ["std_sequential", "runtime_fs", "spawn_blocking", "rayon"])
        .set("params.files", 6)
        .set("params.file_bytes", 3000)
}

#[test]
fn every_file_read_returns_the_exact_contents() {
    let runtimes = [vec!["threads", "rayon"], async_runtimes()].concat();
    let results = run_cases(files(&runtimes).load().as_ref(), &env_no_server(), 2);
    // std on threads, rayon on rayon, the two async variants on every async runtime.
    assert_eq!(results.len(), 2 + 2 * AsyncFlavor::ALL.len());
    for o in results {
        let label = &o.label;
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        assert_eq!(o.value("mismatched_files"), 0.0, "{label}");
        assert_eq!(o.rec.latency.len(), 12, "{label}: one latency per file");
        assert!(o.value("mib_per_s") > 0.0, "{label}");
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

each_runtime!(fn a_changed_file_is_caught_by_the_async_readers(flavor) {
    on_runtime!(flavor, |rt| {
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
});

/// primitives on `runtimes`: 301 operations per batch.
fn primitives(runtimes: &[&str]) -> ScenarioToml {
    ScenarioToml::from_file("primitives")
        .runtimes(runtimes)
        .set(
            "variants",
            ["spawn_join", "yield_pingpong", "channel_pingpong", "stream_iter"],
        )
        .set("params.ops", 301)
}

each_runtime!(fn every_primitive_completes_its_operations(flavor) {
    let s = primitives(&[flavor.name()]).load();
    let results = run_cases(s.as_ref(), &env_no_server(), 3);
    assert_eq!(results.len(), 4);
    for o in results {
        let label = &o.label;
        assert_eq!(o.rec.errors.total(), 0, "{label}");
        assert_eq!(o.rec.latency.len(), 3, "{label}: one per-op mean per batch");
        let ns = o.value("ns_per_op");
        // Mean batch wall / ops: the recorded batches agree with ns_per_op.
        let from_wall = o.mean_wall_ns() / 301.0;
        assert!(
            ns > 0.0 && (ns - from_wall).abs() <= 0.01 * from_wall + 1.0,
            "{label}: {ns} vs {from_wall}"
        );
    }
});

#[test]
fn bad_parameters_are_located_errors() {
    let one = ["tokio-ct"];
    let file = pipeline(&one, 2).set("params.queues", ["bounded", "ring"]);
    let e = file.load_err();
    let at = Some(file.line_of("params.queues"));
    assert_eq!((e.key.as_deref(), e.line), (Some("params.queues"), at), "{e}");
    assert!(e.message.contains("unknown queue kind `ring`"), "{e}");
    let e = pipeline(&one, 2).set("params.items", 1_000_000).load_err();
    assert!(e.message.contains("producers·items = 3000000"), "{e}");
    let e = files(&one)
        .set("params.file_bytes", 16_777_216)
        .set("params.files", 17)
        .load_err();
    assert_eq!(e.key.as_deref(), Some("params.file_bytes"), "{e}");
    let e = primitives(&one).set("params.ops", 1).load_err();
    assert!(e.message.contains("allowed 2..=10000000"), "{e}");
    let e = files(&["tokio-ct", "glommio"]).load_err();
    assert_eq!(e.key.as_deref(), Some("runtimes"), "{e}");
}
