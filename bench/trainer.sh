#!/usr/bin/env bash
# Benchmark: the trainer's speed. For two model sizes, `genome-prep train --bench` on the E. coli
# character shards (tokens/s, stall fraction, the share of time in cblas_sgemm and its GFLOP/s, and the
# same sgemm shapes replayed in a plain cblas_sgemm loop in the same process: the efficiency the model
# gets), next to PyTorch training transformers.BertForMaskedLM on batches of the same shards and shape
# with the same thread count (bench/trainer_python.py), in the same run. OPENBLAS_* variables are left
# as the machine sets them. Prints the CPU and a markdown table.
#
#   bash bench/trainer.sh                    # THREADS=2 STEPS=12
#   THREADS=1 STEPS=20 bash bench/trainer.sh
#   GP=/path/to/genome-prep bash bench/trainer.sh
#
# Needs: a Python with torch, transformers and mosaicml-streaming (.ci/python-env builds one) or
# BENCH_PYTHON. The PyTorch side's decompressed shard copies go next to the shards (under out/).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
STEPS=${STEPS:-12}
PY=${BENCH_PYTHON:-$(bash .ci/python-env)}
if [ -z "${GP:-}" ]; then swift build -c release --product genome-prep >/dev/null; GP=.build/release/genome-prep; fi
"$GP" run --quiet pipelines/ecoli-char.json
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "OpenBLAS: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; threads $THREADS; $STEPS steps"
echo
echo "(OpenBLAS picks its kernel at load time; the core it picked is in each row.)"
echo
echo "| model | tokens/step | genome-prep tokens/s | PyTorch tokens/s | ratio | stall | sgemm share | sgemm GFLOP/s | plain-loop GFLOP/s | efficiency |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# name layers hidden heads intermediate seq batch
for size in "small 2 128 4 512 1000 8" "medium 4 256 4 1024 512 8"; do
  set -- $size
  name=$1 L=$2 H=$3 NH=$4 I=$5 T=$6 B=$7
  cat > "$W/$name.json" <<JSON
{"version": 1, "name": "bench-$name", "data": {"train": ["out/ecoli-char/train"], "sequenceLength": $T},
 "model": {"layers": $L, "hidden": $H, "heads": $NH, "intermediate": $I},
 "batch": {"size": $B}, "steps": $STEPS, "optimizer": {"lr": 0.001}, "threads": $THREADS, "out": "$W/run-$name"}
JSON
  "$GP" train --quiet --bench "$W/$name.json"
  py=$("$PY" bench/trainer_python.py out/ecoli-char/train --layers "$L" --hidden "$H" --heads "$NH" --intermediate "$I" \
       --seq "$T" --batch "$B" --steps "$STEPS" --threads "$THREADS" --vocab 10 --mask-id 4 --first-base 5 2>/dev/null | tail -1)
  python3 - "$W/run-$name/summary.json" "$py" "$name (L$L H$H I$I T$T B$B)" "$((T * B))" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1])); p = json.loads(sys.argv[2])
gp = s["tokens"] / s["seconds"]
print(f"| {sys.argv[3]} | {sys.argv[4]} | {gp:.0f} | {p['tokens_per_s']:.0f} ({p['attention']}) | {gp / p['tokens_per_s']:.2f}x | "
      f"{s['stall_fraction'] * 100:.2f}% | {s['sgemm_seconds'] / s['seconds'] * 100:.1f}% | {s['sgemm_gflops']:.1f} | "
      f"{s['sgemm_plain_loop_gflops']:.1f} ({s['openblas_core']}) | {s['sgemm_efficiency'] * 100:.0f}% |")
PYEOF
done
