#!/usr/bin/env bash
# Regenerates the committed reference run in results/reference/: one full
# `cargo bench` of the whole suite on this machine, then its summary, report
# and charts copied in. The raw histograms (hist/*.hgrm, *.hlog) are left out
# of git for size; the report and charts were drawn from them.
#
#   scripts/reference-run.sh            # full cargo bench (about 13-15 minutes on 2 cores; the Python rows only where scripts/python-env.sh made target/pyenv)
#   scripts/reference-run.sh --quick    # criterion's quick mode
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench --bench suite -- "$@"
run=$(readlink -f results/latest)
dest=results/reference
rm -rf "$dest"
mkdir -p "$dest"
cp "$run"/env.json "$run"/summary.json "$run"/summary.csv "$run"/REPORT.md "$run"/index.html "$dest"/
cp -r "$run"/charts "$dest"/
echo "reference run $(basename "$run") copied to $dest" >&2
