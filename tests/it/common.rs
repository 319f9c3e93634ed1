//! Shared fixtures: scenario files built from the shipped ones ([`ScenarioToml`]), running every
//! case of a loaded scenario ([`run_cases`]), one named test per registered runtime
//! ([`each_runtime!`]), synthetic run directories ([`make_run`]), the test server's client side
//! ([`http`]) and checks of the files the binary writes.

use std::fs;
use std::path::Path;

#[macro_use]
mod matrix;
mod cases;
pub mod http;
mod runs;
mod scenario_toml;

pub use cases::{CaseOutcome, env, env_dead_server, env_no_server, run_cases, run_cases_cold};
pub use runs::{Case, catalogue, make_run};
pub use scenario_toml::{ScenarioToml, async_runtimes};

/// Held by a test that plants a host stall (truth_host's `SCHED_FIFO` spinner takes a CPU for
/// tens of milliseconds) and by a test whose assertion a stall beside it would break
/// (truth_wire's generator against the wire): the two never overlap in the one test binary.
pub static HOST_STALL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// [`HOST_STALL`], taken even if a test that held it panicked.
pub fn host_stall_lock() -> std::sync::MutexGuard<'static, ()> {
    HOST_STALL.lock().unwrap_or_else(|e| e.into_inner())
}

/// One tiny fetch_parallel case (tokio-ct, sequential, keep-alive, 2 × 1 ms): the smallest run
/// the CLI tests drive end to end.
pub const TINY_FETCH: &str = r#"scenario = "fetch_parallel"
guide_section = "Fetching multiple URLs"
runtimes = ["tokio-ct"]
variants = ["sequential"]
[params]
requests = 2
delay_ms = 1
bound = 1
timeout_ms = 2000
connections = ["keepalive"]
"#;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs the `asyncbench` binary; returns (exit code, stdout, stderr).
pub fn cli(args: &[&std::ffi::OsStr]) -> Result<(i32, String, String), Box<dyn std::error::Error>> {
    cli_env(&[], args)
}

/// [`cli`] with environment variables set for the command.
pub fn cli_env(
    env: &[(&str, &str)],
    args: &[&std::ffi::OsStr],
) -> Result<(i32, String, String), Box<dyn std::error::Error>> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asyncbench"))
        .args(args)
        .envs(env.iter().copied())
        .output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Checks a PNG decodes, has the expected size and is not blank (text and lines drew).
pub fn assert_png(path: &Path, size: (u32, u32)) -> TestResult {
    let decoder = png::Decoder::new(fs::File::open(path)?);
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf)?;
    assert_eq!((info.width, info.height), size, "{}", path.display());
    let pixels = &buf[..info.buffer_size()];
    let dark = pixels.chunks(3).filter(|p| p.iter().all(|&c| c < 100)).count();
    assert!(dark > 200, "{} looks blank ({dark} dark pixels)", path.display());
    Ok(())
}

pub fn assert_svg(path: &Path, must_contain: &str) -> TestResult {
    let text = fs::read_to_string(path)?;
    assert!(text.trim_start().starts_with("<svg"), "{}", path.display());
    assert!(text.trim_end().ends_with("</svg>"), "{}", path.display());
    assert!(text.contains("<text"), "no text in {}", path.display());
    assert!(text.contains(must_contain), "{} lacks {must_contain:?}", path.display());
    Ok(())
}
