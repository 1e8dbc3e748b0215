#!/usr/bin/env bash
# `--part` as a real Slurm job array on this machine: installs Debian 12's slurm-wlm and munge if needed,
# starts a single-node cluster (proctrack/linuxproc, task/none, no accounting, munge first: the settings
# of ../shared/specs/trainer-anchors.md §6.1), submits pipelines/ecoli-char.json in PARTS parts with
# pipelines/slurm/submit.sh (a job array and a dependent merge + verify job), waits, and checks that the
# merged output holds exactly the samples of a single run (every split, sample for sample by contig and
# start, tokens compared). Prints both wall times. Stops the daemons it started at the end.
#   bash bench/slurm.sh            # PARTS=4
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${PARTS:-4}
GP=$(realpath "${GP:-.build/release/genome-prep}")
[ -x "$GP" ] || { swift build -c release --product genome-prep >/dev/null; GP=$(realpath .build/release/genome-prep); }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi
host=$(hostname -s)
cpus=$(nproc); mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
$SUDO mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
$SUDO chown slurm:slurm /var/spool/slurmctld /var/log/slurm 2>/dev/null || true
$SUDO tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus Boards=1 SocketsPerBoard=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
started=()
if ! pgrep -x munged >/dev/null; then
  [ -f /etc/munge/munge.key ] || $SUDO runuser -u munge -- /usr/sbin/mungekey --create 2>/dev/null || true
  $SUDO chown -R munge:munge /run/munge /etc/munge 2>/dev/null || true
  $SUDO runuser -u munge -- /usr/sbin/munged; started+=(munged)
fi
pgrep -x slurmctld >/dev/null || { $SUDO slurmctld; started+=(slurmctld); }
pgrep -x slurmd >/dev/null || { $SUDO slurmd; started+=(slurmd); }
cleanup() { for d in "${started[@]}"; do $SUDO pkill -x "$d" || true; done; }
trap cleanup EXIT
for i in $(seq 1 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break; sleep 1; done
sinfo

W=$(mktemp -d /tmp/gp-slurm.XXXX)   # a folder the jobs (run as this user) can write
sed "s|\"out/ecoli-char\"|\"$W/array\"|" pipelines/ecoli-char.json > "$W/array.json"
sed "s|\"out/ecoli-char\"|\"$W/single\"|" pipelines/ecoli-char.json > "$W/single.json"
t0=$(date +%s.%N)
"$GP" run --quiet "$W/single.json"
t1=$(date +%s.%N)
read -r array merge < <(GENOME_PREP="$GP" bash pipelines/slurm/submit.sh "$W/array.json" "$PARTS" --chdir="$PWD" --output="$W/slurm-%A_%a.out")
while squeue -h -j "$array,$merge" 2>/dev/null | grep -q .; do sleep 0.5; done
t2=$(date +%s.%N)
state=$(scontrol show job "$merge" 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
cat "$W"/slurm-*merge*.out 2>/dev/null || true
[ "$state" = "JobState=COMPLETED" ] || sacct -j "$merge" 2>/dev/null || true
# Sample for sample: every split's (contig, start, tokens) multiset equal to the single run's.
for split in train val test; do
  for r in single array; do
    "$GP" inspect "$W/$r/$split" --samples 1000000 --ids | grep -v '^folder\|^shards\|^columns\|^  bases' | paste - - | sed 's/^sample [0-9]*//' | sort > "$W/$r.$split.txt"
  done
  if cmp -s "$W/single.$split.txt" "$W/array.$split.txt"; then
    echo "$split: $(wc -l < "$W/single.$split.txt") samples, identical"
  else
    echo "$split: DIFFERENT" >&2; exit 1
  fi
done
python3 -c "import sys; t0,t1,t2=map(float,sys.argv[1:4]); print(f'single run {t1-t0:.2f} s; {sys.argv[4]}-part job array + merge + verify through Slurm {t2-t1:.2f} s (submit to last job done)')" "$t0" "$t1" "$t2" "$PARTS"
