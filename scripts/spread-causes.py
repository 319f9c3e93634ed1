#!/usr/bin/env python3
"""Where a run's spread between rounds comes from, per scenario.

Usage: scripts/spread-causes.py RUN_DIR [RUN_DIR ...]

Reads each run's summary.json (primary rows only: those with a round plan, or the `latency`
metric) and prints one Markdown table over all the runs given, a line per scenario:

- rows, and the median MDE of its rows (%);
- between: the median over rows of the rounds' coefficient of variation (%);
- within: the median over rows of the batches' CV inside a round divided by sqrt(batches), the
  spread a round's mean would have if the rounds differed only by their batches (%);
- ratio: between / within. Far above 1, the rounds differ by more than their batches explain:
  the spread is between runtime instances or moments of the machine, so more batches in a round
  cannot remove it;
- steal: how much slower (median, %) the rounds with >= 2% steal read than their row's median
  round, and how many such rounds there were;
- probe: the same for rounds whose host probe read >= 2% over the run's median probe;
- single vs multi: the median MDE of the scenario's current-thread rows (tokio-ct, smol-ct) and
  of the rest (multi-thread runtimes, threads, rayon), which share CPUs with the server;
- migrations: the median over rounds of the process's thread moves between CPUs while the
  round ran (`migrations`, runs from 2026-12-07 on), and how much slower (median, %) the rounds
  with more moves than their row's median read than those with fewer.

Only the standard library: the figures are descriptive (medians of ratios), written to find
causes, not published as results.
"""
import json
import math
import statistics as st
import sys
from collections import defaultdict

SINGLE = {"tokio-ct", "smol-ct"}


def rows_of(run):
    with open(f"{run}/summary.json") as f:
        s = json.load(f)
    for r in s["results"]:
        if not (r.get("round_plan") or r.get("metric") == "latency"):
            continue
        rounds = (r.get("rounds") or {}).get("rounds") or []
        if len(rounds) < 2 or r["rounds"].get("mde_pct") is None:
            continue
        yield r, rounds


def main(runs):
    by = defaultdict(lambda: defaultdict(list))
    for run in runs:
        rows = list(rows_of(run))
        probes = [x["host_probe_ns"] for _, rs in rows for x in rs if x.get("host_probe_ns")]
        probe_med = st.median(probes) if probes else None
        for r, rs in rows:
            d = by[r["scenario"]]
            means = [x["mean"] for x in rs]
            med = st.median(means)
            d["mde"].append(r["rounds"]["mde_pct"])
            (d["single"] if r["runtime"] in SINGLE else d["multi"]).append(r["rounds"]["mde_pct"])
            d["between"].append(100 * st.stdev(means) / st.mean(means))
            within = [
                100 * x["stddev"] / x["mean"] / math.sqrt(x["batches"])
                for x in rs
                if x.get("stddev") is not None and x["mean"] > 0 and x.get("batches")
            ]
            if within:
                d["within"].append(st.mean(within))
            migr = [x["migrations"] for x in rs if x.get("migrations") is not None]
            d["migr"].extend(migr)
            if len(migr) == len(rs):
                m_med = st.median(migr)
                more = [x["mean"] for x in rs if x["migrations"] > m_med]
                fewer = [x["mean"] for x in rs if x["migrations"] < m_med]
                if more and fewer:
                    d["migr_dev"].append(100 * (st.mean(more) / st.mean(fewer) - 1))
            for x in rs:
                dev = 100 * (x["mean"] / med - 1)
                if (x.get("steal_pct") or 0) >= 2.0:
                    d["steal"].append(dev)
                if probe_med and x.get("host_probe_ns") and x["host_probe_ns"] >= 1.02 * probe_med:
                    d["probe"].append(dev)

    def med(v, fmt="{:.1f}"):
        return fmt.format(st.median(v)) if v else "–"

    print("| scenario | rows | median MDE % | between % | within % | ratio | steal ≥ 2%: Δ % (rounds) "
          "| probe ≥ +2%: Δ % (rounds) | MDE current-thread % | MDE multi-thread % "
          "| migrations per round | more moves: Δ % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for sc, d in sorted(by.items(), key=lambda kv: -st.median(kv[1]["mde"])):
        b, w = st.median(d["between"]), (st.median(d["within"]) if d["within"] else float("nan"))
        print(
            f"| {sc} | {len(d['mde'])} | {med(d['mde'])} | {b:.1f} | {w:.2f} | {b / w:.1f} "
            f"| {med(d['steal'], '{:+.1f}')} ({len(d['steal'])}) | {med(d['probe'], '{:+.1f}')} ({len(d['probe'])}) "
            f"| {med(d['single'])} | {med(d['multi'])} | {med(d['migr'], '{:.0f}')} | {med(d['migr_dev'], '{:+.1f}')} |"
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
