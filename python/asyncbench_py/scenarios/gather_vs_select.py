"""gather_vs_select — mirrors the guide's "wait vs gather", ``FIRST_COMPLETED`` and "task
cancellation and cleanup": one GET per entry of ``delays_ms`` over fresh connections,
collected with ``asyncio.gather`` (nothing before the last), ``asyncio.as_completed``
(batch time = time to the first), ``asyncio.wait(FIRST_COMPLETED)`` then ``cancel()`` the
rest, or the first result while the rest keep running. For the two races the server's
``/stats`` shows when the losers' connections are closed (``loser_cleanup``).
Ideal: min(D) to the first, max(D) to all (the Rust cases')."""

from __future__ import annotations

import asyncio
import json

from .. import http
from ..core import Batch, Case, now_ns

SECTION = "wait vs gather; FIRST_COMPLETED; task cancellation and cleanup"
POLL_S = 0.001

NOTES = {
    "join_all": "asyncio.gather(*fetches)",
    "as_completed": "for f in asyncio.as_completed(fetches): await f",
    "select_cancel": "asyncio.wait(tasks, return_when=FIRST_COMPLETED), then cancel the rest",
    "first_keep_running": "asyncio.wait(FIRST_COMPLETED), the rest left running",
}


async def open_connections(probe, url: str) -> int:
    async with probe.get(url) as r:
        return json.loads(await r.read())["connections_open"]


async def wait_open_at_most(probe, url: str, target: int, since: int, wait_s: float) -> tuple[int | None, int]:
    deadline = now_ns() + int(wait_s * 1e9)
    while True:
        n = await open_connections(probe, url)
        if n <= target:
            return now_ns() - since, 0
        if now_ns() > deadline:
            return None, n - target
        await asyncio.sleep(POLL_S)


def case(variant: str, p: dict) -> Case:
    delays = [int(d) for d in p["delays_ms"]]
    timeout, cleanup_wait = int(p["timeout_ms"]), int(p["cleanup_wait_ms"]) / 1000

    async def body(ctx, batches: int) -> list[Batch]:
        urls = [ctx.url(f"/delay/{d}") for d in delays]
        stats = ctx.url("/stats")
        out = []
        async with http.session("fresh", timeout) as s, http.session("keepalive", timeout) as probe:
            await open_connections(probe, stats)
            for _ in range(batches):
                b = Batch()
                if variant == "join_all":
                    t0 = now_ns()
                    rs = await asyncio.gather(*(http.get(s, u) for u in urls), return_exceptions=True)
                    b.wall_ns = now_ns() - t0
                    for r in rs:
                        b.outcome(r)
                    b.extra["time_to_first"] = [b.wall_ns]
                elif variant == "as_completed":
                    t0, first = now_ns(), None
                    for f in asyncio.as_completed([http.get(s, u) for u in urls]):
                        try:
                            b.outcome(await f)
                            first = first or now_ns() - t0
                        except Exception as e:
                            b.outcome(e)
                    total = now_ns() - t0
                    b.wall_ns = first or total
                    b.extra["time_to_all"] = [total]
                else:
                    base = await open_connections(probe, stats)
                    t0 = now_ns()
                    pending = {asyncio.create_task(http.get(s, u)) for u in urls}
                    while pending:
                        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                        ok = [t for t in done if t.exception() is None]
                        for t in done:
                            b.outcome(t.result() if t.exception() is None else t.exception())
                        if ok:
                            break
                    first_at = now_ns()
                    b.wall_ns = first_at - t0
                    losers, wait = len(pending), cleanup_wait
                    if variant == "select_cancel":
                        for t in pending:
                            t.cancel()
                        await asyncio.gather(*pending, return_exceptions=True)
                        b.extra["abort"] = [now_ns() - first_at]
                    else:
                        for r in await asyncio.gather(*pending, return_exceptions=True):
                            b.outcome(r)
                        b.extra["time_to_all"] = [now_ns() - t0]
                        wait += max(delays) / 1000
                    closed, still = await wait_open_at_most(probe, stats, base, first_at, wait)
                    if closed is not None:
                        b.extra["loser_cleanup"] = [closed]
                    b.values["losers_still_open_after_wait"] = float(still)
                    b.values["losers"] = float(losers)
                b.values["ideal_first_ms"] = float(min(delays))
                b.values["ideal_all_ms"] = float(max(delays))
                out.append(b)
        return out

    return Case(variant, body, NOTES[variant], "requests", len(delays))


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in NOTES]
