#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its own build folder
# (.build-asan, .build-tsan; both ignored by git). Not part of CI's time budget: a full run takes
# several minutes per sanitizer on two cores.
#
#   bash bench/sanitize.sh                    # both, every test
#   SANITIZERS=thread FILTER=TrainerTests bash bench/sanitize.sh
#
# Exits non-zero when a test fails or a sanitizer reports anything (the report is printed).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for s in ${SANITIZERS:-address thread}; do
  log=$(mktemp)
  args=(--sanitize="$s" --scratch-path ".build-${s:0:1}san")
  [ -n "${FILTER:-}" ] && args+=(--filter "$FILTER")
  echo "== swift test ${args[*]}"
  LSAN_OPTIONS="suppressions=$PWD/bench/lsan.supp:print_suppressions=0" swift test "${args[@]}" >"$log" 2>&1
  rc=$?
  reports=$(grep -c -E "WARNING: (ThreadSanitizer|AddressSanitizer)|ERROR: (AddressSanitizer|LeakSanitizer)" "$log")
  grep -E "Executed [0-9]+ tests" "$log" | tail -1
  if [ "$rc" != 0 ] || [ "$reports" != 0 ]; then
    echo "$s: exit $rc, $reports sanitizer reports"; grep -E -A 30 "WARNING: |ERROR: |error:" "$log" | head -120
    status=1
  else
    echo "$s: clean"
  fi
  rm -f "$log"
done
exit $status
