#!/usr/bin/env bash
# Renders `genome-prep report` in a real browser: headless Chromium (Debian's `chromium`) loads the page
# from disk, prints its DOM and a PNG screenshot; the script fails if Chromium reports a page error
# (a console error, a failed load) or the screenshot is missing/empty, and prints what the DOM holds.
#   bash bench/report_render.sh [RUN_OUT] [TRAIN_RUN]     # defaults: out/ecoli-char, no training run
# Writes results/report/report.html and report.png.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/ecoli-char}
GP=${GP:-.build/release/genome-prep}
[ -x "$GP" ] || swift build -c release --product genome-prep >/dev/null
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
[ -f "$OUT/genomeprep.json" ] || "$GP" run --quiet pipelines/ecoli-char.json
mkdir -p results/report
"$GP" report "$OUT" ${2:+--train "$2"} -o results/report/report.html
page="file://$PWD/results/report/report.html"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 --enable-logging=stderr --v=0)
chromium "${flags[@]}" --dump-dom "$page" > results/report/dom.html 2> results/report/chromium.log
chromium "${flags[@]}" --screenshot="$PWD/results/report/report.png" "$page" 2>> results/report/chromium.log
if grep -E "Uncaught|ERR_FILE_NOT_FOUND|Failed to load|CONSOLE.*error" results/report/chromium.log; then
  echo "chromium reported page errors (results/report/chromium.log)" >&2; exit 1
fi
[ -s results/report/report.png ] || { echo "no screenshot" >&2; exit 1; }
echo "loaded: $(grep -o '<svg' results/report/dom.html | wc -l) charts, $(grep -o '<table' results/report/dom.html | wc -l) tables in the DOM; screenshot $(stat -c %s results/report/report.png) bytes: results/report/report.png"
