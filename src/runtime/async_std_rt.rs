//! `async-std` flavour: the crate's global executor. async-std was
//! discontinued upstream in 2025; it stays here as a labelled legacy baseline.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use smol_hyper::rt::FuturesIo;

use super::{AsyncFlavor, Elapsed, JoinError, Listener, Owned, Runtime, TaskHandle, UdpSock};

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

/// async-std's handle detaches on drop, like tokio's. The task's output is
/// `catch_unwind`'s: async-std would re-raise a panic in the awaiting task,
/// where tokio hands it over as an error.
pub(super) struct AsyncStdHandle<T>(Option<async_std::task::JoinHandle<std::thread::Result<T>>>);

impl<T> Future for AsyncStdHandle<T> {
    type Output = Result<T, JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            Some(h) => Pin::new(h).poll(cx).map(super::caught),
            None => Poll::Ready(Err(JoinError::Cancelled)),
        }
    }
}

impl<T: Send + 'static> TaskHandle<T> for AsyncStdHandle<T> {
    async fn abort(mut self) {
        if let Some(h) = self.0.take() {
            h.cancel().await;
        }
    }
}

pub(super) struct AsyncStdListener(async_std::net::TcpListener);

impl Listener for AsyncStdListener {
    type Stream = async_std::net::TcpStream;
    async fn accept(&self) -> io::Result<(Self::Stream, SocketAddr)> {
        let (s, a) = self.0.accept().await?;
        s.set_nodelay(true)?;
        Ok((s, a))
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

pub(super) struct AsyncStdUdp(async_std::net::UdpSocket);

impl UdpSock for AsyncStdUdp {
    async fn send_to(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.0.send_to(buf, to).await
    }
    async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.0.recv_from(buf).await
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

async fn tcp(addr: SocketAddr) -> io::Result<async_std::net::TcpStream> {
    let s = async_std::net::TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(s)
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
        AsyncStdHandle(Some(async_std::task::spawn(AssertUnwindSafe(f).catch_unwind())))
    }
    fn spawn_blocking<F, T>(&self, f: F) -> AsyncStdHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        AsyncStdHandle(Some(async_std::task::spawn_blocking(move || {
            std::panic::catch_unwind(AssertUnwindSafe(f))
        })))
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
        Ok(AsyncStdUdp(async_std::net::UdpSocket::bind(addr).await?))
    }
    async fn read_file(&self, path: PathBuf) -> io::Result<Vec<u8>> {
        async_std::fs::read(path).await
    }
}
