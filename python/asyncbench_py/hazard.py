"""What blocking_sleep and cpu_offload share (the Rust ``support/victims.rs``): victim
tasks issuing keep-alive GETs one after another beside the hazard, and the
loop-responsiveness probe.

The probe is a periodic asyncio task that measures its own lateness: it sleeps until
each deadline of a fixed cadence and records how late it woke; deadlines a stall held
up are all recorded (coordinated omission, as the Rust probes do). It stands in for
the Rust ``sched_delay`` row (a blocked loop shows in it alike on asyncio and uvloop),
but it goes through the loop's timer, so it also contains the timer's resolution
(asyncio rounds its selector timeout up to whole milliseconds): its row is named
``loop_lag``, not ``sched_delay``."""

from __future__ import annotations

import asyncio

from . import http
from .core import now_ns


class LagProbe:
    def __init__(self, period_ms: int):
        self.period = int(period_ms) * 1_000_000
        self.samples: list[int] = []
        self._stop = False
        self._task: asyncio.Task | None = None

    def start(self) -> "LagProbe":
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        nxt = now_ns() + self.period
        while not self._stop:
            await asyncio.sleep(max(0, nxt - now_ns()) / 1e9)
            t = now_ns()
            while nxt <= t:
                self.samples.append(t - nxt)
                nxt += self.period

    async def stop(self) -> list[int]:
        self._stop = True
        if self._task is not None:
            await self._task
        return self.samples


LAG_NOTE = (
    "loop_lag: a periodic asyncio task sleeping to a fixed cadence (probe_period_ms) records how late "
    "it wakes, every held-up deadline counted; it stands in for sched_delay (it includes the loop "
    "timer's ~1 ms resolution)"
)


async def victim(s, url: str, max_each: int, stop: asyncio.Event, spawned: int) -> list:
    """One victim: GETs one after another until `stop` (at least one, at most `max_each`).
    The first is timed from the spawn, as in Rust (a task left queued pays for it)."""
    out = []
    for i in range(max_each):
        if i > 0 and stop.is_set():
            break
        start = spawned if i == 0 else now_ns()
        try:
            await http.get(s, url)
            out.append(now_ns() - start)
        except Exception as e:
            out.append(e)
    return out


class Watched:
    """The victims' session, connections opened before the first batch."""

    def __init__(self, ctx, p: dict):
        self.url = ctx.url(f"/delay/{int(p['victim_delay_ms'])}")
        self.tasks = int(p["victims"])
        self.period = int(p["probe_period_ms"])
        self.session = http.session("keepalive", int(p["timeout_ms"]))

    async def __aenter__(self) -> "Watched":
        await asyncio.gather(*(http.get(self.session, self.url) for _ in range(self.tasks)))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    def spawn_victims(self, max_each: int, stop: asyncio.Event) -> list[asyncio.Task]:
        t = now_ns()
        return [asyncio.create_task(victim(self.session, self.url, max_each, stop, t)) for _ in range(self.tasks)]
