#!/usr/bin/env bash
# Make sure a tool the harness needs is on this machine: `scripts/tools.sh NAME...`.
# A tool already on PATH is used as it is; otherwise it is installed from
# Debian's packages (as root) or built with `go install` at a pinned version
# into .cache/tools/bin, and reused from there on later runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/tools/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"

# Go builds strip local paths from binaries (-trimpath), keeping whatever GOFLAGS the caller set (a bench's -modcacherw).
goflags="${GOFLAGS:+$GOFLAGS }-trimpath"

say() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n[tools] hint: %s\n' "$1" "$2" >&2; exit 2; }

apt_tool() { # apt_tool COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
    die "$1 is not installed" "install the $2 package of your distribution (Debian: apt-get install $2)"
  say "installing $2 from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  }
}

go_tool() { # go_tool COMMAND MODULE@VERSION
  local cmd=$1 module=$2 version=${2##*@}
  if command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  command -v go >/dev/null 2>&1 || die "$cmd is not installed and Go is not there to build it" \
    "install Go (Debian: apt-get install golang-go) or put $cmd on PATH"
  say "building $cmd $version with go install $module (first use on this machine; cached in .cache/tools/bin)"
  GOBIN="$bin" GOFLAGS="$goflags" go install "$module" >&2 ||
    die "go install $module failed" "the Go module proxy must be reachable; read the lines above"
}

toxiproxy_server() { # Our own static toxiproxy-server at the pinned version, whatever else is on PATH: it is copied into the toxiproxy image.
  local version=v2.5.0 module=github.com/Shopify/toxiproxy/v2
  if [ -x "$bin/toxiproxy-server" ] && "$bin/toxiproxy-server" -version 2>/dev/null | grep -qx "toxiproxy-server version ${version#v}"; then return 0; fi
  command -v go >/dev/null 2>&1 || die "toxiproxy-server is not built and Go is not there to build it" \
    "install Go (Debian: apt-get install golang-go)"
  say "building toxiproxy-server $version with go install $module/cmd/server (first use on this machine; cached in .cache/tools/bin)"
  local tmp; tmp=$(mktemp -d)
  # The module names its server command cmd/server: built into a folder of its own, then named as its upstream image names it.
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS="$goflags" go install -ldflags "-s -w -X $module.Version=${version#v}" "$module/cmd/server@$version" >&2 || {
    rm -rf "$tmp"
    die "go install $module/cmd/server@$version failed" "the Go module proxy must be reachable; read the lines above"
  }
  mv "$tmp/server" "$bin/toxiproxy-server"
  rm -rf "$tmp"
}

module_source() { # module_source MODULE VERSION: the folder of the module's source in Go's module cache (read-only), downloaded if need be.
  local dir
  dir=$(go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "go mod download $1@$2 failed" "the Go module proxy must be reachable; read the lines above"
  echo "$dir"
}

alertmanager_tool() { # Alertmanager at the pinned version, built from its Go module.
  local version=v0.35.0 module=github.com/prometheus/alertmanager
  if [ -x "$bin/alertmanager" ] && "$bin/alertmanager" --version 2>/dev/null | grep -q "version ${version#v} "; then return 0; fi
  command -v go >/dev/null 2>&1 || die "alertmanager is not built and Go is not there to build it" "install Go (Debian: apt-get install golang-go)"
  say "building alertmanager $version from the Go module $module (first use on this machine; cached in .cache/tools/bin)"
  local src tmp
  src=$(module_source "$module" "$version")
  tmp=$(mktemp -d)
  cp -r "$src/." "$tmp" && chmod -R u+w "$tmp"
  # The module leaves out its web UI's built files (ui/app/dist, made by npm in its own build), which the
  # binary embeds; the harness uses the API only, so a page saying so stands in for the UI.
  mkdir -p "$tmp/ui/app/dist/elm" "$tmp/ui/app/dist/mantine"
  for ui in elm mantine; do echo '<!doctype html><title>Alertmanager</title><p>The web UI is not built here: deploy-gameday uses the API.</p>' >"$tmp/ui/app/dist/$ui/index.html"; done
  (cd "$tmp" && CGO_ENABLED=0 GOFLAGS="$goflags" go build -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" -o "$bin/alertmanager" ./cmd/alertmanager) >&2 || {
    rm -rf "$tmp"
    die "building alertmanager $version failed" "read the lines above"
  }
  rm -rf "$tmp"
}

syft_tool() { # syft at the pinned version (SBOMs of the images the harness builds), built from its Go module.
  local version=v1.57.2 module=github.com/anchore/syft
  if [ -x "$bin/syft" ] && SYFT_CHECK_FOR_APP_UPDATE=false "$bin/syft" version 2>/dev/null | grep -qE "^Version: +${version#v}$"; then return 0; fi
  command -v go >/dev/null 2>&1 || die "syft is not built and Go is not there to build it" "install Go (Debian: apt-get install golang-go)"
  say "building syft $version with go install $module/cmd/syft (first use on this machine, about 4 minutes on 2 cores; cached in .cache/tools/bin)"
  GOBIN="$bin" CGO_ENABLED=0 GOFLAGS="$goflags" go install -ldflags "-s -w -X main.version=${version#v}" "$module/cmd/syft@$version" >&2 ||
    die "go install $module/cmd/syft@$version failed" "the Go module proxy must be reachable; read the lines above"
}

patched_go_build() { # patched_go_build BINARY MODULE VERSION PATCH PACKAGE LDFLAGS [PREPARE]
  # A tool built from its Go module at VERSION with our PATCH applied (the patch's hash is in the stamp, so a new
  # patch rebuilds), static, into .cache/tools/bin/BINARY; PREPARE, a function, runs first in the copy of the source.
  local name=$1 module=$2 version=$3 patch=$4 package=$5 ldflags=$6 prepare=${7:-}
  local stamp="$bin/.$name.version" want src work
  want="$version $(sha256sum "$patch" | cut -c1-16)"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || die "$name is not built and Go is not there to build it" "install Go (Debian: apt-get install golang-go)"
  say "building $name from the Go module $module@$version, with scripts/${patch#"$root/scripts/"} (first use on this machine; cached in .cache/tools/bin)"
  src=$(module_source "$module" "$version")
  work=$(mktemp -d)
  cp -r "$src/." "$work" && chmod -R u+w "$work"
  (cd "$work" && git apply -p1 "$patch") >&2 || { rm -rf "$work"; die "the patch $(basename "$patch") does not apply to $module@$version" "read the lines above"; }
  [ -z "$prepare" ] || (cd "$work" && "$prepare") || { rm -rf "$work"; die "preparing $module@$version for the build failed" "read the lines above"; }
  (cd "$work" && CGO_ENABLED=0 GOFLAGS="$goflags" go build -ldflags "$ldflags" -o "$bin/$name" "$package") >&2 ||
    { rm -rf "$work"; die "building $name from $module@$version failed" "read the lines above"; }
  rm -rf "$work"
  echo "$want" >"$stamp"
}

network_policies_tool() { # kube-network-policies at the pinned version (NetworkPolicy enforcement on kind), built from its Go module.
  # Our patch, the only change to upstream's source: this kernel has no native nft queue expression (CONFIG_NFT_QUEUE
  # unset) but has the xtables NFQUEUE target through nft_compat, so it queues through that target; and the agent
  # exits when its controller stops (upstream runs on, enforcing nothing), so that the kubelet starts it again.
  # Static, as its upstream image builds it (its command is the module's cmd/ package).
  patched_go_build kube-network-policies sigs.k8s.io/kube-network-policies v0.8.0 "$root/scripts/kind/kube-network-policies.patch" ./cmd "-s -w"
}

metrics_server_tool() { # metrics-server at the pinned version (resource metrics for the HorizontalPodAutoscaler on kind), built from its Go module.
  local version=v0.8.0 module=sigs.k8s.io/metrics-server
  local stamp="$bin/.metrics-server.version"
  if [ -x "$bin/metrics-server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then return 0; fi
  command -v go >/dev/null 2>&1 || die "metrics-server is not built and Go is not there to build it" "install Go (Debian: apt-get install golang-go)"
  say "building metrics-server $version from the Go module $module (first use on this machine; cached in .cache/tools/bin)"
  local src
  src=$(module_source "$module" "$version")
  # Static, as its upstream image builds it (cmd/metrics-server).
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="$goflags" go build -ldflags "-s -w" -o "$bin/metrics-server" ./cmd/metrics-server) >&2 ||
    die "building metrics-server $version failed" "read the lines above"
  echo "$version" >"$stamp"
}

prometheus_tool() { # Prometheus 2.42.0 (its Go module's v0.42.0), static, with scripts/prometheus.patch: the image the harness runs.
  # Our patch, the only change to upstream's source: discovery hands targets to the scrape manager every 100 ms instead
  # of on a fixed 5 s tick from the process's start (both discovery managers, and the scrape manager's reload throttle,
  # whose hidden flag --scrape.discovery-reload-interval now defaults to 100ms and may be set that low). A run's first
  # scrape then comes one scrape interval after its targets are up, not about 5 s after Prometheus started.
  patched_go_build prometheus github.com/prometheus/prometheus v0.42.0 "$root/scripts/prometheus.patch" ./cmd/prometheus \
    "-s -w -X github.com/prometheus/common/version.Version=2.42.0" static_targets_only
}

# The harness gives Prometheus static targets only: no service discovery plugin is compiled in (upstream's
# plugins/plugins.go, which its Makefile generates from plugins.yml, imports all of them).
static_targets_only() {
  printf '// Static targets only: deploy-gameday compiles no service discovery plugin in.\npackage plugins\n' >plugins/plugins.go
}

for tool in "$@"; do
  case "$tool" in
    mmdebstrap) apt_tool mmdebstrap mmdebstrap ;;
    vegeta) go_tool vegeta github.com/tsenart/vegeta/v12@v12.13.0 ;;
    kind) go_tool kind sigs.k8s.io/kind@v0.30.0 ;;
    kubectl) # Our own kubectl (its kustomize included) at the node image's Kubernetes version, from the Go module;
      # a kubectl elsewhere on PATH may be another version or a cloud SDK's dispatcher, so it is not used.
      [ -x "$bin/kubectl" ] || {
        bash "$root/scripts/kind/build-kubernetes.sh" v1.34.4 kubectl
        ln -sf "$root/.cache/kind/kubernetes/v1.34.4/bin/kubectl" "$bin/kubectl"
      } ;;
    wrk) apt_tool wrk wrk ;;
    age) apt_tool age age ;;
    stress-ng) apt_tool stress-ng stress-ng ;;
    chromium) apt_tool chromium chromium ;;
    actionlint) go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 ;;
    shellcheck) apt_tool shellcheck shellcheck ;;
    toxiproxy-server) toxiproxy_server ;;
    # Notifications (rollback-config.yml): Alertmanager routes a rollback's alert to a webhook and to Mailpit's SMTP.
    alertmanager) alertmanager_tool ;;
    mailpit) go_tool mailpit github.com/axllent/mailpit@v1.33.1 ;;
    # Software Bills of Materials (SPDX JSON) of the images the harness builds (harness/images/sbom.ts).
    syft) syft_tool ;;
    # NetworkPolicy enforcement in kind clusters: a DaemonSet from a locally built image (harness/platforms/kind/network-agent.ts).
    kube-network-policies) network_policies_tool ;;
    metrics-server) metrics_server_tool ;;
    # The Prometheus every strategy run analyses with (fixtures/images/prometheus).
    prometheus) prometheus_tool ;;
    *) die "unknown tool $tool" "known tools: mmdebstrap, vegeta, kind, kubectl, wrk, age, stress-ng, chromium, actionlint, shellcheck, toxiproxy-server, alertmanager, mailpit, syft, kube-network-policies, metrics-server, prometheus" ;;
  esac
done
