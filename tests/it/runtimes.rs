//! Every runtime flavour honours the `Runtime` contract the scenarios rely on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use asyncbench::on_runtime;
use asyncbench::runtime::{AsyncFlavor, CriterionExecutor, JoinError, Listener, TaskHandle, UdpSock};
use futures::{AsyncReadExt, AsyncWriteExt};

each_runtime!(fn spawn_join_and_abort(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let h = rt.spawn(async { 6 * 7 });
            assert_eq!(h.await, Ok(42));

            // A cancelled task drops its future: its guard runs.
            struct Guard(Arc<AtomicUsize>);
            impl Drop for Guard {
                fn drop(&mut self) {
                    self.0.fetch_add(1, Ordering::SeqCst);
                }
            }
            let dropped = Arc::new(AtomicUsize::new(0));
            let g = Guard(dropped.clone());
            let sleeper = rt.clone();
            let h = rt.spawn(async move {
                let _g = g;
                sleeper.sleep(Duration::from_secs(30)).await;
            });
            rt.sleep(Duration::from_millis(5)).await;
            let t0 = Instant::now();
            h.abort().await;
            assert_eq!(dropped.load(Ordering::SeqCst), 1, "abort must drop the task");
            assert!(t0.elapsed() < Duration::from_secs(5));
        });
    });
});

each_runtime!(fn blocking_sleep_timeout_yield(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let h = rt.spawn_blocking(|| std::thread::current().id());
            let id = h.await.expect("blocking task joins");
            assert_ne!(id, std::thread::current().id(), "blocking work runs on another thread");

            let t0 = Instant::now();
            rt.sleep(Duration::from_millis(20)).await;
            assert!(t0.elapsed() >= Duration::from_millis(20));

            assert_eq!(rt.timeout(Duration::from_secs(5), async { 1 }).await, Ok(1));
            let t0 = Instant::now();
            let r = rt
                .timeout(Duration::from_millis(20), rt.sleep(Duration::from_secs(10)))
                .await;
            assert!(r.is_err());
            assert!(t0.elapsed() >= Duration::from_millis(20), "a timeout never fires early");
            assert!(t0.elapsed() < Duration::from_secs(5));

            rt.yield_now().await;
        });
    });
});

each_runtime!(fn tcp_udp_and_files(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let l = rt.listen("127.0.0.1:0".parse().unwrap()).await.expect("listen");
            let addr = l.local_addr().unwrap();
            let server = rt.spawn(async move {
                let (mut s, _) = l.accept().await.expect("accept");
                let mut buf = [0u8; 5];
                s.read_exact(&mut buf).await.expect("read");
                s.write_all(&buf).await.expect("write");
            });
            let mut c = rt.connect(addr).await.expect("connect");
            c.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
            server.await.unwrap();

            let a = rt.udp_bind("127.0.0.1:0".parse().unwrap()).await.expect("udp");
            let b = rt.udp_bind("127.0.0.1:0".parse().unwrap()).await.expect("udp");
            a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
            let mut buf = [0u8; 16];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            assert_eq!(from, a.local_addr().unwrap());

            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("f");
            std::fs::write(&p, b"contents").unwrap();
            assert_eq!(rt.read_file(p).await.unwrap(), b"contents");
        });
    });
});

each_runtime!(fn criterion_executor_blocks_on_each_runtime(flavor) {
    on_runtime!(flavor, |rt| {
        use criterion::async_executor::AsyncExecutor;
        let ex = CriterionExecutor(rt);
        let r = rt.clone();
        assert_eq!(
            ex.block_on(async move {
                r.sleep(Duration::from_millis(1)).await;
                7
            }),
            7
        );
    });
});

each_runtime!(
    /// Every flavour reports a task's panic as tokio does, instead of re-raising it in the task
    /// that awaits the handle (what async-task, under smol and async-std, would do).
    fn a_panicking_task_is_an_error_and_the_runtime_keeps_working(flavor) {
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let h = rt.spawn(async {
                if std::hint::black_box(true) {
                    panic!("boom in a task");
                }
                1
            });
            assert_eq!(h.await, Err(JoinError::Panicked("boom in a task".into())));
            let h = rt.spawn_blocking(|| -> u32 { panic!("boom in blocking work {}", 7) });
            assert_eq!(h.await, Err(JoinError::Panicked("boom in blocking work 7".into())));
            // A panic in a detached task hurts nobody either.
            drop(rt.spawn(async { panic!("detached") }));

            assert_eq!(rt.spawn(async { 5 }).await, Ok(5));
            assert_eq!(rt.spawn_blocking(|| 6).await, Ok(6));
            rt.sleep(Duration::from_millis(1)).await;
        });
        assert_eq!(rt.block_on(async { 7 }), 7);
    });
});

#[test]
fn multi_thread_flavours_run_tasks_in_parallel() {
    for f in [AsyncFlavor::TokioMt, AsyncFlavor::SmolMt] {
        on_runtime!(f, |rt| {
            assert_eq!(rt.workers(), 2);
            rt.block_on(async {
                // Two tasks that block their thread run at the same time only on two threads:
                // their blocked spans overlap and their thread ids differ.
                let span = || async {
                    let t0 = Instant::now();
                    std::thread::sleep(Duration::from_millis(200));
                    (t0, Instant::now(), std::thread::current().id())
                };
                let a = rt.spawn(span());
                let b = rt.spawn(span());
                let (a, b) = (a.await.unwrap(), b.await.unwrap());
                assert_ne!(a.2, b.2, "{:?}: both tasks ran on one thread", rt.flavor());
                assert!(a.0 < b.1 && b.0 < a.1, "{:?}: the tasks did not overlap", rt.flavor());
            });
        });
    }
}
