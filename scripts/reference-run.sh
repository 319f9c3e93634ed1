#!/usr/bin/env bash
# Regenerates the committed reference run in results/reference/: one full
# `cargo bench` of the whole suite on this machine, then its summary, report
# and charts copied in. The raw histograms (hist/*.hgrm, *.hlog) are left out
# of git for size; the report and charts were drawn from them.
#
#   scripts/reference-run.sh            # full cargo bench (about 13-15 minutes on 2 cores; the Python rows only where scripts/python-env.sh made target/pyenv)
#   scripts/reference-run.sh --quick    # criterion's quick mode
#
# A reference is meant to come from an idle machine. The run's env.json records the share of
# the CPU other processes used at its start (and the 1-minute load average, which stays high
# for minutes after a run that left thousands of threads, such as task_memory's). So the
# script builds first, then waits until other processes use at most REFERENCE_MAX_BUSY
# percent (default 5) of the machine's CPU time over 5 s, for up to REFERENCE_WAIT_SECS
# (default 900), and says so when it starts on a machine that did not get that quiet.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench --bench suite --no-run
max_busy="${REFERENCE_MAX_BUSY:-5}"
wait_secs="${REFERENCE_WAIT_SECS:-900}"
waited=0
# shellcheck source=scripts/quiet.sh
. scripts/quiet.sh
while now=$(machine_busy_pct); awk -v b="$now" -v m="$max_busy" 'BEGIN { exit !(b > m) }'; do
    waited=$((waited + 5))
    if [ "$waited" -ge "$wait_secs" ]; then
        echo "reference-run: the machine is still ${now}% busy after ${waited}s (wanted <= ${max_busy}%); running anyway, env.json records it" >&2
        break
    fi
    if [ $((waited % 60)) -eq 0 ]; then
        echo "reference-run: waiting for the machine to be at most ${max_busy}% busy (now ${now}%, ${waited}s of ${wait_secs}s)" >&2
    fi
done
cargo bench --bench suite -- "$@"
run=$(readlink -f results/latest)
dest=results/reference
rm -rf "$dest"
mkdir -p "$dest"
cp "$run"/env.json "$run"/summary.json "$run"/summary.csv "$run"/BRIEF.md "$run"/REPORT.md "$run"/index.html "$dest"/
cp -r "$run"/charts "$run"/scenarios "$dest"/
echo "reference run $(basename "$run") copied to $dest" >&2
