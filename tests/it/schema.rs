//! `summary.json` against its checked-in JSON Schema (`results/summary.schema.json`): the file
//! must equal the schema generated from the types, and summaries written by real runs (closed
//! and open loop) and the committed reference run must parse back into `Summary` and fit it.
//!
//! After a deliberate change to the summary types, regenerate the file with
//! `UPDATE_SCHEMA=1 cargo test --test it -- schema::` and commit it (bumping
//! `SCHEMA_VERSION` if a field changed meaning or became required).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{TestResult, cli};
use asyncbench::results::schema::{SCHEMA_PATH, summary_schema};
use asyncbench::results::{RunMode, Summary};

fn schema_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH)
}

#[test]
fn checked_in_schema_matches_the_types() -> TestResult {
    let generated = summary_schema()?;
    let path = schema_file();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        fs::write(&path, &generated)?;
        return Ok(());
    }
    let on_disk = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} differs from the schema of the summary types. If the change is intended, regenerate it with \
         `UPDATE_SCHEMA=1 cargo test --test it -- schema::` and commit it (bump SCHEMA_VERSION if a field \
         changed meaning or became required).",
        path.display()
    );
    Ok(())
}

/// Checks `v` against `schema` (the subset of JSON Schema that schemars emits: `$ref`, `type`,
/// `properties`, `required`, `additionalProperties`, `items`, `anyOf`, `oneOf`, `const`,
/// `enum`, `minimum`; and `patternProperties` with the one pattern `.+`, any non-empty key, that
/// the export formats' schemas use), and more strictly than JSON Schema in one way: an object key that no
/// `properties` (nor an `additionalProperties` schema) declares is an error, so a field the
/// writer adds without the schema knowing fails here. Returns the paths that do not fit.
pub(crate) fn check(root: &Value, schema: &Value, v: &Value, at: &str, strict: bool, errs: &mut Vec<String>) {
    let fail = |errs: &mut Vec<String>, what: String| errs.push(format!("{at}: {what}"));
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        match root.pointer(&format!("/$defs/{name}")) {
            Some(def) => check(root, def, v, at, strict, errs),
            None => fail(errs, format!("unresolved {r}")),
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = |t: &str| match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| fits(t)) {
            fail(errs, format!("{v} is not {types:?}"));
            return;
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        fail(errs, format!("{v} is not {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        fail(errs, format!("{v} is not one of {e:?}"));
    }
    if let (Some(min), Some(x)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64())
        && x < min
    {
        fail(errs, format!("{x} < minimum {min}"));
    }
    let branches = |key: &str| schema.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let fitting = |bs: &[Value]| {
        bs.iter()
            .filter(|b| {
                let mut e = Vec::new();
                // A branch sees the whole object but declares only its own keys.
                check(root, b, v, at, false, &mut e);
                e.is_empty()
            })
            .count()
    };
    let (any_of, one_of) = (branches("anyOf"), branches("oneOf"));
    if !any_of.is_empty() && fitting(&any_of) == 0 {
        fail(errs, "fits no anyOf branch".into());
    }
    if !one_of.is_empty() && fitting(&one_of) != 1 {
        fail(
            errs,
            format!("fits {} oneOf branches, not exactly one", fitting(&one_of)),
        );
    }
    if let Some(obj) = v.as_object() {
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let mut declared = props(schema);
        for b in one_of.iter().chain(&any_of) {
            declared.extend(props(b));
        }
        for req in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(k) = req.as_str().filter(|k| !obj.contains_key(*k)) {
                fail(errs, format!("missing required {k}"));
            }
        }
        // `additionalProperties: false` is the strict mode's rule already; an object schema applies.
        let mut extra = schema.get("additionalProperties").filter(|a| a.is_object());
        if let Some(pp) = schema.get("patternProperties").and_then(Value::as_object) {
            for (pattern, s) in pp {
                if pattern != ".+" {
                    fail(errs, format!("patternProperties {pattern:?}: only \".+\" is supported"));
                }
                if obj.contains_key("") {
                    fail(errs, "an empty key does not match \".+\"".into());
                }
                extra = Some(s);
            }
        }
        for (k, x) in obj {
            match (
                schema.get("properties").and_then(|p| p.get(k)),
                declared.contains_key(k),
                extra,
            ) {
                (Some(s), _, _) => check(root, s, x, &format!("{at}.{k}"), true, errs),
                (None, true, _) => {} // a branch's property: checked with the branch
                (None, false, Some(s)) => check(root, s, x, &format!("{at}.{k}"), true, errs),
                (None, false, None) if strict && schema.get("$ref").is_none() && !declared.is_empty() => {
                    fail(errs, format!("undeclared field {k}"))
                }
                (None, false, None) => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(root, items, x, &format!("{at}[{i}]"), true, errs);
        }
    }
}

/// Parses `dir/summary.json` into `Summary` and checks it against the checked-in schema.
fn assert_fits_schema(summary_json: &Path) -> Result<Summary, Box<dyn std::error::Error>> {
    let summary = Summary::read(summary_json)?;
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file())?)?;
    let value: Value = serde_json::from_str(&fs::read_to_string(summary_json)?)?;
    let mut errs = Vec::new();
    check(&schema, &schema, &value, "summary", true, &mut errs);
    assert!(errs.is_empty(), "{}:\n{}", summary_json.display(), errs.join("\n"));
    Ok(summary)
}

#[test]
fn the_checker_catches_what_does_not_fit() -> TestResult {
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file())?)?;
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/summary.json");
    let good: Value = serde_json::from_str(&fs::read_to_string(reference)?)?;
    for (pointer, bad) in [
        ("/run/mode", Value::from("warp")),
        ("/run/partial", Value::from("no")),
        ("/results/0/samples", Value::from(-1)),
        ("/results/0/errors_by_kind", Value::from(3)),
        ("/env/surprise", Value::from(1)),
    ] {
        let mut v = good.clone();
        let (parent, key) = pointer.rsplit_once('/').ok_or("pointer")?;
        v.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .ok_or(parent.to_string())?
            .insert(key.to_string(), bad);
        let mut errs = Vec::new();
        check(&schema, &schema, &v, "summary", true, &mut errs);
        assert!(!errs.is_empty(), "{pointer} should not fit");
    }
    Ok(())
}

#[test]
fn the_reference_run_written_before_run_modes_and_error_kinds_still_reads() -> TestResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/summary.json");
    let s = assert_fits_schema(&path)?;
    assert_eq!(s.run.mode, RunMode::Criterion);
    assert!(!s.results.is_empty());
    Ok(())
}

/// Runs `asyncbench run` with `args` into a fresh results root; returns the run directory.
fn run(root: &Path, args: &[&str]) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let mut argv: Vec<&OsStr> = ["run", "--runtime", "tokio-ct", "--warmup", "0"]
        .iter()
        .chain(args)
        .map(OsStr::new)
        .collect();
    argv.extend([OsStr::new("--results"), root.as_os_str()]);
    let (code, out, err) = cli(&argv)?;
    assert_eq!(code, 0, "{err}");
    Ok(PathBuf::from(out.trim()))
}

#[test]
fn summaries_written_by_real_runs_fit_the_schema() -> TestResult {
    let root = tempfile::tempdir()?;
    let closed = run(root.path(), &["--scenario", "timeout", "--batches", "2"])?;
    let s = assert_fits_schema(&closed.join("summary.json"))?;
    assert_eq!((s.run.mode, s.run.partial), (RunMode::Cli, false));
    assert!(
        s.results
            .iter()
            .all(|r| r.scenario == "timeout" && r.errors == r.errors_by_kind.total())
    );

    let open = run(
        root.path(),
        &[
            "--rate",
            "200",
            "--connections",
            "2",
            "--duration",
            "1",
            "--path",
            "/delay/0",
        ],
    )?;
    let s = assert_fits_schema(&open.join("summary.json"))?;
    let mode = RunMode::OpenLoop {
        rate_per_s: 200,
        connections: 2,
    };
    assert_eq!(s.run.mode, mode);
    let md = fs::read_to_string(open.join("REPORT.md"))?;
    assert!(
        md.contains("open loop at 200 requests/s over 2 keep-alive connections"),
        "{md}"
    );
    Ok(())
}

/// Every property of every object in `schema` (definitions included) that has no
/// `description`, as `Definition.property`.
fn undescribed(schema: &Value) -> Vec<String> {
    fn walk(name: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    let branch_described = map.contains_key("description");
                    for (p, s) in props {
                        // A serde tag (`"mode": {"const": "open-loop"}`) is described by the
                        // description of the branch it selects.
                        // So is the one key of an externally tagged enum variant
                        // (`{"rows": {…}}`), which is the variant's doc comment.
                        let tag = (s.get("const").is_some() || props.len() == 1) && branch_described;
                        let described = tag
                            || s.get("description")
                                .and_then(Value::as_str)
                                .is_some_and(|d| !d.trim().is_empty());
                        if !described {
                            out.push(format!("{name}.{p}"));
                        }
                        walk(&format!("{name}.{p}"), s, out);
                    }
                }
                for (k, s) in map {
                    if k == "properties" {
                        continue;
                    }
                    let inner = if k == "$defs" { String::new() } else { name.to_string() };
                    match s {
                        Value::Object(defs) if k == "$defs" => {
                            for (d, s) in defs {
                                walk(d, s, out);
                            }
                        }
                        _ => walk(&inner, s, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(name, x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("Summary", schema, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The schema is the contract scripts read: each property says what it means (unit, when it is
/// absent). The descriptions are the types' doc comments (schemars copies them), so this fails
/// on a field added without one.
#[test]
fn every_schema_property_is_described() -> TestResult {
    let schema: Value = serde_json::from_str(&summary_schema()?)?;
    let missing = undescribed(&schema);
    assert!(
        missing.is_empty(),
        "{} properties of summary.json have no description (write a doc comment on the field):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
    // The walk itself finds an undescribed property where there is one.
    let planted = serde_json::json!({
        "$defs": { "T": { "properties": { "a": { "description": "x" }, "b": { "type": "string" } } } },
        "properties": { "t": { "$ref": "#/$defs/T" } }
    });
    assert_eq!(undescribed(&planted), ["Summary.t", "T.b"]);
    Ok(())
}
