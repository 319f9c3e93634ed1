"""The scenarios against the tiny server, on asyncio and uvloop: the physical bounds the
Rust tests use (gather ≈ D, sequential ≥ N·D), planted failures and clean shutdown."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

from asyncbench_py.core import Ctx
from asyncbench_py.scenarios import (
    blocking_sleep,
    fetch_parallel,
    pipeline,
    primitives,
    retry_backoff,
    structured,
    timeout,
    udp_echo,
)

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def run(case, server, runtime="asyncio", batches=2, params=None):
    ctx = Ctx("127.0.0.1", server.port, params or {}, runtime)
    with asyncio.Runner(loop_factory=RUNTIMES[runtime]) as r:
        return r.run(case.body(ctx, batches))


FETCH = {"requests": 6, "delay_ms": 40, "bound": 2, "timeout_ms": 5000, "connections": ["fresh", "keepalive"]}


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_fetch_parallel_meets_the_rust_bounds(server, runtime):
    d = 40e6
    for case in fetch_parallel.cases(FETCH):
        for b in run(case, server, runtime):
            assert not b.errors, case.variant
            assert len(b.latencies) == 6 and min(b.latencies) >= 40_000_000, case.variant
            if case.variant.startswith("sequential"):
                assert b.wall_ns >= 6 * d
            elif case.variant.startswith("bounded"):
                assert 3 * d <= b.wall_ns < 5.5 * d
            else:
                assert b.wall_ns < 3 * d, case.variant


def test_time_sleep_blocks_the_loop_and_asyncio_sleep_does_not(server):
    p = {"tasks": 4, "sleep_ms": 20, "victims": 1, "victim_delay_ms": 1, "probe_period_ms": 1, "timeout_ms": 5000}
    good, bad = (run(c, server, batches=1)[0] for c in blocking_sleep.cases(p))
    assert good.wall_ns < 3 * 20e6  # overlapped: ≈ S
    assert bad.wall_ns >= 4 * 20e6  # one after another: ≥ K·S
    # The probe saw the blocked loop: late by about a whole sleep at least once.
    assert max(bad.extra["loop_lag"]) >= 15e6
    assert max(good.extra["loop_lag"]) < 15e6


def test_task_group_cancels_siblings_and_leaks_nothing(server):
    p = {"children": 16, "fail_after_ms": 5, "sibling_work_ms": 2000}
    fails, ok = (run(c, server, batches=1)[0] for c in structured.cases(p))
    assert fails.values["tasks_leaked"] == 0 and fails.values["siblings_cancelled"] == 15
    assert fails.wall_ns < 1e9  # not the siblings' 2 s
    assert ok.values["tasks_leaked"] == 0 and len(ok.latencies) == 16


def test_timeout_fires_late_never_early(server):
    p = {"ops": 128, "chunk": 64, "in_time_deadline_ms": 1000, "fires": 5, "deadline_ms": 2}
    in_time, fires = (run(c, server, batches=1)[0] for c in timeout.cases(p))
    assert not in_time.errors and len(in_time.latencies) == 2
    assert not fires.errors and len(fires.latencies) == 5


def test_retry_expectations_match_hand_computed_values():
    # p = 0.5, R = 2, b = 2 ms: success 0.75, attempts 1.5, wait 0.5 · 2 ms.
    assert retry_backoff.expect("fixed", 0.5, 2, 0.002, 0.016) == (0.75, 1.5, 0.001)
    # Full jitter waits half the ceiling on average.
    assert retry_backoff.expect("full_jitter", 0.5, 2, 0.002, 0.016)[2] == 0.0005


def test_retry_against_the_flaky_route(server):
    p = {"p": 0.5, "max_attempts": 4, "base_delay_ms": 1, "max_delay_ms": 4, "calls": 20, "concurrency": 20,
         "seed": 42, "timeout_ms": 5000, "connection": "keepalive"}
    for case in retry_backoff.cases(p):
        b = run(case, server, batches=1)[0]
        assert not b.errors
        assert len(b.latencies) + len(b.extra["exhausted"]) == 20
        assert 0.5 <= b.values["success_rate"] <= 1


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_pipeline_udp_and_primitives_lose_nothing(server, runtime):
    q = {"producers": 2, "consumers": 2, "items": 500, "capacity": 8, "queues": ["bounded", "unbounded"],
         "timeout_ms": 10000}
    for case in pipeline.cases(q):
        b = run(case, server, runtime, batches=1)[0]
        assert not b.errors and len(b.latencies) == 1000
    u = {"datagrams": 50, "payload_bytes": 64, "window": 8, "timeout_ms": 500}
    for case in udp_echo.cases(u):
        b = run(case, server, runtime, batches=1)[0]
        assert not b.errors and len(b.latencies) == 50
    for case in primitives.cases({"ops": 1000}):
        b = run(case, server, runtime, batches=1)[0]
        assert not b.errors and len(b.latencies) == 1


def test_the_command_line_writes_the_contract(server, tmp_path):
    toml = tmp_path / "fetch_parallel.toml"
    toml.write_text(
        'scenario = "fetch_parallel"\n[params]\nrequests = 3\ndelay_ms = 5\nbound = 2\ntimeout_ms = 5000\n'
        'connections = ["keepalive"]\n'
    )
    r = subprocess.run(
        [sys.executable, "-m", "asyncbench_py", "--scenario", str(toml), "--server", f"127.0.0.1:{server.port}",
         "--out", str(tmp_path), "--rounds", "2", "--mode", "test", "--variants", "join_all"],
        cwd=ROOT / "python", capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "fetch_parallel.json").read_text())
    assert out["contract"] == 1 and out["skipped"] == []
    assert sorted(c["runtime"] for c in out["cases"]) == ["asyncio", "uvloop"]
    for c in out["cases"]:
        assert c["variant"] == "join_all-keepalive" and len(c["rounds"]) == 2
        assert all(len(r["batches"]) == 1 for r in c["rounds"])
    assert out["packages"]["aiohttp"] == "3.14.5"
