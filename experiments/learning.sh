#!/usr/bin/env bash
# Does the trainer learn? Reruns the README's "Proof that it learns" on E. coli, start to finish:
#   1. character shards of 128 bp windows (pipelines/ecoli-char-128.json; val = 100 kbp blocks held out of training);
#   2. genome-prep train pipelines/train-ecoli-char.json (eval: masked-base cross-entropy on the whole val
#      split, fixed masking seed), timed;
#   3. the count baselines on the same val windows (experiments/markov_baseline.py);
#   4. the coding-vs-intergenic probe (experiments/probe_data.py: prodigal genes, 200 bp windows, first 80% /
#      last 20% of the chromosome): the pretrained model, the same model at its random initialisation
#      (pipelines/train-ecoli-char-random.json: one step at lr 1e-9), and k-mer (k <= 4) logistic regression.
# Results go to results/learning/ (JSON and logs). Needs: a release build, prodigal, the .ci/python-env Python.
# Usage: bash experiments/learning.sh            (about an hour on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
GP="${GP:-.build/release/genome-prep}"
PY="${PY:-$(bash .ci/python-env)}"
R=results/learning
mkdir -p "$R"
export PYTHONDONTWRITEBYTECODE=1
[ -x "$GP" ] || swift build -c release
command -v prodigal >/dev/null || { echo "needs prodigal (apt-get install prodigal)" >&2; exit 1; }
echo "== CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores" | tee "$R/machine.txt"

"$GP" run --quiet pipelines/ecoli-char-128.json
/usr/bin/time -v "$GP" train pipelines/train-ecoli-char.json 2> >(tee "$R/train.stderr" >&2)
cp runs/ecoli-char-bert/log.jsonl runs/ecoli-char-bert/summary.json "$R/"

"$PY" experiments/markov_baseline.py out/ecoli-char-128 --max-k 6 > "$R/markov.json"

"$PY" experiments/probe_data.py --out out/probe --genome-prep "$GP" > "$R/probe_data.json"
"$GP" train --quiet pipelines/train-ecoli-char-random.json
for model in ecoli-char-bert ecoli-char-bert-random; do
  for split in train test; do
    "$GP" embed "runs/$model" "out/probe/mds-$split/train" -o "out/probe/$model.$split.npy" --threads 2
  done
  "$GP" probe --json --train "out/probe/$model.train.npy" --train-labels out/probe/train.labels \
    --test "out/probe/$model.test.npy" --test-labels out/probe/test.labels > "$R/probe.$model.json"
done
"$PY" experiments/kmer_probe.py out/probe --kmax 4 > "$R/probe.kmer4.json"
"$PY" - "$R" <<'PYEOF'
import json, sys
r = sys.argv[1]
evals = [json.loads(l) for l in open(f"{r}/log.jsonl") if "eval_loss" in l]
m = json.load(open(f"{r}/markov.json"))
print("eval (bits/base on masked val positions):", ", ".join(f"{e['step']}: {e['eval_bits_per_base']:.4f}" for e in evals))
print("baselines:", json.dumps(m)[:400])
for name in ["ecoli-char-bert", "ecoli-char-bert-random", "kmer4"]:
    print(name, json.dumps(json.load(open(f"{r}/probe.{name}.json")))[:300])
PYEOF
