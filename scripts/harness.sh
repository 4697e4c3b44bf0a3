#!/usr/bin/env bash
# Entry point behind `npm run scenario|suite|doctor|clean|images|bench` and scripts/gameday
# (run|validate|list|suite|doctor|clean|images|bench): makes sure the
# npm dependencies and (for commands that need it) the Docker engine are in
# place, then runs the harness CLI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

ensure_node_modules
# Only the commands that start something need the engine; an unknown one is
# reported by the CLI (with a did-you-mean) before any engine work. A scenario
# run makes the engine and vegeta ready itself, once its input is checked
# (harness/cli/machine.ts).
needs_engine=0
case "${1:-}" in images|clean|bench) needs_engine=1 ;; esac
for a in "$@"; do
  case "$a" in --list|--validate|--help|-h) needs_engine=0 ;; esac
done
if [ "$needs_engine" = 1 ]; then
  bash scripts/engine.sh
  # The load generator is built before a run starts, not in the middle of one.
  case "${1:-}" in bench) bash scripts/tools.sh vegeta ;; esac
fi
harness_env
exec node --import tsx harness/cli/main.ts "$@"
