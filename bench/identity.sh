#!/usr/bin/env bash
# Byte identity across revisions: builds REV (default: the previous commit) in a scratch worktree and this
# checkout, runs the same ten pipeline configs with both (char plain/gzip/BGZF, strand both, no zstd, gc +
# soft-mask bits + val/test, overlapping 6-mers, BPE, labels + weights, PMI; the shipped genomes plus the
# 200 Mbp one from make-genome.py), and compares every split's index.json (each shard's size and hashes),
# the PMI table and the inputs' checksums in genomeprep.json. Exits 1 on any difference.
#
#   bash bench/identity.sh                # against HEAD~1
#   REV=8192999 bash bench/identity.sh    # against an older revision
set -euo pipefail
source "$(dirname "$0")/common.sh"
REV=${REV:-HEAD~1}
OLD=$WORK/identity-old
rm -rf "$OLD"; git worktree add -q --force "$OLD" "$REV"
trap 'git worktree remove --force "$OLD" >/dev/null 2>&1 || true' EXIT
(cd "$OLD" && swift build -c release --product genome-prep >/dev/null)
swift build -c release --product genome-prep >/dev/null
make_genome "$WORK/m200.fa" 2e8
D=$ROOT/data
runs() {  # BIN OUTROOT
  local BIN=$1 O=$2
  rm -rf "$O"; mkdir -p "$O"
  cfg() { echo "{\"version\": 1, \"name\": \"$1\", \"inputs\": $2, \"windows\": $3, \"tokenizer\": $4, $5 \"shards\": {\"out\": \"$O/$1\"$6}}" > "$O/$1.json"
          "$BIN" run --quiet "$O/$1.json"; }
  cfg char-bgz "[\"$D/ecoli_K12_MG1655.fa.bgz\"]" '{"seed": 3, "strand": "both"}' '{"kind": "char"}' '' ', "sizeLimit": 1000000'
  cfg char-gz-small "[\"$D/ecoli_MG1655_draft.fa.gz\", \"$D/lambda_phage.fa.gz\"]" '{"seed": 3, "window": 37, "stride": 50, "softMask": "keep", "val": 0.1, "test": 0.1}' '{"kind": "char"}' '' ', "sizeLimit": 100000, "gc": true, "hashes": ["sha1", "xxh3_64"]'
  cfg char-nozstd "[\"$D/saureus_N315.fa.gz\"]" '{"seed": 4, "window": 500, "stride": 200}' '{"kind": "char"}' '' ', "sizeLimit": 300000, "zstdLevel": null'
  cfg kmer6 "[\"$D/ecoli_K12_MG1655.fa.bgz\"]" '{"seed": 1, "window": 510}' '{"kind": "kmer", "k": 6}' '' ', "sizeLimit": 2000000'
  cfg bpe "[\"$D/lambda_phage.fa.gz\"]" '{"seed": 1, "window": 1000}' '{"kind": "bpe", "vocabSize": 300}' '' ', "sizeLimit": 50000'
  cfg char-m200 "[\"$WORK/m200.fa\"]" '{"seed": 1}' '{"kind": "char"}' '' ''
  cfg labels "[{\"path\": \"$D/lambda_phage.fa.gz\", \"label\": \"phage\", \"weight\": 2}, {\"path\": \"$D/saureus_N315.fa.bgz\", \"label\": \"staph\"}]" '{"seed": 2, "window": 300, "val": 0.2}' '{"kind": "char"}' '' ', "sizeLimit": 200000'
  cfg pmi "[\"$D/lambda_phage.fa.gz\"]" '{"seed": 1, "window": 200}' '{"kind": "kmer", "k": 6}' '"pmi": {"maxK": 6, "minCount": 2},' ''
}
runs "$OLD/.build/release/genome-prep" "$WORK/identity-a"
runs "$ROOT/.build/release/genome-prep" "$WORK/identity-b"
status=0
for d in "$WORK"/identity-a/*/; do
  n=$(basename "$d")
  for f in train/index.json val/index.json test/index.json pmi.rank6.bin; do
    [ -f "$d/$f" ] || continue
    if cmp -s "$d/$f" "$WORK/identity-b/$n/$f"; then echo "same       $n/$f"; else echo "DIFFERENT  $n/$f"; status=1; fi
  done
  if python3 -c "import json,sys; a,b=(json.load(open(p))['inputs'] for p in sys.argv[1:]); sys.exit(a!=b)" "$d/genomeprep.json" "$WORK/identity-b/$n/genomeprep.json"
  then echo "same       $n input checksums"; else echo "DIFFERENT  $n input checksums"; status=1; fi
done
exit $status
