#!/usr/bin/env bash
# Make sure a Docker engine answers. Idempotent:
#  - an engine that already answers `docker info` is used as it is;
#  - otherwise, as root on Debian: install Debian's docker.io, configure it
#    (published ports on 127.0.0.1 only; a runtime that drops CAP_SYS_RESOURCE
#    only where the machine's capability bounding set lacks it), start dockerd
#    and wait until it answers.
set -euo pipefail

say() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] error: %s\n[engine] hint: %s\n' "$1" "$2" >&2; exit 2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  say "Docker engine is running"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "no Docker engine answers and this user is not root, so it cannot be installed here" \
  "start a Docker engine yourself (Docker Engine or Docker Desktop) so that 'docker info' answers, then run this again"
command -v apt-get >/dev/null 2>&1 || die "no Docker engine answers and this is not a Debian-like system (no apt-get)" \
  "install Docker Engine for your system (https://docs.docker.com/engine/install/) and start it"

state_dir=/var/lib/deploy-gameday
mkdir -p "$state_dir"

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io (first run on this machine; about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
fi

# Does this machine's capability bounding set hold CAP_SYS_RESOURCE (bit 24)?
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
need_wrapper=0
if (( (0x$capbnd >> 24 & 1) == 0 )); then need_wrapper=1; fi

mkdir -p /etc/docker
runtime_json=""
if [ "$need_wrapper" = 1 ]; then
  say "CAP_SYS_RESOURCE is missing from this machine's capability set: installing a runc wrapper that drops it, so privileged containers (kind nodes) can start"
  wrapper=/usr/local/lib/deploy-gameday/runc-no-sys-resource
  mkdir -p "$(dirname "$wrapper")"
  # Debian's own python3, by absolute path: dockerd runs the wrapper for every container operation,
  # and must not depend on whatever python3 comes first on the PATH it was started with.
  if [ ! -x /usr/bin/python3 ]; then
    say "installing python3-minimal (the runtime wrapper is a small Python script)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-minimal >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-minimal >/dev/null
    }
  fi
  cat >"$wrapper" <<'WRAP'
#!/usr/bin/python3
# runc wrapper written by deploy-gameday's scripts/engine.sh: this machine cannot
# grant CAP_SYS_RESOURCE, so remove it from the bundle's process capabilities.
import json, os, sys

def drop(caps):
    changed = False
    for k, v in caps.items():
        if isinstance(v, list) and "CAP_SYS_RESOURCE" in v:
            caps[k] = [c for c in v if c != "CAP_SYS_RESOURCE"]
            changed = True
    return changed

def patch(path, caps_of):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (FileNotFoundError, ValueError):
        return
    if drop(caps_of(doc)):
        with open(path, "w") as f:
            json.dump(doc, f)

args = sys.argv[1:]
bundle = process = None
for i, a in enumerate(args):
    nxt = args[i + 1] if i + 1 < len(args) else None
    if a in ("--bundle", "-b") and nxt:
        bundle = nxt
    elif a.startswith("--bundle="):
        bundle = a.split("=", 1)[1]
    elif a in ("--process", "-p") and nxt:
        process = nxt
    elif a.startswith("--process="):
        process = a.split("=", 1)[1]
if bundle is None and ("create" in args or "run" in args):
    bundle = os.getcwd()
# A new container: the bundle's config.json. `docker exec`: the process file runc exec is given.
if bundle:
    patch(os.path.join(bundle, "config.json"), lambda d: d.get("process", {}).get("capabilities", {}))
if process:
    patch(process, lambda d: d.get("capabilities", {}))
os.execv("/usr/bin/runc", ["runc"] + args)
WRAP
  chmod 755 "$wrapper"
  runtime_json=", \"runtimes\": {\"gameday-runc\": {\"path\": \"$wrapper\"}}, \"default-runtime\": \"gameday-runc\""
fi

want="{\"ip\": \"127.0.0.1\"${runtime_json}}"
if [ ! -f /etc/docker/daemon.json ] || [ "$(cat /etc/docker/daemon.json)" != "$want" ]; then
  if [ -f /etc/docker/daemon.json ] && ! grep -q '"ip": "127.0.0.1"' /etc/docker/daemon.json; then
    cp /etc/docker/daemon.json /etc/docker/daemon.json.before-deploy-gameday
    say "saved the previous /etc/docker/daemon.json as daemon.json.before-deploy-gameday"
  fi
  printf '%s\n' "$want" >/etc/docker/daemon.json
fi

# A dockerd that is alive (not a zombie left by a killed session) gets its chance to answer;
# one that exits meanwhile (it was shutting down) is replaced once.
live_dockerd() { ps -C dockerd -o stat= 2>/dev/null | grep -qv '^Z'; }
start_dockerd() {
  rm -f /var/run/docker.pid
  say "starting dockerd (log: /var/log/deploy-gameday-dockerd.log)"
  nohup setsid dockerd >/var/log/deploy-gameday-dockerd.log 2>&1 </dev/null &
}
started=0
if ! live_dockerd; then start_dockerd; started=1; else say "waiting for the dockerd that is already running"; fi

for _ in $(seq 1 60); do
  if engine_answers; then say "Docker engine is running"; exit 0; fi
  if [ "$started" = 0 ] && ! live_dockerd; then start_dockerd; started=1; fi
  sleep 1
done
tail -n 20 /var/log/deploy-gameday-dockerd.log >&2 || true
die "dockerd did not answer within 60 s" "read /var/log/deploy-gameday-dockerd.log; a stale /var/run/docker.pid can block a restart (remove it if no dockerd runs)"
