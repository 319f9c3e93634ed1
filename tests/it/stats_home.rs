//! One home for the numbers: no median, quantile, standard deviation or interval is computed
//! outside `src/stats/` (DESIGN.md, "One home for numbers"). A scan of every other source file's
//! code (comments and strings skipped, and its `#[cfg(test)]` tail, where tests check values by
//! hand) for the shapes such a rule takes when written inline:
//!
//! - a float sort (`sort_by(f64::total_cmp)`), the first step of a median or quantile;
//! - an index or `get` at a computed rank (`v[v.len() / 2]`, `v.get(n * 99 / 100)`);
//! - a selection at a rank (`select_nth_unstable`);
//! - HdrHistogram's own `value_at_quantile`, whose rank rule is not the reference one the
//!   project follows (`stats::rank::hdr_rank`);
//! - the t distribution or a t half-width (`student_t_critical`, `t_half_width`, `statrs`);
//! - a sum of squares or a root of squares (`powi(2)` beside `sum` or `sqrt`).
//!
//! Each is narrow enough that the rest of the code (sorting rows for a table, a geometric
//! midpoint of two rates) does not match; the planted test below shows each one caught.

use std::path::Path;

use super::module_graph::{code_only, rust_files, src_dir};

/// Whether a line of code breaks a rule.
type Rule = fn(&str) -> bool;

/// (what the line does, the rule).
const RULES: &[(&str, Rule)] = &[
    ("sorts floats (a median or quantile by hand)", |l| {
        l.contains("f64::total_cmp)") && l.contains("sort")
    }),
    ("indexes at a computed rank", indexes_at_computed_rank),
    ("selects a rank by hand", |l| l.contains("select_nth_unstable")),
    ("uses the hdrhistogram crate's own quantile rule", |l| {
        l.contains(".value_at_quantile(") || l.contains(".value_at_percentile(")
    }),
    ("makes a t-interval by hand", |l| {
        ["student_t_critical", "t_half_width", "StudentsT", "statrs::"]
            .iter()
            .any(|w| l.contains(w))
    }),
    ("computes a spread by hand", |l| {
        l.contains("powi(2)") && (l.contains("sum") || l.contains("sqrt"))
    }),
];

/// `[ … len() … / or * … ]` or `.get( … len() … / or * … )` on one line.
fn indexes_at_computed_rank(line: &str) -> bool {
    let bytes = line.as_bytes();
    for (open, close, start) in line
        .match_indices('[')
        .map(|(i, _)| (b'[', b']', i))
        .chain(line.match_indices(".get(").map(|(i, _)| (b'(', b')', i + 4)))
    {
        let mut depth = 0;
        for (j, &c) in bytes.iter().enumerate().skip(start) {
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    let inner = &line[start + 1..j];
                    // `[T; N]` array types and `$(…),*` macro repetitions are not indexes.
                    let index = !inner.contains(';') && !inner.contains('$');
                    if index && inner.contains("len()") && (inner.contains('/') || inner.contains('*')) {
                        return true;
                    }
                    break;
                }
            }
        }
    }
    false
}

/// Every rule broken in `text` (a source file), as "line: what".
fn violations(text: &str) -> Vec<String> {
    let code = code_only(text);
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        for (what, broken) in RULES {
            if broken(line) {
                out.push(format!("{}: {what}: {}", n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn no_statistic_is_computed_outside_stats() {
    let stats = src_dir().join("stats");
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    assert!(files.len() > 50, "the scan found src/: {} files", files.len());
    let found: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&stats))
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("a readable source file");
            let rel = f.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or(f);
            violations(&text)
                .into_iter()
                .map(move |v| format!("{}:{v}", rel.display()))
        })
        .collect();
    assert!(
        found.is_empty(),
        "statistics computed outside src/stats/ (call stats::Sample, stats::rank, stats::hdr or \
         stats::interval instead):\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn each_rule_catches_its_planted_violation_and_spares_ordinary_code() {
    let planted = [
        "let mut v = xs.clone(); v.sort_by(f64::total_cmp);",
        "let median = per_segment[per_segment.len() / 2];",
        "spread: off[off.len() * 99 / 100],",
        "v.get(v.len() / 2).copied().unwrap_or(0.0)",
        "n => *wakes.select_nth_unstable(rank - 1).1,",
        "p99_ns: h.value_at_quantile(0.99),",
        "let h = crate::stats::student_t_critical(0.05, n - 1.0) * sd;",
        "let sd = ((a.powi(2) + b.powi(2)) / 2.0).sqrt();",
        "let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();",
    ];
    for p in planted {
        assert_eq!(violations(p).len(), 1, "one rule catches {p:?}: {:?}", violations(p));
    }
    let ordinary = "rows.sort_by(|a, b| a.1.total_cmp(&b.1));\n\
        let last = v[v.len() - 1]; let mid = ((lo as f64) * (hi as f64)).sqrt();\n\
        let p = stats::Sample::new(xs)?.quantile(0.99); // v[v.len() / 2] in a comment\n\
        let s = \"v[v.len() / 2]\";\n\
        pub const ALL: [Flavor; A::ALL.len() + [$(Flavor::$B),*].len()] = [$(Flavor::$B),*];\n\
        #[cfg(test)]\nmod tests { fn by_hand() { let m = v[v.len() / 2]; } }";
    assert_eq!(violations(ordinary), Vec::<String>::new());
}
