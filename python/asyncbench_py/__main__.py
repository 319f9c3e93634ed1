"""Entry point: ``python -m asyncbench_py --scenario FILE --server ADDR --out DIR ...``
(the contract is in ``asyncbench_py/__init__.py``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import ipaddress
import json
import os
import platform
import random
import sys
import tomllib
from pathlib import Path

from . import CONTRACT
from .core import Case, Ctx

# Batches per round (after warm-up) by mode. Fewer than the Rust side in full mode:
# the Python rows get about two minutes of `cargo bench` in total (README).
BATCHES = {"full": 4, "quick": 2, "test": 1}
WARMUP = {"full": 1, "quick": 1, "test": 0}
RUNTIMES = ("asyncio", "uvloop")
PACKAGES = ("aiohttp", "uvloop", "aiofiles", "requests", "hdrhistogram")
MAX_ROUNDS = 100
MAX_BATCHES = 10_000

SCENARIOS = (
    "fetch_parallel",
    "sync_vs_async",
    "blocking_sleep",
    "cpu_offload",
    "gather_vs_select",
    "structured",
    "timeout",
    "retry_backoff",
    "pipeline",
    "chat_broadcast",
    "udp_echo",
    "file_read",
    "primitives",
)

# Scenarios of scenarios/ with no Python side, and why (they are not patterns of the guide).
RUST_ONLY = {
    "task_memory": "bytes per idle task is a property of each Rust runtime's task layout",
    "http_server": "the runtime under test is the server; the guide's patterns are clients",
}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "missing"
    return out


def loopback(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        p = int(port)
    except ValueError:
        raise SystemExit(f"--server {addr!r}: expected a loopback IP:PORT, e.g. 127.0.0.1:8080")
    if not ip.is_loopback or not 1 <= p <= 65535:
        raise SystemExit(f"--server {addr!r}: load tests hit loopback only (127.0.0.0/8, ::1), port 1..=65535")
    return host.strip("[]"), p


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="asyncbench_py", description=__doc__)
    ap.add_argument("--scenario", required=True, type=Path)
    ap.add_argument("--server", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--mode", choices=sorted(BATCHES), default="test")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", default="", help="comma-separated prefixes of case labels to run")
    ap.add_argument("--batches", type=int, help="batches per round (default: by --mode)")
    ap.add_argument("--warmup", type=int, help="warm-up batches per round (default: by --mode)")
    a = ap.parse_args(argv)
    if not 1 <= a.rounds <= MAX_ROUNDS:
        ap.error(f"--rounds {a.rounds}: allowed 1..={MAX_ROUNDS}")
    if a.batches is not None and not 1 <= a.batches <= MAX_BATCHES:
        ap.error(f"--batches {a.batches}: allowed 1..={MAX_BATCHES}")
    if a.warmup is not None and not 0 <= a.warmup <= MAX_BATCHES:
        ap.error(f"--warmup {a.warmup}: allowed 0..={MAX_BATCHES}")
    a.runtimes = [r for r in a.runtimes.split(",") if r]
    for r in a.runtimes:
        if r not in RUNTIMES:
            ap.error(f"--runtimes: unknown runtime {r!r}: allowed {', '.join(RUNTIMES)}")
    a.host, a.port = loopback(a.server)
    return a


def loop_factory(runtime: str):
    if runtime == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run_round(case: Case, runtime: str, ctx: Ctx, warm: int, n: int) -> list:
    """One round of one case: a fresh event loop, warm-up batches dropped."""
    with asyncio.Runner(loop_factory=loop_factory(runtime)) as runner:
        batches = runner.run(asyncio.wait_for(case.body(ctx, warm + n), timeout=300))
    return [b.to_json() for b in batches[warm:]]


def main(argv: list[str] | None = None) -> int:
    a = parse(sys.argv[1:] if argv is None else argv)
    try:
        doc = tomllib.loads(a.scenario.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"--scenario {a.scenario}: {e}")
    name = doc.get("scenario", "")
    if name not in SCENARIOS:
        raise SystemExit(f"{a.scenario}: scenario {name!r} has no Python side: known {', '.join(SCENARIOS)}")
    mod = importlib.import_module(f".scenarios.{name}", __package__)
    params = doc.get("params", {})
    prefixes = [v for v in a.variants.split(",") if v]
    cases = [c for c in mod.cases(params) if not prefixes or any(c.variant.startswith(p) for p in prefixes)]
    out = {
        "contract": CONTRACT,
        "scenario": name,
        "guide_section": mod.SECTION,
        "packages": versions(),
        "mode": a.mode,
        "batches_per_round": BATCHES[a.mode] if a.batches is None else a.batches,
        "cases": [],
        "skipped": [],
    }
    warm = WARMUP[a.mode] if a.warmup is None else a.warmup
    n = BATCHES[a.mode] if a.batches is None else a.batches
    results: dict[tuple[str, str], dict] = {}
    failed: set[tuple[str, str]] = set()
    plan = [(c, r) for c in cases for r in a.runtimes if c.only is None or r in c.only]
    for rnd in range(a.rounds):
        order = list(range(len(plan)))
        random.Random(f"{a.seed}/{name}/{rnd}").shuffle(order)
        for position, i in enumerate(order):
            case, runtime = plan[i]
            key = (case.variant, runtime)
            if key in failed:
                continue
            ctx = Ctx(a.host, a.port, params, runtime)
            try:
                batches = run_round(case, runtime, ctx, warm, n)
            except Exception as e:  # a failed case is reported, never fatal
                failed.add(key)
                results.pop(key, None)
                out["skipped"].append({"variant": case.variant, "runtime": runtime, "reason": f"{type(e).__name__}: {e}"})
                continue
            row = results.setdefault(
                key,
                {
                    "variant": case.variant,
                    "runtime": runtime,
                    "note": case.note,
                    "unit": case.unit,
                    "ops_per_batch": case.ops_per_batch,
                    "rounds": [],
                },
            )
            row["rounds"].append({"position": position, "batches": batches})
    out["cases"] = list(results.values())
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(out))
    os.replace(tmp, path)
    print(f"asyncbench_py: {name}: {len(out['cases'])} cases, {len(out['skipped'])} failed -> {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
