#!/usr/bin/env bash
# Start a one-node Slurm cluster on this machine for the Slurm tests and the
# overhead benchmark (see ../shared/reference/slurm.md for what was checked).
#
#   eval "$(tools/slurm-up.sh)"     # prints the variables the tests read
#   ...
#   tools/slurm-down.sh
#
# - Installs Debian's slurmctld, slurmd and slurm-client (no recommends) when
#   `slurmctld` is missing; that needs root and apt.
# - Everything lives in one private directory ($SEQLAB_SLURM_DIR, default
#   /tmp/seqlab-slurm): the config, state, logs and the daemons' pid files.
#   Ports 16817/16818, not Slurm's defaults, so a real installation on this
#   machine is neither used nor disturbed.
# - auth/none, proctrack/linuxproc, task/none: the cgroup and munge plugins
#   need systemd or extra daemons that containers lack.
# - Prints `export SLURM_CONF=…` (Slurm's own clients read it) and
#   `export SEQLAB_TEST_SLURM=…` (the tests fail without it unless
#   SEQLAB_SKIP_SLURM=1). All messages go to stderr.
# - Idempotent: when this directory's daemons already answer, it only prints.
set -euo pipefail

dir="${SEQLAB_SLURM_DIR:-/tmp/seqlab-slurm}"
say() { echo "slurm-up: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        say "Slurm is not installed and this is not a root Debian machine: install slurmctld, slurmd and slurm-client, or set SEQLAB_SKIP_SLURM=1 to skip the Slurm tests"
        exit 1
    fi
    say "installing slurmctld slurmd slurm-client"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >&2
fi

mkdir -p "$dir"/{state,spool,log}
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid" && sinfo -h >/dev/null 2>&1; then
    say "already running ($dir)"
else
    "$(dirname "$0")/slurm-down.sh" >/dev/null 2>&1 || true
    node="$(hostname -s)"
    # Eight job slots per core: the tests' jobs are tiny, and on two cores
    # Slurm would otherwise start two of them per scheduling cycle (~1 s).
    # `config_overrides` lets slurmd accept more CPUs than it finds.
    cpus=$(( $(nproc) * 8 ))
    # Memory in MB, leaving a margin for the daemons.
    mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    user="$(id -un)"
    cat >"$conf" <<EOF
ClusterName=seqlabtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# Start batch jobs at once rather than batching submissions for 3 s.
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
ReturnToService=2
MaxArraySize=1001
MinJobAge=300
KillWait=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    # -D keeps them in the foreground of their own process, so $! is the
    # daemon's pid; -c starts from a clean state (no jobs of an earlier run).
    setsid slurmctld -D -c -f "$conf" >"$dir/log/slurmctld.out" 2>&1 </dev/null &
    echo $! >"$dir/slurmctld.pid"
    setsid slurmd -D -f "$conf" >"$dir/log/slurmd.out" 2>&1 </dev/null &
    echo $! >"$dir/slurmd.pid"
    ok=0
    for _ in $(seq 1 120); do
        state="$(sinfo -h -o '%T' 2>/dev/null | head -1 || true)"
        if [ "$state" = idle ]; then ok=1; break; fi
        if [ "$state" = down ] || [ "$state" = "down*" ]; then
            scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
        fi
        sleep 0.5
    done
    if [ "$ok" != 1 ]; then
        say "the node did not become idle within 60 s; logs in $dir/log:"
        tail -n 20 "$dir"/log/*.log >&2 || true
        exit 1
    fi
    say "one-node cluster up: $node, $cpus CPUs ($dir)"
fi
echo "export SLURM_CONF='$conf'"
echo "export SEQLAB_TEST_SLURM='$dir'"
