"""The histogram encoding, error kinds and the command line, against planted answers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram

from asyncbench_py import CONTRACT
from asyncbench_py.core import HIGHEST_NS, SIG_FIGS, Batch, StatusError, encode, error_kind
from asyncbench_py.__main__ import loopback, parse

ROOT = Path(__file__).resolve().parents[2]


def test_encoding_round_trips_planted_values():
    values = [1000, 2000, 3000, 40_000_000]
    h = HdrHistogram.decode(encode(values))
    assert h.get_total_count() == 4
    assert h.get_count_at_value(2000) == 1
    assert h.get_value_at_percentile(100) == h.get_highest_equivalent_value(40_000_000)
    assert h.get_min_value() == 1000


def test_zero_is_recorded_as_one_ns_and_empty_is_none():
    h = HdrHistogram.decode(encode([0]))
    assert h.get_min_value() == 1
    assert encode([]) is None


def test_the_rust_recorder_settings():
    # 3 significant digits, as src/measure/recorder.rs; an hour is the top value.
    assert SIG_FIGS == 3
    assert HIGHEST_NS == 3_600_000_000_000


def test_batch_json_omits_what_is_empty():
    b = Batch(wall_ns=5)
    b.outcome(7)
    b.outcome(asyncio.TimeoutError())
    b.outcome(StatusError("HTTP 500"))
    j = b.to_json()
    assert j["wall_ns"] == 5 and j["errors"] == {"timeout": 1, "status": 1}
    assert "extra" not in j and "values" not in j
    assert HdrHistogram.decode(j["latency"]).get_total_count() == 1


def test_error_kinds_are_the_rust_names():
    assert error_kind(ConnectionRefusedError()) == "connect"
    assert error_kind(ConnectionResetError()) == "closed"
    assert error_kind(ValueError()) == "invalid"


def test_only_loopback_is_accepted():
    assert loopback("127.0.0.1:80") == ("127.0.0.1", 80)
    assert loopback("[::1]:8080") == ("::1", 8080)
    with pytest.raises(SystemExit, match="loopback only"):
        loopback("10.0.0.1:80")
    with pytest.raises(SystemExit, match="expected a loopback"):
        loopback("localhost")


def test_bad_arguments_name_the_value_and_range(capsys):
    base = ["--scenario", "x.toml", "--server", "127.0.0.1:1", "--out", "o"]
    for extra, msg in [
        (["--rounds", "0"], "--rounds 0: allowed 1..=100"),
        (["--runtimes", "trio"], "unknown runtime 'trio'"),
        (["--batches", "0"], "--batches 0: allowed 1..=10000"),
    ]:
        with pytest.raises(SystemExit):
            parse(base + extra)
        assert msg in capsys.readouterr().err


def test_an_unknown_scenario_fails_with_its_name(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('scenario = "nope"\n[params]\n')
    r = subprocess.run(
        [sys.executable, "-m", "asyncbench_py", "--scenario", str(f), "--server", "127.0.0.1:9", "--out", str(tmp_path)],
        cwd=ROOT / "python",
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "'nope' has no Python side" in r.stderr


def test_every_shipped_scenario_has_a_module_naming_its_guide_section():
    import importlib
    import tomllib

    from asyncbench_py.__main__ import RUST_ONLY, SCENARIOS

    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        name = tomllib.loads(path.read_text())["scenario"]
        if name in RUST_ONLY:
            continue
        assert name in SCENARIOS, name
        mod = importlib.import_module(f"asyncbench_py.scenarios.{name}")
        assert mod.SECTION and "mirrors" in mod.__doc__, name
        params = tomllib.loads(path.read_text())["params"]
        assert mod.cases(params), name


def test_contract_version():
    assert CONTRACT == 1


def test_an_early_timeout_is_classified_by_both_clocks():
    from asyncbench_py.scenarios.timeout import classify_fire

    due = 10_000_000
    assert classify_fire(due + 5, due, 0.0105, 0.010) == "late"
    assert classify_fire(due - 300_000, due, 0.0100, 0.010) == "early_real_clock"
    assert classify_fire(due - 300_000, due, 0.0097, 0.010) == "early_loop_clock"
