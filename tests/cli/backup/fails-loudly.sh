#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A cron line runs under /bin/sh (dash on Debian): `cairn backup -q` of a missing source
# exits non-zero with one line naming it, and commits nothing; a wrong passphrase exits 12
# (as the pipeline's first failing stage, not the 1 of a cairn-pack fed a truncated stream);
# a class the policy gives no destinations is a usage error before anything is read; a
# successful -q run prints nothing at all.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
sh=/bin/sh
[ -x /bin/dash ] && sh=/bin/dash
mkdir src && gen_text src/f.txt 20

rc=0
"$sh" -c 'cairn backup -q /nonexistent/app --source app' >out 2>err || rc=$?
[ "$rc" != 0 ] || die "a backup of a missing source exited 0 under $sh"
assert_eq 1 "$(wc -l <err)" "stderr lines of a failed cron run: $(cat err)"
grep -q "^cairn: error: .*/nonexistent/app" err || die "the error does not name the path: $(cat err)"
[ ! -s out ] || die "a failed backup printed '$(cat out)'"
[ -z "$(set_ids)" ] || die "a failed backup left a set"
echo "missing source: exit $rc, one line"

(umask 077 && printf 'wrong\n' >wrong)
rc=0
cairn backup --passphrase-file wrong "$PWD/src" >out 2>err || rc=$?
assert_eq 12 "$rc" "exit status with a wrong passphrase"
assert_eq 1 "$(wc -l <err)" "stderr lines with a wrong passphrase: $(cat err)"
echo "wrong passphrase: exit 12, one line"

printf '[class.daily]\nkeep-last = 3\n' >policy.toml
rc=0
cairn backup --policy policy.toml --push-policy "$PWD/src" >out 2>err || rc=$?
assert_eq 2 "$rc" "exit status of --push-policy without destinations"
grep -q "no destinations" err || die "unexpected error: $(cat err)"
echo "no destinations: exit 2"

rc=0
"$sh" -c 'cairn backup -q "$0" --source app' "$PWD/src" >out 2>err || rc=$?
assert_eq 0 "$rc" "exit status of a good cron run"
[ ! -s out ] && [ ! -s err ] || die "a good -q run printed: $(cat out err)"
[ -n "$(set_ids app)" ] || die "the good run left no set"
echo "good run: silent"
