//! The chat_broadcast clients' side: the timestamped line each client
//! writes, the reader task that turns received lines into deliveries, and the
//! exactly-once tally of one round.

use std::collections::HashSet;
use std::io::Write as _;
use std::time::{Duration, Instant};

use futures::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::runtime::Runtime;
use crate::scenario::support::servers::MAX_LINE;

/// What one client read off its socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delivery {
    pub receiver: u32,
    /// `None`: a line that does not parse.
    pub msg: Option<(u64, u32, u32)>,
    pub latency: Duration,
}

/// Parses `"<id>: r<round> f<from> s<seq> t<ns> …"` (the server's prefix, then
/// what a client wrote).
pub(crate) fn parse(line: &[u8]) -> Option<(u64, u32, u32, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let (_, body) = text.split_once(": ")?;
    let mut it = body.split_ascii_whitespace();
    let mut field = |p: char| it.next()?.strip_prefix(p)?.parse::<u64>().ok();
    let (r, f, s, t) = (field('r')?, field('f')?, field('s')?, field('t')?);
    Some((r, u32::try_from(f).ok()?, u32::try_from(s).ok()?, t))
}

pub(crate) async fn client_reader<Rd: AsyncRead + Unpin>(
    r: Rd,
    me: u32,
    base: Instant,
    out: async_channel::Sender<Delivery>,
) {
    let mut reader = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader).take(MAX_LINE as u64).read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let now = base.elapsed();
        let (msg, latency) = match parse(&line) {
            Some((r, f, s, t)) => (Some((r, f, s)), now.saturating_sub(Duration::from_nanos(t))),
            None => (None, Duration::ZERO),
        };
        let d = Delivery {
            receiver: me,
            msg,
            latency,
        };
        if out.send(d).await.is_err() {
            return;
        }
    }
}

/// One client's line: fixed header, padded to `len` bytes with the newline.
pub(crate) fn line(round: u64, from: u32, seq: u32, ts: Duration, len: usize) -> Vec<u8> {
    let mut l = Vec::with_capacity(len);
    let _ = write!(l, "r{round} f{from} s{seq} t{} ", ts.as_nanos());
    l.resize(len.saturating_sub(1).max(l.len()), b'x');
    l.push(b'\n');
    l
}

/// Exactly-once bookkeeping for one round.
#[derive(Default)]
pub(crate) struct Tally {
    seen: HashSet<(u32, u32, u32)>,
    pub latencies: Vec<Duration>,
    pub duplicates: u64,
    pub misrouted: u64,
    pub late: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, d: Delivery, round: u64, clients: u32) {
        match d.msg {
            Some((r, _, _)) if r != round => self.late += 1,
            Some((_, from, seq)) if from != d.receiver && from < clients => {
                if self.seen.insert((d.receiver, from, seq)) {
                    self.latencies.push(d.latency);
                } else {
                    self.duplicates += 1;
                }
            }
            // Echoed to its own sender, or not a line any client wrote.
            _ => self.misrouted += 1,
        }
    }

    /// Takes deliveries until `want` distinct ones arrived or `deadline`.
    pub(crate) async fn collect<R: Runtime>(
        &mut self,
        rt: &R,
        rx: &async_channel::Receiver<Delivery>,
        want: usize,
        deadline: Instant,
        round: u64,
        clients: u32,
    ) {
        while self.latencies.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            match rt.timeout(left, rx.recv()).await {
                Ok(Ok(d)) => self.add(d, round, clients),
                // Timed out, or every reader is gone.
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_through_the_parser() {
        let l = line(7, 3, 42, Duration::from_nanos(123_456), 64);
        assert_eq!(l.len(), 64);
        let mut got = b"5: ".to_vec();
        got.extend_from_slice(&l);
        assert_eq!(parse(&got), Some((7, 3, 42, 123_456)));
        assert_eq!(parse(b"no prefix r1 f2 s3 t4\n"), None);
        assert_eq!(parse(b"1: r1 f2 s3\n"), None);
    }

    #[test]
    fn tally_counts_duplicates_misroutes_and_late_lines() {
        let d = |receiver, msg| Delivery {
            receiver,
            msg: Some(msg),
            latency: Duration::from_micros(5),
        };
        let mut t = Tally::default();
        t.add(d(1, (2, 0, 0)), 2, 3);
        t.add(d(1, (2, 0, 0)), 2, 3);
        t.add(d(0, (2, 0, 0)), 2, 3);
        t.add(d(2, (1, 0, 0)), 2, 3);
        t.add(d(2, (2, 7, 0)), 2, 3);
        assert_eq!((t.latencies.len(), t.duplicates, t.misrouted, t.late), (1, 1, 2, 1));
    }
}
