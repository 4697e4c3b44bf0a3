#!/usr/bin/env bash
# `npm test`: the whole suite, in the order that gives the quickest answer.
#  1. type-check and the unit project (no Docker: seconds);
#  2. install and start what the rest needs (the Docker engine, vegeta, the
#     images, kind and its node image), with progress;
#  3. the integration (real Docker and kind) and end-to-end (the CLI) projects;
#  4. check that nothing with the project's labels is left behind.
# Ends with the line "N passed, N failed" from the real counts of every step.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

ensure_node_modules || { echo "0 passed, 1 failed"; exit 2; }
mkdir -p runs
rm -f runs/vitest-*.json

failed_checks=0
echo "[test] type-checking (tsc --noEmit)" >&2
npx tsc --noEmit || failed_checks=$((failed_checks + 1))

echo "[test] unit tests (no Docker)" >&2
# Pure logic, no Docker: worker threads that share one module graph across files (no isolation) make this
# about three times faster on two cores; a unit test must not leave global state behind.
npx vitest run --project unit --fileParallelism --pool=threads --no-isolate --passWithNoTests --reporter=default --reporter=json --outputFile.json=runs/vitest-unit.json "$@"
unit_rc=$?

prepare() {
  bash scripts/engine.sh || return 2
  bash scripts/tools.sh vegeta age stress-ng chromium actionlint shellcheck || return 2
  harness_env
  echo "[test] preparing images (built once, then reused while their recipes are unchanged)" >&2
  node --import tsx harness/cli/main.ts images || return 2
  echo "[test] preparing kind and its node image (built from source on a new machine: about 10 minutes on 2 cores; cached after)" >&2
  bash scripts/tools.sh kind kubectl || return 2
  bash scripts/kind/build-node-image.sh || return 2
}

rest_rc=0
reports=(runs/vitest-unit.json)
if prepare; then
  reports+=(runs/vitest-rest.json)
  echo "[test] integration (real Docker and kind) and end-to-end (the CLI) tests" >&2
  npx vitest run --project integration --project e2e --passWithNoTests --reporter=default --reporter=json --outputFile.json=runs/vitest-rest.json "$@"
  rest_rc=$?

  echo "[test] checking that the suite left no container or network behind" >&2
  leftovers=$(node --import tsx scripts/leftovers.ts)
  if [ -n "$leftovers" ]; then
    echo "[test] LEAK: these resources with the project's labels remain after the suite:" >&2
    echo "$leftovers" >&2
    failed_checks=$((failed_checks + 1))
    node --import tsx harness/cli/main.ts clean >/dev/null 2>&1 || true
  fi
else
  echo "[test] could not prepare the engine, tools or images (read the lines above): integration and end-to-end tests did not run" >&2
  failed_checks=$((failed_checks + 1))
  rest_rc=1
fi

# Counts from each vitest report; a report that is missing counts as one failure.
read -r passed failed < <(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    const failedSuites = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.length === 0).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + failedSuites;
  }
  console.log(passed, failed);
' "${reports[@]}")
failed=$((failed + failed_checks))
echo "$passed passed, $failed failed"
[ "$unit_rc" = 0 ] && [ "$rest_rc" = 0 ] && [ "$failed" = 0 ]
