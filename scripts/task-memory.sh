#!/usr/bin/env bash
# Regenerates the README's task_memory table: bytes per idle task (allocator, live bytes; RSS
# growth), spawn and teardown time per task, on every runtime and for OS threads, from one
# `asyncbench run` of scenarios/task_memory.toml. Loopback only; needs python3 for the table.
#
#   scripts/task-memory.sh                 # 10 batches per case, one round
#   BATCHES=20 scripts/task-memory.sh
#
# Prints a Markdown table; the run directory (summary.json, REPORT.md) is under results/.
set -euo pipefail
cd "$(dirname "$0")/.."
BATCHES=${BATCHES:-10}
cargo build --release --quiet
out=$(target/release/asyncbench run --scenario task_memory --batches "$BATCHES" --rounds 1 2>&1 | tee /dev/stderr)
run=$(printf '%s\n' "$out" | sed -n 's/.*→ \(.*\) (server.*/\1/p' | head -1)
python3 - "$run/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"run {s['run']['id']}, counting allocator: {s.get('cost_info', {}).get('counting_allocs')}\n")
print("| N | runtime | bytes/task (allocator, live) | allocs/task | bytes/task (RSS growth) | spawn/task | teardown/task |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
def ns(v):
    return f"{v/1000:.2f} µs" if v >= 1000 else f"{v:.0f} ns"
for r in s["results"]:
    if r["metric"] != "latency":
        continue
    v = r["values"]
    print(f"| {int(v['tasks']):,} | {r['runtime']} | {v.get('bytes_per_task_alloc', float('nan')):.0f} | "
          f"{v.get('allocs_per_task', float('nan')):.2f} | {v.get('bytes_per_task_rss', float('nan')):.0f} | "
          f"{ns(v['spawn_ns_per_task'])} | {ns(v['teardown_ns_per_task'])} |")
PY
