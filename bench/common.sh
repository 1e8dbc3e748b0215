# Shared by the bench scripts (source it first): run from the repository root, keep inputs in
# $BENCH_DIR (default ../bench-data), time commands with measure.py, and make the synthetic genomes.
# Set RUNS before sourcing to change the default of 3 runs per command (best of RUNS is reported).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
WORK=${BENCH_DIR:-$ROOT/../bench-data}
RUNS=${RUNS:-3}
mkdir -p "$WORK"
M="python3 $ROOT/bench/measure.py --runs $RUNS"

# make_genome FILE SIZE: a reference-like genome from ../shared/tools/make-genome.py, unless FILE exists.
make_genome() {
  [ -f "$1" ] || python3 ../shared/tools/make-genome.py --train data/ecoli_K12_MG1655.fa.gz data/saureus_N315.fa.gz \
    --out "$1" --total "$2" >&2
}

# formats NAME: beside $WORK/NAME.fa, its .fai, a gzip copy and a BGZF copy with .fai and .gzi.
formats() {
  local n=$WORK/$1
  [ -f "$n.fa.fai" ] || samtools faidx "$n.fa"
  [ -f "$n.fa.gz" ] || gzip -c "$n.fa" > "$n.fa.gz"
  if [ ! -f "$n.fa.bgz.gzi" ]; then
    bgzip -@2 -c "$n.fa" > "$n.fa.bgz"
    samtools faidx "$n.fa.bgz"
  fi
}

# machine: one line naming the CPU, cores, memory, its SIMD flags and the level genome-prep's byte kernels
# use (print it with every table: a ratio is read with its machine).
machine() {
  local model flags
  model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(sse4_2|avx2|avx512f|avx512bw|avx512_vbmi2)$' | tr '\n' ' ')
  echo "machine: $model, $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; flags: ${flags% }; genome-prep $("${GP:-$ROOT/.build/release/genome-prep}" --version 2>/dev/null)"
}
