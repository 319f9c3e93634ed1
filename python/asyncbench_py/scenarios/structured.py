"""structured — mirrors the guide's "structured concurrency (TaskGroup)", exception
handling and cancellation: N children in an ``asyncio.TaskGroup``; in ``one_fails`` the
last child raises after F while its siblings would work S, so the group cancels them and
exits with an ``ExceptionGroup``. Latency = each cancelled sibling's cleanup (its
``finally``) after the failure; ``failure_to_exit`` = failure → group exit; ``tasks_leaked``
must be 0. ``all_succeed``: N children that return at once (the group's own cost)."""

from __future__ import annotations

import asyncio

from ..core import Batch, Case, now_ns

SECTION = "structured concurrency (TaskGroup); exception handling; cancellation"


class Failed(Exception):
    def __init__(self, at: int):
        super().__init__("planted failure")
        self.at = at


def case(variant: str, p: dict) -> Case:
    n, f, s = int(p["children"]), int(p["fail_after_ms"]) / 1000, int(p["sibling_work_ms"]) / 1000

    async def one_fails() -> Batch:
        live, cleaned, finished = [0], [], [0]

        async def sibling() -> None:
            live[0] += 1
            try:
                await asyncio.sleep(s)
                finished[0] += 1
            finally:
                cleaned.append(now_ns())
                live[0] -= 1

        async def failing() -> None:
            live[0] += 1
            try:
                await asyncio.sleep(f)
                raise Failed(now_ns())
            finally:
                live[0] -= 1

        t0 = now_ns()
        at = None
        try:
            async with asyncio.TaskGroup() as tg:
                for _ in range(n - 1):
                    tg.create_task(sibling())
                tg.create_task(failing())
        except* Failed as eg:
            at = eg.exceptions[0].at
        exited = now_ns()
        b = Batch(wall_ns=exited - t0)
        if at is None:
            b.error("invalid")
        else:
            b.latencies = [max(0, c - at) for c in cleaned]
            b.extra["failure_to_exit"] = [exited - at]
        b.values = {
            "tasks_leaked": float(live[0]),
            "cleanup_guards_run": float(len(cleaned)),
            "expected_cleanup_guards": float(n - 1),
            "siblings_finished": float(finished[0]),
            "siblings_cancelled": float(len(cleaned) - finished[0]),
        }
        return b

    async def all_succeed() -> Batch:
        live = [0]
        t0 = now_ns()

        async def child() -> int:
            live[0] += 1
            live[0] -= 1
            return now_ns() - t0

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(child()) for _ in range(n)]
        wall = now_ns() - t0
        b = Batch(wall_ns=wall, latencies=[t.result() for t in tasks])
        b.values = {"ns_per_child": wall / n, "tasks_leaked": float(live[0]), "cleanup_guards_run": float(n)}
        return b

    one = one_fails if variant == "one_fails" else all_succeed

    async def body(ctx, batches: int) -> list[Batch]:
        return [await one() for _ in range(batches)]

    note = "asyncio.TaskGroup, one child raises" if variant == "one_fails" else "asyncio.TaskGroup, N children"
    return Case(variant, body, note, "children", n)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in ("one_fails", "all_succeed")]
