#!/usr/bin/env python3
"""Cross-checks a run against a decoder the project did not write.

Decodes every `.hlog` of a run directory with the `hdrhistogram` package
(HdrHistogram_py), merges its intervals and compares p50, p99 and max with
the row in summary.json; also checks that each case's BaseTime + first
interval timestamp falls inside the run's time window.

    python3 scripts/check-hlog.py results/latest

Needs the `hdrhistogram` package: `python3 -m venv target/hdr && target/hdr/bin/pip install hdrhistogram`,
then run the script with `target/hdr/bin/python`.
Exits 1 if any row disagrees.
"""
import json
import sys
from datetime import datetime
from pathlib import Path

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main(run: Path) -> int:
    summary = json.loads((run / "summary.json").read_text())
    start = datetime.fromisoformat(summary["run"]["started_utc"].replace("Z", "+00:00")).timestamp()
    end_s = summary["run"].get("finished_utc")
    end = datetime.fromisoformat(end_s.replace("Z", "+00:00")).timestamp() if end_s else float("inf")
    rows = checked = 0
    bad = []
    for r in summary["results"]:
        if not r.get("hlog"):
            continue
        rows += 1
        path = run / r["hlog"]
        total = HdrHistogram(1, 24 * 3600 * 10**9, 3)
        reader = HistogramLogReader(str(path), total)
        first_ts = None
        while True:
            h = reader.get_next_interval_histogram()
            if h is None:
                break
            if first_ts is None:
                first_ts = h.get_start_time_stamp() / 1000.0
            total.add(h)
        if total.get_total_count() == 0:
            continue
        checked += 1
        mine = r["latency_ns"]
        theirs = {
            "p50": total.get_value_at_percentile(50.0),
            "p99": total.get_value_at_percentile(99.0),
            "max": total.get_max_value(),
        }
        for k, v in theirs.items():
            if mine[k] != v:
                bad.append(f"{r['scenario']}/{r['variant']}/{r['runtime']}/{r['metric']}: {k} summary {mine[k]} vs hdrhistogram {v}")
        # Interval timestamps are absolute (BaseTime + offset) in the reader.
        if first_ts is not None and not (start - 1 <= first_ts <= end + 1):
            bad.append(f"{r['hlog']}: first interval at {first_ts:.0f}, outside the run {start:.0f}..{end:.0f}")
    print(f"{checked} of {rows} rows with an .hlog decoded by hdrhistogram; {len(bad)} disagreements")
    for b in bad[:40]:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/latest")))
