#!/usr/bin/env bash
# A file edited between cairn-snap and cairn-pack without changing its size is stored as read,
# with a warning naming it (exit 3) and with the mtime it has now, not the snapshot's (issue
# 18): pack compares the mtime and ctime the manifest recorded with the file's. Both an
# ordinary edit (the mtime moves) and one that puts the old mtime back (only the ctime moves).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
printf 'before\n' >a/v
printf 'steady\n' >a/w
touch -d '2020-01-01 00:00:00' a/v a/w
cairn-snap a --source app >stream
printf 'after!\n' >a/v  # same size
expect_exit 3 cairn-pack <stream
expect_stderr "^cairn-pack: warning: v: changed since the snapshot or while it was read; stored as read$"
[ "$(grep -c ': warning: ' last.stderr)" = 2 ] || die "more than one warning: $(cat last.stderr)"
id=$(head -n 1 last.stdout)
cairn-restore "$id" --to "$PWD/out1" 2>/dev/null
assert_eq 'after!' "$(cat out1/v)" "the content stored"
assert_eq "$(stat -c %Y a/v)" "$(stat -c %Y out1/v)" "the mtime stored"
echo "a same-size edit: exit 3, the file named, stored as read with its new mtime"

touch -d '2020-01-01 00:00:00' a/v
cairn-snap a --source app >stream
ctime=$(stat -c %z a/v)
n=0
# The edit keeps size and mtime; its ctime must differ from the one the snapshot recorded
# (the kernel's timestamps are coarse: repeat the edit until it does).
until [ "$(stat -c %z a/v)" != "$ctime" ]; do
  [ $n -lt 200 ] || die "the ctime of a/v does not move"
  printf 'later!\n' >a/v
  touch -d '2020-01-01 00:00:00' a/v
  n=$((n + 1))
  [ "$(stat -c %z a/v)" != "$ctime" ] || sleep 0.01
done
expect_exit 3 cairn-pack <stream
expect_stderr "^cairn-pack: warning: v: changed since the snapshot or while it was read; stored as read$"
id=$(head -n 1 last.stdout)
cairn-restore "$id" --to "$PWD/out2" 2>/dev/null
assert_eq 'later!' "$(cat out2/v)" "the content stored"
echo "an edit that keeps size and mtime: exit 3 (the ctime moved)"

cairn-snap a --source app >stream
cairn-pack <stream >/dev/null
echo "an untouched tree: exit 0"
