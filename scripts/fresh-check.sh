#!/usr/bin/env bash
# Runs the README's commands in a throwaway Debian bookworm root, to prove
# that they work on a fresh machine and not only on this one:
#
#   scripts/fresh-check.sh [--keep] [TARGET...]     (or: make fresh-check)
#
# TARGETs are make targets run one after the other (default: demo test, the
# README's two commands). The root is made from Debian's packages
# (mmdebstrap --variant=minbase bookworm, plus make, which the README's
# commands are run with); the repository goes in as a fresh git clone of the
# committed HEAD (uncommitted changes are not checked). The only things
# carried in from this machine are what every machine of this kind ships:
#   - Go, /usr/local/go, mounted read-only and first on PATH;
#   - the JDKs in /usr/lib/jvm that no Debian package installed (Temurin
#     here), read-only; Debian's own JDK comes with Maven, from apt;
# and this workplace's network configuration: apt sources and Acquire
# options, the CA certificates in /usr/local/share/ca-certificates (TLS goes
# through an egress proxy here), /etc/resolv.conf and /etc/hosts,
# /etc/pip.conf, ~/.m2/settings.xml, and the proxy, Go proxy and pip index
# variables of the environment. Everything else must come from the README's
# commands.
#
# The root runs as root in its own mount, PID, UTS and IPC namespaces with
# this machine's network (like podman run --privileged --network host):
# `make test` builds and runs the container image with podman inside it,
# which mounts overlay file systems, creates cgroups and sets up device
# nodes, all of which need full root. Mounts vanish with the namespace and
# its processes are killed when it ends. Needs root, unshare and chroot;
# installs mmdebstrap with apt-get when missing. Prints each phase's time;
# the log is kept in .cache/fresh-check/.
# Env: FRESH_CHECK_TMP, where the root is made (default /var/tmp).
set -euo pipefail

usage() {
	printf 'usage: %s [--keep] [TARGET...]   (default targets: demo test)\n' "$0" >&2
	exit 2
}
keep=false
targets=()
for a in "$@"; do
	case $a in
	--keep) keep=true ;;
	-h | --help | -*) usage ;;
	*[!a-z0-9-]*) usage ;;
	*) targets+=("$a") ;;
	esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(demo test)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf 'fresh-check: %s\n' "$*"; }
die() {
	printf 'fresh-check: error: %s\n' "$*" >&2
	exit 1
}
[[ $EUID -eq 0 ]] || die "needs root (it makes a Debian root with mmdebstrap, mounts and chroots)"
for c in unshare chroot git; do
	command -v "$c" >/dev/null || die "$c not found"
done

commit=$(git -C "$ROOT" rev-parse HEAD)
if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no) ]]; then
	log "note: uncommitted changes are not checked, only HEAD ($commit)"
fi

if ! command -v mmdebstrap >/dev/null; then
	log "installing mmdebstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null
fi

mkdir -p "$ROOT/.cache/fresh-check"
LOG=$ROOT/.cache/fresh-check/$(date -u +%Y%m%dT%H%M%SZ).log
work=$(mktemp -d "${FRESH_CHECK_TMP:-/var/tmp}/fresh-check.XXXXXX")
rootfs=$work/root
cleanup() {
	# Mounts live in the namespace, which is gone by now; never delete
	# through a mount that is still there.
	if findmnt -rn -o TARGET | grep -qF "$work/"; then
		log "mounts remain under $work: not removed"
	elif $keep; then
		log "root kept in $rootfs"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
exec > >(tee -a "$LOG") 2>&1
log "log: $LOG"

# phase NAME CMD...: runs CMD and records its time.
PHASES=()
phase() {
	local name=$1 start=$SECONDS
	shift
	log "== $name"
	"$@"
	PHASES+=("$(printf '%-34s %4ds' "$name" $((SECONDS - start)))")
	log "== $name: $((SECONDS - start))s"
}

# --- the root -----------------------------------------------------------------
# sources: every apt source this machine uses (files with entries).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[[ -f $f ]] && grep -qE '^[[:space:]]*(deb|Types:)' "$f" && sources+=("$f")
done
[[ ${#sources[@]} -gt 0 ]] || die "no apt sources found in /etc/apt"
# Acquire options about the network (proxies, mirror dates).
aptopts=()
for f in /etc/apt/apt.conf.d/*; do
	[[ -f $f ]] && grep -qiE 'Acquire::(https?|ftp|socks)|Proxy|Check-Valid-Until|Check-Date' "$f" && aptopts+=(--aptopt="$f")
done

make_root() {
	mmdebstrap --variant=minbase --include=make "${aptopts[@]}" bookworm "$rootfs" "${sources[@]}"
}

network_config() {
	local f v
	install -d "$rootfs/usr/local/share/ca-certificates"
	cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
	for f in /etc/resolv.conf /etc/hosts /etc/pip.conf; do
		[[ -f $f ]] && cp -L "$f" "$rootfs$f"
	done
	if [[ -f $HOME/.m2/settings.xml ]]; then
		install -d "$rootfs/root/.m2"
		cp "$HOME/.m2/settings.xml" "$rootfs/root/.m2/"
	fi
	# The environment of the run: a fresh login's, plus the network variables.
	{
		printf 'HOME=/root\nPATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
		printf 'LANG=C.UTF-8\nTERM=dumb\nUSER=root\nLOGNAME=root\n'
		for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY all_proxy ALL_PROXY \
			PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_CERT PIP_DEFAULT_TIMEOUT \
			npm_config_registry SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE; do
			[[ -n ${!v:-} ]] && printf '%s=%s\n' "$v" "${!v}"
		done
		for v in GOPROXY GOSUMDB GONOSUMDB GONOPROXY GOPRIVATE GOINSECURE; do
			printf '%s=%s\n' "$v" "$(go env "$v")"
		done
	} >"$work/env"
}

# JDKs that no Debian package installed (Debian's own come from apt).
jdks=()
for d in /usr/lib/jvm/*; do
	[[ -d $d && ! -L $d && -x $d/bin/java ]] || continue
	dpkg -S "$d" >/dev/null 2>&1 || jdks+=("$d")
done

clone() {
	git clone -q --no-checkout "$ROOT" "$rootfs/src/rotation-pack"
	git -C "$rootfs/src/rotation-pack" checkout -q --detach "$commit"
}

prepare() {
	network_config
	clone
	# What runs in the root: make TARGET, timed, from the clone.
	cat >"$rootfs/fresh-check-run.sh" <<'RUN'
#!/bin/bash
set -euo pipefail
cd /src/rotation-pack
echo "fresh-check: $(go version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), make $1"
s=$SECONDS
make "$1"
# CPU time of everything make ran (user and system), to judge the wall time
# on a machine that others load too.
times >/tmp/fresh-check-times # in this shell: a subshell's times count nothing
cpu=$(tail -n 1 /tmp/fresh-check-times | awk '{ print $1 " user, " $2 " system" }')
echo "fresh-check: make $1 passed in $((SECONDS - s))s (CPU: $cpu; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
RUN
}

# in_root TARGET: make TARGET in the root, in new namespaces.
in_root() {
	unshare --mount --pid --fork --uts --ipc --propagation private -- \
		bash -euo pipefail -c '
			r=$1 env=$2 target=$3
			shift 3
			# The root a mount point of its own, as a container'"'"'s is:
			# podman makes "/" private when it unpacks a layer, and in a
			# plain chroot "/" is no mount point (EINVAL).
			mount --bind "$r" "$r"
			mount --rbind /dev "$r/dev"
			mount --rbind /sys "$r/sys"
			mount -t proc proc "$r/proc"
			mount -t tmpfs -o mode=755 tmpfs "$r/run"
			ro() { mkdir -p "$r$1" && mount --bind "$1" "$r$1" && mount -o remount,bind,ro "$r$1"; }
			for d in /usr/local/go "$@"; do ro "$d"; done
			hostname fresh-check
			mapfile -t vars <"$env"
			exec chroot "$r" /usr/bin/env -i "${vars[@]}" /bin/bash /fresh-check-run.sh "$target"
		' bash "$rootfs" "$work/env" "$1" "${jdks[@]}"
}

log "commit $commit; targets: ${targets[*]}; root: $rootfs"
log "carried in: /usr/local/go${jdks[*]:+ ${jdks[*]}} (read-only); apt sources: ${sources[*]}"
phase "mmdebstrap minbase bookworm" make_root
phase "network config, clone of HEAD" prepare
status=0
for t in "${targets[@]}"; do
	start=$SECONDS
	if ! in_root "$t"; then
		status=1
		PHASES+=("$(printf '%-34s %4ds  FAILED' "make $t" $((SECONDS - start)))")
		break
	fi
	PHASES+=("$(printf '%-34s %4ds' "make $t" $((SECONDS - start)))")
done
log "summary (commit ${commit:0:12}):"
for p in "${PHASES[@]}"; do log "  $p"; done
grep -hE '^install-deps: done in|^fresh-check: make .* passed in' "$LOG" | sed 's/^fresh-check: //; s/^/fresh-check:   /' || true
((status == 0)) && log "PASS" || log "FAIL (log: $LOG)"
exit "$status"
