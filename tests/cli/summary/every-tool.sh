#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Each tool that does work ends with one summary line on stderr when stderr is a terminal
# (script(1) gives it one) or -v is given, never with -q and never on a file without -v;
# --summary-json FILE holds the same as one cairn.summary/1 object.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src && gen_text src/a.txt 100 && gen_file src/b.bin 300K 3
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
b='[0-9.]+ (B|[KMG]iB)'
took="in [0-9a-z.]+"

# -v on a file: every stage of the pipeline says what it did.
cairn-snap -v src 2>snap.err | cairn-diff -v 2>diff.err | cairn-pack -v >pack.out 2>pack.err
# a tree walk moves no bytes: no rate (cairn(7) SUMMARY)
grep -Eq "^cairn-snap: [0-9]+ entries, 0 B read, $took\$" snap.err || die "snap -v: $(cat snap.err)"
grep -Eq "^cairn-diff: [0-9]+ entries, $took\$" diff.err || die "diff -v: $(cat diff.err)"
grep -Eq "^cairn-pack: set [0-9a-f]{12} \((full|incremental)\): 3 entries, $b read, $b new, $b stored, $took \($b/s\)\$" \
  pack.err || die "pack -v: $(cat pack.err)"
cairn-push -v dest <pack.out >/dev/null 2>push.err
grep -Eq "^cairn-push: [0-9]+ objects, $b sent, $took \($b/s\)\$" push.err || die "push -v: $(cat push.err)"
echo "-v: snap, diff, pack, push"

# Without -v, on a file: nothing but the product.
cairn-verify latest >/dev/null 2>verify.err
[ ! -s verify.err ] || die "verify on a file without -v: $(cat verify.err)"

# A terminal: the summary without -v; with -q never.
script -qec "cairn-verify --read-data latest >/dev/null; cairn-restore latest --to '$PWD/out' \
  --summary-json '$PWD/restore.json'; cairn-prune --policy '$PWD/policy.toml' >/dev/null" \
  /dev/null </dev/null >tty.out
tr -d '\r' <tty.out >tty.txt
grep -Eq "^cairn-verify: [0-9]+ items, $b checked, $took \($b/s\)\$" tty.txt || die "verify: $(cat tty.txt)"
grep -Eq "^cairn-restore: 2 files, $b restored, $took \($b/s\)\$" tty.txt || die "restore: $(cat tty.txt)"
grep -Eq "^cairn-prune: 0 packs, 0 B freed, $took\$" tty.txt || die "prune (nothing freed: no rate): $(cat tty.txt)"
echo "terminal: verify, restore, prune"
script -qec "cairn-verify -q --read-data latest; cairn-restore -q latest --to '$PWD/out2'" \
  /dev/null </dev/null >tty.out
[ ! -s tty.out ] || die "-q on a terminal printed: $(cat tty.out)"
echo "terminal -q: nothing"

"$CAIRN_PY" - restore.json <<'PY' || die "bad --summary-json: $(cat restore.json)"
import json, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n") and text.count("\n") == 1, text
j = json.loads(text)
assert list(j)[:2] == ["schema", "tool"], j
assert j["schema"] == "cairn.summary/1" and j["tool"] == "cairn-restore", j
assert j["files"] == 2 and j["bytes_restored"] >= 300 * 1024, j
assert j["exit_code"] == 0 and j["warnings"] == 0 and isinstance(j["duration_ms"], int), j
PY
echo "--summary-json: one object"

# A failed run (no such set: exit 1) still writes its --summary-json, with its exit status.
expect_exit 1 cairn-restore deadbeef --to "$PWD/out3" --summary-json fail.json
expect_stderr "^cairn-restore: error: .*deadbeef"
"$CAIRN_PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["exit_code"] == 1, j' \
  fail.json || die "failed run: $(cat fail.json)"
echo "--summary-json: failed run"
