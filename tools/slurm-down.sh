#!/usr/bin/env bash
# Stop the one-node Slurm cluster tools/slurm-up.sh started, by the pids it
# saved (never by name: other Slurm daemons on this machine are left alone).
set -uo pipefail
dir="${SEQLAB_SLURM_DIR:-/tmp/seqlab-slurm}"
for d in slurmd slurmctld; do
    f="$dir/$d.pid"
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$f"
done
echo "slurm-down: stopped ($dir)" >&2
