#!/usr/bin/env bash
# Benchmark: `genome-prep windows` (tiled 1000/1000) next to `seqkit stats` and
# `seqkit sliding -W 1000 -s 1000 -j2` on the same inputs in the same run, plus `gzip -dc` as the
# floor for gzip input. Prints Mbase/s, peak RSS and the ratio to seqkit sliding.
#
#   bash bench/windows.sh                 # E. coli (shipped) + a 1 Gbp genome from make-genome.py
#   GENOME_SIZE=2e8 bash bench/windows.sh # smaller synthetic genome
#
# Needs: seqkit, tabix (bgzip), samtools, python3 + numpy, and ../shared/tools/make-genome.py.
set -euo pipefail
source "$(dirname "$0")/common.sh"
swift build -c release --product genome-prep >/dev/null
GP=$ROOT/.build/release/genome-prep

[ -f "$WORK/ecoli.fa" ] || gzip -dc data/ecoli_K12_MG1655.fa.gz > "$WORK/ecoli.fa"
formats ecoli
make_genome "$WORK/big.fa" "${GENOME_SIZE:-1e9}"
formats big

echo "$(machine)"
printf "%-10s %-6s %-28s %9s %10s %8s %9s\n" genome format tool seconds Mbase/s RSS_MiB vs_seqkit
for g in ecoli big; do
  bases=$($GP stats "$WORK/$g.fa" | tail -1 | cut -f4)
  for ext in fa fa.gz fa.bgz; do
    f="$WORK/$g.$ext"
    fmt=${ext#fa}; fmt=${fmt#.}; fmt=${fmt:-plain}
    read st sr <<<"$($M "seqkit stats -j2 $f")"
    read kt kr <<<"$($M "seqkit sliding -j2 -W 1000 -s 1000 $f > /dev/null")"
    read gt gr <<<"$($M "$GP windows --quiet --threads 2 $f -o /dev/null")"
    rate() { python3 -c "print(f'{$bases/$1/1e6:.0f}')"; }
    printf "%-10s %-6s %-28s %9s %10s %8s %9s\n" $g $fmt "seqkit stats" $st "$(rate $st)" $sr ""
    printf "%-10s %-6s %-28s %9s %10s %8s %9s\n" $g $fmt "seqkit sliding -W1000 -s1000" $kt "$(rate $kt)" $kr "1.00x"
    printf "%-10s %-6s %-28s %9s %10s %8s %9s\n" $g $fmt "genome-prep windows" $gt "$(rate $gt)" $gr \
      "$(python3 -c "print(f'{$kt/$gt:.2f}x')")"
    if [ "$fmt" = gz ]; then
      read zt zr <<<"$($M "gzip -dc $f > /dev/null")"
      printf "%-10s %-6s %-28s %9s %10s %8s %9s\n" $g $fmt "gzip -dc (floor)" $zt "$(rate $zt)" $zr ""
    fi
  done
done

# The byte kernels at each level this CPU has (GENOMEPREP_SIMD lowers the level), plain 1 Gbp input.
echo
echo "## genome-prep windows, plain big genome, by byte-kernel level"
bases=$($GP stats "$WORK/big.fa" | tail -1 | cut -f4)
for level in scalar sse2 avx2 avx512; do
  read gt gr <<<"$($M "GENOMEPREP_SIMD=$level $GP windows --quiet --threads 2 $WORK/big.fa -o /dev/null")"
  printf "%-10s %-28s %9s %10s\n" "$level" "genome-prep windows" $gt "$(python3 -c "print(f'{$bases/$gt/1e6:.0f}')")"
done
