#!/usr/bin/env bash
# govulncheck over the module against the local vulnerability database that
# scripts/install-deps.sh builds from the pinned golang.org/x/vulndb module
# (vuln.go.dev is not reachable from CI). Run by `make lint`.
#
# Fails on every vulnerability whose code the module calls, the standard
# library's included: go.mod's toolchain line (go1.26.10) is what fixes the
# ones go1.26.8 has, so run it through make (GOTOOLCHAIN=auto) or set
# GOTOOLCHAIN=auto yourself.
set -euo pipefail
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DB=$ROOT/.cache/vulndb

[[ -f $DB/index/db.json ]] || {
	echo "vulncheck: no vulnerability database at $DB (run scripts/install-deps.sh)" >&2
	exit 1
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$ROOT"
govulncheck -db "file://$DB" -format json ./... >"$out"
python3 - "$out" "$(cat "$DB/VERSION")" <<'PY'
import json, sys

path, dbversion = sys.argv[1], sys.argv[2]
text, dec, i, msgs = open(path).read(), json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    msg, i = dec.raw_decode(text, i)
    msgs.append(msg)
goversion = next(m["config"]["go_version"] for m in msgs if "config" in m)
called = {}  # id -> (module, fixed version); only findings whose trace reaches a function
for m in msgs:
    f = m.get("finding")
    if f and f["trace"][0].get("function"):
        called[f["osv"]] = (f["trace"][0]["module"], f.get("fixed_version", "none"))
for vid, (mod, fixed) in sorted(called.items()):
    print(f"vulncheck: {vid} in {mod}, fixed in {fixed}: FAIL")
print(f"vulncheck: database golang.org/x/vulndb@{dbversion}, {goversion}: {len(called)} called vulnerabilities")
sys.exit(1 if called else 0)
PY
