//! Progress on stderr: what is running, how many cases are done, how long it has taken and
//! roughly how long is left. An indicatif bar when stderr is a terminal that nobody else writes
//! to (`asyncbench run`); plain lines otherwise (CI logs, pipes, and under criterion, whose own
//! output on the same terminal would tear a redrawn bar).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

const TEMPLATE: &str = "[{elapsed_precise}] {bar:30} {pos}/{len} cases, ~{eta} left  {msg}";

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    started: Instant,
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
        }
    }

    /// Switches to plain lines, for callers that share the terminal with other output
    /// (criterion prints its estimates to stdout between our updates).
    pub fn use_plain_lines(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    /// Announces the case about to run.
    pub fn start(&self, what: &str) {
        match &self.bar {
            Some(b) => b.set_message(what.to_string()),
            None => eprintln!("asyncbench: [{}] {what}", self.status()),
        }
    }

    /// A case that will not run (filtered out): the total shrinks.
    pub fn skip_case(&mut self) {
        self.total = self.total.saturating_sub(1);
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
                "asyncbench: {} of {} cases in {}",
                self.done,
                self.total,
                clock(self.started.elapsed())
            ),
        }
    }

    /// "3/40, 0:42 elapsed, ~9:10 left": the estimate assumes the remaining cases take as long
    /// as the finished ones did on average, and is left out until one has finished.
    fn status(&self) -> String {
        let elapsed = self.started.elapsed();
        let mut s = format!("{}/{}, {} elapsed", self.done + 1, self.total, clock(elapsed));
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
        assert!(p.status().starts_with("1/4, 0:00 elapsed"), "{}", p.status());
        assert!(!p.status().contains("left"));
        p.finish_case();
        assert!(
            p.status().starts_with("2/4,") && p.status().contains("left"),
            "{}",
            p.status()
        );
    }
}
