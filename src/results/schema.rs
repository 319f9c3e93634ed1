//! The JSON Schema (draft 2020-12) of `summary.json`, generated from the Rust types by
//! `schemars`, so the schema cannot drift from what the harness writes. A copy is checked in as
//! `results/summary.schema.json` for readers in other languages; the `schema` integration test
//! fails when the two differ (`UPDATE_SCHEMA=1 cargo test --test it -- schema` rewrites it).

use super::summary::Summary;

/// The checked-in copy, relative to the crate root.
pub const SCHEMA_PATH: &str = "results/summary.schema.json";

/// The schema as the checked-in file holds it: pretty-printed, ending in a newline.
pub fn summary_schema() -> Result<String, serde_json::Error> {
    let schema = schemars::schema_for!(Summary);
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    Ok(text)
}
