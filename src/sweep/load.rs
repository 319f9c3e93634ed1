//! The load generator of the server side: the project's open-loop client
//! ([`Generator`]) on a thread and runtime of its own (tokio current-thread),
//! pinned apart from the runtime under test, which is the *server* here.
//!
//! The caller (running on the runtime under test, or anywhere) asks for
//! windows over a runtime-agnostic channel; the thread answers each with the
//! window's batch and what the generator itself spent, so a step where the
//! generator, not the server, was the bottleneck can be marked.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::RawGet;
use crate::measure::Batch;
use crate::measure::clock::PreciseTimer;
use crate::measure::cpu::thread_cpu_time;
use crate::measure::open_loop::{Generator, LoadMode};
use crate::measure::placement::{self, CpuSet};
use crate::runtime::{self, AsyncFlavor, Owned, Runtime, RuntimeVisitor};

/// The generator's runtime: the fastest one-thread client this project has
/// (see scripts/capacity.sh), never the runtime under test.
pub const GENERATOR_FLAVOR: AsyncFlavor = AsyncFlavor::TokioCt;

/// What the load thread is told.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub server: SocketAddr,
    pub path: Arc<str>,
    pub connections: u64,
    pub rate: u64,
    pub window: Duration,
    pub timeout: Duration,
    /// Where the generator's threads (its runtime and its pacing timer) run.
    pub cpus: Option<CpuSet>,
}

/// One window as the generator saw it.
pub struct Window {
    pub batch: Batch,
    /// CPU time of the generator's runtime thread and its pacing thread over
    /// the window, as a share of the window's wall time (1.0 = one core).
    pub generator_cpu: f64,
}

/// A running load thread. Dropping it stops the generator: the thread leaves
/// its runtime (cancelling every connection) and exits.
pub struct LoadThread {
    ask: async_channel::Sender<()>,
    answers: async_channel::Receiver<Window>,
    /// The generator thread's CPU set as read back from the kernel.
    pub placed_on: Option<CpuSet>,
}

impl LoadThread {
    pub fn start(spec: LoadSpec) -> Result<LoadThread, String> {
        let (ask, asks) = async_channel::unbounded::<()>();
        let (tell, answers) = async_channel::unbounded::<Window>();
        let (placed_tx, placed_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("asyncbench-load".into())
            .spawn(move || {
                // The generator is the harness's, not the side under test's (the server is).
                crate::measure::alloc::exclude_current_thread();
                let placed = match &spec.cpus {
                    Some(set) => placement::pin_current_thread(set)
                        .map_err(|e| format!("cannot pin the load generator to CPUs {set}: {e}")),
                    None => Ok(()),
                }
                .and_then(|()| {
                    // Started after pinning, so the pacing thread inherits the set;
                    // no spinning: it shares the generator's CPU (see start_with_spin).
                    PreciseTimer::start_with_spin("asyncbench-lpace", Duration::ZERO)
                        .map_err(|e| format!("pacing thread: {e}"))
                });
                let clock = match placed {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = placed_tx.send(Err(e));
                        return;
                    }
                };
                let _ = placed_tx.send(Ok(placement::affinity_of(0).ok()));
                let v = Drive {
                    spec,
                    clock,
                    asks,
                    tell,
                };
                if let Err(e) = runtime::visit(GENERATOR_FLAVOR, None, v) {
                    eprintln!("asyncbench: the load generator's runtime did not start: {e}");
                }
            })
            .map_err(|e| format!("cannot start the load thread: {e}"))?;
        let placed_on = placed_rx
            .recv()
            .map_err(|_| "the load thread ended before starting".to_string())??;
        Ok(LoadThread {
            ask,
            answers,
            placed_on,
        })
    }

    /// The next window. An error only if the load thread is gone.
    pub async fn window(&self) -> Result<Window, String> {
        self.ask
            .send(())
            .await
            .map_err(|_| "the load generator stopped".to_string())?;
        self.answers
            .recv()
            .await
            .map_err(|_| "the load generator stopped".to_string())
    }
}

struct Drive {
    spec: LoadSpec,
    clock: PreciseTimer,
    asks: async_channel::Receiver<()>,
    tell: async_channel::Sender<Window>,
}

impl RuntimeVisitor for Drive {
    type Output = ();
    fn visit<R: Runtime>(self, owned: Owned<R>) {
        let rt = owned.rt();
        let Drive {
            spec,
            clock,
            asks,
            tell,
        } = self;
        rt.block_on(async {
            // One keep-alive connection of its own per connection, as wrk2 does.
            let one = match RawGet::new(rt, spec.server, &spec.path, spec.timeout) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("asyncbench: the load generator cannot request {}: {e}", spec.path);
                    return;
                }
            };
            let conns: Vec<RawGet<R>> = (0..spec.connections).map(|_| one.clone()).collect();
            let mut generator =
                Generator::start(rt, &clock, &conns, LoadMode::Rate(spec.rate)).with_window(spec.window);
            let mut cut = (Instant::now(), thread_cpu_time(), clock.cpu_time());
            // Ends when the LoadThread is dropped (the channel closes).
            while asks.recv().await.is_ok() {
                let batch = generator.window().await;
                let now = (Instant::now(), thread_cpu_time(), clock.cpu_time());
                let wall = now.0.saturating_duration_since(cut.0).as_secs_f64().max(1e-9);
                let own = match (now.1, cut.1) {
                    (Some(a), Some(b)) => a.saturating_sub(b),
                    _ => Duration::ZERO,
                };
                let generator_cpu = (own + now.2.saturating_sub(cut.2)).as_secs_f64() / wall;
                cut = now;
                if tell.send(Window { batch, generator_cpu }).await.is_err() {
                    break;
                }
            }
        });
    }
}
