#!/usr/bin/env bash
# Runs a GenomePrep pipeline as a Slurm job array of N parts plus a dependent merge-and-verify job.
#   bash pipelines/slurm/submit.sh pipelines/ecoli-char.json 4 [extra sbatch flags...]
# Prints the two job ids. GENOME_PREP (default: genome-prep on PATH) is the binary every node runs.
set -euo pipefail
PIPELINE=$1; N=$2; shift 2
OUT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"]["out"])' "$PIPELINE")
here=$(cd "$(dirname "$0")" && pwd)
export PIPELINE OUT GENOME_PREP="${GENOME_PREP:-genome-prep}"
array=$(sbatch --parsable --export=ALL --array=0-$((N - 1)) "$@" "$here/part.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$@" "$here/merge.sbatch")
echo "$array $merge"
