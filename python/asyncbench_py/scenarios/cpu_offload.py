"""cpu_offload — mirrors the guide's "Running blocking code safely within asyncio"
(``asyncio.to_thread`` / ``loop.run_in_executor``) and "when asyncio is not the best
choice" (the GIL): J tasks keep a CPU job running while victim tasks issue R keep-alive
GETs each; the job runs inline on the loop, via ``asyncio.to_thread`` (the default
thread pool: label ``blocking_pool``), on one dedicated thread, or in a process pool
(Python only). ``no_load`` is the reference. The load stops when the victims are done.

The job is pure Python (an FNV-1a hash over ``job_kib``/8 KiB, one pass): the same kind of
work as the Rust job, sized so one job costs about what the Rust one does (~1 ms; pure
Python is ~100x slower per byte), not the same bytes; ``cpu_job_ns`` says what one costs
here, measured in setup. Under the GIL a thread pool shares one core with the loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random

from ..core import Batch, Case, now_ns
from ..hazard import LAG_NOTE, LagProbe, Watched

SECTION = "Running blocking code safely within asyncio; the GIL"
MAX_JOBS_PER_TASK = 100_000


def make_buffer(kib: int) -> bytes:
    return random.Random(42).randbytes(max(1, int(kib) * 1024 // 8))


def job(buf: bytes) -> int:
    """FNV-1a, 64-bit, in pure Python: CPU-bound and holding the GIL throughout."""
    h = 0xCBF29CE484222325
    for b in buf:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


PLACES = {
    "no_load": "no CPU job: the reference",
    "inline": "job() called inline in the coroutine",
    "blocking_pool": "await asyncio.to_thread(job)",
    "dedicated_thread": "loop.run_in_executor(ThreadPoolExecutor(max_workers=1), job)",
    "process_pool": "loop.run_in_executor(ProcessPoolExecutor(), job)",
}


def case(place: str, p: dict) -> Case:
    j, r = int(p["jobs_in_flight"]), int(p["victim_requests"])

    async def body(ctx, batches: int) -> list[Batch]:
        buf = make_buffer(p["job_kib"])
        expected = job(buf)
        c0 = now_ns()
        for _ in range(3):
            job(buf)
        cpu_job_ns = (now_ns() - c0) / 3
        pool = None
        if place == "dedicated_thread":
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        elif place == "process_pool":
            pool = concurrent.futures.ProcessPoolExecutor()
        loop = asyncio.get_running_loop()

        async def run_job() -> int:
            if place == "inline":
                return job(buf)
            if place == "blocking_pool":
                return await asyncio.to_thread(job, buf)
            return await loop.run_in_executor(pool, job, buf)

        async def job_task(stop: asyncio.Event) -> tuple[list[int], int, int]:
            lat, bad, end = [], 0, now_ns()
            while not stop.is_set() and len(lat) < MAX_JOBS_PER_TASK:
                t = now_ns()
                if await run_job() == expected:
                    lat.append(now_ns() - t)
                else:
                    bad += 1
                end = now_ns()
                await asyncio.sleep(0)
            return lat, bad, end

        out = []
        try:
            if pool is not None:  # start the workers outside the timed part
                await loop.run_in_executor(pool, job, b"")
            async with Watched(ctx, p) as w:
                for _ in range(batches):
                    probe = LagProbe(w.period).start()
                    stop = asyncio.Event()
                    t0 = now_ns()
                    jobs = [] if place == "no_load" else [asyncio.create_task(job_task(stop)) for _ in range(j)]
                    victims = w.spawn_victims(r, asyncio.Event())
                    results = await asyncio.gather(*victims)
                    wall = now_ns() - t0
                    stop.set()
                    tallies = await asyncio.gather(*jobs)
                    b = Batch(wall_ns=wall)
                    for v in results:
                        for x in v:
                            b.outcome(x)
                    b.extra["loop_lag"] = await probe.stop()
                    b.values["workers"] = 1.0
                    if jobs:
                        lat = [x for t in tallies for x in t[0]]
                        bad = sum(t[1] for t in tallies)
                        if bad:
                            b.error("invalid", bad)
                        load_ns = max(t[2] for t in tallies) - t0
                        b.extra["cpu_job"] = lat
                        b.values["cpu_jobs"] = float(len(lat))
                        b.values["cpu_jobs_per_s"] = len(lat) / max(load_ns / 1e9, 1e-9)
                        b.values["cpu_job_ns"] = cpu_job_ns
                    out.append(b)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        return out

    ops = int(p["victims"]) * r
    return Case(place, body, f"{PLACES[place]}; {LAG_NOTE}", "requests", ops)


def cases(p: dict) -> list[Case]:
    return [case(place, p) for place in PLACES]
