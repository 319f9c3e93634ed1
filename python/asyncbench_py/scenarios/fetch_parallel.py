"""fetch_parallel — mirrors the guide's "Fetching multiple URLs", "gather vs sequential
awaits" and "gather vs create_task": N GETs of /delay/D awaited one after another, with
``asyncio.gather``, as ``create_task`` tasks, and at most k at a time (a semaphore).
Ideal: N·D, D, D, ⌈N/k⌉·D (the Rust cases' ideals)."""

from __future__ import annotations

import asyncio

from .. import http
from ..core import Batch, Case, now_ns

SECTION = "Fetching multiple URLs; gather vs sequential awaits; gather vs create_task"

NOTES = {
    "sequential": "for url in urls: await fetch(url)",
    "join_all": "asyncio.gather(*(fetch(u) for u in urls))",
    "spawned": "asyncio.create_task per url, then await each",
    "bounded": "asyncio.gather with an asyncio.Semaphore(k)",
}


async def fetch_all(pattern: str, s, url: str, n: int, k: int) -> list:
    if pattern == "sequential":
        out = []
        for _ in range(n):
            try:
                out.append(await http.get(s, url))
            except Exception as e:
                out.append(e)
        return out
    if pattern == "join_all":
        return await asyncio.gather(*(http.get(s, url) for _ in range(n)), return_exceptions=True)
    if pattern == "spawned":
        tasks = [asyncio.create_task(http.get(s, url)) for _ in range(n)]
        out = []
        for t in tasks:
            try:
                out.append(await t)
            except Exception as e:
                out.append(e)
        return out
    sem = asyncio.Semaphore(k)

    async def bounded() -> int:
        async with sem:
            return await http.get(s, url)

    return await asyncio.gather(*(bounded() for _ in range(n)), return_exceptions=True)


def case(pattern: str, mode: str, p: dict) -> Case:
    n, k = int(p["requests"]), int(p["bound"])

    async def body(ctx, batches: int) -> list[Batch]:
        url = ctx.url(f"/delay/{int(p['delay_ms'])}")
        out = []
        async with http.session(mode, int(p["timeout_ms"])) as s:
            for _ in range(batches):
                t0 = now_ns()
                rs = await fetch_all(pattern, s, url, n, k)
                b = Batch(wall_ns=now_ns() - t0)
                for r in rs:
                    b.outcome(r)
                out.append(b)
        return out

    return Case(f"{pattern}-{mode}", body, NOTES[pattern], "requests", n)


def cases(p: dict) -> list[Case]:
    modes = list(dict.fromkeys(p["connections"]))
    return [case(v, m, p) for v in NOTES for m in modes]
