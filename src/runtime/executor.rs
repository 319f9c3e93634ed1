//! criterion's `AsyncExecutor` for every flavour. criterion 0.8 ships
//! executors for tokio and smol but dropped async-std; one generic impl over
//! [`Runtime`] covers all five, so `b.to_async(CriterionExecutor(rt))` works
//! on each.

use std::future::Future;

use criterion::async_executor::AsyncExecutor;

use super::Runtime;

/// Adapts a runtime handle to criterion's `AsyncExecutor` (one method:
/// `block_on`).
pub struct CriterionExecutor<'a, R: Runtime>(pub &'a R);

impl<R: Runtime> AsyncExecutor for CriterionExecutor<'_, R> {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}
