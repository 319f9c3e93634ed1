//! How a run drove its cases (`summary.json`'s `run.mode`): which entry point, closed or open
//! loop, and for load runs the offered rate and connections. The report's method section and
//! `compare` read it; a report that must say "open loop at 2000 requests/s" cannot be written
//! from a free-form string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Serialised as a tag beside its parameters, flattened into `run`: `"mode": "cli"`, or
/// `"mode": "open-loop", "rate_per_s": 2000, "connections": 16`. Summaries written while the
/// mode was a plain string (`"criterion"`, `"criterion-quick"`, `"test"`, `"cli"`, `"other"`)
/// read back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum RunMode {
    /// `cargo bench`: criterion drove every case, closed loop.
    Criterion,
    /// `cargo bench -- --quick`.
    CriterionQuick,
    /// criterion's test mode (`cargo test`): every case ran once.
    Test,
    /// `asyncbench run` over the scenario files: closed loop, a fixed number of batches.
    Cli,
    /// `asyncbench run --rate`: constant offered rate, latency from the intended send time.
    OpenLoop {
        /// The offered rate, requests per second.
        rate_per_s: u64,
        /// Connections the load was spread over.
        connections: u64,
    },
    /// `asyncbench run --max-throughput`: closed loop, each connection as fast as replies allow.
    MaxThroughput {
        /// Connections, each sending its next request when the previous reply arrived.
        connections: u64,
    },
    /// criterion's `--list` or `--profile-time`: nothing was measured.
    Other,
}

impl RunMode {
    /// The tag as written in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            RunMode::Criterion => "criterion",
            RunMode::CriterionQuick => "criterion-quick",
            RunMode::Test => "test",
            RunMode::Cli => "cli",
            RunMode::OpenLoop { .. } => "open-loop",
            RunMode::MaxThroughput { .. } => "max-throughput",
            RunMode::Other => "other",
        }
    }
}

/// The tag, and the load parameters where there are any: `open-loop (2000 requests/s, 16
/// connections)`.
impl fmt::Display for RunMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RunMode::OpenLoop {
                rate_per_s,
                connections,
            } => write!(
                f,
                "{} ({rate_per_s} requests/s, {connections} connections)",
                self.name()
            ),
            RunMode::MaxThroughput { connections } => write!(f, "{} ({connections} connections)", self.name()),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        id: String,
        #[serde(flatten)]
        mode: RunMode,
        partial: bool,
    }

    #[test]
    fn old_string_modes_parse_and_load_modes_carry_their_parameters() -> serde_json::Result<()> {
        for (name, mode) in [
            ("criterion", RunMode::Criterion),
            ("criterion-quick", RunMode::CriterionQuick),
            ("test", RunMode::Test),
            ("cli", RunMode::Cli),
            ("other", RunMode::Other),
        ] {
            let h: Holder = serde_json::from_str(&format!(r#"{{"id":"x","mode":"{name}","partial":false}}"#))?;
            assert_eq!(h.mode, mode);
            assert_eq!(mode.name(), name);
        }
        let open = Holder {
            id: "x".into(),
            mode: RunMode::OpenLoop {
                rate_per_s: 2000,
                connections: 16,
            },
            partial: true,
        };
        let text = serde_json::to_string(&open)?;
        assert_eq!(
            text,
            r#"{"id":"x","mode":"open-loop","rate_per_s":2000,"connections":16,"partial":true}"#
        );
        assert_eq!(serde_json::from_str::<Holder>(&text)?, open);
        assert_eq!(open.mode.to_string(), "open-loop (2000 requests/s, 16 connections)");
        assert!(serde_json::from_str::<Holder>(r#"{"id":"x","mode":"warp","partial":false}"#).is_err());
        Ok(())
    }
}
