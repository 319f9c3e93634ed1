#!/usr/bin/env bash
# Regenerates results/sweep-reference/: `asyncbench sweep` on all five async
# runtimes with scenarios/http_server.toml's settings (GET / unless ROUTE is
# set to delay, burn or body), keeping sweep.json, SWEEP.md and the charts
# (the per-step .hgrm/.hlog stay in the full sweep directory it prints).
#
#   scripts/sweep-reference.sh               # 10-13 minutes on 2 cores (3 repeats per rate, then a closed-loop run per runtime)
#   ROUTE=burn scripts/sweep-reference.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUTE=${ROUTE:-immediate}
cargo build --release --quiet
dir=$(target/release/asyncbench sweep --route "$ROUTE" --results results)
dest=results/sweep-reference
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$dir/sweep.json" "$dir/SWEEP.md" "$dir/charts" "$dest/"
echo "$dest (from $dir)"
