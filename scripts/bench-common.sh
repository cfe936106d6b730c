# Helpers shared by the benchmark scripts; sourced, not run.

# Prints the median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Prints the CPU time process $1 has used so far, in nanoseconds, over all
# its threads: the scheduler's own account (/proc/PID/task/*/schedstat),
# finer than the clock ticks of /proc/PID/stat, which resolve 10 ms.
cpu_ns() {
    local total=0 f ns
    for f in /proc/"$1"/task/*/schedstat; do
        read -r ns _ <"$f" 2>/dev/null && total=$((total + ns))
    done
    echo "$total"
}
