//! What a flag's value may be: the numeric ranges `--help` shows, the compare levels, and the one
//! error every rejected value becomes ([`BadOption`]: the flag, the value and what is allowed).

use std::fmt;

use crate::scenario::catalog::http_load;

/// A flag whose value is not allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} {value}: {why}")]
pub struct BadOption {
    pub flag: &'static str,
    pub value: String,
    pub why: String,
}

impl BadOption {
    pub(super) fn new(flag: &'static str, value: impl fmt::Display, why: impl Into<String>) -> BadOption {
        BadOption {
            flag,
            value: value.to_string(),
            why: why.into(),
        }
    }

    /// `value` where `ok`, else the error naming `flag`, `value` and `why`: every check below.
    pub(super) fn unless<T: fmt::Display>(
        ok: bool,
        flag: &'static str,
        value: T,
        why: impl FnOnce() -> String,
    ) -> Result<T, BadOption> {
        if ok {
            Ok(value)
        } else {
            Err(BadOption::new(flag, value, why()))
        }
    }
}

/// The inclusive range of a numeric flag; `--help` shows it from here too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub flag: &'static str,
    pub min: u64,
    pub max: u64,
}

impl Bound {
    pub const fn new(flag: &'static str, min: u64, max: u64) -> Bound {
        Bound { flag, min, max }
    }

    pub fn check(self, value: u64) -> Result<u64, BadOption> {
        BadOption::unless((self.min..=self.max).contains(&value), self.flag, value, || {
            format!("out of range: allowed {}..={}", self.min, self.max)
        })
    }

    /// `text` followed by the allowed range, for clap's help.
    pub fn help(self, text: &str) -> String {
        format!("{text} [{}..={}]", self.min, self.max)
    }
}

pub const BATCHES: Bound = Bound::new("--batches", 1, 100_000);
pub const WARMUP: Bound = Bound::new("--warmup", 0, 10_000);
pub const WORKERS: Bound = Bound::new("--workers", 1, 1024);
pub const RATE: Bound = Bound::new("--rate", 1, http_load::MAX_RATE);
pub const DURATION: Bound = Bound::new("--duration", 1, 3600);
pub const CONNECTIONS: Bound = Bound::new("--connections", 1, http_load::MAX_CONNECTIONS);
pub const SERVER_THREADS: Bound = Bound::new("--threads", 1, 64);
pub const ROUNDS: Bound = Bound::new("--rounds", 1, crate::scenario::file::MAX_ROUNDS);

pub(super) fn check_threshold(v: f64) -> Result<f64, BadOption> {
    BadOption::unless((0.0..=1000.0).contains(&v), "--threshold", v, || {
        "not a percentage in 0..=1000".into()
    })
}

pub(super) fn check_alpha(v: f64) -> Result<f64, BadOption> {
    BadOption::unless(v > 0.0 && v < 1.0, "--alpha", v, || {
        "not a significance level in (0, 1)".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_flag_the_value_and_the_range() {
        assert_eq!(BATCHES.check(1), Ok(1));
        assert_eq!(BATCHES.check(100_000), Ok(100_000));
        assert_eq!(
            BATCHES.check(0).unwrap_err().to_string(),
            "--batches 0: out of range: allowed 1..=100000"
        );
        assert_eq!(WARMUP.check(0), Ok(0));
        assert!(RATE.check(http_load::MAX_RATE + 1).is_err());
        assert_eq!(BATCHES.help("Recorded batches"), "Recorded batches [1..=100000]");
    }

    #[test]
    fn compare_levels_are_checked() {
        assert_eq!(check_threshold(5.0), Ok(5.0));
        assert!(check_threshold(-1.0).is_err());
        assert!(check_threshold(f64::NAN).is_err());
        assert_eq!(check_alpha(0.05), Ok(0.05));
        assert_eq!(
            check_alpha(1.0).unwrap_err().to_string(),
            "--alpha 1: not a significance level in (0, 1)"
        );
    }
}
