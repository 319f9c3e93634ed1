//! The user documentation against what the project does: `docs/cli.md` is the clap `--help` of
//! every command, `docs/results-format.md` is generated from `results/summary.schema.json`, every
//! relative link in the README and docs/ resolves, the README stays a short guide (≤ 12 KB), and
//! neither quotes a dated measurement (figures live in generated reports, not in prose).
//!
//! After a deliberate change to the CLI or the summary types, regenerate both pages with
//! `UPDATE_DOCS=1 cargo test --test it -- docs::` and commit them.

use std::fs;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde_json::Value;

use crate::common::TestResult;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `generated` with the file at `rel`, or rewrites it under `UPDATE_DOCS`.
fn check_generated(rel: &str, generated: &str) -> TestResult {
    let path = root().join(rel);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, generated)?;
        return Ok(());
    }
    let on_disk = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is out of date. If the change is intended, regenerate it with \
         `UPDATE_DOCS=1 cargo test --test it -- docs::` and commit it.",
        path.display()
    );
    Ok(())
}

/// The CLI reference: each command's long help exactly as `asyncbench <command> --help` prints it.
fn cli_reference() -> String {
    let mut cmd = asyncbench::cli::Cli::command();
    cmd.build();
    let mut out = String::from(
        "# CLI reference\n\n\
         Generated from the command-line definition (`src/cli.rs`, `src/harness/options/args.rs`);\n\
         `cargo test` fails when it differs from what `--help` prints. Run the binary as `asyncbench` after\n\
         `cargo install --path .`, or as `cargo run --release --` from the checkout.\n\n",
    );
    let mut top = cmd.clone();
    out.push_str("## asyncbench\n\n```text\n");
    out.push_str(&top.render_long_help().to_string());
    out.push_str("```\n");
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        out.push_str(&format!("\n## asyncbench {}\n\n```text\n", sub.get_name()));
        let help = sub.render_long_help().to_string();
        out.push_str(help.trim_end());
        out.push_str("\n```\n");
    }
    // Defaults that name this checkout's path (the scenarios directory) read the same anywhere.
    out.replace(env!("CARGO_MANIFEST_DIR"), "<checkout>")
}

#[test]
fn cli_reference_matches_help() -> TestResult {
    check_generated("docs/cli.md", &cli_reference())
}

/// One table per schema definition: each property, its type and its description.
fn results_format(schema: &Value) -> String {
    let mut out = String::from(
        "# Results format: summary.json\n\n\
         Generated from `results/summary.schema.json` (itself generated from the Rust types in\n\
         `src/results/`, whose doc comments are the descriptions below); `cargo test` fails when\n\
         this page, the schema or the types disagree. `summary.csv` carries the same rows as\n\
         columns. A reader should refuse a `schema_version` it does not know.\n\n",
    );
    let describe = |v: &Value| -> String {
        v.get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('\n', " ")
            .replace('|', "\\|")
    };
    let ty = |v: &Value| -> String { type_name(v) };
    out.push_str("## Summary (the whole file)\n\n");
    out.push_str(&describe(schema));
    out.push_str("\n\n");
    props_table(&mut out, schema, &describe, &ty);
    if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
        for (name, def) in defs {
            out.push_str(&format!("\n## {name}\n\n"));
            let d = describe(def);
            if !d.is_empty() {
                out.push_str(&d);
                out.push_str("\n\n");
            }
            if def.get("properties").is_some() {
                props_table(&mut out, def, &describe, &ty);
            } else if let Some(alts) = def.get("oneOf").or_else(|| def.get("anyOf")).and_then(Value::as_array) {
                out.push_str("| value | meaning |\n| --- | --- |\n");
                for a in alts {
                    let values: Vec<String> = a
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|e| e.iter().map(|x| format!("`{}`", x.as_str().unwrap_or("?"))).collect())
                        .or_else(|| a.get("const").map(|c| vec![format!("`{}`", c.as_str().unwrap_or("?"))]))
                        .unwrap_or_else(|| vec![type_name(a)]);
                    out.push_str(&format!("| {} | {} |\n", values.join(", "), describe(a)));
                }
            } else if let Some(e) = def.get("enum").and_then(Value::as_array) {
                let values: Vec<String> = e.iter().map(|x| format!("`{}`", x.as_str().unwrap_or("?"))).collect();
                out.push_str(&format!("One of {}.\n", values.join(", ")));
            }
        }
    }
    out
}

fn props_table(out: &mut String, obj: &Value, describe: &dyn Fn(&Value) -> String, ty: &dyn Fn(&Value) -> String) {
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("| field | type | required | description |\n| --- | --- | --- | --- |\n");
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let req = if required.contains(&k.as_str()) { "yes" } else { "" };
            out.push_str(&format!("| `{k}` | {} | {req} | {} |\n", ty(v), describe(v)));
        }
    }
}

fn type_name(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let n = r.trim_start_matches("#/$defs/");
        return format!("[{n}](#{})", n.to_lowercase());
    }
    if let Some(alts) = v.get("anyOf").or_else(|| v.get("oneOf")).and_then(Value::as_array) {
        let parts: Vec<String> = alts.iter().map(type_name).filter(|t| t != "null").collect();
        return parts.join(" or ");
    }
    match v.get("type") {
        Some(Value::String(s)) if s == "array" => {
            format!(
                "array of {}",
                v.get("items").map(type_name).unwrap_or_else(|| "any".into())
            )
        }
        Some(Value::String(s)) if s == "object" => match v.get("additionalProperties") {
            Some(a) if a.is_object() => format!("map of {}", type_name(a)),
            _ => "object".into(),
        },
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            let parts: Vec<&str> = a.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            parts.join(" or ")
        }
        _ => "any".into(),
    }
}

#[test]
fn results_format_page_matches_the_schema() -> TestResult {
    let schema: Value = serde_json::from_str(&fs::read_to_string(root().join("results/summary.schema.json"))?)?;
    check_generated("docs/results-format.md", &results_format(&schema))
}

fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    if let Ok(rd) = fs::read_dir(root().join("docs")) {
        let mut pages: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        pages.sort();
        files.extend(pages);
    }
    files
}

/// `[text](target)` links of a Markdown text, code spans and fenced blocks left out.
fn links(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_resolves() -> TestResult {
    let mut broken = vec![];
    for file in doc_files() {
        let text = fs::read_to_string(&file)?;
        let dir = file.parent().unwrap_or(root());
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") || link.starts_with('#') {
                continue;
            }
            let path = link.split('#').next().unwrap_or("");
            if !dir.join(path).exists() {
                broken.push(format!("{}: {link}", file.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to files that do not exist:\n{}",
        broken.join("\n")
    );
    Ok(())
}

#[test]
fn readme_is_a_short_guide_with_both_setup_commands() -> TestResult {
    let readme = fs::read_to_string(root().join("README.md"))?;
    assert!(
        readme.len() <= 12 * 1024,
        "README.md is {} bytes; keep it ≤ 12 KB and move detail to docs/",
        readme.len()
    );
    for cmd in ["cargo bench", "cargo test"] {
        assert!(readme.contains(cmd), "README.md must state `{cmd}`");
    }
    for page in ["how-a-number-is-made", "scenarios", "cli", "results-format"] {
        assert!(
            readme.contains(&format!("docs/{page}.md")),
            "README.md should link docs/{page}.md"
        );
    }
    Ok(())
}

/// Dates and run ids are the marks of a measurement copied into prose; the measured artefacts
/// are the generated reports (results/reference), which the docs link instead.
#[test]
fn docs_quote_no_dated_measurement() -> TestResult {
    let mut hits = vec![];
    // The generated pages are checked against their sources above (a field's documented example
    // may be a run id).
    let generated = ["cli.md", "results-format.md"];
    for file in doc_files()
        .into_iter()
        .filter(|f| !f.file_name().is_some_and(|n| generated.iter().any(|g| n == *g)))
    {
        let text = fs::read_to_string(&file)?;
        for (n, line) in text.lines().enumerate() {
            let b = line.as_bytes();
            let dated = b.windows(10).any(|w| {
                w[..4].iter().all(u8::is_ascii_digit)
                    && w[4] == b'-'
                    && w[5..7].iter().all(u8::is_ascii_digit)
                    && w[7] == b'-'
                    && w[8..10].iter().all(u8::is_ascii_digit)
            });
            let run_id = b.windows(16).any(|w| {
                w[..8].iter().all(u8::is_ascii_digit)
                    && w[8] == b'T'
                    && w[9..15].iter().all(u8::is_ascii_digit)
                    && w[15] == b'Z'
            });
            if dated || run_id {
                hits.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "dated measurements in the docs (link the generated report instead):\n{}",
        hits.join("\n")
    );
    Ok(())
}

/// The spread-causes table in docs/how-a-number-is-made.md is `scripts/spread-causes.py`'s
/// output on the committed reference run, between its markers: a figure in the docs that a
/// script generated from a committed run, not one copied by hand.
#[test]
fn the_spread_causes_table_is_the_scripts_output_on_the_reference_run() -> TestResult {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/spread-causes.py"))
        .arg(root().join("results/reference"))
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout)?;
    let rel = "docs/how-a-number-is-made.md";
    let doc = fs::read_to_string(root().join(rel))?;
    let (begin, end) = ("<!-- spread-causes:begin -->\n", "<!-- spread-causes:end -->");
    let a = doc.find(begin).ok_or("no begin marker")? + begin.len();
    let b = doc[a..].find(end).ok_or("no end marker")? + a;
    let generated = format!("{}{table}{}", &doc[..a], &doc[b..]);
    check_generated(rel, &generated)
}

/// The doc's table of what only the full tier runs is the scenario files' `full_tier` lists, as
/// `cargo bench` reads them: every case the default suite leaves out, with the file's reason.
#[test]
fn the_full_tier_table_is_what_the_scenario_files_leave_out() -> TestResult {
    let defs = asyncbench::scenario::load_dir(&asyncbench::scenario::default_dir())?;
    let mut table = String::from("| scenario | cases only in the full tier | why |\n| --- | --- | --- |\n");
    for d in &defs {
        let left_out = d.left_out();
        let by_reason = asyncbench::scenario::file::group_by_reason(
            left_out
                .iter()
                .map(|(c, reason)| (format!("{}/{}", c.variant, c.flavor), reason.as_str())),
        );
        for (reason, cases) in by_reason {
            table.push_str(&format!("| {} | {} | {reason} |\n", d.header().name, cases.join(", ")));
        }
    }
    let rel = "docs/how-a-number-is-made.md";
    let doc = fs::read_to_string(root().join(rel))?;
    let (begin, end) = ("<!-- full-tier:begin -->\n", "<!-- full-tier:end -->");
    let a = doc.find(begin).ok_or("no full-tier begin marker")? + begin.len();
    let b = doc[a..].find(end).ok_or("no full-tier end marker")? + a;
    let generated = format!("{}{table}{}", &doc[..a], &doc[b..]);
    check_generated(rel, &generated)
}
