#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-verify brings its catalog up to date from the repository's set objects first, as every
# tool that opens the repository does: with a catalog that has never seen the repository's
# sets (another host's, or a new one), 'latest' resolves and the set is drilled and recorded.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir app
gen_text app/notes.txt 200
set=$(backup app --source app)
export CAIRN_CATALOG=$PWD/other-host.db
cairn-verify --drill --json latest >verify.json 2>verify.err || { cat verify.err >&2; die "cairn-verify --drill latest failed on a new catalog"; }
assert_eq "$set True" "$("$CAIRN_PY" -c '
import json, sys
d = [r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "drill"]
assert len(d) == 1, d
print(d[0]["set"], d[0]["ok"])' verify.json)" "the drilled set"
echo "a new catalog: the repository's sets learned, latest drilled"
