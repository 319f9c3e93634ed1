//! `TaskGroup` keeps its promise on every runtime: a failure cancels the
//! siblings before `join` returns, an explicit cancel stops everyone, and a
//! group left without joining (dropped, or its parent cancelled) still stops
//! its children. Live children are counted with `Census` drop guards.

use std::time::{Duration, Instant};

use asyncbench::runtime::Runtime;
use asyncbench::scenario::support::group::{Census, ChildFailure, TaskGroup};

use asyncbench::on_runtime;

const LONG: Duration = Duration::from_secs(30);

/// A group of `n` children that would sleep for [`LONG`].
fn sleepers<R: Runtime>(rt: &R, census: &Census, n: usize) -> TaskGroup<R, (), &'static str> {
    let mut g = TaskGroup::new(rt);
    for _ in 0..n {
        let mut alive = census.enter();
        let r = rt.clone();
        g.spawn(async move {
            r.sleep(LONG).await;
            alive.finish();
            Ok(())
        });
    }
    g
}

/// Waits (bounded) until no child of `census` is alive.
async fn all_gone<R: Runtime>(rt: &R, census: &Census) -> bool {
    let t0 = Instant::now();
    while census.live() > 0 && t0.elapsed() < Duration::from_secs(5) {
        rt.sleep(Duration::from_millis(2)).await;
    }
    census.live() == 0
}

each_runtime!(fn first_failure_cancels_the_rest_before_join_returns(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let census = Census::new();
            let mut g = sleepers(rt, &census, 7);
            let r = rt.clone();
            g.spawn(async move {
                r.sleep(Duration::from_millis(5)).await;
                Err("boom")
            });
            let t0 = Instant::now();
            let exit = g.join().await;
            assert_eq!(exit.failure, Some(ChildFailure::Failed("boom")));
            assert_eq!(exit.cancelled, 7);
            assert!(exit.ok.is_empty());
            // Checked at once: join waits until every sibling is gone.
            assert_eq!(census.live(), 0);
            assert_eq!(census.cleanups(), 7);
            assert!(t0.elapsed() < Duration::from_secs(5));
        });
    });
});

each_runtime!(fn happy_group_returns_every_result(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let mut g: TaskGroup<_, usize, ()> = TaskGroup::new(rt);
            for k in 0..100 {
                g.spawn(async move { Ok(k) });
            }
            assert_eq!(g.len(), 100);
            let exit = g.join().await;
            assert!(exit.failure.is_none());
            let mut ok = exit.ok;
            ok.sort_unstable();
            assert_eq!(ok, (0..100).collect::<Vec<_>>());
        });
    });
});

each_runtime!(fn explicit_cancel_and_drop_stop_every_child(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let census = Census::new();
            let g = sleepers(rt, &census, 5);
            rt.sleep(Duration::from_millis(2)).await;
            assert_eq!(g.cancel().await, 5);
            assert_eq!(census.live(), 0, "cancel waits for the children");
            assert_eq!(census.cleanups(), 5);

            // Dropped without a join: the children still stop.
            let census = Census::new();
            drop(sleepers(rt, &census, 5));
            assert!(all_gone(rt, &census).await, "{} still alive after drop", census.live());
            assert_eq!(census.cleanups(), 5);

            // The parent gives up waiting: leaving the scope cancels the group.
            let census = Census::new();
            let g = sleepers(rt, &census, 5);
            assert!(rt.timeout(Duration::from_millis(5), g.join()).await.is_err());
            assert!(
                all_gone(rt, &census).await,
                "{} still alive after timeout",
                census.live()
            );
            assert_eq!(census.cleanups(), 5);
        });
    });
});
