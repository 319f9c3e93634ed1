"""Batches, histograms and the round loop shared by every scenario module."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from hdrh.histogram import HdrHistogram

# The Rust recorder's settings (src/measure/recorder.rs): nanoseconds, 3 significant
# digits. The Rust side auto-resizes; an hour is far above any value recorded here.
LOWEST_NS = 1
HIGHEST_NS = 3_600_000_000_000
SIG_FIGS = 3

now_ns = time.perf_counter_ns


def new_hist() -> HdrHistogram:
    return HdrHistogram(LOWEST_NS, HIGHEST_NS, SIG_FIGS)


def encode(values_ns: list[int]) -> str | None:
    """One batch's values as a V2-compressed base64 histogram (None when empty)."""
    if not values_ns:
        return None
    h = new_hist()
    for v in values_ns:
        # Zero is stored as 1 ns, as on the Rust side (lowest trackable value).
        h.record_value(min(max(int(v), LOWEST_NS), HIGHEST_NS))
    return h.encode().decode("ascii")


@dataclass
class Batch:
    """What one batch measured (the Rust ``measure::Batch``)."""

    wall_ns: int = 0
    latencies: list[int] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    extra: dict[str, list[int]] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + n

    def outcome(self, r: int | BaseException) -> None:
        """Records a per-operation outcome: a latency in ns, or an exception."""
        if isinstance(r, BaseException):
            self.error(error_kind(r))
        else:
            self.latencies.append(r)

    def to_json(self) -> dict:
        out: dict = {"wall_ns": int(self.wall_ns)}
        lat = encode(self.latencies)
        if lat is not None:
            out["latency"] = lat
        if self.errors:
            out["errors"] = self.errors
        extra = {k: e for k, v in self.extra.items() if (e := encode(v)) is not None}
        if extra:
            out["extra"] = extra
        if self.values:
            out["values"] = self.values
        return out


def error_kind(e: BaseException) -> str:
    """Maps an exception onto the Rust side's error kinds (measure/outcome.rs)."""
    import aiohttp
    import requests

    if isinstance(e, (asyncio.TimeoutError, TimeoutError, requests.Timeout)):
        return "timeout"
    if isinstance(e, (StatusError, requests.HTTPError)):
        return "status"
    if isinstance(e, requests.ConnectionError):
        return "connect"
    if isinstance(e, (aiohttp.ClientConnectorError, ConnectionRefusedError)):
        return "connect"
    if isinstance(e, (aiohttp.ServerDisconnectedError, ConnectionResetError, BrokenPipeError)):
        return "closed"
    if isinstance(e, OSError):
        return "io"
    return "invalid"


class StatusError(Exception):
    """A reply whose status is not 2xx (the Rust side counts it as `status`)."""


# A case body runs `n` batches on the current loop and returns them in order.
Body = Callable[["Ctx", int], Awaitable[list[Batch]]]


@dataclass
class Case:
    variant: str
    body: Body
    note: str = ""
    unit: str = "ops"
    ops_per_batch: int = 0
    # Runtimes this case runs on (None: all); e.g. a blocking `requests` case has no
    # event loop to compare, so it runs once, on the asyncio row.
    only: tuple[str, ...] | None = None


@dataclass
class Ctx:
    """What a case needs from its surroundings."""

    host: str
    port: int
    params: dict
    runtime: str

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


async def repeat(n: int, one: Callable[[], Awaitable[Batch]]) -> list[Batch]:
    """The common body: `n` independent batches, one after another."""
    return [await one() for _ in range(n)]
