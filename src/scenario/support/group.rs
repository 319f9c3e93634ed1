//! `TaskGroup`: structured concurrency written once over the `Runtime` trait
//! (what tokio's `JoinSet` and Python's `TaskGroup` do), plus the drop-guard
//! `Census` that counts live children and the clean-ups cancellation ran.
//!
//! A group owns its children's handles. `join` waits for them; the first
//! child that fails makes the group `abort` every sibling and wait until each
//! is really gone, so nothing outlives the scope. Dropping a group that was
//! not joined cancels its children too (from a task, since drop cannot wait).

use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::runtime::{JoinError, Runtime, TaskHandle};

/// Why a group stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildFailure<E> {
    /// A child returned `Err`.
    Failed(E),
    /// A child panicked or was cancelled from outside the group.
    Join(JoinError),
}

/// How a joined group ended.
#[derive(Debug)]
pub struct GroupExit<T, E> {
    /// Results of the children that succeeded, in completion order.
    pub ok: Vec<T>,
    /// The first failure, which cancelled the rest.
    pub failure: Option<ChildFailure<E>>,
    /// Siblings cancelled because of that failure.
    pub cancelled: usize,
}

/// A group of child tasks on runtime `R`, each returning `Result<T, E>`.
pub struct TaskGroup<R: Runtime, T: Send + 'static, E: Send + 'static> {
    rt: R,
    children: FuturesUnordered<R::Handle<Result<T, E>>>,
}

impl<R: Runtime, T: Send + 'static, E: Send + 'static> TaskGroup<R, T, E> {
    pub fn new(rt: &R) -> Self {
        TaskGroup {
            rt: rt.clone(),
            children: FuturesUnordered::new(),
        }
    }

    /// Starts a child at once (it runs whether or not the group is awaited).
    pub fn spawn<F>(&mut self, child: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.children.push(self.rt.spawn(child));
    }

    pub fn len(&self) -> usize {
        self.children.len()
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Waits for every child. On the first failure, cancels the others and
    /// returns only once all of them have stopped.
    pub async fn join(mut self) -> GroupExit<T, E> {
        let mut ok = Vec::with_capacity(self.children.len());
        // The children stay in `self` while they run, so a caller that drops
        // this future mid-wait still cancels them through `Drop`.
        while let Some(r) = self.children.next().await {
            let failure = match r {
                Ok(Ok(v)) => {
                    ok.push(v);
                    continue;
                }
                Ok(Err(e)) => ChildFailure::Failed(e),
                Err(e) => ChildFailure::Join(e),
            };
            let cancelled = self.cancel_all().await;
            return GroupExit {
                ok,
                failure: Some(failure),
                cancelled,
            };
        }
        GroupExit {
            ok,
            failure: None,
            cancelled: 0,
        }
    }

    /// Cancels every child still running and waits until they are gone;
    /// returns how many there were.
    pub async fn cancel(mut self) -> usize {
        self.cancel_all().await
    }

    async fn cancel_all(&mut self) -> usize {
        let rest = mem::take(&mut self.children);
        let n = rest.len();
        // Aborted together: each abort waits for its task, and the waits overlap.
        futures::future::join_all(rest.into_iter().map(TaskHandle::abort)).await;
        n
    }
}

impl<R: Runtime, T: Send + 'static, E: Send + 'static> Drop for TaskGroup<R, T, E> {
    fn drop(&mut self) {
        let rest = mem::take(&mut self.children);
        if rest.is_empty() {
            return;
        }
        // Drop cannot await the aborts: a detached task does, so the children
        // still stop (asynchronously) when their scope is left by a cancel.
        drop(self.rt.spawn(async move {
            futures::future::join_all(rest.into_iter().map(TaskHandle::abort)).await;
        }));
    }
}

/// Counts live children and the clean-ups that ran because a child was
/// cancelled. Share it by clone; each child holds one [`Alive`] guard.
#[derive(Clone, Default)]
pub struct Census {
    inner: Arc<CensusInner>,
}

#[derive(Default)]
struct CensusInner {
    live: AtomicUsize,
    cleanups: AtomicUsize,
    /// When each clean-up ran, for "how long cancelled work kept running".
    cleaned_at: Mutex<Vec<Instant>>,
}

impl Census {
    pub fn new() -> Self {
        Self::default()
    }

    /// A guard for one child. Take it before spawning, so a child cancelled
    /// before its first poll still counts (its future is dropped with it).
    pub fn enter(&self) -> Alive {
        self.inner.live.fetch_add(1, Ordering::SeqCst);
        Alive {
            census: self.clone(),
            finished: false,
        }
    }

    /// Children whose guard has not been dropped yet.
    pub fn live(&self) -> usize {
        self.inner.live.load(Ordering::SeqCst)
    }

    /// Guards dropped before their child finished its work (cancellations).
    pub fn cleanups(&self) -> usize {
        self.inner.cleanups.load(Ordering::SeqCst)
    }

    /// The instants at which those clean-ups ran.
    pub fn cleaned_at(&self) -> Vec<Instant> {
        self.inner
            .cleaned_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// One child's guard: dropping it marks the child gone; if the child had not
/// called [`Alive::finish`], the drop is a clean-up (the `finally` block of a
/// cancelled task).
pub struct Alive {
    census: Census,
    finished: bool,
}

impl Alive {
    /// The child's work is done: its drop is then not a clean-up.
    pub fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        let c = &self.census.inner;
        if !self.finished {
            let now = Instant::now();
            c.cleaned_at.lock().unwrap_or_else(PoisonError::into_inner).push(now);
            c.cleanups.fetch_add(1, Ordering::SeqCst);
        }
        // Last, so a reader that sees live == 0 also sees every clean-up.
        c.live.fetch_sub(1, Ordering::SeqCst);
    }
}
