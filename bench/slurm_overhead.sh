#!/usr/bin/env bash
# The Slurm executor's controller overhead (a benchmark, not a test): the
# same 1,000 trivial `command` instances run locally and on the one-node
# Slurm of tools/slurm-up.sh, each from a cold cache.
#
#   eval "$(tools/slurm-up.sh)"; bench/slurm_overhead.sh [path/to/seqlab]
#
# Prints per run: wall time, the controller's own CPU time (user + sys of
# the `seqlab run` process alone, from /proc; its children — workers, shells,
# sbatch/squeue — are not counted) and both per instance, and the Slurm
# calls the controller made. The workers' own cost is the same in both runs;
# on a one-node cluster the wall time is dominated by Slurm starting 1,000
# jobs, not by seqlab.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/seqlab}"
[[ -x "$bin" ]] || (cd "$here" && cargo build --release)
command -v sbatch >/dev/null || { echo "no sbatch: run eval \"\$(tools/slurm-up.sh)\" first" >&2; exit 1; }
N="${SEQLAB_BENCH_N:-1000}"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
{
    echo "name: overhead"
    echo "stages:"
    echo "  cell:"
    echo "    kind: command"
    echo "    matrix:"
    echo "      i: [$(seq -s ', ' 1 "$N")]"
    echo "    params: {cmd: [sh, -c, 'echo \$SEQLAB_PARAM_I > \$SEQLAB_OUT/x']}"
} > p.yaml

tck=$(getconf CLK_TCK)
# run NAME ARGS...: one cold run; prints its figures.
run() {
    local name=$1; shift
    local start end pid cpu ticks
    start=$(date +%s%N)
    "$bin" -q --cache "cache-$name" run p.yaml "$@" > "out-$name.txt" 2>&1 &
    pid=$!
    # The controller's CPU ticks (utime + stime), read until it exits.
    ticks=0
    while kill -0 "$pid" 2>/dev/null; do
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "")
        [[ -n "$t" ]] && ticks=$t
        sleep 0.05
    done
    wait "$pid" || { cat "out-$name.txt" >&2; exit 1; }
    end=$(date +%s%N)
    awk -v n="$N" -v name="$name" -v wall_ns=$((end - start)) -v ticks="$ticks" -v tck="$tck" 'BEGIN {
        wall = wall_ns / 1e9; cpu = ticks / tck;
        printf "%-6s %5d instances: wall %7.2f s (%6.2f ms/instance), controller CPU %6.2f s (%5.2f ms/instance)\n",
            name, n, wall, 1000 * wall / n, cpu, 1000 * cpu / n }'
    grep -h '^slurm:' "out-$name.txt" | sed 's/^/       /' || true
}

echo "seqlab $("$bin" --version | awk '{print $2}'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
run local
run slurm --executor slurm
