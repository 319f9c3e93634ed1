"""retry_backoff — mirrors the guide's "retries with exponential backoff": C calls (at
most K in flight, a semaphore), each up to R attempts at the server's seeded
``/flaky?p=&seed=&n=`` route (the same keys as the Rust calls, so the same attempts fail),
waiting ``asyncio.sleep(backoff)`` between attempts: fixed b, exponential min(b·2^(k-1),
cap), or full jitter uniform on [0, that] (Python's own seeded generator: other draws
than the Rust side, the same distribution). Expectations are the Rust module's formulas
(``support/backoff.rs``)."""

from __future__ import annotations

import asyncio
import random

from .. import http
from ..core import Batch, Case, StatusError, now_ns

SECTION = "retries with exponential backoff"
POLICIES = ("fixed", "exponential", "full_jitter")


def ceiling(policy: str, k: int, base: float, cap: float) -> float:
    return base if policy == "fixed" else min(base * 2 ** (k - 1), cap)


def expect(policy: str, p: float, r: int, base: float, cap: float) -> tuple[float, float, float]:
    """(success rate, attempts per call, wait per call in s), as `Schedule::expect`."""
    attempts, wait, pk = 0.0, 0.0, 1.0
    for k in range(r):
        attempts += pk
        if k > 0:
            c = ceiling(policy, k, base, cap)
            wait += pk * (c / 2 if policy == "full_jitter" else c)
        pk *= p
    return 1 - pk, attempts, wait


def case(policy: str, pr: dict) -> Case:
    p, r, seed = float(pr["p"]), int(pr["max_attempts"]), int(pr["seed"])
    base, cap = int(pr["base_delay_ms"]) / 1000, int(pr["max_delay_ms"]) / 1000
    calls, conc = int(pr["calls"]), int(pr["concurrency"])

    async def body(ctx, batches: int) -> list[Batch]:
        out, next_call = [], 0
        async with http.session(pr["connection"], int(pr["timeout_ms"])) as s:

            async def call(cid: int, sem: asyncio.Semaphore, b: Batch) -> tuple[bool, int, int, float, float]:
                async with sem:
                    rng = random.Random(seed ^ ((cid + 1) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF))
                    t0, scheduled, slept, attempts, ok = now_ns(), 0.0, 0.0, 0, False
                    for attempt in range(1, r + 1):
                        attempts = attempt
                        key = (cid * r + attempt - 1) & 0xFFFFFFFFFFFFFFFF
                        try:
                            await http.get(s, ctx.url(f"/flaky?p={p}&seed={seed}&n={key}"))
                            ok = True
                            break
                        except StatusError as e:
                            if "HTTP 503" not in str(e):
                                b.error("status")
                        except Exception as e:
                            b.outcome(e)
                        if attempt < r:
                            c = ceiling(policy, attempt, base, cap)
                            w = rng.uniform(0, c) if policy == "full_jitter" else c
                            s0 = now_ns()
                            await asyncio.sleep(w)
                            slept += (now_ns() - s0) / 1e9
                            scheduled += w
                    return ok, attempts, now_ns() - t0, scheduled, slept

            for _ in range(batches):
                b, sem = Batch(), asyncio.Semaphore(conc)
                t0 = now_ns()
                res = await asyncio.gather(*(call(i, sem, b) for i in range(next_call, next_call + calls)))
                b.wall_ns = now_ns() - t0
                next_call += calls
                exhausted = []
                for ok, _, lat, _, _ in res:
                    (b.latencies if ok else exhausted).append(lat)
                b.extra["exhausted"] = exhausted
                e = expect(policy, p, r, base, cap)
                b.values = {
                    "success_rate": sum(1 for x in res if x[0]) / calls,
                    "expected_success_rate": e[0],
                    "attempts_per_call": sum(x[1] for x in res) / calls,
                    "expected_attempts": e[1],
                    "wait_ms": sum(x[4] for x in res) * 1e3 / calls,
                    "scheduled_wait_ms": sum(x[3] for x in res) * 1e3 / calls,
                    "expected_wait_ms": e[2] * 1e3,
                }
                out.append(b)
        return out

    return Case(policy, body, f"asyncio.sleep backoff ({policy}) between aiohttp attempts", "calls", calls)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in POLICIES]
