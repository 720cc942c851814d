#!/usr/bin/env bash
# Training speed, seqlab against PyTorch, on this machine (bench/README.md).
#
#   bench/compare.sh [-n PAIRS] [-s STEPS] [-t T,...] [-l LOAD] [--no-sweep] [MODEL...]
#
# For each sequence length T (default 32 and 16), alternates `seqlab bench train` and
# `bench/pytorch_bench.py` for PAIRS pairs (default 4), each run started once the 1-minute
# load average is below LOAD (default 0.5; after 10 minutes it runs anyway and says so),
# then prints per model the steps/s of every run, the medians and the ratio of medians
# (and, less disturbed by other processes, the median CPU milliseconds per step).
# Then the sweep throughput: `seqlab run bench/sweep.yaml --jobs 2` (eight small
# trainings, fresh cache) against `bench/pytorch_sweep.py` (the same eight, two processes
# of one thread), PAIRS times each, wall seconds and the ratio of medians.
# Models: transformer lstm lstm1 gru (default).
#
# PyTorch: $SEQLAB_TORCH_PYTHON if set, else a venv at $SEQLAB_TORCH_VENV (default
# ~/.cache/seqlab/torch-venv), created and given torch (the CPU wheel, or PyPI's) when it
# lacks it. Never in CI: with $CI set it only uses a torch that is already there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
pairs=4 steps=30 lens=32,16 max_load=0.5 sweep=1
models=()
while [ $# -gt 0 ]; do
    case "$1" in
        -n) pairs=$2; shift 2 ;;
        -s) steps=$2; shift 2 ;;
        -t) lens=$2; shift 2 ;;
        -l) max_load=$2; shift 2 ;;
        --no-sweep) sweep=0; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || models=(transformer lstm lstm1 gru)

seqlab=${SEQLAB_BIN:-$root/target/release/seqlab}
if [ ! -x "$seqlab" ]; then
    (cd "$root" && cargo build --release)
fi

python_with_torch() {
    if [ -n "${SEQLAB_TORCH_PYTHON:-}" ]; then
        echo "$SEQLAB_TORCH_PYTHON"; return
    fi
    local venv=${SEQLAB_TORCH_VENV:-$HOME/.cache/seqlab/torch-venv}
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
        echo "$venv/bin/python"; return
    fi
    if python3 -c 'import torch' 2>/dev/null; then
        command -v python3; return
    fi
    if [ -n "${CI:-}" ]; then
        echo "compare.sh: no torch, and \$CI is set: not installing it (set SEQLAB_TORCH_PYTHON)" >&2
        exit 2
    fi
    echo "compare.sh: installing torch into $venv (once; PyPI's CPU+CUDA wheel is ~5 GB)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu >&2 \
        || "$venv/bin/pip" install -q torch >&2
    echo "$venv/bin/python"
}
py=$(python_with_torch)

load() { cut -d' ' -f1 /proc/loadavg; }
# Waits (at most 10 minutes) until the 1-minute load average is below $max_load; prints it.
wait_idle() {
    local waited=0
    while awk -v l="$(load)" -v m="$max_load" 'BEGIN { exit !(l >= m) }'; do
        if [ $waited -ge 600 ]; then
            echo "  (load $(load) after 10 minutes: running anyway; figures are not idle-machine figures)" >&2
            break
        fi
        sleep 5; waited=$((waited + 5))
    done
    load
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512(f|bw|dq|vl|_vnni|_bf16|_fp16))$' | sort | tr '\n' ' ')
echo "cpu: $cpu, $(nproc) cores; flags: $flags"
echo "seqlab: $("$seqlab" bench train --steps 1 lstm1 | sed -n 2p)"
echo "pytorch: $("$py" "$here/pytorch_bench.py" 1 lstm1 | sed -n 2p) ($("$py" -c 'import warnings; warnings.simplefilter("ignore"); import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())'))"
echo "$pairs pairs, $steps timed steps, started $(date -u '+%Y-%m-%d %H:%M UTC')"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
IFS=, read -ra tlist <<< "$lens"
for t in "${tlist[@]}"; do
    echo
    echo "== batch 64, T $t, width 64: steps/s (load average before each run)"
    for i in $(seq "$pairs"); do
        l1=$(wait_idle)
        "$seqlab" bench train --steps "$steps" --seq-len "$t" "${models[@]}" > "$out/s$t.$i"
        sleep 3
        l2=$(wait_idle)
        "$py" "$here/pytorch_bench.py" "$steps" --seq-len "$t" "${models[@]}" > "$out/p$t.$i"
        echo "  pair $i: load $l1 / $l2"
        sleep 3
    done
    # Field 2: steps/s; the number after "cpu": CPU ms per step, all threads together.
    field() { for i in $(seq "$pairs"); do awk -v m="$1" '$1 == m { print $2 }' "$out/$2$t.$i"; done; }
    cpu_ms() { for i in $(seq "$pairs"); do sed -n "s/^$1 .*cpu \([0-9.]*\) ms.*/\1/p" "$out/$2$t.$i"; done | median; }
    printf '%-12s %-28s %-28s %-24s %s\n' model "seqlab steps/s" "pytorch steps/s" "ratio of medians" \
        "cpu ms/step (medians)"
    for m in "${models[@]}"; do
        s=$(field "$m" s) p=$(field "$m" p)
        sm=$(echo "$s" | median) pm=$(echo "$p" | median)
        printf '%-12s %-28s %-28s %-24s %s / %s\n' "$m" "$(echo $s | tr ' ' ',')" "$(echo $p | tr ' ' ',')" \
            "$(printf '%s / %s = %.2fx' "$sm" "$pm" "$(awk -v a="$sm" -v b="$pm" 'BEGIN { print a / b }')")" \
            "$(cpu_ms "$m" s)" "$(cpu_ms "$m" p)"
    done
done

if [ "$sweep" = 1 ]; then
    echo
    echo "== sweep throughput: 8 trainings (bench/sweep.yaml), wall seconds (load before each run)"
    for i in $(seq "$pairs"); do
        l1=$(wait_idle)
        start=$(date +%s.%N)
        "$seqlab" --cache "$out/cache$i" -q run "$here/sweep.yaml" --jobs 2 > /dev/null
        end=$(date +%s.%N)
        awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' >> "$out/sweep.s"
        sleep 3
        l2=$(wait_idle)
        "$py" "$here/pytorch_sweep.py" --procs 2 | awk '/^sweep:/ { print $(NF - 1) }' >> "$out/sweep.p"
        echo "  pair $i: seqlab $(tail -1 "$out/sweep.s") s (load $l1), pytorch $(tail -1 "$out/sweep.p") s (load $l2)"
        sleep 3
    done
    sm=$(median < "$out/sweep.s") pm=$(median < "$out/sweep.p")
    printf 'sweep: seqlab --jobs 2 median %.2f s, PyTorch 2 x 1 thread median %.2f s: seqlab %.2fx as fast\n' \
        "$sm" "$pm" "$(awk -v a="$sm" -v b="$pm" 'BEGIN { print b / a }')"
fi
