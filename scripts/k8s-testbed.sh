#!/usr/bin/env bash
# Builds the Kubernetes control plane the kubernetes target's tests run against
# (rotators/internal/testsrv), from the Go module proxy, into <repo>/.cache/k8s/bin:
#   kube-apiserver, kube-controller-manager, kube-scheduler  v1.34.4  (scripts/k8sbed/kube)
#   etcd                                                     v3.6.17  (scripts/k8sbed/etcd)
#   kwok (fake nodes and pods that become Ready)             v0.8.0   (scripts/k8sbed/kwok)
# Each is pinned by its own small module (go.mod + go.sum), kept out of the main module.
# kwok's stages (node/fast, pod/fast: nodes and pods become Ready at once) are copied
# from its module into <repo>/.cache/k8s/stages.
# Idempotent: when the binaries exist and were built from the same modules, it only
# checks (a stamp of the modules' go.mod and go.sum). While a build runs it prints a
# progress line every 10 s. A cold build on 2 idle cores takes about 5 minutes (the
# apiserver alone ~3 min, 2.2 GB peak), much longer on a busy machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BED=$ROOT/scripts/k8sbed
OUT=$ROOT/.cache/k8s
KUBE_VERSION=v1.34.4 # must match scripts/k8sbed/kube/go.mod

log() { printf 'k8s-testbed: %s\n' "$*"; }
die() {
	printf 'k8s-testbed: error: %s\n' "$*" >&2
	exit 1
}

stamp() { cat "$BED"/*/go.mod "$BED"/*/go.sum "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1; }

BINARIES=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
want=$(stamp)
if [[ -f $OUT/stamp && $(cat "$OUT/stamp") == "$want" ]]; then
	ok=1
	for b in "${BINARIES[@]}"; do [[ -x $OUT/bin/$b ]] || ok=0; done
	[[ -f $OUT/stages/pod-ready.yaml ]] || ok=0
	if ((ok)); then
		log "ok: ${BINARIES[*]} in $OUT/bin"
		exit 0
	fi
fi
command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$OUT/bin"
rm -f "$OUT/stamp"
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto} GOFLAGS=-mod=readonly CGO_ENABLED=0

# build DIR NAME PACKAGE [LDFLAGS]: go build in module DIR, a progress line every 10 s.
build() {
	local dir=$1 name=$2 pkg=$3 ldflags=${4:-} start=$SECONDS next=10 pid rc=0 logf
	logf=$(mktemp)
	log "building $name ..."
	(cd "$BED/$dir" && go build -p 2 -trimpath -ldflags "-s -w $ldflags" -o "$OUT/bin/$name.tmp" "$pkg") >"$logf" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((SECONDS - start >= next)) && kill -0 "$pid" 2>/dev/null; then
			log "  ... $name: $((SECONDS - start))s"
			next=$((next + 10))
		fi
	done
	wait "$pid" || rc=$?
	if ((rc != 0)); then
		tail -n 30 "$logf" >&2
		rm -f "$logf"
		die "building $name failed (exit $rc)"
	fi
	rm -f "$logf"
	mv "$OUT/bin/$name.tmp" "$OUT/bin/$name"
	log "$name: done in $((SECONDS - start))s"
}

# kubectl and client-go refuse a server without a version: set it as the release does.
KVER="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
build etcd etcd go.etcd.io/etcd/server/v3
build kube kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$KVER"
build kube kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$KVER"
build kube kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$KVER"
build kwok kwok sigs.k8s.io/kwok/cmd/kwok
kwok_dir=$(cd "$BED/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
rm -rf "$OUT/stages"
mkdir -p "$OUT/stages"
cp "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml "$kwok_dir"/kustomize/stage/pod/fast/pod-{ready,complete,delete}.yaml "$OUT/stages/"
chmod 0644 "$OUT"/stages/*.yaml
printf '%s\n' "$want" >"$OUT/stamp"
log "ok: ${BINARIES[*]} in $OUT/bin"
