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
# Percent of all CPUs' time busy (user nice system irq softirq of /proc/stat's cpu line) over 5 s.
busy() {
    local a b
    a=$(head -1 /proc/stat)
    sleep 5
    b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        split(a, x); split(b, y); busy = 0; total = 0
        for (i = 2; i <= 9; i++) { d = y[i] - x[i]; total += d; if (i != 5 && i != 6 && i != 9) busy += d }
        printf "%.1f", (total > 0 ? 100 * busy / total : 0) }'
}
while now=$(busy); awk -v b="$now" -v m="$max_busy" 'BEGIN { exit !(b > m) }'; do
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
