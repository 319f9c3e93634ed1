//! What the flavour files would otherwise each write again: the task handle of the flavours whose
//! tasks re-raise panics (each implements [`RawTask`] for its own handle), and the socket wrappers
//! every flavour writes the same way around its own networking types.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;

use super::{JoinError, TaskHandle};

/// A flavour's own task handle, as [`CaughtHandle`] drives it.
pub(super) trait RawTask: Future + Unpin + Send + Sized + 'static {
    /// Cancels the task and waits until it has stopped.
    fn cancel_and_wait(self) -> impl Future<Output = ()> + Send;
    /// Lets the task run on unobserved: what dropping a handle means on every flavour.
    fn detach(self);
}

/// The handle of a task spawned through [`catching`]: async-std and async-task would re-raise a
/// panic in the awaiting task, where tokio hands it over as an error; the task catches it where
/// it runs and this handle turns it into [`JoinError::Panicked`]. Dropping it detaches the task.
pub(super) struct CaughtHandle<H: RawTask>(Option<H>);

impl<H: RawTask> CaughtHandle<H> {
    pub(super) fn new(task: H) -> Self {
        CaughtHandle(Some(task))
    }
}

impl<H: RawTask> Drop for CaughtHandle<H> {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.detach();
        }
    }
}

impl<T, H: RawTask<Output = std::thread::Result<T>>> Future for CaughtHandle<H> {
    type Output = Result<T, JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            Some(t) => Pin::new(t).poll(cx).map(super::caught),
            None => Poll::Ready(Err(JoinError::Cancelled)),
        }
    }
}

impl<T: Send + 'static, H: RawTask<Output = std::thread::Result<T>>> TaskHandle<T> for CaughtHandle<H> {
    async fn abort(mut self) {
        if let Some(t) = self.0.take() {
            t.cancel_and_wait().await;
        }
    }
}

/// `f` with a panic caught where it runs, for a [`CaughtHandle`].
pub(super) fn catching<F: Future>(f: F) -> futures::future::CatchUnwind<AssertUnwindSafe<F>> {
    AssertUnwindSafe(f).catch_unwind()
}

/// The blocking-pool counterpart of [`catching`].
pub(super) fn catching_fn<T>(f: impl FnOnce() -> T) -> impl FnOnce() -> std::thread::Result<T> {
    move || std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// Defines a flavour's TCP listener `$listener` and UDP socket `$udp` wrappers and its `tcp`
/// connect function around `$net::{TcpListener, TcpStream, UdpSocket}`: the three crates' types
/// share method names and signatures but no trait. Every stream, accepted or connected, has
/// Nagle off; accepted ones are turned into `$stream` by `$wrap`.
macro_rules! net_adapters {
    (
        net: $($net:ident)::+,
        listener: $listener:ident,
        udp: $udp:ident,
        stream: $stream:ty = $wrap:path $(,)?
    ) => {
        pub(super) struct $listener($($net)::+::TcpListener);

        impl super::Listener for $listener {
            type Stream = $stream;
            async fn accept(&self) -> ::std::io::Result<(Self::Stream, ::std::net::SocketAddr)> {
                let (s, a) = self.0.accept().await?;
                s.set_nodelay(true)?;
                Ok(($wrap(s), a))
            }
            fn local_addr(&self) -> ::std::io::Result<::std::net::SocketAddr> {
                self.0.local_addr()
            }
        }

        pub(super) struct $udp($($net)::+::UdpSocket);

        impl $udp {
            async fn bind(addr: ::std::net::SocketAddr) -> ::std::io::Result<$udp> {
                Ok($udp($($net)::+::UdpSocket::bind(addr).await?))
            }
        }

        impl super::UdpSock for $udp {
            async fn send_to(&self, buf: &[u8], to: ::std::net::SocketAddr) -> ::std::io::Result<usize> {
                self.0.send_to(buf, to).await
            }
            async fn recv_from(&self, buf: &mut [u8]) -> ::std::io::Result<(usize, ::std::net::SocketAddr)> {
                self.0.recv_from(buf).await
            }
            fn local_addr(&self) -> ::std::io::Result<::std::net::SocketAddr> {
                self.0.local_addr()
            }
        }

        async fn tcp(addr: ::std::net::SocketAddr) -> ::std::io::Result<$($net)::+::TcpStream> {
            let s = $($net)::+::TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            Ok(s)
        }
    };
}

pub(super) use net_adapters;
