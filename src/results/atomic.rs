//! Crash-safe file replacement: every results file is written through [`write_atomic`], so a
//! reader (or a run interrupted by Ctrl-C, OOM or power loss) sees either the old content or the
//! new content, never a half-written file.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::ResultsError;

/// Distinguishes temp files of concurrent writers inside one process (threads writing different
/// cases); the pid distinguishes processes sharing a results root.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Returns a temp-file name unique to this process and call, in `dir`, starting with `prefix`.
/// Shared with `run_dir` for the `latest` symlink swap.
pub(crate) fn unique_temp_path(dir: &Path, prefix: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{prefix}.tmp-{}-{n}", std::process::id()))
}

/// Writes `bytes` to `path` atomically: the data goes to `.{file}.tmp-{pid}-{counter}` in the
/// same directory (same filesystem, so the rename cannot degrade into a copy), is fsynced, and
/// is then renamed over `path`. On any failure the temp file is removed and the target is left
/// untouched. The parent directory must already exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let io_err = |source: io::Error| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io_err(io::Error::new(io::ErrorKind::InvalidInput, "path has no file name")))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = OsString::from(".");
    prefix.push(file_name);
    let tmp = unique_temp_path(dir, &prefix.to_string_lossy());

    let result = write_and_sync(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        // Best effort: the temp file may not exist if creating it was what failed.
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    // Persist the rename itself. Failing here means the data is in place but maybe not yet
    // durable; not worth failing a benchmark run over, so it is deliberately ignored.
    sync_dir(dir);
    Ok(())
}

fn write_and_sync(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    // create_new: never reuse (and so never clobber) a stale temp file of another writer.
    let mut f = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {
    // Directories cannot be opened for syncing on Windows; NTFS journals the rename.
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn replaces_content_and_leaves_no_temp_files() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("summary.json");
        write_atomic(&target, b"first")?;
        write_atomic(&target, b"second, longer content")?;
        assert_eq!(fs::read(&target)?, b"second, longer content");
        assert_eq!(entries(dir.path()), vec!["summary.json".to_string()]);
        Ok(())
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_target() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        let target = dir.path().join("gone").join("summary.json");
        let err = match write_atomic(&target, b"x") {
            Ok(()) => panic!("writing into a missing directory succeeded"),
            Err(e) => e,
        };
        assert!(err.to_string().contains(&target.display().to_string()), "{err}");
        assert_eq!(entries(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn temp_names_are_unique_and_hidden() {
        let a = unique_temp_path(Path::new("/x"), ".f");
        let b = unique_temp_path(Path::new("/x"), ".f");
        assert_ne!(a, b);
        let name = a.file_name().map(|n| n.to_string_lossy().into_owned());
        assert!(name.is_some_and(|n| n.starts_with(".f.tmp-")));
    }
}
