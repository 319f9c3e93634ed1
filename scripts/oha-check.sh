#!/usr/bin/env bash
# Cross-checks the event-loop generator's latencies against tools this project did not write:
# oha (-q R --latency-correction, one worker thread) at the same offered rates against the same
# server (`asyncbench serve --threads 1`), and a packet capture of every run (tcpdump on lo,
# read by scripts/wire-latency.py with dpkt). Clients on one CPU, server and tcpdump on another.
# Loopback only, bounded (SECS per client per rate per route).
#
# Two verdicts per route and rate:
# - the wire check (the exit status): asyncbench's latency, from its actual send and from the
#   intended send, is at every printed quantile no lower than what the capture shows for the
#   same requests (a client's interval contains the wire's, so a lower figure is an
#   under-report); what its client adds above the wire is no more than what oha's adds; the
#   capture saw the requests the schedule intended; and oha too is no lower than its wire.
# - agreement with oha (issue 22's rule: p50 within 10%, p99 within 25% of oha's): printed with
#   the arrival process each tool offered (gaps between requests on the wire). It counts in the
#   exit status only with REQUIRE_AGREEMENT=1: oha's -q pacer sends in bursts on its runtime's
#   timer ticks where asyncbench spaces requests evenly, so the two do not offer the same load
#   and the server's own wire latency differs between them; the lines say by how much.
#
# Installs what it needs if missing: oha (cargo install), tcpdump (apt-get), dpkt (the
# project's Python environment, scripts/python-env.sh). Capturing needs root.
#
#   scripts/oha-check.sh                          # rates 2000 and 8000, 5 s, 16 connections,
#                                                 # routes /health and /delay/1ms
#   RATES="1000 4000" SECS=10 ROUTES=/health scripts/oha-check.sh
#   KEEP=1 scripts/oha-check.sh                   # keep the captures and JSON (the path is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"2000 8000"}
SECS=${SECS:-5}
CONNECTIONS=${CONNECTIONS:-16}
ROUTES=${ROUTES:-"/health /delay/1ms"}
REQUIRE_AGREEMENT=${REQUIRE_AGREEMENT:-0}
# The wire keeps the requests intended in the last SECS - 0.1 s before the last request: the
# bench's measured windows end where it stops (a warm-up window before them), and oha's run is
# SECS long, so both sets fall inside.
KEPT_SECS=$(python3 -c "print($SECS - 0.1)")

if [ "$(id -u)" != 0 ]; then
  echo "oha-check: capturing on lo needs root (tcpdump); run as root" >&2
  exit 2
fi
command -v oha >/dev/null || cargo install oha --locked
command -v tcpdump >/dev/null || apt-get install -y -qq tcpdump >/dev/null
scripts/python-env.sh >/dev/null
py=target/pyenv/bin/python
cargo build --release --quiet --bin asyncbench
cargo bench --no-run --quiet --bench generator_capacity 2>/dev/null
bench=$(ls -t target/release/deps/generator_capacity-* | grep -v '\.d$' | head -1)

client_cpu=$(($(nproc) - 1))
server_cpu=0
work=$(mktemp -d)
mkfifo "$work/fifo"
taskset -c "$server_cpu" target/release/asyncbench serve --threads 1 >"$work/fifo" &
server=$!
capture=
trap 'kill $server $capture 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "oha-check: captures kept in $work"; else rm -rf "$work"; fi' EXIT
read -r line <"$work/fifo"
addr=${line#listening on http://}
port=${addr##*:}
echo "oha-check: server $addr (CPU $server_cpu, with tcpdump), clients on CPU $client_cpu, $CONNECTIONS connections," \
  "${SECS}s per client; $(oha --version), $(tcpdump --version 2>&1 | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"

# Runs "$@" while capturing the server port's traffic into $1.pcap.
captured() {
  local pcap=$1
  shift
  taskset -c "$server_cpu" tcpdump -i lo -s 200 -B 65536 --time-stamp-precision=nano -w "$pcap" "tcp port $port" 2>"$pcap.log" &
  capture=$!
  # tcpdump says "listening on lo" once its filter is attached.
  for _ in $(seq 50); do grep -q "listening on" "$pcap.log" && break; sleep 0.1; done
  sleep 0.5
  "$@"
  sleep 0.3
  kill -INT "$capture"
  wait "$capture" || true
  capture=
}

fail=0
for route in $ROUTES; do
  for rate in $RATES; do
    captured "$work/ours.pcap" env GEN_TARGET="$addr" GEN_PATH="$route" GEN_CPU="$client_cpu" GEN_RATES="$rate" \
      GEN_SECS="$SECS" GEN_CONNECTIONS="$CONNECTIONS" "$bench" --bench >"$work/ours.json"
    captured "$work/oha.pcap" taskset -c "$client_cpu" oha --worker-threads 1 -q "$rate" --latency-correction \
      -z "${SECS}s" -c "$CONNECTIONS" --no-tui --output-format json "http://$addr$route" >"$work/oha.json"
    "$py" scripts/wire-latency.py "$work/ours.pcap" "$port" --last-secs "$KEPT_SECS" \
      --rate "$rate" --connections "$CONNECTIONS" >"$work/ours-wire.json"
    "$py" scripts/wire-latency.py "$work/oha.pcap" "$port" --last-secs "$KEPT_SECS" >"$work/oha-wire.json"
    if ! "$py" - "$route" "$rate" "$KEPT_SECS" "$REQUIRE_AGREEMENT" "$work" <<'PY'
import json, sys
route, rate, secs, require, work = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
load = lambda name: json.load(open(f"{work}/{name}.json"))  # noqa: E731
ours, oha, ow, tw = load("ours"), load("oha"), load("ours-wire"), load("oha-wire")
lp = oha["latencyPercentiles"]
t50, t99 = lp["p50"] * 1e6, lp["p99"] * 1e6
# A quantile of two request sets cut by different clocks (the bench's windows, the capture's
# span) can differ by the stamp points' few µs: allowed 2 µs or 1%.
tol = lambda v: max(2.0, 0.01 * v)  # noqa: E731
checks = []
def check(name, ok):
    checks.append((name, ok))
for q in ("p50", "p99"):
    check(f"asyncbench from send {q} >= wire {q}", ours[f"sent_{q}_us"] >= ow[f"wire_{q}_us"] - tol(ow[f"wire_{q}_us"]))
    check(f"asyncbench corrected {q} >= wire-corrected {q}",
          ours[f"{q}_us"] >= ow[f"corrected_{q}_us"] - tol(ow[f"corrected_{q}_us"]))
    check(f"oha {q} >= its wire {q}", (t50 if q == "p50" else t99) >= tw[f"wire_{q}_us"] - tol(tw[f"wire_{q}_us"]))
adds_ours = ours["p50_us"] - ow["wire_p50_us"]
adds_oha = t50 - tw["wire_p50_us"]
check("asyncbench's client adds no more than oha's at p50", adds_ours <= adds_oha + tol(adds_oha))
expected = rate * secs
check(f"the wire saw the {expected:.0f} requests intended (saw {ow['requests']})", abs(ow["requests"] - expected) <= 0.01 * expected)

def gaps(w):
    return f"gaps p10/p50/p90 {w['gap_p10_us']:.0f}/{w['gap_p50_us']:.0f}/{w['gap_p90_us']:.0f} µs ({w['burst_share'] * 100:.0f}% < a tenth of the mean)"
print(f"GET {route} at {rate}/s")
print(f"  asyncbench  corrected p50 {ours['p50_us']:.0f} p99 {ours['p99_us']:.0f} µs, from send p50 {ours['sent_p50_us']:.0f} p99 {ours['sent_p99_us']:.0f}"
      f" (achieved {ours['achieved']:.0f}/s, errors {ours['errors']})")
print(f"    its wire  p50 {ow['wire_p50_us']:.0f} p99 {ow['wire_p99_us']:.0f} µs, corrected p50 {ow['corrected_p50_us']:.0f} p99 {ow['corrected_p99_us']:.0f};"
      f" {gaps(ow)}; its client adds {adds_ours:.0f} µs at p50")
print(f"  oha         corrected p50 {t50:.0f} p99 {t99:.0f} µs (achieved {oha['summary']['requestsPerSec']:.0f}/s)")
print(f"    its wire  p50 {tw['wire_p50_us']:.0f} p99 {tw['wire_p99_us']:.0f} µs; {gaps(tw)}; its client adds {adds_oha:.0f} µs at p50")
ok50 = abs(ours["p50_us"] - t50) <= 0.10 * t50
ok99 = abs(ours["p99_us"] - t99) <= 0.25 * t99
print(f"  agreement with oha (p50 ±10%, p99 ±25%): p50 {'ok' if ok50 else 'FAIL'} ({(ours['p50_us'] / t50 - 1) * 100:+.0f}%),"
      f" p99 {'ok' if ok99 else 'FAIL'} ({(ours['p99_us'] / t99 - 1) * 100:+.0f}%);"
      f" the server's own wire latency under oha's load vs asyncbench's: p50 {(tw['wire_p50_us'] / ow['wire_p50_us'] - 1) * 100:+.0f}%,"
      f" p99 {(tw['wire_p99_us'] / ow['wire_p99_us'] - 1) * 100:+.0f}%")
bad = [name for name, ok in checks if not ok]
print(f"  wire check: {'ok' if not bad else 'FAIL: ' + '; '.join(bad)} ({len(checks) - len(bad)}/{len(checks)})")
sys.exit(0 if not bad and (ok50 and ok99 or not require) else 1)
PY
    then fail=1; fi
  done
done
exit $fail
