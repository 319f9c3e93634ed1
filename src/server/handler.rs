//! One request in, one response out: routes a request, holds it on the precise timer where a
//! delay or stall asks, and stamps every response with its service time (`Server-Timing`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::delay::fmt_ms;
use super::{MAX_BYTES, Route, Shared, flaky_fails, parse_route};

pub(super) type Body = Full<Bytes>;

/// W3C Server Timing (https://www.w3.org/TR/server-timing/): lets a client subtract the
/// server's share from what it measured.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

pub(super) async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let mut resp = respond(&req, peer, &shared, started).await;
    shared.counters.request_served();
    resp.headers_mut()
        .insert(SERVER_TIMING, server_timing(started.elapsed()));
    Ok(resp)
}

/// `app;dur=MS` with three decimals: milliseconds to the microsecond.
fn server_timing(service: Duration) -> HeaderValue {
    let value = format!("app;dur={:.3}", service.as_secs_f64() * 1e3);
    // Digits, a dot and ASCII letters are always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("app"))
}

/// Holds the response until `deadline` on the precise timer and records how late it woke.
/// A deadline already past costs no timer and is not recorded (nothing was timed).
async fn hold(shared: &Shared, deadline: Instant) -> Instant {
    let now = Instant::now();
    if now >= deadline {
        return now;
    }
    let woke = shared.timer.sleep_until(deadline).await;
    shared.counters.timer_woke(woke.saturating_duration_since(deadline));
    woke
}

async fn respond(req: &Request<Incoming>, peer: SocketAddr, shared: &Shared, started: Instant) -> Response<Body> {
    let uri = req.uri();
    let route = parse_route(req.method(), uri.path(), uri.query());
    // Fault controls obey the machine itself, and other hosts only when the server was started
    // with the explicit opt-in (`serve --allow-remote-faults`).
    if let Ok(Route::Stall(_) | Route::Flaky { .. }) = route
        && !peer.ip().is_loopback()
        && !shared.allow_remote_faults
    {
        return text(
            StatusCode::FORBIDDEN,
            "fault controls are only served to loopback clients (the server's --allow-remote-faults opts in)",
        );
    }
    // An injected stall holds every response except /stats and /health, so
    // a client sees the freeze while tests can still observe the server.
    let mut ready = started;
    if !matches!(route, Ok(Route::Stats | Route::Health | Route::Env | Route::Stall(_))) {
        let until = *shared.stall_until.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = until {
            ready = hold(shared, until).await;
        }
    }
    match route {
        Err(e) => {
            let mut resp = text(e.status, e.message);
            if e.status == StatusCode::METHOD_NOT_ALLOWED {
                resp.headers_mut()
                    .insert(hyper::header::ALLOW, HeaderValue::from_static("GET"));
            }
            resp
        }
        Ok(Route::Health) => text(StatusCode::OK, "ok"),
        Ok(Route::Stall(d)) => {
            let until = Instant::now() + d;
            let mut slot = shared.stall_until.lock().unwrap_or_else(PoisonError::into_inner);
            // Overlapping stalls extend, never shorten, the freeze.
            if slot.is_none_or(|u| u < until) {
                *slot = Some(until);
            }
            text(StatusCode::OK, format!("stalling responses for {} ms", fmt_ms(d)))
        }
        Ok(Route::Delay(d)) => {
            // Counted from when the request reached the handler (or the stall let it go), so the
            // service time is D plus the timer's lateness; /delay/0 never touches a timer.
            if !d.is_zero() {
                hold(shared, ready + d).await;
            }
            text(StatusCode::OK, format!("slept {} ms", fmt_ms(d)))
        }
        Ok(Route::Bytes(n)) => bytes_response(n),
        Ok(Route::Status(code)) => match StatusCode::from_u16(code) {
            Ok(status) => text(status, format!("status {code}")),
            Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("status {code} unusable")),
        },
        Ok(Route::Flaky { p, seed, n }) => {
            let n = n.unwrap_or_else(|| shared.flaky.next(seed));
            let mut resp = if flaky_fails(p, seed, n) {
                text(StatusCode::SERVICE_UNAVAILABLE, "flaky failure")
            } else {
                text(StatusCode::OK, "ok")
            };
            // Tells clients of unkeyed requests which key the server used.
            resp.headers_mut().insert("x-flaky-n", HeaderValue::from(n));
            resp
        }
        Ok(Route::Env) => match super::fingerprint::body(shared).await {
            Ok(json) => with_type(StatusCode::OK, json, "application/json"),
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot encode the fingerprint: {e}"),
            ),
        },
        // Taken before this request is counted, so it reports the requests before it.
        Ok(Route::Stats) => match serde_json::to_vec(&shared.stats()) {
            Ok(json) => with_type(StatusCode::OK, Bytes::from(json), "application/json"),
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode stats: {e}")),
        },
    }
}

fn bytes_response(n: u64) -> Response<Body> {
    // One zeroed buffer shared by every response: slicing `Bytes` is a refcount bump,
    // and calloc'd pages cost nothing until first read.
    static ZEROS: OnceLock<Bytes> = OnceLock::new();
    let Ok(len) = usize::try_from(n) else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("bytes {n} too large for this platform"),
        );
    };
    let zeros = ZEROS.get_or_init(|| Bytes::from(vec![0u8; usize::try_from(MAX_BYTES).unwrap_or(0)]));
    match zeros.get(..len) {
        Some(_) => with_type(StatusCode::OK, zeros.slice(..len), "application/octet-stream"),
        None => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("bytes {n} exceeds the buffer"),
        ),
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    with_type(status, body.into(), "text/plain; charset=utf-8")
}

fn with_type(status: StatusCode, body: Bytes, content_type: &'static str) -> Response<Body> {
    // 204 and 304 must not carry content; hyper would drop it anyway, but say so plainly.
    let body = if matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED) {
        Bytes::new()
    } else {
        body
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}
