#!/usr/bin/env bash
# Entry point behind `npm run scenario|doctor|clean|images|bench`: makes sure the
# npm dependencies and (for commands that need it) the Docker engine are in
# place, then runs the harness CLI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib.sh

ensure_node_modules
needs_engine=1
for a in "$@"; do
  case "$a" in --list|--validate|--help|-h) needs_engine=0 ;; esac
done
case "${1:-}" in doctor|help|-h|--help|"") needs_engine=0 ;; esac
if [ "$needs_engine" = 1 ]; then
  bash scripts/engine.sh
  # The load generator is built before a run starts, not in the middle of one.
  case "${1:-}" in scenario|bench) bash scripts/tools.sh vegeta ;; esac
fi
harness_env
exec node --import tsx harness/cli/main.ts "$@"
