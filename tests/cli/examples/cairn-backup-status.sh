#!/usr/bin/env bash
# examples/cairn-backup reports the stage that failed first (PIPESTATUS), not the last
# stage's status: a wrong passphrase exits 12 (cairn-diff's), not the 1 of a cairn-pack fed an
# empty stream; a stage stopped by CAIRN_TIMEOUT is named with its status; a key error met
# by the push stays 12 instead of becoming 13. -q prints nothing when all goes well.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

make_repo
mkdir src && gen_text src/f.txt 20
job=$examples/cairn-backup

rc=0
"$job" -q --source app src >out 2>err || rc=$?
assert_eq 0 "$rc" "exit status of a good run: $(cat err)"
[ ! -s out ] && [ ! -s err ] || die "a good -q run printed: $(cat out err)"
echo "good run: silent"

printf 'wrong\n' >wrong
rc=0
CAIRN_PASSPHRASE_FILE=$PWD/wrong "$job" -q --source app src >out 2>err || rc=$?
assert_eq 12 "$rc" "exit status with a wrong passphrase; its stderr: $(cat err)"
echo "wrong passphrase: exit 12"

# Stand-ins beside the real tools, for what a real run cannot be made to do on demand: a
# cairn-diff that hangs, a cairn-push that meets a key error.
mkdir stub
printf '#!/bin/sh\nexec sleep 60\n' >stub/cairn-diff
printf '#!/bin/sh\ncat >/dev/null\necho "cairn-push: error: wrong passphrase or key" >&2\nexit 12\n' >stub/cairn-push
chmod +x stub/*
rc=0
PATH=$PWD/stub:$PATH CAIRN_TIMEOUT=1s "$job" -q --source app src >out 2>err || rc=$?
assert_eq 1 "$rc" "exit status of a stage stopped by the timeout; its stderr: $(cat err)"
grep -q "cairn-diff ran longer than 1s and was stopped (exit 124)" err \
  || die "the timeout does not name the stage: $(cat err)"
echo "timeout: names cairn-diff, exit 124"

rc=0
rm stub/cairn-diff
PATH=$PWD/stub:$PATH "$job" -q --source app --to "$PWD/dest" src >out 2>err || rc=$?
assert_eq 12 "$rc" "exit status when the push meets a key error; its stderr: $(cat err)"
echo "push key error: exit 12"
