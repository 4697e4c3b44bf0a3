#!/usr/bin/env bash
# Build a kind node image with no registry: deploy-gameday/kind-node:<k8s version>.
# Assembled the way `kind build node-image` does (which always fetches etcd,
# coredns and pause, so cannot run here):
#   1. Kubernetes binaries from the Go module (scripts/kind/build-kubernetes.sh);
#   2. etcd, coredns and pause at the tags kubeadm asks for, from source;
#   3. the node base (fixtures/images/kind-node) with kind's files from its module;
#   4. control-plane images imported into the node's containerd, then committed.
# Rebuilt only when its inputs change (a hash label).
#   scripts/kind/build-node-image.sh [--force]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
K8S_VERSION=${K8S_VERSION:-v1.34.4}
KIND_MODULE=sigs.k8s.io/kind@v0.30.0
IMAGE="deploy-gameday/kind-node:$K8S_VERSION"
force=0; [ "${1:-}" = --force ] && force=1
say() { printf '[kind-node] %s\n' "$*" >&2; }
# The engine's legacy builder announces its deprecation on every build: keep real errors only.
quiet() { grep -v -e DEPRECATED -e buildx -e "Install the buildx" -e "^ *$" >&2 || true; }

inputs=$( (cat "$0" scripts/kind/build-kubernetes.sh fixtures/images/kind-node/*; echo "$K8S_VERSION $KIND_MODULE") | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{index .Config.Labels "dev.deploy-gameday.recipe-hash"}}' "$IMAGE" 2>/dev/null || true)
if [ "$force" = 0 ] && [ "$have" = "$inputs" ]; then say "$IMAGE is up to date"; exit 0; fi

work=$(mktemp -d)
cleanup() { docker rm -f "gameday-kind-node-build-$$" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

bash scripts/kind/build-kubernetes.sh "$K8S_VERSION"
cache="${KIND_CACHE:-$root/.cache/kind}"  # KIND_CACHE: where the built artefacts live (the kind bench builds cold in an empty one)
bin="$cache/kubernetes/$K8S_VERSION/bin"
mapfile -t images < <("$bin/kubeadm" config images list --kubernetes-version "$K8S_VERSION")
tag_of() { printf '%s\n' "${images[@]}" | grep "/$1:" | sed 's/.*://'; }
etcd_tag=$(tag_of etcd); coredns_tag=$(tag_of coredns); pause_tag=$(tag_of pause)
say "kubeadm $K8S_VERSION wants etcd $etcd_tag, coredns $coredns_tag, pause $pause_tag"

# etcd: a wrapper module, since etcd's own go.mod replaces its sibling modules with ../ paths.
tools="$cache/tools"; mkdir -p "$tools/bin"
etcd_version="v${etcd_tag%-*}"
if [ ! -x "$tools/bin/etcd-$etcd_version" ]; then
  say "building etcd $etcd_version"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  printf 'module deploy-gameday.local/etcd-build\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$etcd_version" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  go mod tidy >&2
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tools/bin/etcd-$etcd_version" go.etcd.io/etcd/server/v3
  cd "$root"
fi
if [ ! -x "$tools/bin/coredns-$coredns_tag" ]; then
  say "building coredns $coredns_tag"
  GOBIN="$work/gobin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$coredns_tag" >&2
  mv "$work/gobin/coredns" "$tools/bin/coredns-$coredns_tag"
fi
if [ ! -x "$tools/bin/pause-$pause_tag" ]; then
  say "building pause $pause_tag (its C source is in the kubernetes module)"
  k8s_dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  gcc -Os -static -DVERSION="$pause_tag" -o "$tools/bin/pause-$pause_tag" "$k8s_dir/build/pause/linux/pause.c"
fi

image() { # image NAME:TAG DOCKERFILE-TEXT SOURCE NAME-IN-CONTEXT
  local ref=$1 text=$2 src=$3 name=$4
  local ctx="$work/img-$(echo "$ref" | tr '/:' '__')"; mkdir -p "$ctx"
  cp "$src" "$ctx/$name"; printf '%s\n' "$text" >"$ctx/Dockerfile"
  docker build -q --force-rm -t "$ref" "$ctx" 2>&1 >/dev/null | quiet
}
say "building the control-plane images"
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  image "registry.k8s.io/$c:$K8S_VERSION" "FROM scratch
COPY $c /usr/local/bin/$c
ENV PATH=/usr/local/bin
ENTRYPOINT [\"/usr/local/bin/$c\"]" "$bin/$c" "$c"
done
image "registry.k8s.io/etcd:$etcd_tag" 'FROM scratch
COPY etcd /usr/local/bin/etcd
ENV PATH=/usr/local/bin
ENTRYPOINT ["/usr/local/bin/etcd"]' "$tools/bin/etcd-$etcd_version" etcd
image "registry.k8s.io/coredns/coredns:$coredns_tag" 'FROM scratch
COPY coredns /coredns
EXPOSE 53 53/udp
ENTRYPOINT ["/coredns"]' "$tools/bin/coredns-$coredns_tag" coredns
image "registry.k8s.io/pause:$pause_tag" 'FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]' "$tools/bin/pause-$pause_tag" pause
image "registry.k8s.io/kube-proxy:$K8S_VERSION" 'FROM deploy-gameday/base:bookworm
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables conntrack ipset kmod && rm -rf /var/lib/apt/lists/*
COPY kube-proxy /usr/local/bin/kube-proxy' "$bin/kube-proxy" kube-proxy
# kind's containerd config names its own sandbox image; give it ours under that name too.
sandbox=$(go mod download -json "$KIND_MODULE" >/dev/null; grep -o 'sandbox_image = "[^"]*"' "$(go env GOMODCACHE)/${KIND_MODULE}/images/base/files/etc/containerd/config.toml" | cut -d'"' -f2)
docker tag "registry.k8s.io/pause:$pause_tag" "$sandbox"

say "building the node base from kind's images/base files ($KIND_MODULE)"
kind_dir="$(go env GOMODCACHE)/$KIND_MODULE"
mkdir -p "$work/base" && cp -r fixtures/images/kind-node/. "$work/base/" && cp -r "$kind_dir/images/base/files" "$work/base/kind-files" && chmod -R u+w "$work/base"
docker build -q --force-rm --build-arg BASE=deploy-gameday/base:bookworm -t deploy-gameday/kind-node-base:build "$work/base" 2>&1 >/dev/null | quiet

say "assembling $IMAGE"
node="gameday-kind-node-build-$$"
docker run -d --name "$node" --privileged --entrypoint=sleep deploy-gameday/kind-node-base:build infinity >/dev/null
for b in kubeadm kubelet kubectl; do docker cp "$bin/$b" "$node:/usr/bin/$b"; done
docker exec "$node" sh -c "echo $K8S_VERSION > /kind/version"
docker exec -d "$node" sh -c 'containerd >/tmp/containerd.log 2>&1'
for _ in $(seq 1 60); do docker exec "$node" ctr version >/dev/null 2>&1 && break; sleep 0.5; done
docker save "${images[@]}" "$sandbox" | docker exec -i "$node" ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - >/dev/null
docker exec "$node" pkill containerd || true
for _ in $(seq 1 20); do docker exec "$node" pgrep containerd >/dev/null 2>&1 || break; sleep 0.5; done
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' \
  --change "LABEL dev.deploy-gameday.recipe-hash=$inputs dev.deploy-gameday.project=deploy-gameday" "$node" "$IMAGE" >/dev/null
say "$IMAGE is ready"
