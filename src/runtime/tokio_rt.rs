//! tokio flavours: `tokio-ct` (current_thread) and `tokio-mt` (multi_thread).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use super::{AsyncFlavor, Elapsed, JoinError, Owned, Runtime, TaskHandle};

/// A handle to a tokio runtime. `block_on` goes through the owning
/// `tokio::runtime::Runtime` because on current_thread only that drives the
/// I/O and timer drivers; spawning goes through the cheap `Handle`.
#[derive(Clone)]
pub(super) struct TokioRt {
    owner: Weak<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    flavor: AsyncFlavor,
    workers: usize,
}

/// Shuts the runtime down with a bounded wait so a stuck blocking task cannot
/// hang the harness.
struct Guard(Option<Arc<tokio::runtime::Runtime>>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            match Arc::try_unwrap(rt) {
                Ok(rt) => rt.shutdown_timeout(Duration::from_secs(1)),
                Err(rt) => drop(rt),
            }
        }
    }
}

pub(super) fn build(flavor: AsyncFlavor, workers: usize) -> io::Result<Owned<TokioRt>> {
    let mut b = if flavor.single_threaded() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        // One CPU per worker, the same in every instance (measure::placement::deal_cpus).
        b.on_thread_start(crate::measure::placement::deal_cpus());
        b
    };
    let rt = Arc::new(b.enable_all().thread_name("asyncbench-tokio").build()?);
    let handle = TokioRt {
        owner: Arc::downgrade(&rt),
        handle: rt.handle().clone(),
        flavor,
        workers,
    };
    Ok(Owned::new(handle, Box::new(Guard(Some(rt)))))
}

pub(super) struct TokioHandle<T>(tokio::task::JoinHandle<T>);

impl<T> Future for TokioHandle<T> {
    type Output = Result<T, JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| {
            r.map_err(|e| {
                if e.is_cancelled() {
                    JoinError::Cancelled
                } else {
                    JoinError::Panicked(super::panic_message(e.into_panic()))
                }
            })
        })
    }
}

impl<T: Send + 'static> TaskHandle<T> for TokioHandle<T> {
    async fn abort(self) {
        self.0.abort();
        let _ = self.0.await;
    }
}

super::adapters::net_adapters! {
    net: tokio::net,
    listener: TokioListener,
    udp: TokioUdp,
    stream: Compat<tokio::net::TcpStream> = TokioAsyncReadCompatExt::compat,
}

impl Runtime for TokioRt {
    type Handle<T: Send + 'static> = TokioHandle<T>;
    type Tcp = Compat<tokio::net::TcpStream>;
    type HttpIo = TokioIo<tokio::net::TcpStream>;
    type Listener = TokioListener;
    type Udp = TokioUdp;

    fn flavor(&self) -> AsyncFlavor {
        self.flavor
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        match self.owner.upgrade() {
            Some(rt) => rt.block_on(f),
            // Only reachable if a handle outlives its Owned: a harness bug.
            None => panic!("tokio runtime used after it was shut down"),
        }
    }
    fn spawn<F>(&self, f: F) -> TokioHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Chosen per spawn so that with task metrics off a task is exactly the runtime's own
        // (task_memory measures its size).
        if crate::measure::task_metrics::enabled() {
            TokioHandle(self.handle.spawn(crate::measure::task_metrics::instrument(f)))
        } else {
            TokioHandle(self.handle.spawn(f))
        }
    }
    fn spawn_blocking<F, T>(&self, f: F) -> TokioHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        TokioHandle(self.handle.spawn_blocking(super::offload::offloaded(f)))
    }
    // Not `async fn`: the sleep must not borrow the handle ('static).
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        // The Sleep is created at first poll, inside the runtime's context.
        async move { tokio::time::sleep(d).await }
    }
    async fn timeout<F>(&self, d: Duration, f: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
    {
        tokio::time::timeout(d, f).await.map_err(|_| Elapsed)
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Tcp> {
        Ok(tcp(addr).await?.compat())
    }
    async fn connect_http(&self, addr: SocketAddr) -> io::Result<Self::HttpIo> {
        Ok(TokioIo::new(tcp(addr).await?))
    }
    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        Ok(TokioListener(tokio::net::TcpListener::from_std(super::std_listener(
            addr,
        )?)?))
    }
    async fn udp_bind(&self, addr: SocketAddr) -> io::Result<Self::Udp> {
        TokioUdp::bind(addr).await
    }
    async fn read_file(&self, path: PathBuf) -> io::Result<Vec<u8>> {
        tokio::fs::read(path).await
    }
}
