"""pipeline — mirrors the guide's "Implementing an asyncio producer-consumer pipeline":
P producer tasks put N items each on one ``asyncio.Queue`` (bounded: ``maxsize`` =
capacity; unbounded: ``maxsize=0``), Q consumer tasks take them until a sentinel per
consumer; latency = enqueue → dequeue (each item carries its enqueue time). The Rust
variants are three channel crates; here the one queue is the variant ``asyncio_queue``."""

from __future__ import annotations

import asyncio

from ..core import Batch, Case, now_ns

SECTION = "Implementing an Asyncio Producer-Consumer Pipeline"
STOP = None


def case(kind: str, p: dict) -> Case:
    np, nq, n = int(p["producers"]), int(p["consumers"]), int(p["items"])
    cap = int(p["capacity"]) if kind == "bounded" else 0
    timeout = int(p["timeout_ms"]) / 1000

    async def one() -> Batch:
        q: asyncio.Queue = asyncio.Queue(maxsize=cap)

        async def produce(pid: int) -> None:
            for seq in range(n):
                await q.put((pid, seq, now_ns()))

        async def consume() -> list[int]:
            lat = []
            while (item := await q.get()) is not STOP:
                lat.append(now_ns() - item[2])
            return lat

        t0 = now_ns()
        consumers = [asyncio.create_task(consume()) for _ in range(nq)]
        producers = [asyncio.create_task(produce(i)) for i in range(np)]
        lats: list[int] = []
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*producers)
                for _ in range(nq):
                    await q.put(STOP)
                for got in await asyncio.gather(*consumers):
                    lats.extend(got)
        except TimeoutError:
            for t in producers + consumers:
                t.cancel()
        wall = now_ns() - t0
        b = Batch(wall_ns=wall, latencies=lats)
        lost = np * n - len(lats)
        if lost:
            b.error("lost", lost)
        b.values = {"items_per_s": len(lats) / max(wall / 1e9, 1e-9), "lost_items": float(lost)}
        return b

    async def body(ctx, batches: int) -> list[Batch]:
        return [await one() for _ in range(batches)]

    size = f"maxsize={cap}" if cap else "unbounded"
    return Case(f"asyncio_queue-{kind}", body, f"asyncio.Queue({size})", "items", np * n)


def cases(p: dict) -> list[Case]:
    return [case(k, p) for k in dict.fromkeys(p["queues"])]
