//! `async-std` flavour: the crate's global executor. async-std was
//! discontinued upstream in 2025; it stays here as a labelled legacy baseline.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use smol_hyper::rt::FuturesIo;

use super::adapters::{CaughtHandle, RawTask, catching, catching_fn};
use super::{AsyncFlavor, Elapsed, Owned, Runtime};

/// async-std has one process-wide executor: there is nothing to own or shut
/// down, and tasks left running outlive the scenario (reported by scenarios
/// that count leaks).
#[derive(Clone)]
pub(super) struct AsyncStdRt {
    workers: usize,
}

/// `flavor` and `workers` are the registry's: the global executor sizes itself.
pub(super) fn build(_: AsyncFlavor, _: usize) -> io::Result<Owned<AsyncStdRt>> {
    // async-global-executor starts one thread per core unless
    // ASYNC_STD_THREAD_COUNT says otherwise.
    let workers = std::env::var("ASYNC_STD_THREAD_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(super::default_workers);
    Ok(Owned::new(AsyncStdRt { workers }, Box::new(())))
}

/// async-std's handle detaches on drop, like tokio's; the task catches its own panic.
pub(super) type AsyncStdHandle<T> = CaughtHandle<async_std::task::JoinHandle<std::thread::Result<T>>>;

impl<T: Send + 'static> RawTask for async_std::task::JoinHandle<T> {
    async fn cancel_and_wait(self) {
        async_std::task::JoinHandle::cancel(self).await;
    }
    /// async-std's handle already detaches on drop.
    fn detach(self) {}
}

super::adapters::net_adapters! {
    net: async_std::net,
    listener: AsyncStdListener,
    udp: AsyncStdUdp,
    stream: async_std::net::TcpStream = std::convert::identity,
}

impl Runtime for AsyncStdRt {
    type Handle<T: Send + 'static> = AsyncStdHandle<T>;
    type Tcp = async_std::net::TcpStream;
    type HttpIo = FuturesIo<async_std::net::TcpStream>;
    type Listener = AsyncStdListener;
    type Udp = AsyncStdUdp;

    fn flavor(&self) -> AsyncFlavor {
        AsyncFlavor::AsyncStd
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        async_std::task::block_on(f)
    }
    fn spawn<F>(&self, f: F) -> AsyncStdHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        use crate::measure::task_metrics;
        // Chosen per spawn so that with task metrics off a task is exactly the runtime's own.
        if task_metrics::enabled() {
            CaughtHandle::new(async_std::task::spawn(catching(task_metrics::instrument(f))))
        } else {
            CaughtHandle::new(async_std::task::spawn(catching(f)))
        }
    }
    fn spawn_blocking<F, T>(&self, f: F) -> AsyncStdHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        CaughtHandle::new(async_std::task::spawn_blocking(catching_fn(super::offload::offloaded(
            f,
        ))))
    }
    // Not `async fn`: the sleep must not borrow the handle ('static).
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(d)
    }
    async fn timeout<F>(&self, d: Duration, f: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
    {
        async_std::future::timeout(d, f).await.map_err(|_| Elapsed)
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send {
        async_std::task::yield_now()
    }
    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Tcp> {
        tcp(addr).await
    }
    async fn connect_http(&self, addr: SocketAddr) -> io::Result<Self::HttpIo> {
        Ok(FuturesIo::new(tcp(addr).await?))
    }
    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        Ok(AsyncStdListener(async_std::net::TcpListener::from(
            super::std_listener(addr)?,
        )))
    }
    async fn udp_bind(&self, addr: SocketAddr) -> io::Result<Self::Udp> {
        AsyncStdUdp::bind(addr).await
    }
    async fn read_file(&self, path: PathBuf) -> io::Result<Vec<u8>> {
        async_std::fs::read(path).await
    }
}
