#!/usr/bin/env bash
# Build the rotation-pack image (see docker/README.md).
#   docker/build.sh                               # podman, offline, linux/amd64 + linux/arm64
#   PLATFORMS=linux/amd64 docker/build.sh         # one platform
#   CONTAINER=docker docker/build.sh              # docker build, base pulled from a registry
# Env: IMAGE (localhost/rotation-pack), CONTAINER (podman|docker), PLATFORMS (comma list),
#      BASE_IMAGE (default: local busybox base with podman, the Dockerfile default with docker),
#      VERSION (git describe, else dev), SRC_DIR (Go module holding cmd/, for tests; default repo root).
set -euo pipefail
# Build with go.mod's toolchain (go1.26.10, patched standard library), fetched
# by the go command when the local go is older.
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=$ROOT/dist
SRC_DIR=${SRC_DIR:-$ROOT}
IMAGE=${IMAGE:-localhost/rotation-pack}
CONTAINER=${CONTAINER:-podman}
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}
BASE_IMAGE=${BASE_IMAGE:-}
VERSION=${VERSION:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)}
TAG=${VERSION//[^A-Za-z0-9_.-]/-}
REVISION=${REVISION:-$(git -C "$ROOT" rev-parse -q --verify HEAD || echo unknown)}
# The commit time, not now: an unchanged tree rebuilds from cache (like SOURCE_DATE_EPOCH).
CREATED=${CREATED:-$(TZ=UTC git -C "$ROOT" log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)}
VERSION_VAR=github.com/kestra-rotation/rotation-pack/rotators/step.Version
BASE_REPO=localhost/rotation-base

log() { printf '==> %s\n' "$*" >&2; }
case $CONTAINER in
  podman)
    C=(podman --runtime runc --cgroup-manager=cgroupfs)
    IGNORE=(--ignorefile "$ROOT/docker/Dockerfile.dockerignore")  # docker finds it next to the Dockerfile
    # Debian's podman 4.3 needs default_ulimits = [] (docker/README.md, "Build with podman"); use a private config if the host lacks it.
    if [[ -z ${CONTAINERS_CONF:-} ]] && ! grep -qs '^ *default_ulimits' /etc/containers/containers.conf; then
      mkdir -p "$DIST"; printf '[containers]\ndefault_ulimits = []\n' >"$DIST/containers.conf"
      export CONTAINERS_CONF=$DIST/containers.conf
    fi ;;
  docker) C=(docker); IGNORE=(); export DOCKER_BUILDKIT=1 ;;
  *) echo "CONTAINER must be podman or docker" >&2; exit 2 ;;
esac

mkdir -p "$DIST/cache"

# 1. Static binaries, one directory per arch (recreated so removed commands do not linger).
ARCHES=()
links="" # "<command> <family binary>" lines, listed once for every arch
for p in ${PLATFORMS//,/ }; do
  [[ $p == linux/* ]] || { echo "unsupported platform $p (linux/<arch> only)" >&2; exit 2; }
  ARCHES+=("${p#linux/}")
done
for a in "${ARCHES[@]}"; do
  rm -rf "$DIST/linux-$a"; mkdir -p "$DIST/linux-$a"
  if [[ -d $SRC_DIR/cmd/rotation-pack-vault ]]; then
    # One multi-call binary per SDK family, each command a link to its family's binary (a step
    # initialises only its own SDK; each SDK is held once), and the rotation-pack dispatcher.
    # Which family runs which command is the Go lists' (rotators/pack/all), printed by packlist.
    [[ -n $links ]] || links=$(cd "$SRC_DIR" && go run ./rotators/internal/packlist) ||
      { echo "go run ./rotators/internal/packlist failed" >&2; exit 1; }
    log "go build ./cmd/rotation-pack ./cmd/rotation-pack-* for linux/$a (version $VERSION), linked as every command"
    (cd "$SRC_DIR" && CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath \
      -ldflags "-s -w -X $VERSION_VAR=$VERSION" -o "$DIST/linux-$a/" ./cmd/rotation-pack ./cmd/rotation-pack-*)
    while read -r n f; do
      [[ -x $DIST/linux-$a/$f ]] || { echo "$n: family binary $f not built (cmd/$f missing?)" >&2; exit 1; }
      ln -s "$f" "$DIST/linux-$a/$n"
    done <<<"$links"
  elif [[ -d $SRC_DIR/cmd/rotation-pack ]]; then
    # An older tree: one multi-call binary holding every SDK.
    log "go build ./cmd/rotation-pack for linux/$a (version $VERSION), linked as every cmd/ name"
    (cd "$SRC_DIR" && CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath \
      -ldflags "-s -w -X $VERSION_VAR=$VERSION" -o "$DIST/linux-$a/rotation-pack" ./cmd/rotation-pack)
    for d in "$SRC_DIR"/cmd/*/; do
      n=$(basename "$d"); [[ $n == rotation-pack ]] || ln -s rotation-pack "$DIST/linux-$a/$n"
    done
  else
    log "go build ./cmd/... for linux/$a (version $VERSION)"
    (cd "$SRC_DIR" && CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath \
      -ldflags "-s -w -X $VERSION_VAR=$VERSION" -o "$DIST/linux-$a/" ./cmd/...)
  fi
  [[ -n $(ls -A "$DIST/linux-$a") ]] || { echo "no binaries built from $SRC_DIR/cmd" >&2; exit 1; }
done

# 2. CA bundle, copied into the image by the Dockerfile.
for f in "${CA_BUNDLE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
  [[ -n $f && -r $f ]] && { cp "$f" "$DIST/ca-certificates.crt"; break; }
done
[[ -s $DIST/ca-certificates.crt ]] || { echo "no CA bundle found; set CA_BUNDLE" >&2; exit 1; }

# 3. Offline base (podman without BASE_IMAGE): Debian busybox-static + applet links, imported per arch.
busybox_for() { # $1 arch -> path of an extracted static busybox, or fails
  local a=$1 x=$DIST/cache/busybox-$1 deb
  [[ -x $x/bin/busybox ]] && { echo "$x/bin/busybox"; return; }
  deb=$(ls "$DIST"/cache/busybox-static_*_"$a".deb 2>/dev/null | head -1)
  if [[ -z $deb ]]; then
    if [[ $a != "$(dpkg --print-architecture)" ]] && ! dpkg --print-foreign-architectures | grep -qx "$a"; then
      log "enabling apt architecture $a (dpkg --add-architecture)"
      dpkg --add-architecture "$a" || return 1
    fi
    dl() { (cd "$DIST/cache" && apt-get download -q "busybox-static:$a" >/dev/null 2>&1); }
    dl || { log "apt-get update"; apt-get update -qq >&2 && dl; } || return 1
    deb=$(ls "$DIST"/cache/busybox-static_*_"$a".deb | head -1)
  fi
  rm -rf "$x" && dpkg-deb -x "$deb" "$x" && echo "$x/bin/busybox"
}
ensure_base() { # $1 arch
  local a=$1 bb r applets
  "${C[@]}" image exists "$BASE_REPO:$a" && return 0
  bb=$(busybox_for "$a") || return 1
  log "importing $BASE_REPO:$a from $(basename "$(dirname "$(dirname "$bb")")")"
  r=$(mktemp -d); mkdir -p "$r/bin" "$r/etc/ssl/certs" "$r/home" "$r/root" "$r/tmp"; chmod 1777 "$r/tmp"
  cp "$bb" "$r/bin/busybox"
  # Applet list from a busybox this host can run (the arch's own, else the host's), else a minimal set.
  applets=$("$bb" --list 2>/dev/null || busybox --list 2>/dev/null || echo "sh ls cat cp mv rm mkdir env id echo test")
  for n in $applets; do [[ $n == busybox ]] || ln -sf busybox "$r/bin/$n"; done
  tar --numeric-owner --owner=0 --group=0 -C "$r" -cf - . |
    "${C[@]}" import --os linux --arch "$a" --change 'ENV PATH=/usr/local/bin:/bin' - "$BASE_REPO:$a" >/dev/null
  rm -rf "$r"
}

# 4. One image per arch, then the version/dev tags (a manifest list when several arches).
BUILT=()
for a in "${ARCHES[@]}"; do
  base=$BASE_IMAGE
  if [[ $CONTAINER == podman && -z $base ]]; then
    if ! ensure_base "$a"; then
      log "NOTE: cannot get Debian busybox-static for $a (apt-get download failed); skipping linux/$a"
      continue
    fi
    base=$BASE_REPO:$a
  fi
  log "building $IMAGE:$TAG-$a"
  # --label too: buildah 1.28 (Debian's podman 4.3) reuses a cached LABEL step even when its ARG values changed.
  "${C[@]}" build -f "$ROOT/docker/Dockerfile" ${IGNORE[@]+"${IGNORE[@]}"} --platform "linux/$a" \
    ${base:+--build-arg "BASE_IMAGE=$base"} \
    --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED" \
    --label "org.opencontainers.image.version=$VERSION" --label "org.opencontainers.image.revision=$REVISION" \
    --label "org.opencontainers.image.created=$CREATED" \
    -t "$IMAGE:$TAG-$a" "$ROOT"
  BUILT+=("$a")
done
((${#BUILT[@]})) || { echo "nothing built" >&2; exit 1; }

TAGS=$(printf '%s\n' "$TAG" dev | sort -u)
for t in $TAGS; do
  # Drop the previous list or tag (only the name: `podman rmi <list>` would delete the host-arch instance).
  if [[ $CONTAINER == podman ]] && "${C[@]}" manifest exists "$IMAGE:$t" 2>/dev/null; then
    "${C[@]}" manifest rm "$IMAGE:$t" >/dev/null
  elif "${C[@]}" image inspect "$IMAGE:$t" >/dev/null 2>&1; then
    "${C[@]}" untag "$IMAGE:$t" "$IMAGE:$t" 2>/dev/null || "${C[@]}" rmi "$IMAGE:$t" >/dev/null
  fi
  if ((${#BUILT[@]} == 1)) || [[ $CONTAINER == docker ]]; then
    "${C[@]}" tag "$IMAGE:$TAG-${BUILT[0]}" "$IMAGE:$t"
  else
    "${C[@]}" manifest create "$IMAGE:$t" >/dev/null
    for a in "${BUILT[@]}"; do "${C[@]}" manifest add "$IMAGE:$t" "containers-storage:$IMAGE:$TAG-$a" >/dev/null; done
  fi
done
if [[ $CONTAINER == docker && ${#BUILT[@]} -gt 1 ]]; then
  log "NOTE: docker keeps one arch per tag locally ($IMAGE:$TAG = ${BUILT[0]}); for a multi-arch image run"
  log "  docker buildx build --platform ${PLATFORMS} -f docker/Dockerfile --push -t <registry>/rotation-pack:$TAG ."
fi

echo
echo "image: $(for t in $TAGS; do printf '%s:%s ' "$IMAGE" "$t"; done)(platforms: ${BUILT[*]/#/linux/})"
for a in "${BUILT[@]}"; do
  size=$("${C[@]}" image inspect --format '{{.Size}}' "$IMAGE:$TAG-$a")
  printf '  %s  linux/%s  %s bytes (%s MB)\n' "$IMAGE:$TAG-$a" "$a" "$size" "$((size / 1000000))"
done
