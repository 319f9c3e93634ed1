//! Runtime names as users type them on the CLI and in scenario files.

use std::fmt;
use std::str::FromStr;

/// The async runtimes under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AsyncFlavor {
    TokioCt,
    TokioMt,
    AsyncStd,
    SmolCt,
    SmolMt,
}

/// Everything a result can be attributed to: the async runtimes plus the
/// blocking baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    Async(AsyncFlavor),
    /// std threads and blocking I/O.
    Threads,
    /// rayon's pool, for scenarios with CPU work.
    Rayon,
}

impl AsyncFlavor {
    pub const ALL: [AsyncFlavor; 5] = [
        AsyncFlavor::TokioCt,
        AsyncFlavor::TokioMt,
        AsyncFlavor::AsyncStd,
        AsyncFlavor::SmolCt,
        AsyncFlavor::SmolMt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AsyncFlavor::TokioCt => "tokio-ct",
            AsyncFlavor::TokioMt => "tokio-mt",
            AsyncFlavor::AsyncStd => "async-std",
            AsyncFlavor::SmolCt => "smol-ct",
            AsyncFlavor::SmolMt => "smol-mt",
        }
    }

    /// async-std was discontinued upstream in 2025; reports label it legacy.
    pub fn legacy(self) -> bool {
        self == AsyncFlavor::AsyncStd
    }

    pub fn single_threaded(self) -> bool {
        matches!(self, AsyncFlavor::TokioCt | AsyncFlavor::SmolCt)
    }
}

impl Flavor {
    pub const ALL: [Flavor; 7] = [
        Flavor::Async(AsyncFlavor::TokioCt),
        Flavor::Async(AsyncFlavor::TokioMt),
        Flavor::Async(AsyncFlavor::AsyncStd),
        Flavor::Async(AsyncFlavor::SmolCt),
        Flavor::Async(AsyncFlavor::SmolMt),
        Flavor::Threads,
        Flavor::Rayon,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Async(a) => a.name(),
            Flavor::Threads => "threads",
            Flavor::Rayon => "rayon",
        }
    }

    pub fn legacy(self) -> bool {
        matches!(self, Flavor::Async(a) if a.legacy())
    }

    pub fn as_async(self) -> Option<AsyncFlavor> {
        match self {
            Flavor::Async(a) => Some(a),
            _ => None,
        }
    }

    /// The five async runtimes as `Flavor`s: what most scenarios run on.
    pub fn all_async() -> Vec<Flavor> {
        AsyncFlavor::ALL.into_iter().map(Flavor::Async).collect()
    }

    /// The allowed names, for error messages.
    pub fn names() -> String {
        Flavor::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown runtime `{given}`: allowed {allowed}")]
pub struct UnknownFlavor {
    pub given: String,
    pub allowed: String,
}

impl FromStr for Flavor {
    type Err = UnknownFlavor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flavor::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlavor {
                given: s.to_string(),
                allowed: Flavor::names(),
            })
    }
}

impl FromStr for AsyncFlavor {
    type Err = UnknownFlavor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AsyncFlavor::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlavor {
                given: s.to_string(),
                allowed: AsyncFlavor::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
            })
    }
}

impl fmt::Display for AsyncFlavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Flavor::ALL {
            assert_eq!(f.name().parse::<Flavor>().unwrap(), f);
        }
    }

    #[test]
    fn unknown_name_lists_allowed() {
        let e = "tokio".parse::<Flavor>().unwrap_err();
        assert!(e.to_string().contains("unknown runtime `tokio`"));
        assert!(
            e.to_string()
                .contains("tokio-ct, tokio-mt, async-std, smol-ct, smol-mt, threads, rayon")
        );
    }
}
