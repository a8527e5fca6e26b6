#!/usr/bin/env bash
# `cairn ls SOURCE` lists a source even when a directory of that name is in the working
# directory (the default source is the backed-up directory's name), before its first set
# and after; a path with a '/' is not a source and is refused as a set (exit 2).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir app && gen_file app/f 10K 1
expect_exit 0 cairn ls app --json
[ ! -s last.stdout ] || die "sets listed before the first backup: $(cat last.stdout)"
echo "before the first set: none, exit 0"
backup app >/dev/null
expect_exit 0 cairn ls app --json
assert_eq 1 "$(wc -l <last.stdout)" "sets of source app"
echo "after: one set"
expect_exit 2 cairn ls ./app
expect_stderr "is a directory"
echo "./app: exit 2, a directory"
