//! The runtime layer: one `Runtime` trait, one file per flavour, and the only
//! module that names tokio, async-std or smol.
//!
//! A scenario is written once as `async fn …<R: Runtime>(rt: &R, …)`; [`visit`]
//! picks the flavour by name at run time and monomorphises the scenario for it.

mod adapters;
mod async_std_rt;
mod executor;
mod flavor;
pub mod offload;
mod smol_rt;
mod tokio_rt;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures::io::{AsyncRead, AsyncWrite};

use crate::measure::OpError;

pub use executor::CriterionExecutor;
pub use flavor::{
    AsyncFlavor, EXTERNAL_HOW_TO_ENABLE, ExternalFlavor, Flavor, Rgb, RuntimeEntry, RuntimeKind, UnknownFlavor,
};

impl Flavor {
    /// Which of the threads other runtimes leave in the process this one uses
    /// ([`crate::measure::foreign`]): async-std runs on its executor and async-io's reactor,
    /// smol on async-io's reactor, tokio and the blocking baselines on neither.
    pub fn process_threads(self) -> crate::measure::foreign::Uses {
        let (async_std, async_io) = match self {
            Flavor::Async(AsyncFlavor::AsyncStd) => (true, true),
            Flavor::Async(AsyncFlavor::SmolCt | AsyncFlavor::SmolMt) => (false, true),
            _ => (false, false),
        };
        crate::measure::foreign::Uses { async_std, async_io }
    }
}

/// A timeout fired before the wrapped future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out")]
pub struct Elapsed;

/// Why awaiting a task handle produced no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("task was cancelled")]
    Cancelled,
    #[error("task panicked: {0}")]
    Panicked(String),
}

/// A task that failed counts as a `join` error of its case.
impl From<JoinError> for OpError {
    fn from(e: JoinError) -> OpError {
        OpError::Join(e.to_string())
    }
}

/// A spawned task. Dropping the handle detaches the task (it keeps running);
/// [`TaskHandle::abort`] cancels it and resolves once it is really gone.
pub trait TaskHandle<T>: Future<Output = Result<T, JoinError>> + Send + Unpin + 'static {
    /// Cancels the task and waits until it has stopped. A blocking-pool task
    /// cannot be interrupted: abort then waits for it to finish.
    fn abort(self) -> impl Future<Output = ()> + Send;
}

/// A TCP listener on the runtime under test.
pub trait Listener: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// A UDP socket on the runtime under test.
pub trait UdpSock: Send + Sync + 'static {
    fn send_to(&self, buf: &[u8], to: SocketAddr) -> impl Future<Output = io::Result<usize>> + Send;
    fn recv_from(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send;
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// The operations scenarios need, implemented once per flavour.
///
/// A `Runtime` value is a cheap handle (clone it into tasks); the runtime
/// itself is owned by the [`Owned`] that [`visit`] hands out, so tasks that
/// capture a handle never keep the runtime alive.
pub trait Runtime: Clone + Send + Sync + 'static {
    type Handle<T: Send + 'static>: TaskHandle<T>;
    /// A byte stream (futures-io traits) for raw TCP protocols.
    type Tcp: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A connected socket already adapted to hyper's I/O traits.
    type HttpIo: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;
    type Listener: Listener<Stream = Self::Tcp>;
    type Udp: UdpSock;

    fn flavor(&self) -> AsyncFlavor;
    /// Threads that run tasks (1 for the current-thread flavours).
    fn workers(&self) -> usize;

    /// Runs `f` to completion on this runtime, blocking the calling thread.
    /// Never call it from inside a task.
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawn<F>(&self, f: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// Runs `f` on the runtime's pool for blocking work (tokio and async-std
    /// `spawn_blocking`, smol's `blocking::unblock`).
    fn spawn_blocking<F, T>(&self, f: F) -> Self::Handle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static;
    fn timeout<F>(&self, d: Duration, f: F) -> impl Future<Output = Result<F::Output, Elapsed>> + Send
    where
        F: Future + Send;
    fn yield_now(&self) -> impl Future<Output = ()> + Send;

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send;
    fn connect_http(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::HttpIo>> + Send;
    fn listen(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;
    fn udp_bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Udp>> + Send;
    fn read_file(&self, path: PathBuf) -> impl Future<Output = io::Result<Vec<u8>>> + Send;
}

/// A runtime and the guard that owns it: dropping this shuts the runtime down
/// (bounded wait for blocking work, see each flavour).
pub struct Owned<R: Runtime> {
    rt: R,
    _guard: Box<dyn Send>,
}

impl<R: Runtime> Owned<R> {
    pub(crate) fn new(rt: R, guard: Box<dyn Send>) -> Self {
        Owned { rt, _guard: guard }
    }
    pub fn rt(&self) -> &R {
        &self.rt
    }
}

/// Code that is generic over the runtime; [`visit`] calls it with the flavour
/// chosen at run time.
pub trait RuntimeVisitor {
    type Output;
    fn visit<R: Runtime>(self, rt: Owned<R>) -> Self::Output;
}

/// Builds the runtime `flavor` (with `workers` threads for the multi-thread
/// flavours; `None` = one per logical core) and hands it to `v`. The registry
/// (`flavor.rs`) generates the one `match` on runtimes behind it.
pub fn visit<V: RuntimeVisitor>(flavor: AsyncFlavor, workers: Option<usize>, v: V) -> io::Result<V::Output> {
    let n = if flavor.single_threaded() {
        1
    } else {
        workers.unwrap_or_else(default_workers).max(1)
    };
    flavor.build_and_visit(n, v)
}

/// One worker per logical core, as the design asks for the `-mt` flavours.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// A task's result as every flavour reports it: a panic inside the task
/// (caught where it ran, so it never unwinds into the awaiting task) becomes
/// [`JoinError::Panicked`] with the panic's message.
fn caught<T>(r: std::thread::Result<T>) -> Result<T, JoinError> {
    r.map_err(|payload| JoinError::Panicked(panic_message(payload)))
}

/// What `panic!` was given, when it was text (it almost always is).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => match p.downcast_ref::<&'static str>() {
            Some(s) => (*s).to_string(),
            None => "a panic with a non-text payload".to_string(),
        },
    }
}

/// A std TCP listener with a large backlog, shared by every flavour's `listen`
/// (the default 128 overflows on bursts of connects: 1 s SYN-retransmit outliers).
pub(crate) fn std_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Runs `$body` with `$rt: &impl Runtime` on the flavour `$flavor` (an
/// [`AsyncFlavor`]) with 2 workers for the multi-thread flavours, panicking
/// if the runtime cannot start. The body is compiled once per runtime, so it
/// cannot capture locals: pass data through constants. Meant for tests and
/// small tools.
#[macro_export]
macro_rules! on_runtime {
    ($flavor:expr, |$rt:ident| $body:block) => {{
        struct V;
        impl $crate::runtime::RuntimeVisitor for V {
            type Output = ();
            fn visit<R: $crate::runtime::Runtime>(self, owned: $crate::runtime::Owned<R>) {
                let $rt = owned.rt();
                $body
            }
        }
        $crate::runtime::visit($flavor, Some(2), V).expect("runtime starts")
    }};
}

/// Runs `a` and `b` together and returns the output of whichever finishes
/// first, polling `a` first so a ready `a` wins a tie.
pub async fn first_of<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    use futures::future::{Either, select};
    match select(std::pin::pin!(a), std::pin::pin!(b)).await {
        Either::Left((x, _)) | Either::Right((x, _)) => x,
    }
}

/// Awaits the task `h` for at most `within`; one still running then is aborted (and waited
/// for). `None` when the task failed, was cancelled or was late.
pub async fn join_within<R: Runtime, T: Send + 'static>(rt: &R, mut h: R::Handle<T>, within: Duration) -> Option<T> {
    match rt.timeout(within, &mut h).await {
        Ok(joined) => joined.ok(),
        Err(Elapsed) => {
            h.abort().await;
            None
        }
    }
}

/// Gives other tasks a turn: pending once (waking itself at once), then ready.
pub(crate) fn yield_once() -> impl Future<Output = ()> + Send {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_uses_its_own_leftover_threads_only() {
        for (flavor, async_std, async_io) in [
            (Flavor::Async(AsyncFlavor::AsyncStd), true, true),
            (Flavor::Async(AsyncFlavor::SmolCt), false, true),
            (Flavor::Async(AsyncFlavor::SmolMt), false, true),
            (Flavor::Async(AsyncFlavor::TokioCt), false, false),
            (Flavor::Async(AsyncFlavor::TokioMt), false, false),
        ] {
            assert_eq!(
                flavor.process_threads(),
                crate::measure::foreign::Uses { async_std, async_io },
                "{flavor:?}"
            );
        }
    }

    #[test]
    fn a_failed_task_counts_as_a_join_error() {
        let e = OpError::from(JoinError::Panicked("x".into()));
        assert_eq!(e.kind(), crate::measure::ErrorKind::Join);
        assert_eq!(e.to_string(), "task failed: task panicked: x");
    }
}
