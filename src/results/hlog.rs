//! The `.hlog` HdrHistogram interval log (format version 1.3: one V2 + DEFLATE, base64-encoded
//! histogram per line), as written by Java's `HistogramLogWriter` and read by
//! `HistogramLogProcessor`, HdrHistogramVisualizer and friends. The encoding itself is the
//! hdrhistogram crate's; this file only arranges headers and maps errors.

use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};

use super::ResultsError;

/// The header Java writes with `outputLogFormatVersion()`.
const FORMAT_VERSION_LINE: &str = "[Histogram log format version 1.3]";
/// The column legend Java writes with `outputLegend()`, just before the first interval.
const LEGEND: &str = "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";

/// One interval's histogram.
#[derive(Debug, Clone)]
pub struct Interval {
    /// When the interval began, measured from the run start passed to [`write_hlog`].
    pub start_offset: Duration,
    /// How long the interval lasted.
    pub length: Duration,
    /// The values recorded in it (ns).
    pub hist: Histogram<u64>,
}

/// Writes an interval log: `#comment` lines, the format-version line, `#[StartTime: …]` and
/// `#[BaseTime: …]` (both `start_time`, so each interval's timestamp is its `start_offset` in
/// seconds), the column legend, then one untagged line per interval.
///
/// `max_value_divisor` only scales the human-readable `Interval_Max` column; the encoded
/// histogram keeps full resolution. Java's `HistogramLogWriter` divides by 1e6 by default
/// (nanoseconds shown as milliseconds), and asyncbench, which records nanoseconds, passes 1e6
/// too. The crate then adds a `#[MaxValueDivisor: …]` comment so the scaling is documented in
/// the file itself.
pub fn write_hlog(
    start_time: SystemTime,
    intervals: &[Interval],
    max_value_divisor: f64,
    comment: &str,
) -> Result<Vec<u8>, ResultsError> {
    let encode_err = |msg: String| ResultsError::Encode { path: None, msg };
    let mut buf: Vec<u8> = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut builder = IntervalLogWriterBuilder::new();
        if !comment.is_empty() {
            let _ = builder.add_comment(comment);
        }
        let _ = builder
            .add_comment(FORMAT_VERSION_LINE)
            .with_start_time(start_time)
            .with_base_time(start_time)
            .with_max_value_divisor(max_value_divisor);
        let mut writer = builder
            .begin_log_with(&mut buf, &mut serializer)
            .map_err(|e| encode_err(e.to_string()))?;
        for iv in intervals {
            writer
                .write_histogram(&iv.hist, iv.start_offset, iv.length, None)
                .map_err(|e| encode_err(e.to_string()))?;
        }
    }
    // The crate has no legend writer, and its log writer holds `buf` until dropped, so the
    // legend is spliced in afterwards where Java puts it: after the last header (`#`) line,
    // before the first interval line.
    let mut pos = 0;
    while pos < buf.len() && buf[pos] == b'#' {
        pos = match buf[pos..].iter().position(|&b| b == b'\n') {
            Some(nl) => pos + nl + 1,
            None => buf.len(),
        };
    }
    let _ = buf.splice(pos..pos, LEGEND.bytes());
    Ok(buf)
}

/// Reads an interval log back into `(start offset, length, histogram)` per interval.
///
/// Offsets are relative to the log's BaseTime when it has one (as ours do). Without BaseTime,
/// Java's `HistogramLogReader` heuristic applies: timestamps more than a year below StartTime
/// are already offsets, larger ones are absolute and StartTime is subtracted. Without either,
/// timestamps are returned as written.
pub fn read_hlog(bytes: &[u8]) -> Result<Vec<(Duration, Duration, Histogram<u64>)>, String> {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    let mut base_time: Option<Duration> = None;
    let mut start_time: Option<Duration> = None;
    let mut deserializer = Deserializer::new();
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(bytes) {
        let entry = entry.map_err(|e| match e {
            LogIteratorError::ParseError { offset } => {
                format!("cannot parse interval log at byte {offset}")
            }
        })?;
        match entry {
            LogEntry::StartTime(t) => start_time = Some(t),
            LogEntry::BaseTime(t) => base_time = Some(t),
            LogEntry::Interval(ilh) => {
                let n = out.len() + 1;
                let raw = decode_base64(ilh.encoded_histogram()).map_err(|e| format!("interval {n}: {e}"))?;
                let hist: Histogram<u64> = deserializer
                    .deserialize(&mut raw.as_slice())
                    .map_err(|e| format!("interval {n}: cannot decode histogram: {e}"))?;
                let ts = ilh.start_timestamp();
                let offset = match (base_time, start_time) {
                    (Some(_), _) | (None, None) => ts,
                    (None, Some(st)) if ts.saturating_add(YEAR) < st => ts,
                    (None, Some(st)) => ts.saturating_sub(st),
                };
                out.push((offset, ilh.duration(), hist));
            }
        }
    }
    Ok(out)
}

/// The interval lines hold standard-alphabet base64 (RFC 4648 §4).
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim_end())
        .map_err(|e| format!("invalid base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_log_has_headers_and_legend() -> Result<(), Box<dyn std::error::Error>> {
        let bytes = write_hlog(SystemTime::UNIX_EPOCH, &[], 1e6, "line one\nline two")?;
        let text = String::from_utf8(bytes)?;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#line one");
        assert_eq!(lines[1], "#line two");
        assert_eq!(lines[2], "#[Histogram log format version 1.3]");
        assert!(lines[3].starts_with("#[StartTime: 0.000 "));
        assert_eq!(lines.last().copied(), Some(LEGEND.trim_end()));
        assert_eq!(read_hlog(text.as_bytes()).map(|v| v.len()), Ok(0));
        Ok(())
    }

    #[test]
    fn absolute_timestamps_are_made_relative_to_start_time() -> Result<(), Box<dyn std::error::Error>> {
        let mut h = Histogram::<u64>::new(3)?;
        h.record(5)?;
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let bytes = write_hlog(start, &[], 1.0, "")?;
        // A foreign log without BaseTime, with absolute interval timestamps.
        let text = String::from_utf8(bytes)?.replace("#[BaseTime", "#[Ignored");
        let encoded = {
            let iv = Interval {
                start_offset: Duration::ZERO,
                length: Duration::from_secs(1),
                hist: h,
            };
            let b = write_hlog(start, &[iv], 1.0, "")?;
            let s = String::from_utf8(b)?;
            s.lines().last().and_then(|l| l.rsplit(',').next()).map(str::to_string)
        };
        let line = format!("1700000002.500,1.000,5.000,{}\n", encoded.unwrap_or_default());
        let parsed = read_hlog(format!("{text}{line}").as_bytes())?;
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].0, Duration::from_millis(2500));
        assert_eq!(parsed[0].2.len(), 1);
        Ok(())
    }

    #[test]
    fn hlog_reader_rejects_garbage() {
        assert!(read_hlog(b"0.000,1.000,2.000,!!!notbase64\n").is_err());
        assert!(read_hlog(b"0.000,1.000,2.000,AAAA\n").is_err());
        assert!(read_hlog(b"this is not a log\n").is_err());
    }
}
