"""primitives — mirrors the guide's "event loop", "coroutines vs tasks vs futures" and
"async iterators": ``spawn_join`` = ``await asyncio.create_task(coro())`` one after
another; ``yield_pingpong`` = two tasks each ``await asyncio.sleep(0)`` n/2 times;
``channel_pingpong`` = a round trip over two ``asyncio.Queue(maxsize=1)``; ``stream_iter``
= ``async for`` over an async generator (the guide's AsyncCounter without its sleep).
One batch = ``ops`` operations timed as a whole; latency sample = ns per op."""

from __future__ import annotations

import asyncio

from ..core import Batch, Case, now_ns

SECTION = "Event loop; coroutines vs tasks vs futures; async iterators"


async def ret(i: int) -> int:
    return i


async def counter(n: int):
    for i in range(n):
        yield i


async def run_op(op: str, n: int) -> tuple[int, int]:
    wrong = 0
    t0 = now_ns()
    if op == "spawn_join":
        for i in range(n):
            await asyncio.create_task(ret(i))
    elif op == "yield_pingpong":

        async def other() -> None:
            for _ in range(n // 2):
                await asyncio.sleep(0)

        t = asyncio.create_task(other())
        for _ in range(n - n // 2):
            await asyncio.sleep(0)
        await t
    elif op == "channel_pingpong":
        ping: asyncio.Queue = asyncio.Queue(maxsize=1)
        pong: asyncio.Queue = asyncio.Queue(maxsize=1)

        async def echo() -> None:
            while (v := await ping.get()) is not None:
                await pong.put(v)

        t = asyncio.create_task(echo())
        for i in range(n):
            await ping.put(i)
            if await pong.get() != i:
                wrong += 1
        await ping.put(None)
        await t
    else:
        count = 0
        async for _ in counter(n):
            count += 1
        wrong += abs(n - count)
    return now_ns() - t0, wrong


NOTES = {
    "spawn_join": "await asyncio.create_task(coro()), one after another",
    "yield_pingpong": "two tasks each await asyncio.sleep(0) n/2 times",
    "channel_pingpong": "round trip over two asyncio.Queue(maxsize=1)",
    "stream_iter": "async for over an async generator",
}


def case(op: str, p: dict) -> Case:
    n = int(p["ops"])

    async def body(ctx, batches: int) -> list[Batch]:
        out = []
        for _ in range(batches):
            # Inside a task, as the Rust case runs it.
            wall, wrong = await asyncio.create_task(run_op(op, n))
            b = Batch(wall_ns=wall)
            if wrong < n:
                b.latencies.append(round(wall / n))
            if wrong:
                b.error("invalid", wrong)
            b.values = {"ns_per_op": wall / n, "ops_per_s": n / max(wall / 1e9, 1e-9)}
            out.append(b)
        return out

    return Case(op, body, NOTES[op], "ops", n)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in NOTES]
