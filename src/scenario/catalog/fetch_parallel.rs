//! `fetch_parallel` — the guide's "Fetching multiple URLs": N requests to
//! `/delay/{D}` awaited one after another, gathered with `join_all`, spawned
//! as tasks, or with at most k in flight; over fresh connections or a
//! keep-alive pool. Ideal: N·D, D, D, ⌈N/k⌉·D.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::client::ConnMode;
use crate::results::Comparison;
use crate::runtime::Flavor;
use crate::scenario::driver::{self, Bench};
use crate::scenario::support::fetch::{Connection, FetchCase, MAX_REQUESTS, MAX_TIMEOUT_MS, Pattern, delay_path};
use crate::scenario::{Case, CaseSpec, Env, Scenario, ScenarioError, Source};
use crate::{param, param_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Variant {
    Sequential,
    JoinAll,
    Spawned,
    Bounded,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    requests: Spanned<u64>,
    delay_ms: Spanned<u64>,
    bound: Spanned<u64>,
    timeout_ms: Spanned<u64>,
    connections: Spanned<Vec<Spanned<Connection>>>,
}

/// The checked parameters.
#[derive(Debug, Clone)]
pub struct FetchParallel {
    pub requests: u64,
    pub delay: Duration,
    pub bound: usize,
    pub timeout: Duration,
    /// Each variant runs once per mode, in this order (duplicates dropped).
    pub connections: Vec<ConnMode>,
}

impl FetchParallel {
    fn pattern(&self, v: Variant) -> Pattern {
        match v {
            Variant::Sequential => Pattern::Sequential,
            Variant::JoinAll => Pattern::JoinAll,
            Variant::Spawned => Pattern::Spawned,
            Variant::Bounded => Pattern::Bounded(self.bound),
        }
    }
}

impl Scenario for FetchParallel {
    const NAME: &'static str = "fetch_parallel";
    type Params = Params;
    type Variant = Variant;

    fn check(p: &Params, src: &Source<'_>) -> Result<Self, ScenarioError> {
        let requests = param!(src, p.requests, 1, MAX_REQUESTS)?;
        let delay_ms = param!(src, p.delay_ms, 0, crate::server::MAX_DELAY_MS)?;
        let bound = param!(src, p.bound, 1, requests)?;
        let timeout_ms = param!(src, p.timeout_ms, 1, MAX_TIMEOUT_MS)?;
        if p.connections.get_ref().is_empty() {
            return Err(param_error!(
                src,
                p.connections,
                "must list at least one of: fresh, keepalive"
            ));
        }
        let mut connections = Vec::new();
        for c in p.connections.get_ref() {
            let mode = ConnMode::from(*c.get_ref());
            if !connections.contains(&mode) {
                connections.push(mode);
            }
        }
        Ok(FetchParallel {
            requests,
            delay: Duration::from_millis(delay_ms),
            bound: bound as usize,
            timeout: Duration::from_millis(timeout_ms),
            connections,
        })
    }

    fn cases(&self, v: Variant, _: Flavor) -> Vec<Case> {
        self.connections
            .iter()
            .enumerate()
            .map(|(i, mode)| {
                let case = Case::new(self.requests, "requests")
                    .ideal(self.pattern(v).ideal(self.requests, self.delay, *mode))
                    .sub(i, mode.name());
                match v {
                    Variant::Sequential | Variant::Bounded => case.note(
                        "cpu_ns_per_op includes what the kernel charges the client thread for sleeping through \
                         each wait and waking up (about one voluntary switch per request in sequential): on a VM \
                         that is tens of µs per wake and grows with the idle time, so it grows with D; the run \
                         measures it on a bare thread (cost_info.idle_wake_cpu_ns). Compare CPU per request \
                         across runtimes of one variant, not across variants",
                    ),
                    Variant::JoinAll | Variant::Spawned => case,
                }
            })
            .collect()
    }

    fn prepare(&self, v: Variant, case: &CaseSpec, env: &Env) -> Result<Box<dyn Bench>, String> {
        let mode = *self
            .connections
            .get(case.key.sub)
            .ok_or_else(|| format!("case {} has no connection mode", case.variant))?;
        let s = FetchCase {
            pattern: self.pattern(v),
            mode,
            n: self.requests,
            path: delay_path(self.delay),
            server: env.server,
            timeout: self.timeout,
        };
        driver::prepare_async(case, env, s)
    }

    fn comparisons(&self) -> Vec<Comparison> {
        let mut out = Vec::new();
        for mode in &self.connections {
            let m = mode.name();
            let (seq, gather) = (format!("sequential-{m}"), format!("join_all-{m}"));
            let headline = *mode == ConnMode::KeepAlive;
            let c = Comparison::variants(
                &gather,
                &seq,
                format!(
                    "gather vs sequential awaits: the same {} requests ({m}), per request",
                    self.requests
                ),
            );
            out.push(if headline { c.headline() } else { c });
            out.push(Comparison::variants(
                format!("spawned-{m}"),
                &gather,
                format!(
                    "create_task vs gather: the same {} requests ({m}), per request",
                    self.requests
                ),
            ));
            out.push(Comparison::variants(
                format!("bounded-{m}"),
                &gather,
                format!(
                    "a gather bounded to {} in flight vs an unbounded one ({m}), per request",
                    self.bound
                ),
            ));
            let c = Comparison::runtimes(
                &gather,
                format!(
                    "which runtime gathers {} requests ({m}) fastest, per request",
                    self.requests
                ),
            );
            out.push(if headline { c.headline() } else { c });
        }
        if let [a, b] = self.connections.as_slice() {
            let (fresh, kept) = if *a == ConnMode::Fresh { (a, b) } else { (b, a) };
            out.push(Comparison::variants(
                format!("sequential-{}", fresh.name()),
                format!("sequential-{}", kept.name()),
                "a fresh connection per request vs a kept-alive one, sequential awaits, per request",
            ));
        }
        out
    }

    fn describe(&self) -> String {
        format!(
            "N={} requests, D={} ms, k={}, connections: {}",
            self.requests,
            self.delay.as_millis(),
            self.bound,
            self.connections.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::FetchParallel;
    use crate::scenario::Source;
    use crate::scenario::def::load;

    const FILE: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
variants = ["sequential",
            "gather"]

[params]
requests = 4
delay_ms = 10
bound = 2
timeout_ms = 5000
connections = ["fresh", "keepalive"]
"#;

    fn load_text(text: &str) -> Result<Box<dyn crate::scenario::ScenarioDef>, crate::scenario::ScenarioError> {
        load::<FetchParallel>(&Source {
            path: Path::new("f.toml"),
            text,
        })
    }

    #[test]
    fn unknown_variant_is_reported_at_its_line() {
        let Err(e) = load_text(FILE) else {
            panic!("`gather` is not a variant")
        };
        assert_eq!((e.line, e.col), (Some(4), Some(13)), "{e}");
        assert!(e.message.contains("unknown variant `gather`"), "{e}");
        assert!(e.message.contains("`join_all`"), "names the allowed ones: {e}");
    }

    #[test]
    fn unknown_connection_mode_is_reported_at_its_line() {
        let Err(e) = load_text(
            &FILE
                .replace("\"gather\"", "\"bounded\"")
                .replace("\"keepalive\"", "\"pooled\""),
        ) else {
            panic!("`pooled` is not a connection mode")
        };
        assert_eq!(e.line, Some(11), "{e}");
        assert!(e.message.contains("`keepalive`"), "{e}");
    }

    #[test]
    fn each_connection_mode_is_a_sub_case_of_every_variant() {
        let s = load_text(&FILE.replace("\"gather\"", "\"bounded\"")).unwrap();
        let labels: Vec<String> = s.cases().iter().map(|c| c.variant.clone()).collect();
        let runtimes = crate::runtime::Flavor::all_async().len();
        let expect: Vec<String> = [
            "sequential-fresh",
            "sequential-keepalive",
            "bounded-fresh",
            "bounded-keepalive",
        ]
        .iter()
        .flat_map(|l| std::iter::repeat_n(l.to_string(), runtimes))
        .collect();
        assert_eq!(labels, expect);
        let bounded = s
            .cases()
            .into_iter()
            .find(|c| c.variant == "bounded-keepalive")
            .unwrap();
        // ⌈4/2⌉ waves of 10 ms.
        assert_eq!(bounded.ideal.unwrap().ns, 20_000_000);
    }
}
