"""file_read — mirrors the guide's "Concurrent file reading with aiofiles": F files of S
bytes (written in setup, read once so the page cache is warm), read with ``aiofiles``
(``async with aiofiles.open(...) as f: await f.read()``, all gathered: label
``runtime_fs``), with ``asyncio.to_thread`` on a plain read (label ``spawn_blocking``), or
one after another with plain ``open().read()`` (``std_sequential``, no event loop
involved, asyncio row only). Each read is checked against its file's digest.
Latency = issue → bytes in hand."""

from __future__ import annotations

import asyncio
import hashlib
import random
import tempfile
from pathlib import Path

import aiofiles

from ..core import Batch, Case, now_ns

SECTION = "Concurrent File Reading with aiofiles"


class FileSet:
    def __init__(self, count: int, size: int):
        self.dir = tempfile.TemporaryDirectory(prefix="asyncbench-py-files-")
        self.files: list[tuple[Path, str]] = []
        for i in range(count):
            data = random.Random(i).randbytes(size)
            path = Path(self.dir.name) / f"file-{i:04}.bin"
            path.write_bytes(data)
            self.files.append((path, hashlib.blake2b(data).hexdigest()))
        for path, _ in self.files:
            path.read_bytes()

    def finish(self, wall: int, reads: list) -> Batch:
        b, bad, nbytes = Batch(wall_ns=wall), 0, 0
        for (_, digest), r in zip(self.files, reads):
            if isinstance(r, BaseException):
                b.outcome(r)
                continue
            data, lat = r
            if hashlib.blake2b(data).hexdigest() == digest:
                nbytes += len(data)
                b.latencies.append(lat)
            else:
                bad += 1
        if bad:
            b.error("invalid", bad)
        secs = max(wall / 1e9, 1e-9)
        b.values = {
            "files_per_s": len(b.latencies) / secs,
            "mib_per_s": nbytes / (1024 * 1024) / secs,
            "mismatched_files": float(bad),
        }
        return b


def read_plain(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


async def read_aiofiles(path: Path, t0: int) -> tuple[bytes, int]:
    async with aiofiles.open(path, "rb") as f:
        data = await f.read()
    return data, now_ns() - t0


async def read_thread(path: Path, t0: int) -> tuple[bytes, int]:
    data = await asyncio.to_thread(read_plain, path)
    return data, now_ns() - t0


NOTES = {
    "std_sequential": "open().read() one file after another, no event loop",
    "runtime_fs": "aiofiles.open + await f.read(), all gathered",
    "spawn_blocking": "asyncio.to_thread(open().read), all gathered",
}


def case(variant: str, p: dict) -> Case:
    count, size = int(p["files"]), int(p["file_bytes"])

    async def body(ctx, batches: int) -> list[Batch]:
        fs = FileSet(count, size)
        out = []
        try:
            for _ in range(batches):
                t0 = now_ns()
                if variant == "std_sequential":
                    reads = []
                    for path, _ in fs.files:
                        s = now_ns()
                        reads.append((read_plain(path), now_ns() - s))
                else:
                    one = read_aiofiles if variant == "runtime_fs" else read_thread
                    reads = await asyncio.gather(*(one(path, t0) for path, _ in fs.files), return_exceptions=True)
                out.append(fs.finish(now_ns() - t0, reads))
        finally:
            fs.dir.cleanup()
        return out

    only = ("asyncio",) if variant == "std_sequential" else None
    return Case(variant, body, NOTES[variant], "files", count, only=only)


def cases(p: dict) -> list[Case]:
    return [case(v, p) for v in NOTES]
