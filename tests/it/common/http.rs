//! The test server as its tests see it: one started on an ephemeral port, a blocking ureq
//! client, raw TCP requests and a poll of its in-process counters.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use asyncbench::server::{MAX_BYTES, ServerConfig, ServerStats, TestServer};

pub fn start() -> TestServer {
    TestServer::start(ServerConfig::default()).expect("server starts on 127.0.0.1:0")
}

pub fn at(addr: SocketAddr) -> ServerConfig {
    ServerConfig {
        addr,
        ..ServerConfig::default()
    }
}

pub fn agent() -> ureq::Agent {
    // No redirects: /status/3xx must come back as itself (the server sends no Location).
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_length: Option<u64>,
    pub header: Option<String>,
}

pub fn get_with(agent: &ureq::Agent, url: &str, header: &str) -> Reply {
    let mut resp = agent.get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let value = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_length = value("content-length").and_then(|v| v.parse().ok());
    let header = value(header);
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BYTES + 1)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("GET {url} body: {e}"));
    Reply {
        status: resp.status().as_u16(),
        body,
        content_length,
        header,
    }
}

pub fn get(server: &TestServer, path: &str) -> Reply {
    let url = format!("{}{path}", server.base_url());
    get_with(&agent(), &url, "content-type")
}

/// Status of `path` fetched through `agent`, so tests can share a keep-alive connection.
pub fn status(agent: &ureq::Agent, server: &TestServer, path: &str) -> u16 {
    get_with(agent, &format!("{}{path}", server.base_url()), "x").status
}

pub fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Polls the in-process counters until `pred` holds or `limit` passes; returns the last snapshot.
pub fn wait_stats(server: &TestServer, limit: Duration, pred: impl Fn(&ServerStats) -> bool) -> ServerStats {
    let deadline = Instant::now() + limit;
    loop {
        let stats = server.stats();
        if pred(&stats) || Instant::now() >= deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn send_raw(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").expect("send request");
    stream
}
