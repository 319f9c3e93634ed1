//! Ctrl-C during a run: the first press lets the current case finish (or
//! stop early), saves what completed and exits with the run marked partial;
//! a second press exits at once (everything pushed so far is on disk).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Installs the handler once per process. If another handler is already
/// installed (an embedding program), Ctrl-C keeps its default meaning.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                eprintln!("asyncbench: interrupted again, exiting now");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!("asyncbench: interrupted: saving finished results (Ctrl-C again to quit at once)");
        });
    });
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
