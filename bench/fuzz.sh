#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer (+ AddressSanitizer): JSON, pipeline configs,
# tokenizer.json, index.json, FASTA (plain, and gzip/BGZF through the ISA-L readers), BED, .fai and .gzi. Each target runs SECONDS (default 600) from the seed
# corpus in Tests/FuzzCorpus/<target>/ (new interesting inputs are kept in $WORK/corpus-<target>);
# crashing inputs land in $WORK/crash-<target>-* and make the script exit 1 (leak checks are off: the one leak
# seen was inside FoundationEssentials' Data(contentsOf:); bench/sanitize.sh covers our leaks). Add each, minimised, to
# the specimen tests.
#
#   bash bench/fuzz.sh                      # every target, 10 minutes each
#   SECONDS_PER_TARGET=60 TARGETS="json fai" bash bench/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."
WORK=${FUZZ_DIR:-../fuzz-data}
mkdir -p "$WORK"
swift build --product gp-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz >/dev/null || exit 1
BIN=.build-fuzz/debug/gp-fuzz
status=0
for t in ${TARGETS:-json config tokenizer index fasta compressed bed fai gzi}; do
  mkdir -p "$WORK/corpus-$t"
  seeds=Tests/FuzzCorpus/$t
  start=$(date +%s)
  ASAN_OPTIONS=detect_leaks=0 GP_FUZZ_TARGET=$t "$BIN" -detect_leaks=0 -max_total_time="${SECONDS_PER_TARGET:-600}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$WORK/crash-$t-" "$WORK/corpus-$t" $( [ -d "$seeds" ] && echo "$seeds" ) > "$WORK/$t.log" 2>&1
  rc=$?
  runs=$(grep -E "stat::number_of_executed_units" "$WORK/$t.log" | awk '{print $2}')
  echo "$t: exit $rc after $(( $(date +%s) - start )) s, ${runs:-?} inputs run"
  if [ "$rc" != 0 ]; then status=1; grep -E -A 20 "ERROR|Fatal|==ERROR" "$WORK/$t.log" | head -40; fi
done
exit $status
