//! Progress on stderr: what is running, how many cases are done, how long it has taken and
//! roughly how long is left. An indicatif bar when stderr is a terminal that nobody else writes
//! to (`asyncbench run`); plain lines otherwise (CI logs, pipes, and under criterion, whose own
//! output on the same terminal would tear a redrawn bar). Plain lines are few: one when a
//! scenario starts, and one every [`HEARTBEAT`] within a long scenario, so a CI log of the whole
//! catalogue stays readable (a line per round was 729 lines).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

const TEMPLATE: &str = "[{elapsed_precise}] {bar:30} {pos}/{len} rounds, ~{eta} left  {msg}";

/// Within one scenario, plain lines say what runs at most this often. Five minutes: no scenario
/// of the catalogue runs that long on the defaults, so a whole run prints one line a scenario,
/// while a scenario made long by its file still shows it is alive well inside the 10 minutes of
/// silence after which some CI services end a job.
pub const HEARTBEAT: Duration = Duration::from_secs(300);

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    started: Instant,
    /// Plain lines: the scenario of the last line and when it was printed.
    last: std::cell::RefCell<Option<(String, Instant)>>,
}

impl Progress {
    pub fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
                b.set_style(style);
            }
            // Keeps the elapsed time moving during a long case.
            b.enable_steady_tick(Duration::from_millis(500));
            b
        });
        Progress {
            bar,
            total,
            done: 0,
            started: Instant::now(),
            last: std::cell::RefCell::new(None),
        }
    }

    /// Switches to plain lines, for callers that share the terminal with other output
    /// (criterion prints its estimates to stdout between our updates).
    pub fn use_plain_lines(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    /// Announces the case about to run (`scenario/variant/runtime`).
    pub fn start(&self, what: &str) {
        match &self.bar {
            Some(b) => b.set_message(what.to_string()),
            None => {
                if let Some(line) = self.plain_line(what, Instant::now()) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// The plain line for `what` starting at `now`, if one is due: the scenario's first case, or
    /// [`HEARTBEAT`] after the last line.
    fn plain_line(&self, what: &str, now: Instant) -> Option<String> {
        let scenario = what.split('/').next().unwrap_or(what);
        let mut last = self.last.borrow_mut();
        let due = match &*last {
            Some((s, at)) => s != scenario || now.duration_since(*at) >= HEARTBEAT,
            None => true,
        };
        if !due {
            return None;
        }
        let new_scenario = last.as_ref().is_none_or(|(s, _)| s != scenario);
        *last = Some((scenario.to_string(), now));
        Some(if new_scenario {
            format!("asyncbench: [{}] {scenario}", self.status())
        } else {
            format!("asyncbench: [{}] {what}", self.status())
        })
    }

    /// A round that will not run after all (its case failed earlier): the total shrinks.
    pub fn skip_case(&mut self) {
        self.skip_rounds(1);
    }

    /// `n` rounds counted in the total will not run (a stage-2 plan cut short by its budget).
    pub fn skip_rounds(&mut self, n: u64) {
        self.set_total(self.total.saturating_sub(n));
    }

    /// `n` more rounds will run (stage 2 of the adaptive rounds, once it is planned).
    pub fn add_rounds(&mut self, n: u64) {
        self.set_total(self.total + n);
    }

    fn set_total(&mut self, total: u64) {
        self.total = total;
        if let Some(b) = &self.bar {
            b.set_length(self.total);
        }
    }

    pub fn finish_case(&mut self) {
        self.done += 1;
        if let Some(b) = &self.bar {
            b.set_position(self.done);
        }
    }

    /// Prints a line without tearing the bar.
    pub fn line(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    pub fn done(&self) {
        match &self.bar {
            Some(b) => b.finish_and_clear(),
            None => eprintln!(
                "asyncbench: {} of {} rounds in {}",
                self.done,
                self.total,
                clock(self.started.elapsed())
            ),
        }
    }

    /// "3/40 rounds, 0:42 elapsed, ~9:10 left": the estimate assumes the remaining cases take as long
    /// as the finished ones did on average, and is left out until one has finished.
    fn status(&self) -> String {
        let elapsed = self.started.elapsed();
        let mut s = format!(
            "{}/{} rounds, {} elapsed",
            (self.done + 1).min(self.total.max(1)),
            self.total,
            clock(elapsed)
        );
        if self.done > 0 && self.total > self.done {
            let left = elapsed.mul_f64((self.total - self.done) as f64 / self.done as f64);
            s.push_str(&format!(", ~{} left", clock(left)));
        }
        s
    }
}

/// "m:ss", or "h:mm:ss" from an hour on.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_status() {
        assert_eq!(clock(Duration::from_secs(42)), "0:42");
        assert_eq!(clock(Duration::from_secs(550)), "9:10");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
        let mut p = Progress::new(4);
        p.use_plain_lines();
        assert!(p.status().starts_with("1/4 rounds, 0:00 elapsed"), "{}", p.status());
        assert!(!p.status().contains("left"));
        p.finish_case();
        assert!(
            p.status().starts_with("2/4 rounds,") && p.status().contains("left"),
            "{}",
            p.status()
        );
    }

    #[test]
    fn plain_lines_one_per_scenario_and_a_heartbeat() {
        let mut p = Progress::new(100);
        p.use_plain_lines();
        let t0 = Instant::now();
        let mut lines = 0;
        for (i, what) in [
            "a/x/tokio-ct",
            "a/y/smol-ct",
            "a/x/smol-ct",
            "b/x/tokio-ct",
            "b/y/tokio-ct",
        ]
        .iter()
        .enumerate()
        {
            lines += usize::from(p.plain_line(what, t0 + Duration::from_millis(i as u64)).is_some());
        }
        assert_eq!(lines, 2, "one line per scenario");
        let beat = p.plain_line("b/z/async-std", t0 + HEARTBEAT + Duration::from_secs(1));
        assert!(beat.is_some_and(|l| l.ends_with("b/z/async-std")));
    }
}
