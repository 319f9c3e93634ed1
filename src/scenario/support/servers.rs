//! The servers the guide builds by hand, written once for every runtime and
//! started on the runtime under test: the line-based chat server with
//! broadcast and the UDP echo server. Both stop when their owner is dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::runtime::{Listener, Runtime, UdpSock};

/// Longest line the chat server accepts; a longer one ends that client's
/// session (the guide's `readline` has no limit; a server should).
pub const MAX_LINE: usize = 64 * 1024;
/// Lines queued for one client before a broadcaster waits for it: the
/// counterpart of the guide's `await client.drain()` backpressure.
const PEER_QUEUE: usize = 1024;
/// A writer gathers up to this many queued bytes into one write.
const COALESCE: usize = 16 * 1024;

/// Dropping it tells every task holding the matching [`Stopped`] to end, so
/// a server needs no async shutdown (a `Drop` cannot await) and leaves no
/// task behind even on async-std's process-wide executor.
struct Stop {
    _tx: async_channel::Sender<()>,
}

#[derive(Clone)]
struct Stopped(async_channel::Receiver<()>);

fn stop_pair() -> (Stop, Stopped) {
    let (tx, rx) = async_channel::bounded(1);
    (Stop { _tx: tx }, Stopped(rx))
}

impl Stopped {
    /// Runs `f` unless the owner goes away first (`None` then).
    async fn unless<F: Future>(&self, f: F) -> Option<F::Output> {
        let stop = async {
            // Nothing is ever sent: this resolves when the sender is dropped.
            let _ = self.0.recv().await;
            None
        };
        crate::runtime::first_of(async { Some(f.await) }, stop).await
    }
}

/// One client's queue of outgoing lines.
type Outbox = async_channel::Sender<Arc<[u8]>>;

/// Who is connected, and each one's outgoing queue.
#[derive(Default)]
struct Hub {
    peers: Mutex<Vec<(u64, Outbox)>>,
    next_id: AtomicU64,
    lines: AtomicU64,
    accept_errors: AtomicU64,
}

impl Hub {
    fn peers(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Outbox)>> {
        // A poisoned lock only means a panic elsewhere; the list is still valid.
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Everyone but `id`, copied so no lock is held while sending.
    fn others(&self, id: u64) -> Vec<Outbox> {
        self.peers()
            .iter()
            .filter(|(p, _)| *p != id)
            .map(|(_, tx)| tx.clone())
            .collect()
    }
}

/// The guide's chat server: every line a client sends is broadcast, prefixed
/// with `<sender id>: `, to every other connected client. Each client has a
/// reader task (lines in) and a writer task draining its own bounded queue
/// (lines out), so one slow socket never blocks the others' reads.
pub struct ChatServer {
    addr: SocketAddr,
    hub: Arc<Hub>,
    _stop: Stop,
}

impl ChatServer {
    /// Listens on `addr` (port 0: any free port) and serves on `rt`.
    pub async fn start<R: Runtime>(rt: &R, addr: SocketAddr) -> io::Result<ChatServer> {
        let listener = rt.listen(addr).await?;
        let addr = listener.local_addr()?;
        let hub = Arc::new(Hub::default());
        let (stop, stopped) = stop_pair();
        // Detached: the task ends when `stop` is dropped.
        drop(rt.spawn(accept_loop(rt.clone(), listener, hub.clone(), stopped)));
        Ok(ChatServer { addr, hub, _stop: stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Clients connected right now.
    pub fn clients(&self) -> usize {
        self.hub.peers().len()
    }

    /// Lines received from clients since the start.
    pub fn lines(&self) -> u64 {
        self.hub.lines.load(Ordering::Relaxed)
    }

    pub fn accept_errors(&self) -> u64 {
        self.hub.accept_errors.load(Ordering::Relaxed)
    }
}

async fn accept_loop<R: Runtime>(rt: R, listener: R::Listener, hub: Arc<Hub>, stopped: Stopped) {
    loop {
        match stopped.unless(listener.accept()).await {
            None => return,
            Some(Ok((stream, _))) => {
                // Numbered here, in accept order, not when the task first runs.
                let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
                drop(rt.spawn(serve_client(rt.clone(), id, stream, hub.clone(), stopped.clone())));
            }
            Some(Err(_)) => {
                // e.g. out of file descriptors: count it and back off briefly
                // rather than spinning.
                hub.accept_errors.fetch_add(1, Ordering::Relaxed);
                rt.sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

async fn serve_client<R: Runtime>(rt: R, id: u64, stream: R::Tcp, hub: Arc<Hub>, stopped: Stopped) {
    let (r, w) = stream.split();
    let (tx, rx) = async_channel::bounded(PEER_QUEUE);
    hub.peers().push((id, tx));
    drop(rt.spawn(write_loop(w, rx, stopped.clone())));
    stopped.unless(read_loop(r, id, &hub)).await;
    // Dropping the hub's sender lets the writer drain what is queued and end.
    hub.peers().retain(|(p, _)| *p != id);
}

async fn read_loop<Rd: AsyncRead + Unpin>(r: Rd, id: u64, hub: &Hub) {
    let mut reader = BufReader::new(r);
    let mut line = Vec::new();
    let prefix = format!("{id}: ");
    loop {
        line.clear();
        let limit = MAX_LINE as u64;
        match (&mut reader).take(limit).read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            // Too long, or cut short by the disconnect: not a line.
            Ok(_) if line.last() != Some(&b'\n') => return,
            Ok(_) => {}
        }
        hub.lines.fetch_add(1, Ordering::Relaxed);
        let msg: Arc<[u8]> = [prefix.as_bytes(), &line].concat().into();
        for tx in hub.others(id) {
            // A closed queue is a client that just left: skip it.
            let _ = tx.send(msg.clone()).await;
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(mut w: W, rx: async_channel::Receiver<Arc<[u8]>>, stopped: Stopped) {
    let run = async {
        let mut buf = Vec::with_capacity(COALESCE);
        while let Ok(m) = rx.recv().await {
            buf.clear();
            buf.extend_from_slice(&m);
            // Lines already queued go out in the same write.
            while buf.len() < COALESCE {
                match rx.try_recv() {
                    Ok(m) => buf.extend_from_slice(&m),
                    Err(_) => break,
                }
            }
            if w.write_all(&buf).await.is_err() {
                return;
            }
        }
        let _ = w.close().await;
    };
    stopped.unless(run).await;
}

/// The guide's UDP echo server: every datagram goes back to its sender.
pub struct UdpEchoServer {
    addr: SocketAddr,
    echoed: Arc<AtomicU64>,
    errors: Arc<AtomicUsize>,
    _stop: Stop,
}

/// Larger than any UDP payload, so no datagram is truncated.
const MAX_DATAGRAM: usize = 65_536;

impl UdpEchoServer {
    pub async fn start<R: Runtime>(rt: &R, addr: SocketAddr) -> io::Result<UdpEchoServer> {
        let sock = rt.udp_bind(addr).await?;
        let addr = sock.local_addr()?;
        let echoed = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = stop_pair();
        let (e, err, r) = (echoed.clone(), errors.clone(), rt.clone());
        drop(rt.spawn(async move {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            loop {
                match stopped.unless(sock.recv_from(&mut buf)).await {
                    None => return,
                    Some(Ok((n, from))) => match sock.send_to(&buf[..n], from).await {
                        Ok(_) => {
                            e.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            err.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    Some(Err(_)) => {
                        err.fetch_add(1, Ordering::Relaxed);
                        r.sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        }));
        Ok(UdpEchoServer {
            addr,
            echoed,
            errors,
            _stop: stop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Datagrams sent back so far.
    pub fn echoed(&self) -> u64 {
        self.echoed.load(Ordering::Relaxed)
    }

    /// Failed receives or sends on the server side.
    pub fn errors(&self) -> usize {
        self.errors.load(Ordering::Relaxed)
    }
}
