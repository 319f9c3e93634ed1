//! Property-based fuzzing of the two parsers that read untrusted text: the
//! scenario-file loader and the test server's path/query parser. Neither may
//! panic on any input; every rejection names where it went wrong.
//!
//! Default case counts keep `cargo test` quick; for a long run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

use proptest::prelude::*;

use asyncbench::scenario;
use asyncbench::server::{MAX_BYTES, MAX_DELAY_MS, Route, parse_route};
use hyper::{Method, StatusCode};

const GOOD: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct", "smol-ct"]
variants = ["sequential", "join_all"]

[params]
requests = 4
delay_ms = 10
bound = 2
timeout_ms = 5000
connections = ["fresh"]

[criterion]
sample_size = 10
measurement_secs = 1.0
warm_up_secs = 0.2
"#;

/// Loads `text` as a scenario file; checks the outcome's shape.
fn check_file(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fuzz.toml");
    std::fs::write(&p, text).unwrap();
    match scenario::load_file(&p) {
        Ok(s) => {
            // Whatever loads is within bounds.
            for c in s.cases() {
                assert!(c.ops_per_batch >= 1 && c.ops_per_batch <= 10_000);
            }
        }
        Err(e) => {
            assert_eq!(e.path, p);
            assert!(!e.message.is_empty());
            if let Some(l) = e.line {
                assert!(
                    l >= 1 && l <= text.lines().count().max(1) + 1,
                    "line {l} outside the file"
                );
            }
        }
    }
}

/// A value TOML can hold, for replacing the good file's values.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        "[a-z_-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("1e308".to_string()),
        Just("18446744073709551616".to_string()),
        prop::collection::vec("[a-z-]{0,10}", 0..4).prop_map(|v| format!(
            "[{}]",
            v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes at all.
    #[test]
    fn loader_never_panics_on_arbitrary_text(text in ".{0,400}") {
        check_file(&text);
    }

    /// The good file with one value replaced: hits validation, not just syntax.
    #[test]
    fn loader_never_panics_on_mutated_values(line in 0usize..17, value in toml_value()) {
        let text: Vec<String> = GOOD
            .lines()
            .enumerate()
            .map(|(i, l)| match (i == line, l.split_once(" = ")) {
                (true, Some((k, _))) => format!("{k} = {value}"),
                _ => l.to_string(),
            })
            .collect();
        check_file(&text.join("\n"));
    }

    /// Lines dropped, duplicated or swapped.
    #[test]
    fn loader_never_panics_on_shuffled_lines(ops in prop::collection::vec((0usize..17, 0usize..17, 0u8..3), 0..6)) {
        let mut lines: Vec<&str> = GOOD.lines().collect();
        for (a, b, op) in ops {
            let n = lines.len();
            if n == 0 { break; }
            let (a, b) = (a % n, b % n);
            match op {
                0 => { lines.remove(a); }
                1 => { let l = lines[a]; lines.insert(b, l); }
                _ => lines.swap(a, b),
            }
        }
        check_file(&lines.join("\n"));
    }

    #[test]
    fn route_parser_never_panics(path in "/[a-z/0-9%.+-]{0,40}", query in proptest::option::of("[a-z0-9=&.+%-]{0,40}")) {
        match parse_route(&Method::GET, &path, query.as_deref()) {
            Ok(Route::Delay(d)) => prop_assert!(d.as_millis() <= u128::from(MAX_DELAY_MS)),
            Ok(Route::Stall(d)) => prop_assert!(d.as_millis() <= u128::from(MAX_DELAY_MS)),
            Ok(Route::Bytes(n)) => prop_assert!(n <= MAX_BYTES),
            Ok(Route::Status(c)) => prop_assert!((200..=599).contains(&c)),
            Ok(Route::Flaky { p, .. }) => prop_assert!((0.0..=1.0).contains(&p)),
            Ok(_) => {}
            Err(e) => {
                prop_assert!([StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&e.status));
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn route_parser_bounds_numbers(kind in prop::sample::select(vec!["delay", "bytes", "status", "stall"]), n in any::<u64>()) {
        let path = format!("/{kind}/{n}");
        let r = parse_route(&Method::GET, &path, None);
        let max = match kind { "bytes" => MAX_BYTES, "status" => 599, _ => MAX_DELAY_MS };
        let min = if kind == "status" { 200 } else { 0 };
        prop_assert_eq!(r.is_ok(), (min..=max).contains(&n), "{} -> {:?}", path, r);
        if let Err(e) = r {
            prop_assert!(e.message.contains("allowed"), "{}", e.message);
        }
    }

    #[test]
    fn flaky_query_never_panics(p in any::<f64>(), seed in any::<u64>(), extra in "[a-z]{0,5}") {
        let q = format!("p={p}&seed={seed}{}", if extra.is_empty() { String::new() } else { format!("&{extra}=1") });
        let r = parse_route(&Method::GET, "/flaky", Some(&q));
        if let Ok(Route::Flaky { p: got, .. }) = r {
            prop_assert!((0.0..=1.0).contains(&got));
        }
    }
}
