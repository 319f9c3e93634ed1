"""sync_vs_async — mirrors the guide's "Synchronous vs asynchronous requests" and its
practice problem: N GETs of /delay/D with ``requests`` one after another (blocking, no
event loop: the guide's starting point), with ``requests`` on one thread per request,
and with aiohttp awaited in sequence or gathered. Ideal: N·D sequential, D concurrent."""

from __future__ import annotations

import asyncio
import threading

import requests

from .. import http
from ..core import Batch, Case, now_ns
from .fetch_parallel import fetch_all

SECTION = "Synchronous vs asynchronous requests"


def blocking_get(s: requests.Session | None, url: str, timeout: float) -> int:
    t0 = now_ns()
    r = (s or requests).get(url, timeout=timeout)
    r.raise_for_status()
    return now_ns() - t0


def blocking_case(label: str, threaded: bool, p: dict) -> Case:
    n, timeout, mode = int(p["requests"]), int(p["timeout_ms"]) / 1000, p["connection"]

    def batch(url: str, s) -> Batch:
        results: list = [None] * n

        def one(i: int) -> None:
            try:
                results[i] = blocking_get(s, url, timeout)
            except Exception as e:
                results[i] = e

        t0 = now_ns()
        if threaded:
            ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        else:
            for i in range(n):
                one(i)
        b = Batch(wall_ns=now_ns() - t0)
        for r in results:
            b.outcome(r)
        return b

    async def body(ctx, batches: int) -> list[Batch]:
        url = ctx.url(f"/delay/{int(p['delay_ms'])}")
        # keepalive: one requests.Session (a pooled connection); fresh: the module-level
        # requests.get, a new connection each time (the guide's code).
        s = requests.Session() if mode == "keepalive" else None
        try:
            # Blocking on purpose: this is the synchronous baseline, the loop is idle.
            return [batch(url, s) for _ in range(batches)]
        finally:
            if s is not None:
                s.close()

    note = (
        f"requests on one thread per request ({n} threads), no event loop"
        if threaded
        else "blocking requests.get one after another, no event loop"
    )
    return Case(label, body, note, "requests", n, only=("asyncio",))


def async_case(label: str, pattern: str, p: dict) -> Case:
    n = int(p["requests"])

    async def body(ctx, batches: int) -> list[Batch]:
        url = ctx.url(f"/delay/{int(p['delay_ms'])}")
        out = []
        async with http.session(p["connection"], int(p["timeout_ms"])) as s:
            for _ in range(batches):
                t0 = now_ns()
                rs = await fetch_all(pattern, s, url, n, n)
                b = Batch(wall_ns=now_ns() - t0)
                for r in rs:
                    b.outcome(r)
                out.append(b)
        return out

    note = "aiohttp, sequential awaits" if pattern == "sequential" else "aiohttp, asyncio.gather"
    return Case(label, body, note, "requests", n)


def cases(p: dict) -> list[Case]:
    return [
        async_case("sequential", "sequential", p),
        async_case("concurrent", "join_all", p),
        blocking_case("requests_sequential", False, p),
        blocking_case("requests_threads", True, p),
    ]
