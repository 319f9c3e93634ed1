//! Client and server on two hosts: the server's `/env` fingerprint, `run --server` refusing
//! another host unless `--allow-remote`, a run against an external server recording it in
//! env.json, and a real two-host run across two network namespaces joined by a veth pair
//! (fetch_parallel against a server in the other namespace; fault routes forbidden there
//! unless the server opted in). The namespace test needs root and iproute2
//! (`scripts/ci-deps.sh`); where namespaces cannot be created it prints why and is skipped,
//! unless `ASYNCBENCH_REQUIRE_NETNS=1` (set by `.ci/run` where it could create one) fails it.

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use asyncbench::results::EnvInfo;
use asyncbench::server::ServerFingerprint;
use serde_json::Value;

use crate::common::http::{get, start, text};
use crate::common::{TINY_FETCH, TestResult, cli};

#[test]
fn the_env_route_answers_the_servers_fingerprint() -> TestResult {
    let server = start();
    let reply = get(&server, "/env");
    assert_eq!(reply.status, 200, "{}", text(&reply));
    assert_eq!(reply.header.as_deref(), Some("application/json"));
    let fp: ServerFingerprint = serde_json::from_slice(&reply.body)?;
    assert_eq!(fp.addr, server.addr().to_string());
    assert_eq!((fp.threads, fp.allow_remote_faults), (1, false));
    assert_eq!(fp.env.host, gethostname::gethostname().to_string_lossy());
    assert!(fp.env.logical_cores >= 1 && !fp.env.kernel.is_empty());
    Ok(())
}

#[test]
fn run_refuses_another_host_unless_allow_remote() -> TestResult {
    let (code, _, err) = cli(&[OsStr::new("run"), OsStr::new("--server"), OsStr::new("192.0.2.1:8080")])?;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("192.0.2.1:8080") && err.contains("--allow-remote"),
        "{err}"
    );
    let (code, _, err) = cli(&[OsStr::new("run"), OsStr::new("--allow-remote")])?;
    assert_eq!(code, 2, "--allow-remote without --server: {err}");
    Ok(())
}

fn tiny_scenarios(root: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = root.join("scenarios");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("fetch_parallel.toml"), TINY_FETCH)?;
    Ok(dir)
}

fn run_args<'a>(server: &'a str, scenarios: &'a Path, results: &'a Path) -> Vec<&'a OsStr> {
    [
        "run",
        "--server",
        server,
        "--batches",
        "3",
        "--warmup",
        "0",
        "--scenarios",
    ]
    .into_iter()
    .map(OsStr::new)
    .chain([scenarios.as_os_str(), OsStr::new("--results"), results.as_os_str()])
    .collect()
}

#[test]
fn a_run_against_an_external_server_records_its_fingerprint() -> TestResult {
    let server = start();
    let root = tempfile::tempdir()?;
    let scenarios = tiny_scenarios(root.path())?;
    let addr = server.addr().to_string();
    let (code, out, err) = cli(&run_args(&addr, &scenarios, root.path()))?;
    assert_eq!(code, 0, "{err}");
    let env: EnvInfo = serde_json::from_str(&fs::read_to_string(Path::new(out.trim()).join("env.json"))?)?;
    let remote = env.remote_server.ok_or("no remote_server in env.json")?;
    assert_eq!((remote.addr.as_str(), remote.loopback), (addr.as_str(), true));
    let fp = remote.fingerprint.ok_or("no fingerprint")?;
    assert_eq!(fp.addr, addr);
    Ok(())
}

/// Two namespaces joined by a veth pair, removed (with the pair) on drop.
struct Netns {
    names: [String; 2],
    servers: Vec<Child>,
}

impl Drop for Netns {
    fn drop(&mut self) {
        for s in &mut self.servers {
            let _ = s.kill();
            let _ = s.wait();
        }
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Server namespace `names[0]` holds 10.203.17.1/30, client namespace `names[1]` 10.203.17.2/30;
/// the only link between them is the veth pair, and neither has a route anywhere else.
fn make_netns() -> Result<Netns, String> {
    let tag = std::process::id();
    let ns = Netns {
        names: [format!("ab-srv-{tag}"), format!("ab-cli-{tag}")],
        servers: Vec::new(),
    };
    let (srv, clt) = (ns.names[0].as_str(), ns.names[1].as_str());
    let (va, vb) = (format!("abs{tag}"), format!("abc{tag}"));
    ip(&["netns", "add", srv])?;
    ip(&["netns", "add", clt])?;
    ip(&[
        "link", "add", &va, "netns", srv, "type", "veth", "peer", "name", &vb, "netns", clt,
    ])?;
    for (n, dev, addr) in [(srv, &va, "10.203.17.1/30"), (clt, &vb, "10.203.17.2/30")] {
        ip(&["-n", n, "addr", "add", addr, "dev", dev])?;
        ip(&["-n", n, "link", "set", dev, "up"])?;
        ip(&["-n", n, "link", "set", "lo", "up"])?;
    }
    Ok(ns)
}

/// Starts `asyncbench serve` in namespace `ns` with `flags`; returns its address.
fn serve_in(ns: &mut Netns, flags: &[&str]) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.names[0], env!("CARGO_BIN_EXE_asyncbench"), "serve"])
        .args(["--addr", "10.203.17.1:0", "--allow-non-loopback"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    ns.servers.push(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("serve printed {line:?}"))?;
    Ok(addr.parse()?)
}

/// GET `url` from inside namespace `ns` (Python's urllib: nothing of ours on the client side);
/// returns the status.
fn status_from(ns: &str, url: &str) -> Result<u16, Box<dyn std::error::Error>> {
    let script = "import sys,urllib.request,urllib.error\n\
                  try:\n print(urllib.request.urlopen(sys.argv[1], timeout=10).status)\n\
                  except urllib.error.HTTPError as e:\n print(e.code)";
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c", script, url])
        .output()?;
    let s = String::from_utf8_lossy(&out.stdout);
    Ok(s.trim()
        .parse()
        .map_err(|_| format!("{url}: {s} {}", String::from_utf8_lossy(&out.stderr)))?)
}

#[test]
fn fetch_parallel_runs_against_a_server_in_another_network_namespace() -> TestResult {
    let mut ns = match make_netns() {
        Ok(ns) => ns,
        Err(why) => {
            assert!(
                std::env::var_os("ASYNCBENCH_REQUIRE_NETNS").is_none(),
                "ASYNCBENCH_REQUIRE_NETNS is set but namespaces cannot be created: {why}"
            );
            eprintln!(
                "SKIPPED two-namespace test: cannot create network namespaces here ({why}); it needs root and \
                 iproute2 (scripts/ci-deps.sh)"
            );
            return Ok(());
        }
    };
    let plain = serve_in(&mut ns, &[])?;
    let faults = serve_in(&mut ns, &["--allow-remote-faults"])?;
    let client = ns.names[1].clone();

    // Fault controls: forbidden to the other host unless the server opted in.
    assert_eq!(status_from(&client, &format!("http://{plain}/health"))?, 200);
    assert_eq!(status_from(&client, &format!("http://{plain}/stall/1"))?, 403);
    assert_eq!(status_from(&client, &format!("http://{faults}/stall/1"))?, 200);
    // The host's own namespace has no route to the pair: traffic stays inside the two.
    assert!(
        std::net::TcpStream::connect_timeout(&plain, Duration::from_millis(300)).is_err(),
        "the server namespace is reachable from outside it"
    );

    let root = tempfile::tempdir()?;
    let scenarios = tiny_scenarios(root.path())?;
    let addr = plain.to_string();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("netns"),
        OsStr::new("exec"),
        OsStr::new(&client),
        OsStr::new(env!("CARGO_BIN_EXE_asyncbench")),
    ];
    args.extend(run_args(&addr, &scenarios, root.path()));
    args.push(OsStr::new("--allow-remote"));
    let out = Command::new("ip").args(&args).output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());

    let summary: Value = serde_json::from_str(&fs::read_to_string(dir.join("summary.json"))?)?;
    let rows = summary["results"].as_array().ok_or("results")?;
    let fetch: Vec<&Value> = rows.iter().filter(|r| r["scenario"] == "fetch_parallel").collect();
    assert!(!fetch.is_empty(), "{summary}");
    for r in fetch {
        assert!(r["samples"].as_u64().unwrap_or(0) > 0, "{r}");
        assert_eq!(r["errors"].as_u64(), Some(0), "{r}");
    }
    let env: EnvInfo = serde_json::from_str(&fs::read_to_string(dir.join("env.json"))?)?;
    let remote = env.remote_server.ok_or("no remote_server in env.json")?;
    assert_eq!((remote.addr.as_str(), remote.loopback), (addr.as_str(), false));
    let fp = remote
        .fingerprint
        .ok_or_else(|| format!("{:?}", remote.fingerprint_error))?;
    assert_eq!(fp.addr, addr);
    let md = fs::read_to_string(dir.join("REPORT.md"))?;
    assert!(md.contains("external server") && md.contains("another host"), "{md}");
    Ok(())
}
