"""A tiny loopback HTTP server with the test server's routes the Python side uses
(/delay/<ms>, /stats, /flaky), so the tests need neither the Rust binary nor a network."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from aiohttp import web


def flaky_fails(p: float, seed: int, n: int) -> bool:
    # Any deterministic rule will do here: the Rust server has its own.
    h = int.from_bytes(hashlib.blake2b(f"{seed}/{n}".encode(), digest_size=8).digest(), "little")
    return h / 2**64 < p


class Server:
    def __init__(self) -> None:
        self.open = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    async def delay(self, request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.match_info["ms"]) / 1000)
        return web.Response(text="ok")

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"connections_open": self.open})

    async def flaky(self, request: web.Request) -> web.Response:
        q = parse_qs(urlparse(str(request.url)).query)
        fail = flaky_fails(float(q["p"][0]), int(q["seed"][0]), int(q["n"][0]))
        return web.Response(status=503 if fail else 200, text="x")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/delay/{ms}", self.delay)
        app.router.add_get("/stats", self.stats)
        app.router.add_get("/flaky", self.flaky)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()
