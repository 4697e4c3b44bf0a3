#!/usr/bin/env bash
# `npm test`: the whole suite, in the order that gives the quickest answer.
#  1. type-check and the unit project (no Docker: seconds);
#  2. install and start what the rest needs (the Docker engine, vegeta, the
#     images, kind and its node image), with progress;
#  3. the integration (real Docker and kind) and end-to-end (the CLI) projects,
#     in lanes (a file's first line `// lane: kind|alone` says which; Docker by
#     default): the few that need the machine to themselves, then the kind
#     lane and the Docker lane (each one file at a time), side by side on a
#     machine of 4 cores or more (every run inside takes its share of the
#     machine's budget, so the two lanes take turns where they would not both
#     fit), one after the other on a smaller one;
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
  bash scripts/tools.sh vegeta age stress-ng chromium actionlint shellcheck alertmanager mailpit syft kube-network-policies metrics-server prometheus || return 2
  harness_env
  echo "[test] preparing images (built once, then reused while their recipes are unchanged)" >&2
  node --import tsx harness/cli/main.ts images || return 2
  echo "[test] preparing kind and its node image (built from source on a new machine: about 10 minutes on 2 cores; cached after)" >&2
  bash scripts/tools.sh kind kubectl || return 2
  bash scripts/kind/build-node-image.sh || return 2
}

# The integration and end-to-end files of a lane (see the top of this file).
lane_files() {
  local f lane
  for f in test/integration/*.test.ts test/e2e/*.test.ts; do
    lane=$(sed -n '1s#^// lane: \([a-z]*\).*#\1#p' "$f")
    [ "${lane:-docker}" = "$1" ] && echo "$f"
  done
}

# run_lane NAME FILE...: one vitest process, its lines prefixed with its name, its report in runs/vitest-NAME.json.
run_lane() {
  local name=$1 started=$SECONDS rc
  shift
  echo "[test] lane $name: $# file(s)" >&2
  npx vitest run --project integration --project e2e --passWithNoTests --reporter=default --reporter=json --outputFile.json="runs/vitest-$name.json" "$@" 2>&1 | sed -u "s/^/[$name] /"
  rc=${PIPESTATUS[0]}
  echo "[test] lane $name: done in $((SECONDS - started)) s (exit $rc)" >&2
  return "$rc"
}

# The kind lane beside the Docker lane on a machine of 4 cores or more; one after the other on a smaller
# one: on 2 cores the two lanes side by side took 27 min instead of 40, but a kind run and a Docker run
# together saturated the machine and three runs ended inconclusive. GAMEDAY_TEST_LANES=side-by-side or
# one-by-one decides instead.
cores=$(nproc 2>/dev/null || echo 2)
lanes=${GAMEDAY_TEST_LANES:-$([ "$cores" -ge 4 ] && echo side-by-side || echo one-by-one)}

# The suite's runs keep an audit trail of their own, so that its hundred runs do not enter the trail (and
# the deployment metrics) of the game days on this machine.
export GAMEDAY_AUDIT_LOG=${GAMEDAY_AUDIT_LOG:-$root/runs/test-audit/trail.jsonl}

rest_rc=0
reports=(runs/vitest-unit.json)
if prepare; then
  echo "[test] integration (real Docker and kind) and end-to-end (the CLI) tests; lanes $lanes ($cores cores)" >&2
  if [ $# -gt 0 ]; then
    # Arguments (a file filter, say) go to one vitest process, as before the lanes.
    reports+=(runs/vitest-rest.json)
    npx vitest run --project integration --project e2e --passWithNoTests --reporter=default --reporter=json --outputFile.json=runs/vitest-rest.json "$@"
    rest_rc=$?
  else
    mapfile -t alone < <(lane_files alone)
    mapfile -t kind < <(lane_files kind)
    mapfile -t dockerlane < <(lane_files docker)
    reports+=(runs/vitest-alone.json runs/vitest-kind.json runs/vitest-docker.json)
    run_lane alone "${alone[@]}" || rest_rc=1
    if [ "$lanes" = side-by-side ]; then
      run_lane kind "${kind[@]}" &
      kind_pid=$!
      run_lane docker "${dockerlane[@]}" || rest_rc=1
      wait "$kind_pid" || rest_rc=1
    else
      run_lane kind "${kind[@]}" || rest_rc=1
      run_lane docker "${dockerlane[@]}" || rest_rc=1
    fi
  fi

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

# The failed tests by name, with the first line of their error, so that the end of the output (all that a
# CI log may keep) says what failed.
node -e '
  const fs = require("fs");
  const lines = [];
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { lines.push(`  ${f}: missing (its vitest process did not finish)`); continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    for (const t of r.testResults) {
      const file = t.name.replace(process.cwd() + "/", "");
      if (t.status === "failed" && t.assertionResults.length === 0) lines.push(`  ${file}: ${(t.message || "failed to load").split("\n")[0].slice(0, 300)}`);
      for (const a of t.assertionResults.filter((a) => a.status === "failed")) {
        lines.push(`  ${file} > ${a.fullName}: ${(a.failureMessages[0] || "").split("\n")[0].slice(0, 1000)}`);
      }
    }
  }
  if (lines.length > 0) console.log(`[test] failed:\n${lines.join("\n")}`);
' "${reports[@]}" >&2

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
