#!/usr/bin/env bash
# Benchmark: BPE (vocab 4096, min_frequency 2, DNABERT-2 specials) trained by Python `tokenizers`
# (BpeTrainer) and by `genome-prep tokenizer train` on the same 20k and 100k windows in the same run,
# GenomePrep alone on 1M windows (HF cannot fit them in 24 GiB), then encoding of 1M windows by HF
# `encode_batch` and by GenomePrep (BPE, 6-mer, char). Prints seconds, peak RSS and ratios.
set -euo pipefail
RUNS=${RUNS:-1}
source "$(dirname "$0")/common.sh"
swift build -c release --product genome-prep >/dev/null
GP=$ROOT/.build/release/genome-prep
G=$WORK/big.fa
make_genome "$G" 1e9
# The same windows for both tools: 1 kbp tiles without N, upper-cased; text for HF, FASTA for GenomePrep.
if [ ! -f "$WORK/w1m.txt" ]; then
  $GP windows "$G" --format tsv --soft-mask upper --quiet | tail -n +2 | cut -f8 | head -n 1000000 > "$WORK/w1m.txt"
fi
for n in 20000 100000 1000000; do
  [ -f "$WORK/w$n.fa" ] || head -n $n "$WORK/w1m.txt" | awk '{print ">w" NR; print}' > "$WORK/w$n.fa"
  [ -f "$WORK/w$n.txt" ] || head -n $n "$WORK/w1m.txt" > "$WORK/w$n.txt"
done
cat > "$WORK/hf_bpe.py" <<'PY'
import sys
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
mode = sys.argv[1]
if mode == "train":
    tok = Tokenizer(models.BPE(unk_token="[UNK]")); tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tr = trainers.BpeTrainer(vocab_size=4096, min_frequency=2, special_tokens=["[UNK]","[CLS]","[SEP]","[PAD]","[MASK]"], show_progress=False)
    tok.train_from_iterator((l.rstrip("\n") for l in open(sys.argv[2])), tr)
    tok.save(sys.argv[3])
else:
    tok = Tokenizer.from_file(sys.argv[2])
    batch = []
    for l in open(sys.argv[3]):
        batch.append(l.rstrip("\n"))
        if len(batch) == 10000: tok.encode_batch(batch); batch = []
    if batch: tok.encode_batch(batch)
PY
echo "$(machine)"
printf "%-44s %9s %8s %9s\n" task seconds RSS_MiB HF/ours
for n in ${SIZES:-20000 100000}; do
  read ht hr <<<"$($M "python3 $WORK/hf_bpe.py train $WORK/w$n.txt $WORK/hf$n.json")"
  read gt gr <<<"$($M "$GP tokenizer train --kind bpe --vocab-size 4096 --window 1000 $WORK/w$n.fa -o $WORK/gp$n.json")"
  printf "%-44s %9s %8s %9s\n" "train $n windows: HF BpeTrainer" $ht $hr ""
  printf "%-44s %9s %8s %9s\n" "train $n windows: genome-prep" $gt $gr "$(python3 -c "print(f'{$ht/$gt:.2f}x')")"
  python3 - "$WORK/hf$n.json" "$WORK/gp$n.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["model"]; b = json.load(open(sys.argv[2]))["model"]
norm = lambda ms: [" ".join(m) if isinstance(m, list) else m for m in ms]
print("  same vocabulary and merges as HF:", a["vocab"] == b["vocab"] and norm(a["merges"]) == norm(b["merges"]))
PY
done
read gt gr <<<"$($M "$GP tokenizer train --kind bpe --vocab-size 4096 --window 1000 $WORK/w1000000.fa -o $WORK/gp1m.json")"
printf "%-44s %9s %8s %9s\n" "train 1M windows: genome-prep" $gt $gr "(HF: does not fit)"
read ht hr <<<"$($M "python3 $WORK/hf_bpe.py encode $WORK/gp100000.json $WORK/w1000000.txt")"
read et er <<<"$($M "$GP tokenizer encode --count-only --tokenizer $WORK/gp100000.json --window 1000 $WORK/w1000000.fa")"
printf "%-44s %9s %8s %9s\n" "encode 1M windows BPE: HF encode_batch" $ht $hr ""
printf "%-44s %9s %8s %9s\n" "encode 1M windows BPE: genome-prep" $et $er "$(python3 -c "print(f'{$ht/$et:.2f}x')")"
for kind in kmer char nt-kmer; do
  $GP tokenizer train --kind $kind --k 6 -o $WORK/$kind.json 2>/dev/null
  read kt kr <<<"$($M "$GP tokenizer encode --count-only --tokenizer $WORK/$kind.json --window 1000 $WORK/w1000000.fa")"
  printf "%-44s %9s %8s %9s\n" "encode 1M windows $kind: genome-prep" $kt $kr ""
done
# The tokenizers alone: 100k windows already in memory, one thread (GB/s of bases).
for t in kmer char nt-kmer gp100000; do
  $GP tokenizer encode --in-memory --tokenizer $WORK/$t.json --window 1000 $WORK/w100000.fa 2>&1 | sed "s/^/  $t: /"
done
