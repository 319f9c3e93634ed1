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

/// What else moved when a side resolved: a package whose locked requirement blocked the asked
/// version, unlocked so that cargo could pick a release that accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub name: String,
    pub from: String,
    pub to: String,
}

/// Blockers unlocked at most before giving up: each retry names one more.
const MAX_UNLOCKED: usize = 8;

/// Moves `krate` to `version` in the scratch copy at `dir` with cargo's own resolution, and
/// returns the other packages that had to move with it.
///
/// First `cargo update -p <crate>@<locked> --precise <version>`: every other package stays as
/// locked. Where a locked package's requirement blocks the version (tokio-util 0.7.20 asks tokio
/// ≥ 1.51), that package is unlocked too: the scratch manifest gets a pin `<crate> = "=<version>"`
/// (as a `cfg(all())` target dependency, so the real entry and its features stay untouched) and
/// `cargo update -p <crate> -p <blocker>…` lets cargo choose the blockers' newest releases that
/// accept it, all else still locked. The pin is then removed and the lockfile settled against
/// the project's own manifest. A version cargo still cannot select — absent from the index, or
/// excluded by the project's own requirement — is a usage error carrying cargo's reason.
pub fn update_precise(dir: &Path, krate: &str, version: &str) -> Result<Vec<Moved>, VersionsError> {
    let lock_path = dir.join("Cargo.lock");
    let read_lock = || {
        fs::read_to_string(&lock_path)
            .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", lock_path.display())))
    };
    let before = read_lock()?;
    let spec = locked_spec(&before, krate, version)?;
    if spec.ends_with(&format!("@{version}")) {
        // Already the locked version: nothing to resolve.
        return Ok(Vec::new());
    }
    let precise = ["update", "-p", spec.as_str(), "--precise", version];
    if let Err(mut stderr) = cargo_in(dir, &precise)? {
        let root = root_package(dir);
        let mut unlocked: Vec<String> = Vec::new();
        while let Some(blocker) = blocker(&stderr) {
            let name = blocker.split_once('@').map_or(blocker.as_str(), |(n, _)| n).to_string();
            if root.as_deref() == Some(name.as_str()) || unlocked.contains(&blocker) || unlocked.len() >= MAX_UNLOCKED {
                break;
            }
            unlocked.push(blocker);
            let manifest = dir.join("Cargo.toml");
            let original = fs::read_to_string(&manifest)
                .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", manifest.display())))?;
            let pinned = format!(
                "{original}\n# asyncbench versions: pin while the blockers are unlocked\n[target.'cfg(all())'.dependencies]\n\
                 {krate} = {{ version = \"={version}\", default-features = false }}\n"
            );
            write_atomic(&manifest, pinned.as_bytes()).map_err(|e| VersionsError::Io(e.to_string()))?;
            let mut args = vec!["update".to_string(), "-p".into(), spec.clone()];
            for b in &unlocked {
                args.extend(["-p".to_string(), b.clone()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let tried = cargo_in(dir, &args);
            // The project's manifest again, whatever happened; the lockfile is settled against it.
            write_atomic(&manifest, original.as_bytes()).map_err(|e| VersionsError::Io(e.to_string()))?;
            match tried? {
                Ok(()) => {
                    cargo_in(dir, &["metadata", "--format-version", "1"])?.map_err(|e| {
                        VersionsError::Io(format!("cargo metadata could not settle the scratch lockfile:\n{e}"))
                    })?;
                    let after = read_lock()?;
                    if !locked_versions(&after, krate).iter().any(|v| v == version) {
                        return Err(VersionsError::Io(format!(
                            "{krate} {version} resolved with its blockers unlocked, then moved when the lockfile was \
                             settled against the project's manifest"
                        )));
                    }
                    return Ok(moved(&before, &after, krate));
                }
                Err(e) => stderr = e,
            }
        }
        return Err(refusal(krate, version, &spec, &stderr, root.as_deref()));
    }
    Ok(moved(&before, &read_lock()?, krate))
}

/// Replaces `name` by the local copy at `path` in the scratch copy at `dir` (`[patch.crates-io]`
/// in its manifest) and settles its lockfile on it, every other package as locked. A copy cargo
/// does not use (its version outside the locked requirement) is a usage error.
pub fn apply_patch(dir: &Path, name: &str, path: &Path) -> Result<(), VersionsError> {
    let manifest = dir.join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|e| VersionsError::Io(format!("cannot read {}: {e}", manifest.display())))?;
    if text.contains("[patch.crates-io]") {
        return Err(VersionsError::Usage(
            "--patch-b: the project's manifest has a [patch.crates-io] of its own".into(),
        ));
    }
    let path_text = path
        .to_str()
        .ok_or_else(|| VersionsError::Usage(format!("--patch-b: {} is not valid UTF-8", path.display())))?;
    let patched = format!(
        "{text}\n# asyncbench versions --patch-b\n[patch.crates-io]\n{name} = {{ path = {} }}\n",
        toml::Value::String(path_text.to_string())
    );
    write_atomic(&manifest, patched.as_bytes()).map_err(|e| VersionsError::Io(e.to_string()))?;
    let out = Command::new(cargo())
        .current_dir(dir)
        .args(["metadata", "--format-version", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| VersionsError::Io(format!("cannot run cargo metadata in {}: {e}", dir.display())))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stderr.contains("was not used in the crate graph") {
        return Err(VersionsError::Usage(format!(
            "--patch-b {name}={}: cargo does not use the copy in place of the locked {name}; cargo says:\n{}",
            path.display(),
            stderr.trim_end()
        )));
    }
    Ok(())
}

/// Runs cargo in `dir`: `Ok(Err(stderr))` when it ran and failed.
fn cargo_in(dir: &Path, args: &[&str]) -> Result<Result<(), String>, VersionsError> {
    let out = Command::new(cargo())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| VersionsError::Io(format!("cannot run cargo {} in {}: {e}", args[0], dir.display())))?;
    Ok(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// The package whose requirement blocked a resolution, as cargo names it ("required by package
/// `tokio-util v0.7.20`" → `tokio-util@0.7.20`); `None` when cargo names none.
pub fn blocker(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("required by package `"))?;
    let pkg = line.split('`').next()?;
    let (name, version) = pkg.split_once(" v")?;
    let version = version.split_whitespace().next()?;
    Some(format!("{name}@{version}"))
}

/// The project's own package name (its requirement is not one to unlock).
fn root_package(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let table: toml::Table = text.parse().ok()?;
    Some(table.get("package")?.get("name")?.as_str()?.to_string())
}

/// Packages other than `krate` whose locked versions changed between two lockfiles. Packages
/// only added (the new version's own dependencies, or a second copy beside the locked one) or
/// only removed are not moves: nothing that was locked took another version.
pub fn moved(before: &str, after: &str, krate: &str) -> Vec<Moved> {
    let versions = |lock: &str| -> std::collections::BTreeMap<String, Vec<String>> {
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for name in package_names(lock) {
            out.entry(name.clone()).or_insert_with(|| locked_versions(lock, &name));
        }
        out
    };
    let (b, a) = (versions(before), versions(after));
    let names: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    names
        .into_iter()
        .filter(|n| n.as_str() != krate)
        .filter(|n| match (b.get(*n), a.get(*n)) {
            (Some(x), Some(y)) => !x.iter().all(|v| y.contains(v)) && !y.iter().all(|v| x.contains(v)),
            _ => false,
        })
        .map(|n| {
            let list = |m: &std::collections::BTreeMap<String, Vec<String>>| {
                m.get(n).map_or_else(|| "—".to_string(), |v| v.join(", "))
            };
            Moved {
                name: n.clone(),
                from: list(&b),
                to: list(&a),
            }
        })
        .collect()
}

/// The usage error of a version cargo cannot select, carrying cargo's reason.
fn refusal(krate: &str, version: &str, spec: &str, stderr: &str, root: Option<&str>) -> VersionsError {
    let reason: Vec<String> = stderr
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
    let blocked = match blocker(stderr) {
        Some(b) if root.is_some_and(|r| b.starts_with(&format!("{r}@"))) => {
            " (blocked by this project's own requirement in Cargo.toml)".to_string()
        }
        Some(b) => format!(" (blocked by a requirement of {b})"),
        None => String::new(),
    };
    VersionsError::Usage(format!(
        "{missing}{krate} {version} does not resolve with this project's dependencies{blocked} (`cargo update -p \
         {spec} --precise {version}` in a scratch copy, then with the blocking packages unlocked); cargo says:\n{}",
        reason.join("\n")
    ))
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
    fn cargo_names_the_blocking_package() {
        let stderr = "    Updating crates.io index\nerror: failed to select a version for the requirement `tokio = \"^1.51.0\"`\n\
                      candidate versions found which didn't match: 1.47.0\nlocation searched: crates.io index\n\
                      required by package `tokio-util v0.7.20`\n    ... which satisfies dependency `tokio-util = \"^0.7\"` \
                      (locked to 0.7.20) of package `asyncbench v0.1.0 (/tmp/x)`\n";
        assert_eq!(blocker(stderr).as_deref(), Some("tokio-util@0.7.20"));
        assert_eq!(blocker("error: no matching package named `tokio` found"), None);
    }

    #[test]
    fn only_packages_that_took_another_version_moved() {
        let before = "[[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\n\n[[package]]\nname = \"tokio-util\"\n\
                      version = \"0.7.20\"\n\n[[package]]\nname = \"windows-sys\"\nversion = \"0.61.2\"\n";
        let after = "[[package]]\nname = \"tokio\"\nversion = \"1.47.0\"\n\n[[package]]\nname = \"tokio-util\"\n\
                     version = \"0.7.19\"\n\n[[package]]\nname = \"windows-sys\"\nversion = \"0.59.0\"\n\n\
                     [[package]]\nname = \"windows-sys\"\nversion = \"0.61.2\"\n\n[[package]]\nname = \"gimli\"\n\
                     version = \"0.34.0\"\n";
        assert_eq!(
            moved(before, after, "tokio"),
            [Moved {
                name: "tokio-util".into(),
                from: "0.7.20".into(),
                to: "0.7.19".into()
            }]
        );
    }

    #[test]
    fn series_follow_cargos_compatibility() {
        assert_eq!(series("1.47.0"), "1");
        assert_eq!(series("0.7.20"), "0.7");
    }
}
