//! The duration grammar of `/delay/{D}` and `/stall/{D}`: `250us`, `1ms`, `1.5ms`, `2s`, or a
//! bare number of milliseconds (so scenario files and URLs written before units keep their meaning).
//!
//! Parsed with integer arithmetic, never through `f64`, so `1.001ms` is exactly 1001 µs.

use std::time::Duration;

use super::MAX_DELAY_MS;
use super::routes::echo;

/// Longest delay or stall accepted, as a duration.
pub const MAX_DELAY: Duration = Duration::from_millis(MAX_DELAY_MS);

/// The finest step a delay can be written in: the timer is precise to tens of µs, so a
/// nanosecond figure would promise what no response can keep.
const RESOLUTION_NS: u128 = 1_000;

/// Longest digit run considered; anything longer is out of range whatever its value, and the
/// cap keeps the arithmetic inside `u128`.
const MAX_DIGITS: usize = 24;

/// Why a duration was refused, phrased to follow the route name in a 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}: allowed 0..={MAX_DELAY_MS} ms; units us, ms, s (bare number = ms)")]
pub struct DelayError(String);

/// Parses `raw` (the path segment after `/delay/` or `/stall/`) into a duration within
/// `0..=`[`MAX_DELAY`]; the message of a refusal quotes at most 64 bytes of `raw`.
pub fn parse_delay(raw: &str) -> Result<Duration, DelayError> {
    parse_duration(raw, BareUnit::Millis, MAX_DELAY).map_err(|e| DelayError(e.0))
}

/// The unit a bare number (no suffix) is read in: milliseconds for server routes and scenario
/// files, seconds for `--duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareUnit {
    Millis,
    Secs,
}

impl BareUnit {
    fn ns(self) -> u128 {
        match self {
            BareUnit::Millis => 1_000_000,
            BareUnit::Secs => 1_000_000_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BareUnit::Millis => "ms",
            BareUnit::Secs => "s",
        }
    }
}

/// The units [`parse_duration`] accepts, for messages.
pub const DURATION_UNITS: &str = "us, ms, s";

/// Why a duration was refused (`"5x" is not a duration`, `70000 ms out of range`, ...); the
/// caller adds what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(pub String);

/// The one duration grammar of asyncbench: `250us`, `1.5ms`, `2s`, or a bare number in `bare`;
/// the value must lie in `0..=max` and be a whole number of microseconds.
pub fn parse_duration(raw: &str, bare: BareUnit, max: Duration) -> Result<Duration, DurationError> {
    let echo = echo(raw);
    if raw.is_empty() {
        return Err(DurationError("missing".to_owned()));
    }
    let (number, unit_ns, shown): (&str, u128, String) = match split_unit(raw) {
        Some((number, "")) => (number, bare.ns(), format!("{echo} {}", bare.name())),
        Some((number, "us")) => (number, 1_000, echo.to_owned()),
        Some((number, "ms")) => (number, 1_000_000, echo.to_owned()),
        Some((number, "s")) => (number, 1_000_000_000, echo.to_owned()),
        _ => return Err(DurationError(format!("{echo:?} is not a duration"))),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // "+5", "-1", "1e3", "1.", ".5" and "1.2.3" are refused: no client means them.
    if int.is_empty() || !digits_ok(int) || !digits_ok(frac) || (number.contains('.') && frac.is_empty()) {
        return Err(DurationError(format!("{echo:?} is not a duration")));
    }
    let int = int.trim_start_matches('0');
    if int.len() > MAX_DIGITS {
        return Err(DurationError(format!("{shown} out of range")));
    }
    let frac = frac.trim_end_matches('0');
    // Digits below a nanosecond of the unit can only make the value finer than the resolution.
    let unit_digits = unit_ns.ilog10() as usize;
    if frac.len() > unit_digits {
        return Err(DurationError(format!("{shown} is finer than 1us")));
    }
    let int_ns = int.parse::<u128>().unwrap_or(0) * unit_ns;
    let frac_ns = match frac {
        "" => 0,
        f => f.parse::<u128>().unwrap_or(0) * 10u128.pow((unit_digits - f.len()) as u32),
    };
    let ns = int_ns + frac_ns;
    if ns % RESOLUTION_NS != 0 {
        return Err(DurationError(format!("{shown} is finer than 1us")));
    }
    if ns > max.as_nanos() {
        return Err(DurationError(format!("{shown} out of range")));
    }
    // Fits: bounded by `max` just above.
    Ok(Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
}

/// Splits `1.5ms` into (`1.5`, `ms`); the unit is whatever follows the last digit or dot.
fn split_unit(raw: &str) -> Option<(&str, &str)> {
    let at = raw
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(at);
    (!number.is_empty()).then_some((number, unit))
}

/// Milliseconds with as many decimals as the value needs (to 1 µs): `1`, `1.5`, `0.25`.
pub(super) fn fmt_ms(d: Duration) -> String {
    let us = d.as_micros();
    let (ms, rest) = (us / 1000, us % 1000);
    if rest == 0 {
        return ms.to_string();
    }
    let frac = format!("{rest:03}");
    format!("{ms}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> Duration {
        parse_delay(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn err(raw: &str) -> String {
        match parse_delay(raw) {
            Err(e) => e.to_string(),
            Ok(d) => panic!("{raw} parsed as {d:?}"),
        }
    }

    #[test]
    fn units_and_bare_milliseconds() {
        assert_eq!(ok("250us"), Duration::from_micros(250));
        assert_eq!(ok("1ms"), Duration::from_millis(1));
        assert_eq!(ok("1.5ms"), Duration::from_micros(1500));
        assert_eq!(ok("1.001ms"), Duration::from_micros(1001));
        assert_eq!(ok("2s"), Duration::from_secs(2));
        assert_eq!(ok("0.000250s"), Duration::from_micros(250));
        assert_eq!(ok("5"), Duration::from_millis(5));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("0us"), Duration::ZERO);
        assert_eq!(ok("0.25"), Duration::from_micros(250));
        assert_eq!(ok("60000"), MAX_DELAY);
        assert_eq!(ok("60s"), MAX_DELAY);
        assert_eq!(ok("60000000us"), MAX_DELAY);
        assert_eq!(ok("007ms"), Duration::from_millis(7));
    }

    #[test]
    fn refusals_name_the_range_and_units() {
        let tail = "allowed 0..=60000 ms; units us, ms, s (bare number = ms)";
        assert_eq!(err("5x"), format!("\"5x\" is not a duration: {tail}"));
        assert_eq!(err("70000"), format!("70000 ms out of range: {tail}"));
        assert_eq!(err("61s"), format!("61s out of range: {tail}"));
        assert_eq!(err(""), format!("missing: {tail}"));
        for raw in [
            "-1", "-1ms", "+5", "abc", "1e3", "1.", ".5ms", "1.2.3", "ms", "5 ms", "5MS", "1h", "5µs",
        ] {
            assert!(err(raw).contains("is not a duration"), "{raw}: {}", err(raw));
        }
        for raw in ["0.5us", "1.0000001ms", "0.0000000001s"] {
            assert!(err(raw).contains("finer than 1us"), "{raw}: {}", err(raw));
        }
        for raw in [
            "60000001us",
            "60.000001s",
            "99999999999999999999999999999999",
            "18446744073709551616",
        ] {
            assert!(err(raw).contains("out of range"), "{raw}: {}", err(raw));
        }
    }

    #[test]
    fn bare_numbers_take_the_callers_unit() {
        let max = Duration::from_secs(3600);
        assert_eq!(parse_duration("5", BareUnit::Secs, max), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5s", BareUnit::Secs, max), Ok(Duration::from_secs(5)));
        assert_eq!(
            parse_duration("500ms", BareUnit::Secs, max),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            parse_duration("250us", BareUnit::Secs, max),
            Ok(Duration::from_micros(250))
        );
        assert_eq!(
            parse_duration("3601", BareUnit::Secs, max).unwrap_err().to_string(),
            "3601 s out of range"
        );
        assert_eq!(
            parse_duration("5x", BareUnit::Secs, max).unwrap_err().to_string(),
            "\"5x\" is not a duration"
        );
    }

    #[test]
    fn milliseconds_print_to_the_microsecond() {
        assert_eq!(fmt_ms(Duration::from_millis(1)), "1");
        assert_eq!(fmt_ms(Duration::from_micros(1500)), "1.5");
        assert_eq!(fmt_ms(Duration::from_micros(250)), "0.25");
        assert_eq!(fmt_ms(Duration::from_micros(1001)), "1.001");
        assert_eq!(fmt_ms(Duration::ZERO), "0");
    }
}
