#!/usr/bin/env bash
# Load-generator capacity, like with like: the maximum requests/s of wrk with
# ONE thread, oha, and asyncbench's own client on its one-thread runtimes
# (tokio-ct, smol-ct), each closed loop over the same keep-alive connections
# against the same `asyncbench serve --threads 1`. Every client runs on the
# same single CPU, the server on another (where the machine has two), and the
# clients alternate round by round, so drift on a shared machine hits all
# alike; the table gives per-client medians and the median of each round's
# ratio to wrk. Installs wrk (Debian package) if missing; oha is measured
# when installed (INSTALL_OHA=1 installs it from crates.io). Loopback only.
#
#   scripts/capacity.sh                      # 16 connections, 5 s each, 3 rounds, GET /health
#   ROUNDS=5 DURATION=10 scripts/capacity.sh
#
# Writes capacity.md and capacity.json into results/capacity/<UTC time>/ and
# prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
ROUTE=${ROUTE:-/health}
SERVER_THREADS=${SERVER_THREADS:-1}
RUNTIMES=${RUNTIMES:-"tokio-ct smol-ct"}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -z "${INSTALL_OHA:-}" ] || command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
bin=target/release/asyncbench

# The client CPU and the server CPU: apart where there are two.
last=$(($(nproc) - 1))
client_cpu=0
server_cpu=$last
out=results/capacity/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"

fifo=$(mktemp -u)
mkfifo "$fifo"
taskset -c "$server_cpu" "$bin" serve --threads "$SERVER_THREADS" >"$fifo" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r line <"$fifo"
addr=${line#listening on http://}
url="http://$addr$ROUTE"
echo "capacity: server $addr ($SERVER_THREADS thread, CPU $server_cpu), clients on CPU $client_cpu, $CONNECTIONS connections, ${DURATION}s each, $ROUNDS rounds, GET $ROUTE" >&2

on_client() { taskset -c "$client_cpu" "$@"; }
samples=$out/samples.tsv
: >"$samples"
for round in $(seq 1 "$ROUNDS"); do
  rps=$(on_client wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$url" | awk '/^Requests\/sec:/ {print $2}')
  printf '%s\twrk -t1\t%s\n' "$round" "$rps" >>"$samples"
  if command -v oha >/dev/null; then
    rps=$(on_client oha -z "${DURATION}s" -c "$CONNECTIONS" --no-tui --output-format json "$url" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["requestsPerSec"])')
    printf '%s\toha\t%s\n' "$round" "$rps" >>"$samples"
  fi
  for rt in $RUNTIMES; do
    rps=$(on_client "$bin" run --max-throughput --runtime "$rt" --duration "$DURATION" --warmup 1 \
      --connections "$CONNECTIONS" --path "$ROUTE" --server "$addr" --results "$out/runs" --format json 2>/dev/null |
      python3 -c 'import json,sys; print([r["values"]["achieved_rps"] for r in json.load(sys.stdin) if r["metric"] == "latency"][0])')
    printf '%s\tasyncbench %s\t%s\n' "$round" "$rt" "$rps" >>"$samples"
  done
  echo "capacity: round $round done" >&2
done

python3 - "$out" "$CONNECTIONS" "$DURATION" "$ROUTE" "$SERVER_THREADS" "$ROUNDS" <<'PY'
import json, os, statistics, subprocess, sys
out, conns, dur, route, sthreads, rounds = sys.argv[1:7]
by = {}
for line in open(os.path.join(out, "samples.tsv")):
    r, name, rps = line.rstrip("\n").split("\t")
    by.setdefault(name, {})[int(r)] = float(rps)
wrk = by["wrk -t1"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
lines = [
    f"# Load-generator capacity ({os.path.basename(out)})",
    "",
    f"GET {route} on `asyncbench serve --threads {sthreads}`, {conns} keep-alive connections, {dur} s per run, {rounds} rounds",
    f"alternating the clients; every client on one CPU, the server on another. {cpu}, {os.cpu_count()} logical CPUs.",
    "Measured by scripts/capacity.sh. Ratio: the median over rounds of (client / wrk -t1 of the same round).",
    "",
    "| client (one thread) | median requests/s | min–max | median ratio to wrk -t1 |",
    "| --- | ---: | ---: | ---: |",
]
summary = {}
for name, runs in by.items():
    vals = list(runs.values())
    ratios = [runs[r] / wrk[r] for r in runs if r in wrk and wrk[r] > 0]
    med, ratio = statistics.median(vals), statistics.median(ratios)
    summary[name] = {"requests_per_s": runs, "median": med, "median_ratio_to_wrk_t1": ratio}
    lines.append(f"| {name} | {med:,.0f} | {min(vals):,.0f}–{max(vals):,.0f} | {ratio:.2f} |")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "capacity.md"), "w").write(text)
json.dump({"route": route, "connections": int(conns), "duration_s": int(dur), "rounds": int(rounds), "clients": summary},
          open(os.path.join(out, "capacity.json"), "w"), indent=2)
print(text)
PY
