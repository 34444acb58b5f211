#!/usr/bin/env bash
# The tree holds only sources: refuses, among the files in git's index (what
# the next commit holds; contents read from the work tree where the file is
# there, else from the index), compiled executables (ELF, Mach-O, PE, WebAssembly;
# whatever their mode), files with the executable bit that are not scripts
# starting with #!, and files over --max-bytes (default 2 MiB). Build outputs
# belong in .gitignore (dist/, .bin/, .cache/, *.test, bench...). Run by
# `make lint`; rotators/internal/treecheck tests it.
#
#   scripts/check-tree.sh [--max-bytes N] [DIR]     DIR: a git work tree (default: this repo)
set -euo pipefail

usage() {
	printf 'usage: %s [--max-bytes N] [DIR]\n' "$0" >&2
	exit 2
}

max=$((2 * 1024 * 1024))
dir=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--max-bytes)
		[[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
		max=$2
		shift 2
		;;
	-h | --help) usage ;;
	-*) usage ;;
	*)
		[[ -z $dir ]] || usage
		dir=$1
		shift
		;;
	esac
done
dir=${dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
command -v git >/dev/null || {
	echo "check-tree: git not found (scripts/install-deps.sh installs it)" >&2
	exit 1
}
cd "$dir"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
	echo "check-tree: $dir is not a git work tree" >&2
	exit 2
}

# kind FILE: what FILE's first bytes say it is, or nothing. Bash builtins only
# (one file costs no process); read drops NUL bytes, hence "asm" for "\0asm".
kind() {
	local h=""
	LC_ALL=C IFS= read -r -d '' -N 4 h <"$1" || true
	case $h in
	$'\x7fELF') echo "an ELF executable or library" ;;
	$'\xfe\xed\xfa\xce' | $'\xfe\xed\xfa\xcf' | $'\xce\xfa\xed\xfe' | $'\xcf\xfa\xed\xfe') echo "a Mach-O executable" ;;
	$'\xca\xfe\xba\xbe') echo "a Mach-O universal binary or Java class" ;;
	MZ*) echo "a PE (Windows) executable" ;;
	asm*) echo "a WebAssembly module" ;;
	'#!'*) echo script ;;
	esac
}

# Every regular file of the index: mode, object id and path (symlinks and
# submodules hold no content of their own), then each object's size in one
# git cat-file call.
modes=() oids=() paths=()
while IFS= read -r -d '' entry; do
	meta=${entry%%$'\t'*}
	read -r mode oid _ <<<"$meta"
	[[ $mode == 100644 || $mode == 100755 ]] || continue
	modes+=("$mode") oids+=("$oid") paths+=("${entry#*$'\t'}")
done < <(git ls-files -s -z)
sizes=()
if [[ ${#oids[@]} -gt 0 ]]; then
	mapfile -t sizes < <(printf '%s\n' "${oids[@]}" | git cat-file --batch-check='%(objectsize)')
fi

bad=0
refuse() {
	printf 'check-tree: %s: %s\n' "$1" "$2" >&2
	bad=$((bad + 1))
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for i in "${!paths[@]}"; do
	p=${paths[$i]}
	f=$p
	if [[ ! -f $p || -L $p ]]; then # staged, then deleted or replaced in the work tree
		f=$tmp
		(git cat-file blob "${oids[$i]}" || true) | head -c 4 >"$f" # || true: SIGPIPE on large blobs
	fi
	k=$(kind "$f")
	if [[ -n $k && $k != script ]]; then
		refuse "$p" "$k: build outputs do not belong in git (git rm --cached it; add it to .gitignore)"
	elif [[ ${modes[$i]} == 100755 && $k != script ]]; then
		refuse "$p" "executable bit set but no #! line: only scripts may be executable (git update-index --chmod=-x)"
	fi
	if ((sizes[i] > max)); then
		refuse "$p" "$((sizes[i] / 1024)) KiB, over the limit of $((max / 1024)) KiB: keep large files out of git"
	fi
done
if ((bad > 0)); then
	printf 'check-tree: %d problem(s) in %d tracked files\n' "$bad" "${#paths[@]}" >&2
	exit 1
fi
printf 'check-tree: %d tracked files: no executables, none over %d KiB\n' "${#paths[@]}" "$((max / 1024))"
