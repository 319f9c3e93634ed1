//! Route table of the test server: turns method + path + query into a validated [`Route`], and the deterministic `/flaky` rule.
//!
//! Everything here is pure so it can be unit-tested and fuzzed without sockets.

use std::time::Duration;

use hyper::{Method, StatusCode};

use super::MAX_BYTES;
use super::delay::parse_delay;

/// Statuses `/status/{code}` may return. 1xx is excluded because an informational
/// response is not a final answer and would leave the client waiting.
pub const STATUS_RANGE: std::ops::RangeInclusive<u16> = 200..=599;

/// Echoed parameter values are cut to this many bytes so a hostile path cannot
/// turn an error body into a multi-kilobyte reflection.
const MAX_ECHO: usize = 64;

/// A request the server knows how to answer, with its parameters already in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Route {
    Health,
    Delay(Duration),
    Bytes(u64),
    Status(u16),
    /// `n: None` means the server picks the next key from its per-seed counter.
    Flaky {
        p: f64,
        seed: u64,
        n: Option<u64>,
    },
    Stats,
    /// The server's own environment fingerprint ([`super::ServerFingerprint`]), so a client on
    /// another host can record what it measured against.
    Env,
    /// Hold every response (but /stats and /health) for this long from now:
    /// the stall injected to show coordinated omission.
    Stall(Duration),
}

/// Why a request cannot be routed: the status to answer with and a one-line body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct RouteError {
    pub status: StatusCode,
    pub message: String,
}

impl RouteError {
    fn new(status: StatusCode, message: String) -> Self {
        Self { status, message }
    }

    fn bad(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

/// Parses a request line into a [`Route`].
///
/// Unknown paths are 404 whatever the method; known paths with a method other than
/// GET are 405. Query strings are ignored except on `/flaky`, where every key must be
/// one of `p`, `seed`, `n` so that a typo (`sed=1`) fails loudly instead of silently
/// using a default.
pub fn parse_route(method: &Method, path: &str, query: Option<&str>) -> Result<Route, RouteError> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (head, param) = match rest.split_once('/') {
        Some((head, param)) => (head, Some(param)),
        None => (rest, None),
    };
    let takes_param = matches!(head, "delay" | "bytes" | "status" | "stall");
    let known = match param {
        Some(p) => takes_param && !p.contains('/'),
        None => matches!(head, "health" | "stats" | "flaky" | "env") || takes_param,
    };
    if !known {
        return Err(RouteError::new(
            StatusCode::NOT_FOUND,
            format!("no route for {}", echo(path)),
        ));
    }
    if method != Method::GET {
        return Err(RouteError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "method {} not allowed on {}: only GET",
                echo(method.as_str()),
                echo(path)
            ),
        ));
    }
    let param = param.unwrap_or("");
    match head {
        "health" => Ok(Route::Health),
        "stats" => Ok(Route::Stats),
        "env" => Ok(Route::Env),
        "delay" => duration("delay", param).map(Route::Delay),
        "bytes" => parse_u64("bytes", param, "", 0, MAX_BYTES).map(Route::Bytes),
        "stall" => duration("stall", param).map(Route::Stall),
        "status" => {
            let (lo, hi) = (*STATUS_RANGE.start(), *STATUS_RANGE.end());
            let code = parse_u64("status", param, "", u64::from(lo), u64::from(hi))?;
            // In range by construction; the fallback only keeps this panic-free.
            Ok(Route::Status(u16::try_from(code).unwrap_or(hi)))
        }
        _ => parse_flaky(query.unwrap_or("")),
    }
}

fn parse_flaky(query: &str) -> Result<Route, RouteError> {
    let (mut p, mut seed, mut n) = (None, None, None);
    for pair in query.split('&').filter(|s| !s.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "p" => &mut p,
            "seed" => &mut seed,
            "n" => &mut n,
            _ => {
                return Err(RouteError::bad(format!(
                    "flaky unknown query parameter {:?}: allowed p, seed, n",
                    echo(key)
                )));
            }
        };
        if slot.replace(value).is_some() {
            return Err(RouteError::bad(format!(
                "flaky query parameter {key} given twice: give it once"
            )));
        }
    }
    let p = parse_probability(p)?;
    let seed = match seed {
        Some(v) => parse_u64("flaky seed", v, "", 0, u64::MAX)?,
        None => {
            return Err(RouteError::bad(format!("flaky seed missing: allowed 0..={}", u64::MAX)));
        }
    };
    let n = n.map(|v| parse_u64("flaky n", v, "", 0, u64::MAX)).transpose()?;
    Ok(Route::Flaky { p, seed, n })
}

fn parse_probability(value: Option<&str>) -> Result<f64, RouteError> {
    let Some(raw) = value else {
        return Err(RouteError::bad("flaky p missing: allowed 0..=1".to_owned()));
    };
    let p: f64 = raw
        .parse()
        .map_err(|_| RouteError::bad(format!("flaky p {:?} is not a number: allowed 0..=1", echo(raw))))?;
    // `parse` accepts "NaN" and "inf"; neither is a probability.
    if !p.is_finite() || !(0.0..=1.0).contains(&p) {
        return Err(RouteError::bad(format!(
            "flaky p {} out of range: allowed 0..=1",
            echo(raw)
        )));
    }
    Ok(p)
}

fn duration(name: &str, raw: &str) -> Result<Duration, RouteError> {
    parse_delay(raw).map_err(|e| RouteError::bad(format!("{name} {e}")))
}

fn parse_u64(name: &str, raw: &str, unit: &str, lo: u64, hi: u64) -> Result<u64, RouteError> {
    if raw.is_empty() {
        return Err(RouteError::bad(format!("{name} missing: allowed {lo}..={hi}")));
    }
    // Digits only: `str::parse` would also take "+5", which no client means to send.
    let value = if raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse::<u64>().ok()
    } else {
        None
    };
    match value {
        Some(v) if (lo..=hi).contains(&v) => Ok(v),
        Some(v) => Err(RouteError::bad(format!(
            "{name} {v}{unit} out of range: allowed {lo}..={hi}"
        ))),
        // All-digit strings that overflow u64 land here too, and are out of range.
        None if raw.bytes().all(|b| b.is_ascii_digit()) => Err(RouteError::bad(format!(
            "{name} {}{unit} out of range: allowed {lo}..={hi}",
            echo(raw)
        ))),
        None => Err(RouteError::bad(format!(
            "{name} {:?}{unit} is not an integer: allowed {lo}..={hi}",
            echo(raw)
        ))),
    }
}

pub(super) fn echo(s: &str) -> &str {
    if s.len() <= MAX_ECHO {
        return s;
    }
    let mut end = MAX_ECHO;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Spreads `(seed, n)` over the whole u64 space so neighbouring keys get unrelated
/// generators (splitmix64 finaliser over a golden-ratio combination).
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether `/flaky?p={p}&seed={seed}&n={n}` answers 503.
///
/// The rule is `fastrand::Rng::with_seed(mix(seed, n)).f64() < p`: a pure function of
/// the three inputs, so any client can predict each outcome, and over many keys the
/// failure rate converges to `p`. `p = 0` never fails and `p = 1` always fails because
/// `f64()` draws from `[0, 1)`.
pub fn flaky_fails(p: f64, seed: u64, n: u64) -> bool {
    fastrand::Rng::with_seed(mix(seed, n)).f64() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, query: Option<&str>) -> Result<Route, RouteError> {
        parse_route(&Method::GET, path, query)
    }

    fn bad(path: &str, query: Option<&str>) -> String {
        match get(path, query) {
            Err(e) if e.status == StatusCode::BAD_REQUEST => e.message,
            other => panic!("{path}?{query:?}: expected 400, got {other:?}"),
        }
    }

    #[test]
    fn fixed_routes() {
        assert_eq!(get("/health", None), Ok(Route::Health));
        assert_eq!(get("/env", None), Ok(Route::Env));
        assert_eq!(get("/stats", Some("x=1")), Ok(Route::Stats));
    }

    #[test]
    fn delay_bounds() {
        assert_eq!(get("/delay/0", None), Ok(Route::Delay(Duration::ZERO)));
        assert_eq!(get("/delay/60000", None), Ok(Route::Delay(Duration::from_secs(60))));
        assert_eq!(get("/delay/250us", None), Ok(Route::Delay(Duration::from_micros(250))));
        assert_eq!(get("/stall/1.5ms", None), Ok(Route::Stall(Duration::from_micros(1500))));
        assert_eq!(
            bad("/delay/70000", None),
            "delay 70000 ms out of range: allowed 0..=60000 ms; units us, ms, s (bare number = ms)"
        );
        assert_eq!(
            bad("/delay/abc", None),
            "delay \"abc\" is not a duration: allowed 0..=60000 ms; units us, ms, s (bare number = ms)"
        );
        assert!(bad("/delay/-1", None).contains("allowed 0..=60000"));
        assert!(bad("/delay/+5", None).contains("not a duration"));
        assert!(bad("/stall/5x", None).starts_with("stall \"5x\" is not a duration"));
        assert!(bad("/delay/", None).contains("missing"));
        assert!(bad("/delay", None).contains("missing"));
        let huge = bad("/delay/99999999999999999999999", None);
        assert!(huge.contains("out of range"), "{huge}");
    }

    #[test]
    fn bytes_bounds() {
        assert_eq!(get("/bytes/0", None), Ok(Route::Bytes(0)));
        assert_eq!(get("/bytes/67108864", None), Ok(Route::Bytes(MAX_BYTES)));
        assert_eq!(
            bad("/bytes/67108865", None),
            "bytes 67108865 out of range: allowed 0..=67108864"
        );
        assert!(bad("/bytes/1.5", None).contains("not an integer"));
    }

    #[test]
    fn status_bounds() {
        assert_eq!(get("/status/418", None), Ok(Route::Status(418)));
        assert_eq!(get("/status/200", None), Ok(Route::Status(200)));
        assert_eq!(get("/status/599", None), Ok(Route::Status(599)));
        assert_eq!(bad("/status/99", None), "status 99 out of range: allowed 200..=599");
        assert!(bad("/status/100", None).contains("200..=599"));
        assert!(bad("/status/600", None).contains("200..=599"));
        assert!(bad("/status/teapot", None).contains("200..=599"));
    }

    #[test]
    fn flaky_parameters() {
        assert_eq!(
            get("/flaky", Some("p=0.25&seed=7&n=3")),
            Ok(Route::Flaky {
                p: 0.25,
                seed: 7,
                n: Some(3)
            })
        );
        assert_eq!(
            get("/flaky", Some("seed=7&p=1")),
            Ok(Route::Flaky {
                p: 1.0,
                seed: 7,
                n: None
            })
        );
        assert_eq!(
            bad("/flaky", Some("p=1.5&seed=1")),
            "flaky p 1.5 out of range: allowed 0..=1"
        );
        assert!(bad("/flaky", Some("p=-0.1&seed=1")).contains("allowed 0..=1"));
        assert!(bad("/flaky", Some("p=NaN&seed=1")).contains("allowed 0..=1"));
        assert!(bad("/flaky", Some("p=inf&seed=1")).contains("allowed 0..=1"));
        assert!(bad("/flaky", Some("p=half&seed=1")).contains("not a number"));
        assert!(bad("/flaky", Some("seed=1")).contains("p missing"));
        assert!(bad("/flaky", None).contains("p missing"));
        assert!(bad("/flaky", Some("p=0.5")).contains("seed missing"));
        assert!(bad("/flaky", Some("p=0.5&seed=x")).contains("seed \"x\""));
        assert!(bad("/flaky", Some("p=0.5&seed=1&n=-2")).contains("flaky n"));
        assert!(bad("/flaky", Some("p=0.5&sed=1")).contains("unknown query parameter \"sed\""));
        assert!(bad("/flaky", Some("p=0.5&p=0.1&seed=1")).contains("twice"));
    }

    #[test]
    fn not_found_and_wrong_method() {
        for path in ["/", "", "/nope", "/health/x", "/delay/1/2", "/flaky/1", "/HEALTH"] {
            let err = get(path, None).unwrap_err();
            assert_eq!(err.status, StatusCode::NOT_FOUND, "{path}");
        }
        let err = parse_route(&Method::POST, "/delay/5", None).unwrap_err();
        assert_eq!(err.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(err.message.contains("only GET"));
        let err = parse_route(&Method::DELETE, "/nope", None).unwrap_err();
        assert_eq!(err.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn echoed_values_are_bounded() {
        let long = format!("/delay/{}", "é".repeat(200));
        let msg = bad(&long, None);
        assert!(msg.len() < 160, "{}", msg.len());
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn flaky_rule_is_deterministic_and_calibrated() {
        assert_eq!(flaky_fails(0.5, 42, 9), flaky_fails(0.5, 42, 9));
        assert!((0..1000).all(|n| !flaky_fails(0.0, 1, n)));
        assert!((0..1000).all(|n| flaky_fails(1.0, 1, n)));
        let fails = (0..10_000).filter(|&n| flaky_fails(0.3, 5, n)).count();
        assert!((2700..=3300).contains(&fails), "{fails}");
        // Different seeds must not replay the same sequence.
        let a: Vec<bool> = (0..64).map(|n| flaky_fails(0.5, 1, n)).collect();
        let b: Vec<bool> = (0..64).map(|n| flaky_fails(0.5, 2, n)).collect();
        assert_ne!(a, b);
    }
}
