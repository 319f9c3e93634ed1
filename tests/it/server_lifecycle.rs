//! The test server's life: connections counted open and closed as clients come and go, a prompt
//! shutdown with a request in flight, stopping from another thread or on Ctrl-C, and start-up
//! errors that name the address.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use asyncbench::server::{ServerConfig, ServerError, TestServer};

use crate::common::http::{agent, at, get, get_with, send_raw, start, status, wait_stats};

#[test]
fn connections_open_returns_to_zero_after_clients_close() {
    let server = start();
    let streams: Vec<_> = (0..3).map(|_| send_raw(server.addr(), "/health")).collect();
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.requests_served == 3);
    assert_eq!((stats.connections_open, stats.connections_accepted), (3, 3));
    drop(streams);
    let agent = agent();
    assert_eq!(status(&agent, &server, "/health"), 200);
    drop(agent);
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 0);
    assert_eq!(stats.connections_open, 0, "{stats:?}");
    assert_eq!(stats.connections_accepted, 4);
}

#[test]
fn client_disconnect_mid_delay_closes_the_connection() {
    let server = start();
    let stream = send_raw(server.addr(), "/delay/2000");
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 1);
    assert_eq!(stats.connections_open, 1);
    // Let the request reach the handler's sleep before the client walks away.
    std::thread::sleep(Duration::from_millis(100));
    let dropped_at = Instant::now();
    drop(stream);
    let stats = wait_stats(&server, Duration::from_secs(1), |s| s.connections_open == 0);
    let waited = dropped_at.elapsed();
    assert_eq!(stats.connections_open, 0, "still open {waited:?} after the client left");
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    // The cancelled request was never answered, so it must not count.
    assert_eq!(stats.requests_served, 0);
}

#[test]
fn shutdown_is_prompt_with_a_request_in_flight() {
    let server = start();
    let addr = server.addr();
    let mut stream = send_raw(addr, "/delay/10000");
    let stats = wait_stats(&server, Duration::from_secs(2), |s| s.connections_open == 1);
    assert_eq!(stats.connections_open, 1);
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    server.shutdown();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    // The in-flight connection was closed, not left hanging for the full delay.
    let timeout = Some(Duration::from_secs(2));
    stream.set_read_timeout(timeout).expect("timeout");
    let read = stream.read(&mut [0u8; 256]);
    let closed = match &read {
        Ok(n) => *n == 0,
        Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "expected EOF/reset, got {read:?}");
    assert!(TcpStream::connect(addr).is_err(), "still accepting");
}

#[test]
fn drop_from_another_thread_stops_the_server() {
    let server = start();
    let addr = server.addr();
    let t = Instant::now();
    std::thread::spawn(move || drop(server)).join().expect("drop thread");
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn zero_threads_still_serves() {
    let cfg = ServerConfig {
        threads: 0,
        backlog: 16,
        ..ServerConfig::default()
    };
    let server = TestServer::start(cfg).expect("start");
    assert_eq!(get(&server, "/health").status, 200);
}

#[test]
fn binding_a_busy_port_is_a_bind_error_naming_the_address() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr");
    let cfg = at(addr);
    let err = TestServer::start(cfg).expect_err("port is taken");
    let right = matches!(&err, ServerError::Bind { addr: a, .. } if *a == addr);
    assert!(right, "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("cannot listen on {addr}")), "{msg}");
}

#[cfg(unix)]
#[test]
fn serve_until_ctrl_c_stops_on_sigint() {
    // Install tokio's process-wide SIGINT handler first, so the signal below can never
    // take the default action (killing the test process) while the server is starting.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let rt = rt.expect("runtime");
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(1), tokio::signal::ctrl_c()).await;
    });

    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
        probe.local_addr().expect("addr")
    };
    let cfg = at(addr);
    let serving = std::thread::spawn(move || asyncbench::server::serve_until_ctrl_c(cfg));
    let deadline = Instant::now() + Duration::from_secs(3);
    while TcpStream::connect(addr).is_err() {
        let waiting = Instant::now() < deadline && !serving.is_finished();
        assert!(waiting, "server never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    let url = format!("http://{addr}/health");
    assert_eq!(get_with(&agent(), &url, "x").status, 200);
    // Repeat: a signal raised before the server's ctrl_c future registers is not seen by it.
    let deadline = deadline + Duration::from_secs(3);
    while !serving.is_finished() {
        assert!(Instant::now() < deadline, "Ctrl-C ignored");
        // SAFETY: raise only queues a signal for this process; the handler is tokio's.
        unsafe { libc::raise(libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(50));
    }
    let served = serving.join().expect("serve thread");
    served.expect("serve_until_ctrl_c");
    assert!(TcpStream::connect(addr).is_err(), "still listening after Ctrl-C");
}

#[test]
fn start_and_drop_inside_an_async_context_do_not_panic() {
    let rt = tokio::runtime::Builder::new_current_thread().build();
    let rt = rt.expect("runtime");
    let addr = rt.block_on(async {
        let server = start();
        let addr = server.addr();
        drop(server);
        addr
    });
    // There the runtime can only be shut down in the background, so allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still listening 2 s after drop");
        std::thread::sleep(Duration::from_millis(10));
    }
}
