"""timeout — mirrors the guide's ``asyncio.timeout()``: ``in_time`` wraps a yield
(``asyncio.sleep(0)``) in ``async with asyncio.timeout(d)`` with a deadline never reached,
timed in chunks against the same yield unwrapped (``unwrapped`` row); ``fires`` awaits a
future that never completes under ``asyncio.timeout(d)`` and records how late past the
deadline the code resumes."""

from __future__ import annotations

import asyncio

from ..core import Batch, Case, now_ns

SECTION = "asyncio.timeout()"


def case(variant: str, p: dict) -> Case:
    async def in_time(wrapped_first: bool) -> Batch:
        ops, chunk = int(p["ops"]), int(p["chunk"])
        d = int(p["in_time_deadline_ms"]) / 1000
        b, plain = Batch(), []
        plain_total, fired = 0, 0
        for _ in range(ops // chunk):
            for wrapped in (wrapped_first, not wrapped_first):
                t0 = now_ns()
                if wrapped:
                    for _ in range(chunk):
                        try:
                            async with asyncio.timeout(d):
                                await asyncio.sleep(0)
                        except TimeoutError:
                            fired += 1
                else:
                    for _ in range(chunk):
                        await asyncio.sleep(0)
                took = now_ns() - t0
                if wrapped:
                    b.wall_ns += took
                    b.latencies.append(took // chunk)
                else:
                    plain_total += took
                    plain.append(took // chunk)
        n = (ops // chunk) * chunk
        b.extra["unwrapped"] = plain
        if fired:
            b.error("timeout", fired)
        b.values = {
            "wrapped_ns_per_op": b.wall_ns / n,
            "unwrapped_ns_per_op": plain_total / n,
            "overhead_ns_per_op": (b.wall_ns - plain_total) / n,
        }
        return b

    async def fires() -> Batch:
        d_ms = int(p["deadline_ms"])
        b, early, completed = Batch(), 0, 0
        loop = asyncio.get_running_loop()
        t0 = now_ns()
        for _ in range(int(p["fires"])):
            start = now_ns()
            try:
                async with asyncio.timeout(d_ms / 1000):
                    await loop.create_future()
                completed += 1
            except TimeoutError:
                resumed = now_ns()
                due = start + d_ms * 1_000_000
                if resumed >= due:
                    b.latencies.append(resumed - due)
                else:
                    early += 1
        b.wall_ns = now_ns() - t0
        if early + completed:
            b.error("invalid", early + completed)
        b.values = {"fired_early": float(early), "deadline_ms": float(d_ms)}
        return b

    async def body(ctx, batches: int) -> list[Batch]:
        out = []
        for i in range(batches):
            # Alternate which half goes first, as the Rust case does between batches.
            out.append(await (in_time(i % 2 == 0) if variant == "in_time" else fires()))
        return out

    if variant == "in_time":
        ops = int(p["ops"]) // int(p["chunk"]) * int(p["chunk"])
        return Case(variant, body, "async with asyncio.timeout(d): await asyncio.sleep(0)", "ops", ops)
    return Case(variant, body, "async with asyncio.timeout(d): await a future never set", "timeouts", int(p["fires"]))


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in ("in_time", "fires")]
