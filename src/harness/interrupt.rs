//! Ctrl-C during a run: the first signal lets no new case start, drops the
//! round in flight at its next batch boundary, and the run ends as usual
//! (table, report, directory on stdout) but partial, exit 130. A second
//! signal within [`GRACE`] is the same one (GNU `timeout` and a terminal's
//! Ctrl-C reach the process and its group, so one press can arrive twice); a
//! later one exits at once — the summary is rewritten after every round, so
//! nothing finished is lost.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static FIRST: OnceLock<Instant> = OnceLock::new();
static INSTALL: Once = Once::new();
/// The run in progress, named when a second signal ends the process at once.
static RUN_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Signals this soon after the first count as the first: long enough for a
/// signal sent to the process and then to its group, short enough that a
/// deliberate second Ctrl-C still ends the process.
pub const GRACE: Duration = Duration::from_secs(1);

/// What a signal at `since_first` after the first (None: it is the first) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Stop after the case in flight.
    Stop,
    /// A repeat of the first (within [`GRACE`]): nothing more to do.
    Repeat,
    /// Exit now.
    Quit,
}

/// The rule, apart from the handler so it can be tested.
pub fn meaning(since_first: Option<Duration>) -> Meaning {
    match since_first {
        None => Meaning::Stop,
        Some(d) if d < GRACE => Meaning::Repeat,
        Some(_) => Meaning::Quit,
    }
}

/// Installs the handler once per process. If another handler is already
/// installed (an embedding program), Ctrl-C keeps its default meaning.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            let since = if INTERRUPTED.swap(true, Ordering::SeqCst) {
                Some(FIRST.get().map_or(GRACE, Instant::elapsed))
            } else {
                let _ = FIRST.set(Instant::now());
                None
            };
            match meaning(since) {
                Meaning::Stop => eprintln!(
                    "asyncbench: interrupted: no new case starts; the round in flight is dropped and every \
                     finished round kept (Ctrl-C again after {} s to quit at once)",
                    GRACE.as_secs()
                ),
                Meaning::Repeat => {}
                Meaning::Quit => {
                    let dir = RUN_DIR.lock().ok().and_then(|d| d.clone());
                    match dir {
                        Some(d) => {
                            eprintln!(
                                "asyncbench: interrupted again, exiting now: {} keeps every finished round (partial)",
                                d.display()
                            );
                            println!("{}", d.display());
                        }
                        None => eprintln!("asyncbench: interrupted again, exiting now"),
                    }
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
            }
        });
    });
}

/// Names the run directory a second signal reports.
pub fn set_run_dir(dir: &std::path::Path) {
    if let Ok(mut d) = RUN_DIR.lock() {
        *d = Some(dir.to_path_buf());
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_signal_within_the_grace_period_is_the_first() {
        assert_eq!(meaning(None), Meaning::Stop);
        assert_eq!(meaning(Some(Duration::from_millis(5))), Meaning::Repeat);
        assert_eq!(meaning(Some(GRACE)), Meaning::Quit);
        assert_eq!(meaning(Some(GRACE * 3)), Meaning::Quit);
    }
}
