//! The folder graph of `src/`: which top-level module (`harness`, `report`, `cli`, …) names
//! which other one through a `crate::` (or `super::` reaching the crate root) path, and the check
//! that it has no circle, so the layers of DESIGN.md read in one direction.
//!
//! The layers, bottom up; a folder names only folders below it:
//!
//! | folder | names | why here |
//! | --- | --- | --- |
//! | `stats` | — | numbers in, numbers out |
//! | `measure` | stats | the instruments every layer carries: recorders, clocks, CPU placement, allocation and task counters, failures by kind, the harness floor |
//! | `runtime` | measure | the `Runtime` trait and its flavours; spawns wrapped in `measure::task_metrics`, offload threads pinned by `measure::placement` |
//! | `results`, `server` | measure, stats | the run directory and its files; the test server |
//! | `client` | measure, runtime | clients and load generators run *on* a runtime and record into `measure` (also the route floor and `ClientError → OpError`) |
//! | `scenario`, `sweep`, `scale`, `python` | the above | the scenarios and the probes run beside their work; the load sweep; the scaling curves; the guide's Python rows |
//! | `report`, `compare`, `export` | results, stats, … | read saved runs |
//! | `versions` | compare, results, report, stats | a dependency's two versions built in scratch copies, run alternately in round processes, gathered into runs that `compare` judges |
//! | `harness` | all but `cli` | the run loop, the CLI's options (clap's types as typed in `harness::options::args`, then checked) and commands |
//! | `cli` | harness | the root parser and the dispatch: the top, named by no one |
//!
//! Hand-written rather than a crate: the question is one regex-free scan of our own sources
//! (comments and string literals skipped), and tools like `cargo-modules` answer it only as a
//! binary outside `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Circles that other work is expected to remove, as `a -> b -> … -> a` with the lexically
/// smallest node first. Empty is the goal: the test fails on any circle not listed here, and on
/// a listed one that no longer exists (so the list only shrinks).
const ALLOWED_CIRCLES: &[&str] = &[];

pub(crate) fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src/`: `src/report/doc/build.rs` → `[report, doc, build]`,
/// `src/report/mod.rs` → `[report]`, `src/lib.rs` → `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir()).expect("below src/");
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a Rust file with comments, string and char literals blanked out, so a path in a
/// doc comment or a message does not count as an import.
pub(crate) fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(b.len(), |n| i + n + 2);
            i = end;
        } else if (rest.starts_with("r\"") || rest.starts_with("r#")) && !prev_is_ident(b, i) {
            let hashes = rest[1..].bytes().take_while(|&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 1 + hashes + 1;
            let end = rest[body..]
                .find(&close)
                .map_or(b.len(), |n| i + body + n + close.len());
            out.push(' ');
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push(' ');
            i = j + 1;
        } else if b[i] == b'\'' && (rest[1..].starts_with('\\') || rest[1..].chars().nth(1) == Some('\'')) {
            // A char literal ('x', '\n', '\''); a lifetime has no closing quote right after.
            let mut j = i + 1;
            if b[j] == b'\\' {
                j += 2;
            }
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            out.push(' ');
            i = j + 1;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segments of the paths in a `{ a::b, c, d::{e, f} }` group that starts at `s[0]`.
fn group_heads(s: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for (k, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    expect_head = true;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if depth == 1 && expect_head && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(ident_at(&s[k..]).to_string());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules that `code` (the code of the file whose module path is `me`) names.
fn targets(code: &str, me: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = code.as_bytes();
    let mut push = |after: &str| {
        if after.starts_with('{') {
            out.extend(group_heads(after));
        } else {
            let id = ident_at(after);
            if !id.is_empty() {
                out.insert(id.to_string());
            }
        }
    };
    for (i, _) in code.match_indices("crate::") {
        // `$crate::` in a macro and `asyncbench_crate::`-like names are not this crate's root.
        if i > 0 && (b[i - 1] == b'$' || b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
            continue;
        }
        push(&code[i + "crate::".len()..]);
    }
    for (i, _) in code.match_indices("super::") {
        if i > 0 && (b[i - 1] == b':' || b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
            continue;
        }
        let mut rest = &code[i..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        // `super` from `a::b::c` (a file `a/b/c.rs`) is `a::b`; only a chain that reaches the
        // crate root leaves the folder.
        if ups >= me.len() {
            push(rest);
        }
    }
    out
}

/// Folder → folders it names (only top-level modules of this crate, never itself).
fn folder_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let roots: BTreeSet<String> = files.iter().filter_map(|f| module_path(f).first().cloned()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let me = module_path(f);
        let Some(top) = me.first().cloned() else {
            continue; // lib.rs / main.rs: the crate root declares every module
        };
        let text = std::fs::read_to_string(f).expect("a readable source file");
        let to = targets(&code_only(&text), &me);
        let entry = graph.entry(top.clone()).or_default();
        entry.extend(to.into_iter().filter(|t| *t != top && roots.contains(t)));
    }
    graph
}

/// Every elementary circle, each once, written from its smallest node.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        found: &mut BTreeSet<String>,
    ) {
        let here = path.last().expect("a non-empty path").clone();
        for next in graph.get(&here).into_iter().flatten() {
            if next == start {
                let mut c = path.clone();
                c.push(start.to_string());
                found.insert(c.join(" -> "));
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(graph, start, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        walk(graph, start, &mut vec![start.clone()], &mut found);
    }
    found
}

#[test]
fn no_import_circle_between_src_folders() {
    let graph = folder_graph();
    assert!(graph.len() > 10, "the scan found the src/ folders: {graph:?}");
    let found = circles(&graph);
    let allowed: BTreeSet<String> = ALLOWED_CIRCLES.iter().map(|s| s.to_string()).collect();
    let new: Vec<_> = found.difference(&allowed).collect();
    let gone: Vec<_> = allowed.difference(&found).collect();
    let edges: Vec<String> = graph
        .iter()
        .map(|(a, to)| format!("{a} -> {}", to.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(
        new.is_empty(),
        "import circles between src/ folders:\n  {}\nthe graph:\n  {}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        edges.join("\n  ")
    );
    assert!(
        gone.is_empty(),
        "listed in ALLOWED_CIRCLES but gone (delete them): {gone:?}"
    );
}

#[test]
fn the_scan_sees_grouped_super_and_crate_paths_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{harness::Session, report};\n\
         // crate::commented\n\
         let s = \"crate::quoted\"; let c = '\"'; let r = r#\"crate::raw\"#;\n\
         fn f<'a>(x: &'a str) { super::super::stats::mean(); super::local(); $crate::macro_path(); }\n\
         use crate::cli::OutputFormat;",
    );
    let got = targets(&code, &["measure".into(), "floor".into()]);
    let want: BTreeSet<String> = ["harness", "report", "stats", "cli"].map(String::from).into();
    assert_eq!(got, want);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string(), "b".to_string()]));
    assert_eq!(
        circles(&g),
        BTreeSet::from(["a -> b -> c -> a".to_string(), "b -> c -> b".to_string()])
    );
}
