# Shared by the scripts behind npm run: sourced, not run.

# Install npm dependencies when they are missing or older than the lock file.
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    printf '[setup] installing npm dependencies (npm ci)\n' >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

# Settings the harness runs with on this kind of machine (user values win).
harness_env() {
  export PATH="$PWD/.cache/tools/bin:$PATH"
  export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
  case "${DOCKER_HOST:-unix://}" in
    unix://*) export TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}" ;;
  esac
}
