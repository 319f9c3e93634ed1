//! Every scenario the harness knows, by the name its file gives, and the
//! loading of scenario files and directories.

use std::path::{Path, PathBuf};

use super::ScenarioDef;
use super::catalog;
use super::file::{self, ScenarioError, Source};

type Loader = fn(&Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError>;

/// A scenario's name, its loader, and a check that its variant names read
/// back from a file as themselves.
struct Entry {
    name: &'static str,
    load: Loader,
    #[cfg_attr(not(test), allow(dead_code))]
    names_agree: fn() -> Result<(), String>,
}

/// The registry entry of scenario `S`.
const fn entry<S: super::Scenario>() -> Entry {
    Entry {
        name: S::NAME,
        load: super::def::load::<S>,
        names_agree: super::def::variant_names_agree::<S>,
    }
}

/// One line per scenario.
const REGISTRY: &[Entry] = &[
    entry::<catalog::fetch_parallel::FetchParallel>(),
    entry::<catalog::sync_vs_async::SyncVsAsync>(),
    entry::<catalog::gather_vs_select::GatherVsSelect>(),
    entry::<catalog::structured::Structured>(),
    entry::<catalog::timeout::Timeout>(),
    entry::<catalog::retry_backoff::RetryBackoff>(),
    entry::<catalog::blocking_sleep::BlockingSleep>(),
    entry::<catalog::cpu_offload::CpuOffload>(),
    entry::<catalog::chat_broadcast::ChatBroadcast>(),
    entry::<catalog::udp_echo::UdpEcho>(),
    entry::<catalog::pipeline::Pipeline>(),
    entry::<catalog::file_read::FileRead>(),
    entry::<catalog::primitives::Primitives>(),
    entry::<catalog::task_memory::TaskMemory>(),
    entry::<catalog::http_server::HttpServer>(),
];

pub fn known_scenarios() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

fn unreadable(path: &Path, what: &str, e: std::io::Error) -> ScenarioError {
    ScenarioError {
        path: path.to_path_buf(),
        line: None,
        col: None,
        key: None,
        message: format!("{what}: {e}"),
    }
}

/// Loads and validates one scenario file.
pub fn load_file(path: &Path) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, "cannot read", e))?;
    let src = Source { path, text: &text };
    let name: file::NameOnly =
        toml::from_str(&text).map_err(|e| src.error(e.span(), Some("scenario"), e.message().trim().to_string()))?;
    match REGISTRY.iter().find(|e| e.name == name.scenario.get_ref()) {
        Some(e) => (e.load)(&src),
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

/// Loads every `*.toml` in `dir` for the default suite, see [`load_dir_in`].
pub fn load_dir(dir: &Path) -> Result<Vec<Box<dyn ScenarioDef>>, ScenarioError> {
    load_dir_in(dir, file::Tier::Default)
}

/// Loads every `*.toml` in `dir`, sorted by file name, with the cases of `tier`. The first bad
/// file stops the load: nothing runs on a half-valid catalogue.
pub fn load_dir_in(dir: &Path, tier: file::Tier) -> Result<Vec<Box<dyn ScenarioDef>>, ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|e| unreadable(dir, "cannot read scenario directory", e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out: Vec<Box<dyn ScenarioDef>> = Vec::new();
    for p in paths {
        let mut s = load_file(&p)?;
        s.set_tier(tier);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_name_reads_back_as_itself() {
        for e in REGISTRY {
            (e.names_agree)().unwrap_or_else(|m| panic!("{}: {m}", e.name));
        }
    }

    #[test]
    fn every_registered_scenario_has_a_file_of_its_own() {
        let dir = default_dir();
        for e in REGISTRY {
            let s = load_file(&dir.join(format!("{}.toml", e.name))).unwrap();
            assert_eq!(s.header().name, e.name);
        }
    }
}
