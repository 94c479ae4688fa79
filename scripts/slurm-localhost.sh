#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `vmlab sweep --slurm` and its test
# (tests/cli/slurm_sweep.py, docs/sweep.md).
#
#   scripts/slurm-localhost.sh start   install (when missing), configure, start, wait for idle
#   scripts/slurm-localhost.sh stop    stop the daemons this script started
#   scripts/slurm-localhost.sh env     print the line that points Slurm's commands here
#
# Debian's slurmctld, slurmd, munge and slurm-client (Debian 12: Slurm 22.05). The
# configuration lives in $VMLAB_SLURM_DIR (default /tmp/vmlab-slurm): slurm.conf with this
# host's name and CPU count, state and logs; /etc/slurm is not touched. Clients find it
# through SLURM_CONF=$VMLAB_SLURM_DIR/slurm.conf (`eval "$(scripts/slurm-localhost.sh env)"`).
# No cgroups (proctrack/linuxproc, task/none), no accounting database. munged uses the
# package's key (/etc/munge/munge.key); a running munged is reused.
#
# Exit status: 0 ready; 3 Slurm cannot be installed here (no root, no apt); 4 the daemons
# did not start or the node did not become idle (the logs' tails are printed).
set -euo pipefail

DIR=${VMLAB_SLURM_DIR:-/tmp/vmlab-slurm}
CONF=$DIR/slurm.conf
WAIT=${VMLAB_SLURM_WAIT:-60}
export SLURM_CONF=$CONF

say() { echo "slurm-localhost: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 126
  fi
}

install_slurm() {
  local missing=()
  for cmd in slurmctld slurmd munged sbatch; do
    command -v "$cmd" >/dev/null || PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null ||
      missing+=("$cmd")
  done
  [ ${#missing[@]} = 0 ] && return 0
  say "installing slurmctld slurmd munge slurm-client (missing: ${missing[*]})"
  if ! command -v apt-get >/dev/null; then
    say "cannot install Slurm: no apt-get on this machine"
    exit 3
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install \
    -y --no-install-recommends slurmctld slurmd munge slurm-client >&2; then
    say "cannot install Slurm: apt-get failed (root or passwordless sudo is needed)"
    exit 3
  fi
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  # RealMemory: modest, half the machine's memory in MiB, at most 4096.
  mem=$(awk '/MemTotal/ { m = int($2 / 2048); print (m > 4096 ? 4096 : m) }' /proc/meminfo)
  as_root mkdir -p "$DIR/ctld" "$DIR/d"
  as_root chmod 755 "$DIR"
  as_root tee "$CONF" >/dev/null <<EOF
# Written by scripts/slurm-localhost.sh: one node, this host.
ClusterName=vmlab
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
DependencyParameters=kill_invalid_depend
MinJobAge=600
SlurmdTimeout=60
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

# The process named by a pid file runs (a zombie, in a container without a reaping init,
# does not count).
alive() {
  local pid
  [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] &&
    ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat"
}

tails() {
  for f in "$DIR/slurmctld.log" "$DIR/slurmd.log" "$DIR/munged.log"; do
    [ -f "$f" ] && { say "--- tail of $f"; tail -n 15 "$f" >&2; }
  done
  return 0
}

start() {
  install_slurm
  if ! as_root true; then
    say "cannot start Slurm's daemons: root or passwordless sudo is needed"
    exit 4
  fi
  export PATH=$PATH:/usr/sbin
  write_conf
  if ! munge_ok; then
    as_root mkdir -p /run/munge /var/log/munge /var/lib/munge
    as_root chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if [ ! -s /etc/munge/munge.key ]; then
      as_root mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
        as_root create-munge-key -f
      as_root chown munge:munge /etc/munge/munge.key
      as_root chmod 400 /etc/munge/munge.key
    fi
    as_root runuser -u munge -- munged >"$DIR/munged.log" 2>&1 ||
      as_root su -s /bin/sh munge -c munged >"$DIR/munged.log" 2>&1 || true
    for _ in $(seq 50); do munge_ok && break; sleep 0.1; done
    if ! munge_ok; then
      say "munged did not start"
      tails
      exit 4
    fi
    as_root touch "$DIR/munged.ours"
  fi
  alive "$DIR/slurmctld.pid" || as_root env SLURM_CONF="$CONF" slurmctld -f "$CONF" ||
    { say "slurmctld did not start"; tails; exit 4; }
  alive "$DIR/slurmd.pid" || as_root env SLURM_CONF="$CONF" slurmd -f "$CONF" ||
    { say "slurmd did not start"; tails; exit 4; }
  local state=""
  for _ in $(seq $((WAIT * 2))); do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1 || true)
    case $state in
      idle | mix | alloc) say "node $(hostname -s) is $state (SLURM_CONF=$CONF)"; return 0 ;;
      drain* | down*) as_root env SLURM_CONF="$CONF" scontrol update nodename="$(hostname -s)" \
        state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  say "the node did not become idle within ${WAIT}s (state: ${state:-none})"
  tails
  exit 4
}

stop() {
  export PATH=$PATH:/usr/sbin
  for d in slurmd slurmctld; do
    if alive "$DIR/$d.pid"; then
      as_root kill "$(cat "$DIR/$d.pid")" || true
      for _ in $(seq 50); do alive "$DIR/$d.pid" || break; sleep 0.1; done
    fi
  done
  if [ -f "$DIR/munged.ours" ]; then
    alive /run/munge/munged.pid && as_root kill "$(cat /run/munge/munged.pid)" || true
    as_root rm -f "$DIR/munged.ours"
  fi
  say "stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$CONF PATH=\$PATH:/usr/sbin" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 64 ;;
esac
