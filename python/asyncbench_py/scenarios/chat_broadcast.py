"""chat_broadcast — mirrors the guide's "Building a basic asyncio chat server": a line
chat server on ``asyncio.start_server`` that writes each line to every other client
(``writer.write`` + ``await writer.drain()``, as the guide does), and M clients on
``asyncio.open_connection``, all on the loop under test. ``fanout``: one client at a time
sends a timestamped line and waits until the other M−1 have it; ``all_talk``: every
client sends K lines at once. Latency = send → arrival per receiver; each delivery is
checked exactly once (duplicates and strays are ``invalid``, missing ones ``lost``)."""

from __future__ import annotations

import asyncio

from ..core import Batch, Case, now_ns

SECTION = "Building a Basic Asyncio Chat Server"


def line(rnd: int, sender: int, seq: int, size: int) -> bytes:
    head = f"{rnd} {sender} {seq} {now_ns()} ".encode()
    return head + b"x" * max(0, size - len(head) - 1) + b"\n"


class Chat:
    """The server, M connected clients and one queue of (receiver, arrival, line)."""

    def __init__(self, m: int):
        self.m = m
        self.clients: set[asyncio.StreamWriter] = set()
        self.deliveries: asyncio.Queue = asyncio.Queue()
        self.writers: list[asyncio.StreamWriter] = []
        self.readers: list[asyncio.Task] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        try:
            while data := await reader.readline():
                for w in list(self.clients):
                    if w is not writer:
                        w.write(data)
                        await w.drain()
        finally:
            self.clients.discard(writer)
            writer.close()

    async def read(self, me: int, reader: asyncio.StreamReader) -> None:
        while data := await reader.readline():
            self.deliveries.put_nowait((me, now_ns(), data))

    async def __aenter__(self) -> "Chat":
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        host, port = self.server.sockets[0].getsockname()[:2]
        for me in range(self.m):
            r, w = await asyncio.open_connection(host, port)
            self.writers.append(w)
            self.readers.append(asyncio.create_task(self.read(me, r)))
        while len(self.clients) < self.m:  # a line sent before all joined would miss some
            await asyncio.sleep(0.001)
        return self

    async def __aexit__(self, *exc) -> None:
        for w in self.writers:
            w.close()
        self.server.close()
        for t in self.readers:
            t.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def collect(chat: Chat, b: Batch, seen: set, want: int, deadline: float, rnd: int) -> None:
    loop = asyncio.get_running_loop()
    while len(seen) < want:
        left = deadline - loop.time()
        if left <= 0:
            return
        try:
            me, at, data = await asyncio.wait_for(chat.deliveries.get(), left)
        except TimeoutError:
            return
        parts = data.split(b" ", 4)
        r, sender, seq, sent = int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3])
        key = (me, sender, seq)
        if r != rnd or sender == me or key in seen:
            b.error("invalid")
            continue
        seen.add(key)
        b.latencies.append(at - sent)


def case(variant: str, p: dict) -> Case:
    m, k, size = int(p["clients"]), int(p["messages"]), int(p["line_bytes"])
    timeout = int(p["timeout_ms"]) / 1000

    async def body(ctx, batches: int) -> list[Batch]:
        loop = asyncio.get_running_loop()
        out = []
        async with Chat(m) as chat:
            for rnd in range(1, batches + 1):
                b, seen = Batch(), set()
                t0 = now_ns()
                if variant == "fanout":
                    for seq in range(k):
                        w = chat.writers[seq % m]
                        w.write(line(rnd, seq % m, seq, size))
                        await w.drain()
                        await collect(chat, b, seen, (seq + 1) * (m - 1), loop.time() + timeout, rnd)
                    want, sent = k * (m - 1), k
                else:

                    async def talk(me: int) -> None:
                        w = chat.writers[me]
                        for seq in range(k):
                            w.write(line(rnd, me, seq, size))
                            await w.drain()

                    talkers = [asyncio.create_task(talk(me)) for me in range(m)]
                    await collect(chat, b, seen, m * k * (m - 1), loop.time() + timeout, rnd)
                    await asyncio.gather(*talkers)
                    want, sent = m * k * (m - 1), m * k
                b.wall_ns = now_ns() - t0
                if want > len(seen):
                    b.error("lost", want - len(seen))
                b.values = {"messages_per_s": sent / max(b.wall_ns / 1e9, 1e-9)}
                out.append(b)
        return out

    want = k * (m - 1) if variant == "fanout" else m * k * (m - 1)
    return Case(variant, body, "asyncio streams chat server and clients on one loop", "deliveries", want)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in ("fanout", "all_talk")]
