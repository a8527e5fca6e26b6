#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-verify --drill --check CMD, without any server: CMD runs through /bin/sh -c in the
# restored tree, with CAIRN_DRILL_DIR, CAIRN_SET and CAIRN_SOURCE set, after the restored bytes
# checked out; its output goes to stderr (stdout is the report); a passing check is named in
# the report (text and JSON) and in the drill's catalog record; a failing one fails the drill
# (exit 4, recorded as failed, scratch removed); --check without --drill is a usage error.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p data/sub
printf 'payload\n' >data/sub/file.txt
gen_file data/blob.bin 300K 3
set=$(backup data --source app)

cat >check.sh <<EOF
#!/bin/sh
# records what the check saw, then checks the restored tree
{ echo "dir=\$CAIRN_DRILL_DIR"; echo "cwd=\$(pwd)"; echo "set=\$CAIRN_SET"; echo "source=\$CAIRN_SOURCE"; } >"$PWD/seen"
echo "check output"
grep -q payload sub/file.txt && test -s blob.bin
EOF
chmod +x check.sh
mkdir -p drills
cairn-verify --drill app@latest --to "$PWD/drills" --check "$PWD/check.sh" >report.txt 2>err.txt
grep -q "^drill $set (app .*): ok, 2 files, .*, application check passed in [0-9]* ms$" report.txt \
  || die "unexpected report: $(cat report.txt)"
grep -q "check output" err.txt || die "the check's stdout did not reach stderr"
grep -q "check output" report.txt && die "the check's stdout leaked into the report"
dir=$(sed -n 's/^dir=//p' seen)
assert_eq "$dir" "$(sed -n 's/^cwd=//p' seen)" "the check's working directory"
case $dir in "$PWD"/drills/cairn-drill-*) ;; *) die "CAIRN_DRILL_DIR '$dir' is not a scratch dir under --to" ;; esac
[ ! -e "$dir" ] || die "the drill's scratch directory was not removed"
assert_eq "$set" "$(sed -n 's/^set=//p' seen)" "CAIRN_SET"
assert_eq app "$(sed -n 's/^source=//p' seen)" "CAIRN_SOURCE"
echo "passing check: ran in the restored tree with CAIRN_DRILL_DIR, CAIRN_SET, CAIRN_SOURCE"

cairn-verify --json --drill app@latest --check "test -f sub/file.txt" >report.json 2>/dev/null
"$CAIRN_PY" - report.json <<'PY' || die "no app_check_ms in the JSON drill record: $(cat report.json)"
import json, sys
drills = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "drill"]
assert drills and drills[0]["ok"] and isinstance(drills[0]["app_check_ms"], int), drills
PY
echo "JSON report: app_check_ms"

expect_exit 4 cairn-verify --drill app@latest --to "$PWD/drills" --check "echo failing; exit 7"
expect_stderr '^cairn-verify: error: damage found: '
grep -q "^drill $set (app .*): failed: the check 'echo failing; exit 7' failed with exit status 7$" last.stdout \
  || die "unexpected report: $(cat last.stdout)"
[ -z "$(ls drills)" ] || die "a failed drill left its scratch directory: $(ls drills)"
echo "failing check: drill failed, exit 4"

"$CAIRN_PY" - "$CAIRN_CATALOG" <<'PY' >catalog.txt
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for ok, detail in db.execute("SELECT ok, detail FROM verify WHERE kind = 'drill' ORDER BY id"):
    print(ok, detail)
PY
grep -q "^1 2 files, .* bytes; check '$PWD/check.sh' passed$" catalog.txt || die "catalog: $(cat catalog.txt)"
grep -q "^0 the check 'echo failing; exit 7' failed with exit status 7$" catalog.txt || die "catalog: $(cat catalog.txt)"
echo "catalog: both drills recorded with their check"

expect_exit 2 cairn-verify --check true
grep -q "check is for --drill" last.stderr || die "unexpected message: $(cat last.stderr)"
echo "--check without --drill: usage error"
