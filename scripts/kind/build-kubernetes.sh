#!/usr/bin/env bash
# Build the Kubernetes binaries a kind node needs from the k8s.io/kubernetes Go
# module, with no registry and no GitHub download: a wrapper module requires
# k8s.io/kubernetes and replaces every staging module (k8s.io/api, client-go,
# ...) with its published version, since module zips leave ./staging out.
# Outputs are cached by version in .cache/kind/kubernetes/<version>/bin.
#
#   scripts/kind/build-kubernetes.sh [v1.34.4] [component...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=${1:-v1.34.4}
shift || true
all=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
components=("$@")
[ ${#components[@]} -gt 0 ] || components=("${all[@]}")

say() { printf '[kubernetes] %s\n' "$*" >&2; }
# KIND_CACHE moves every artefact elsewhere (the kind bench builds cold in an empty one).
out="${KIND_CACHE:-$root/.cache/kind}/kubernetes/$version"
mkdir -p "$out/bin" "$out/wrapper"

staging_version="v0.${version#v1.}"
minor=${version#v1.}; minor=${minor%%.*}

cd "$out/wrapper"
if [ ! -f go.sum ]; then
  say "resolving k8s.io/kubernetes $version and its staging modules ($staging_version)"
  cat >go.mod <<MOD
module deploy-gameday.local/kubernetes-build

go 1.24

require k8s.io/kubernetes $version
MOD
  # The staging modules kubernetes' own go.mod replaces with ./staging paths.
  modfile=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$modfile" | awk '{print $1}'); do
    go mod edit -replace "$m=$m@$staging_version"
  done
  printf 'package tools\n\nimport (\n' >tools.go
  # Every component, whichever are built now, so go.sum covers them all.
  for c in "${all[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c" >>tools.go; done
  printf ')\n' >>tools.go
  sed -i '1s/^/\/\/go:build tools\n\n/' tools.go
  go mod tidy >&2
fi

commit=$(go list -m -json "k8s.io/kubernetes" | sed -n 's/.*"Version": "\(.*\)".*/\1/p' | head -1)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
done

for c in "${components[@]}"; do
  if [ -x "$out/bin/$c" ]; then say "$c $version: cached"; continue; fi
  say "building $c $version (all seven take about 7 minutes on 2 cores the first time; seconds once Go has them cached)"
  start=$(date +%s)
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/bin/$c.tmp" "k8s.io/kubernetes/cmd/$c"
  mv "$out/bin/$c.tmp" "$out/bin/$c"
  say "$c built in $(( $(date +%s) - start )) s"
done
