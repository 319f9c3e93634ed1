#!/usr/bin/env bash
# Issue 22's generator acceptance, checked in one run on this machine
# (benches/generator_capacity.rs): wrk -t1 closed loop, then the event-loop
# generator closed loop and paced at GEN_RATES (30000 always among them), all
# against the same near-zero-cost sink, clients on one CPU and the sink on
# another; then the capacity probe (highest clean rate). Passes when, paced
# at 30,000/s with the default spin, the generator's CPU per request is
# ≤ 1.5× wrk's and its own send lag p99.9 ≤ 100 µs.
#
# Run it on a quiet machine: other load shows as run-queue wait (printed per
# row and per window) and inflates the lag; with a 1-minute load average
# over 0.5 at the start, run-queue wait over 1% of the 30k run, or under 99%
# of 30,000/s achieved (the sink starved of CPU), the verdict is reported as
# not valid (exit 2) instead of PASS/FAIL.
# Installs wrk (Debian package) if missing. Loopback only, bounded (~1 min).
#
#   scripts/generator-capacity.sh
#   GEN_SECS=5 GEN_RATES=10000,30000,60000,100000 GEN_SPIN_US=0,25 scripts/generator-capacity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk
fi
rates=${GEN_RATES:-10000,30000,60000}
case ",$rates," in *,30000,*) ;; *) rates="$rates,30000" ;; esac
cargo bench --no-run --quiet --bench generator_capacity 2>/dev/null
load=$(cut -d' ' -f1 /proc/loadavg)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GEN_RATES=$rates cargo bench --quiet --bench generator_capacity | tee "$out"
line=$(grep '^acceptance-figures' "$out" | grep 'default_spin=true' | tail -1 || true)
if [ -z "$line" ]; then
  echo "generator-capacity: no acceptance figures at the default spin (is wrk runnable? does GEN_SPIN_US include the default?)" >&2
  exit 1
fi
python3 - "$load" "$line" <<'PY'
import sys
load = float(sys.argv[1])
f = dict(kv.split("=") for kv in sys.argv[2].split()[1:])
x, lag, waited = float(f["cpu_x_wrk"]), float(f["send_lag_p999_us"]), float(f["run_queue_wait_share"])
rate, achieved = float(f["rate"]), float(f["achieved"])
ok = x <= 1.5 and lag <= 100
print(f"issue 22 at {f['rate']}/s (spin {f['spin_us']} µs): CPU per request {x:.2}× wrk's (≤ 1.5), "
      f"own send lag p99.9 {lag:.0f} µs (≤ 100); achieved {achieved:.0f}/s; load average {load} at start, "
      f"run-queue wait {waited * 100:.2f}% of wall")
if load > 0.5 or waited > 0.01 or achieved < 0.99 * rate:
    print("generator-capacity: the machine was not quiet, so this is no verdict; rerun it idle")
    sys.exit(2)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
