#!/usr/bin/env bash
# Plain-shell CI step: audited fine-tune, then the gate. Exit 0 = ship, 1 = blocked, 2 = bad input, 3 = crash.
# Usage: examples/ci/gate.sh audits/candidate.yaml policies/strict.yaml
set -uo pipefail
spec="${1:?spec}"; policy="${2:?policy}"; out="${OUT:-reports/ci}"
rai-ft run "$spec" --output "$out" --quiet
code=$?
if [ "$code" -ge 2 ]; then echo "rai-ft run failed (exit $code)"; exit "$code"; fi
run_dir=$(ls -td "$out"/*/ | head -n 1)
rai-ft gate "$run_dir/audit.json" --policy "$policy" --junit "$out/gate.xml" --summary "$out/gate.md"
code=$?
cat "$out/gate.md"
echo "report: ${run_dir}report.html"
exit "$code"
