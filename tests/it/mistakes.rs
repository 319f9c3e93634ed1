//! Friendly mistakes: a mistyped scenario, variant or runtime gets "did you mean", a filter that
//! selects nothing is named with what exists, and `--rate` with a scenario says what it runs.
//! Each fails before any server starts (exit 2).

use crate::common::cli;

fn usage_error(args: &[&str]) -> String {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let (code, _, err) = cli(&args).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("asyncbench: run "), "no run started: {err}");
    err
}

#[test]
fn typos_get_did_you_mean_and_empty_filters_name_themselves() {
    let e = usage_error(&["run", "--scenario", "fetch_paralel"]);
    assert!(
        e.contains("did you mean `fetch_parallel`?") && e.contains("timeout"),
        "{e}"
    );
    let e = usage_error(&["run", "--scenario", "fetch_parallel", "--variant", "joinall"]);
    assert!(
        e.contains("--variant joinall selects no case of fetch_parallel")
            && e.contains("did you mean `join_all`?")
            && e.contains("sequential-keepalive"),
        "{e}"
    );
    let e = usage_error(&["run", "--scenario", "fetch_parallel", "--runtime", "rayon"]);
    assert!(e.contains("--runtime rayon") && e.contains("tokio-ct"), "{e}");
    let e = usage_error(&["run", "--runtime", "tokio_mt"]);
    assert!(e.contains("did you mean `tokio-mt`?"), "{e}");
    let e = usage_error(&["run", "--rate", "100", "--scenario", "timeout"]);
    assert!(e.contains("--rate runs an HTTP load against --path"), "{e}");
}

/// A case only the full tier runs is named as such (with the variable that runs it), and a bad
/// tier is refused with the allowed values; both before any server starts.
#[test]
fn a_full_tier_case_and_a_bad_tier_say_what_to_set() {
    let e = usage_error(&["run", "--scenario", "pipeline", "--runtime", "tokio-mt"]);
    assert!(
        e.contains("pipeline/") && e.contains("/tokio-mt is in the full tier") && e.contains("ASYNCBENCH_TIER=full"),
        "{e}"
    );
    let args: Vec<&std::ffi::OsStr> = ["run", "--scenario", "timeout"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    let (code, _, err) = crate::common::cli_env(&[("ASYNCBENCH_TIER", "everything")], &args).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ASYNCBENCH_TIER=\"everything\": allowed `default` or `full`"),
        "{err}"
    );
}

/// A bad ASYNCBENCH_HEAP stops every command before it measures, naming the allowed values;
/// `libc` is accepted.
#[test]
fn a_bad_heap_setting_names_the_allowed_ones() {
    let list = [std::ffi::OsStr::new("list")];
    let (code, _, err) = crate::common::cli_env(&[("ASYNCBENCH_HEAP", "jemalloc")], &list).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ASYNCBENCH_HEAP=jemalloc: allowed `held` (the default) or `libc`"),
        "{err}"
    );
    let (code, out, err) = crate::common::cli_env(&[("ASYNCBENCH_HEAP", "libc")], &list).unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("timeout"), "{out}");
}
