#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Key slots: add, list, passwd, remove. A changed passphrase stops working at once (exit 12),
# the data stays readable with the new one, and the last slot cannot be removed.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
p1=$CAIRN_PASSPHRASE_FILE
mkdir src
gen_text src/a.txt 100
set1=$(backup src --source keys)
(umask 077 && printf 'second passphrase\n' >p2 && printf 'third passphrase\n' >p3 && printf 'not one of them\n' >bad)

slots() { cairn key list 2>/dev/null | sed 's/ (current)$//'; }
current() { cairn key list 2>/dev/null | sed -n 's/ (current)$//p'; }
with() {  # with PASSFILE CMD...: run CMD with that passphrase
  local f=$1
  shift
  CAIRN_PASSPHRASE_FILE=$f "$@"
}
opens() { with "$1" cairn ls >/dev/null 2>&1; }
refused() {  # refused PASSFILE: cairn ls and cairn-restore exit 12 with that passphrase
  expect_exit 12 with "$1" cairn ls
  grep -qi 'passphrase\|key' last.stderr || { cat last.stderr >&2; die "the error does not mention the passphrase"; }
  expect_exit 12 with "$1" cairn-restore latest --to "$PWD/never"
  expect_stderr "^cairn-restore: error: wrong passphrase for repository '$CAIRN_REPO'$"
  [ ! -e never ] || [ -z "$(ls -A never)" ] || die "a refused passphrase restored files"
}

assert_eq 1 "$(slots | wc -l)" "slots after init"
s1=$(current)
[ -n "$s1" ] || die "key list marks no slot as current"
refused bad
echo "one slot; a wrong passphrase is refused"

cairn key add --new-passphrase-file p2 2>/dev/null
assert_eq 2 "$(slots | wc -l)" "slots after key add"
opens "$p1" || die "the first passphrase stopped working after key add"
opens p2 || die "the added passphrase does not open the repository"
s2=$(with p2 current)
[ "$s2" != "$s1" ] || die "both passphrases open the same slot '$s1'"
echo "key add"

# passwd changes the slot that opens (p2's): p2 stops working, p3 works, p1 is untouched
with p2 cairn key passwd --new-passphrase-file p3 2>/dev/null
refused p2
opens p3 || die "the new passphrase does not open the repository"
opens "$p1" || die "key passwd of another slot broke the first passphrase"
assert_eq 2 "$(slots | wc -l)" "slots after key passwd"
s3=$(with p3 current)
with p3 cairn-restore "$set1" --to "$PWD/out3" 2>/dev/null
compare_trees src out3
gen_text src/b.txt 10
set2=$(CAIRN_PASSPHRASE_FILE=p3 backup src --source keys)
with "$p1" cairn-restore "$set2" --to "$PWD/out1" 2>/dev/null
compare_trees src out1
echo "key passwd: old passphrase refused, data readable with the new one"

# remove
rc=0
cairn key remove no-such-slot >/dev/null 2>err || rc=$?
[ "$rc" != 0 ] || die "removing an unknown slot exited 0"
assert_eq 2 "$(slots | wc -l)" "slots after removing an unknown slot"
cairn key remove "$s3" 2>/dev/null
refused p3
assert_eq 1 "$(slots | wc -l)" "slots after key remove"
opens "$p1" || die "removing the other slot broke the first passphrase"
rc=0
cairn key remove "$s1" >/dev/null 2>err || rc=$?
[ "$rc" != 0 ] || die "removing the last slot exited 0"
grep -Eq '^cairn: error: .*(last|no other)' err || { cat err >&2; die "the refusal does not say it is the last slot"; }
opens "$p1" || die "the refused removal broke the last passphrase"
assert_eq 1 "$(slots | wc -l)" "slots after refusing to remove the last one"
# a write-only key file is not a slot that could stand in for the last one
(umask 077 && printf 'wo\n' >pw)
cairn key export --write-only --new-passphrase-file pw wo.key 2>/dev/null
rc=0
cairn key remove "$s1" >/dev/null 2>err || rc=$?
[ "$rc" != 0 ] || die "removing the last full slot (a write-only key exists) exited 0"
opens "$p1" || die "the last full passphrase stopped working"
echo "key remove: never the last slot"
