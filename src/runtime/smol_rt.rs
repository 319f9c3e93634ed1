//! smol flavours: `smol-ct` (one `async_executor::Executor` driven by the
//! calling thread) and `smol-mt` (the same executor run by N threads).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use async_executor::Executor;
use smol_hyper::rt::FuturesIo;

use super::adapters::{CaughtHandle, RawTask, catching, catching_fn};
use super::{AsyncFlavor, Elapsed, Owned, Runtime};

/// Tasks hold this handle, so it points at the executor weakly: a task left
/// running cannot keep its own executor alive.
#[derive(Clone)]
pub(super) struct SmolRt {
    ex: Weak<Executor<'static>>,
    flavor: AsyncFlavor,
    workers: usize,
}

struct Guard {
    ex: Option<Arc<Executor<'static>>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Closing the channel wakes every worker's `recv`, ending its `run`.
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // Dropping the executor cancels the tasks still in it.
        drop(self.ex.take());
    }
}

pub(super) fn build(flavor: AsyncFlavor, workers: usize) -> io::Result<Owned<SmolRt>> {
    let multi = !flavor.single_threaded();
    let ex = Arc::new(Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let mut threads = Vec::new();
    if multi {
        // One CPU per worker, the same in every instance (measure::placement::deal_cpus).
        let deal = Arc::new(crate::measure::placement::deal_cpus());
        for i in 0..workers {
            let ex = ex.clone();
            let stopped = stopped.clone();
            let deal = deal.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("asyncbench-smol-{i}"))
                    .spawn(move || {
                        deal();
                        let _ = async_io::block_on(ex.run(stopped.recv()));
                    })?,
            );
        }
    }
    let rt = SmolRt {
        ex: Arc::downgrade(&ex),
        flavor,
        workers,
    };
    let guard = Guard {
        ex: Some(ex),
        stop: Some(stop),
        threads,
    };
    Ok(Owned::new(rt, Box::new(guard)))
}

impl SmolRt {
    fn executor(&self) -> Arc<Executor<'static>> {
        // Only reachable if a handle outlives its Owned: a harness bug.
        self.ex.upgrade().expect("smol executor used after it was shut down")
    }
}

/// Dropping an `async_task::Task` cancels it; [`CaughtHandle`] detaches instead, so every
/// flavour's handle means the same thing, and the task catches its own panic.
pub(super) type SmolHandle<T> = CaughtHandle<async_executor::Task<std::thread::Result<T>>>;

impl<T: Send + 'static> RawTask for async_executor::Task<T> {
    async fn cancel_and_wait(self) {
        async_executor::Task::cancel(self).await;
    }
    /// An `async_task::Task` cancels on drop; detach explicitly instead.
    fn detach(self) {
        async_executor::Task::detach(self);
    }
}

super::adapters::net_adapters! {
    net: async_net,
    listener: SmolListener,
    udp: SmolUdp,
    stream: async_net::TcpStream = std::convert::identity,
}

impl Runtime for SmolRt {
    type Handle<T: Send + 'static> = SmolHandle<T>;
    type Tcp = async_net::TcpStream;
    type HttpIo = FuturesIo<async_net::TcpStream>;
    type Listener = SmolListener;
    type Udp = SmolUdp;

    fn flavor(&self) -> AsyncFlavor {
        self.flavor
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        if self.flavor.single_threaded() {
            // The calling thread is the executor's only thread.
            async_io::block_on(self.executor().run(f))
        } else {
            // Like tokio-mt: the root future runs on the calling thread,
            // spawned tasks on the worker threads.
            async_io::block_on(f)
        }
    }
    fn spawn<F>(&self, f: F) -> SmolHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        use crate::measure::task_metrics;
        // Chosen per spawn so that with task metrics off a task is exactly the runtime's own.
        if task_metrics::enabled() {
            CaughtHandle::new(self.executor().spawn(catching(task_metrics::instrument(f))))
        } else {
            CaughtHandle::new(self.executor().spawn(catching(f)))
        }
    }
    fn spawn_blocking<F, T>(&self, f: F) -> SmolHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        CaughtHandle::new(blocking::unblock(catching_fn(super::offload::offloaded(f))))
    }
    // Not `async fn`: the sleep must not borrow the handle ('static).
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        async move {
            async_io::Timer::after(d).await;
        }
    }
    async fn timeout<F>(&self, d: Duration, f: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
    {
        // smol has no timeout combinator: race the future against a timer,
        // polling the future first so a ready result wins a tie.
        let deadline = async {
            async_io::Timer::after(d).await;
            Err(Elapsed)
        };
        super::first_of(async { Ok(f.await) }, deadline).await
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send {
        super::yield_once()
    }
    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Tcp> {
        tcp(addr).await
    }
    async fn connect_http(&self, addr: SocketAddr) -> io::Result<Self::HttpIo> {
        Ok(FuturesIo::new(tcp(addr).await?))
    }
    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        Ok(SmolListener(async_net::TcpListener::try_from(super::std_listener(
            addr,
        )?)?))
    }
    async fn udp_bind(&self, addr: SocketAddr) -> io::Result<Self::Udp> {
        SmolUdp::bind(addr).await
    }
    async fn read_file(&self, path: PathBuf) -> io::Result<Vec<u8>> {
        async_fs::read(path).await
    }
}
