//! Integration tests for `asyncbench::results`: the output formats against the HdrHistogram
//! reference layout, the statistics against hand-computed values, and the run-directory
//! lifecycle (atomicity, isolation between runs, `latest`, error messages naming paths).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use asyncbench::results::{
    CaseFailure, CaseResult, EnvInfo, Interval, Percentiles, ResultsError, RunDir, RunMode, SCHEMA_VERSION, Summary,
    parse_hgrm, read_hlog, resolve_run, value_at_percentile, write_hgrm, write_hlog,
};
use hdrhistogram::Histogram;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One hour in ns at 3 significant digits: the shape asyncbench's recorders use.
fn hist() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, 3_600_000_000_000, 3) {
        Ok(h) => h,
        Err(e) => panic!("histogram bounds are constants: {e}"),
    }
}

// --- .hgrm ---

#[test]
fn hgrm_matches_java_layout_byte_for_byte() -> TestResult {
    let mut h = hist();
    for v in [1000, 2000, 3000] {
        h.record(v)?;
    }
    // Derivation: 1000 and 2000 ns are below 2048 (sub-bucket count for 3 digits), so exact;
    // 3000 ns falls in bucket 1 (unit 2 ns), highest equivalent 3001. Ticks: 5 per half
    // distance, so 0.1 steps up to 0.5, then 0.05 steps; a row is printed while the cumulative
    // fraction at the current value (1/3, 2/3, 3/3) is >= the tick; after the last value the
    // iterator jumps to 100%. Mean = (1000 + 2000 + 3001) / 3 ns (Java uses the median
    // equivalent value, 3001 for 3000), stddev = sqrt(2002000.67 / 3) = 816.9 ns.
    // 32 buckets: 2048 * 2^(b-1) > 3.6e12 first holds for b = 32.
    let expected = "       Value     Percentile TotalCount 1/(1-Percentile)

       1.000 0.000000000000          1           1.00
       1.000 0.100000000000          1           1.11
       1.000 0.200000000000          1           1.25
       1.000 0.300000000000          1           1.43
       2.000 0.400000000000          2           1.67
       2.000 0.500000000000          2           2.00
       2.000 0.550000000000          2           2.22
       2.000 0.600000000000          2           2.50
       2.000 0.650000000000          2           2.86
       3.001 0.700000000000          3           3.33
       3.001 1.000000000000          3
#[Mean    =        2.000, StdDeviation   =        0.817]
#[Max     =        3.001, Total count    =            3]
#[Buckets =           32, SubBuckets     =         2048]
";
    assert_eq!(write_hgrm(&h, 1000.0), expected);
    Ok(())
}

#[test]
fn hgrm_round_trips_percentiles_within_histogram_precision() -> TestResult {
    let mut h = hist();
    for us in 1..=10_000u64 {
        h.record(us * 1000)?;
    }
    for outlier_ns in [50_000_000, 250_000_000, 1_000_000_000] {
        h.record(outlier_ns)?;
    }
    let rows = parse_hgrm(&write_hgrm(&h, 1000.0))?;
    assert!(rows.len() > 50, "only {} rows", rows.len());
    assert_eq!(rows.last().map(|r| (r.1, r.2)), Some((1.0, h.len())));

    for q in [0.5, 0.9, 0.99, 0.999] {
        let exact = h.value_at_quantile(q);
        let from_file = value_at_percentile(&rows, q).map(|us| us * 1000.0);
        let tolerance = h.equivalent_range(exact) as f64;
        assert!(
            from_file.is_some_and(|v| (v - exact as f64).abs() <= tolerance),
            "q={q}: hgrm gives {from_file:?} ns, histogram {exact} ns (± {tolerance})"
        );
    }
    // Max is printed exactly (integer ns / 1000 with 3 decimals).
    assert_eq!(value_at_percentile(&rows, 1.0), Some(h.max() as f64 / 1000.0));
    // Rows are cumulative and never decrease.
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].2 <= w[1].2));
    Ok(())
}

// --- .hlog ---

#[test]
fn hlog_round_trips_three_intervals() -> TestResult {
    let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_099_494_123);
    let mut intervals = Vec::new();
    for i in 0..3u64 {
        let mut h = hist();
        for v in 1..=(1000 * (i + 1)) {
            h.record(v * 997 + i * 1_000_000)?;
        }
        h.record(5_000_000_000 * (i + 1))?;
        intervals.push(Interval {
            start_offset: Duration::from_secs(i),
            length: Duration::from_millis(1000),
            hist: h,
        });
    }
    let bytes = write_hlog(start, &intervals, 1e6, "asyncbench test")?;
    let text = String::from_utf8(bytes.clone())?;
    assert!(text.starts_with("#asyncbench test\n#[Histogram log format version 1.3]\n"));
    assert!(text.lines().any(|l| l.starts_with("#[StartTime: 1764099494.123 ")));
    assert!(text.lines().any(|l| l.starts_with("#[BaseTime: 1764099494.123 ")));
    let legend = "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"";
    let legend_at = text.lines().position(|l| l == legend);
    let first_interval = text.lines().position(|l| !l.starts_with('#') && l != legend);
    assert_eq!(legend_at.map(|i| i + 1), first_interval, "legend right before data");
    // Interval_Max in ms (divisor 1e6): the first interval's max is the highest value
    // equivalent to 5 s: units of 2^22 ns there, 1192 * 2^22 + 2^22 - 1 = 5003804671 ns.
    assert_eq!(intervals[0].hist.max(), 5_003_804_671);
    assert!(text.contains("\n0.000,1.000,5003.805,"), "{text}");

    let back = read_hlog(&bytes)?;
    assert_eq!(back.len(), 3);
    for (iv, (offset, length, h)) in intervals.iter().zip(&back) {
        assert_eq!(*offset, iv.start_offset);
        assert_eq!(*length, iv.length);
        assert_eq!(h.len(), iv.hist.len());
        assert_eq!(h.min(), iv.hist.min());
        assert_eq!(h.max(), iv.hist.max());
        assert_eq!(h.value_at_quantile(0.99), iv.hist.value_at_quantile(0.99));
    }
    Ok(())
}

// --- Files and run directories ---

fn assert_error_names<T: std::fmt::Debug>(r: Result<T, ResultsError>, path: &Path) -> String {
    match r {
        Ok(v) => panic!("expected an error about {}, got {v:?}", path.display()),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&path.display().to_string()),
                "error does not name {}: {msg}",
                path.display()
            );
            msg
        }
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Content and modification time of every file under `dir`, keyed by relative path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, Option<SystemTime>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_default();
                let mtime = fs::metadata(&p).and_then(|m| m.modified()).ok();
                out.insert(rel, (fs::read(&p).unwrap_or_default(), mtime));
            }
        }
    }
    out
}

fn env() -> EnvInfo {
    EnvInfo {
        host: "bench_host.local".into(),
        os: "linux".into(),
        ..Default::default()
    }
}

fn case(scenario: &str) -> CaseResult {
    CaseResult {
        scenario: scenario.into(),
        variant: "c=8".into(),
        runtime: "tokio".into(),
        metric: "latency".into(),
        samples: 100,
        ..Default::default()
    }
}

#[test]
fn run_dir_lifecycle() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("results"); // does not exist yet: create makes it
    let latest = root.join("latest");

    let mut run = RunDir::create(&root, env(), "asyncbench run --quick".into(), RunMode::Cli)?;
    let id = run.id().to_string();
    // "YYYYMMDDTHHMMSSZ-host", host sanitised.
    assert_eq!(id.len(), 16 + 1 + "bench-host-local".len(), "{id}");
    assert!(id.ends_with("Z-bench-host-local"), "{id}");
    assert_eq!(run.path(), root.join(&id));
    assert!(run.path().join("env.json").is_file());
    let s = Summary::read(&run.path().join("summary.json"))?;
    assert!(s.run.partial && s.results.is_empty() && s.run.finished_utc.is_none());
    assert_eq!((s.schema_version, s.run.mode), (SCHEMA_VERSION, RunMode::Cli));
    assert!(fs::symlink_metadata(&latest).is_err(), "latest before finish");

    let mut h = hist();
    h.record(42_000)?;
    let (hgrm, hlog) = run.write_histograms(
        "http/get",
        "c=8",
        "tokio",
        "latency",
        &h,
        &[Interval {
            start_offset: Duration::ZERO,
            length: Duration::from_secs(1),
            hist: h.clone(),
        }],
        SystemTime::now(),
    )?;
    assert_eq!(hgrm, "hist/http_get__c_8__tokio__latency.hgrm");
    assert_eq!(hlog, "hist/http_get__c_8__tokio__latency.hlog");
    assert_eq!(parse_hgrm(&fs::read_to_string(run.path().join(&hgrm))?)?.len(), 2);
    assert_eq!(read_hlog(&fs::read(run.path().join(&hlog))?)?.len(), 1);

    let mut c = case("http/get");
    c.hgrm = Some(hgrm);
    c.latency_ns = Some(Percentiles::from_histogram(&h));
    let failure = CaseFailure {
        scenario: "spawn".into(),
        variant: "n=1e6".into(),
        runtime: "smol".into(),
        error: "timed out, after 30 s".into(),
    };
    run.push(vec![c.clone()], vec![failure.clone()])?;
    let s = Summary::read(&run.path().join("summary.json"))?;
    assert!(s.run.partial);
    assert_eq!((s.results, s.failures), (vec![c], vec![failure]));
    let csv = fs::read_to_string(run.path().join("summary.csv"))?;
    assert_eq!(csv.lines().count(), 2);
    assert!(
        csv.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("http/get,c=8,tokio,latency,false,100,0,42015,")),
        "{csv}"
    );
    assert!(fs::symlink_metadata(&latest).is_err(), "latest before finish");

    let first = run.finish()?;
    assert_eq!(first, root.join(&id));
    let s = Summary::read(&first.join("summary.json"))?;
    assert!(!s.run.partial && s.run.finished_utc.is_some());
    assert_eq!(
        fs::read_link(&latest)?,
        PathBuf::from(&id),
        "relative symlink to the id"
    );
    assert_eq!(resolve_run(&root, None)?, first);
    assert!(
        !names_in(&root).iter().any(|n| n.contains(".tmp-")),
        "{:?}",
        names_in(&root)
    );

    // A second run in the same second gets its own directory and never touches the first.
    let before = snapshot(&first);
    let mut second = RunDir::create(&root, env(), "again".into(), RunMode::Test)?;
    assert_ne!(second.path(), first.as_path());
    second.push(vec![case("timers")], vec![])?;
    assert_eq!(resolve_run(&root, None)?, first, "latest moves only on finish");
    let second_path = second.finish()?;
    assert_eq!(resolve_run(&root, None)?, second_path);
    assert_eq!(snapshot(&first), before, "first run modified by the second");

    // Explicit selection by id and by path.
    assert_eq!(resolve_run(&root, Some(Path::new(&id)))?, first);
    assert_eq!(resolve_run(&root, Some(&first))?, first);
    assert_eq!(resolve_run(&root, Some(&first.join("summary.json")))?, first);
    Ok(())
}

#[test]
fn create_under_unusable_root_fails_naming_the_path() -> TestResult {
    // Tests may run as root, which ignores chmod 555; a root below a regular file cannot be
    // created by anyone.
    let tmp = tempfile::tempdir()?;
    let file = tmp.path().join("a-file");
    fs::write(&file, "not a directory")?;
    let root = file.join("results");
    assert_error_names(RunDir::create(&root, env(), "x".into(), RunMode::Test), &root);
    Ok(())
}

#[test]
fn vanished_run_directory_is_an_error_not_a_panic() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("results");
    let mut run = RunDir::create(&root, env(), "x".into(), RunMode::Test)?;
    fs::remove_dir_all(&root)?;
    let path = run.path().join("summary.json");
    assert_error_names(run.push(vec![case("a")], vec![]), &path);
    assert_error_names(run.finish(), &path);
    Ok(())
}

#[test]
fn summary_read_rejects_bad_files_naming_them() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("r");
    let mut run = RunDir::create(&root, env(), "x".into(), RunMode::Test)?;
    run.push(vec![case("a"), case("b")], vec![])?;
    let good = fs::read_to_string(run.path().join("summary.json"))?;

    let missing = tmp.path().join("missing.json");
    assert_error_names(Summary::read(&missing), &missing);

    let truncated = tmp.path().join("truncated.json");
    fs::write(&truncated, &good[..good.len() / 2])?;
    let msg = assert_error_names(Summary::read(&truncated), &truncated);
    assert!(msg.contains("line"), "no position in: {msg}");

    let future = tmp.path().join("future.json");
    fs::write(
        &future,
        good.replacen(
            &format!("\"schema_version\": {SCHEMA_VERSION}"),
            "\"schema_version\": 99",
            1,
        ),
    )?;
    let msg = assert_error_names(Summary::read(&future), &future);
    assert!(
        msg.contains("99") && msg.contains(&format!("to {SCHEMA_VERSION}")),
        "{msg}"
    );

    let not_ours = tmp.path().join("other.json");
    fs::write(&not_ours, "{\"hello\": \"world\"}")?;
    assert_error_names(Summary::read(&not_ours), &not_ours);

    let wrong_shape = tmp.path().join("shape.json");
    fs::write(&wrong_shape, "{\"schema_version\": 1, \"run\": 5}")?;
    assert_error_names(Summary::read(&wrong_shape), &wrong_shape);
    Ok(())
}
