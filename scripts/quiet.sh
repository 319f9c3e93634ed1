# Shared by the scripts that want a quiet machine (sourced, not run).
#
# machine_busy_pct: percent of all CPUs' time busy (user, nice, system, irq, softirq of
# /proc/stat's cpu line; idle, iowait and steal are not) over the next 5 seconds. It reads
# what runs now, where the 1-minute load average remembers a run that ended minutes ago (after
# task_memory's 10,000 threads it read 238 on an idle machine).
machine_busy_pct() {
    local a b
    a=$(head -1 /proc/stat)
    sleep 5
    b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        split(a, x); split(b, y); busy = 0; total = 0
        for (i = 2; i <= 9; i++) { d = y[i] - x[i]; total += d; if (i != 5 && i != 6 && i != 9) busy += d }
        printf "%.1f", (total > 0 ? 100 * busy / total : 0) }'
}
