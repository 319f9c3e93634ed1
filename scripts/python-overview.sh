#!/usr/bin/env bash
# Regenerates the README's "Rust vs the guide's Python" figures: creates the venv if needed,
# runs every scenario on every Rust runtime plus asyncio and uvloop (release build), and
# prints the table (each runtime's published batch time ÷ asyncio's). The chart is the run's
# charts/rust-vs-python.svg|png (also in its REPORT.md).
#
#   scripts/python-overview.sh [extra `asyncbench run` options, e.g. --rounds 3 --batches 10]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
cargo build --release --quiet
out="${ASYNCBENCH_RESULTS:-results}"
ASYNCBENCH_PYTHON=1 target/release/asyncbench run --scenarios scenarios --results "$out" \
    --batches 5 --rounds 2 --allow-errors "$@"
run="$(ls -d "$out"/2*/ | sort | tail -1)"
target/pyenv/bin/python - "$run" <<'PY'
import json, sys
from pathlib import Path
run = Path(sys.argv[1])
s = json.loads((run / "summary.json").read_text())
def value(r):
    return (r.get("rounds") or {}).get("mean") or (r.get("wall_ns") or {}).get("mean")
rows = {}
for r in s["results"]:
    if r["metric"] == "latency" and value(r):
        rows.setdefault((r["scenario"], r["variant"]), {})[r["runtime"]] = value(r)
order = ["tokio-ct", "tokio-mt", "async-std", "smol-ct", "smol-mt", "threads", "uvloop"]
print(f"run: {run}  ({s['run']['started_utc']}, Python {s['env'].get('python', {}).get('python', '?')})\n")
print("| scenario / variant | asyncio | " + " | ".join(order) + " |")
print("| --- | ---: | " + " | ".join("---:" for _ in order) + " |")
for (sc, v), by in sorted(rows.items()):
    base = by.get("asyncio")
    if not base:
        continue
    cells = [f"{by[o] / base:.2f}×" if o in by else "" for o in order]
    print(f"| {sc} / {v} | {base / 1e6:.3g} ms | " + " | ".join(cells) + " |")
PY
