#!/usr/bin/env bash
# Benchmark: `genome-prep run` (character tokens, 1 kbp tiled windows, zstd MDS shards) next to
#  - a Python baseline written well (bench/python_baseline.py: pyfaidx, numpy, streaming.MDSWriter)
#    on a 1 Gbp genome, same input, same run, and genome-prep on its plain, gzip and BGZF copies;
#  - `gzip -dc > /dev/null` on the same .fa.gz (the floor for gzip input);
#  - zstd levels 1, 3, 9, 19 with zstd's own match search, and the default record-planned zstd:
#    speed and bits per base.
# Genomes come from ../shared/tools/make-genome.py (not committed). Prints tables for the README.
#
#   bash bench/run.sh                       # BENCH_DIR=../bench-data, RUNS=3
#   BIG_SIZE=2e8 RUNS=1 bash bench/run.sh   # quicker
#
# Needs: tabix (bgzip), samtools, python3, and a Python with mosaicml-streaming (.ci/python-env builds
# one; pyfaidx is added to it here) or BENCH_PYTHON pointing at one.
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIG=${BIG_SIZE:-1e9}
swift build -c release --product genome-prep >/dev/null
GP=$ROOT/.build/release/genome-prep
PY=${BENCH_PYTHON:-$(bash .ci/python-env)}
"$PY" -c "import pyfaidx" 2>/dev/null || "$PY" -m pip install --quiet pyfaidx
M1="python3 $ROOT/bench/measure.py --runs 1"

config() {  # input out [extra shards keys]
  cat > "$2.json" <<JSON
{"version": 1, "name": "bench", "inputs": ["$1"], "windows": {"seed": 1},
 "tokenizer": {"kind": "char"}, "shards": {"out": "$2"$3}}
JSON
  echo "$2.json"
}
gprun() {  # input out [extra]: time and RSS of a clean run (best of RUNS), then bits/base of its output
  local cfg; cfg=$(config "$1" "$2" "${3:-}")
  read t r <<<"$(python3 $ROOT/bench/measure.py --runs $RUNS --before "rm -rf $2" "$GP run --quiet $cfg")"
  echo "$t $r $(bpb "$2/train")"
}
rate() { python3 -c "print(f'{$1/$2/1e6:.0f}')"; }
# bits per kept base of an MDS folder: zstd bytes on disk * 8 / (samples * 1000)
bpb() { python3 -c "import json; s=json.load(open('$1/index.json'))['shards']; print(f\"{sum(x['zip_data']['bytes'] for x in s)*8/sum(x['samples'] for x in s)/1000:.3f}\")"; }

make_genome "$WORK/m200.fa" 2e8; formats m200
make_genome "$WORK/big.fa" "$BIG"; formats big
mbases() { awk '{s+=$2} END {print s}' "$1.fai"; }

echo "$(machine)"
echo
echo "## genome-prep run vs the Python baseline ($(mbases $WORK/big.fa) bases)"
echo "(* timed after its imports; vs_python is against the faster baseline)"
printf "%-34s %9s %9s %8s %10s %9s\n" tool seconds Mbase/s RSS_MiB bits/base vs_python
B=$(mbases "$WORK/big.fa")
# The baseline's own clock starts after its imports (importing streaming pulls torch: 5-20 s); RSS of the whole.
# Two baselines: one process, and two processes (forked after the imports, contigs split between them,
# joined with streaming's merge_index). Ratios are against the faster one.
rm -rf "$WORK/py-out" "$WORK/py-out2"
p1=$(/usr/bin/time -f "%M" -o "$WORK/py.rss" "$PY" "$ROOT/bench/python_baseline.py" "$WORK/big.fa" "$WORK/py-out" 3 1 2>/dev/null | awk '{print $2}')
r1=$(( $(cat "$WORK/py.rss") / 1024 ))
p2=$(/usr/bin/time -f "%M" -o "$WORK/py.rss" "$PY" "$ROOT/bench/python_baseline.py" "$WORK/big.fa" "$WORK/py-out2" 3 2 2>/dev/null | awk '{print $2}')
r2=$(( $(cat "$WORK/py.rss") / 1024 ))
pt=$(python3 -c "print(min($p1, $p2))")
printf "%-34s %9s %9s %8s %10s %9s\n" "python, 1 process*" $p1 "$(rate $B $p1)" $r1 "$(bpb $WORK/py-out)" "$(python3 -c "print(f'{$pt/$p1:.2f}x')")"
printf "%-34s %9s %9s %8s %10s %9s\n" "python, 2 processes + merge_index*" $p2 "$(rate $B $p2)" $r2 "$(bpb $WORK/py-out2)" "$(python3 -c "print(f'{$pt/$p2:.2f}x')")"
rm -rf "$WORK/py-out" "$WORK/py-out2"
read zt zr <<<"$($M "gzip -dc $WORK/big.fa.gz > /dev/null")"
printf "%-34s %9s %9s %8s %10s %9s\n" "gzip -dc > /dev/null (floor, gzip)" $zt "$(rate $B $zt)" $zr "" ""
for ext in fa fa.gz fa.bgz; do
  read t r bits <<<"$(gprun "$WORK/big.$ext" "$WORK/gp-big-${ext//./-}")"
  printf "%-34s %9s %9s %8s %10s %9s\n" "genome-prep run ($ext)" $t "$(rate $B $t)" $r $bits \
    "$(python3 -c "print(f'{$pt/$t:.2f}x')")"
  rm -rf "$WORK/gp-big-${ext//./-}"
done

echo
echo "## zstd: level and mode (200 Mbp plain input, train split bytes per base)"
echo "$(machine)"
printf "%-34s %9s %9s %8s %10s\n" setting seconds Mbase/s RSS_MiB bits/base
B=$(mbases "$WORK/m200.fa")
read t r bits <<<"$(gprun "$WORK/m200.fa" "$WORK/gp-z-records")"
printf "%-34s %9s %9s %8s %10s\n" "records (default), level 3" $t "$(rate $B $t)" $r $bits
for l in ${LEVELS:-1 3 9 19}; do
  runs=$RUNS; [ $l -ge 9 ] && runs=1
  cfg=$(config "$WORK/m200.fa" "$WORK/gp-z$l" ", \"zstdLevel\": $l, \"zstdMode\": \"search\"")
  read t r <<<"$(python3 $ROOT/bench/measure.py --runs $runs --before "rm -rf $WORK/gp-z$l" "$GP run --quiet $cfg")"
  printf "%-34s %9s %9s %8s %10s\n" "search, level $l" $t "$(rate $B $t)" $r "$(bpb $WORK/gp-z$l/train)"
done
