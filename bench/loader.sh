#!/usr/bin/env bash
# Benchmark: the training data loader. `genome-prep stream` (BERT masking, --bench) at prefetch depth
# 2 and 8 next to the Python way of feeding an MLM (bench/loader_python.py: StreamingDataset +
# torch DataLoader with 0 and 2 workers and a vectorised numpy masking collate), on the same shards
# (char tokens, 1 kbp tiled windows, zstd) in the same run; plus `genome-prep stream` at depth 2 on a
# dataset half the size (still 7 full 64 MiB shards at BIG_SIZE=1e9), to show that its peak RSS does not grow
# with the dataset (it is bounded by the shards a loader holds: open in the shuffle buffer plus prefetch).
# Prints the CPU, then a markdown table: windows/s, tokens/s, peak RSS, the Swift loader's stall
# fraction and busy seconds per stage, and the ratio to the faster Python configuration.
#
#   bash bench/loader.sh                               # BIG_SIZE=1e9, BATCH=64, RUNS=1
#   BIG_SIZE=2e8 RUNS=3 bash bench/loader.sh           # smaller; best of 3 for every row
#   GP=/path/to/genome-prep bash bench/loader.sh       # that binary, no `swift build`
#   SKIP_STREAM=1 bash bench/loader.sh                 # the Python rows only
#
# Needs: python3, /usr/bin/time, a Python with mosaicml-streaming + torch (.ci/python-env builds one)
# or BENCH_PYTHON pointing at one, and ../shared/tools/make-genome.py. The Python loader's decompressed
# shard copies (about 1 byte per token of the train split) go under $BENCH_DIR while it runs.
set -euo pipefail
RUNS=${RUNS:-1}
if [ -n "${GP:-}" ]; then  # made absolute before common.sh changes directory
  GP=$(realpath -es "$GP" 2>/dev/null || command -v "$GP") || { echo "error: GP=$GP not found" >&2; exit 1; }
fi
source "$(dirname "$0")/common.sh"
BIG=${BIG_SIZE:-1e9}
SMALL=$(python3 -c "print(int(float('$BIG') / 2))")
BATCH=${BATCH:-64}
if [ -z "${GP:-}" ]; then
  swift build -c release --product genome-prep >/dev/null
  GP=$ROOT/.build/release/genome-prep
fi
# An unknown subcommand makes the argument parser print the top-level help and exit 0, so the
# check is on what `stream --help` says, not only on its status.
if [ -z "${SKIP_STREAM:-}" ]; then
  if ! help=$("$GP" stream --help 2>&1) || ! grep -q "USAGE: genome-prep stream" <<<"$help" \
      || ! grep -q -- "--masking" <<<"$help" \
      || ! grep -q -- "--depth" <<<"$help" || ! grep -q -- "--bench" <<<"$help"; then
    echo "error: $GP has no 'stream' subcommand with --masking, --bench and --depth" >&2
    echo "       ('$GP stream --help' fails or does not list them); build it, point GP= at a binary" >&2
    echo "       that has it, or set SKIP_STREAM=1 for the Python rows only" >&2
    exit 1
  fi
fi
PY=${BENCH_PYTHON:-$(bash .ci/python-env)}

config() {  # input out: char tokens, 1 kbp tiled windows, zstd shards (the defaults), like run.sh
  cat > "$2.json" <<JSON
{"version": 1, "name": "bench-loader", "inputs": ["$1"], "windows": {"window": 1000, "stride": 1000, "seed": 1},
 "tokenizer": {"kind": "char"}, "shards": {"out": "$2"}}
JSON
  echo "$2.json"
}
dataset() {  # name size: genome of SIZE bases -> shards in $WORK/loader-NAME (rebuilt every run)
  make_genome "$WORK/loader-$2.fa" "$2"
  rm -rf "$WORK/loader-$1"
  "$GP" run --quiet "$(config "$WORK/loader-$2.fa" "$WORK/loader-$1")"
}
dataset big "$BIG"
dataset small "$SMALL"

RES=$WORK/loader-results.jsonl
: > "$RES"
# best LABEL SETTING NAME CMD...: run CMD RUNS times, keep the JSON line (the last stdout line that
# starts with '{') with the most windows/s, add label, setting, dataset and /usr/bin/time's peak RSS.
best() {
  local label=$1 setting=$2 name=$3; shift 3
  local runs=$WORK/loader-runs.jsonl
  : > "$runs"
  for _ in $(seq "$RUNS"); do
    local out
    if ! out=$(/usr/bin/time -f "%M" -o "$WORK/loader.rss" "$@" 2>"$WORK/loader.err"); then
      echo "error: failed: $*" >&2; tail -20 "$WORK/loader.err" >&2; exit 1
    fi
    local line; line=$(grep '^{' <<<"$out" | tail -1 || true)
    [ -n "$line" ] || { echo "error: no JSON line from: $*" >&2; printf '%s\n' "$out" >&2; exit 1; }
    python3 -c 'import json, sys; d = json.loads(sys.argv[1]); d["time_rss_mib"] = int(sys.argv[2]) / 1024; print(json.dumps(d))' \
      "$line" "$(cat "$WORK/loader.rss")" >> "$runs"
  done
  python3 - "$runs" "$label" "$setting" "$name" >> "$RES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
b = max(rows, key=lambda d: float(d.get("windows_per_s") or 0))
b.update(label=sys.argv[2], setting=sys.argv[3], dataset=sys.argv[4])
print(json.dumps(b))
PY
}

if [ -z "${SKIP_STREAM:-}" ]; then
  for d in 2 8; do
    best "genome-prep stream" "depth $d" big \
      "$GP" stream "$WORK/loader-big" --masking bert --batch-size "$BATCH" --bench --json --depth $d
  done
fi
for w in 0 2; do
  best "python (StreamingDataset + DataLoader)" "workers $w" big \
    "$PY" "$ROOT/bench/loader_python.py" "$WORK/loader-big" --workers $w --batch-size "$BATCH" --tmp "$WORK"
done
if [ -z "${SKIP_STREAM:-}" ]; then
  best "genome-prep stream" "depth 2" small \
    "$GP" stream "$WORK/loader-small" --masking bert --batch-size "$BATCH" --bench --json --depth 2
fi

cpu=$(lscpu | grep -E 'Model name' | head -1 | sed 's/^[^:]*:[[:space:]]*//')
avx=$(lscpu | grep -E '^Flags' | grep -qw avx512f && echo yes || echo no)
echo "CPU: $cpu, $(nproc) cores, avx512f: $avx"
echo
python3 - "$RES" "$WORK/loader-big" "$WORK/loader-small" "$BATCH" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def train_windows(d):
    return sum(s["samples"] for s in json.load(open(f"{d}/train/index.json"))["shards"])
sizes = {"big": train_windows(sys.argv[2]), "small": train_windows(sys.argv[3])}
py = [float(r["windows_per_s"]) for r in rows if r.get("impl") == "python" and r.get("windows_per_s")]
fastest_py = max(py) if py else None
def num(r, k, fmt):
    v = r.get(k)
    return "-" if v is None else format(float(v), fmt)
def mtok(r):
    v = r.get("tokens_per_s")
    return "-" if v is None else f"{float(v) / 1e6:.2f}"
def stages(r):
    s = r.get("stages")
    if not isinstance(s, dict) or not s:
        return "-"
    return ", ".join(f"{k} {float(v):.2f}" for k, v in s.items())
print(f"batch size {sys.argv[4]}; train split: {sizes['big']} windows (big), {sizes['small']} (small); "
      "peak RSS as each loader reports it (python: max of its own and its largest worker's; "
      "/usr/bin/time's where a loader reports none)")
print()
print("| implementation | workers/depth | dataset (train windows) | windows/s | Mtokens/s | peak RSS MiB "
      "| stall fraction | stage busy s | vs faster python |")
print("|---|---|---|---:|---:|---:|---:|---|---:|")
for r in rows:
    w = r.get("windows_per_s")
    ratio = f"{float(w) / fastest_py:.2f}x" if w is not None and fastest_py else "-"
    rss = r.get("peak_rss_mib", r.get("time_rss_mib"))
    setting = r["setting"]
    if r.get("impl") != "python" and r.get("workers") is not None:
        setting += f", {r['workers']} workers"  # the Swift loader's batch-building threads
    print(f"| {r['label']} | {setting} | {r['dataset']} ({sizes[r['dataset']]}) "
          f"| {num(r, 'windows_per_s', '.0f')} | {mtok(r)} "
          f"| {'-' if rss is None else f'{float(rss):.0f}'} | {num(r, 'stall_fraction', '.3f')} "
          f"| {stages(r)} | {ratio} |")
PY
echo
echo "(every row's full JSON line: $RES)"
