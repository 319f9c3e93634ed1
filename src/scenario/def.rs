//! The [`Scenario`] trait every file-driven scenario implements, and the one
//! blanket implementation that turns it into a loaded [`ScenarioDef`]: the
//! loop over variants × runtimes, the header, `describe` and the registry
//! entry are written here once, not in each scenario.
//!
//! Adding a scenario = its file in `catalog/`, its `scenarios/<name>.toml`,
//! and one line in [`registry`](super::registry).

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::driver::Bench;
use super::file::{FileMirror, Header, ScenarioError, Source};
use super::{CaseKey, CaseSpec, Env, Ideal, ScenarioDef};
use crate::results::Comparison;
use crate::runtime::Flavor;

/// A scenario's variants: an enum deserialised straight from the file's
/// `variants = [...]`, so an unknown variant is a located error at load time.
///
/// Implemented for every enum that derives `serde::Deserialize`,
/// `strum::VariantArray` and `strum::IntoStaticStr` with the same
/// `snake_case` names (the registry test checks that the two agree).
pub trait VariantName: Copy + Eq + fmt::Debug + Send + Sync + DeserializeOwned + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
}

impl<T> VariantName for T
where
    T: Copy + Eq + fmt::Debug + Send + Sync + DeserializeOwned + strum::VariantArray + 'static,
    &'static str: From<T>,
{
    const ALL: &'static [Self] = <T as strum::VariantArray>::VARIANTS;
    fn name(self) -> &'static str {
        self.into()
    }
}

/// What a scenario says about one case: most variants give one per
/// runtime; a parameter that multiplies the variants (connection modes,
/// bounded/unbounded queues) gives several, told apart by `sub`.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// Which of the multiplied cases this is (0 when there is only one).
    pub sub: usize,
    /// Appended to the variant's name in results, e.g. `sequential-fresh`.
    pub suffix: Option<String>,
    pub ideal: Option<Ideal>,
    /// The operations one batch performs, the ones throughput counts (never
    /// the failed ones): `unit` names them.
    pub ops_per_batch: u64,
    pub unit: &'static str,
    pub notes: Vec<String>,
    /// What the case's row publishes as its value (default: the mean batch time).
    pub value: crate::results::figures::ValueFigure,
    /// Throughput counts the latency samples (one per successful operation) rather than
    /// `ops_per_batch` less the errors: for cases whose errors are not failed operations.
    pub count_samples: bool,
}

impl Case {
    /// A case whose batch performs `ops_per_batch` of the operation `unit`
    /// names (`"requests"`, `"races"`, `"items"`…).
    pub fn new(ops_per_batch: u64, unit: &'static str) -> Case {
        Case {
            ops_per_batch,
            unit,
            ..Case::default()
        }
    }
    pub fn ideal(mut self, ideal: Ideal) -> Case {
        self.ideal = Some(ideal);
        self
    }
    pub fn ideal_opt(mut self, ideal: Option<Ideal>) -> Case {
        self.ideal = ideal;
        self
    }
    pub fn note(mut self, n: impl Into<String>) -> Case {
        self.notes.push(n.into());
        self
    }
    pub fn notes(mut self, n: impl IntoIterator<Item = String>) -> Case {
        self.notes.extend(n);
        self
    }
    /// Publishes `figure` as the row's value instead of the mean batch time.
    pub fn value(mut self, figure: crate::results::figures::ValueFigure) -> Case {
        self.value = figure;
        self
    }
    /// Counts the latency samples as the successful operations (see `count_samples`).
    pub fn count_samples(mut self) -> Case {
        self.count_samples = true;
        self
    }
    /// One of several cases a parameter makes of one variant.
    pub fn sub(mut self, index: usize, suffix: impl Into<String>) -> Case {
        self.sub = index;
        self.suffix = Some(suffix.into());
        self
    }
}

/// A scenario loaded from `scenarios/<NAME>.toml`, written once for every
/// runtime.
pub trait Scenario: Sized + Send + Sync + 'static {
    /// The `scenario = "…"` name of its file.
    const NAME: &'static str;
    /// The serde mirror of the file's `[params]` (values `Spanned`, so a bad
    /// one is reported at its line).
    type Params: DeserializeOwned;
    type Variant: VariantName;

    /// The runtimes this scenario applies to; a file's `runtimes` key may
    /// narrow it and defaults to all of them.
    fn runtimes() -> Vec<Flavor> {
        Flavor::all_async()
    }

    /// Step two of loading: checks the parameters into the scenario. Past
    /// this point nothing is re-validated.
    fn check(p: &Self::Params, src: &Source<'_>) -> Result<Self, ScenarioError>;

    /// The cases `variant` runs on `flavor`: usually one, none where the
    /// variant does not apply to that runtime.
    fn cases(&self, variant: Self::Variant, flavor: Flavor) -> Vec<Case>;

    /// Builds one case on its runtime. Cheap: heavy set-up happens in the
    /// first batch.
    fn prepare(&self, variant: Self::Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String>;

    /// The parameters in one line, for `asyncbench list` and the report.
    fn describe(&self) -> String;

    /// The comparisons that answer this scenario's guide section, each on one unit of work
    /// (per request, per task, per delivery): what the report's findings state. May name
    /// variants a file leaves out; only those whose rows the run makes are kept.
    fn comparisons(&self) -> Vec<Comparison>;
}

/// A checked scenario with its file's header: what the registry hands out.
struct Loaded<S: Scenario> {
    header: Header,
    variants: Vec<S::Variant>,
    scenario: S,
}

impl<S: Scenario> ScenarioDef for Loaded<S> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn cases(&self) -> Vec<CaseSpec> {
        self.cases_where(|v, f| self.header.left_out(v, f).is_none())
    }

    fn left_out(&self) -> Vec<(CaseSpec, String)> {
        self.cases_where(|v, f| self.header.left_out(v, f).is_some())
            .into_iter()
            .map(|c| {
                let base = S::Variant::ALL.get(c.key.variant).map_or("", |v| v.name());
                let why = self.header.left_out(base, c.flavor).unwrap_or_default().to_string();
                (c, why)
            })
            .collect()
    }

    fn set_tier(&mut self, tier: crate::scenario::file::Tier) {
        self.header.tier = tier;
    }

    fn prepare(&self, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        // The key was made by `cases` above from `S::Variant::ALL`.
        let v = *S::Variant::ALL
            .get(case.key.variant)
            .ok_or_else(|| format!("case {} was not made by {}", case.variant, S::NAME))?;
        self.scenario.prepare(v, case, env)
    }

    fn describe(&self) -> String {
        self.scenario.describe()
    }

    fn comparisons(&self) -> Vec<Comparison> {
        let labels: std::collections::BTreeSet<String> = self.cases().into_iter().map(|c| c.variant).collect();
        self.scenario
            .comparisons()
            .into_iter()
            .filter(|c| c.variants_named().iter().all(|v| labels.contains(*v)))
            .collect()
    }
}

impl<S: Scenario> Loaded<S> {
    /// The file's cases of the (variant, runtime) pairs `keep` takes.
    fn cases_where(&self, keep: impl Fn(&str, Flavor) -> bool) -> Vec<CaseSpec> {
        let mut out = Vec::new();
        for &v in &self.variants {
            let index = S::Variant::ALL.iter().position(|x| *x == v).unwrap_or(0);
            // Grouped by variant, then by sub-case, then runtime: the order
            // the criterion groups and the report follow.
            let mut per_runtime: Vec<(Flavor, Case)> = Vec::new();
            for &flavor in self.header.runtimes.iter().filter(|&&f| keep(v.name(), f)) {
                per_runtime.extend(self.scenario.cases(v, flavor).into_iter().map(|c| (flavor, c)));
            }
            per_runtime.sort_by_key(|(_, c)| c.sub);
            for (flavor, c) in per_runtime {
                let label = match &c.suffix {
                    Some(s) => format!("{}-{s}", v.name()),
                    None => v.name().to_string(),
                };
                out.push(CaseSpec {
                    variant: label,
                    flavor,
                    ideal: c.ideal,
                    ops_per_batch: c.ops_per_batch,
                    unit: c.unit,
                    notes: c.notes,
                    value: c.value,
                    count_samples: c.count_samples,
                    key: CaseKey {
                        variant: index,
                        sub: c.sub,
                    },
                });
            }
        }
        out
    }
}

/// The name strum gives each variant is the one serde reads from a file.
pub(super) fn variant_names_agree<S: Scenario>() -> Result<(), String> {
    for &v in S::Variant::ALL {
        let back = S::Variant::deserialize(v.name().into_deserializer())
            .map_err(|e: serde::de::value::Error| format!("`{}` does not read back: {e}", v.name()))?;
        if back != v {
            return Err(format!("`{}` reads back as {back:?}", v.name()));
        }
    }
    Ok(())
}

/// Loads a file as scenario `S`: the registry's entry for `S`.
pub(super) fn load<S: Scenario>(src: &Source<'_>) -> Result<Box<dyn ScenarioDef>, ScenarioError> {
    let f: FileMirror<S::Params> = src.parse()?;
    let header = f.header(src, &S::runtimes())?;
    let mut variants: Vec<S::Variant> = Vec::new();
    for v in f.variants.get_ref() {
        // serde turns the name into the enum (its message lists the allowed
        // names); the span and key come from the file.
        let typed = S::Variant::deserialize(v.get_ref().as_str().into_deserializer())
            .map_err(|e: serde::de::value::Error| src.error(Some(v.span()), Some("variants"), e.to_string()))?;
        if !variants.contains(&typed) {
            variants.push(typed);
        }
    }
    let scenario = S::check(&f.params, src)?;
    Ok(Box::new(Loaded::<S> {
        header: Header {
            variants: variants.iter().map(|v| v.name().to_string()).collect(),
            ..header
        },
        variants,
        scenario,
    }))
}

/// Checks a `[params]` value against its bounds, naming the key once:
/// `param!(src, p.requests, 1, MAX_REQUESTS)` reports a bad value as
/// `params.requests` at its line with the allowed range.
#[macro_export]
macro_rules! param {
    ($src:expr, $p:ident . $key:ident, $lo:expr, $hi:expr) => {
        $src.range(&$p.$key, concat!("params.", stringify!($key)), $lo, $hi)
    };
}

/// A located error about a `[params]` value that passed its bounds but not
/// a rule joining it with others: `param_error!(src, p.bound, "must be ≤ N")`.
#[macro_export]
macro_rules! param_error {
    ($src:expr, $p:ident . $key:ident, $($msg:tt)+) => {
        $src.error(
            Some($p.$key.span()),
            Some(concat!("params.", stringify!($key))),
            format!($($msg)+),
        )
    };
}
