//! One side of a version A/B before anything is built: the crate must be in the project's
//! resolved graph (its Cargo.lock), and cargo must resolve the asked version in a scratch copy of
//! the manifest and lockfile (`cargo update -p <crate>@<locked> --precise <version>`), never in
//! the user's own files. Whatever cargo says when it cannot (no such version, a requirement that
//! blocks it) becomes a usage error naming the crate and version.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::VersionsError;
use crate::results::write_atomic;

/// Entries of the project root that a scratch copy does not link: its own manifest and
/// lockfile are copies, and build output, runs and version control stay out.
const NOT_LINKED: &[&str] = &["Cargo.toml", "Cargo.lock", "target", "results", ".git"];

/// The versions of `krate` that the lockfile text `lock` resolves, in file order.
pub fn locked_versions(lock: &str, krate: &str) -> Vec<String> {
    let Ok(table) = lock.parse::<toml::Table>() else {
        return Vec::new();
    };
    let packages = table.get("package").and_then(|p| p.as_array());
    packages
        .into_iter()
        .flatten()
        .filter(|p| p.get("name").and_then(|v| v.as_str()) == Some(krate))
        .filter_map(|p| p.get("version").and_then(|v| v.as_str()).map(str::to_string))
        .collect()
}

/// Every package name of a lockfile, for the "did you mean" of an unknown crate.
fn package_names(lock: &str) -> Vec<String> {
    let Ok(table) = lock.parse::<toml::Table>() else {
        return Vec::new();
    };
    let packages = table.get("package").and_then(|p| p.as_array());
    packages
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(|v| v.as_str()).map(str::to_string))
        .collect()
}

/// The major series cargo treats as compatible: `1.47.0` → "1", `0.7.2` → "0.7".
fn series(version: &str) -> String {
    let mut parts = version.split(['.', '-', '+']);
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_string(),
        _ => version.to_string(),
    }
}

/// Which locked copy of `krate` a `--precise version` moves: the only one, or the one in the
/// same compatible series where several are locked (async-io 1.x beside 2.x).
pub fn locked_spec(lock: &str, krate: &str, version: &str) -> Result<String, VersionsError> {
    let locked = locked_versions(lock, krate);
    match locked.as_slice() {
        [] => {
            let names = package_names(lock);
            let near = names
                .iter()
                .map(|n| (strsim::jaro_winkler(n, krate), n))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            Err(VersionsError::Usage(format!(
                "crate `{krate}` is not in this project's resolved dependency graph (Cargo.lock){near}"
            )))
        }
        [one] => Ok(format!("{krate}@{one}")),
        many => many
            .iter()
            .find(|v| series(v) == series(version))
            .map(|v| format!("{krate}@{v}"))
            .ok_or_else(|| {
                VersionsError::Usage(format!(
                    "crate `{krate}` is locked at {} and none is in the series of {version}: asyncbench versions \
                     moves one locked copy to a compatible version",
                    many.join(", ")
                ))
            }),
    }
}

/// A scratch copy of the project: its own Cargo.toml (made a workspace of its own) and
/// Cargo.lock, every other top-level entry a symbolic link to the real tree, so the build sees
/// the same sources and scenario files and the user's lockfile is never written. Made in place
/// (files rewritten atomically, links added where missing) so that two sessions of one version
/// can share it, and its path — which cargo's fingerprints of the crate include — stays put.
pub fn scratch_copy(project: &Path, dir: &Path) -> Result<(), VersionsError> {
    let io = |what: &str, p: &Path, e: std::io::Error| VersionsError::Io(format!("cannot {what} {}: {e}", p.display()));
    fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    let manifest = project.join("Cargo.toml");
    let mut text = fs::read_to_string(&manifest).map_err(|e| io("read", &manifest, e))?;
    // The scratch directory lies below the project's target/: without a [workspace] of its own,
    // cargo would look upward for one.
    if !text.contains("[workspace]") {
        text.push_str("\n[workspace]\n");
    }
    let atomic = |path: &Path, bytes: &[u8]| write_atomic(path, bytes).map_err(|e| VersionsError::Io(e.to_string()));
    atomic(&dir.join("Cargo.toml"), text.as_bytes())?;
    let lock = project.join("Cargo.lock");
    atomic(
        &dir.join("Cargo.lock"),
        &fs::read(&lock).map_err(|e| io("read", &lock, e))?,
    )?;
    for entry in fs::read_dir(project).map_err(|e| io("read", project, e))? {
        let entry = entry.map_err(|e| io("read", project, e))?;
        let name = entry.file_name();
        if NOT_LINKED.iter().any(|n| name == *n) {
            continue;
        }
        let link = dir.join(&name);
        if fs::read_link(&link).is_ok_and(|t| t == entry.path()) {
            continue;
        }
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(entry.path(), &link).map_err(|e| io("link", &link, e))?;
    }
    Ok(())
}

/// Moves `krate` to `version` in the scratch copy at `dir` with cargo's own resolution. A
/// version cargo cannot select is a usage error carrying cargo's reason (which requirement of
/// which package blocks it).
pub fn update_precise(dir: &Path, krate: &str, version: &str) -> Result<(), VersionsError> {
    let lock_path = dir.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", lock_path.display())))?;
    let spec = locked_spec(&lock, krate, version)?;
    if spec.ends_with(&format!("@{version}")) {
        // Already the locked version: nothing to resolve.
        return Ok(());
    }
    let out = Command::new(cargo())
        .current_dir(dir)
        .args(["update", "-p", &spec, "--precise", version])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| VersionsError::Io(format!("cannot run cargo update in {}: {e}", dir.display())))?;
    if out.status.success() {
        return Ok(());
    }
    let reason: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.trim_start().starts_with("Updating") && !l.contains("Blocking waiting"))
        .map(|l| format!("  {l}"))
        .collect();
    // Cargo words a version missing from the index as a missing package: say it plainly.
    let missing = if reason.iter().any(|l| l.contains("no matching package named")) {
        format!("{krate} {version} is not in the registry index; ")
    } else {
        String::new()
    };
    Err(VersionsError::Usage(format!(
        "{missing}{krate} {version} does not resolve with this project's dependencies (`cargo update -p {spec} --precise \
         {version}` in a scratch copy); cargo says:\n{}",
        reason.join("\n")
    )))
}

/// The cargo that built this tool's caller (`CARGO` under cargo), else the one on PATH.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "async-io"
version = "1.13.0"

[[package]]
name = "async-io"
version = "2.5.0"

[[package]]
name = "tokio"
version = "1.54.1"
"#;

    #[test]
    fn the_locked_copy_in_the_asked_series_is_moved() {
        assert_eq!(locked_spec(LOCK, "tokio", "1.51.0").unwrap(), "tokio@1.54.1");
        assert_eq!(locked_spec(LOCK, "async-io", "2.4.0").unwrap(), "async-io@2.5.0");
        assert_eq!(locked_spec(LOCK, "async-io", "1.12.0").unwrap(), "async-io@1.13.0");
        let e = locked_spec(LOCK, "async-io", "3.0.0").unwrap_err().to_string();
        assert!(e.contains("1.13.0, 2.5.0"), "{e}");
    }

    #[test]
    fn an_unknown_crate_is_named_with_the_nearest_locked_one() {
        let e = locked_spec(LOCK, "tokyo", "1.0.0").unwrap_err();
        assert!(matches!(e, VersionsError::Usage(_)));
        let msg = e.to_string();
        assert!(msg.contains("`tokyo`") && msg.contains("did you mean `tokio`"), "{msg}");
    }

    #[test]
    fn series_follow_cargos_compatibility() {
        assert_eq!(series("1.47.0"), "1");
        assert_eq!(series("0.7.20"), "0.7");
    }
}
