#!/usr/bin/env bash
# The load generator's CPU per paced request beside wrk's, in one run on this
# machine (benches/generator_capacity.rs): wrk -t1 closed loop, then the
# event-loop generator closed loop and paced at GEN_RATES, all against the
# same near-zero-cost sink, clients on one CPU and the sink on another.
# Installs wrk (Debian package) if missing. Loopback only, bounded.
#
#   scripts/generator-capacity.sh
#   GEN_SECS=5 GEN_RATES=10000,30000,60000,100000 scripts/generator-capacity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk
fi
cargo bench --bench generator_capacity
