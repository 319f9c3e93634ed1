//! The test server holds 10 000 concurrent keep-alive connections. The server
//! runs as its own process (`asyncbench serve`), as in a standalone load test,
//! so each side has its own file-descriptor budget; both raise their
//! open-file limit in-process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 10_000;

fn read_reply(s: &mut TcpStream) -> bool {
    // /health answers with a short fixed body: read until it is complete.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !buf.ends_with(b"ok") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf.starts_with(b"HTTP/1.1 200")
}

#[test]
fn server_holds_ten_thousand_keep_alive_connections() {
    let limit = asyncbench::server::raise_fd_limit().unwrap();
    if limit < CONNECTIONS as u64 + 100 {
        // The system forbids it: say so rather than pretend.
        eprintln!("skipped: the hard open-file limit is {limit}, below {CONNECTIONS} connections");
        return;
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(["serve", "--addr", "127.0.0.1:0", "--threads", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap().to_string();

    let t0 = Instant::now();
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let s = TcpStream::connect(&addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        conns.push(s);
    }
    // A request on every connection, all in flight together, then every reply.
    for s in &mut conns {
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    let ok = conns.iter_mut().map(read_reply).filter(|ok| *ok).count();
    assert_eq!(ok, CONNECTIONS, "every connection answered");

    // All of them are still open on the server (keep-alive), per its own count.
    let mut probe = TcpStream::connect(&addr).unwrap();
    probe
        .write_all(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut stats = String::new();
    probe.read_to_string(&mut stats).unwrap();
    let body = stats.split("\r\n\r\n").nth(1).unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(v["connections_open"].as_u64().unwrap() >= CONNECTIONS as u64, "{body}");
    assert_eq!(v["connections_rejected"].as_u64(), Some(0));

    // And reusable: a second request on each kept-alive connection.
    for s in &mut conns {
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    let ok = conns.iter_mut().map(read_reply).filter(|ok| *ok).count();
    assert_eq!(ok, CONNECTIONS);
    eprintln!(
        "{CONNECTIONS} keep-alive connections held and reused in {:?}",
        t0.elapsed()
    );
    drop(conns);
    let _ = server.kill();
    let _ = server.wait();
}
