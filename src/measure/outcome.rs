//! Why an operation failed, as a kind that can be counted: a summary row
//! says "6 timeouts, 0 refused" rather than "6 errors".

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The kinds of failure counted per case. The names are the keys of a
/// summary row's `errors_by_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The server answered with a status the scenario does not accept.
    Status,
    /// The operation did not finish within its deadline.
    Timeout,
    /// The connection could not be made (refused, unreachable).
    Connect,
    /// The connection was closed or reset before the reply was complete.
    Closed,
    /// A task the operation ran in was cancelled or panicked.
    Join,
    /// Another I/O error (file, socket).
    Io,
    /// An item, message or datagram that was sent never arrived.
    Lost,
    /// Data arrived wrong: duplicated, out of order, misrouted, mismatched,
    /// or a deadline that fired early.
    Invalid,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Status,
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Closed,
        ErrorKind::Join,
        ErrorKind::Io,
        ErrorKind::Lost,
        ErrorKind::Invalid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Status => "status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Closed => "closed",
            ErrorKind::Join => "join",
            ErrorKind::Io => "io",
            ErrorKind::Lost => "lost",
            ErrorKind::Invalid => "invalid",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failed operation: its kind and, for messages, what happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("unexpected status {0}")]
    Status(u16),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("connect failed: {0}")]
    Connect(String),
    #[error("connection closed: {0}")]
    Closed(String),
    #[error("task failed: {0}")]
    Join(String),
    #[error("I/O error: {0}")]
    Io(String),
    #[error("lost: {0}")]
    Lost(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

impl OpError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpError::Status(_) => ErrorKind::Status,
            OpError::Timeout(_) => ErrorKind::Timeout,
            OpError::Connect(_) => ErrorKind::Connect,
            OpError::Closed(_) => ErrorKind::Closed,
            OpError::Join(_) => ErrorKind::Join,
            OpError::Io(_) => ErrorKind::Io,
            OpError::Lost(_) => ErrorKind::Lost,
            OpError::Invalid(_) => ErrorKind::Invalid,
        }
    }
}

impl From<std::io::Error> for OpError {
    fn from(e: std::io::Error) -> OpError {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::TimedOut => OpError::Timeout(Duration::ZERO),
            K::ConnectionRefused => OpError::Connect(e.to_string()),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                OpError::Closed(e.to_string())
            }
            _ => OpError::Io(e.to_string()),
        }
    }
}

/// Failures counted by kind. Serialised as `{"timeout": 3, "status": 1}`,
/// kinds with no failure left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct ErrorCounts(BTreeMap<ErrorKind, u64>);

impl ErrorCounts {
    pub fn add(&mut self, kind: ErrorKind, n: u64) {
        if n > 0 {
            *self.0.entry(kind).or_insert(0) += n;
        }
    }

    pub fn record(&mut self, e: &OpError) {
        self.add(e.kind(), 1);
    }

    pub fn merge(&mut self, other: &ErrorCounts) {
        for (k, n) in &other.0 {
            self.add(*k, *n);
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn get(&self, kind: ErrorKind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        self.0.iter().map(|(k, n)| (*k, *n))
    }
}

impl FromIterator<(ErrorKind, u64)> for ErrorCounts {
    fn from_iter<I: IntoIterator<Item = (ErrorKind, u64)>>(it: I) -> ErrorCounts {
        let mut c = ErrorCounts::default();
        for (k, n) in it {
            c.add(k, n);
        }
        c
    }
}

/// `3 timeout, 1 status`, or `none`.
impl fmt::Display for ErrorCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.iter().map(|(k, n)| format!("{n} {k}")).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_and_in_total() {
        let mut c = ErrorCounts::default();
        c.record(&OpError::Timeout(Duration::from_secs(1)));
        c.record(&OpError::Status(503));
        c.record(&OpError::Timeout(Duration::from_secs(1)));
        c.add(ErrorKind::Lost, 0);
        assert_eq!(c.get(ErrorKind::Timeout), 2);
        assert_eq!(c.total(), 3);
        assert_eq!(c.to_string(), "1 status, 2 timeout");
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"status":1,"timeout":2}"#);
    }
}
