#!/usr/bin/env python3
"""Audits a run directory the way a skeptical reader would: does every column mean what its
label says? Prints one line per rule with the rows that break it, and exits 1 if any does.

    scripts/audit-run.py results/latest
    scripts/audit-run.py results/reference

Rules (issue 21's acceptance, read from summary.json alone):
- measured/floor >= 1 on every row that has a floor;
- CPU per operation <= wall per operation on single-threaded rows (one thread runs the
  operations: the -ct runtimes' timeout/in_time and primitives, file_read/std_sequential on
  threads), to 0.1% and the CPU figure's stated resolution per batch
  (`cost_info.segment_residual_spread_ns` over the ops of a batch);
- one rate per unit: no `values.<unit>_per_s` beside `throughput_per_s` of the same unit;
- criterion's estimate is per round (`criterion_rounds`), never one round labelled the row;
- stability "unknown" only with fewer than two rounds;
- http_server publishes a latency (`value_figure` p50_from_intended; p99_from_intended in runs
  made before it), never its window;
- cpu_offload's offloaded variants on -ct record where their threads ran.
"""

import json
import sys
from pathlib import Path


def main() -> int:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "results/latest")
    s = json.loads((run / "summary.json").read_text())
    rows = s["results"]
    broken: dict[str, list[str]] = {}

    def flag(rule: str, r: dict, why: str) -> None:
        name = f"{r['scenario']}/{r['variant']}/{r['runtime']}[{r['metric']}]"
        broken.setdefault(rule, []).append(f"{name}: {why}")

    # Rows whose work runs on one thread. Not smol-ct's timeout: while its executor thread is
    # busy, async-io's reactor thread ("async-io") drives the timers (measured: 49 ms of CPU per
    # second of timeout/in_time on smol-ct), so two threads do that row's work.
    single = {
        ("timeout", "in_time"): ("tokio-ct",),
        ("file_read", "std_sequential"): ("threads",),
    }
    # The resolution of a batch's CPU figure (cost_info): the stated spread of the stopwatch's
    # per-segment residual where the run recorded it, else the residual itself (older runs).
    info = s.get("cost_info") or {}
    clock_ns = float(info.get("segment_residual_spread_ns") or info.get("segment_overhead_ns") or 0)
    for r in rows:
        primary = r["metric"] == "latency"
        mof = r.get("measured_over_floor")
        if mof is not None and mof < 1.0:
            flag("floor", r, f"measured/floor {mof:.3f}")
        cost = r.get("cost") or {}
        rounds = r.get("rounds") or {}
        ops = r.get("ops_per_batch")
        wall = (r.get("wall_ns") or {}).get("mean")
        if primary and cost.get("cpu_ns_per_op") is not None and ops and wall:
            # Over the same batches as the cost: every recorded batch, not the mean of rounds.
            wall_per_op = wall / ops
            one_thread = r["runtime"] in single.get((r["scenario"], r["variant"].split("-")[0]), ()) or (
                r["scenario"] == "primitives" and r["runtime"].endswith("-ct")
            )
            if one_thread and cost["cpu_ns_per_op"] > wall_per_op * 1.001 + clock_ns / ops:
                flag("cpu<=wall", r, f"CPU {cost['cpu_ns_per_op']:.3f} ns/op > wall {wall_per_op:.3f} ns/op")
        unit = r.get("throughput_unit")
        if unit and r.get("throughput_per_s") is not None:
            key = f"{unit.replace(' ', '_')}_per_s"
            if key in (r.get("values") or {}):
                flag("one rate", r, f"values.{key} beside throughput_per_s")
        if r.get("criterion") is not None:
            flag("criterion", r, "a single criterion estimate labelled as the row")
        if rounds and rounds.get("stability") == "unknown" and rounds.get("count", 0) >= 2:
            flag("stability", r, f"unknown with {rounds['count']} rounds")
        if r["scenario"] == "http_server" and primary and r.get("value_figure") not in ("p50_from_intended", "p99_from_intended"):
            flag("http_server value", r, f"value_figure {r.get('value_figure')}")
        if (
            r["scenario"] == "cpu_offload"
            and primary
            and r["runtime"].endswith("-ct")
            and r["variant"] in ("blocking_pool", "rayon", "dedicated_thread")
            and "offload_cpus" not in (r.get("values") or {})
        ):
            flag("offload placement", r, "no offload_cpus read back")

    print(f"{run}: {len(rows)} rows, {sum(1 for r in rows if r['metric'] == 'latency')} cases")
    for rule in ["floor", "cpu<=wall", "one rate", "criterion", "stability", "http_server value", "offload placement"]:
        bad = broken.get(rule, [])
        print(f"  {rule}: {'ok' if not bad else f'{len(bad)} row(s) break it'}")
        for b in bad[:10]:
            print(f"    - {b}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
