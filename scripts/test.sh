#!/usr/bin/env bash
# `npm test`: installs and starts what the tests need (npm dependencies, the
# Docker engine, the images), runs the whole suite (unit, integration against
# real Docker, end to end through the CLI), checks that nothing with the
# project's labels is left behind, and ends with the line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

ensure_node_modules || exit 2
bash scripts/engine.sh || exit 2
bash scripts/tools.sh vegeta || exit 2
harness_env
echo "[test] preparing images (built once, then reused while their recipes are unchanged)" >&2
node --import tsx harness/cli/main.ts images || exit 2
echo "[test] preparing kind and its node image (built from source on a new machine: about 10 minutes on 2 cores; cached after)" >&2
bash scripts/tools.sh kind kubectl || exit 2
bash scripts/kind/build-node-image.sh || exit 2

echo "[test] type-checking (tsc --noEmit)" >&2
typecheck_failed=0
npx tsc --noEmit || typecheck_failed=1

mkdir -p runs
report=runs/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_rc=$?

echo "[test] checking that the suite left no container or network behind" >&2
leftovers=$(node --import tsx scripts/leftovers.ts)
leak_failed=0
if [ -n "$leftovers" ]; then
  echo "[test] LEAK: these resources with the project's labels remain after the suite:" >&2
  echo "$leftovers" >&2
  leak_failed=1
  node --import tsx harness/cli/main.ts clean >/dev/null 2>&1 || true
fi

if [ ! -f "$report" ]; then
  echo "[test] vitest wrote no report (exit $vitest_rc)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
read -r passed failed < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const failedSuites = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
  console.log(r.numPassedTests, r.numFailedTests + failedSuites);
' "$report")
failed=$((failed + leak_failed + typecheck_failed))
echo "$passed passed, $failed failed"
[ "$vitest_rc" = 0 ] && [ "$failed" = 0 ]
