#!/usr/bin/env bash
# Regenerates results/scaling-reference/: `asyncbench scale` with its default ladder (every
# pattern but the planted self-test, the five async runtimes, N = 1 … 100k where each pattern
# allows it, 3 rounds per point), keeping scaling.json, SCALING.md and the charts.
#
#   scripts/scaling-reference.sh        # about 5 minutes on 2 cores; run it on a quiet machine
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
dir=$(target/release/asyncbench scale --results results)
dest=results/scaling-reference
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$dir/scaling.json" "$dir/SCALING.md" "$dir/charts" "$dest/"
echo "$dest (from $dir)"
