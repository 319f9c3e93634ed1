//! The chat server holds 1 000 clients on every runtime: all connect, one
//! line from one of them reaches each of the other 999 exactly once, and a
//! second line from another client does too.

use std::time::{Duration, Instant};

use asyncbench::on_runtime;
use asyncbench::scenario::support::servers::ChatServer;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const CLIENTS: usize = 1_000;

each_runtime!(fn chat_server_holds_a_thousand_clients(flavor) {
    // 1 000 clients and 1 000 server sockets in this process (and four
    // such tests in parallel): best effort, the limit here is 20 000.
    let _ = asyncbench::server::raise_fd_limit();
    on_runtime!(flavor, |rt| {
        rt.block_on(async {
            let server = ChatServer::start(rt, "127.0.0.1:0".parse().unwrap()).await.unwrap();
            let mut readers = Vec::with_capacity(CLIENTS);
            let mut writers = Vec::with_capacity(CLIENTS);
            for _ in 0..CLIENTS {
                let (r, w) = rt.connect(server.addr()).await.expect("connect").split();
                readers.push(BufReader::new(r));
                writers.push(w);
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            while server.clients() < CLIENTS && Instant::now() < deadline {
                rt.sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(server.clients(), CLIENTS, "every client is connected");

            for (sender, text) in [(0usize, "hello"), (CLIENTS - 1, "bye")] {
                writers[sender].write_all(format!("{text}\n").as_bytes()).await.unwrap();
                let want = format!("{sender}: {text}\n");
                for (k, r) in readers.iter_mut().enumerate() {
                    if k == sender {
                        continue;
                    }
                    let mut line = String::new();
                    rt.timeout(Duration::from_secs(30), r.read_line(&mut line))
                        .await
                        .expect("line within 30 s")
                        .expect("read");
                    assert_eq!(line, want, "client {k}");
                }
            }
            // Nobody got a line twice or their own: nothing else is waiting.
            for r in readers.iter_mut().take(3) {
                let mut extra = String::new();
                let more = rt.timeout(Duration::from_millis(20), r.read_line(&mut extra)).await;
                assert!(more.is_err() || extra.is_empty(), "unexpected line {extra:?}");
            }
            assert_eq!(server.lines(), 2);
        });
    });
});
