#!/usr/bin/env bash
# Issue 22's generator acceptance, checked in one run on this machine
# (benches/generator_capacity.rs): wrk -t1 closed loop at 16 connections (its
# full rate) and at 1-8 (slower, so it sleeps between replies as a paced
# client must), then the event-loop generator closed loop and paced at
# GEN_RATES (30000 always among them) at each spin and coalescing allowance,
# all against the same near-zero-cost sink, clients on one CPU and the sink
# on another; then the capacity probe (highest clean rate).
#
# The acceptance, per configuration paced at 30,000/s: CPU per request
# ≤ 1.5× wrk's at a like rate (the slowest wrk run at least as fast: a client
# that runs faster sleeps less per request, so this is not in the
# generator's favour) and own send lag p99.9 ≤ 100 µs. wrk's CPU per request
# at its full rate is printed beside it (a closed loop at ~170k/s never
# sleeps; no client paced at 30k/s can match that on a VM whose sleep and
# wake cost ~15 µs of thread CPU). Two configurations by default: the
# sweep's (spin 25 µs, no coalescing: every send at its time) and sends
# coalesced within 50 µs (GEN_COALESCE_US). Exit 0 when one passes (named),
# 1 when none does.
#
# Run it on a quiet machine: other load shows as run-queue wait (printed per
# row and per window) and inflates the lag; with the machine over 5% busy
# (GEN_MAX_BUSY) in the 5 s before it starts, run-queue wait over 1% of the
# 30k run, or under 99%
# of 30,000/s achieved (the sink starved of CPU), the verdict is reported as
# not valid (exit 2) instead of PASS/FAIL.
# Installs wrk (Debian package) if missing. Loopback only, bounded (~2 min).
#
#   scripts/generator-capacity.sh
#   GEN_SECS=5 GEN_RATES=10000,30000,60000,100000 GEN_SPIN_US=0,25 GEN_COALESCE_US=0,25,50 scripts/generator-capacity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk
fi
rates=${GEN_RATES:-10000,30000,60000}
case ",$rates," in *,30000,*) ;; *) rates="$rates,30000" ;; esac
coalesce=${GEN_COALESCE_US:-0,50}
cargo bench --no-run --quiet --bench generator_capacity 2>/dev/null
# shellcheck source=scripts/quiet.sh
. scripts/quiet.sh
busy=$(machine_busy_pct)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GEN_RATES=$rates GEN_COALESCE_US=$coalesce cargo bench --quiet --bench generator_capacity | tee "$out"
if ! grep -q '^acceptance-figures' "$out"; then
  echo "generator-capacity: no acceptance figures (is wrk runnable?)" >&2
  exit 1
fi
python3 - "$busy" "${GEN_MAX_BUSY:-5}" "$out" <<'PY'
import math, sys
busy, max_busy = float(sys.argv[1]), float(sys.argv[2])
passed, valid = [], True
for line in open(sys.argv[3]):
    if not line.startswith("acceptance-figures"):
        continue
    f = dict(kv.split("=") for kv in line.split()[1:])
    like, sat = float(f["cpu_x_wrk_like_rate"]), float(f["cpu_x_wrk"])
    lag, early = float(f["send_lag_p999_us"]), float(f["send_early_p99_us"])
    waited, rate, achieved = float(f["run_queue_wait_share"]), float(f["rate"]), float(f["achieved"])
    conf = "spin %s µs, coalesce %s µs" % (f["spin_us"], f["coalesce_us"])
    if f["defaults"] == "true":
        conf += " (the sweep's)"
    ok = not math.isnan(like) and like <= 1.5 and lag <= 100
    print(f"issue 22 at {rate:.0f}/s, {conf}: CPU per request {f['cpu_us']} µs, {like:.2f}× wrk "
          f"-c{f['wrk_like_conns']} at {f['wrk_like_rate']}/s (≤ 1.5; {sat:.2f}× wrk at its full rate), "
          f"own send lag p99.9 {lag:.0f} µs (≤ 100), sent early p99 {early:.0f} µs; achieved "
          f"{achieved:.0f}/s, run-queue wait {waited * 100:.2f}% of wall: {'pass' if ok else 'fail'}")
    valid = valid and waited <= 0.01 and achieved >= 0.99 * rate
    if ok:
        passed.append(conf)
print(f"machine {busy}% busy in the 5 s before the start (at most {max_busy}%)")
if busy > max_busy or not valid:
    print("generator-capacity: the machine was not quiet, so this is no verdict; rerun it idle")
    sys.exit(2)
print(("PASS with " + "; ".join(passed)) if passed else "FAIL")
sys.exit(0 if passed else 1)
PY
