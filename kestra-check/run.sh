#!/usr/bin/env bash
# Parses and validates every flow in flows/ with Kestra's own parser and
# validator, once per Kestra version (1.3 LTS and 2.0), and checks that the
# known-bad flows of testdata/ are refused. One line per flow and version.
#
#   kestra-check/run.sh             check (builds the harness when stale)
#   kestra-check/run.sh --prefetch  only download and build (install-deps)
#   kestra-check/run.sh --java V    build, then print java and the classpath for Kestra V
#
# Needs Maven and a JDK 21+ (Kestra's classes are Java 21): $KESTRA_CHECK_JDK,
# else $JAVA_HOME, else the newest /usr/lib/jvm/* that is 21+. Artifacts come
# from Maven Central into ~/.m2 the first time; after that it runs offline.
set -euo pipefail

read -ra VERSIONS <<<"${KESTRA_CHECK_VERSIONS:-1.3.19 2.0.0}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")

die() {
	printf 'kestra-check: %s\n' "$*" >&2
	exit 1
}

# java_major JDK: the major version of JDK's java, or 0.
java_major() {
	local v
	v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
	echo "${v:-0}"
}

find_jdk() {
	local d best="" major best_major=0
	for d in "${KESTRA_CHECK_JDK:-}" "${JAVA_HOME:-}"; do
		if [[ -n $d && -x $d/bin/javac ]] && (($(java_major "$d") >= 21)); then
			echo "$d"
			return
		fi
	done
	for d in /usr/lib/jvm/*; do
		[[ -x $d/bin/javac ]] || continue
		major=$(java_major "$d")
		if ((major >= 21 && major > best_major)); then
			best=$d best_major=$major
		fi
	done
	[[ -n $best ]] || die "no JDK 21 or newer (set KESTRA_CHECK_JDK; Kestra 1.3 and 2.0 need Java 21)"
	echo "$best"
}

# build VERSION: compiles the harness against Kestra VERSION and writes its
# classpath, unless both are newer than the pom and every source.
build() {
	local v=$1 out=$HERE/target/$1
	if [[ -f $out/classpath.txt ]] && [[ -z $(find "$HERE/pom.xml" "$HERE/src" -newer "$out/classpath.txt" -print -quit) ]]; then
		return
	fi
	command -v mvn >/dev/null || die "mvn not found (scripts/install-deps.sh installs Maven)"
	MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
		mvn -B -q -f "$HERE/pom.xml" -Dkestra.version="$v" compile dependency:build-classpath >"$out.log" 2>&1 ||
		{ cat "$out.log" >&2; die "maven build for Kestra $v failed"; }
	touch "$out/classpath.txt"
}

# check VERSION: runs the harness on the flows and on the known-bad files.
check() {
	local v=$1 out=$HERE/target/$1 bad=()
	cd "$ROOT"
	bad=(kestra-check/testdata/must-fail/*.yaml)
	if [[ -d $HERE/testdata/must-fail-$v ]]; then
		bad+=(kestra-check/testdata/must-fail-"$v"/*.yaml)
	fi
	"$JDK/bin/java" -XX:TieredStopAtLevel=1 -cp "$out/classes:$(cat "$out/classpath.txt")" \
		io.github.kestrarotation.kestracheck.KestraCheck --label "kestra-$v" flows/*.yaml --expect-fail "${bad[@]}" \
		2>"$out.stderr" || { grep -v '^WARN' "$out.stderr" >&2 || true; return 1; }
}

JDK=$(find_jdk)
export JAVA_HOME=$JDK
mkdir -p "$HERE/target"
for v in "${VERSIONS[@]}"; do
	mkdir -p "$HERE/target/$v"
	build "$v"
done
[[ ${1:-} == --prefetch ]] && exit 0
# --java VERSION: the java binary and the classpath of the built harness, one a line (for the
# real-engine suite, rotators/internal/kestraengine).
if [[ ${1:-} == --java ]]; then
	echo "$JDK/bin/java"
	echo "$HERE/target/$2/classes:$(cat "$HERE/target/$2/classpath.txt")"
	exit 0
fi

# Both versions in parallel; output in order.
pids=()
for v in "${VERSIONS[@]}"; do
	check "$v" >"$HERE/target/$v.out" 2>&1 &
	pids+=($!)
done
status=0
for i in "${!VERSIONS[@]}"; do
	wait "${pids[$i]}" || status=1
	cat "$HERE/target/${VERSIONS[$i]}.out"
done
exit "$status"
