#!/usr/bin/env bash
# Benchmark: `pmi-stats` (all n-grams n = 1..K plus PMI tables) next to `jellyfish count` and
# `kmc` (counting K-mers only) for K = 6, 10, 12 on the same genome in the same run. Prints time,
# peak RSS and the ratio of each anchor's time to pmi-stats' time (> 1 means pmi-stats is faster).
#
#   bash bench/pmi.sh                      # 1 Gbp genome from make-genome.py (in ../bench-data/)
#   GENOME=data/ecoli_K12_MG1655.fa.gz bash bench/pmi.sh
#   SKIP_JELLYFISH=1 RUNS=2 bash bench/pmi.sh   # pmi-stats and KMC only (jellyfish takes minutes)
set -euo pipefail
RUNS=${RUNS:-1}
source "$(dirname "$0")/common.sh"
KS=${KS:-"6 10 12"}
swift build -c release --product pmi-stats >/dev/null
PS=$ROOT/.build/release/pmi-stats
G=${GENOME:-$WORK/big.fa}
make_genome "$G" "${GENOME_SIZE:-1e9}"
case "$G" in *.gz) PLAIN=$WORK/bench-input.fa; gzip -dc "$G" > "$PLAIN";; *) PLAIN=$G;; esac
bases=$(stat -c %s "$PLAIN")
T=$WORK/kmc-tmp; mkdir -p "$T"
echo "$(machine)"
printf "%-4s %-44s %9s %10s %8s %9s\n" K tool seconds Mbase/s RSS_MiB anchor/ours
for k in $KS; do
  read pt pr <<<"$($M "$PS $PLAIN -k $k -o $WORK/pmi$k --quiet")"
  if [ -n "${SKIP_JELLYFISH:-}" ]; then jt=0; jr=0; else
  read jt jr <<<"$($M "jellyfish count -m $k -s 20M -t 2 -o $WORK/jf$k.jf $PLAIN")"; fi
  read kt kr <<<"$($M "kmc -k$k -ci1 -cs4294967295 -t2 -fm $PLAIN $WORK/kmc$k $T > /dev/null")"
  rate() { python3 -c "print(f'{$bases/$1/1e6:.0f}')"; }
  ratio() { python3 -c "print(f'{$1/$pt:.2f}x')"; }
  printf "%-4s %-44s %9s %10s %8s %9s\n" $k "pmi-stats (n=1..$k + PMI, TSV, table)" $pt "$(rate $pt)" $pr ""
  [ -n "${SKIP_JELLYFISH:-}" ] || printf "%-4s %-44s %9s %10s %8s %9s\n" $k "jellyfish count -m $k -s 20M -t 2" $jt "$(rate $jt)" $jr "$(ratio $jt)"
  printf "%-4s %-44s %9s %10s %8s %9s\n" $k "kmc -k$k -ci1 -t2" $kt "$(rate $kt)" $kr "$(ratio $kt)"
done
rm -rf "$T" "$WORK"/jf*.jf "$WORK"/kmc*.kmc_*
