//! Scenario files, step one: the serde mirror of `scenarios/<name>.toml`
//! (`deny_unknown_fields`, spans kept), and the errors that point at the
//! file, line, column and key of a bad value. Step two, the checked types,
//! lives beside each scenario.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::runtime::Flavor;

/// A scenario file that cannot be used. Displayed as
/// `path:line:col: key: message`; the CLI exits with code 2 on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(l), Some(c)) = (self.line, self.col) {
            write!(f, ":{l}:{c}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A parsed file: its text (for turning spans into lines) and path.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn error(&self, span: Option<Range<usize>>, key: Option<&str>, message: impl Into<String>) -> ScenarioError {
        let (line, col) = match span {
            Some(s) => {
                let (l, c) = line_col(self.text, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ScenarioError {
            path: self.path.to_path_buf(),
            line,
            col,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }

    /// Parses the whole file into the mirror `T`, mapping TOML and serde
    /// errors (syntax, wrong type, unknown key) to a located error.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ScenarioError> {
        toml::from_str(self.text).map_err(|e| self.error(e.span(), None, e.message().trim().to_string()))
    }

    /// Checks `lo <= v <= hi`, naming the key and the allowed range.
    pub fn range<T>(&self, v: &Spanned<T>, key: &str, lo: T, hi: T) -> Result<T, ScenarioError>
    where
        T: PartialOrd + Copy + fmt::Display,
    {
        let x = *v.get_ref();
        // `!(a <= b)` rather than `a > b` so NaN is rejected too.
        if !(lo <= x && x <= hi) {
            return Err(self.error(
                Some(v.span()),
                Some(key),
                format!("{x} is out of range: allowed {lo}..={hi}"),
            ));
        }
        Ok(x)
    }
}

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
    (line, col)
}

/// criterion settings a file may override.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CriterionMirror {
    pub sample_size: Option<Spanned<u64>>,
    pub measurement_secs: Option<Spanned<f64>>,
    pub warm_up_secs: Option<Spanned<f64>>,
}

/// The keys every scenario file has; `P` is the scenario's own `[params]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMirror<P> {
    pub scenario: Spanned<String>,
    pub guide_section: String,
    /// Optional, and best left out: absent, the scenario runs on every registry runtime it
    /// applies to, so a runtime added to the registry is benchmarked without editing files.
    #[serde(default)]
    pub runtimes: Option<Spanned<Vec<Spanned<String>>>>,
    /// Runtimes this file leaves out of "every runtime", each with the reason the report gives.
    #[serde(default)]
    pub exclude: Option<Spanned<Vec<ExcludeMirror>>>,
    pub variants: Spanned<Vec<Spanned<String>>>,
    /// Rounds per case, each on a fresh runtime (default [`DEFAULT_ROUNDS`]).
    #[serde(default)]
    pub rounds: Option<Spanned<u64>>,
    /// The smallest slowdown of this scenario's case values `compare` calls a regression, when
    /// its runs drift more from run to run than their rounds show (default: `--threshold`).
    #[serde(default)]
    pub gate_pct: Option<Spanned<f64>>,
    /// Cases that only the full tier runs (`ASYNCBENCH_TIER=full`), each with the reason the
    /// default suite leaves it out.
    #[serde(default)]
    pub full_tier: Option<Spanned<Vec<TierMirror>>>,
    #[serde(default)]
    pub criterion: CriterionMirror,
    pub params: P,
}

/// One `full_tier = [{ runtimes = ["…"], variant = "…", reason = "…" }]` entry: runtimes, a
/// variant, or a variant on some runtimes (`runtime = "…"` names one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierMirror {
    #[serde(default)]
    pub runtime: Option<Spanned<String>>,
    #[serde(default)]
    pub runtimes: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub variant: Option<Spanned<String>>,
    pub reason: Spanned<String>,
}

/// Which cases a run takes. The default suite is what `cargo bench` runs in its time budget;
/// `full` adds the cases scenario files put in their `full_tier` (rows that cannot resolve a
/// 10% difference in the default suite's time, see docs/how-a-number-is-made.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Default,
    Full,
}

impl Tier {
    /// The environment variable that picks the tier.
    pub const ENV: &'static str = "ASYNCBENCH_TIER";

    pub fn name(self) -> &'static str {
        match self {
            Tier::Default => "default",
            Tier::Full => "full",
        }
    }

    /// `default` or `full`; anything else is an error naming the allowed values.
    pub fn parse(s: &str) -> Result<Tier, String> {
        match s.trim() {
            "default" | "" => Ok(Tier::Default),
            "full" => Ok(Tier::Full),
            other => Err(format!("{}={other:?}: allowed `default` or `full`", Tier::ENV)),
        }
    }

    /// The tier `ASYNCBENCH_TIER` asks for (unset: the default suite).
    pub fn from_env() -> Result<Tier, String> {
        match std::env::var(Tier::ENV) {
            Ok(v) => Tier::parse(&v),
            Err(std::env::VarError::NotPresent) => Ok(Tier::Default),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{} is not valid UTF-8", Tier::ENV)),
        }
    }
}

/// Left-out cases (`label`, `reason`) grouped by reason, in first-seen order: how `asyncbench
/// list`, the report and the docs print a file's `full_tier`.
pub fn group_by_reason<'a>(cases: impl IntoIterator<Item = (String, &'a str)>) -> Vec<(&'a str, Vec<String>)> {
    let mut out: Vec<(&str, Vec<String>)> = Vec::new();
    for (label, reason) in cases {
        match out.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, labels)) => labels.push(label),
            None => out.push((reason, vec![label])),
        }
    }
    out
}

/// A part of a scenario only the full tier runs (checked: a runtime the scenario applies to,
/// a variant of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullTier {
    pub runtime: Option<Flavor>,
    pub variant: Option<String>,
    pub reason: String,
}

impl FullTier {
    /// Whether this entry covers variant `variant` (the file's name, before any sub-case
    /// suffix) on `flavor`.
    pub fn covers(&self, variant: &str, flavor: Flavor) -> bool {
        self.runtime.is_none_or(|r| r == flavor) && self.variant.as_deref().is_none_or(|v| v == variant)
    }
}

/// One `exclude = [{ runtime = "…", reason = "…" }]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeMirror {
    pub runtime: Spanned<String>,
    pub reason: Spanned<String>,
}

/// A runtime a file leaves out, and why (checked: a registry name the scenario applies to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    pub runtime: Flavor,
    pub reason: String,
}

/// Only the `scenario` key, read first to pick the right mirror.
#[derive(Debug, Deserialize)]
pub struct NameOnly {
    pub scenario: Spanned<String>,
}

/// criterion settings after validation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriterionSettings {
    pub sample_size: usize,
    pub measurement_secs: f64,
    pub warm_up_secs: f64,
}

/// The checked common part of a scenario file.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub guide_section: String,
    pub path: PathBuf,
    pub runtimes: Vec<Flavor>,
    /// What the file's `exclude` list left out of the runtimes, with the reasons.
    pub excluded: Vec<Excluded>,
    pub variants: Vec<String>,
    /// Rounds per case unless `--rounds` / `ASYNCBENCH_ROUNDS` says otherwise.
    pub rounds: u32,
    /// The scenario's own regression gate, percent, where its file sets one (`compare` gates
    /// its rows at the larger of this and `--threshold`).
    pub gate_pct: Option<f64>,
    pub criterion: CriterionSettings,
    /// What only the full tier runs.
    pub full_tier: Vec<FullTier>,
    /// The tier this load runs ([`crate::scenario::load_dir_in`]).
    pub tier: Tier,
}

impl Header {
    /// Why the default suite leaves variant `variant` on `flavor` out, when it does and this
    /// load runs the default tier.
    pub fn left_out(&self, variant: &str, flavor: Flavor) -> Option<&str> {
        if self.tier == Tier::Full {
            return None;
        }
        self.full_tier
            .iter()
            .find(|t| t.covers(variant, flavor))
            .map(|t| t.reason.as_str())
    }
}

/// Rounds per case where a file does not say: enough for an interval over
/// rounds, few enough that the full suite fits its time budget.
pub const DEFAULT_ROUNDS: u32 = 3;
/// At most this many rounds (a bound on a data file's run time).
pub const MAX_ROUNDS: u64 = 20;
/// A scenario's own gate is at most this (a gate past it never fires on a slowdown).
pub const MAX_GATE_PCT: f64 = 100.0;

impl<P> FileMirror<P> {
    /// Validates the common keys; `allowed_runtimes` comes from the
    /// scenario. The variants are the scenario's to check (into its enum);
    /// `Header::variants` is filled in by the caller.
    pub fn header(&self, src: &Source<'_>, allowed_runtimes: &[Flavor]) -> Result<Header, ScenarioError> {
        if self.variants.get_ref().is_empty() {
            return Err(src.error(
                Some(self.variants.span()),
                Some("variants"),
                "must list at least one variant",
            ));
        }
        let excluded = match &self.exclude {
            Some(list) => check_exclude(src, list, allowed_runtimes)?,
            None => Vec::new(),
        };
        let runtimes = match (&self.runtimes, &self.exclude) {
            (Some(_), Some(ex)) => {
                return Err(src.error(
                    Some(ex.span()),
                    Some("exclude"),
                    "give either `runtimes` or `exclude`, not both (leave `runtimes` out and exclude the exceptions)",
                ));
            }
            (Some(list), None) => check_runtimes(src, list, allowed_runtimes)?,
            (None, _) => allowed_runtimes
                .iter()
                .copied()
                .filter(|f| !excluded.iter().any(|x| x.runtime == *f))
                .collect(),
        };
        if runtimes.is_empty() {
            return Err(src.error(
                self.exclude.as_ref().map(|e| e.span()),
                Some("exclude"),
                "excludes every runtime the scenario applies to",
            ));
        }
        let c = &self.criterion;
        let criterion = CriterionSettings {
            // criterion itself refuses fewer than 10 samples.
            sample_size: match &c.sample_size {
                Some(v) => src.range(v, "criterion.sample_size", 10, 10_000)? as usize,
                None => 10,
            },
            measurement_secs: match &c.measurement_secs {
                Some(v) => src.range(v, "criterion.measurement_secs", 0.1, 600.0)?,
                None => 2.0,
            },
            warm_up_secs: match &c.warm_up_secs {
                Some(v) => src.range(v, "criterion.warm_up_secs", 0.0, 60.0)?,
                None => 0.5,
            },
        };
        let full_tier = match &self.full_tier {
            // Checked against every runtime the scenario applies to, not the file's own list: an
            // entry for a runtime the file leaves out (or a test narrows away) is inert.
            Some(list) => check_full_tier(src, list, allowed_runtimes, self.variants.get_ref())?,
            None => Vec::new(),
        };
        Ok(Header {
            name: self.scenario.get_ref().clone(),
            guide_section: self.guide_section.clone(),
            path: src.path.to_path_buf(),
            runtimes,
            excluded,
            variants: Vec::new(),
            rounds: match &self.rounds {
                Some(v) => src.range(v, "rounds", 1, MAX_ROUNDS)? as u32,
                None => DEFAULT_ROUNDS,
            },
            gate_pct: match &self.gate_pct {
                Some(v) => Some(src.range(v, "gate_pct", 0.0, MAX_GATE_PCT)?),
                None => None,
            },
            criterion,
            full_tier,
            tier: Tier::Default,
        })
    }
}

/// The file's `full_tier` list: each entry names a runtime the file runs, a variant of the
/// file, or both, and says why.
fn check_full_tier(
    src: &Source<'_>,
    list: &Spanned<Vec<TierMirror>>,
    runtimes: &[Flavor],
    variants: &[Spanned<String>],
) -> Result<Vec<FullTier>, ScenarioError> {
    let mut out = Vec::new();
    for t in list.get_ref() {
        let named: Vec<Option<Flavor>> = match (&t.runtime, &t.runtimes) {
            (Some(_), Some(list)) => {
                return Err(src.error(
                    Some(list.span()),
                    Some("full_tier.runtimes"),
                    "give `runtime` or `runtimes`, not both",
                ));
            }
            (Some(r), None) => vec![Some(check_runtime(src, r, "full_tier.runtime", runtimes)?)],
            (None, Some(list)) if list.get_ref().is_empty() => {
                return Err(src.error(
                    Some(list.span()),
                    Some("full_tier.runtimes"),
                    "must list at least one runtime",
                ));
            }
            (None, Some(list)) => list
                .get_ref()
                .iter()
                .map(|r| check_runtime(src, r, "full_tier.runtimes", runtimes).map(Some))
                .collect::<Result<_, _>>()?,
            (None, None) => vec![None],
        };
        let variant = match &t.variant {
            Some(v) if !variants.iter().any(|x| x.get_ref() == v.get_ref()) => {
                let names: Vec<&str> = variants.iter().map(|x| x.get_ref().as_str()).collect();
                return Err(src.error(
                    Some(v.span()),
                    Some("full_tier.variant"),
                    format!(
                        "`{}` is not a variant of this file: allowed {}",
                        v.get_ref(),
                        names.join(", ")
                    ),
                ));
            }
            Some(v) => Some(v.get_ref().clone()),
            None => None,
        };
        if named == [None] && variant.is_none() {
            return Err(src.error(
                Some(t.reason.span()),
                Some("full_tier"),
                "name a `runtime`, a `variant` or both (an entry for everything would empty the default suite)",
            ));
        }
        if t.reason.get_ref().trim().is_empty() {
            return Err(src.error(
                Some(t.reason.span()),
                Some("full_tier.reason"),
                "say why the default suite leaves it out (the report shows it)",
            ));
        }
        for runtime in named {
            out.push(FullTier {
                runtime,
                variant: variant.clone(),
                reason: t.reason.get_ref().trim().to_string(),
            });
        }
    }
    Ok(out)
}

/// One runtime name from the file: a registry name the scenario applies to.
fn check_runtime(
    src: &Source<'_>,
    r: &Spanned<String>,
    key: &str,
    allowed_runtimes: &[Flavor],
) -> Result<Flavor, ScenarioError> {
    let allowed = allowed_runtimes.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    let f: Flavor = r.get_ref().parse().map_err(|_| {
        src.error(
            Some(r.span()),
            Some(key),
            format!("unknown runtime `{}`: allowed {allowed}", r.get_ref()),
        )
    })?;
    if !allowed_runtimes.contains(&f) {
        return Err(src.error(
            Some(r.span()),
            Some(key),
            format!("runtime `{f}` does not apply to this scenario: allowed {allowed}"),
        ));
    }
    Ok(f)
}

/// The file's `exclude` list: each a runtime the scenario applies to, with a reason.
fn check_exclude(
    src: &Source<'_>,
    list: &Spanned<Vec<ExcludeMirror>>,
    allowed_runtimes: &[Flavor],
) -> Result<Vec<Excluded>, ScenarioError> {
    let mut out: Vec<Excluded> = Vec::new();
    for x in list.get_ref() {
        let runtime = check_runtime(src, &x.runtime, "exclude.runtime", allowed_runtimes)?;
        let reason = x.reason.get_ref().trim();
        if reason.is_empty() {
            return Err(src.error(
                Some(x.reason.span()),
                Some("exclude.reason"),
                "say why the runtime is left out (the report shows it)",
            ));
        }
        if out.iter().any(|e| e.runtime == runtime) {
            return Err(src.error(
                Some(x.runtime.span()),
                Some("exclude.runtime"),
                format!("`{runtime}` is excluded twice"),
            ));
        }
        out.push(Excluded {
            runtime,
            reason: reason.to_string(),
        });
    }
    Ok(out)
}

/// The file's `runtimes` list: known names, each one the scenario applies
/// to, duplicates dropped, at least one.
fn check_runtimes(
    src: &Source<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    allowed_runtimes: &[Flavor],
) -> Result<Vec<Flavor>, ScenarioError> {
    if list.get_ref().is_empty() {
        return Err(src.error(
            Some(list.span()),
            Some("runtimes"),
            "must list at least one runtime (or leave the key out for all of them)",
        ));
    }
    let mut runtimes = Vec::new();
    for r in list.get_ref() {
        let f = check_runtime(src, r, "runtimes", allowed_runtimes)?;
        if !runtimes.contains(&f) {
            runtimes.push(f);
        }
    }
    Ok(runtimes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::AsyncFlavor;

    /// The unit tests' registry has one more runtime, `dummy-rt`, registered as a new runtime
    /// would be (one entry in `runtime/flavor.rs`). Every shipped scenario file must run on it:
    /// none pins a list that would leave a new runtime parsed but never benchmarked.
    #[test]
    fn a_runtime_added_to_the_registry_is_in_every_scenarios_run_plan() {
        let dummy: Flavor = "dummy-rt".parse().expect("the test registry has the dummy runtime");
        assert!(AsyncFlavor::ALL.iter().any(|a| Flavor::Async(*a) == dummy));
        let defs = crate::scenario::load_dir(&crate::scenario::default_dir()).expect("the shipped files load");
        assert!(defs.len() >= 15, "{} scenario files", defs.len());
        for d in &defs {
            let h = d.header();
            assert!(h.runtimes.contains(&dummy), "{}: runtimes {:?}", h.name, h.runtimes);
            let planned = d.cases().into_iter().filter(|c| c.flavor == dummy).count();
            assert!(planned > 0, "{}: no case on the new runtime in its run plan", h.name);
        }
    }

    fn header_of(text: &str) -> Result<Header, ScenarioError> {
        let src = Source {
            path: Path::new("scenarios/x.toml"),
            text,
        };
        let f: FileMirror<toml::Value> = src.parse()?;
        f.header(&src, &Flavor::all_async())
    }

    const HEAD: &str = "scenario = \"x\"\nguide_section = \"g\"\nvariants = [\"a\"]\n[params]\n";

    #[test]
    fn without_runtimes_a_file_runs_everywhere_but_its_exclusions() {
        let all = header_of(HEAD).expect("valid");
        assert_eq!(all.runtimes, Flavor::all_async());
        assert!(all.excluded.is_empty());
        let text = format!("exclude = [{{ runtime = \"smol-ct\", reason = \"no timer\" }}]\n{HEAD}");
        let h = header_of(&text).expect("valid");
        let smol: Flavor = "smol-ct".parse().expect("a runtime");
        assert!(!h.runtimes.contains(&smol));
        assert_eq!(h.runtimes.len(), Flavor::all_async().len() - 1);
        assert_eq!(
            h.excluded,
            [Excluded {
                runtime: smol,
                reason: "no timer".into()
            }]
        );
    }

    #[test]
    fn full_tier_entries_leave_their_cases_out_of_the_default_suite_only() {
        let text = format!(
            "full_tier = [{{ runtimes = [\"tokio-mt\"], reason = \"spread\" }}, {{ variant = \"a\", runtime = \"smol-mt\", reason = \"also\" }}]\n{HEAD}"
        );
        let mut h = header_of(&text).expect("valid");
        let (tokio_mt, smol_mt, tokio_ct): (Flavor, Flavor, Flavor) = (
            "tokio-mt".parse().unwrap(),
            "smol-mt".parse().unwrap(),
            "tokio-ct".parse().unwrap(),
        );
        assert_eq!(h.left_out("a", tokio_mt), Some("spread"));
        assert_eq!(h.left_out("b", tokio_mt), Some("spread"));
        assert_eq!(h.left_out("a", smol_mt), Some("also"));
        assert_eq!(h.left_out("b", smol_mt), None);
        assert_eq!(h.left_out("a", tokio_ct), None);
        h.tier = Tier::Full;
        assert_eq!(h.left_out("a", tokio_mt), None);
        assert_eq!(Tier::parse("full"), Ok(Tier::Full));
        assert_eq!(Tier::parse("default"), Ok(Tier::Default));
        let e = Tier::parse("everything").expect_err("not a tier");
        assert!(
            e.contains("ASYNCBENCH_TIER") && e.contains("`default` or `full`"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_full_tier_entry_names_its_line_and_what_is_allowed() {
        let cases = [
            (
                "full_tier = [{ runtime = \"glommio\", reason = \"r\" }]\n",
                "unknown runtime `glommio`",
            ),
            (
                "full_tier = [{ variant = \"zz\", reason = \"r\" }]\n",
                "`zz` is not a variant of this file: allowed a",
            ),
            (
                "full_tier = [{ reason = \"r\" }]\n",
                "name a `runtime`, a `variant` or both",
            ),
            ("full_tier = [{ runtime = \"tokio-ct\", reason = \"\" }]\n", "say why"),
            ("full_tier = [{ runtime = \"tokio-ct\" }]\n", "missing field `reason`"),
            (
                "full_tier = [{ runtimes = [], reason = \"r\" }]\n",
                "at least one runtime",
            ),
            (
                "full_tier = [{ runtime = \"tokio-ct\", runtimes = [\"smol-ct\"], reason = \"r\" }]\n",
                "not both",
            ),
        ];
        for (line, want) in cases {
            let e = header_of(&format!("{line}{HEAD}")).expect_err(line);
            assert!(e.to_string().contains(want), "{line}: {e}");
            assert_eq!(e.line, Some(1), "{e}");
        }
    }

    #[test]
    fn a_bad_exclusion_names_its_line_and_what_is_allowed() {
        let cases = [
            (
                "exclude = [{ runtime = \"glommio\", reason = \"r\" }]\n",
                "unknown runtime `glommio`: allowed",
            ),
            (
                "exclude = [{ runtime = \"rayon\", reason = \"r\" }]\n",
                "does not apply to this scenario",
            ),
            ("exclude = [{ runtime = \"tokio-ct\", reason = \" \" }]\n", "say why"),
            ("exclude = [{ runtime = \"tokio-ct\" }]\n", "missing field `reason`"),
            (
                "runtimes = [\"tokio-ct\"]\nexclude = [{ runtime = \"smol-ct\", reason = \"r\" }]\n",
                "not both",
            ),
        ];
        for (line, want) in cases {
            let e = header_of(&format!("{line}{HEAD}")).expect_err(line);
            assert!(e.to_string().contains(want), "{line}: {e}");
            assert_eq!(e.line, Some(1 + usize::from(line.starts_with("runtimes"))), "{e}");
        }
        let every: String = Flavor::all_async()
            .iter()
            .map(|f| format!("{{ runtime = \"{f}\", reason = \"r\" }}"))
            .collect::<Vec<_>>()
            .join(", ");
        let e = header_of(&format!("exclude = [{every}]\n{HEAD}")).expect_err("nothing left");
        assert!(e.to_string().contains("excludes every runtime"), "{e}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 11), (2, 6));
    }
}
