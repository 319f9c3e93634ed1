//! `GET /env`: the server's own environment fingerprint (machine, kernel, toolchain, commit, the
//! address it listens on), so a run against `asyncbench serve` on another host records what it
//! measured against ([`fetch_fingerprint`], into env.json's `remote_server`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

use super::Shared;
// The type lives with the on-disk format it is part of (env.json's `remote_server`), so the
// results layer never names the server.
pub use crate::results::env::ServerFingerprint;

/// The route that answers the fingerprint.
pub const ENV_ROUTE: &str = "/env";

/// `/env`'s body, collected on the first request (it runs git and rustc, so off the server's
/// worker threads) and kept.
pub(super) async fn body(shared: &Shared) -> Result<Bytes, String> {
    if let Some(b) = shared.fingerprint.get() {
        return Ok(b.clone());
    }
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let env = tokio::task::spawn_blocking(move || {
        crate::results::collect_env(profile, Path::new(env!("CARGO_MANIFEST_DIR")))
    })
    .await
    .map_err(|e| e.to_string())?;
    let fp = ServerFingerprint {
        addr: shared.addr.map_or_else(|| "unknown".into(), |a| a.to_string()),
        threads: shared.threads,
        allow_remote_faults: shared.allow_remote_faults,
        env,
    };
    let json = Bytes::from(serde_json::to_vec(&fp).map_err(|e| e.to_string())?);
    Ok(shared.fingerprint.get_or_init(|| json).clone())
}

/// Asks the server at `addr` for its fingerprint.
pub fn fetch_fingerprint(addr: SocketAddr, timeout: Duration) -> Result<ServerFingerprint, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://{addr}{ENV_ROUTE}");
    let mut resp = agent.get(&url).call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("GET {url}: {e}"))?;
    if status != 200 {
        return Err(format!("GET {url}: status {status}: {}", text.trim()));
    }
    serde_json::from_str(&text).map_err(|e| format!("GET {url}: not a fingerprint: {e}"))
}
