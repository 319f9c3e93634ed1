//! Before the first case of a run against `--server`: does the address answer, and does it
//! answer the routes the selected cases request? A dead or foreign server fails the run in
//! seconds, naming the address and what was tried, instead of failing every case minutes later.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The whole check ends within this (the bound is 5 s; a little room for the error).
pub const BUDGET: Duration = Duration::from_secs(4);
/// One TCP connect or one request.
const STEP: Duration = Duration::from_secs(2);

/// Checks `addr`: a TCP connect, `GET /health`, then a GET of each of `routes` (deduplicated,
/// in order); each must answer 200. The error names the address, every step tried and how it
/// ended.
pub fn check(addr: SocketAddr, routes: &[String]) -> Result<(), String> {
    let t0 = Instant::now();
    let mut tried: Vec<String> = Vec::new();
    let left = |t0: Instant| {
        BUDGET
            .saturating_sub(t0.elapsed())
            .min(STEP)
            .max(Duration::from_millis(100))
    };
    if let Err(e) = TcpStream::connect_timeout(&addr, left(t0)) {
        return Err(format!(
            "the server at {addr} does not answer: TCP connect ({} s timeout): {e}; start one with `asyncbench \
             serve --addr {addr}` or leave out --server",
            STEP.as_secs()
        ));
    }
    tried.push("TCP connect: ok".into());
    let mut paths: Vec<&str> = vec!["/health"];
    for r in routes {
        if !paths.contains(&r.as_str()) {
            paths.push(r);
        }
    }
    for path in paths {
        let url = format!("http://{addr}{path}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(left(t0)))
            .http_status_as_error(false)
            .build()
            .into();
        let outcome = match agent.get(&url).call() {
            Ok(resp) if resp.status().as_u16() == 200 => {
                tried.push(format!("GET {path}: 200"));
                continue;
            }
            Ok(resp) => format!("GET {path}: status {}", resp.status().as_u16()),
            Err(e) => format!("GET {path}: {e}"),
        };
        tried.push(outcome);
        return Err(format!(
            "the server at {addr} does not serve what this run requests ({}); is it `asyncbench serve`?",
            tried.join("; ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_fails_at_once_naming_the_address_and_the_step() {
        // Bind then drop: a loopback port nobody listens on.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let t0 = Instant::now();
        let e = check(addr, &[]).unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert!(e.contains(&addr.to_string()) && e.contains("TCP connect"), "{e}");
    }

    #[test]
    fn a_server_without_the_routes_is_named_with_what_was_tried() {
        // A listener that answers every request with 404, as a foreign server would.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for mut s in l.incoming().flatten().take(4) {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        let e = check(addr, &["/delay/1".into()]).unwrap_err();
        assert!(
            e.contains(&addr.to_string()) && e.contains("GET /health: status 404"),
            "{e}"
        );
    }

    #[test]
    fn the_test_server_passes() {
        let s = crate::server::TestServer::start(crate::server::ServerConfig::default()).unwrap();
        assert_eq!(check(s.addr(), &["/delay/1".into(), "/delay/1".into()]), Ok(()));
        assert!(
            check(s.addr(), &["/nope".into()])
                .unwrap_err()
                .contains("GET /nope: status 404")
        );
        s.shutdown();
    }
}
