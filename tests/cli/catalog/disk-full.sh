#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A catalog on a full file system (issue 18): the tools said "cannot check integrity: disk
# I/O error" and stopped, restore included. Now ls, restore and verify read the catalog
# read-only, say in one line that the disk is full (exit 3: completed with warnings), and
# answer; nothing about an I/O error. Needs root for a small tmpfs (exit 77 otherwise).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

is_root || skip "mounting a small tmpfs needs root"
make_repo
mkdir -p src full
gen_file src/a.bin 200K 1
gen_text src/b.txt 20
id=$(backup src --source app)
mount -t tmpfs -o size=512k tmpfs full 2>/dev/null || skip "cannot mount a tmpfs here"
trap 'umount full 2>/dev/null || true' EXIT
cp "$CAIRN_CATALOG" full/catalog.db
export CAIRN_CATALOG=$PWD/full/catalog.db
head -c 1M /dev/zero >full/filler 2>/dev/null || true  # fills it: ENOSPC
[ "$(df --output=avail full | tail -n 1 | tr -d ' ')" = 0 ] || die "the tmpfs is not full"

expect_exit 3 cairn ls
expect_stderr "catalog '$CAIRN_CATALOG'.*read-only: the disk is full"
grep -q "I/O error" last.stderr && die "an I/O error is reported for a full disk: $(cat last.stderr)"
grep -q "^${id:0:12} " last.stdout || die "cairn ls does not list the set: $(cat last.stdout)"
echo "ls: read-only, the disk is named full"

expect_exit 3 cairn-restore app@latest --to "$PWD/out"
expect_stderr "read-only: the disk is full"
compare_trees src out
echo "restore: restores exactly from a read-only catalog"

expect_exit 3 cairn-verify
expect_stderr "read-only: the disk is full"
echo "verify: checks the repository from a read-only catalog"
