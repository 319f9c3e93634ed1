//! An HdrHistogram recorder: nanoseconds, 3 significant digits, auto-resize,
//! with 1-second interval histograms kept for the `.hlog`.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Significant value digits for every histogram in the harness (0.1% value
/// resolution at any magnitude).
pub(super) const SIGFIG: u8 = 3;
/// Length of one interval in the interval log.
pub(super) const INTERVAL: Duration = Duration::from_secs(1);

/// One closed interval of the interval log.
#[derive(Clone)]
pub struct IntervalHist {
    /// When the interval began: absolute, so the recorders of one case (and
    /// its rounds) share one time origin when the log is written.
    pub start: Instant,
    pub length: Duration,
    pub hist: Histogram<u64>,
}

/// Records durations in nanoseconds. Memory stays bounded whatever the count:
/// the histogram's size depends on the value range, not on the number of
/// samples, and intervals close every [`INTERVAL`].
#[derive(Clone)]
pub struct Recorder {
    total: Histogram<u64>,
    current: Histogram<u64>,
    current_start: Instant,
    intervals: Vec<IntervalHist>,
}

fn new_hist() -> Histogram<u64> {
    // `new` auto-resizes, so no value can be out of range.
    Histogram::new(SIGFIG).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        let now = Instant::now();
        Recorder {
            total: new_hist(),
            current: new_hist(),
            current_start: now,
            intervals: Vec::new(),
        }
    }

    /// Records one duration. Zero is stored as 1 ns: HdrHistogram's lowest
    /// trackable value is 1.
    pub fn record(&mut self, d: Duration) {
        self.record_ns(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn record_ns(&mut self, ns: u64) {
        let ns = ns.max(1);
        // With auto-resize the only failure is a value beyond u64 range.
        let _ = self.total.record(ns);
        let _ = self.current.record(ns);
    }

    /// Adds a histogram recorded elsewhere (the guide's Python side, with the
    /// same settings) as if each of its values had been recorded here.
    pub fn record_histogram(&mut self, h: &Histogram<u64>) {
        // Both auto-resize: adding cannot fail on range.
        let _ = self.total.add(h);
        let _ = self.current.add(h);
    }

    /// Closes the current interval if it is older than [`INTERVAL`]. Called by
    /// drivers between batches, never on the timed path.
    pub fn tick(&mut self) {
        if self.current_start.elapsed() >= INTERVAL {
            self.close_interval();
        }
    }

    fn close_interval(&mut self) {
        let now = Instant::now();
        if !self.current.is_empty() {
            let hist = std::mem::replace(&mut self.current, new_hist());
            self.intervals.push(IntervalHist {
                start: self.current_start,
                length: now - self.current_start,
                hist,
            });
        }
        self.current_start = now;
    }

    pub fn histogram(&self) -> &Histogram<u64> {
        &self.total
    }

    pub fn len(&self) -> u64 {
        self.total.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total.is_empty()
    }

    /// Closes the open interval and returns the total histogram and all
    /// intervals.
    pub fn finish(mut self) -> (Histogram<u64>, Vec<IntervalHist>) {
        self.close_interval();
        (self.total, self.intervals)
    }

    /// Adds everything `other` recorded (its total and its intervals) to
    /// this recorder: how the rounds of one case become one distribution.
    pub fn absorb(&mut self, other: Recorder) {
        self.close_interval();
        let (total, intervals) = other.finish();
        // Both auto-resize: adding cannot fail on range.
        let _ = self.total.add(&total);
        self.intervals.extend(intervals);
        self.intervals.sort_by_key(|i| i.start);
    }

    /// The earliest interval start, if anything was recorded.
    pub fn first_start(&self) -> Option<Instant> {
        let open = (!self.current.is_empty()).then_some(self.current_start);
        self.intervals.iter().map(|i| i.start).chain(open).min()
    }

    /// Forgets everything recorded so far (used to drop warm-up samples).
    pub fn reset(&mut self) {
        *self = Recorder::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_keeps_precision() {
        let mut r = Recorder::new();
        for us in 1..=1000u64 {
            r.record(Duration::from_micros(us));
        }
        let h = r.histogram();
        assert_eq!(h.len(), 1000);
        let p50 = h.value_at_quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.002, "p50 {p50}");
    }

    #[test]
    fn zero_and_huge_values_do_not_fail() {
        let mut r = Recorder::new();
        r.record(Duration::ZERO);
        r.record(Duration::from_secs(3600 * 24 * 365));
        assert_eq!(r.len(), 2);
        assert_eq!(r.histogram().min(), 1);
    }

    #[test]
    fn finish_closes_the_open_interval() {
        let mut r = Recorder::new();
        r.record_ns(5);
        let (total, intervals) = r.finish();
        assert_eq!(total.len(), 1);
        assert_eq!(intervals.len(), 1);
        assert_eq!(intervals[0].hist.len(), 1);
    }
}
