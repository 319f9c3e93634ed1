"""udp_echo — mirrors the guide's "Creating a UDP echo server with asyncio": an echo
server (a ``DatagramProtocol`` that ``sendto``s each datagram back) and a client, both on
the loop under test, loopback. ``pingpong``: one datagram in flight; ``burst``: windows of
w sent back to back, then collected. Each datagram has a deadline (lost, never waited
for); every echo is compared byte for byte. Latency = send → echo."""

from __future__ import annotations

import asyncio
import struct

from ..core import Batch, Case, now_ns

SECTION = "Creating a UDP Echo Server with Asyncio"
HEADER = 16


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.transport.sendto(data, addr)


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()

    def datagram_received(self, data: bytes, addr) -> None:
        self.inbox.put_nowait((now_ns(), data))


def datagram(rnd: int, seq: int, size: int) -> bytes:
    head = struct.pack("<QQ", rnd, seq)
    return head + bytes((seq + i) & 0xFF for i in range(size - HEADER))


def case(variant: str, p: dict) -> Case:
    n, size = int(p["datagrams"]), int(p["payload_bytes"])
    w = 1 if variant == "pingpong" else int(p["window"])
    timeout = int(p["timeout_ms"]) / 1000

    async def body(ctx, batches: int) -> list[Batch]:
        loop = asyncio.get_running_loop()
        server, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
        to = server.get_extra_info("sockname")
        client_t, client = await loop.create_datagram_endpoint(Client, local_addr=("127.0.0.1", 0))
        out = []
        try:
            for rnd in range(1, batches + 1):
                b, lost, bad = Batch(), 0, 0
                t0 = now_ns()
                first = 0
                while first < n:
                    count = min(w, n - first)
                    sent = {}
                    for seq in range(first, first + count):
                        sent[seq] = (now_ns(), datagram(rnd, seq, size))
                        client_t.sendto(sent[seq][1], to)
                    deadline = loop.time() + timeout
                    while sent:
                        left = deadline - loop.time()
                        if left <= 0:
                            break
                        try:
                            at, data = await asyncio.wait_for(client.inbox.get(), left)
                        except TimeoutError:
                            break
                        r, s = struct.unpack_from("<QQ", data) if len(data) >= HEADER else (0, 0)
                        if r != rnd or s not in sent:
                            bad += r == rnd
                            continue
                        t_send, expect = sent.pop(s)
                        if data == expect:
                            b.latencies.append(at - t_send)
                        else:
                            bad += 1
                    lost += len(sent)
                    first += count
                b.wall_ns = now_ns() - t0
                if lost:
                    b.error("lost", lost)
                if bad:
                    b.error("invalid", bad)
                b.values = {
                    "datagrams_per_s": len(b.latencies) / max(b.wall_ns / 1e9, 1e-9),
                    "lost_datagrams": float(lost),
                }
                out.append(b)
        finally:
            client_t.close()
            server.close()
        return out

    note = "one datagram in flight" if w == 1 else f"windows of {w} sent back to back"
    return Case(variant, body, f"DatagramProtocol echo server and client on one loop; {note}", "datagrams", n)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in ("pingpong", "burst")]
