//! Scenarios: each is written once, generic over [`Runtime`](crate::runtime::Runtime),
//! with its parameters in `scenarios/<name>.toml`. Loading is two steps: a
//! serde mirror ([`file`]), then validation into the scenario's checked type.

pub mod catalog;
pub mod def;
pub mod driver;
pub mod file;
mod registry;
pub mod support;

use std::net::SocketAddr;
use std::time::Duration;

pub use crate::measure::{Batch, CaseRecord};
pub use def::{Case, Scenario, VariantName};
pub use driver::Bench;
pub use file::{CriterionSettings, Header, ScenarioError, Source, Tier};
pub use registry::{default_dir, known_scenarios, load_dir, load_dir_in, load_file};

use crate::runtime::Flavor;

/// The lower bound a case is compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ideal {
    pub ns: u64,
    /// How the bound was derived, e.g. `N·D = 8 × 10 ms`.
    pub formula: String,
    /// Where the bound is `count` requests of one kind, one after another:
    /// the run measures that kind's floor (a minimal blocking client, one
    /// request at a time, the fastest of many) and the row gets
    /// measured/floor beside measured/ideal.
    pub route: Option<Requests>,
}

/// The requests an ideal counts: `count` GETs of `path` one after another, over `conn` (a fresh
/// connection pays a TCP handshake a kept-alive one does not, so each has its own floor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    pub path: String,
    pub count: u64,
    pub conn: crate::client::ConnMode,
}

impl Ideal {
    /// `d` once.
    pub fn of(d: Duration, formula: impl Into<String>) -> Ideal {
        Ideal::times(1, d, formula)
    }

    /// `n` × `d`, saturating at `u64::MAX` ns.
    pub fn times(n: u64, d: Duration, formula: impl Into<String>) -> Ideal {
        Ideal {
            ns: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).saturating_mul(n),
            formula: formula.into(),
            route: None,
        }
    }

    /// `n` requests to `path` over `conn`, one after another, each ideally `d`.
    pub fn requests(
        n: u64,
        d: Duration,
        path: &str,
        conn: crate::client::ConnMode,
        formula: impl Into<String>,
    ) -> Ideal {
        Ideal {
            route: Some(Requests {
                path: path.to_string(),
                count: n,
                conn,
            }),
            ..Ideal::times(n, d, formula)
        }
    }
}

/// One scenario × variant × runtime.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub variant: String,
    pub flavor: Flavor,
    pub ideal: Option<Ideal>,
    /// Operations per batch, for throughput (0: count the recorded successes).
    pub ops_per_batch: u64,
    /// What those operations are, e.g. `requests`.
    pub unit: &'static str,
    pub notes: Vec<String>,
    /// What the case's row publishes as its value.
    pub value: crate::results::figures::ValueFigure,
    /// Throughput counts latency samples, not `ops_per_batch` less errors.
    pub count_samples: bool,
    /// Which of the scenario's variants and sub-cases this is, as the
    /// scenario made it: `prepare` gets the typed variant back from it.
    pub key: CaseKey,
}

/// A case's place in its scenario: the variant's index in
/// [`VariantName::ALL`] and the sub-case a parameter made of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseKey {
    pub variant: usize,
    pub sub: usize,
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
    /// The cases the file puts in its `full_tier` that this load leaves out (none when it runs
    /// the full tier), each with the file's reason.
    fn left_out(&self) -> Vec<(CaseSpec, String)> {
        Vec::new()
    }
    /// Which tier this load runs (the default suite unless set).
    fn set_tier(&mut self, _tier: file::Tier) {}
    /// The parameters, one line, for `asyncbench list`.
    fn describe(&self) -> String;
    /// The comparisons that answer the scenario's guide section, among the cases it runs
    /// (none for a scenario built from options rather than a file, such as `http_load`).
    fn comparisons(&self) -> Vec<crate::results::Comparison> {
        Vec::new()
    }
}
