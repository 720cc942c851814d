#!/usr/bin/env bash
# Engine overhead benchmark (not a test): a 1,000-instance `command` pipeline.
#
#   benches/engine.sh [path/to/seqlab]
#
# Prints: the cold run's wall time and per-instance overhead
#   (wall - the commands' own time) / 1000, where the commands' own time is
#   estimated by timing 1000 sequential `sh -c` runs of the same command;
# then the median of 5 wall times of a no-op `seqlab run` and of
# `seqlab status` (hyperfine when installed, else date +%s%N).
# Targets: no-op run and status <= 0.2 s each; overhead <= 5 ms/instance.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/seqlab}"
if [[ ! -x "$bin" ]]; then
    (cd "$here" && cargo build --release)
fi
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

I=40 J=25 N=$((I * J))
{
    echo "name: bench"
    echo "stages:"
    echo "  cell:"
    echo "    kind: command"
    echo "    matrix:"
    echo "      i: [$(seq -s ', ' 1 $I)]"
    echo "      j: [$(seq -s ', ' 1 $J)]"
    echo "    params: {cmd: [sh, -c, 'echo \$SEQLAB_PARAM_I > \$SEQLAB_OUT/x']}"
} > bench.yaml

now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
median5() { sort -n | sed -n 3p; }

# The commands' own cost: N sequential `sh -c` with the same body.
mkdir -p out
t0=$(now)
for ((k = 1; k <= N; k++)); do
    SEQLAB_PARAM_I=$k SEQLAB_OUT=out sh -c 'echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x'
done
t1=$(now)
cmd_ns=$((t1 - t0))

cold() { # $1: cache dir, $2...: extra args
    local c="$1"; shift
    local a b
    a=$(now)
    "$bin" -q --cache "$c" run bench.yaml "$@" > "$c.out"
    b=$(now)
    grep -q "$N executed" "$c.out" || { echo "cold run did not execute $N instances:"; cat "$c.out"; exit 1; }
    echo $((b - a))
}

cold1_ns=$(cold cache1 --jobs 1)
cold_ns=$(cold cache)
cores=$(nproc)

echo "pipeline: $N command instances ($I x $J), machine: $cores cores"
echo "sequential sh -c x $N (the commands' own time): $(secs $cmd_ns) s"
echo "cold run --jobs 1:      wall $(secs $cold1_ns) s, per-instance overhead $(awk -v w=$cold1_ns -v c=$cmd_ns -v n=$N 'BEGIN { printf "%.2f", (w - c) / n / 1e6 }') ms  (target <= 5 ms)"
echo "cold run --jobs $cores (default): wall $(secs $cold_ns) s, per-instance wall $(awk -v w=$cold_ns -v n=$N 'BEGIN { printf "%.2f", w / n / 1e6 }') ms"

timed5() { # median of 5 wall times (ns) of "$@"
    for _ in 1 2 3 4 5; do
        local a b
        a=$(now)
        "$@" > /dev/null
        b=$(now)
        echo $((b - a))
    done | median5
}

if command -v hyperfine > /dev/null; then
    hyperfine -N --warmup 1 --runs 5 \
        "$bin -q --cache cache run bench.yaml" \
        "$bin -q --cache cache status bench.yaml"
fi
noop_ns=$(timed5 "$bin" -q --cache cache run bench.yaml)
"$bin" -q --cache cache run bench.yaml | grep -q "0 executed, $N cached" || { echo "no-op run executed something"; exit 1; }
status_ns=$(timed5 "$bin" -q --cache cache status bench.yaml)
echo "no-op run (median of 5): $(secs $noop_ns) s  (target <= 0.2 s)"
echo "status    (median of 5): $(secs $status_ns) s  (target <= 0.2 s)"
