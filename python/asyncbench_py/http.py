"""aiohttp as the guide uses it: one ``ClientSession`` per case, over fresh connections
(``force_close``) or a keep-alive pool, the same two modes as the Rust client."""

from __future__ import annotations

import aiohttp

from .core import StatusError, now_ns

MODES = ("fresh", "keepalive")


def session(mode: str, timeout_ms: int) -> aiohttp.ClientSession:
    if mode not in MODES:
        raise ValueError(f"connection mode {mode!r}: allowed {', '.join(MODES)}")
    # limit=0: no client-side cap on connections, as the Rust pool has none.
    conn = aiohttp.TCPConnector(force_close=(mode == "fresh"), limit=0)
    return aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=timeout_ms / 1000))


async def get(s: aiohttp.ClientSession, url: str) -> int:
    """One GET with its body read; returns its latency in ns, raises on failure."""
    t0 = now_ns()
    async with s.get(url) as r:
        await r.read()
        if not 200 <= r.status < 300:
            raise StatusError(f"{url}: HTTP {r.status}")
    return now_ns() - t0
