//! Scenarios: each is written once, generic over [`Runtime`](crate::runtime::Runtime),
//! with its parameters in `scenarios/<name>.toml`. Loading is two steps: a
//! serde mirror ([`file`]), then validation into the scenario's checked type.

pub mod catalog;
pub mod driver;
pub mod file;
pub mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use crate::measure::{Batch, CaseRecord};
pub use driver::Bench;
pub use file::{CriterionSettings, Header, ScenarioError, Source};

use crate::runtime::Flavor;

/// The lower bound a case is compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ideal {
    pub ns: u64,
    /// How the bound was derived, e.g. `N·D = 8 × 10 ms`.
    pub formula: String,
}

/// One scenario × variant × runtime.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub variant: String,
    pub flavor: Flavor,
    pub ideal: Option<Ideal>,
    /// Operations per batch, for throughput.
    pub ops_per_batch: u64,
    pub notes: Vec<String>,
}

/// What a scenario needs from its surroundings.
#[derive(Debug, Clone)]
pub struct Env {
    /// The test server (never on the runtime under test).
    pub server: SocketAddr,
    /// Worker threads for the multi-thread flavours (`None`: one per core).
    pub workers: Option<usize>,
}

/// A loaded, validated scenario.
pub trait ScenarioDef: Send + Sync {
    fn header(&self) -> &Header;
    /// The cases to run, grouped by variant in the file's order.
    fn cases(&self) -> Vec<CaseSpec>;
    /// Builds the case on its runtime. Cheap: heavy setup happens in the
    /// first batch.
    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String>;
    /// The parameters, one line, for `asyncbench list`.
    fn describe(&self) -> String;
}

type Loader = fn(&Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError>;

/// Every scenario the harness knows, by the name used in files.
const REGISTRY: &[(&str, Loader)] = &[
    ("fetch_parallel", catalog::fetch_parallel::load),
    ("sync_vs_async", catalog::sync_vs_async::load),
    ("gather_vs_select", catalog::gather_vs_select::load),
    ("structured", catalog::structured::load),
    ("timeout", catalog::timeout::load),
    ("retry_backoff", catalog::retry_backoff::load),
    ("blocking_sleep", catalog::blocking_sleep::load),
    ("cpu_offload", catalog::cpu_offload::load),
    ("chat_broadcast", catalog::chat_broadcast::load),
    ("udp_echo", catalog::udp_echo::load),
    ("pipeline", catalog::pipeline::load),
    ("file_read", catalog::file_read::load),
    ("primitives", catalog::primitives::load),
];

pub fn known_scenarios() -> Vec<&'static str> {
    REGISTRY.iter().map(|(n, _)| *n).collect()
}

/// Loads and validates one scenario file.
pub fn load_file(path: &Path) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        path: path.to_path_buf(),
        line: None,
        col: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    let src = Source { path, text: &text };
    let name: file::NameOnly =
        toml::from_str(&text).map_err(|e| src.error(e.span(), Some("scenario"), e.message().trim().to_string()))?;
    match REGISTRY.iter().find(|(n, _)| *n == name.scenario.get_ref()) {
        Some((_, load)) => load(&src),
        None => Err(src.error(
            Some(name.scenario.span()),
            Some("scenario"),
            format!(
                "unknown scenario `{}`: known {}",
                name.scenario.get_ref(),
                known_scenarios().join(", ")
            ),
        )),
    }
}

/// Loads every `*.toml` in `dir`, sorted by file name. The first bad file
/// stops the load: nothing runs on a half-valid catalogue.
pub fn load_dir(dir: &Path) -> Result<Vec<Box<dyn ScenarioDef>>, ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ScenarioError {
        path: dir.to_path_buf(),
        line: None,
        col: None,
        key: None,
        message: format!("cannot read scenario directory: {e}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out: Vec<Box<dyn ScenarioDef>> = Vec::new();
    for p in paths {
        let s = load_file(&p)?;
        if let Some(prev) = out.iter().find(|o| o.header().name == s.header().name) {
            return Err(ScenarioError {
                path: p,
                line: None,
                col: None,
                key: Some("scenario".into()),
                message: format!(
                    "scenario `{}` is already defined in {}",
                    s.header().name,
                    prev.header().path.display()
                ),
            });
        }
        out.push(s);
    }
    Ok(out)
}

/// The default scenario directory: `scenarios/` in the crate.
pub fn default_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}
