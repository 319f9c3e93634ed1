//! A sink that costs almost nothing per request: one thread, one epoll loop,
//! a canned `200 ok` written for every request head (`\r\n\r\n`) it reads.
//! It exists to measure the generator's own capacity — CPU per paced request
//! and its highest clean rate — with no real server in the way
//! ([`crate::sweep::capacity`]). Hand-written because what it must not do
//! (parse, route, allocate per request) is the point; it answers only GETs
//! without bodies, which is all the generator sends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::evloop::{Epoll, EventFd};
use crate::measure::placement::{self, CpuSet};

const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const LISTENER: u64 = 0;
const STOP: u64 = 1;
const FIRST: u64 = 2;

/// A running sink on loopback. Dropping it stops and joins its thread.
pub struct Sink {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    wake: Arc<EventFd>,
    served: Arc<AtomicU64>,
    join: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.wake.notify();
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Sink {
    /// Listens on an ephemeral loopback port; the thread is pinned to `cpus` when given.
    pub fn start(cpus: Option<CpuSet>) -> std::io::Result<Sink> {
        let l = TcpListener::bind(("127.0.0.1", 0))?;
        l.set_nonblocking(true)?;
        let addr = l.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(EventFd::new()?);
        let served = Arc::new(AtomicU64::new(0));
        let (s2, w2, n2) = (stop.clone(), wake.clone(), served.clone());
        let join = std::thread::Builder::new()
            .name("asyncbench-sink".into())
            .spawn(move || {
                crate::measure::alloc::exclude_current_thread();
                if let Some(c) = &cpus {
                    let _ = placement::pin_current_thread(c);
                }
                if let Err(e) = serve(l, &s2, &w2, &n2) {
                    eprintln!("asyncbench: the sink stopped: {e}");
                }
            })?;
        Ok(Sink {
            addr,
            stop,
            wake,
            served,
            join: Some(join),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

/// How far into `\r\n\r\n` the bytes read so far have matched.
fn count_heads(matched: &mut u8, bytes: &[u8]) -> u64 {
    let mut n = 0;
    for &b in bytes {
        *matched = match (*matched, b) {
            (0 | 2, b'\r') => *matched + 1,
            (1 | 3, b'\n') => *matched + 1,
            (_, b'\r') => 1,
            _ => 0,
        };
        if *matched == 4 {
            n += 1;
            *matched = 0;
        }
    }
    n
}

fn serve(l: TcpListener, stop: &AtomicBool, wake: &EventFd, served: &AtomicU64) -> std::io::Result<()> {
    let mut ep = Epoll::new()?;
    ep.add(l.as_raw_fd(), libc::EPOLLIN as u32, LISTENER)?;
    ep.add(wake.raw(), libc::EPOLLIN as u32, STOP)?;
    let mut conns: Vec<Option<(TcpStream, u8)>> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut out = Vec::with_capacity(64 * REPLY.len());
    let mut events = Vec::with_capacity(256);
    while !stop.load(Ordering::Acquire) {
        events.clear();
        events.extend(ep.wait(-1)?);
        for &(tok, _) in &events {
            match tok {
                LISTENER => {
                    while let Ok((s, _)) = l.accept() {
                        s.set_nonblocking(true)?;
                        let _ = s.set_nodelay(true);
                        ep.add(s.as_raw_fd(), libc::EPOLLIN as u32, FIRST + conns.len() as u64)?;
                        conns.push(Some((s, 0)));
                    }
                }
                STOP => {}
                t => {
                    let slot = &mut conns[(t - FIRST) as usize];
                    let Some((s, matched)) = slot.as_mut() else { continue };
                    let mut heads = 0;
                    let closed = loop {
                        match s.read(&mut buf) {
                            Ok(0) => break true,
                            Ok(n) => heads += count_heads(matched, &buf[..n]),
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(_) => break true,
                        }
                    };
                    out.clear();
                    for _ in 0..heads {
                        out.extend_from_slice(REPLY);
                    }
                    // Replies are tiny and the peer reads them at once: a full
                    // socket buffer means a stuck peer, which is dropped.
                    if (!out.is_empty() && s.write_all(&out).is_err()) || closed {
                        *slot = None;
                    }
                    served.fetch_add(heads, Ordering::Relaxed);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_counted_across_reads() {
        let mut m = 0;
        assert_eq!(count_heads(&mut m, b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HT"), 1);
        assert_eq!(count_heads(&mut m, b"TP/1.1\r\n\r"), 0);
        assert_eq!(count_heads(&mut m, b"\n"), 1);
        assert_eq!(count_heads(&mut m, b"\r\r\n\r\n"), 1);
    }
}
