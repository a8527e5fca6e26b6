#!/usr/bin/env bash
# cairn-pack whose standard output fails after the commit (here a full disk) exits 3,
# not 1 ("nothing was committed", cairn(7)): one warning names the committed set, which
# `cairn ls` lists, restores and verifies (issue 18).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
printf 'hello\n' >a/v
cairn-snap a --source app >stream
rc=0
cairn-pack <stream >/dev/full 2>pack.err || rc=$?
assert_eq 3 "$rc" "cairn-pack's exit status"
grep -Eq '^cairn-pack: warning: standard output: set [0-9a-f]{64} is committed, but its id and objects could not be written: ' pack.err \
  || die "no warning naming the set: $(cat pack.err)"
id=$(sed -n 's/.* set \([0-9a-f]\{64\}\) is committed.*/\1/p' pack.err)
assert_eq "$id" "$(set_ids app)" "the set cairn ls lists"
cairn-restore "$id" --to "$PWD/out" 2>/dev/null
cmp a/v out/v
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails after the commit"
echo "stdout on a full disk: exit 3, the set is committed and named"

