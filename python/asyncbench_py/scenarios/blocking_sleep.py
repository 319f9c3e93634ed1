"""blocking_sleep — mirrors the guide's "asyncio.sleep() vs. time.sleep()" and
"cooperative multitasking": K tasks each wait S, with ``await asyncio.sleep(S)`` or with
``time.sleep(S)`` inside the coroutine, while victim requests and the loop-lag probe run
beside them. Ideal: S (the Rust case's). On one event loop ``time.sleep`` runs the K
waits one after another (≈ K·S) and stops the victims and the probe meanwhile."""

from __future__ import annotations

import asyncio
import time

from ..core import Batch, Case, now_ns
from ..hazard import LAG_NOTE, LagProbe, Watched

SECTION = "asyncio.sleep() vs. time.sleep()"
MAX_VICTIM_REQUESTS = 10_000


def case(wait: str, p: dict) -> Case:
    k, s = int(p["tasks"]), int(p["sleep_ms"]) / 1000

    async def sleeper() -> int:
        if wait == "runtime_sleep":
            await asyncio.sleep(s)
        else:
            time.sleep(s)  # the guide's anti-pattern, on purpose
        return now_ns()

    async def body(ctx, batches: int) -> list[Batch]:
        out = []
        async with Watched(ctx, p) as w:
            for _ in range(batches):
                probe = LagProbe(w.period).start()
                stop = asyncio.Event()
                victims = w.spawn_victims(MAX_VICTIM_REQUESTS, stop)
                t0 = now_ns()
                tasks = [asyncio.create_task(sleeper()) for _ in range(k)]
                ends = await asyncio.gather(*tasks, return_exceptions=True)
                done = [e for e in ends if isinstance(e, int)]
                b = Batch(wall_ns=(max(done) if done else now_ns()) - t0)
                b.error("join", len(ends) - len(done))
                stop.set()
                requests = 0
                for v in await asyncio.gather(*victims):
                    requests += len(v)
                    for r in v:
                        b.outcome(r)
                b.extra["loop_lag"] = await probe.stop()
                b.values["victim_requests"] = float(requests)
                b.values["workers"] = 1.0
                if not b.errors.get("join"):
                    b.errors.pop("join", None)
                out.append(b)
        return out

    how = "await asyncio.sleep(S) in each task" if wait == "runtime_sleep" else "time.sleep(S) in each task"
    return Case(wait, body, f"{how}; {LAG_NOTE}", "sleeps", k)


def cases(p: dict) -> list[Case]:
    return [case(w, p) for w in ("runtime_sleep", "thread_sleep")]
