#!/usr/bin/env bash
# Load-generator capacity: the maximum requests/s of wrk, oha and asyncbench's
# own client (each async runtime) against the same asyncbench test server,
# with the same connection count and duration, in one run. Installs wrk
# (Debian package) and oha (crates.io) if missing. Loopback only.
#
#   scripts/capacity.sh                    # 16 connections, 10 s each, GET /health
#   CONNECTIONS=64 DURATION=20 scripts/capacity.sh
#
# Writes capacity.md and capacity.json (ratios to wrk) into the asyncbench run
# directory it creates under results/ and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
ROUTE=${ROUTE:-/health}
SERVER_THREADS=${SERVER_THREADS:-1}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
bin=target/release/asyncbench

fifo=$(mktemp -u)
mkfifo "$fifo"
"$bin" serve --threads "$SERVER_THREADS" >"$fifo" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r line <"$fifo"
addr=${line#listening on http://}
url="http://$addr$ROUTE"
echo "capacity: server $addr ($SERVER_THREADS thread), $CONNECTIONS connections, ${DURATION}s each, GET $ROUTE" >&2

# wrk: one thread per core, as its README suggests for a local server.
wrk_out=$(wrk -t"$(nproc)" -c"$CONNECTIONS" -d"${DURATION}s" "$url")
wrk_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wrk_out")

oha_json=$(oha -z "${DURATION}s" -c "$CONNECTIONS" --no-tui --output-format json "$url")
oha_rps=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["requestsPerSec"])' <<<"$oha_json")

run_dir=$("$bin" run --max-throughput --duration "$DURATION" --warmup 1 \
  --connections "$CONNECTIONS" --path "$ROUTE" --server "$addr" --results results/capacity)

python3 - "$run_dir" "$wrk_rps" "$oha_rps" "$CONNECTIONS" "$DURATION" "$ROUTE" "$SERVER_THREADS" <<'PY'
import json, sys, os
run_dir, wrk, oha = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
conns, dur, route, sthreads = sys.argv[4:8]
s = json.load(open(os.path.join(run_dir, "summary.json")))
rows = [("wrk", wrk), ("oha", oha)]
for r in s["results"]:
    if r["metric"] == "latency" and "achieved_rps" in r.get("values", {}):
        rows.append(("asyncbench " + r["runtime"] + (" (legacy)" if r["legacy"] else ""), r["values"]["achieved_rps"]))
env = s["env"]
lines = [
    f"# Load-generator capacity ({s['run']['id']})",
    "",
    f"GET {route} on the asyncbench test server ({sthreads} server thread), {conns} keep-alive connections, {dur} s each,",
    f"one after another on the same machine: {env['cpu_model']}, {env['logical_cores']} logical cores, kernel {env['kernel']}.",
    "Client and server share the cores. Measured by scripts/capacity.sh.",
    "",
    "| client | requests/s | ratio to wrk |",
    "| --- | ---: | ---: |",
]
for name, rps in rows:
    lines.append(f"| {name} | {rps:,.0f} | {rps / wrk:.2f} |")
text = "\n".join(lines) + "\n"
open(os.path.join(run_dir, "capacity.md"), "w").write(text)
json.dump({"route": route, "connections": int(conns), "duration_s": int(dur),
           "requests_per_s": {n: v for n, v in rows}, "ratio_to_wrk": {n: v / wrk for n, v in rows}},
          open(os.path.join(run_dir, "capacity.json"), "w"), indent=2)
print(text)
PY
