#!/usr/bin/env bash
# Cross-checks the event-loop generator's corrected latencies against a tool
# this project did not write: oha -q R --latency-correction, at two offered
# rates against the same server (`asyncbench serve --threads 1`, GET
# $ROUTE), the clients on one CPU and the server on another. Passes when at
# both rates the p50s agree within 10% and the p99s within 25% (of oha's).
# Installs oha from crates.io if missing (cargo install oha). Loopback only,
# bounded (SECS per client per rate).
#
#   scripts/oha-check.sh                       # rates 2000 and 8000, 5 s, 16 connections
#   RATES="1000 4000" SECS=10 scripts/oha-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"2000 8000"}
SECS=${SECS:-5}
CONNECTIONS=${CONNECTIONS:-16}
ROUTE=${ROUTE:-/health}

command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet --bin asyncbench
cargo bench --no-run --quiet --bench generator_capacity 2>/dev/null
bench=$(ls -t target/release/deps/generator_capacity-* | grep -v '\.d$' | head -1)

last=$(($(nproc) - 1))
client_cpu=$last
server_cpu=0
fifo=$(mktemp -u)
mkfifo "$fifo"
taskset -c "$server_cpu" target/release/asyncbench serve --threads 1 >"$fifo" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r line <"$fifo"
addr=${line#listening on http://}
echo "oha-check: server $addr (CPU $server_cpu), clients on CPU $client_cpu, $CONNECTIONS connections, ${SECS}s per rate, GET $ROUTE; load $(cut -d' ' -f1-3 /proc/loadavg)"

fail=0
for rate in $RATES; do
  ours=$(GEN_TARGET=$addr GEN_PATH=$ROUTE GEN_CPU=$client_cpu GEN_RATES=$rate GEN_SECS=$SECS \
    GEN_CONNECTIONS=$CONNECTIONS "$bench" --bench)
  theirs=$(taskset -c "$client_cpu" oha -q "$rate" --latency-correction -z "${SECS}s" -c "$CONNECTIONS" \
    --no-tui --output-format json "http://$addr$ROUTE")
  if ! python3 - "$rate" "$ours" "$theirs" <<'PY'
import json, sys
rate, ours, theirs = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
lp = theirs["latencyPercentiles"]
o50, o99 = ours["p50_us"], ours["p99_us"]
t50, t99 = lp["p50"] * 1e6, lp["p99"] * 1e6
ok50 = abs(o50 - t50) <= 0.10 * t50
ok99 = abs(o99 - t99) <= 0.25 * t99
print(f"rate {rate}/s: asyncbench p50 {o50:.0f} µs p99 {o99:.0f} µs (achieved {ours['achieved']:.0f}/s, errors {ours['errors']}); "
      f"oha p50 {t50:.0f} µs p99 {t99:.0f} µs (achieved {theirs['summary']['requestsPerSec']:.0f}/s) -> "
      f"p50 {'ok' if ok50 else 'FAIL'} ({(o50 / t50 - 1) * 100:+.0f}%), p99 {'ok' if ok99 else 'FAIL'} ({(o99 / t99 - 1) * 100:+.0f}%)")
sys.exit(0 if ok50 and ok99 else 1)
PY
  then fail=1; fi
done
exit $fail
